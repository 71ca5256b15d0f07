#pragma once

#include <clauster/core/error.hpp>

#include <filesystem>
#include <memory>
#include <optional>

namespace clauster::store {

/// How to open the state database.
struct open_options {
    /// Snapshot with `VACUUM INTO state_dir/backups/` before a pending migration.
    bool backup_before_migrate = true;
    /// How many pre-migration snapshots to keep (oldest by mtime pruned first).
    std::size_t keep_backups = 5;
    /// How long a writer waits on a lock held by another process (CLI vs server).
    int busy_timeout_ms = 5000;
};

/// `state_dir/clauster.db`: opened in WAL mode and migrated to head on open.
///
/// Opening creates `state_dir` (forced 0700) and the file (0600), applies each
/// pending migration in its own transaction tracked by `PRAGMA user_version`,
/// and refuses (returns an error) when a migration fails or the file was written
/// by a newer build. Nothing is served from a database that did not migrate.
///
/// @par Thread safety
/// Not thread-safe: one connection, used from the thread that opened it.
class database {
public:
    /// @par Errors
    /// `invalid_state` with a message naming the cause (not a database, newer
    /// schema, failed migration, unusable directory).
    static core::outcome<database> open(const std::filesystem::path& state_dir, const open_options& options = {});

    database(database&&) noexcept;
    database& operator=(database&&) noexcept;
    ~database();

    /// The schema version after opening (`PRAGMA user_version`).
    int schema_version() const;

    /// The newest schema version this build knows.
    static int head_version();

    /// Path of the database file.
    const std::filesystem::path& path() const;

    /// The snapshot taken before migrating on this open, if one was.
    const std::optional<std::filesystem::path>& backup_taken() const;

    /// Private state shared with the repositories in this library.
    struct impl;
    impl& get_impl() { return *impl_; }

private:
    explicit database(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace clauster::store
