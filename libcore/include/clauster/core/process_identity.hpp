#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

/// Who a process is beyond its pid. Pids are recycled; (pid, start ticks, boot id)
/// is not. Recorded at launch, persisted, and compared before every read that
/// reports liveness and every signal (spec §7.3).
struct process_identity {
    int pid = 0;
    /// `/proc/<pid>/stat` field 22: start time in clock ticks since boot (exact).
    std::optional<std::uint64_t> start_ticks;
    /// `/proc/sys/kernel/random/boot_id` when the identity was recorded.
    std::optional<std::string> boot_id;
    /// Start time as epoch seconds (boot time + ticks / CLK_TCK); coarse, for display and
    /// for rows written without ticks.
    std::optional<double> proc_start;

    bool operator==(const process_identity&) const = default;
};

/// The shape a process's command line must have to count as ours in a role, so a
/// recycled pid that now runs something else is never mistaken for a bridge.
///
/// Shared rules (implementation: process_identity.cpp):
/// - "claude program": argv[0] contains `claude` anywhere in its path (the
///   launcher `/usr/local/bin/claude`, or the native installer's versioned binary
///   `~/.local/share/claude/versions/2.1.156` whose file name is only a version);
///   or argv[0]'s file name is a script runtime (`node`, `nodejs`, `bun`, `deno`,
///   optionally with a version suffix such as `node22`) and its first non-option
///   argument, the script, contains `claude` in its path
///   (`node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js remote-control`).
/// - Only the tokens before the first `--` count: what follows is a prompt or a
///   wrapped command line (`claude --bg -- remote-control` is an agent whose prompt
///   is "remote-control"; a keeper's `-- <bridge argv>` does not make it a bridge).
/// - Flags match exactly or in `--flag=value` form.
enum class process_role {
    /// Any claude bridge: a claude program whose argv contains `remote-control`
    /// (subcommand) or a `--remote-control` flag, and no `--bg`.
    /// Never the bare `--rc` alias (a `claude --bg --rc` agent is not a bridge).
    bridge,
    /// The subcommand form only: a claude program with an exact `remote-control`
    /// argv element and no `--rc`, `--remote-control` or `--bg` token (adoption of
    /// external bridges). `--remote-control-session-name-prefix`, a flag of the
    /// subcommand form itself, is allowed.
    standard_bridge,
    /// A clauster PTY keeper: an exact `__pty-keeper__` argv element (the hidden
    /// sub-command, `<clauster-exe> __pty-keeper__ … -- <bridge argv>`), and
    /// argv[0]'s file name does not contain `claude` (a bridge labelled
    /// `__pty-keeper__` is not a keeper).
    keeper,
    /// Any claude program (background workers).
    claude_process,
};

/// True when @p argv passes the gate of @p role.
bool cmdline_matches_role(const std::vector<std::string>& argv, process_role role);

}  // namespace clauster::core
