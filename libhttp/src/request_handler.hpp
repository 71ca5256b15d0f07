#pragma once

#include "guard.hpp"
#include "handlers.hpp"
#include "logger.hpp"
#include "message.hpp"
#include "route_table.hpp"

#include <clauster/core/manager.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string_view>

namespace clauster::http {

/// The pure request handler: `co_await handle(request) → response`, no sockets.
///
/// Pipeline, outermost first (spec §2.1): request id and security headers on
/// every answer; `root_path` stripped; the guard; the route table; a catch-all
/// that logs and answers 500. The session only reads and writes bytes.
///
/// Everything before the route handler is synchronous; the route handler is a
/// coroutine that may suspend on the manager (a spawn waits for readiness),
/// during which the io thread serves other connections.
///
/// @par Thread safety
/// Not thread-safe; use from the io thread that owns the manager.
class request_handler {
public:
    /// @param bound_port the port actually listened on (the loopback origins use it).
    /// @param log where handler failures are logged; must outlive this object.
    /// @param routes the table to serve; by default `make_route_table(mgr.config())`.
    request_handler(core::manager& mgr, unsigned short bound_port, const logger& log,
                    std::optional<route_table> routes = std::nullopt);

    /// Answers @p req (taken by value: the coroutine frame owns it while the
    /// route handler, which refers to it, is suspended). Never throws:
    /// failures become 500 responses. Run it on the manager's io thread, and
    /// keep this object alive until it completes.
    boost::asio::awaitable<response> handle(request req);

    /// Finishes an error the session produced itself (the parser refused the
    /// request): standard headers, the request id (echoing @p incoming_request_id
    /// when sane), and `Connection: close`.
    response finish_rejection(response res, std::string_view incoming_request_id) const;

    const route_table& routes() const { return routes_; }
    const guard& request_guard() const { return guard_; }

private:
    /// What the synchronous part of the pipeline decided for one request.
    struct routing {
        std::optional<response> answer;  ///< set: send this, no handler runs
        const route* matched = nullptr;  ///< set otherwise
        path_params params;
        std::optional<authenticated_as> identity;
    };

    /// Target parsing, root_path, guard and route lookup; never suspends.
    routing route_request(const request& req);
    std::string_view strip_root_path(std::string_view path) const;
    void log_failure(const request& req, std::string_view request_id, std::string_view what) const;

    core::manager& mgr_;
    const logger& log_;
    route_table routes_;
    guard guard_;
    std::string root_path_;  ///< normalised: empty, or `/x` without a trailing slash
};

}  // namespace clauster::http
