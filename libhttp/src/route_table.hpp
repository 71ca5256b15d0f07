#pragma once

#include "identity.hpp"
#include "message.hpp"

#include <clauster/core/manager.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

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

/// One documented response of a route: a status and when it happens.
struct response_doc {
    boost::beast::http::status status = boost::beast::http::status::ok;
    /// Human text for the OpenAPI `description` (e.g. `no such instance`).
    std::string description = {};
};

/// A documented query parameter (always optional).
struct query_param_doc {
    std::string name;
    std::string type = "string";  ///< JSON Schema type
    std::string description = {};
};

/// What the OpenAPI document (openapi.hpp) says about a route. Schemas are JSON
/// Schema 2020-12 values (as OpenAPI 3.1 uses), typically `$ref`s to the
/// components of @ref openapi_component_schemas; `null` means "not documented".
/// Every member has a default initializer, so designated initializers may skip
/// any (GCC 12 warns about members without one).
struct route_doc {
    std::string summary = {};
    std::vector<std::string> tags = {};
    /// Schema of the JSON request body; `null` when the route takes none.
    boost::json::value request_body = nullptr;
    /// The success statuses; they share @ref response_schema.
    std::vector<response_doc> successes{{boost::beast::http::status::ok, "OK"}};
    /// Schema of the success body (for `application/json`) or `null`.
    boost::json::value response_schema = nullptr;
    /// Media type of the success body.
    std::string response_media_type = "application/json";
    /// Error statuses specific to the route; every one answers the Error body.
    /// The generator adds the guard's (401, and 403 for unsafe methods).
    std::vector<response_doc> errors = {};
    /// False for the guard's public paths (`/healthz`): no 401 is documented.
    bool authenticated = true;
    /// Descriptions of the `{param}` segments of the pattern, by name.
    std::map<std::string, std::string, std::less<>> param_descriptions = {};
    /// The optional query parameters.
    std::vector<query_param_doc> query_params = {};
};

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
    /// OpenAPI documentation; defaulted, so test routes may leave it out.
    route_doc doc = {};

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
