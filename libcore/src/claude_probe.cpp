#include <clauster/core/claude_probe.hpp>

#include <cerrno>
#include <regex>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

bool is_executable_file(const fs::path& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

/// Runs argv with stdout+stderr captured (at most @p max_bytes), killing it at the deadline.
std::optional<std::string> run_capture(const std::vector<std::string>& argv, const environment& env,
                                       std::chrono::milliseconds timeout, std::size_t max_bytes = 64 * 1024) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group, so a timeout kill reaches anything it forked.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
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
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return std::nullopt;
    }

    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd pfd{fds[0], POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            timed_out = ready == 0;
            break;
        }
        char buf[4096];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (out.size() < max_bytes) out.append(buf, std::min(static_cast<std::size_t>(n), max_bytes - out.size()));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::optional<fs::path> resolve_executable(std::string_view binary, const environment& env) {
    if (binary.empty()) return std::nullopt;
    if (binary.find('/') != std::string_view::npos) {
        fs::path p{std::string(binary)};
        std::error_code ec;
        p = fs::absolute(p, ec);
        if (ec || !is_executable_file(p)) return std::nullopt;
        return p.lexically_normal();
    }
    const std::string path_var = get_env(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin");
    std::size_t start = 0;
    while (start <= path_var.size()) {
        const auto end = path_var.find(':', start);
        const std::string dir = path_var.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!dir.empty() && dir.front() == '/') {  // relative PATH entries are never trusted
            const fs::path candidate = fs::path(dir) / std::string(binary);
            if (is_executable_file(candidate)) return candidate;
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return std::nullopt;
}

claude_version_probe probe_claude_version(std::string_view binary, const environment& env,
                                          std::chrono::milliseconds timeout) {
    claude_version_probe probe;
    probe.path = resolve_executable(binary, env);
    if (!probe.path) return probe;
    const auto output = run_capture({probe.path->string(), "--version"}, env, timeout);
    if (!output) return probe;
    static const std::regex version_re(R"((\d+\.\d+(?:\.\d+)*))");
    std::smatch m;
    if (std::regex_search(*output, m, version_re)) {
        probe.ok = true;
        probe.version = m[1].str();
    }
    return probe;
}

}  // namespace clauster::core
