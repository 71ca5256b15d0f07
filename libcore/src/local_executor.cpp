#include <clauster/core/local_executor.hpp>

#include <clauster/core/proc_fs.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace net = boost::asio;

namespace clauster::core {
namespace {

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

/// How long launch() waits for /proc to show the exec'd command line.
constexpr std::chrono::milliseconds exec_settle_timeout{1000};

//------------------------------------------------------------------------------
// Small RAII helpers.

class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    ~unique_fd() { reset(); }
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;

    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

/// Throws for failures of calls that only fail on resource exhaustion (ENOMEM):
/// "should never happen" environment failures (house style §3).
void check_posix(int rc, const char* what) {
    if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
}

class spawn_file_actions {
public:
    spawn_file_actions() { check_posix(::posix_spawn_file_actions_init(&actions_), "posix_spawn_file_actions_init"); }
    ~spawn_file_actions() { ::posix_spawn_file_actions_destroy(&actions_); }
    spawn_file_actions(const spawn_file_actions&) = delete;
    spawn_file_actions& operator=(const spawn_file_actions&) = delete;
    posix_spawn_file_actions_t* get() noexcept { return &actions_; }

private:
    posix_spawn_file_actions_t actions_{};
};

class spawn_attributes {
public:
    spawn_attributes() { check_posix(::posix_spawnattr_init(&attr_), "posix_spawnattr_init"); }
    ~spawn_attributes() { ::posix_spawnattr_destroy(&attr_); }
    spawn_attributes(const spawn_attributes&) = delete;
    spawn_attributes& operator=(const spawn_attributes&) = delete;
    posix_spawnattr_t* get() noexcept { return &attr_; }

private:
    posix_spawnattr_t attr_{};
};

/// A NULL-terminated `char*` array over owned copies (posix_spawn wants non-const).
class c_string_array {
public:
    explicit c_string_array(std::vector<std::string> strings) : storage_(std::move(strings)) {
        pointers_.reserve(storage_.size() + 1);
        for (auto& s : storage_) pointers_.push_back(s.data());
        pointers_.push_back(nullptr);
    }
    char* const* get() const noexcept { return pointers_.data(); }

private:
    std::vector<std::string> storage_;
    std::vector<char*> pointers_;
};

failure os_failure(errc code, std::string what, int err) {
    return make_failure(code, std::move(what) + ": " + std::strerror(err));
}

//------------------------------------------------------------------------------
// pidfds. Called through syscall(2) so the code builds against a glibc older
// than 2.36 too, and so that a kernel without them answers ENOSYS at run time.

/// A pidfd for @p pid; an empty fd with errno set on failure.
unique_fd open_pidfd(int pid) {
    const long fd = ::syscall(SYS_pidfd_open, pid, 0U);
    return unique_fd(fd < 0 ? -1 : static_cast<int>(fd));
}

/// The outcome of pinning a pid before validating it.
struct pin {
    unique_fd pidfd;  ///< empty when pidfds are unavailable (then kill(2) is used)
    bool gone = false;
};

/// Pins @p pid with a pidfd. A pidfd names one process for its whole life, so
/// once the pinned process is shown to be the recorded one, a signal sent through
/// it cannot reach a process that recycled the pid.
pin pin_process(int pid, bool use_pidfd) {
    pin p;
    if (!use_pidfd) return p;
    p.pidfd = open_pidfd(pid);
    // ESRCH: no such pid. EINVAL: the pid names a thread, not a process: not ours.
    if (!p.pidfd && (errno == ESRCH || errno == EINVAL)) p.gone = true;
    return p;
}

/// Sends @p sig through the pin (or kill(2) without one); 0 or an errno.
int send_signal(const pin& p, int pid, int sig) {
    const long rc = p.pidfd ? ::syscall(SYS_pidfd_send_signal, p.pidfd.get(), sig, nullptr, 0U) : ::kill(pid, sig);
    return rc == 0 ? 0 : errno;
}

//------------------------------------------------------------------------------
// Reaping.

exit_status to_exit_status(const siginfo_t& info) {
    exit_status status;
    switch (info.si_code) {
        case CLD_EXITED: status.code = info.si_status; break;
        case CLD_KILLED:
        case CLD_DUMPED: status.signal = info.si_status; break;
        default: break;
    }
    return status;
}

/// Reaps an exited child without blocking. Empty when it is not our child
/// (ECHILD) or already reaped by someone else.
exit_status reap(idtype_t type, id_t id) {
    // The kernel marks the task a zombie before it wakes pidfd pollers, so one
    // WNOHANG try suffices; a few short retries only guard against a kernel that
    // would order those the other way (bounded: at most ~50 ms on the io thread).
    for (int attempt = 0;; ++attempt) {
        siginfo_t info{};
        int rc = 0;
        do {
            rc = ::waitid(type, id, &info, WEXITED | WNOHANG);
        } while (rc < 0 && errno == EINTR);
        if (rc < 0) return {};  // ECHILD: not our child, or already reaped
        if (info.si_pid != 0) return to_exit_status(info);
        if (attempt == 10) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

//------------------------------------------------------------------------------
// launch() helpers.

outcome<void> validate_request(const launch_request& request) {
    if (request.argv.empty()) return make_failure(errc::invalid_argument, "cannot launch: empty argv");
    const std::string& program = request.argv.front();
    if (program.empty() || program.front() != '/')
        return make_failure(errc::invalid_argument, "cannot launch '" + program + "': argv[0] must be an absolute path");
    for (const auto& arg : request.argv)
        if (arg.find('\0') != std::string::npos)
            return make_failure(errc::invalid_argument, "cannot launch " + program + ": an argument contains a NUL byte");
    for (const auto& [name, value] : request.env)
        if (name.empty() || name.find_first_of(std::string_view("=\0", 2)) != std::string::npos ||
            value.find('\0') != std::string::npos)
            return make_failure(errc::invalid_argument, "cannot launch " + program + ": invalid environment variable '" + name + "'");
    if (request.output_path.empty())
        return make_failure(errc::invalid_argument, "cannot launch " + program + ": no output path");
    if (!request.cwd.empty()) {
        struct stat st{};
        if (::stat(request.cwd.c_str(), &st) != 0)
            return os_failure(errc::unavailable, "cannot launch " + program + ": working directory " + request.cwd.string(), errno);
        if (!S_ISDIR(st.st_mode))
            return make_failure(errc::unavailable,
                                "cannot launch " + program + ": working directory " + request.cwd.string() + " is not a directory");
    }
    return {};
}

/// Opens the output file in the parent, so that its errors are reported clearly
/// and a symlink is refused before anything runs.
outcome<unique_fd> open_output(const std::filesystem::path& path) {
    // O_NONBLOCK only keeps open() from hanging on a planted FIFO; cleared below.
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600));
    if (!fd) {
        const int err = errno;
        if (err == ELOOP)
            return make_failure(errc::invalid_argument, "refusing to write output through a symlink: " + path.string());
        return os_failure(errc::unavailable, "cannot open output file " + path.string(), err);
    }
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return os_failure(errc::unavailable, "cannot stat output file " + path.string(), errno);
    if (!S_ISREG(st.st_mode))
        return make_failure(errc::invalid_argument, "output path is not a regular file: " + path.string());
    if (st.st_uid != ::geteuid())
        return make_failure(errc::invalid_argument, "output file is owned by another user: " + path.string());
    // Output may carry secrets: owner-only, also for a file that existed before.
    if ((st.st_mode & 0077U) != 0 && ::fchmod(fd.get(), 0600) != 0)
        return os_failure(errc::unavailable, "cannot make output file private (chmod 0600) " + path.string(), errno);
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
        return os_failure(errc::unavailable, "cannot configure output file " + path.string(), errno);
    // dup2(fd, fd) would keep close-on-exec set: make sure fd is above 2 (it is,
    // unless the server runs with a closed stdio descriptor).
    if (fd.get() <= 2) {
        unique_fd high(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
        if (!high) return os_failure(errc::unavailable, "cannot duplicate output descriptor", errno);
        fd = std::move(high);
    }
    return fd;
}

std::vector<std::string> env_entries(const environment& env) {
    std::vector<std::string> entries;
    entries.reserve(env.size());
    for (const auto& [name, value] : env) entries.push_back(name + "=" + value);
    return entries;
}

/// glibc's posix_spawn returns once the child has exec'd, but the kernel
/// publishes the new command line (mm->arg_start) a moment after it releases the
/// vfork parent; until then /proc/<pid>/cmdline reads empty. Wait, bounded, until
/// it shows, so that an is_live() right after launch sees the real argv. A child
/// that already exited (zombie) ends the wait too.
void wait_for_exec_image(int pid) {
    const auto deadline = std::chrono::steady_clock::now() + exec_settle_timeout;
    auto pause = std::chrono::microseconds(50);
    for (;;) {
        const auto argv = read_cmdline(pid);
        if (!argv || !argv->empty()) return;
        const auto st = read_proc_stat(pid);
        if (!st || is_exited_state(st->state)) return;
        if (std::chrono::steady_clock::now() >= deadline) return;
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(5000));
    }
}

/// The stat of @p recorded's process when it is live in @p role: it exists, has
/// not exited, its identity matches, and its command line passes the gate.
std::optional<proc_stat> live_stat(const process_identity& recorded, process_role role) {
    if (recorded.pid <= 0) return std::nullopt;
    const auto st = read_proc_stat(recorded.pid);
    if (!st || is_exited_state(st->state)) return std::nullopt;
    if (!identity_matches(recorded, identity_from_stat(recorded.pid, *st))) return std::nullopt;
    const auto argv = read_cmdline(recorded.pid);
    if (!argv || !cmdline_matches_role(*argv, role)) return std::nullopt;
    // The command line must describe the process the stat described: read the
    // stat again and require the same start ticks (no recycle in between).
    const auto again = read_proc_stat(recorded.pid);
    if (!again || is_exited_state(again->state) || again->start_ticks != st->start_ticks) return std::nullopt;
    return again;
}

bool valid_signal(int sig) { return sig >= 0 && sig < NSIG; }

failure gone(const process_identity& recorded) {
    return make_failure(errc::not_found,
                        "process " + std::to_string(recorded.pid) + " is gone or no longer the recorded process");
}

}  // namespace

//------------------------------------------------------------------------------

local_executor::local_executor(net::any_io_executor ex, local_executor_options options)
    : ex_(std::move(ex)), options_(options) {}

outcome<process_identity> local_executor::launch(const launch_request& request) {
    if (auto valid = validate_request(request); !valid) return valid.error();
    const std::string& program = request.argv.front();

    auto output = open_output(request.output_path);
    if (!output) return output.error();

    // File actions run in the child in order: stdin from /dev/null, stdout and
    // stderr onto the output file (dup2 clears close-on-exec on 1 and 2), then
    // close every descriptor above 2 whatever its flags, then chdir.
    spawn_file_actions actions;
    check_posix(::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0), "addopen");
    check_posix(::posix_spawn_file_actions_adddup2(actions.get(), output->get(), 1), "adddup2");
    check_posix(::posix_spawn_file_actions_adddup2(actions.get(), output->get(), 2), "adddup2");
    check_posix(::posix_spawn_file_actions_addclosefrom_np(actions.get(), 3), "addclosefrom_np");
    if (!request.cwd.empty())
        check_posix(::posix_spawn_file_actions_addchdir_np(actions.get(), request.cwd.c_str()), "addchdir_np");

