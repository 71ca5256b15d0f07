// The instance routes of spec §2.3 (bridges; hosted sessions are not built yet).

#include "handlers.hpp"

#include "response.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include <array>
#include <optional>
#include <string>
#include <utility>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

core::failure invalid(std::string message) { return core::make_failure(core::errc::invalid_argument, std::move(message)); }

/// Answered instead of a 500 when the embedder never called
/// `manager::enable_instances` (a server without bridge supervision).
response instances_disabled_response() {
    return make_error_response(beast::http::status::service_unavailable, "unavailable",
                               "instance supervision is not enabled");
}

/// The `{instance_id}` path parameter (percent-decoded), exactly as given.
std::string instance_ref(const route_context& ctx) {
    const auto it = ctx.params.find("instance_id");
    return it == ctx.params.end() ? std::string() : it->second;
}

/// The optional string fields of the spawn body, in the order they are checked.
struct optional_field {
    std::string_view name;
    std::optional<std::string> core::spawn_request::*member;
};

const std::array<optional_field, 7> spawn_fields{{
    {"channel", &core::spawn_request::channel},
    {"spawn_mode", &core::spawn_request::spawn_mode},
    {"permission_mode", &core::spawn_request::permission_mode},
    {"resume_mode", &core::spawn_request::resume_mode},
    {"name", &core::spawn_request::name},
    {"sandbox", &core::spawn_request::sandbox},
    {"resume_session_id", &core::spawn_request::resume_session_id},
}};

}  // namespace

//------------------------------------------------------------------------------

core::outcome<core::spawn_request> parse_spawn_body(std::string_view body) {
    // Spec §2.1: bodies are arbitrary JSON objects; each handler type-checks
    // its fields and answers 422 with a field-specific message.
    boost::system::error_code ec;
    const auto jv = boost::json::parse(body, ec);
    if (ec || !jv.is_object()) return invalid("body must be a JSON object");
    const auto& obj = jv.as_object();

    core::spawn_request wanted;
    const auto* project = obj.if_contains("project");
    if (project == nullptr || !project->is_string() || project->as_string().empty())
        return invalid("body must include a 'project' string");
    wanted.project = std::string(project->as_string());

    for (const auto& field : spawn_fields) {
        const auto* v = obj.if_contains(field.name);
        if (v == nullptr || v->is_null()) continue;  // absent (the reference reads `body.get(...)`)
        if (!v->is_string()) return invalid(std::string(field.name) + " must be a string");
        wanted.*(field.member) = std::string(v->as_string());
    }
    // `trust` stays false: over HTTP, trust is the separate Trust action (spec §2.3).
    return wanted;
}

boost::json::value spawn_result_json(const core::spawn_result& result) {
    auto jv = boost::json::value_from(result.inst);
    auto& obj = jv.as_object();
    obj["created"] = result.created;
    if (result.reason)
        obj["reason"] = *result.reason;
    else
        obj["reason"] = nullptr;
    boost::json::array warnings;
    warnings.reserve(result.warnings.size());
    for (const auto& w : result.warnings) warnings.emplace_back(w);
    obj["warnings"] = std::move(warnings);
    return jv;
}

//------------------------------------------------------------------------------

namespace handlers {

net::awaitable<response> list_instances(route_context ctx) {
    if (!ctx.mgr.has_instances()) co_return instances_disabled_response();
    const auto instances = ctx.mgr.instances().list();
    boost::json::array body;
    body.reserve(instances.size());
    for (const auto& inst : instances) body.push_back(boost::json::value_from(inst));
    co_return make_json_response(beast::http::status::ok, std::move(body));
}

net::awaitable<response> spawn_instance(route_context ctx) {
    if (!ctx.mgr.has_instances()) co_return instances_disabled_response();
    auto parsed = parse_spawn_body(std::string_view(ctx.req.body()));
    if (!parsed) co_return make_error_response(parsed.error());

    // Suspends this connection up to ~15 s while the bridge becomes ready.
    core::spawn_request wanted = std::move(*parsed);
    auto result = co_await ctx.mgr.instances().spawn(std::move(wanted));
    if (!result) co_return make_error_response(result.error());
    const auto status = result->created ? beast::http::status::created : beast::http::status::ok;
    co_return make_json_response(status, spawn_result_json(*result));
}

net::awaitable<response> get_instance(route_context ctx) {
    if (!ctx.mgr.has_instances()) co_return instances_disabled_response();
    const auto found = ctx.mgr.instances().get(instance_ref(ctx));
    if (!found) co_return make_error_response(found.error());
    co_return make_json_response(beast::http::status::ok, boost::json::value_from(*found));
}

net::awaitable<response> stop_instance(route_context ctx) {
    if (!ctx.mgr.has_instances()) co_return instances_disabled_response();
    std::string ref = instance_ref(ctx);
    auto stopped = co_await ctx.mgr.instances().stop(std::move(ref));
    if (!stopped) co_return make_error_response(stopped.error());
    co_return make_json_response(beast::http::status::ok, boost::json::value_from(*stopped));
}

net::awaitable<response> resume_instance(route_context ctx) {
    if (!ctx.mgr.has_instances()) co_return instances_disabled_response();
    std::string ref = instance_ref(ctx);
    auto resumed = co_await ctx.mgr.instances().resume(std::move(ref));
    if (!resumed) co_return make_error_response(resumed.error());
    // Spec §2.3: 200 whether or not something was relaunched (unlike spawn's 201).
    co_return make_json_response(beast::http::status::ok, spawn_result_json(*resumed));
}

net::awaitable<response> forget_instance(route_context ctx) {
    if (!ctx.mgr.has_instances()) co_return instances_disabled_response();
    const std::string ref = instance_ref(ctx);
    const auto forgotten = ctx.mgr.instances().forget(ref);
    if (!forgotten) co_return make_error_response(forgotten.error());
    boost::json::object body;
    body["id"] = ref;  // as given, not the resolved id (spec §2.3)
    body["forgotten"] = true;
    co_return make_json_response(beast::http::status::ok, std::move(body));
}

}  // namespace handlers

}  // namespace clauster::http
