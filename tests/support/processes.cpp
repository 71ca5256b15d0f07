#include "support/processes.hpp"

#include "support/temp_dir.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace clauster::test {
namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// The stat fields after the command name of @p pid ("" when there is no such process).
std::string stat_tail(int pid) {
    const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? std::string() : stat.substr(close + 2);
}

}  // namespace

bool alive(int pid) {
    const auto tail = stat_tail(pid);
    return !tail.empty() && tail[0] != 'Z' && tail[0] != 'X' && tail[0] != 'x';
}

int parent_of(int pid) {
    const auto tail = stat_tail(pid);
    const auto space = tail.find(' ');
    return space == std::string::npos ? 0 : std::atoi(tail.c_str() + space + 1);
}

bool wait_gone(int pid, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (!alive(pid)) return true;
        if (steady::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

void terminate_if_ours(int pid) {
    if (pid <= 0 || !alive(pid)) return;
    const auto cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    if (cmd.find("claude") == std::string::npos && cmd.find("__pty-keeper__") == std::string::npos) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 300 && alive(pid); ++i) std::this_thread::sleep_for(10ms);
    if (alive(pid)) ::kill(pid, SIGKILL);
}

//------------------------------------------------------------------------------

hand_process::hand_process(const std::vector<std::string>& argv, const core::environment& env,
                           const std::filesystem::path& cwd, std::filesystem::path log)
    : log_(std::move(log)) {
    std::vector<std::string> strings = argv;
    std::vector<char*> args;
    for (auto& a : strings) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn failed for " + argv.at(0));
}

hand_process::~hand_process() { stop(); }

std::string hand_process::output() const { return read_file(log_); }

void hand_process::signal(int sig) const {
    if (!reaped_) ::kill(pid_, sig);
}

std::optional<int> hand_process::wait(std::chrono::milliseconds timeout) {
    if (reaped_) return status_;
    const auto deadline = steady::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_ || (r < 0 && errno == ECHILD)) {
            reaped_ = true;
            status_ = r == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -2;
            return status_;
        }
        if (steady::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
}

bool hand_process::wait_output(std::string_view text, std::chrono::milliseconds timeout) const {
    const auto deadline = steady::now() + timeout;
    while (output().find(text) == std::string::npos) {
        if (steady::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

void hand_process::stop() {
    if (reaped_) return;
    signal(SIGTERM);
    if (wait(3s)) return;
    signal(SIGKILL);
    (void)wait(3s);
}

}  // namespace clauster::test
