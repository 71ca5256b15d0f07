#pragma once

#include <clauster/core/environment.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/process_identity.hpp>

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace clauster::core {

/// What to run, exactly: argv as a list (never a shell), cwd and the whole
/// child environment (the caller scrubs and overlays it).
struct launch_request {
    /// argv[0] must be an absolute path to an executable.
    std::vector<std::string> argv;
    std::filesystem::path cwd;
    environment env;
    /// stdout and stderr are appended here; created 0600 when missing, never
    /// through a symlink.
    std::filesystem::path output_path;
};

/// How a watched process ended. Both fields are empty when the process was not
/// our child (e.g. reattached after a restart): the exit code is then unknowable.
struct exit_status {
    std::optional<int> code;
    std::optional<int> signal;
};

/// Launches and watches processes: the seam between the domain and where agents
/// run (this host today; a remote engine such as Slurm later).
///
/// Liveness never trusts a bare pid: a process is live only when it exists, is
/// not a zombie, its start identity matches the recorded one (ticks exactly; boot
/// id equal when both sides have one; otherwise the epoch within 2 s) and its
/// command line passes the role's gate. (Precisely, for the Linux implementation:
/// recorded ticks must match exactly; a boot id mismatch is dead; equal ticks and
/// boot id are a complete identity; equal ticks without comparable boot ids need
/// only a coarse ±1 h same-boot epoch check, or none when either side lacks an
/// epoch, as for a bridge pointer's `procStart`; the ±2 s epoch check applies
/// when no ticks were recorded. See `identity_matches` in proc_fs.hpp.)
/// Destructive calls re-check all of that immediately before signalling and
/// refuse (`errc::not_found`) on any doubt.
///
/// @par Thread safety
/// Not thread-safe; use from the executor (io thread) it was built on.
class executor {
public:
    virtual ~executor() = default;

    /// Starts a detached process: its own session and process group (setsid),
    /// stdin from /dev/null, stdout+stderr to `output_path`. The process outlives
    /// the server. @return its identity, read right after launch.
    /// @par Errors `invalid_argument` (relative argv[0], empty argv), `unavailable`
    /// (exec failed: missing or not executable binary, bad cwd).
    virtual outcome<process_identity> launch(const launch_request& request) = 0;

    /// The current identity of @p pid (nullopt when it does not exist or is a zombie).
    virtual std::optional<process_identity> identify(int pid) = 0;

    /// True when @p recorded still names a running process in @p role (see class doc).
    virtual bool is_live(const process_identity& recorded, process_role role) = 0;

    /// Completes when the process exits, without busy polling (a pidfd); at once
    /// when it is already gone. Reaps it when it is our child.
    virtual boost::asio::awaitable<exit_status> wait_for_exit(process_identity recorded) = 0;

    /// Sends @p sig to the process after re-validating its identity and role.
    /// @par Errors `not_found` when it is gone or no longer matches.
    virtual outcome<void> signal(const process_identity& recorded, process_role role, int sig) = 0;

    /// SIGKILL to the process's group and its descendants, only when its identity
    /// and role still match. @par Errors `not_found` as for @ref signal.
    virtual outcome<void> kill_tree(const process_identity& recorded, process_role role) = 0;

    /// Pids of all descendants of @p pid (children first), for session attribution.
    virtual std::vector<int> descendants(int pid) = 0;

    /// The current working directory of @p pid, when readable.
    virtual std::optional<std::filesystem::path> cwd_of(int pid) = 0;
};

}  // namespace clauster::core
