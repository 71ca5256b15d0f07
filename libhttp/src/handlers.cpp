#include "handlers.hpp"

#include "response.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value_from.hpp>


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

route_table make_route_table() {
    using beast::http::verb;
    route_table t;
    const auto pub = [&t](verb m, std::string pattern, std::string name, route_handler h) {
        t.add(route{m, route_scope::public_api, std::move(pattern), std::move(name), std::move(h)});
    };
    // Spec §2.2, in its order.
    pub(verb::get, "/projects", "list_projects", handlers::list_projects);
    pub(verb::get, "/sessions", "list_sessions", handlers::not_implemented);
    pub(verb::get, "/sessions/tracked", "list_tracked_sessions", handlers::not_implemented);
    pub(verb::get, "/sessions/adoptable", "list_adoptable_sessions", handlers::not_implemented);
    pub(verb::get, "/instances", "list_instances", handlers::list_instances);
    pub(verb::post, "/instances", "spawn_instance", handlers::spawn_instance);
    pub(verb::get, "/instances/{instance_id}", "get_instance", handlers::get_instance);
    pub(verb::delete_, "/instances/{instance_id}", "stop_instance", handlers::stop_instance);
    pub(verb::post, "/instances/{instance_id}/resume", "resume_instance", handlers::resume_instance);
    pub(verb::get, "/agents", "list_agents", handlers::not_implemented);
    pub(verb::post, "/agents", "dispatch_agent", handlers::not_implemented);
    pub(verb::delete_, "/agents/{job_id}", "stop_agent", handlers::not_implemented);
    pub(verb::post, "/agents/{job_id}/resume", "resume_agent", handlers::not_implemented);

    // Internal (spec §2.3: UI-only, unversioned): never under /api/v1.
    t.add(route{verb::post, route_scope::internal_api, "/instances/{instance_id}/forget", "forget_instance",
                handlers::forget_instance});

    t.add(route{verb::get, route_scope::root, "/healthz", "healthz", handlers::healthz});
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
    co_return make_json_response(beast::http::status::ok, body);
}

net::awaitable<response> healthz(route_context ctx) {
    boost::json::object body;
    body["status"] = "ok";
    if (ctx.mgr.config().auth.enabled && !ctx.identity) co_return make_json_response(beast::http::status::ok, body);

    const auto h = ctx.mgr.health();
    body["version"] = h.version;
    body["claude_ok"] = h.claude_ok;
    body["claude_version"] = optional_value(h.claude_version);
    body["claude_login_ok"] = h.claude_login_ok;
    body["claude_login_method"] = optional_value(h.claude_login_method);
    body["claude_login_expires_at"] = optional_value(h.claude_login_expires_at);
    body["instances_running"] = h.instances_running;
    co_return make_json_response(beast::http::status::ok, body);
}

net::awaitable<response> not_implemented(route_context) { co_return not_implemented_response(); }

}  // namespace handlers

}  // namespace clauster::http
