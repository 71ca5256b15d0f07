#pragma once

// What the fake remembers about its own processes, so `agents --json` and
// `rm` can answer: the supervisor roster (as the real `--bg` supervisor keeps
// it), the jobs directory, and fake-only records of live bridge sessions.

#include "common.hpp"

#include <functional>

namespace clauster::fake_claude {

/// `$HOME/.claude/daemon/roster.json`.
fs::path roster_path();

/// `$HOME/.claude/jobs`.
fs::path jobs_dir();

/// `$HOME/.claude/fake/sessions` (fake-only: live SDK-worker and flag-form sessions).
fs::path sessions_dir();

/// Runs @p edit on the roster's `workers` object under an exclusive flock of
/// `roster.lock`, then writes the roster back atomically.
void update_roster(const std::function<void(boost::json::object& workers)>& edit);

/// The roster's `workers` object as last written (no lock: writes are atomic renames).
boost::json::object read_roster_workers();

/// One roster entry.
struct roster_entry {
    pid_t pid = 0;
    std::string proc_start;
};

/// The entry for @p job_id, or nullopt when absent or malformed.
std::optional<roster_entry> roster_lookup(std::string_view job_id);

/// Writes this process's record `<sessions_dir>/<pid>.json`:
/// `{pid, procStart, cwd, kind, state, sessionId, startedAt, name}`.
void write_session_record(std::string_view kind, std::string_view name, const fs::path& cwd);

/// Removes this process's session record (best effort).
void remove_session_record();

/// `<sessions_dir>/<pid>.json`: where process @p pid keeps its session record.
fs::path session_record_path(pid_t pid);

}  // namespace clauster::fake_claude
