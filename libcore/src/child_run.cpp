#include "child_run.hpp"

#include <clauster/core/redaction.hpp>

#include <cerrno>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace clauster::core::detail {
namespace {

using namespace std::chrono_literals;

/// Closes a descriptor once.
struct fd_guard {
    int fd = -1;
    ~fd_guard() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

/// Reads what is available on @p fd into @p sink (capped). @return false at EOF or error.
bool drain_once(int fd, std::string& sink, std::size_t max_bytes) {
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        if (n <= 0) return false;
        const auto got = static_cast<std::size_t>(n);
        if (sink.size() < max_bytes) sink.append(buf, std::min(got, max_bytes - sink.size()));
        return true;
    }
}

}  // namespace

child_run_result run_child(const std::vector<std::string>& argv, const environment& env,
                           std::chrono::milliseconds timeout, const std::optional<std::filesystem::path>& cwd,
                           std::size_t max_bytes) {
    child_run_result result;
    if (argv.empty() || argv.front().empty() || argv.front().front() != '/') return result;

    int out_fds[2];
    int err_fds[2];
    // Only our read ends are non-blocking: the child's write ends must block
    // when the pipe is full, or a child printing more than 64 KiB fails its
    // write (EAGAIN) and its output is silently truncated.
    if (::pipe2(out_fds, O_CLOEXEC) != 0) return result;
    fd_guard out_r{out_fds[0]}, out_w{out_fds[1]};
    if (::pipe2(err_fds, O_CLOEXEC) != 0) return result;
    fd_guard err_r{err_fds[0]}, err_w{err_fds[1]};
    for (const int fd : {out_r.fd, err_r.fd})
        if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) return result;

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd->c_str());
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group, so a timeout kill reaches anything it forked; default
    // signal dispositions and an empty mask, whatever the embedder set.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attr, 0);

    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : scrub_secrets(env)) env_strings.push_back(k + "=" + v);
    std::vector<char*> cenv;
    for (auto& e : env_strings) cenv.push_back(e.data());
    cenv.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, cargv[0], &actions, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    out_w.reset();
    err_w.reset();
    if (rc != 0) return result;
    result.started = true;

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<std::chrono::steady_clock::time_point> exited_at;
    int status = 0;
    bool reaped = false;
    for (;;) {
        if (!reaped) {
            const pid_t w = ::waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                reaped = true;
                exited_at = std::chrono::steady_clock::now();
            }
        }
        const bool out_open = out_r.fd >= 0;
        const bool err_open = err_r.fd >= 0;
        if (reaped && !out_open && !err_open) break;
        const auto now = std::chrono::steady_clock::now();
        // A detached grandchild may keep the pipes open: stop shortly after the exit.
        if (exited_at && now - *exited_at > 200ms) break;
        if (!reaped && now >= deadline) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return result;
        }
        pollfd pfds[2];
        nfds_t n = 0;
        if (out_open) pfds[n++] = pollfd{out_r.fd, POLLIN, 0};
        if (err_open) pfds[n++] = pollfd{err_r.fd, POLLIN, 0};
        // Short slices: the exit is noticed by waitpid, not only by EOF.
        const int ready = n == 0 ? (::poll(nullptr, 0, 20), 0) : ::poll(pfds, n, 50);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        for (nfds_t i = 0; i < n; ++i) {
            if (pfds[i].revents == 0) continue;
            const bool is_out = pfds[i].fd == out_r.fd;
            if (!drain_once(pfds[i].fd, is_out ? result.out : result.err, max_bytes))
                (is_out ? out_r : err_r).reset();
        }
    }
    if (!reaped)  // a poll error ended the loop early
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    return result;
}

std::string redacted_output(const child_run_result& run, std::size_t max_bytes) {
    const std::string& text = run.err.find_first_not_of(" \t\r\n") != std::string::npos ? run.err : run.out;
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = redact_line(std::string_view(text).substr(start, end - start));
        const auto first = line.find_first_not_of(" \t\r\n\v\f");
        if (first != std::string::npos) {
            const auto last = line.find_last_not_of(" \t\r\n\v\f");
            out += (out.empty() ? "" : "; ") + line.substr(first, last - first + 1);
        }
        start = end + 1;
    }
    if (out.size() > max_bytes) {
        std::size_t cut = out.size() - max_bytes;
        while (cut < out.size() && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) ++cut;  // UTF-8 boundary
        out = "…" + out.substr(cut);
    }
    return out.empty() ? "no output" : out;
}

}  // namespace clauster::core::detail
