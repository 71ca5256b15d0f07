// The working-session views of spec §2.4 and the internal adopt route (§2.6).

#include "handlers.hpp"

#include "response.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value_from.hpp>

#include <map>
#include <string>
#include <vector>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

/// Answered when the embedder never called `manager::enable_sessions`.
response sessions_disabled_response() {
    return make_error_response(beast::http::status::service_unavailable, "unavailable",
                               "working sessions are not enabled");
}

boost::json::object grouped(const std::map<std::string, std::vector<core::working_session>>& groups) {
    boost::json::object body;
    for (const auto& [key, sessions] : groups) {
        boost::json::array list;
        list.reserve(sessions.size());
        for (const auto& s : sessions) list.push_back(boost::json::value_from(s));
        body[key] = std::move(list);
    }
    return body;
}

}  // namespace

namespace handlers {

net::awaitable<response> list_sessions(route_context ctx) {
    if (!ctx.mgr.has_sessions()) co_return sessions_disabled_response();
    const auto groups = co_await ctx.mgr.sessions().external_by_project();
    co_return make_json_response(beast::http::status::ok, grouped(groups));
}

net::awaitable<response> list_tracked_sessions(route_context ctx) {
    if (!ctx.mgr.has_sessions()) co_return sessions_disabled_response();
    const auto groups = co_await ctx.mgr.sessions().tracked_by_instance();
    co_return make_json_response(beast::http::status::ok, grouped(groups));
}

net::awaitable<response> list_adoptable_sessions(route_context ctx) {
    if (!ctx.mgr.has_sessions()) co_return sessions_disabled_response();
    const auto names = co_await ctx.mgr.sessions().adoptable();
    boost::json::array body;
    for (const auto& n : names) body.emplace_back(n);
    co_return make_json_response(beast::http::status::ok, std::move(body));
}

net::awaitable<response> adopt_project(route_context ctx) {
    if (!ctx.mgr.has_instances())
        co_return make_error_response(beast::http::status::service_unavailable, "unavailable",
                                      "instance supervision is not enabled");
    const auto it = ctx.params.find("name");
    std::string name = it == ctx.params.end() ? std::string() : it->second;
    auto adopted = co_await ctx.mgr.instances().adopt(std::move(name));
    if (!adopted) co_return make_error_response(adopted.error());
    co_return make_json_response(beast::http::status::ok, boost::json::value_from(*adopted));
}

}  // namespace handlers

}  // namespace clauster::http
