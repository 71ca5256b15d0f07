#pragma once

#include "message.hpp"
#include "route_table.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace clauster::http {

/// The OpenAPI document of a route table (spec §4.4 step 4, §4.8).
///
/// Generated from the same @ref route_table the server routes with, so it
/// cannot drift: every route contributes one operation per served path
/// (`/api/v1/...` and `/api/...` for public routes), with its `{param}`
/// segments as path parameters and the request, success and error bodies of
/// its @ref route_doc. Error responses reference the `Error` component; the
/// guard's answers are added here rather than repeated per route: 401 for every
/// route that needs authentication when `auth.enabled` is on, and 403
/// (`origin check failed`) for unsafe methods.
///
/// Operation ids must be unique in a document, and a public route has two
/// paths: the `/api/v1` operation's id is the route name, the unversioned alias
/// gets `<name>_unversioned`. Every operation also carries
/// `x-clauster-route: <name>`.

/// `{"$ref": "#/components/schemas/<name>"}`.
boost::json::value schema_ref(std::string_view name);

/// `{"type": "array", "items": items}`.
boost::json::value array_of(boost::json::value items);

/// The component schemas (JSON Schema 2020-12): `Instance` (the fields of the
/// Instance wire form, libcore/src/json.cpp), `SpawnResult` (Instance plus
/// `created`, `reason`, `warnings`), `Project`, `BackgroundJob`,
/// `WorkingSession` (spec §3.3) and `Error` (`{detail, code}`).
boost::json::object openapi_component_schemas();

/// Builds the OpenAPI 3.1.0 document for @p routes.
/// @param root_path the configured `root_path` (the server URL), may be empty.
boost::json::value make_openapi_document(const route_table& routes, std::string_view root_path);

/// `GET /openapi.json`: 200 with @p document (already serialised).
boost::asio::awaitable<response> serve_openapi_json(std::shared_ptr<const std::string> document, route_context ctx);

}  // namespace clauster::http
