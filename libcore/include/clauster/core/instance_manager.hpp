#pragma once

#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/environment.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/event.hpp>
#include <clauster/core/executor.hpp>
#include <clauster/core/instance.hpp>
#include <clauster/core/instance_store.hpp>
#include <clauster/core/project_catalog.hpp>
#include <clauster/core/session_attribution.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace clauster::core {

/// The hint that ends the untrusted-directory refusal for API callers (spec §2.3);
/// the CLI replaces it with its own (`Pass --trust …`).
inline constexpr std::string_view untrusted_api_hint = " Use the Trust action first.";

/// The untrusted-directory refusal: `directory not trusted: <path>.` + @ref untrusted_api_hint.
std::string untrusted_message(const std::filesystem::path& project_path);

/// A request to launch a bridge (`POST /api/instances`, `clauster start`).
/// Absent options take the configured defaults; values are the wire strings
/// and are validated by the manager (422 on a bad one).
struct spawn_request {
    std::string project;
    std::optional<std::string> channel;          ///< `remote-control` (default) | `hosted`
    std::optional<std::string> spawn_mode;       ///< same-dir | worktree | session
    std::optional<std::string> permission_mode;  ///< default | plan | acceptEdits | auto | dontAsk | bypassPermissions | inherit
    std::optional<std::string> resume_mode;      ///< standard | pty
    std::optional<std::string> name;             ///< custom label for a standard bridge
    std::optional<std::string> sandbox;          ///< default | on | off (validated, inert)
    std::optional<std::string> resume_session_id;  ///< pty only: fork a past conversation
    /// Accept the workspace trust dialog for the project first (CLI `--trust`).
    bool trust = false;
};

/// What spawn and resume hand back: the instance plus whether something was launched.
struct spawn_result {
    instance inst;
    bool created = false;
    std::optional<std::string> reason;  ///< why nothing was launched (created == false)
    std::vector<std::string> warnings;
};

/// Where the manager keeps and finds its files.
struct instance_paths {
    std::filesystem::path state_dir;  ///< logs/, locks/
    std::filesystem::path home;       ///< ~/.claude.json, ~/.claude/projects/…/bridge-pointer.json
    /// The `clauster` executable that provides `__pty-keeper__`.
    std::filesystem::path keeper_executable;
};

/// Spawns, supervises, stops, resumes and reattaches bridges (spec §3.2, §7.2, §7.3).
///
/// All work runs on the executor given at construction (one io thread); waits
/// (readiness, stop escalation) are coroutines, never blocking sleeps. Processes
/// are launched through the @ref executor port and every durable change goes to
/// the @ref instance_store before it matters (intentional_stop before a signal),
/// so a server killed at any point comes back to the same bridges. Several
/// processes (server, CLI) may manage one state_dir at once: spawn and stop hold a
/// per-project file lock, and rows written by another process are picked up.
///
/// @par Errors (as `failure` with an operator message)
/// `not_found` unknown project or instance (404), `invalid_argument` bad option
/// (422), `forbidden` bypassPermissions not allowed (403), `conflict` ambiguous
/// reference, untrusted directory, max_bridges, launch failure, still live (409),
/// `unavailable` (503).
///
/// @par Thread safety
/// Not thread-safe; use from the io thread.
class instance_manager {
public:
    instance_manager(boost::asio::any_io_executor ex, const config& cfg, executor& exec, instance_store& store,
                     project_catalog& projects, const clock& clk, environment env, instance_paths paths);
    ~instance_manager();
    instance_manager(const instance_manager&) = delete;
    instance_manager& operator=(const instance_manager&) = delete;

    /// Startup: reattach persisted rows whose processes live, adopt live standard
    /// bridges found only by their pointer, and bring dead rows back as STOPPED.
    /// With @p read_only (CLI `status`), nothing is persisted and no watch starts.
    boost::asio::awaitable<void> recover(bool read_only = false);

    /// Every instance in registration order (rows added by other processes included).
    std::vector<instance> list();

    /// Resolves @p ref: full id → project name → unique id prefix (spec §2.3).
    /// @par Errors `not_found` (`no such instance: <ref>`), `conflict` (ambiguous).
    outcome<instance> get(std::string_view ref);

    /// Launches a bridge after every gate of spec §7.2, then waits up to 15 s for
    /// readiness; a slower bridge is returned STARTING and promoted by a watch.
    boost::asio::awaitable<outcome<spawn_result>> spawn(spawn_request request);

    /// Stops a bridge: intentional_stop persisted, SIGINT (twice, 0.4 s apart, for
    /// an Interactive Session), SIGKILL of its tree after 5 s, keeper reaped.
    boost::asio::awaitable<outcome<instance>> stop(std::string ref);

    /// Resumes a stopped, crashed or errored instance: Server Mode relaunches
    /// (a new instance id), an Interactive Session relaunches the same instance
    /// with `--continue`. A live target comes back with created == false.
    boost::asio::awaitable<outcome<spawn_result>> resume(std::string ref);

    /// Drops a dead instance's record; never kills anything.
    /// @par Errors `not_found`, `conflict` (still starting/running or a pid alive).
    outcome<std::string> forget(std::string_view ref);

    /// Instances currently RUNNING.
    int running_count();

    /// Every status an instance reaches from now on (`instance.<status>`), and
    /// `instance.adopted` / `instance.forgotten`, goes to @p sink (null: none).
    /// @p sink must outlive the manager.
    void set_event_sink(event_sink* sink);

    /// The version `claude --version` reported (the manager's probe): stamped
    /// on each instance launched, reattached or adopted from now on.
    void set_claude_version(std::optional<std::string> version);

    /// One supervision sweep (the poll loop's): picks up rows other processes
    /// wrote, and settles every STARTING/RUNNING instance whose process is gone
    /// (STOPPED, CRASHED or ERROR, as its exit watch would). A safety net for
    /// the exit watches; cheap (a few /proc reads per instance).
    void sweep();

    /// What each instance with a live process can claim for session attribution:
    /// its project path, whether it spawns worktrees, and the pids of its bridge
    /// and keeper with all their descendants.
    std::vector<bridge_claim> session_claims();

    /// True when project @p project runs a live Server Mode bridge that nobody
    /// manages: its bridge pointer names a live `claude remote-control` process
    /// (pid + start ticks + the subcommand form) whose cwd is the project directory.
    bool adoptable(std::string_view project);

    /// Takes over the project's unmanaged live Server Mode bridge (spec §5 "Adopt"):
    /// a RUNNING standard instance whose spawn mode, permission mode and label are
    /// read from the bridge's own command line. Never signals anything.
    /// @par Errors `not_found` (unknown project), `conflict` (its bridge is already
    /// managed, or nothing adoptable: no live standard bridge per the pointer —
    /// Interactive Sessions are never adoptable).
    boost::asio::awaitable<outcome<instance>> adopt(std::string project);

    /// Cancels watches; leaves every bridge and keeper running (they outlive us).
    void shutdown();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace clauster::core
