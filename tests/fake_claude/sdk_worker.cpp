// `claude --print --sdk-url <url> …`: the SDK worker a subcommand bridge runs
// for its session.
//
// The real Claude Code's `agents --json` reports a remote-control bridge
// through this child (kind "interactive", cwd = the session's directory), not
// through the bridge itself; clausterd attributes it to its bridge by walking
// the bridge's process tree. The fake's bridge starts it (bridge_subcommand.cpp)
// with two fake-only flags: `--fake-parent-pid <bridge pid>` and
// `--fake-session-name <name>`.

#include "entry_points.hpp"

#include "common.hpp"
#include "registry.hpp"

#include <charconv>
#include <chrono>
#include <string>

#include <unistd.h>

namespace clauster::fake_claude {

namespace {

/// How often the worker checks that its bridge is still its parent. PDEATHSIG
/// (set by the bridge before exec) normally ends it first; this is the fallback.
constexpr std::chrono::milliseconds parent_check_interval{200};

/// The pid after `--fake-parent-pid`, or 0 when missing or malformed.
pid_t parent_pid_of(const arg_list& args) {
    const auto text = flag_value(args, "--fake-parent-pid");
    if (!text) return 0;
    int value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value <= 0) return 0;
    return static_cast<pid_t>(value);
}

}  // namespace

int run_sdk_worker(int argc, char** argv) {
    const arg_list args(argv + 1, argv + argc);
    // Signals first: a SIGTERM from the bridge that arrives before the record is
    // written is then still seen (and the record removed) instead of lost.
    signal_listener signals;
    const pid_t parent = parent_pid_of(args);
    // Only a child of a live bridge may register; anything else (a stray run, a
    // bridge that died before the exec) leaves at once.
    if (parent == 0 || ::getppid() != parent) return 0;

    const auto idle_until = idle_deadline();
    const fs::path cwd = current_dir();
    const std::string name = flag_value(args, "--fake-session-name").value_or(cwd.filename().string());
    write_session_record("interactive", name, cwd);
    for (;;) {
        const auto now = steady_clock::now();
        if (now >= idle_until) break;
        if (signals.wait_until(std::min(idle_until, now + parent_check_interval)) != 0) break;
        if (::getppid() != parent) break;
    }
    remove_session_record();
    return 0;
}

}  // namespace clauster::fake_claude
