#pragma once

#include <clauster/core/background_job.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/environment.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/event.hpp>
#include <clauster/core/executor.hpp>
#include <clauster/core/project_catalog.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace clauster::core {

/// Timings of @ref background_agents (defaults are the reference's; tests shorten them).
struct background_agents_options {
    std::chrono::milliseconds dispatch_timeout{60'000};  ///< `claude --bg`
    std::chrono::milliseconds rm_timeout{30'000};        ///< `claude rm`
    std::chrono::milliseconds sigint_gap{1'500};         ///< between the two SIGINTs
    std::chrono::milliseconds stop_wait{20'000};         ///< for the worker to exit
    std::chrono::milliseconds stop_poll{500};
};

/// Background agents: `claude --bg` jobs run by Claude Code's own supervisor
/// (spec §1, §2.5, §7.1; internals §1.4, §1.8).
///
/// clauster owns none of these processes. It lists them from
/// `$HOME/.claude/jobs/<id>/state.json` joined with `$HOME/.claude/daemon/roster.json`,
/// dispatches them with `claude --bg`, stops them with two SIGINTs plus `claude rm`
/// (never SIGKILL: that would orphan the cloud session), and resumes an ended job as
/// a new one with `claude --bg --resume <session uuid>`.
///
/// Every child (`--bg`, `rm`) gets argv as a list, the absolute claude binary, the
/// scrubbed environment with `claude.env` overlaid (which cannot re-add secret
/// names), and runs on a private thread pool, so the io thread never blocks on it.
///
/// @par Thread safety
/// Not thread-safe; use from the executor (io thread) it was built on. Coroutines
/// resume on that executor.
class background_agents {
public:
    /// @param home the user's `$HOME` (holds `.claude.json` and `.claude/`).
    /// @param state_dir clauster's state directory (trust-write locks).
    /// @param env the parent environment children inherit (scrubbed here).
    background_agents(boost::asio::any_io_executor ex, const config& cfg, executor& exec,
                      project_catalog& projects, environment env, std::filesystem::path home,
                      std::filesystem::path state_dir, background_agents_options options = {});
    /// Blocks until a child run already in flight ends (at most its timeout);
    /// operations still pending afterwards fail with `unavailable`.
    ~background_agents();
    background_agents(const background_agents&) = delete;
    background_agents& operator=(const background_agents&) = delete;

    /// Every job with a readable `state.json`, newest `updated_at` first (jobs
    /// without one last), ties by id. Empty when agent view was never used.
    /// Malformed, truncated, huge or wrongly typed files are skipped or read as
    /// absent fields; a worker is live only when its roster pid and start ticks
    /// match a running claude process (fail closed).
    std::vector<background_job> list();

    /// Dispatches a new job (`POST /api/agents`). Checks, in order: project is a
    /// string and a valid name (after stripping); `prompt`, `rc_name`, `model`,
    /// `permission_mode` non-empty when given (a blank prompt counts as absent),
    /// not starting with `-`, no NUL, a known permission mode; the project
    /// directory exists; the bypassPermissions ceiling on the effective mode; a
    /// prompt or an `rc_name`; claude is installed. Then pre-trusts the cwd and runs
    /// `claude --bg [--rc <n>] [--model <m>] [--permission-mode <pm>] [-- <prompt>]`.
    /// @return the new 8-hex job id.
    /// @par Errors `invalid_argument` (422), `not_found` (404), `forbidden` (403),
    /// `unavailable` (503: claude missing, trust lock busy), `invalid_state`/`conflict`
    /// (the trust write failed), `bad_gateway` (502: non-zero exit, timeout, no id).
    boost::asio::awaitable<outcome<std::string>> dispatch(agent_request request);

    /// Stops job @p job_id: SIGINT, wait, re-validate, SIGINT, wait for the exit,
    /// then `claude rm`. When `rm` soft-fails ("couldn't confirm stopped") and the
    /// worker is confirmed dead, the job directory is deleted directly.
    /// @par Errors `invalid_argument` (`invalid job id`), `conflict` (did not exit
    /// within the wait; never force-killed), `unavailable` (claude missing).
    boost::asio::awaitable<outcome<stop_result>> stop(std::string job_id);

    /// Resumes ended job @p job_id as a new job in its cwd (`--bg --resume <uuid>`).
    /// @return the **new** job id.
    /// @par Errors `invalid_argument`, `conflict` (unknown job, still live, no
    /// session id, no cwd), `forbidden` (its bypassPermissions mode is no longer
    /// allowed), `unavailable`, `bad_gateway`.
    boost::asio::awaitable<outcome<std::string>> resume(std::string job_id);

    /// `agent.dispatched`, `agent.resumed` (the new id) and `agent.stopped` go to
    /// @p sink after each success (null: none). @p sink must outlive this object.
    void set_event_sink(event_sink* sink);

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace clauster::core
