// `claude --remote-control <name> …`: the Interactive Session TUI, run on a pty.
//
// Prints the connect URL on its terminal and, like the real TUI, needs a
// second Ctrl-C (SIGINT) within a short window to exit; SIGTERM exits at once.

#include "entry_points.hpp"

#include "common.hpp"
#include "registry.hpp"

#include <csignal>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace clauster::fake_claude {

namespace {

constexpr std::string_view connect_banner =
    "\r\n/remote-control is active \xc2\xb7 Continue at https://claude.ai/code/session_01TESTPTYSESSIONAAAAA\r\n";
constexpr std::string_view confirm_prompt = "\r\nPress Ctrl-C again to exit\r\n";

/// The session name: the value after `--remote-control`/`--rc`, unless it is another flag.
std::string session_name(const arg_list& args) {
    for (std::string_view flag : {"--remote-control", "--rc"}) {
        if (auto value = flag_value(args, flag); value && !value->starts_with("-")) return *value;
    }
    return {};
}

/// A worktree name is a single path component that cannot be mistaken for a flag.
bool is_valid_worktree_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.starts_with("-") || name.starts_with(".")) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

int run_bridge_flag_form(int argc, char** argv) {
    const arg_list args(argv + 1, argv + argc);
    const auto debug_file = flag_value(args, "--debug-file");
    if (debug_file) record_argv(*debug_file, argc, argv);

    const std::string mode = env_string("FAKE_CLAUDE_MODE", "ready");
    signal_listener signals;
    const auto idle_until = idle_deadline();

    if (mode == "crash") {
        std::fputs("Error: Remote Control failed to start (fake crash)\n", stderr);
        return 1;
    }

    // `--worktree <name>` runs the session inside <cwd>/.claude/worktrees/<name>.
    if (auto worktree = flag_value(args, "--worktree")) {
        if (!is_valid_worktree_name(*worktree)) {
            std::fprintf(stderr, "Error: invalid worktree name '%s'\n", worktree->c_str());
            return 1;
        }
        const fs::path dir = current_dir() / ".claude" / "worktrees" / *worktree;
        fs::create_directories(dir);
        fs::current_path(dir);
    }
    if (debug_file && has_flag(args, "--continue")) {
        append_line(*debug_file, "2026-01-01T00:00:00.300Z [DEBUG] [remote-bridge] Unarchive " +
                                     std::string(fixed_pty_session_id));
    }
    const fs::path cwd = current_dir();
    write_session_record("interactive", session_name(args), cwd);

    const auto never = steady_clock::time_point::max();
    auto url_at = mode == "pty_no_url" ? never
                  : mode == "pty_slow" ? steady_clock::now() + env_seconds("FAKE_CLAUDE_SLOW", 0.8)
                                       : steady_clock::now();
    const auto crash_at =
        mode == "crash_after" ? steady_clock::now() + env_seconds("FAKE_CLAUDE_CRASH_AFTER", 2.0) : never;
    const auto confirm_window = env_seconds("FAKE_CLAUDE_SIGINT_WINDOW", 2.0);
    auto confirm_until = never;  // set while the "press Ctrl-C again" prompt is showing

    for (;;) {
        const auto next = std::min({url_at, crash_at, confirm_until, idle_until});
        const int sig = signals.wait_until(next);
        if (sig == SIGTERM) break;
        if (sig == SIGINT) {
            if (confirm_until != never) break;
            write_fd(STDOUT_FILENO, confirm_prompt);
            confirm_until = steady_clock::now() + confirm_window;
            continue;
        }
        const auto now = steady_clock::now();
        if (now >= url_at) {
            write_fd(STDOUT_FILENO, connect_banner);
            url_at = never;
        }
        if (now >= crash_at) {
            std::fputs("Error: Remote Control disconnected (fake crash)\n", stderr);
            return 1;  // a crash leaves its session record behind
        }
        if (now >= confirm_until) confirm_until = never;  // the prompt lapsed: one more SIGINT only asks again
        if (now >= idle_until) break;
    }
    remove_session_record();
    return 0;
}

}  // namespace clauster::fake_claude
