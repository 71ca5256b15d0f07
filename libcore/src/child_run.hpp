#pragma once

#include <clauster/core/environment.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace clauster::core::detail {

/// How a synchronous child run ended.
struct child_run_result {
    /// False when the child could not be started (exec failed, bad cwd, no pipe).
    bool started = false;
    /// True when the deadline passed; the child's process group was then SIGKILLed.
    bool timed_out = false;
    /// The exit code of a normal exit; nullopt after a signal, a timeout or no start.
    std::optional<int> exit_code;
    std::string out;  ///< stdout, at most `max_bytes`
    std::string err;  ///< stderr, at most `max_bytes`

    bool ok() const noexcept { return started && !timed_out && exit_code == 0; }
};

/// Runs @p argv (argv[0] an absolute path; never a shell) and waits for it, at most
/// @p timeout, capturing stdout and stderr separately.
///
/// The child gets stdin from /dev/null, its own process group (so the timeout kill
/// reaches whatever it forked and did not detach), every descriptor above 2 closed,
/// the environment @p env minus the secret names of `scrub_secrets`, and @p cwd
/// when given. Reading stops once the child has exited and its pipes are drained,
/// even if a detached grandchild still holds them open.
///
/// Blocking: call it off the io thread for anything slow.
child_run_result run_child(const std::vector<std::string>& argv, const environment& env,
                           std::chrono::milliseconds timeout,
                           const std::optional<std::filesystem::path>& cwd = std::nullopt,
                           std::size_t max_bytes = 64 * 1024);

/// A child's output for an error message: stderr (stdout when stderr is
/// blank), every non-blank line redacted (`redact_line`) and trimmed, joined
/// with "; ", keeping the last @p max_bytes (cut on a UTF-8 boundary, led by
/// "…"); "no output" when there is none.
std::string redacted_output(const child_run_result& run, std::size_t max_bytes = 500);

}  // namespace clauster::core::detail
