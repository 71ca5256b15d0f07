#include "handlers.hpp"

#include "api_docs.hpp"
#include "openapi.hpp"
#include "response.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>


namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

template <class T>
boost::json::value optional_value(const std::optional<T>& v) {
    if (!v) return nullptr;
    return boost::json::value_from(*v);
}

}  // namespace

//------------------------------------------------------------------------------

route_table make_route_table(const core::config& cfg) {
    using beast::http::status;
    using beast::http::verb;
    namespace json = boost::json;

    // Documentation shorthands (openapi.hpp turns these into the document).
    const auto ok = [](std::string description = "OK") { return response_doc{status::ok, std::move(description)}; };
    const auto err = [](status s, std::string description) { return response_doc{s, std::move(description)}; };
    const auto no_sessions = response_doc{status::service_unavailable, "working sessions are not enabled"};
    const auto no_supervision = response_doc{status::service_unavailable, "instance supervision is not enabled"};
    const auto no_agents = response_doc{status::service_unavailable, "background agents are not enabled"};
    const auto str = [](json::value extra = json::object{}) {
        auto s = extra.as_object();
        s["type"] = json::array{"string", "null"};
        return json::value(std::move(s));
    };
    const auto enum_of = [&str](std::initializer_list<std::string_view> values) {
        json::array e;
        for (const auto v : values) e.emplace_back(v);
        e.emplace_back(nullptr);
        return str(json::object{{"enum", std::move(e)}});
    };
    const std::string instance_param = "an instance id, a project name, or a unique prefix of an instance id";
    const std::string job_param = "background job id, 8 lower-case hex digits";

    route_table t;
    const auto pub = [&t](verb m, std::string pattern, std::string name, route_handler h, route_doc d) {
        t.add(route{m, route_scope::public_api, std::move(pattern), std::move(name), std::move(h), std::move(d)});
    };

    // Spec §2.2, in its order.
    pub(verb::get, "/projects", "list_projects", handlers::list_projects,
        {.summary = "List projects, sorted by lower-cased name",
         .tags = {"projects"},
         .response_schema = array_of(schema_ref("Project"))});
    pub(verb::get, "/sessions", "list_sessions", handlers::list_sessions,
        {.summary = "External working sessions grouped by project",
         .tags = {"sessions"},
         .response_schema = json::object{{"type", "object"},
                                         {"additionalProperties", array_of(schema_ref("WorkingSession"))}},
         .errors = {no_sessions}});
    pub(verb::get, "/sessions/tracked", "list_tracked_sessions", handlers::list_tracked_sessions,
        {.summary = "Working sessions of each managed bridge, keyed by instance id",
         .tags = {"sessions"},
         .response_schema = json::object{{"type", "object"},
                                         {"additionalProperties", array_of(schema_ref("WorkingSession"))}},
         .errors = {no_sessions}});
    pub(verb::get, "/sessions/adoptable", "list_adoptable_sessions", handlers::list_adoptable_sessions,
        {.summary = "Projects whose external session is adoptable (sorted)",
         .tags = {"sessions"},
         .response_schema = array_of(json::object{{"type", "string"}}),
         .errors = {no_sessions}});
    pub(verb::get, "/instances", "list_instances", handlers::list_instances,
        {.summary = "All managed bridges, in registration order",
         .tags = {"instances"},
         .response_schema = array_of(schema_ref("Instance")),
         .errors = {no_supervision}});
    pub(verb::post, "/instances", "spawn_instance", handlers::spawn_instance,
        {.summary = "Spawn a bridge (blocks up to ~15 s for readiness)",
         .tags = {"instances"},
         .request_body =
             json::object{
                 {"type", "object"},
                 {"required", json::array{"project"}},
                 {"properties",
                  json::object{
                      {"project", json::object{{"type", "string"}, {"minLength", 1}}},
                      {"channel", enum_of({"remote-control", "hosted"})},
                      {"spawn_mode", enum_of({"same-dir", "worktree", "session"})},
                      {"permission_mode", enum_of({"default", "plan", "acceptEdits", "auto", "dontAsk",
                                                   "bypassPermissions", "inherit"})},
                      {"resume_mode", enum_of({"standard", "pty"})},
                      {"name", str(json::object{{"maxLength", 128}})},
                      {"sandbox", enum_of({"default", "on", "off"})},
                      {"resume_session_id", str()},
                  }}},
         .successes = {{status::created, "something was launched"},
                       {status::ok, "an existing live instance came back (created: false)"}},
         .response_schema = schema_ref("SpawnResult"),
         .errors = {err(status::not_found, "unknown project"),
                    err(status::unprocessable_entity, "bad option or type"),
                    err(status::forbidden, "bypassPermissions not allowed for this project"),
                    err(status::conflict, "spawn error: untrusted directory, max_bridges cap, launch failure"),
                    no_supervision}});
    pub(verb::get, "/instances/{instance_id}", "get_instance", handlers::get_instance,
        {.summary = "One bridge or hosted instance",
         .tags = {"instances"},
         .response_schema = schema_ref("Instance"),
         .errors = {err(status::not_found, "no such instance"), err(status::conflict, "ambiguous reference"),
                    no_supervision},
         .param_descriptions = {{"instance_id", instance_param}}});
    pub(verb::delete_, "/instances/{instance_id}", "stop_instance", handlers::stop_instance,
        {.summary = "Stop an instance",
         .tags = {"instances"},
         .successes = {ok("the instance after the stop")},
         .response_schema = schema_ref("Instance"),
         .errors = {err(status::not_found, "no managed instance"), err(status::conflict, "ambiguous reference"),
                    no_supervision},
         .param_descriptions = {{"instance_id", instance_param}}});
    pub(verb::post, "/instances/{instance_id}/resume", "resume_instance", handlers::resume_instance,
        {.summary = "Resume a stopped or crashed instance (standard: usually a new instance id)",
         .tags = {"instances"},
         .response_schema = schema_ref("SpawnResult"),
         .errors = {err(status::not_found, "no such instance"), err(status::unprocessable_entity, "invalid"),
                    err(status::forbidden, "the stored bypassPermissions mode is no longer allowed"),
                    err(status::conflict, "spawn failure or ambiguous reference"), no_supervision},
         .param_descriptions = {{"instance_id", instance_param}}});
    pub(verb::get, "/agents", "list_agents", handlers::list_agents,
        {.summary = "List `claude --bg` jobs, newest updated_at first",
         .tags = {"agents"},
         .response_schema = array_of(schema_ref("BackgroundJob")),
         .errors = {no_agents}});
    pub(verb::post, "/agents", "dispatch_agent", handlers::dispatch_agent,
        {.summary = "Dispatch a background job",
         .tags = {"agents"},
         .request_body = json::object{{"type", "object"},
                                      {"required", json::array{"project"}},
                                      {"properties", json::object{
                                                         {"project", json::object{{"type", "string"}}},
                                                         {"prompt", str()},
                                                         {"rc_name", str(json::object{{"minLength", 1}})},
                                                         {"model", str(json::object{{"minLength", 1}})},
                                                         {"permission_mode", str(json::object{{"minLength", 1}})},
                                                     }}},
         .successes = {{status::created, "dispatched"}},
         .response_schema = json::object{{"type", "object"},
                                         {"required", json::array{"id"}},
                                         {"properties", json::object{{"id", json::object{{"type", "string"}}}}}},
         .errors = {err(status::unprocessable_entity, "invalid field"),
                    err(status::not_found, "project not found"),
                    err(status::forbidden, "bypassPermissions not allowed"),
                    err(status::conflict, "the workspace-trust write failed"),
                    err(status::service_unavailable,
                        "claude missing, trust lock busy, or background agents not enabled"),
                    err(status::bad_gateway, "dispatch failed")}});
    pub(verb::delete_, "/agents/{job_id}", "stop_agent", handlers::stop_agent,
        {.summary = "Stop and remove a background job",
         .tags = {"agents"},
         .response_schema =
             json::object{{"type", "object"},
                          {"required", json::array{"id", "settled", "removed", "detail"}},
                          {"properties", json::object{{"id", json::object{{"type", "string"}}},
                                                      {"settled", json::object{{"type", "boolean"}}},
                                                      {"removed", json::object{{"type", "boolean"}}},
                                                      {"detail", json::object{{"type", "string"}}}}}},
         .errors = {err(status::unprocessable_entity, "invalid job id"),
                    err(status::conflict, "did not settle within 20 s"),
                    err(status::service_unavailable, "claude missing or background agents not enabled")},
         .param_descriptions = {{"job_id", job_param}}});
    pub(verb::post, "/agents/{job_id}/resume", "resume_agent", handlers::resume_agent,
        {.summary = "Resume an ended background job as a new job",
         .tags = {"agents"},
         .successes = {{status::created, "a new job id"}},
         .response_schema = json::object{{"type", "object"},
                                         {"required", json::array{"id"}},
                                         {"properties", json::object{{"id", json::object{{"type", "string"}}}}}},
         .errors = {err(status::unprocessable_entity, "invalid job id"),
                    err(status::forbidden, "the job's bypassPermissions mode is no longer allowed"),
                    err(status::conflict, "unknown job, still live, or not resumable"),
                    err(status::bad_gateway, "dispatch failed"),
                    err(status::service_unavailable, "claude missing or background agents not enabled")},
         .param_descriptions = {{"job_id", job_param}}});

    // Internal (spec §2.3: UI-only, unversioned): never under /api/v1.
    t.add(route{verb::post, route_scope::internal_api, "/instances/{instance_id}/forget", "forget_instance",
                handlers::forget_instance,
                {.summary = "Forget a dead instance (never kills anything)",
                 .tags = {"instances"},
                 .response_schema =
                     json::object{{"type", "object"},
                                  {"required", json::array{"id", "forgotten"}},
                                  {"properties", json::object{{"id", json::object{{"type", "string"}}},
                                                              {"forgotten", json::object{{"const", true}}}}}},
                 .errors = {err(status::not_found, "unknown instance"),
                            err(status::conflict, "still live, or ambiguous reference"), no_supervision},
                 .param_descriptions = {{"instance_id", instance_param}}}});

    t.add(route{verb::post, route_scope::internal_api, "/projects/{name}/adopt", "adopt_project",
                handlers::adopt_project,
                {.summary = "Take over the project's unmanaged live Server Mode bridge",
                 .tags = {"projects"},
                 .response_schema = schema_ref("Instance"),
                 .errors = {err(status::not_found, "unknown project"),
                            err(status::conflict, "already managed, or nothing adoptable"), no_supervision},
                 .param_descriptions = {{"name", "a project name"}}}});

    t.add(route{verb::get, route_scope::internal_api, "/events", "list_events", handlers::list_events,
                {.summary = "State changes since a sequence number (resume with ?since=<last seq seen>)",
                 .tags = {"events"},
                 .response_schema =
                     json::object{{"type", "object"},
                                  {"required", json::array{"events", "last_seq", "gap"}},
                                  {"properties", json::object{{"events", array_of(schema_ref("Event"))},
                                                              {"last_seq", json::object{{"type", "integer"}}},
                                                              {"gap", json::object{{"type", "boolean"}}}}}},
                 .errors = {err(status::unprocessable_entity, "since or limit is not a non-negative integer")},
                 .query_params = {{"since", "integer", "return events after this sequence number (default 0)"},
                                  {"limit", "integer", "at most this many events, 1 to 1000 (default 1000)"}}}});

    const auto nullable = [](std::string_view type) { return json::object{{"type", json::array{type, "null"}}}; };
    t.add(route{verb::get, route_scope::root, "/healthz", "healthz", handlers::healthz,
                {.summary = "Health; only {status} for anonymous callers when auth is on",
                 .tags = {"ops"},
                 .response_schema =
                     json::object{{"type", "object"},
                                  {"required", json::array{"status"}},
                                  {"properties", json::object{
                                                     {"status", json::object{{"const", "ok"}}},
                                                     {"version", json::object{{"type", "string"}}},
                                                     {"claude_ok", json::object{{"type", "boolean"}}},
                                                     {"claude_version", nullable("string")},
                                                     {"claude_login_ok", json::object{{"type", "boolean"}}},
                                                     {"claude_login_method", nullable("string")},
                                                     {"claude_login_expires_at", nullable("integer")},
                                                     {"instances_running", json::object{{"type", "integer"}}},
                                                 }}},
                 .authenticated = false}});

    // Spec §4.8: the document and its page exist only when enabled (else the
    // router's plain 404). The document describes the finished table, itself
    // included, so it is rendered once the table is complete.
    if (cfg.api.openapi_enabled) {
        auto document = std::make_shared<std::string>();
        t.add(route{verb::get, route_scope::root, "/openapi.json", "openapi_document",
                    std::bind_front(&serve_openapi_json, std::shared_ptr<const std::string>(document)),
                    {.summary = "This OpenAPI 3.1 document",
                     .tags = {"docs"},
                     .response_schema = json::object{{"type", "object"}}}});
        t.add(route{verb::get, route_scope::root, "/docs", "api_docs", serve_api_docs,
                    {.summary = "A self-contained HTML page rendering this document",
                     .tags = {"docs"},
                     .response_schema = json::object{{"type", "string"}},
                     .response_media_type = "text/html"}});
        *document = json::serialize(make_openapi_document(t, cfg.root_path));
    }
    return t;
}

//------------------------------------------------------------------------------

namespace handlers {

net::awaitable<response> list_projects(route_context ctx) {
    // The catalog owns the contract's order (lower-cased name); see project_catalog.hpp.
    const auto projects = ctx.mgr.projects().list();
    boost::json::array body;
    body.reserve(projects.size());
    for (const auto& p : projects) body.push_back(boost::json::value_from(p));
    co_return make_json_response(beast::http::status::ok, std::move(body));
}

net::awaitable<response> healthz(route_context ctx) {
    boost::json::object body;
    body["status"] = "ok";
    if (ctx.mgr.config().auth.enabled && !ctx.identity) co_return make_json_response(beast::http::status::ok, std::move(body));

    const auto h = ctx.mgr.health();
    body["version"] = h.version;
    body["claude_ok"] = h.claude_ok;
    body["claude_version"] = optional_value(h.claude_version);
    body["claude_login_ok"] = h.claude_login_ok;
    body["claude_login_method"] = optional_value(h.claude_login_method);
    body["claude_login_expires_at"] = optional_value(h.claude_login_expires_at);
    body["instances_running"] = h.instances_running;
    co_return make_json_response(beast::http::status::ok, std::move(body));
}

}  // namespace handlers

}  // namespace clauster::http
