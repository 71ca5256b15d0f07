// The background-agent routes of spec §2.5 (`claude --bg` jobs).

#include "handlers.hpp"

#include "response.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include <string>
#include <utility>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

/// Answered instead of a 500 when the embedder never called
/// `manager::enable_agents` (a server without background agents).
response agents_disabled_response() {
    return make_error_response(beast::http::status::service_unavailable, "unavailable",
                               "background agents are not enabled");
}

/// The `{job_id}` path parameter (percent-decoded), exactly as given; the
/// domain checks its shape (`invalid job id`).
std::string job_ref(const route_context& ctx) {
    const auto it = ctx.params.find("job_id");
    return it == ctx.params.end() ? std::string() : it->second;
}

/// `{"id": "<job id>"}`.
boost::json::object id_body(std::string id) {
    boost::json::object body;
    body["id"] = std::move(id);
    return body;
}

}  // namespace

//------------------------------------------------------------------------------

core::outcome<core::agent_request> parse_agent_body(std::string_view body) {
    boost::system::error_code ec;
    const auto jv = boost::json::parse(body, ec);
    if (ec) return core::make_failure(core::errc::invalid_argument, "request body must be a JSON object");
    return core::parse_agent_request(jv);
}

namespace handlers {

net::awaitable<response> list_agents(route_context ctx) {
    if (!ctx.mgr.has_agents()) co_return agents_disabled_response();
    const auto jobs = ctx.mgr.agents().list();
    boost::json::array body;
    body.reserve(jobs.size());
    for (const auto& job : jobs) body.push_back(boost::json::value_from(job));
    co_return make_json_response(beast::http::status::ok, std::move(body));
}

net::awaitable<response> dispatch_agent(route_context ctx) {
    if (!ctx.mgr.has_agents()) co_return agents_disabled_response();
    auto parsed = parse_agent_body(std::string_view(ctx.req.body()));
    if (!parsed) co_return make_error_response(parsed.error());
    core::agent_request wanted = std::move(*parsed);
    // Suspends this connection while `claude --bg` runs (off the io thread).
    auto id = co_await ctx.mgr.agents().dispatch(std::move(wanted));
    if (!id) co_return make_error_response(id.error());
    co_return make_json_response(beast::http::status::created, id_body(std::move(*id)));
}

net::awaitable<response> stop_agent(route_context ctx) {
    if (!ctx.mgr.has_agents()) co_return agents_disabled_response();
    // Suspends up to ~20 s while the worker exits (never force-killed).
    auto stopped = co_await ctx.mgr.agents().stop(job_ref(ctx));
    if (!stopped) co_return make_error_response(stopped.error());
    co_return make_json_response(beast::http::status::ok, boost::json::value_from(*stopped));
}

net::awaitable<response> resume_agent(route_context ctx) {
    if (!ctx.mgr.has_agents()) co_return agents_disabled_response();
    auto id = co_await ctx.mgr.agents().resume(job_ref(ctx));
    if (!id) co_return make_error_response(id.error());
    co_return make_json_response(beast::http::status::created, id_body(std::move(*id)));
}

}  // namespace handlers

}  // namespace clauster::http
