// `claude remote-control …`: the headless Server Mode bridge.
//
// Writes the real debug-file marker lines (fixed ids and timestamps), the
// bridge pointer once "registered", and idles until SIGINT/SIGTERM, as
// described in clauster-internals.md §1.1–§1.3 and §2.3.

#include "entry_points.hpp"

#include "common.hpp"
#include "registry.hpp"

#include <csignal>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace clauster::fake_claude {

namespace json = boost::json;

namespace {

/// The debug file, or nothing when no `--debug-file` was passed.
class debug_log {
public:
    explicit debug_log(std::optional<std::string> path) : path_(std::move(path)) {}

    /// Appends `<timestamp> [<level>] <text>`; the timestamps are fixed.
    void line(std::string_view timestamp, std::string_view level, std::string_view text) const {
        if (!path_) return;
        std::string out = "2026-01-01T00:00:";
        out += timestamp;
        out += "Z [";
        out += level;
        out += "] ";
        out += text;
        append_line(*path_, out);
    }

private:
    std::optional<std::string> path_;
};

std::string spawn_mode_of(const arg_list& args) { return flag_value(args, "--spawn").value_or("same-dir"); }

std::string max_sessions_of(const arg_list& args, std::string_view spawn_mode) {
    if (spawn_mode == "session") return "1";
    return flag_value(args, "--capacity").value_or("32");
}

bool is_known_mode(std::string_view mode) {
    for (std::string_view known : {"ready", "resume", "slow", "no_marker", "stall", "trust_error", "crash",
                                   "stderr_error", "crash_after", "ignore_sigint"})
        if (mode == known) return true;
    return false;
}

/// The pointer is ours only while its pid is this process.
bool pointer_is_ours(const fs::path& path) {
    auto pointer = read_json_object(path);
    if (!pointer) return false;
    const auto* pid = pointer->if_contains("pid");
    return pid != nullptr && pid->is_int64() && pid->as_int64() == ::getpid();
}

void write_pointer(const fs::path& path, bool resume) {
    std::string session_id(fixed_starter_session_id);
    if (resume) {
        // A reconnecting bridge keeps the session it had.
        if (auto old = read_json_object(path)) {
            if (const auto* sid = old->if_contains("sessionId"); sid != nullptr && sid->is_string())
                session_id = std::string(sid->as_string());
        }
    }
    const pid_t pid = ::getpid();
    json::object pointer;
    pointer["sessionId"] = session_id;
    pointer["environmentId"] = fixed_env_id;
    pointer["source"] = env_string("FAKE_CLAUDE_POINTER_SOURCE", "remote-control");
    pointer["pid"] = pid;
    pointer["procStart"] = start_ticks(pid);
    write_json_atomic(path, pointer);
}

}  // namespace

int run_bridge_subcommand(int argc, char** argv) {
    const arg_list args(argv + 1, argv + argc);
    const auto debug_file = flag_value(args, "--debug-file");
    // The recorded argv comes first, whatever the mode: tests read it even after a crash.
    if (debug_file) record_argv(*debug_file, argc, argv);

    const std::string mode = env_string("FAKE_CLAUDE_MODE", "ready");
    if (!is_known_mode(mode)) {
        std::fprintf(stderr, "fake-claude: unknown FAKE_CLAUDE_MODE '%s' for remote-control\n", mode.c_str());
        return 2;
    }
    // ignore_sigint: ready, but deaf to SIGINT (stop escalation must SIGKILL it).
    signal_listener signals(mode != "ignore_sigint");
    const debug_log log(debug_file);
    const auto idle_until = idle_deadline();

    if (mode == "crash") return 1;
    if (mode == "stderr_error") {
        std::fputs("Error: failed to authenticate bridge to controller (HTTP 401)\n", stderr);
        return 1;
    }
    if (mode == "trust_error") {
        log.line("00.050", "ERROR", "Workspace not trusted");
        std::fputs("Error: Workspace not trusted. Run `claude` in this directory once and accept the trust dialog.\n",
                   stderr);
        return 1;
    }
    if (mode == "stall") {
        // Alive but never registered (typically unreadable OAuth credentials).
        log.line("00.050", "ERROR", "Failed to read OAuth token: permission denied");
        signals.wait_until(idle_until);
        return 0;
    }
    if (mode == "slow") {
        const int sig = signals.wait_until(steady_clock::now() + env_seconds("FAKE_CLAUDE_SLOW", 1.0));
        if (sig != 0) {
            log.line("09.000", "DEBUG", "[bridge:shutdown] " + std::string(signal_name(sig)) +
                                            " received, shutting down");
            return 0;
        }
    }

    const auto spawn_mode = spawn_mode_of(args);
    log.line("00.000", "DEBUG", "[bridge:init] bridgeId=" + std::string(fixed_bridge_id) + " dir=/x branch=HEAD");
    log.line("00.120", "DEBUG",
             "[bridge:api] POST /v1/environments/bridge -> 200 environment_id=" + std::string(fixed_env_id));
    if (mode != "resume")
        log.line("00.250", "DEBUG", "[bridge:init] Created initial session " + std::string(fixed_starter_session_id));
    if (mode == "no_marker") return 0;
    log.line("00.400", "DEBUG",
             "[bridge:work] Starting poll loop spawnMode=" + spawn_mode +
                 " maxSessions=" + max_sessions_of(args, spawn_mode) + " environmentId=" + std::string(fixed_env_id));

    const fs::path cwd = current_dir();
    const fs::path pointer = pointer_path(cwd);
    const bool with_pointer = !env_flag("FAKE_CLAUDE_NO_POINTER");
    if (with_pointer) write_pointer(pointer, mode == "resume");
    write_session_record("bridge", flag_value(args, "--name").value_or(cwd.filename().string()), cwd);
    std::printf("Remote Control is active. Continue at https://claude.ai/code?environment=%s\n",
                std::string(fixed_env_id).c_str());
    std::fflush(stdout);

    const auto clean_stop = [&](std::string_view reason) {
        log.line("09.000", "DEBUG", "[bridge:shutdown] " + std::string(reason));
        if (with_pointer && !env_flag("FAKE_CLAUDE_KEEP_POINTER") && pointer_is_ours(pointer)) {
            std::error_code ec;
            fs::remove(pointer, ec);
        }
        remove_session_record();
        return 0;
    };

    const bool crashes = mode == "crash_after";
    const auto crash_at = crashes ? steady_clock::now() + env_seconds("FAKE_CLAUDE_CRASH_AFTER", 2.0)
                                  : steady_clock::time_point::max();
    const int sig = signals.wait_until(std::min(idle_until, crash_at));
    if (sig != 0) return clean_stop(std::string(signal_name(sig)) + " received, shutting down");
    if (crashes && steady_clock::now() >= crash_at) {
        // A crash leaves its pointer and session record behind, as a real one would.
        std::fputs("Error: bridge connection lost (fake crash)\n", stderr);
        return 1;
    }
    return clean_stop("idle timeout reached, shutting down");
}

}  // namespace clauster::fake_claude
