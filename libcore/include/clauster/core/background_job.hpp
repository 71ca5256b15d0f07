#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace clauster::core {

/// A background agent (`claude --bg` job) as listed by the API (spec §3.3).
///
/// Read from Claude Code's `~/.claude/jobs/<id>/state.json` and joined with the
/// supervisor's `~/.claude/daemon/roster.json` for liveness. Absent or wrongly
/// typed fields are nullopt (`null` on the wire).
///
/// - Free text (`state`, `detail`, `tempo`, `needs`, `result`, `intent`, `name`)
///   has been through `redact_line`; `result` is capped at 4000 characters plus
///   `" …<truncated>"`.
/// - `created_at` / `updated_at` are **epoch milliseconds**, passed through from
///   `createdAt` / `updatedAt` as Claude Code writes them (the same unit as a
///   working session's `started_at`), not ISO strings.
/// - `worker_pid` is set only while the worker is alive (pid and start ticks match
///   the roster; fail closed).
struct background_job {
    std::string id;  ///< 8 lowercase hex digits (the job directory's name)
    std::optional<std::string> state;
    std::optional<std::string> detail;
    std::optional<std::string> tempo;
    std::optional<std::string> needs;
    std::optional<std::string> result;
    std::optional<std::string> intent;
    std::optional<std::string> name;
    std::optional<std::string> cwd;
    std::optional<std::string> session_id;
    std::optional<std::string> bridge_session_id;
    std::optional<std::string> transcript_path;
    std::optional<std::string> cli_version;
    std::optional<std::int64_t> created_at;
    std::optional<std::int64_t> updated_at;
    std::optional<int> worker_pid;
    bool worker_alive = false;
    /// Not on the wire: the job's `permissionMode` and `model`, re-used by resume.
    std::optional<std::string> permission_mode;
    std::optional<std::string> model;

    bool operator==(const background_job&) const = default;
};

/// The body of `POST /api/agents` (spec §2.5). Every field is optional here so the
/// domain can answer each missing or empty one with the spec's exact message;
/// wrong JSON types are reported by `parse_agent_request` (json.hpp).
struct agent_request {
    std::optional<std::string> project = std::nullopt;
    std::optional<std::string> prompt = std::nullopt;
    std::optional<std::string> rc_name = std::nullopt;
    std::optional<std::string> model = std::nullopt;
    std::optional<std::string> permission_mode = std::nullopt;

    bool operator==(const agent_request&) const = default;
};

/// The answer of `DELETE /api/agents/{id}`.
struct stop_result {
    std::string id;
    /// True only when the worker stopped gracefully (or was already gone) and
    /// `claude rm` confirmed the removal, which deregisters the cloud session.
    bool settled = false;
    /// True when the job is gone from `~/.claude/jobs` (by `claude rm`, or by the
    /// soft-fail fallback once the worker is confirmed dead).
    bool removed = false;
    std::string detail;

    bool operator==(const stop_result&) const = default;
};

}  // namespace clauster::core
