#include "openapi.hpp"

#include "guard.hpp"
#include "response.hpp"

#include <clauster/core/version.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

//------------------------------------------------------------------------------
// Schema building blocks.

value type_of(std::string_view type) { return object{{"type", type}}; }

/// `{"type": [type, "null"]}`: how JSON Schema 2020-12 spells a nullable field.
value nullable(std::string_view type) { return object{{"type", array{type, "null"}}}; }

value string_enum(std::initializer_list<std::string_view> values) {
    array e;
    for (const auto v : values) e.emplace_back(v);
    return object{{"type", "string"}, {"enum", std::move(e)}};
}

value with_description(value schema, std::string_view description) {
    schema.as_object()["description"] = description;
    return schema;
}

/// An object schema with @p properties, all of them required unless listed in @p optional.
value object_schema(object properties, std::initializer_list<std::string_view> optional = {}) {
    array required;
    for (const auto& kv : properties) {
        const auto key = kv.key();
        if (std::find(optional.begin(), optional.end(), key) == optional.end()) required.emplace_back(key);
    }
    return object{{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

/// The Instance properties, exactly the keys of `tag_invoke(…, const instance&)`
/// in libcore/src/json.cpp, in its (spec §3.1) order.
object instance_properties() {
    return object{
        {"instance_id", with_description(type_of("string"), "UUID4 minted at spawn")},
        {"project", type_of("string")},
        {"label", with_description(type_of("string"), "the --name passed to claude")},
        {"bridge_pid", nullable("integer")},
        {"bridge_proc_start", with_description(nullable("number"), "process create time (epoch seconds)")},
        {"bridge_start_ticks", nullable("integer")},
        {"bridge_boot_id", nullable("string")},
        {"bridge_id", nullable("string")},
        {"environment_id", nullable("string")},
        {"starter_session_id", nullable("string")},
        {"url", nullable("string")},
        {"session_url", with_description(nullable("string"), "computed from starter_session_id")},
        {"spawn_mode", string_enum({"same-dir", "worktree", "session"})},
        {"permission_mode",
         string_enum({"default", "plan", "acceptEdits", "auto", "dontAsk", "bypassPermissions", "inherit"})},
        {"sandbox_mode", string_enum({"default", "on", "off"})},
        {"resume_mode", string_enum({"standard", "pty"})},
        {"keeper_pid", nullable("integer")},
        {"keeper_proc_start", nullable("number")},
        {"keeper_start_ticks", nullable("integer")},
        {"worktree_name", nullable("string")},
        {"status", string_enum({"starting", "running", "stopped", "crashed", "error"})},
        {"intentional_stop", type_of("boolean")},
        {"started_at", with_description(nullable("string"), "ISO 8601 with microseconds and offset")},
        {"bridge_debug_log_path", nullable("string")},
        {"bridge_raw_log_path", nullable("string")},
        {"error_detail", with_description(nullable("string"), "redacted tail of the bridge output")},
        {"notice", nullable("string")},
        {"claude_version", nullable("string")},
        {"channel", string_enum({"remote-control", "hosted"})},
        {"claude_session_uuid_usable", type_of("boolean")},
    };
}

value error_response(std::string_view description) {
    return object{{"description", description},
                  {"content", object{{"application/json", object{{"schema", schema_ref("Error")}}}}}};
}

std::string status_key(beast::http::status s) { return std::to_string(static_cast<unsigned>(s)); }

/// The `{name}` segments of @p pattern, in order.
std::vector<std::string> pattern_params(std::string_view pattern) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while ((pos = pattern.find('{', pos)) != std::string_view::npos) {
        const auto end = pattern.find('}', pos);
        if (end == std::string_view::npos) break;
        out.emplace_back(pattern.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return out;
}

std::string_view scope_name(route_scope s) {
    switch (s) {
        case route_scope::public_api: return "public";
        case route_scope::internal_api: return "internal";
        case route_scope::root: return "root";
    }
    return "root";
}

std::string method_key(beast::http::verb m) {
    const auto s = beast::http::to_string(m);
    std::string out(s.data(), s.size());
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return out;
}

value make_operation(const route& r, std::string operation_id) {
    const auto& doc = r.doc;
    object op;
    op["operationId"] = std::move(operation_id);
    if (!doc.summary.empty()) op["summary"] = doc.summary;
    if (!doc.tags.empty()) {
        array tags;
        for (const auto& t : doc.tags) tags.emplace_back(t);
        op["tags"] = std::move(tags);
    }
    op["x-clauster-route"] = r.name;
    op["x-clauster-scope"] = scope_name(r.scope);

    const auto params = pattern_params(r.pattern);
    array list;
    for (const auto& p : params) {
        object param{{"name", p}, {"in", "path"}, {"required", true}, {"schema", type_of("string")}};
        if (const auto it = doc.param_descriptions.find(p); it != doc.param_descriptions.end())
            param["description"] = it->second;
        list.emplace_back(std::move(param));
    }
    for (const auto& q : doc.query_params) {
        object param{{"name", q.name}, {"in", "query"}, {"required", false}, {"schema", type_of(q.type)}};
        if (!q.description.empty()) param["description"] = q.description;
        list.emplace_back(std::move(param));
    }
    if (!list.empty()) op["parameters"] = std::move(list);

    if (!doc.request_body.is_null()) {
        op["requestBody"] = object{{"required", true},
                                   {"content", object{{"application/json", object{{"schema", doc.request_body}}}}}};
    }

    object responses;
    for (const auto& ok : doc.successes) {
        object res{{"description", ok.description.empty() ? std::string(beast::http::obsolete_reason(ok.status))
                                                          : ok.description}};
        if (!doc.response_schema.is_null())
            res["content"] = object{{doc.response_media_type, object{{"schema", doc.response_schema}}}};
        responses[status_key(ok.status)] = std::move(res);
    }
    for (const auto& err : doc.errors) {
        const auto text =
            err.description.empty() ? std::string(beast::http::obsolete_reason(err.status)) : err.description;
        responses[status_key(err.status)] = error_response(text);
    }
    // The guard's answers (spec §4.4), the same for every route.
    if (doc.authenticated && !responses.contains("401"))
        responses["401"] = error_response("authentication required (auth.enabled and no valid credential)");
    if (is_unsafe_method(r.method) && !responses.contains("403"))
        responses["403"] = error_response("origin check failed");
    op["responses"] = std::move(responses);
    if (!doc.authenticated) op["security"] = array{object{}};
    return op;
}

}  // namespace

//------------------------------------------------------------------------------

value schema_ref(std::string_view name) {
    std::string ref = "#/components/schemas/";
    ref += name;
    return object{{"$ref", std::move(ref)}};
}

value array_of(value items) { return object{{"type", "array"}, {"items", std::move(items)}}; }

object openapi_component_schemas() {
    object schemas;

    schemas["Error"] = with_description(
        object_schema(object{{"detail", with_description(type_of("string"), "human-readable message")},
                             {"code", with_description(type_of("string"), "stable machine-readable code")}}),
        "Every error body (house style §3).");

    schemas["Project"] = with_description(
        object_schema(object{
            {"name", type_of("string")},
            {"path", type_of("string")},
            {"is_git_repo", type_of("boolean")},
            {"has_claude_md", type_of("boolean")},
            {"has_claude_dir", type_of("boolean")},
            {"trust_state", string_enum({"trusted", "untrusted"})},
            {"allow_bypass_permissions", type_of("boolean")},
        }),
        "A directory directly under projects_root (spec §3.3).");

    schemas["Instance"] = with_description(object_schema(instance_properties()),
                                           "A managed bridge or hosted session (spec §3.1).");

    auto spawn = instance_properties();
    spawn["created"] = with_description(type_of("boolean"), "false: an existing live instance came back");
    spawn["reason"] = nullable("string");
    spawn["warnings"] = array_of(type_of("string"));
    schemas["SpawnResult"] =
        with_description(object_schema(std::move(spawn)), "The Instance plus the outcome of a spawn or resume.");

    schemas["WorkingSession"] = with_description(
        object_schema(
            object{
                {"pid", with_description(type_of("integer"), "the session's process (its SDK worker for a bridge)")},
                {"cwd", with_description(type_of("string"), "absolute path")},
                {"kind", with_description(type_of("string"), "interactive, background, empty (older CLIs) or a newer kind")},
                {"state", with_description(type_of("string"),
                                           "empty, working or blocked (done, failed and stopped sessions are dropped)")},
                {"started_at", with_description(type_of("integer"), "epoch milliseconds")},
                {"local_uuid", with_description(type_of("string"), "the local session UUID (`sessionId`)")},
                {"parent_instance", with_description(nullable("string"), "the owning instance id; null unless tracked")},
                {"attribution", string_enum({"tracked", "hosted", "untracked", "external"})},
            }),
        "A Claude Code session seen on this machine (spec §3.3).");

    schemas["Event"] = with_description(
        object_schema(object{
            {"seq", with_description(type_of("integer"), "1, 2, 3… per server run")},
            {"at", with_description(type_of("string"), "ISO 8601, microseconds, UTC")},
            {"type", with_description(type_of("string"),
                                      "instance.<status>, instance.adopted, instance.forgotten, agent.dispatched, "
                                      "agent.resumed or agent.stopped")},
            {"subject", with_description(type_of("string"), "the instance id or the background job id")},
            {"project", type_of("string")},
            {"detail", with_description(nullable("string"), "redacted free text, or null")},
        }),
        "One state change (the event bus).");

    // The wire form of background_job_json.cpp: every key always present.
    object job{
        {"id", object{{"type", "string"}, {"pattern", "^[0-9a-f]{8}$"}}},
        {"state", nullable("string")},
    };
    for (const auto* text : {"detail", "tempo", "needs", "result", "intent", "name", "cwd", "session_id",
                             "bridge_session_id", "transcript_path", "cli_version"})
        job[text] = nullable("string");
    job["created_at"] = with_description(nullable("integer"), "epoch milliseconds");
    job["updated_at"] = with_description(nullable("integer"), "epoch milliseconds");
    job["worker_pid"] = with_description(nullable("integer"), "null unless the worker is alive");
    job["worker_alive"] = type_of("boolean");
    schemas["BackgroundJob"] =
        with_description(object_schema(std::move(job)), "A `claude --bg` job (spec §3.3); free text is redacted.");

    return schemas;
}

value make_openapi_document(const route_table& routes, std::string_view root_path) {
    object paths;
    array tags;
    const auto add_tag = [&tags](const std::string& t) {
        if (std::find(tags.begin(), tags.end(), value(object{{"name", t}})) == tags.end())
            tags.emplace_back(object{{"name", t}});
    };
    for (const auto& r : routes.routes()) {
        for (const auto& t : r.doc.tags) add_tag(t);
        for (const auto& path : r.served_paths()) {
            // Operation ids are unique per document; /api/v1 owns the route name.
            std::string id = r.name;
            if (r.scope == route_scope::public_api && !path.starts_with("/api/v1/")) id += "_unversioned";
            auto& item = paths[path];
            if (!item.is_object()) item = object{};
            item.as_object()[method_key(r.method)] = make_operation(r, std::move(id));
        }
    }

    std::string server = root_path.empty() ? std::string("/") : std::string(root_path);
    return object{
        {"openapi", "3.1.0"},
        {"jsonSchemaDialect", "https://json-schema.org/draft/2020-12/schema"},
        {"info",
         object{{"title", "clauster"},
                {"version", core::version},
                {"description", "Clauster HTTP API. `/api/v1/...` is the stable public surface; `/api/...` "
                                "serves the same public routes unversioned, plus internal ones."}}},
        {"servers", array{object{{"url", std::move(server)}}}},
        // Credentials are optional when auth.enabled is off.
        {"security", array{object{}, object{{"bearer", array{}}}}},
        {"tags", std::move(tags)},
        {"paths", std::move(paths)},
        {"components",
         object{{"schemas", openapi_component_schemas()},
                {"securitySchemes",
                 object{{"bearer",
                         object{{"type", "http"},
                                {"scheme", "bearer"},
                                {"description", "a named API token (`clauster api-token issue`) or the legacy token"}}}}}}},
    };
}

net::awaitable<response> serve_openapi_json(std::shared_ptr<const std::string> document, route_context) {
    response res{beast::http::status::ok, 11};
    res.set(beast::http::field::content_type, "application/json");
    res.body() = *document;
    res.prepare_payload();
    co_return res;
}

}  // namespace clauster::http
