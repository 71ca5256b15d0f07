#pragma once

#include <clauster/core/config.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

/// Everything a bridge command line depends on.
struct bridge_launch_options {
    std::string label;
    std::filesystem::path debug_file;
    core::spawn_mode spawn_mode = spawn_mode::same_dir;
    core::permission_mode permission_mode = permission_mode::default_mode;
    std::optional<std::string> session_name_prefix;
    int capacity = 32;
    bool verbose = false;
    /// Interactive only: `--worktree <name>` (spawn_mode worktree).
    std::optional<std::string> worktree_name;
    /// Interactive only: `--continue` (resume of the same instance).
    bool continue_session = false;
    /// Interactive only: `--resume <uuid> --fork-session`.
    std::optional<std::string> resume_session_id;
};

/// Builds an agent CLI's command lines (without the binary itself, which the
/// caller resolves to an absolute path). One profile per agent CLI: Claude Code
/// today; codex, gemini or opencode later.
class agent_profile {
public:
    virtual ~agent_profile() = default;

    /// Server Mode: a detached multi-session bridge.
    virtual std::vector<std::string> server_mode_args(const bridge_launch_options& o) const = 0;

    /// Interactive Session: the TUI run inside a PTY keeper.
    virtual std::vector<std::string> interactive_args(const bridge_launch_options& o) const = 0;
};

/// Claude Code's command lines (spec §7.1).
class claude_profile final : public agent_profile {
public:
    std::vector<std::string> server_mode_args(const bridge_launch_options& o) const override;
    std::vector<std::string> interactive_args(const bridge_launch_options& o) const override;
};

}  // namespace clauster::core
