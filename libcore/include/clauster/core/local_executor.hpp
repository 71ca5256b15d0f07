#pragma once

#include <clauster/core/executor.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>

namespace clauster::core {

/// Tuning knobs of @ref local_executor (defaults suit production).
struct local_executor_options {
    /// Period of the exit poll used where `pidfd_open` is unavailable (kernels
    /// before 5.3, seccomp filters returning ENOSYS).
    std::chrono::milliseconds poll_interval{250};
    /// False forces the poll fallback (tests exercise it this way).
    bool use_pidfd = true;
};

/// Runs processes on this Linux host, supervised through procfs and pidfds.
///
/// - **launch**: `posix_spawn` (glibc's is vfork-based and returns only once the
///   child has exec'd, reporting exec errors synchronously) with
///   `POSIX_SPAWN_SETSID` (new session and process group, so the child outlives
///   the server and a SIGINT to the server never reaches it), every signal
///   disposition reset to default and an empty signal mask, stdin `/dev/null`,
///   stdout+stderr appended to `output_path` (opened in the parent first with
///   `O_NOFOLLOW`, mode 0600), `chdir` to `cwd`, `environ` exactly
///   `request.env`, and **every descriptor above 2 closed** in the child
///   (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34+), so no stray
///   descriptor leaks even when another thread or library opened one without
///   `O_CLOEXEC`. (This is why no fork+close_range path is needed. One glibc
///   quirk remains: its posix_spawn leaves glibc's two internal real-time
///   signals, 32 and 33, ignored in the child; no standard signal is affected.)
/// - **identity**: pid + start ticks + boot id + epoch, see proc_fs.hpp.
/// - **wait_for_exit**: a pidfd watched by the executor's reactor; where
///   `pidfd_open` fails with ENOSYS, a `steady_timer` poll of procfs every
///   @ref local_executor_options::poll_interval.
/// - **signal / kill_tree**: the target is pinned with a pidfd *before* its
///   identity and role are re-validated, and signalled through that pidfd
///   (`pidfd_send_signal`), so there is no window in which a recycled pid could
///   receive the signal. Without pidfds it falls back to `kill(2)` right after the
///   check.
///
/// Children are not reaped behind the caller's back: a launched process stays a
/// zombie after it exits until @ref wait_for_exit reaps it, so keep one
/// wait_for_exit pending per launched process. Do not set SIGCHLD to SIG_IGN in
/// the embedding process (the kernel would then reap children itself and exit
/// codes would be lost).
///
/// @par Thread safety
/// Not thread-safe; use from the executor (io thread) it was built on. The
/// procfs reads and syscalls are short and run synchronously on that thread.
class local_executor final : public executor {
public:
    explicit local_executor(boost::asio::any_io_executor ex, local_executor_options options = {});

    /// @par Errors
    /// - `invalid_argument`: empty argv, relative argv[0], a NUL byte in an
    ///   argument, an environment name that is empty or contains `=`, an empty
    ///   `output_path`, or an `output_path` that is a symlink or not a regular file
    ///   or not owned by this user.
    /// - `unavailable`: the output file cannot be opened, the cwd does not exist
    ///   or is not a directory, or exec failed (missing or non-executable binary);
    ///   the message names the binary and the OS error.
    outcome<process_identity> launch(const launch_request& request) override;

    std::optional<process_identity> identify(int pid) override;

    bool is_live(const process_identity& recorded, process_role role) override;

    /// Also returns at once (with an empty status) when @p recorded does not name
    /// a process that exists now. An exited but unreaped child of ours is reaped
    /// and reported. The status is empty when the process was not our child, or
    /// when something else reaped it first.
    /// @par Exception safety
    /// Cancellation (per-operation cancellation of the awaiting coroutine, or the
    /// executor shutting down) is reported by throwing `boost::system::system_error`
    /// with `boost::asio::error::operation_aborted`, never as an exit.
    boost::asio::awaitable<exit_status> wait_for_exit(process_identity recorded) override;

    /// @par Errors `not_found` (gone, zombie, identity or role mismatch),
    /// `invalid_argument` (a signal number out of range), `unavailable` (the
    /// kernel refused, e.g. EPERM).
    outcome<void> signal(const process_identity& recorded, process_role role, int sig) override;

    /// Validates the root as @ref signal does (a zombie root is `not_found`), then
    /// snapshots its descendants with their start ticks, SIGKILLs its process group
    /// when it leads one (`kill(-pgid)`), then each snapshotted descendant that is
    /// still the same process (those that left the group with setsid), then the
    /// root. Reaping is left to @ref wait_for_exit.
    outcome<void> kill_tree(const process_identity& recorded, process_role role) override;

    std::vector<int> descendants(int pid) override;

    std::optional<std::filesystem::path> cwd_of(int pid) override;

private:
    boost::asio::any_io_executor ex_;
    local_executor_options options_;
};

}  // namespace clauster::core
