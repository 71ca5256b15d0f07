#pragma once

#include <clauster/core/clock.hpp>
#include <clauster/core/instance_store.hpp>
#include <clauster/store/database.hpp>

#include <memory>

namespace clauster::store {

/// @ref core::instance_store over the `instances` table (schema version 2).
///
/// Every call reads or writes the table afresh, each write a single-row
/// statement in its own IMMEDIATE transaction, so a server and a CLI holding
/// their own @ref database on one state dir see each other's rows on their next
/// call and never overwrite each other's rows.
///
/// Reading is lenient: an enum string this build does not know (a newer build,
/// a hand edit) reads as the field's default (`same-dir`, `default`,
/// `standard`, `remote-control`), a malformed timestamp as the epoch (or, for
/// `started_at`, as absent), and a non-positive pid as no identity. A row is
/// never made unreadable by one odd column.
///
/// @par Errors
/// `unavailable` when another connection kept the write lock past the busy
/// timeout; `invalid_argument` from @ref upsert when a start-ticks value does
/// not fit SQLite's signed 64-bit integer (above 2^63 - 1, which no real
/// `/proc/<pid>/stat` produces). Schema violations (an id that is not 36
/// characters, an empty project) throw `SQLite::Exception`, as programming errors.
///
/// @par Thread safety
/// Not thread-safe; shares the connection of its @ref database.
class sqlite_instance_store final : public core::instance_store {
public:
    /// Stamps `updated_at` in @ref set_intentional_stop with the system clock.
    explicit sqlite_instance_store(database& db);
    /// Stamps `updated_at` in @ref set_intentional_stop with @p clock, which must
    /// outlive the store.
    sqlite_instance_store(database& db, const core::clock& clock);
    ~sqlite_instance_store() override;

    sqlite_instance_store(const sqlite_instance_store&) = delete;
    sqlite_instance_store& operator=(const sqlite_instance_store&) = delete;

    /// Writes every durable field of @p inst. A new id is appended to the
    /// registration order with `created_at = inst.created_at`; an existing id
    /// keeps its stored `created_at` and its place in that order, and takes
    /// every other durable field (and `updated_at`) from @p inst.
    core::result<void> upsert(const core::instance& inst) override;
    core::result<std::vector<core::instance>> list() override;
    core::result<std::optional<core::instance>> find(std::string_view instance_id) override;
    core::result<void> remove(std::string_view instance_id) override;
    core::result<void> set_intentional_stop(std::string_view instance_id, bool value) override;
    /// SQLite's `PRAGMA data_version`: it changes when another connection
    /// commits (other processes included), never for this connection's own writes.
    std::optional<std::uint64_t> change_token() override;

private:
    struct statements;
    core::system_clock system_clock_;
    const core::clock& clock_;
    std::unique_ptr<statements> stmts_;
};

}  // namespace clauster::store
