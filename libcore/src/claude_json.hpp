#pragma once

#include <clauster/core/error.hpp>

#include <boost/json/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>

namespace clauster::core::detail {

/// The set of absolute paths `~/.claude.json` marks `hasTrustDialogAccepted: true`.
///
/// nullopt when the file is missing, too large, or does not parse; callers then
/// treat every directory as untrusted (fail closed).
std::optional<std::set<std::string>> read_trusted_paths(const std::filesystem::path& claude_json);

/// Largest `~/.claude.json` we read or rewrite (Claude Code keeps history in it).
inline constexpr std::uintmax_t claude_json_max_bytes = 64ull * 1024 * 1024;

/// Changes the parsed root object in place; returns whether it changed anything
/// (false: nothing is written), or a failure that aborts the update.
using claude_json_mutator = std::function<outcome<bool>(boost::json::object& root)>;

/// The read-modify-write primitive behind @ref claude_json_editor (internals §1.11).
///
/// Under an exclusive flock on `state_dir/locks/claude-json-<sha256(real path)[:32]>.lock`:
/// read the file (missing → `{}`; unreadable, not a regular file, over the size cap,
/// not parsable or not an object → failure, file left byte-identical), apply
/// @p mutate, and when it reports a change: make a one-time `<file>.bak` of the
/// original (0600, only if none exists), write a unique temp file in the same
/// directory with the original's mode (0600 when new) and owner, fsync, and rename
/// it over the file, then fsync the directory. A symlinked `~/.claude.json` is
/// resolved and its target replaced, so the link survives.
///
/// Claude Code writes the file without locking, so the file's identity (inode,
/// size, mtime) is re-checked just before the rename; if it changed, the update
/// starts over from a fresh read (a few times, then `conflict`).
///
/// @return true when the file was written, false when @p mutate changed nothing.
/// @par Errors
/// `unavailable` (lock not obtained within @p lock_timeout), `invalid_state` (I/O,
/// parse or shape problems), `conflict`, or whatever @p mutate returns.
outcome<bool> update_claude_json(const std::filesystem::path& claude_json, const std::filesystem::path& state_dir,
                                 const claude_json_mutator& mutate, std::chrono::milliseconds lock_timeout);

/// Serialises @p root as `JSON.stringify(root, null, 2)` does (2-space indent,
/// `"key": value`, `[]`/`{}` when empty), so a rewrite keeps the file's look.
std::string to_pretty_json(const boost::json::value& root);

}  // namespace clauster::core::detail
