#pragma once

#include <clauster/core/config.hpp>
#include <clauster/core/environment.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/executor.hpp>
#include <clauster/core/project_catalog.hpp>
#include <clauster/core/working_session.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace clauster::core {

class instance_manager;

/// Timings and limits of @ref session_monitor (defaults are the reference's; tests shorten them).
struct session_monitor_options {
    std::chrono::milliseconds agents_timeout{10'000};  ///< one `claude agents --json` run
    /// Reads refresh a snapshot older than this first (one run serves every
    /// concurrent reader), so an answer is never staler than this plus one run.
    std::chrono::milliseconds max_age{2'000};
    /// How long a read waits for a run it started (or found running) before it
    /// answers from the last good list: a hung claude never hangs the API.
    std::chrono::milliseconds max_read_wait{3'000};
    std::size_t max_output_bytes = 8 * 1024 * 1024;  ///< more output is a failed run, never a partial parse
};

/// Working sessions (spec §2.4, §7.3; internals §1.7–1.8): what `claude agents
/// --json` reports, attributed to the managed bridges, plus the poll loop that
/// also sweeps bridge liveness.
///
/// Each poll (`claude.agents_json_poll_interval_seconds`; the first at once):
/// the instance manager's @ref instance_manager::sweep, then one
/// `claude agents --json` run (never `--all`; argv, scrubbed environment, 10 s
/// timeout, on a private thread). A failed run (claude missing, non-zero exit,
/// timeout, invalid or oversized JSON) keeps the previous snapshot and logs one
/// warning per distinct cause.
///
/// Sessions are attributed at read time against the instances as they are then
/// (a spawn, stop or adoption shows at once), and a session is kept only while
/// the exact process seen in the run (pid + start ticks) lives, so a stale
/// snapshot never shows a dead session as live.
///
/// @par Thread safety
/// Not thread-safe; use from the executor (io thread) it was built on.
class session_monitor {
public:
    /// @param instances the bridge supervisor to sweep and attribute against;
    /// null when supervision is off (every interactive session is then external).
    session_monitor(boost::asio::any_io_executor ex, const config& cfg, executor& exec, project_catalog& projects,
                    environment env, instance_manager* instances, session_monitor_options options = {});
    /// Stops the poll loop; blocks until a run already in flight ends (≤ its timeout).
    ~session_monitor();
    session_monitor(const session_monitor&) = delete;
    session_monitor& operator=(const session_monitor&) = delete;

    /// Starts the poll loop (once).
    void start();

    /// Stops the poll loop; reads keep working.
    void shutdown();

    /// Runs `claude agents --json` now and returns every live working session, attributed.
    /// @par Errors `unavailable` (claude not found), `bad_gateway` (the run failed or
    /// printed something that is not JSON).
    boost::asio::awaitable<outcome<std::vector<working_session>>> refresh();

    /// Every live working session, attributed, from a snapshot at most
    /// `max_age` old: an older one is refreshed first (waiting at most
    /// `max_read_wait`); when a run fails or is slower, the last good one.
    boost::asio::awaitable<std::vector<working_session>> sessions();

    /// `GET /api/sessions`: EXTERNAL sessions keyed by the project whose path is their cwd.
    boost::asio::awaitable<std::map<std::string, std::vector<working_session>>> external_by_project();

    /// `GET /api/sessions/tracked`: TRACKED sessions keyed by their instance id,
    /// each list ordered by `started_at`, then `local_uuid`.
    boost::asio::awaitable<std::map<std::string, std::vector<working_session>>> tracked_by_instance();

    /// `GET /api/sessions/adoptable`: sorted names of projects with an external
    /// session whose unmanaged Server Mode bridge can be adopted now.
    boost::asio::awaitable<std::vector<std::string>> adoptable();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace clauster::core
