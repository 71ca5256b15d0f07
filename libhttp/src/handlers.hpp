#pragma once

#include "route_table.hpp"

#include <clauster/core/background_job.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/instance_manager.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace clauster::http {

/// The routes this server serves: the 13 public routes of spec §2.2 (each
/// registered once, answered under `/api` and `/api/v1`), the internal
/// `POST /api/instances/{instance_id}/forget`, and `GET /healthz`.
/// With `api.openapi_enabled`, also `GET /openapi.json` (generated from this
/// very table, openapi.hpp) and `GET /docs` (spec §4.8). Every route carries
/// its @ref route_doc.
route_table make_route_table(const core::config& cfg = core::config{});

/// The route handlers: coroutines over the request and the manager. Each takes
/// its context by value (house style §4) and answers domain failures with
/// @ref make_error_response (status from @ref to_status).
namespace handlers {

/// `GET /api/projects`: `[Project…]` sorted by lower-cased name (spec §2.6).
boost::asio::awaitable<response> list_projects(route_context ctx);

/// `GET /healthz` (spec §2.7): `{"status":"ok"}` only when auth is enabled and
/// the caller is anonymous; otherwise the full health report.
boost::asio::awaitable<response> healthz(route_context ctx);

/// `GET /api/instances`: 200 `[Instance…]` in registration order (spec §2.3).
boost::asio::awaitable<response> list_instances(route_context ctx);

/// `POST /api/instances`: validates the body (@ref parse_spawn_body), spawns,
/// 201 when something was launched, 200 when a live instance came back;
/// Instance fields plus `created`, `reason`, `warnings`.
boost::asio::awaitable<response> spawn_instance(route_context ctx);

/// `GET /api/instances/{instance_id}`: 200 Instance; 404, 409 ambiguous.
boost::asio::awaitable<response> get_instance(route_context ctx);

/// `DELETE /api/instances/{instance_id}`: 200 Instance after the stop.
boost::asio::awaitable<response> stop_instance(route_context ctx);

/// `POST /api/instances/{instance_id}/resume`: 200 with the spawn body shape
/// (even when something was launched: spec §2.3).
boost::asio::awaitable<response> resume_instance(route_context ctx);

/// `POST /api/instances/{instance_id}/forget` (internal): 200
/// `{"id": "<as given>", "forgotten": true}`.
boost::asio::awaitable<response> forget_instance(route_context ctx);

/// `GET /api/agents`: 200 `[BackgroundJob…]`, newest `updated_at` first (spec §2.5).
boost::asio::awaitable<response> list_agents(route_context ctx);

/// `POST /api/agents`: type-checks the body (@ref parse_agent_body), dispatches
/// `claude --bg`, 201 `{"id": "<8-hex>"}`.
boost::asio::awaitable<response> dispatch_agent(route_context ctx);

/// `DELETE /api/agents/{job_id}`: 200 `{"id", "settled", "removed", "detail"}`;
/// 409 when the worker did not exit within the wait.
boost::asio::awaitable<response> stop_agent(route_context ctx);

/// `POST /api/agents/{job_id}/resume`: 201 `{"id": "<new 8-hex>"}`.
boost::asio::awaitable<response> resume_agent(route_context ctx);

/// `GET /api/sessions`: 200 `{"<project>": [WorkingSession…]}`, external sessions only (spec §2.4).
boost::asio::awaitable<response> list_sessions(route_context ctx);

/// `GET /api/sessions/tracked`: 200 `{"<instance id>": [WorkingSession…]}`.
boost::asio::awaitable<response> list_tracked_sessions(route_context ctx);

/// `GET /api/sessions/adoptable`: 200 `["<project>", …]`, sorted.
boost::asio::awaitable<response> list_adoptable_sessions(route_context ctx);

/// `GET /api/events?since=<seq>&limit=<n>` (internal): 200 `{"events": [Event…],
/// "last_seq", "gap"}`; 422 for a malformed number.
boost::asio::awaitable<response> list_events(route_context ctx);

/// `POST /api/projects/{name}/adopt` (internal): 200 Instance (RUNNING, standard); 404; 409.
boost::asio::awaitable<response> adopt_project(route_context ctx);

}  // namespace handlers

/// Parses and type-checks a `POST /api/instances` body (spec §2.3): a JSON
/// object with a non-empty string `project` and, when present, string
/// `channel`, `spawn_mode`, `permission_mode`, `resume_mode`, `name`,
/// `sandbox`, `resume_session_id`. A `null` field counts as absent; unknown
/// fields and `trust` are ignored (over HTTP trust is the separate Trust
/// action). The values themselves are validated by the manager.
///
/// @par Errors `invalid_argument` with the spec's message:
/// `body must be a JSON object`, `body must include a 'project' string`,
/// `<field> must be a string`.
core::outcome<core::spawn_request> parse_spawn_body(std::string_view body);

/// Parses a `POST /api/agents` body: JSON that does not parse is
/// `request body must be a JSON object`; the type checks are
/// @ref core::parse_agent_request's (`project must be a string`,
/// `<field> must be a string`). @par Errors `invalid_argument`.
core::outcome<core::agent_request> parse_agent_body(std::string_view body);

/// The spawn and resume body: the Instance fields plus `created`, `reason`
/// (string or null) and `warnings` (list of strings).
boost::json::value spawn_result_json(const core::spawn_result& result);

}  // namespace clauster::http
