#pragma once

#include <clauster/core/environment.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace clauster::test {

/// True while @p pid exists and is not a zombie (read from /proc/<pid>/stat).
bool alive(int pid);

/// The parent pid of @p pid (0 when unknown).
int parent_of(int pid);

/// Polls until @p pid is gone (or only its zombie is left), at most @p timeout.
/// @return false when it still runs at the deadline.
bool wait_gone(int pid, std::chrono::milliseconds timeout);

/// Ends @p pid if it still runs one of ours, the fake claude or a PTY keeper
/// (`clauster __pty-keeper__`): SIGTERM (both exit at once on it), up to 3 s
/// until it is gone, then SIGKILL. Checking the command line first keeps a
/// recycled pid safe: a listing may name a process that ended long ago.
void terminate_if_ours(int pid);

/// A process the test starts by hand in a chosen directory (an external
/// session, as a user would start `claude` in a terminal), with stdout and
/// stderr appended to a log file. On destruction: SIGTERM, then SIGKILL, and
/// reaped. (child_process has no working directory, hence this owner.)
class hand_process {
public:
    /// Starts @p argv (never a shell) in @p cwd with exactly @p env.
    hand_process(const std::vector<std::string>& argv, const core::environment& env, const std::filesystem::path& cwd,
                 std::filesystem::path log);
    ~hand_process();
    hand_process(const hand_process&) = delete;
    hand_process& operator=(const hand_process&) = delete;

    int pid() const { return pid_; }

    /// Everything the process printed so far.
    std::string output() const;

    /// Sends @p sig (no reaping: a killed process stays a zombie until @ref wait).
    void signal(int sig) const;

    /// Reaps the process within @p timeout: its exit code, -2 for a signal, nullopt while it runs.
    std::optional<int> wait(std::chrono::milliseconds timeout);

    /// Polls until the output holds @p text (at most @p timeout).
    bool wait_output(std::string_view text, std::chrono::milliseconds timeout) const;

    /// SIGTERM, up to 3 s, then SIGKILL; reaped either way.
    void stop();

private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    std::optional<int> status_;
};

}  // namespace clauster::test
