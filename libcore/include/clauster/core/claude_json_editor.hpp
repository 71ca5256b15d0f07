#pragma once

#include <clauster/core/error.hpp>

#include <chrono>
#include <filesystem>

namespace clauster::core {

/// Writes clauster's few flags into Claude Code's `~/.claude.json` (internals §1.11).
///
/// Every operation is one locked read-modify-write that touches only its own keys
/// and keeps every other key, and key order, as it was. The claude CLI itself writes
/// this file, so the editor never replaces a file it cannot read or parse, keeps a
/// one-time `~/.claude.json.bak`, and writes nothing when the flags are already set.
///
/// (The generic primitive is `detail::update_claude_json` in `libcore/src/claude_json.hpp`,
/// private to libcore because it exposes Boost.JSON types.)
///
/// @par Thread safety
/// Operations are serialised across threads and processes by a file lock under
/// `state_dir/locks`. They block (file I/O, up to the lock timeout): run them off
/// the io thread.
///
/// @par Errors
/// - `invalid_argument`: a relative or empty project path.
/// - `invalid_state`: the file is unreadable, not a regular file, too large (64 MiB),
///   does not parse, or has a non-object where a flag must go; or a write failed.
///   The message says which; the file is left byte-identical.
/// - `unavailable`: the lock was not obtained within the timeout.
/// - `conflict`: the file kept changing under us (Claude Code writing it).
class claude_json_editor {
public:
    /// @param claude_json usually `$HOME/.claude.json`.
    /// @param state_dir clauster's state directory (holds `locks/`).
    claude_json_editor(std::filesystem::path claude_json, std::filesystem::path state_dir,
                       std::chrono::milliseconds lock_timeout = std::chrono::seconds(10));

    /// Sets `projects[<project path>].hasTrustDialogAccepted = true`, creating the
    /// entry if needed and keeping its other keys. The key is the resolved (canonical)
    /// path when the directory exists, as Claude Code keys entries by its real cwd.
    ///
    /// @return true when the file was written, false when already trusted.
    outcome<bool> set_trusted(const std::filesystem::path& project_path) const;

    /// Sets the top-level `hasUsedRemoteControl` and `remoteDialogSeen` to true, so a
    /// detached bridge does not wait forever on "Enable Remote Control? (y/n)".
    ///
    /// @return true when the file was written, false when both were already true.
    outcome<bool> acknowledge_remote_control() const;

    const std::filesystem::path& path() const noexcept { return claude_json_; }

private:
    std::filesystem::path claude_json_;
    std::filesystem::path state_dir_;
    std::chrono::milliseconds lock_timeout_;
};

}  // namespace clauster::core
