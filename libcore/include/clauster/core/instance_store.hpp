#pragma once

#include <clauster/core/error.hpp>
#include <clauster/core/instance.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace clauster::core {

/// Persistence port for instances (the `instances` table, spec §3.4).
///
/// Stores the durable fields of @ref instance: ids, project, label, modes,
/// worktree, intentional_stop, bridge and keeper identities (pid, start ticks,
/// boot id, epoch start), log paths, started/created/updated times. Runtime
/// fields (status, environment and session ids, url, error_detail, notice,
/// claude_version) are not stored and come back empty/defaulted; `status` reads
/// back as `stopped`.
///
/// Several processes (server, CLI) share the table: every write is a single
/// row upsert in its own transaction, so writers merge instead of overwriting.
///
/// @par Errors `unavailable` when the database stayed busy; others throw.
/// @par Thread safety Not thread-safe.
class instance_store {
public:
    virtual ~instance_store() = default;

    /// Inserts or replaces the durable fields of @p inst (keyed by instance_id).
    virtual result<void> upsert(const instance& inst) = 0;

    /// All rows in registration order (created_at, then insertion order).
    virtual result<std::vector<instance>> list() = 0;

    /// One row by exact id.
    virtual result<std::optional<instance>> find(std::string_view instance_id) = 0;

    /// Deletes a row; `not_found` when absent.
    virtual result<void> remove(std::string_view instance_id) = 0;

    /// Sets `intentional_stop` (and updated_at) without touching other columns:
    /// written before any stop signal, so a crash mid-stop is never a CRASHED.
    virtual result<void> set_intentional_stop(std::string_view instance_id, bool value) = 0;

    /// A value that changes whenever *another* connection or process commits a
    /// change; equal values mean "nothing written by anybody else since", so a
    /// reader may skip re-reading the table. nullopt (the default) when the store
    /// cannot tell: callers then always re-read.
    virtual std::optional<std::uint64_t> change_token() { return std::nullopt; }
};

}  // namespace clauster::core
