#include "handlers.hpp"

#include "response.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value_from.hpp>


namespace clauster::http {

namespace beast = boost::beast;

namespace {

template <class T>
boost::json::value optional_value(const std::optional<T>& v) {
    if (!v) return nullptr;
    return boost::json::value_from(*v);
}

}  // namespace

//------------------------------------------------------------------------------

route_table make_route_table() {
    using beast::http::verb;
    route_table t;
    const auto pub = [&t](verb m, std::string pattern, std::string name, route_handler h) {
        t.add(route{m, route_scope::public_api, std::move(pattern), std::move(name), std::move(h)});
    };
    // Spec §2.2, in its order. Only the project list is real in this issue.
    pub(verb::get, "/projects", "list_projects", handlers::list_projects);
    pub(verb::get, "/sessions", "list_sessions", handlers::not_implemented);
    pub(verb::get, "/sessions/tracked", "list_tracked_sessions", handlers::not_implemented);
    pub(verb::get, "/sessions/adoptable", "list_adoptable_sessions", handlers::not_implemented);
    pub(verb::get, "/instances", "list_instances", handlers::not_implemented);
    pub(verb::post, "/instances", "spawn_instance", handlers::not_implemented);
    pub(verb::get, "/instances/{instance_id}", "get_instance", handlers::not_implemented);
    pub(verb::delete_, "/instances/{instance_id}", "stop_instance", handlers::not_implemented);
    pub(verb::post, "/instances/{instance_id}/resume", "resume_instance", handlers::not_implemented);
    pub(verb::get, "/agents", "list_agents", handlers::not_implemented);
    pub(verb::post, "/agents", "dispatch_agent", handlers::not_implemented);
    pub(verb::delete_, "/agents/{job_id}", "stop_agent", handlers::not_implemented);
    pub(verb::post, "/agents/{job_id}/resume", "resume_agent", handlers::not_implemented);

    t.add(route{verb::get, route_scope::root, "/healthz", "healthz", handlers::healthz});
    return t;
}

//------------------------------------------------------------------------------

namespace handlers {

response list_projects(const route_context& ctx) {
    // The catalog owns the contract's order (lower-cased name); see project_catalog.hpp.
    const auto projects = ctx.mgr.projects().list();
    boost::json::array body;
    body.reserve(projects.size());
    for (const auto& p : projects) body.push_back(boost::json::value_from(p));
    return make_json_response(beast::http::status::ok, body);
}

response healthz(const route_context& ctx) {
    boost::json::object body;
    body["status"] = "ok";
    if (ctx.mgr.config().auth.enabled && !ctx.identity) return make_json_response(beast::http::status::ok, body);

    const auto h = ctx.mgr.health();
    body["version"] = h.version;
    body["claude_ok"] = h.claude_ok;
    body["claude_version"] = optional_value(h.claude_version);
    body["claude_login_ok"] = h.claude_login_ok;
    body["claude_login_method"] = optional_value(h.claude_login_method);
    body["claude_login_expires_at"] = optional_value(h.claude_login_expires_at);
    body["instances_running"] = h.instances_running;
    return make_json_response(beast::http::status::ok, body);
}

response not_implemented(const route_context&) { return not_implemented_response(); }

}  // namespace handlers

}  // namespace clauster::http
