#pragma once

#include "identity.hpp"
#include "message.hpp"

#include <clauster/core/manager.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::http {

/// Where a route is served.
enum class route_scope {
    /// Spec §2.2: under both `/api/<pattern>` and `/api/v1/<pattern>`, one handler.
    public_api,
    /// Only under `/api/<pattern>` (unversioned, may change).
    internal_api,
    /// At `<pattern>` itself, outside `/api` (e.g. `/healthz`).
    root,
};

/// Decoded `{param}` values of a matched route, by parameter name.
using path_params = std::map<std::string, std::string, std::less<>>;

/// Everything a route handler may look at. Handlers are pure: no I/O besides
/// what @ref core::manager does, no access to the connection.
///
/// Passed by value into the handler coroutine (GCC 12 rule of house style §4);
/// the references point into the frame of @ref request_handler::handle, which
/// the session awaits, so they outlive every suspension of the handler.
struct route_context {
    const request& req;
    const path_params& params;
    core::manager& mgr;
    /// Who the guard authenticated; nullopt when anonymous (or auth is off).
    const std::optional<authenticated_as>& identity;
};

/// A route handler: a coroutine on the io thread. It may suspend (a spawn waits
/// up to ~15 s for readiness) while other connections are served; its own
/// connection waits, so requests on one connection are answered in order.
/// Write handlers as named functions taking @ref route_context by value, never
/// as capturing lambdas (house style §4).
using route_handler = std::function<boost::asio::awaitable<response>(route_context)>;

/// One registered route.
struct route {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    route_scope scope = route_scope::public_api;
    /// Path pattern, `/`-separated; a whole segment `{name}` captures one segment.
    /// Relative to the `/api` prefix for the api scopes (`/instances/{instance_id}`).
    std::string pattern;
    /// Stable identifier (operation id for an OpenAPI document), e.g. `list_projects`.
    std::string name;
    route_handler handler;

    /// The concrete path templates this route answers, e.g.
    /// `{"/api/projects", "/api/v1/projects"}` for a public route.
    std::vector<std::string> served_paths() const;
};

/// Result of @ref route_table::match.
struct route_match {
    enum class kind { found, method_not_allowed, not_found };

    kind outcome = kind::not_found;
    const route* matched = nullptr;  ///< set when found
    path_params params;              ///< set when found
    /// Methods the path accepts (for 405 and its `Allow` header), in registration order.
    std::vector<boost::beast::http::verb> allowed;

    /// `Allow` header value, e.g. `GET, HEAD, POST`.
    std::string allow_header() const;
};

/// The routing table: each route registered once, introspectable.
///
/// Paths are matched on their percent-encoded form after `root_path` is
/// removed and the query dropped. Literal segments compare exactly (no
/// decoding, no dot-segment handling); `{param}` segments match any non-empty
/// segment and are percent-decoded. A trailing slash is a different path
/// (`/api/projects/` is 404): there are no redirects.
///
/// Prefixes: `/api/v1/...` reaches only public routes, so every other
/// `/api/v1` path is 404; `/api/...` reaches public and internal routes;
/// anything else reaches root routes. `HEAD` is accepted wherever `GET` is.
class route_table {
public:
    route_table() = default;

    /// Registers @p r.
    /// @throws std::invalid_argument on a malformed pattern, or a duplicate
    /// (same scope, method and pattern shape).
    void add(route r);

    /// All registered routes, in registration order.
    const std::vector<route>& routes() const { return routes_; }

    /// Finds the route for @p method on @p path (encoded, no query).
    route_match match(boost::beast::http::verb method, std::string_view path) const;

private:
    std::vector<route> routes_;
};

}  // namespace clauster::http