    // A new session (and process group), so the child survives the server and
    // terminal or group signals aimed at the server never reach it. Signals
    // ignored by the server (SIGPIPE, or SIGINT under some supervisors) would
    // stay ignored across exec, and a blocked mask would be inherited: reset both.
    spawn_attributes attributes;
    sigset_t none;
    sigset_t all;
    ::sigemptyset(&none);
    ::sigfillset(&all);
    check_posix(::posix_spawnattr_setsigmask(attributes.get(), &none), "setsigmask");
    check_posix(::posix_spawnattr_setsigdefault(attributes.get(), &all), "setsigdefault");
    check_posix(::posix_spawnattr_setflags(attributes.get(),
                                           static_cast<short>(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
                "setflags");

    const c_string_array argv(request.argv);
    const c_string_array envp(env_entries(request.env));
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, program.c_str(), actions.get(), attributes.get(), argv.get(), envp.get());
    output->reset();  // the child has its own copies on 1 and 2
    if (rc != 0) {
        // glibc has already reaped the failed child. chdir was checked above, so
        // the error is almost always the exec itself (ENOENT, EACCES, ENOEXEC).
        std::string what = "cannot execute " + program;
        if (!request.cwd.empty()) what += " in " + request.cwd.string();
        return os_failure(errc::unavailable, std::move(what), rc);
    }

    // The child is ours and unreaped, so its pid cannot be recycled: one stat
    // read gives its identity even if it has already exited.
    const auto st = read_proc_stat(pid);
    if (!st)
        // Only when SIGCHLD is ignored (auto-reap) or procfs is missing.
        return make_failure(errc::unavailable, program + " (pid " + std::to_string(pid) + ") vanished before it could be identified");
    auto identity = identity_from_stat(pid, *st);
    wait_for_exec_image(pid);
    return identity;
}

std::optional<process_identity> local_executor::identify(int pid) { return current_identity(pid); }

bool local_executor::is_live(const process_identity& recorded, process_role role) {
    return live_stat(recorded, role).has_value();
}

net::awaitable<exit_status> local_executor::wait_for_exit(process_identity recorded) {
    // Step 1: pin before checking (see pin_process): if the pinned process is the
    // recorded one, the pidfd's readiness is that process's exit.
    pin pinned = pin_process(recorded.pid, options_.use_pidfd);
    if (pinned.gone) co_return exit_status{};

    // Step 2: is it (still) the recorded process? An exited, unreaped child
    // (zombie) still is: reap it and report how it ended.
    const auto st = read_proc_stat(recorded.pid);
    if (!st || !identity_matches(recorded, identity_from_stat(recorded.pid, *st))) co_return exit_status{};
    if (is_exited_state(st->state)) co_return reap(P_PID, static_cast<id_t>(recorded.pid));

    // Step 3a: a pidfd turns readable when the process exits, whoever its parent
    // is. The descriptor takes ownership of the pidfd and closes it.
    if (pinned.pidfd) {
        net::posix::stream_descriptor exit_watch(ex_, pinned.pidfd.release());
        auto [ec] = co_await exit_watch.async_wait(net::posix::stream_descriptor::wait_read, use_nothrow);
        if (ec) throw boost::system::system_error(ec, "wait_for_exit");
        // Our child: reap through the pidfd (names exactly this process). Not our
        // child: ECHILD, and the exit status is unknowable.
        co_return reap(P_PIDFD, static_cast<id_t>(exit_watch.native_handle()));
    }

    // Step 3b: no pidfd (ENOSYS, or disabled): poll procfs. The start ticks tell a
    // recycled pid apart; a zombie with our ticks is still the recorded process.
    const std::uint64_t ticks = st->start_ticks;
    net::steady_timer timer(ex_);
    for (;;) {
        timer.expires_after(options_.poll_interval);
        auto [ec] = co_await timer.async_wait(use_nothrow);
        if (ec) throw boost::system::system_error(ec, "wait_for_exit");
        const auto now = read_proc_stat(recorded.pid);
        if (!now || now->start_ticks != ticks) co_return exit_status{};  // reaped elsewhere, maybe recycled
        if (is_exited_state(now->state)) co_return reap(P_PID, static_cast<id_t>(recorded.pid));
    }
}

outcome<void> local_executor::signal(const process_identity& recorded, process_role role, int sig) {
    if (!valid_signal(sig)) return make_failure(errc::invalid_argument, "invalid signal number " + std::to_string(sig));
    const pin pinned = pin_process(recorded.pid, options_.use_pidfd);
    if (pinned.gone || !live_stat(recorded, role)) return gone(recorded);
    if (const int err = send_signal(pinned, recorded.pid, sig); err != 0) {
        if (err == ESRCH) return gone(recorded);
        return os_failure(errc::unavailable, "cannot signal process " + std::to_string(recorded.pid), err);
    }
    return {};
}

outcome<void> local_executor::kill_tree(const process_identity& recorded, process_role role) {
    const pin root = pin_process(recorded.pid, options_.use_pidfd);
    if (root.gone) return gone(recorded);
    const auto st = live_stat(recorded, role);
    if (!st) return gone(recorded);

    // Snapshot the descendants (with start ticks) before anything dies: once a
    // parent dies its children are reparented to init or a subreaper and drop out
    // of the tree.
    struct member {
        int pid;
        std::uint64_t start_ticks;
    };
    std::vector<member> tree;
    for (const int pid : descendant_pids(recorded.pid))
        if (const auto d = read_proc_stat(pid); d && !is_exited_state(d->state)) tree.push_back({pid, d->start_ticks});

    // The whole group first, so that nothing in it can fork a replacement. The
    // root is alive and pinned, so its pid (== pgid) cannot have been recycled;
    // ESRCH (group already empty) is fine.
    if (st->pgrp == recorded.pid) ::kill(-recorded.pid, SIGKILL);

    // Then each descendant that left the group (setsid, setpgid), only if it is
    // still the process the snapshot saw.
    for (const auto& m : tree) {
        const pin p = pin_process(m.pid, options_.use_pidfd);
        if (p.gone) continue;
        const auto now = read_proc_stat(m.pid);
        if (!now || is_exited_state(now->state) || now->start_ticks != m.start_ticks) continue;
        send_signal(p, m.pid, SIGKILL);
    }

    // Finally the root (already dead when it led its group).
    send_signal(root, recorded.pid, SIGKILL);
    return {};
}

std::vector<int> local_executor::descendants(int pid) { return descendant_pids(pid); }

std::optional<std::filesystem::path> local_executor::cwd_of(int pid) { return read_cwd(pid); }

}  // namespace clauster::core
