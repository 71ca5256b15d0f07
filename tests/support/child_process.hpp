#pragma once

#include <clauster/core/environment.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace clauster::test {

/// What a finished command printed and returned.
struct run_result {
    int exit_code = -1;  ///< -1 when killed by a signal or timed out
    std::string out;
    std::string err;
    bool timed_out = false;
};

/// Runs argv (never a shell) with @p env, feeding @p input on stdin, and waits
/// at most @p timeout (then SIGKILL).
run_result run_command(const std::vector<std::string>& argv, const core::environment& env,
                       const std::string& input = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// A background process (a server under test), killed on destruction.
class child_process {
public:
    /// Starts argv with stdout/stderr appended to @p log_file.
    child_process(const std::vector<std::string>& argv, const core::environment& env,
                  const std::filesystem::path& log_file);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }

    /// Sends @p sig to the process.
    void signal(int sig) const;

    /// Waits up to @p timeout for exit; @return the exit code, -2 for a signal, or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
};

/// Polls until @p path exists and is non-empty, up to @p timeout; @return its content or "".
std::string wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout);

/// The test's own environment with overrides applied (and CLAUSTER_* cleared first).
core::environment hermetic_env(const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace clauster::test
