// `claude remote-control …`: the headless Server Mode bridge.
//
// Writes the real debug-file marker lines (fixed ids and timestamps), the
// bridge pointer once "registered", and idles until SIGINT/SIGTERM, as
// described in clauster-internals.md §1.1–§1.3 and §2.3.
//
// Like the real bridge, it runs its session in an SDK worker child
// (`<argv0> --print --sdk-url …`, sdk_worker.cpp): that child, not the
// bridge, is what `agents --json` lists (kind "interactive").

#include "entry_points.hpp"

#include "common.hpp"
#include "registry.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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

//------------------------------------------------------------------------------
// The SDK worker child.

constexpr std::string_view sdk_url = "wss://fake.invalid/session";

/// How long the bridge waits for a new worker's session record before going on.
constexpr std::chrono::seconds worker_register_timeout{2};

/// How long a stopping worker gets after SIGTERM before SIGKILL.
constexpr std::chrono::seconds worker_stop_grace{3};

/// While idle with a live worker, the bridge wakes this often to reap it should it exit on its own.
constexpr std::chrono::seconds worker_reap_interval{1};

/// In the forked child: make it a proper worker of @p bridge and exec it. Never returns.
[[noreturn]] void exec_worker(pid_t bridge, const fs::path* worktree, char** argv) {
    // Die with the bridge, even when it is SIGKILLed or crashes. The flag survives exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The bridge may have died before prctl: nothing would kill this process then.
    if (::getppid() != bridge) ::_exit(0);

    // Undo the bridge's signal_listener: a blocked mask and SIG_IGN dispositions
    // survive exec, and would leave the worker deaf to SIGINT/SIGTERM (its own
    // listener sets up what it needs).
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction reset {};
    reset.sa_handler = SIG_DFL;
    ::sigemptyset(&reset.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &reset, nullptr);  // EINVAL for reserved ones

    // The worker writes nothing on stdout; keep stderr for its diagnostics.
    if (const int null_fd = ::open("/dev/null", O_RDWR); null_fd >= 0) {
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(null_fd, STDOUT_FILENO);
        if (null_fd > STDERR_FILENO) ::close(null_fd);
    }
    if (worktree != nullptr) {
        std::error_code ec;
        fs::create_directories(*worktree, ec);
        if (ec || ::chdir(worktree->c_str()) != 0) {
            write_fd(STDERR_FILENO, "fake-claude: cannot create the session worktree\n");
            ::_exit(1);
        }
    }
    ::execv("/proc/self/exe", argv);
    write_fd(STDERR_FILENO, "fake-claude: cannot exec the SDK worker\n");
    ::_exit(127);
}

/// The one SDK worker child of the bridge. Stopped explicitly on a clean stop;
/// on a crash the bridge just exits and PDEATHSIG takes the worker down.
class session_worker {
public:
    /// Forks and execs the worker, then waits (bounded) until it has written its
    /// session record, so that whoever sees the bridge ready also sees its session.
    /// @param in_worktree run it in a fresh `<cwd>/.claude/worktrees/fake-<8 hex>` (`--spawn worktree`).
    void start(const char* argv0, const std::string& name, bool in_worktree) {
        const pid_t bridge = ::getpid();
        const fs::path worktree = current_dir() / ".claude" / "worktrees" / ("fake-" + random_hex(8));
        std::vector<std::string> strings{argv0,
                                         "--print",
                                         "--sdk-url",
                                         std::string(sdk_url),
                                         "--fake-parent-pid",
                                         std::to_string(bridge),
                                         "--fake-session-name",
                                         name};
        std::vector<char*> child_argv;
        for (auto& text : strings) child_argv.push_back(text.data());
        child_argv.push_back(nullptr);

        std::fflush(nullptr);
        const pid_t child = ::fork();
        if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
        if (child == 0) exec_worker(bridge, in_worktree ? &worktree : nullptr, child_argv.data());
        pid_ = child;

        const fs::path record = session_record_path(child);
        const auto deadline = steady_clock::now() + worker_register_timeout;
        while (running() && steady_clock::now() < deadline) {
            std::error_code ec;
            if (fs::exists(record, ec)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            reap_if_exited();
        }
    }

    bool running() const { return pid_ > 0; }

    /// Reaps the worker if it has exited on its own: a bridge keeps no zombies.
    void reap_if_exited() {
        if (pid_ <= 0) return;
        int status = 0;
        const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
        if (reaped == pid_ || (reaped < 0 && errno == ECHILD)) pid_ = -1;
    }

    /// SIGTERM, then waitpid; SIGKILL (and the record removed for it) after a grace period.
    void stop() {
        if (pid_ <= 0) return;
        // An unreaped child's pid cannot have been recycled: signalling it is safe.
        ::kill(pid_, SIGTERM);
        const auto deadline = steady_clock::now() + worker_stop_grace;
        while (running()) {
            reap_if_exited();
            if (!running()) break;
            if (steady_clock::now() >= deadline) {
                ::kill(pid_, SIGKILL);
                int status = 0;
                while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
                }
                std::error_code ec;
                fs::remove(session_record_path(pid_), ec);
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

private:
    pid_t pid_ = -1;
};

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
    session_worker worker;
    if (!env_flag("FAKE_CLAUDE_NO_SESSION_WORKER"))
        worker.start(argv[0], flag_value(args, "--name").value_or(cwd.filename().string()), spawn_mode == "worktree");
    std::printf("Remote Control is active. Continue at https://claude.ai/code?environment=%s\n",
                std::string(fixed_env_id).c_str());
    std::fflush(stdout);

    const auto clean_stop = [&](std::string_view reason) {
        log.line("09.000", "DEBUG", "[bridge:shutdown] " + std::string(reason));
        if (with_pointer && !env_flag("FAKE_CLAUDE_KEEP_POINTER") && pointer_is_ours(pointer)) {
            std::error_code ec;
            fs::remove(pointer, ec);
        }
        worker.stop();
        return 0;
    };

    const bool crashes = mode == "crash_after";
    const auto crash_at = crashes ? steady_clock::now() + env_seconds("FAKE_CLAUDE_CRASH_AFTER", 2.0)
                                  : steady_clock::time_point::max();
    const auto stop_at = std::min(idle_until, crash_at);
    int sig = 0;
    for (;;) {
        // With a live worker, wake now and then to reap it should it exit on its own.
        const auto wake_at = worker.running() ? std::min(stop_at, steady_clock::now() + worker_reap_interval) : stop_at;
        sig = signals.wait_until(wake_at);
        if (sig != 0 || steady_clock::now() >= stop_at) break;
        worker.reap_if_exited();
    }
    if (sig != 0) return clean_stop(std::string(signal_name(sig)) + " received, shutting down");
    if (crashes && steady_clock::now() >= crash_at) {
        // A crash leaves its pointer behind, as a real one would; PDEATHSIG ends the
        // worker, whose session record is left behind (stale) too.
        std::fputs("Error: bridge connection lost (fake crash)\n", stderr);
        return 1;
    }
    return clean_stop("idle timeout reached, shutting down");
}

}  // namespace clauster::fake_claude
