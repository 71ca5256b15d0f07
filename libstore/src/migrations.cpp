#include "migrations.hpp"

#include <array>

namespace clauster::store::detail {
namespace {

// Each entry runs through sqlite3_exec inside its own IMMEDIATE transaction, so
// an entry may hold several statements. Foreign keys are ON while migrating:
// a future table rebuild must be written with that in mind.
//
// NEVER edit or reorder a shipped entry; append a new one.
constexpr std::array<std::string_view, 2> k_migrations{{
    // 1: named API tokens (spec §3.4, §4.6). Only the lower-case hex SHA-256 of
    // the raw token is stored. Timestamps are ISO-8601 UTC text with
    // microseconds (core::format_iso_micros), which sort chronologically.
    R"sql(
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    label        TEXT NOT NULL UNIQUE CHECK (length(label) BETWEEN 1 AND 64),
    token_hash   TEXT NOT NULL UNIQUE
                 CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    last_used_at TEXT
);
)sql",

    // 2: managed instances (spec §3.1, §3.4): the durable fields of
    // core::instance only; status, environment/session ids, URLs, notice,
    // error_detail and claude_version are re-derived on every start.
    //
    // - No foreign key to a projects table: project directories come and go,
    //   and a row must outlive its directory (it is how a crashed bridge whose
    //   project was renamed is still listed and can be forgotten).
    // - Enums are their wire strings (core::to_string). The CHECKs keep this
    //   build's writes honest; a build that adds an enumerator rebuilds the
    //   table, and the reader maps strings it does not know to a default.
    // - A process identity is (pid, start ticks, boot id, epoch start); the
    //   extra columns are NULL whenever the pid is, so "no bridge" is one NULL.
    // - seq is the registration order: assigned max + 1 on insert, never
    //   rewritten by an upsert, and unlike the rowid of a table without an
    //   INTEGER PRIMARY KEY it survives VACUUM.
    R"sql(
CREATE TABLE instances (
    instance_id           TEXT PRIMARY KEY NOT NULL CHECK (length(instance_id) = 36),
    seq                   INTEGER NOT NULL UNIQUE CHECK (seq > 0),
    project_name          TEXT NOT NULL CHECK (length(project_name) BETWEEN 1 AND 255),
    label                 TEXT NOT NULL,
    channel               TEXT NOT NULL DEFAULT 'remote-control'
                          CHECK (channel IN ('remote-control', 'hosted')),
    spawn_mode            TEXT NOT NULL DEFAULT 'same-dir'
                          CHECK (spawn_mode IN ('same-dir', 'worktree', 'session')),
    permission_mode       TEXT NOT NULL DEFAULT 'default'
                          CHECK (permission_mode IN ('default', 'plan', 'acceptEdits', 'auto', 'dontAsk',
                                                     'bypassPermissions', 'inherit')),
    resume_mode           TEXT NOT NULL DEFAULT 'standard' CHECK (resume_mode IN ('standard', 'pty')),
    sandbox_mode          TEXT NOT NULL DEFAULT 'default' CHECK (sandbox_mode IN ('default', 'on', 'off')),
    worktree_name         TEXT,
    intentional_stop      INTEGER NOT NULL DEFAULT 0 CHECK (intentional_stop IN (0, 1)),

    bridge_pid            INTEGER CHECK (bridge_pid IS NULL OR bridge_pid BETWEEN 1 AND 2147483647),
    bridge_start_ticks    INTEGER CHECK (bridge_start_ticks IS NULL OR bridge_start_ticks >= 0),
    bridge_boot_id        TEXT,
    bridge_proc_start     REAL,
    keeper_pid            INTEGER CHECK (keeper_pid IS NULL OR keeper_pid BETWEEN 1 AND 2147483647),
    keeper_start_ticks    INTEGER CHECK (keeper_start_ticks IS NULL OR keeper_start_ticks >= 0),
    keeper_boot_id        TEXT,
    keeper_proc_start     REAL,

    started_at            TEXT,
    log_stem              TEXT,
    bridge_debug_log_path TEXT,
    bridge_raw_log_path   TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,

    CHECK (bridge_pid IS NOT NULL
           OR (bridge_start_ticks IS NULL AND bridge_boot_id IS NULL AND bridge_proc_start IS NULL)),
    CHECK (keeper_pid IS NOT NULL
           OR (keeper_start_ticks IS NULL AND keeper_boot_id IS NULL AND keeper_proc_start IS NULL))
);
CREATE INDEX instances_project_name ON instances (project_name);
)sql",
}};

}  // namespace

std::span<const std::string_view> migrations() noexcept { return k_migrations; }

}  // namespace clauster::store::detail
