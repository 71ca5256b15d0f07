#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace clauster::core {

/// `~/.claude/projects/<sanitized cwd>/bridge-pointer.json`, written by `claude`
/// for its running bridge (internals §1.3):
/// `{"sessionId":"session_…","environmentId":"env_…","source":"…","pid":N,"procStart":"<jiffies>"}`.
struct bridge_pointer {
    std::string session_id;
    std::string environment_id;  ///< empty when the pointer has none
    std::string source;          ///< empty when the pointer has none
    int pid = 0;                 ///< the bridge *parent* process, always > 0
    /// `procStart`: the pid's start time in clock ticks since boot (`/proc/<pid>/stat`
    /// field 22), when present.
    std::optional<std::uint64_t> proc_start_ticks;

    bool operator==(const bridge_pointer&) const = default;
};

/// Claude Code's directory name for a project path: every character outside
/// `[A-Za-z0-9]` becomes `-` (spec §2.6), e.g. `/mnt/a_b` → `-mnt-a-b`.
///
/// The mapping is lossy (two paths can share a name), so it is only ever applied
/// forwards, from a project path to the expected directory.
std::string sanitize_project_path(std::string_view absolute_path);

/// `home/.claude/projects/<sanitized project_path>/bridge-pointer.json`.
std::filesystem::path bridge_pointer_path(const std::filesystem::path& home, const std::filesystem::path& project_path);

/// Reads a bridge pointer; anything malformed reads as absent (never throws).
///
/// Absent when: missing or unreadable; not a regular file or larger than 64 KiB;
/// not a JSON object (or nested deeper than a pointer ever is); `pid` missing or not a
/// positive integer that fits an `int` (bools, floats, negatives and huge numbers are
/// rejected); `sessionId` missing or not an id-shaped string; `environmentId` or
/// `source` present but not a plain string; `procStart` present but not a string of
/// decimal digits that fits 64 bits.
std::optional<bridge_pointer> read_bridge_pointer(const std::filesystem::path& path) noexcept;

}  // namespace clauster::core
