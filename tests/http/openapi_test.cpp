#include "openapi.hpp"

#include "api_docs.hpp"
#include "handlers.hpp"
#include "logger.hpp"
#include "request_handler.hpp"
#include "response.hpp"

#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/json.hpp>
#include <clauster/core/local_executor.hpp>
#include <clauster/core/manager.hpp>
#include <clauster/store/database.hpp>
#include <clauster/store/sqlite_instance_store.hpp>
#include <clauster/store/sqlite_token_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace json = boost::json;
using namespace clauster;
using verb = boost::beast::http::verb;
using field = boost::beast::http::field;
using status = boost::beast::http::status;

namespace {

//------------------------------------------------------------------------------
// A minimal JSON Schema (2020-12) validator: the keywords our schemas use, and
// a failure for any other keyword, so a schema cannot silently say more than
// this test checks.

const std::set<std::string, std::less<>> annotation_keywords{"description", "format", "title"};
const std::set<std::string, std::less<>> checked_keywords{
    "$ref",  "type",      "enum",      "const",   "required", "properties", "additionalProperties",
    "items", "minLength", "maxLength", "pattern",
};

class schema_validator {
public:
    explicit schema_validator(const json::object& schemas) : schemas_(schemas) {}

    /// Empty when @p v conforms to @p schema, else `<where>: <why>` per failure.
    std::vector<std::string> validate(const json::value& schema, const json::value& v) const {
        std::vector<std::string> errors;
        check(schema, v, "$", errors);
        return errors;
    }

    /// Failures of the schema itself: unknown keywords, dangling `$ref`s.
    std::vector<std::string> lint(const json::value& schema, const std::string& where) const {
        std::vector<std::string> errors;
        lint_into(schema, where, errors);
        return errors;
    }

private:
    const json::value* resolve(std::string_view ref) const {
        constexpr std::string_view prefix = "#/components/schemas/";
        if (!ref.starts_with(prefix)) return nullptr;
        return schemas_.if_contains(ref.substr(prefix.size()));
    }

    static bool has_type(const json::value& v, std::string_view type) {
        if (type == "null") return v.is_null();
        if (type == "boolean") return v.is_bool();
        if (type == "string") return v.is_string();
        if (type == "object") return v.is_object();
        if (type == "array") return v.is_array();
        if (type == "number") return v.is_number();
        if (type == "integer") {
            if (v.is_int64() || v.is_uint64()) return true;
            if (!v.is_double()) return false;
            const double d = v.get_double();
            return d == static_cast<double>(static_cast<long long>(d));
        }
        return false;
    }

    void check(const json::value& schema, const json::value& v, const std::string& at,
               std::vector<std::string>& errors) const {
        if (!schema.is_object()) {
            errors.push_back(at + ": schema is not an object");
            return;
        }
        const auto& s = schema.as_object();
        if (const auto* ref = s.if_contains("$ref")) {
            const auto* target = resolve(ref->as_string());
            if (target == nullptr) errors.push_back(at + ": unresolved $ref " + json::serialize(*ref));
            else check(*target, v, at, errors);
        }
        if (const auto* type = s.if_contains("type")) {
            bool ok = false;
            if (type->is_string()) ok = has_type(v, type->as_string());
            else
                for (const auto& t : type->as_array()) ok = ok || has_type(v, t.as_string());
            if (!ok) {
                errors.push_back(at + ": expected type " + json::serialize(*type) + ", got " + json::serialize(v));
                return;
            }
        }
        if (const auto* e = s.if_contains("enum")) {
            const auto& values = e->as_array();
            if (std::find(values.begin(), values.end(), v) == values.end())
                errors.push_back(at + ": " + json::serialize(v) + " not in enum " + json::serialize(*e));
        }
        if (const auto* c = s.if_contains("const"); c != nullptr && *c != v)
            errors.push_back(at + ": expected const " + json::serialize(*c));
        if (v.is_string()) {
            const auto len = v.as_string().size();  // bytes; our test data is ASCII
            if (const auto* m = s.if_contains("minLength"); m != nullptr && len < m->to_number<std::size_t>())
                errors.push_back(at + ": shorter than minLength");
            if (const auto* m = s.if_contains("maxLength"); m != nullptr && len > m->to_number<std::size_t>())
                errors.push_back(at + ": longer than maxLength");
            if (const auto* p = s.if_contains("pattern")) {
                const std::regex re(std::string(p->as_string()));
                if (!std::regex_search(std::string(v.as_string()), re))
                    errors.push_back(at + ": does not match " + json::serialize(*p));
            }
        }
        if (v.is_object()) {
            const auto& o = v.as_object();
            if (const auto* req = s.if_contains("required"))
                for (const auto& k : req->as_array())
                    if (!o.contains(k.as_string()))
                        errors.push_back(at + ": missing required " + json::serialize(k));
            const auto* props = s.if_contains("properties");
            const auto* extra = s.if_contains("additionalProperties");
            for (const auto& kv : o) {
                const std::string child = at + "." + std::string(kv.key());
                const json::value* sub = props ? props->as_object().if_contains(kv.key()) : nullptr;
                if (sub) check(*sub, kv.value(), child, errors);
                else if (extra && extra->is_bool() && !extra->as_bool())
                    errors.push_back(child + ": not allowed");
                else if (extra && extra->is_object())
                    check(*extra, kv.value(), child, errors);
            }
        }
        if (v.is_array()) {
            if (const auto* items = s.if_contains("items")) {
                std::size_t i = 0;
                for (const auto& el : v.as_array()) check(*items, el, at + "[" + std::to_string(i++) + "]", errors);
            }
        }
    }

    void lint_into(const json::value& schema, const std::string& where, std::vector<std::string>& errors) const {
        if (!schema.is_object()) {
            errors.push_back(where + ": not an object");
            return;
        }
        for (const auto& kv : schema.as_object()) {
            const auto key = kv.key();
            if (!checked_keywords.contains(key) && !annotation_keywords.contains(key))
                errors.push_back(where + ": keyword " + std::string(key) + " is not checked by this validator");
            if (key == "$ref" && resolve(kv.value().as_string()) == nullptr)
                errors.push_back(where + ": unresolved $ref " + json::serialize(kv.value()));
            if (key == "properties")
                for (const auto& p : kv.value().as_object())
                    lint_into(p.value(), where + ".properties." + std::string(p.key()), errors);
            if ((key == "items" || key == "additionalProperties") && kv.value().is_object())
                lint_into(kv.value(), where + "." + std::string(key), errors);
        }
    }

    const json::object& schemas_;
};

//------------------------------------------------------------------------------

void write_file(const fs::path& p, std::string_view content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
}

constexpr unsigned short test_port = 7621;

/// A real manager over real SQLite stores in a temp dir (instance supervision
/// enabled, so the instance routes answer), and the pure handler built from
/// the configuration alone, as clausterd builds it.
class openapi_fixture {
public:
    openapi_fixture() {
        fs::create_directories(home());
        for (const auto* name : {"alpha", "beta"}) fs::create_directories(projects() / name);
        fs::create_directory(projects() / "beta" / ".git");
        write_file(home() / ".claude.json", R"({"projects": {")" + (projects() / "alpha").string() +
                                                R"(": {"hasTrustDialogAccepted": true}}})");
        auto opened = store::database::open(state());
        if (!opened) throw std::runtime_error("database open failed: " + opened.error().message);
        db_.emplace(std::move(*opened));
        tokens_.emplace(*db_);
        instances_.emplace(*db_);
        executor_.emplace(ioc_.get_executor());
    }

    fs::path home() const { return tmp_.path() / "home"; }
    fs::path projects() const { return tmp_.path() / "projects"; }
    fs::path state() const { return tmp_.path() / "state"; }

    void start(const std::function<void(core::config&)>& tweak = {}) {
        handler_.reset();
        mgr_.reset();
        core::config cfg;
        cfg.projects_root = projects();
        cfg.state_dir = state();
        cfg.host = "127.0.0.1";
        cfg.port = test_port;
        if (tweak) tweak(cfg);
        mgr_.emplace(std::move(cfg), *tokens_, clock_, core::environment{{"HOME", home().string()}});
        mgr_->enable_instances(ioc_.get_executor(), *instances_, *executor_,
                               core::instance_paths{state(), home(), state() / "no-keeper"});
        mgr_->enable_sessions(ioc_.get_executor(), *executor_);  // no PATH: no claude, no sessions
        handler_.emplace(*mgr_, test_port, log_);  // the table comes from the config
    }

    http::response handle(http::request req) {
        auto answer = net::co_spawn(ioc_, handler_->handle(std::move(req)), net::use_future);
        ioc_.restart();
        ioc_.run();
        return answer.get();
    }

    http::response call(verb method, std::string target, std::string body = {},
                        std::optional<std::string> bearer = std::nullopt) {
        http::request req{method, target, 11};
        req.set(field::host, "127.0.0.1:7621");
        if (bearer) req.set(field::authorization, "Bearer " + *bearer);
        if (!body.empty()) {
            req.set(field::content_type, "application/json");
            req.body() = std::move(body);
        }
        req.prepare_payload();
        return handle(std::move(req));
    }

    http::response get(std::string target, std::optional<std::string> bearer = std::nullopt) {
        return call(verb::get, std::move(target), {}, std::move(bearer));
    }

    /// A stopped bridge row with every kind of field set (a pid, a float, ticks,
    /// a timestamp, paths) so its wire form exercises the Instance schema.
    void add_stopped_instance() {
        core::instance inst;
        inst.instance_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        inst.project = "alpha";
        inst.label = "alpha";
        inst.bridge = core::process_identity{4242, 123456u, std::string("boot-id"), 1763880000.25};
        inst.bridge_id = "3b241101-e2bb-4255-8caf-4136c566a962";
        inst.environment_id = "env_01ABC";
        inst.starter_session_id = "session_01XYZ";
        inst.url = "https://claude.ai/code?environment=env_01ABC";
        inst.status = core::instance_status::stopped;
        inst.intentional_stop = true;
        inst.started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1763880000));
        inst.bridge_debug_log_path = state() / "logs" / "alpha.log";
        REQUIRE(instances_->upsert(inst).has_value());
    }

    core::manager& mgr() { return *mgr_; }

private:
    clauster::test::temp_dir tmp_;
    net::io_context ioc_{1};
    std::ostringstream log_stream_;
    http::logger log_{core::log_level::error, log_stream_};
    std::optional<store::database> db_;
    std::optional<store::sqlite_token_store> tokens_;
    std::optional<store::sqlite_instance_store> instances_;
    std::optional<core::local_executor> executor_;
    core::system_clock clock_;
    std::optional<core::manager> mgr_;
    std::optional<http::request_handler> handler_;
};

std::string header(const http::response& res, std::string_view name) {
    const auto it = res.find(name);
    if (it == res.end()) return {};
    return std::string(it->value());
}

json::value body_json(const http::response& res) { return json::parse(res.body()); }

void enable_openapi(core::config& cfg) { cfg.api.openapi_enabled = true; }

core::config enabled_config() {
    core::config cfg;
    cfg.api.openapi_enabled = true;
    return cfg;
}

/// `{name}` segments of a path template.
std::vector<std::string> template_params(std::string_view path) {
    std::vector<std::string> out;
    const std::regex re(R"(\{([^}]+)\})");
    const std::string s(path);
    for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1].str());
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
}

/// The schema of @p status's JSON body for the operation @p method @p path.
const json::value& response_schema(const json::value& doc, std::string_view path, std::string_view method,
                                   std::string_view code) {
    return doc.at("paths").at(path).at(method).at("responses").at(code).at("content").at("application/json").at(
        "schema");
}

void require_valid(const schema_validator& v, const json::value& schema, const json::value& body) {
    const auto errors = v.validate(schema, body);
    for (const auto& e : errors) UNSCOPED_INFO(e);
    CHECK(errors.empty());
}

}  // namespace

//------------------------------------------------------------------------------
// The document

TEST_CASE("the OpenAPI document lists exactly the registered routes", "[http]") {
    const auto table = http::make_route_table(enabled_config());
    const auto doc = http::make_openapi_document(table, "");
    // It is valid JSON as served, not only as a value.
    const auto reparsed = json::parse(json::serialize(doc));
    CHECK(reparsed == doc);

    CHECK(doc.at("openapi") == "3.1.0");
    REQUIRE(doc.at("paths").is_object());

    std::set<std::pair<std::string, std::string>> expected;
    for (const auto& r : table.routes())
        for (const auto& p : r.served_paths()) expected.emplace(p, lower(boost::beast::http::to_string(r.method)));
    std::set<std::pair<std::string, std::string>> documented;
    for (const auto& [path, item] : doc.at("paths").as_object())
        for (const auto& [method, op] : item.as_object()) documented.emplace(std::string(path), std::string(method));
    CHECK(documented == expected);

    // Both prefixes of a public route, the internal one once, the docs themselves, healthz.
    CHECK(expected.contains({"/api/v1/projects", "get"}));
    CHECK(expected.contains({"/api/projects", "get"}));
    CHECK(expected.contains({"/api/v1/agents/{job_id}/resume", "post"}));
    CHECK(expected.contains({"/api/instances/{instance_id}/forget", "post"}));
    CHECK_FALSE(expected.contains({"/api/v1/instances/{instance_id}/forget", "post"}));
    CHECK(expected.contains({"/healthz", "get"}));
    CHECK(expected.contains({"/openapi.json", "get"}));
    CHECK(expected.contains({"/docs", "get"}));
    CHECK(expected.contains({"/api/projects/{name}/adopt", "post"}));
    CHECK_FALSE(expected.contains({"/api/v1/projects/{name}/adopt", "post"}));
    CHECK(expected.size() == 13 * 2 + 2 + 3);
}

TEST_CASE("every operation: id, route name, parameters, responses with Error bodies", "[http]") {
    const auto table = http::make_route_table(enabled_config());
    const auto doc = http::make_openapi_document(table, "");
    std::set<std::string> ids;
    std::set<std::string> route_names;
    for (const auto& r : table.routes()) route_names.insert(r.name);

    for (const auto& [path, item] : doc.at("paths").as_object()) {
        for (const auto& [method, op_value] : item.as_object()) {
            INFO(std::string(method) << " " << std::string(path));
            const auto& op = op_value.as_object();
            const std::string id(op.at("operationId").as_string());
            const std::string route(op.at("x-clauster-route").as_string());
            CHECK(ids.insert(id).second);  // unique in the document
            CHECK(route_names.contains(route));
            // The route name is the id; the unversioned alias of a public route is suffixed.
            const bool alias = op.at("x-clauster-scope") == "public" && !path.starts_with("/api/v1/");
            CHECK(id == (alias ? route + "_unversioned" : route));
            CHECK_FALSE(op.at("summary").as_string().empty());

            // Every {param} is a required path parameter, and nothing else.
            std::set<std::string> declared;
            if (const auto* params = op.if_contains("parameters"))
                for (const auto& p : params->as_array()) {
                    CHECK(p.at("in") == "path");
                    CHECK(p.at("required") == true);
                    declared.insert(std::string(p.at("name").as_string()));
                }
            const auto wanted = template_params(path);
            CHECK(declared == std::set<std::string>(wanted.begin(), wanted.end()));

            const auto& responses = op.at("responses").as_object();
            bool has_success = false;
            for (const auto& [code, res] : responses) {
                CHECK(res.as_object().contains("description"));
                if (code.starts_with("2")) has_success = true;
                if (code.starts_with("4") || code.starts_with("5"))
                    CHECK(res.at("content").at("application/json").at("schema") == http::schema_ref("Error"));
            }
            CHECK(has_success);
            if (path != "/healthz") CHECK(responses.contains("401"));
            if (method == "post" || method == "delete") CHECK(responses.contains("403"));
            if (method == "post" && op.at("x-clauster-route") != "resume_instance" &&
                op.at("x-clauster-route") != "resume_agent" && op.at("x-clauster-route") != "forget_instance" &&
                op.at("x-clauster-route") != "adopt_project")
                CHECK(op.contains("requestBody"));
        }
    }
    // Every route is built: no 501 is documented anywhere.
    CHECK(!doc.at("paths").at("/api/v1/sessions").at("get").at("responses").as_object().contains("501"));
    // The agent routes are built: documented with their spec schemas, no 501.
    const auto& agents = doc.at("paths").at("/api/v1/agents").at("get").at("responses");
    CHECK(!agents.as_object().contains("501"));
    CHECK(agents.at("503").is_object());
    CHECK(agents.at("200").at("content").at("application/json").at("schema").at("items") ==
          http::schema_ref("BackgroundJob"));
}

TEST_CASE("the schemas use only checked keywords and every $ref resolves", "[http]") {
    const auto doc = http::make_openapi_document(http::make_route_table(enabled_config()), "");
    const auto& schemas = doc.at("components").at("schemas").as_object();
    for (const auto* name : {"Instance", "SpawnResult", "Project", "BackgroundJob", "WorkingSession", "Error"})
        CHECK(schemas.contains(name));
    const schema_validator v(schemas);
    std::vector<std::string> errors;
    const auto add = [&errors](std::vector<std::string> more) { errors.insert(errors.end(), more.begin(), more.end()); };
    for (const auto& [name, s] : schemas) add(v.lint(s, "#/components/schemas/" + std::string(name)));
    for (const auto& [path, item] : doc.at("paths").as_object())
        for (const auto& [method, op] : item.as_object()) {
            const std::string where = std::string(method) + " " + std::string(path);
            if (const auto* body = op.as_object().if_contains("requestBody"))
                add(v.lint(body->at("content").at("application/json").at("schema"), where + " requestBody"));
            for (const auto& [code, res] : op.at("responses").as_object())
                if (const auto* content = res.as_object().if_contains("content"))
                    for (const auto& [media, m] : content->as_object())
                        add(v.lint(m.at("schema"), where + " " + std::string(code) + " " + std::string(media)));
        }
    for (const auto& e : errors) UNSCOPED_INFO(e);
    CHECK(errors.empty());
}

TEST_CASE("the Instance schema has exactly the fields of the wire form", "[http]") {
    const auto wire = json::value_from(core::instance{});
    const auto schemas = http::openapi_component_schemas();
    const auto& props = schemas.at("Instance").at("properties").as_object();
    std::vector<std::string> wire_keys;
    std::vector<std::string> schema_keys;
    for (const auto& kv : wire.as_object()) wire_keys.emplace_back(kv.key());
    for (const auto& kv : props) schema_keys.emplace_back(kv.key());
    CHECK(schema_keys == wire_keys);  // same fields, same order
    CHECK(schemas.at("Instance").at("required").as_array().size() == wire_keys.size());
}

TEST_CASE("the server URL is root_path", "[http]") {
    const auto table = http::make_route_table(enabled_config());
    CHECK(http::make_openapi_document(table, "").at("servers").at(0).at("url") == "/");
    CHECK(http::make_openapi_document(table, "/clauster").at("servers").at(0).at("url") == "/clauster");
}

//------------------------------------------------------------------------------
// Recorded responses validate against the document

TEST_CASE_METHOD(openapi_fixture, "recorded responses validate against their schemas", "[http]") {
    add_stopped_instance();
    start(enable_openapi);
    const auto served = get("/openapi.json");
    REQUIRE(served.result() == status::ok);
    const auto doc = body_json(served);
    const schema_validator v(doc.at("components").at("schemas").as_object());

    SECTION("GET /api/v1/projects") {
        const auto res = get("/api/v1/projects");
        REQUIRE(res.result() == status::ok);
        const auto body = body_json(res);
        CHECK(body.as_array().size() == 2);
        require_valid(v, response_schema(doc, "/api/v1/projects", "get", "200"), body);
    }
    SECTION("GET /api/v1/instances") {
        const auto res = get("/api/v1/instances");
        REQUIRE(res.result() == status::ok);
        const auto body = body_json(res);
        REQUIRE(body.as_array().size() == 1);
        CHECK(body.at(0).at("bridge_pid") == 4242);
        require_valid(v, response_schema(doc, "/api/v1/instances", "get", "200"), body);
    }
    SECTION("GET /api/v1/instances/{instance_id}") {
        const auto res = get("/api/v1/instances/0f8fad5b");
        REQUIRE(res.result() == status::ok);
        require_valid(v, response_schema(doc, "/api/v1/instances/{instance_id}", "get", "200"), body_json(res));
    }
    SECTION("a 422 error") {
        const auto res = call(verb::post, "/api/v1/instances", R"({"project": 7})");
        REQUIRE(res.result() == status::unprocessable_entity);
        require_valid(v, response_schema(doc, "/api/v1/instances", "post", "422"), body_json(res));
    }
    SECTION("a 404 error") {
        const auto res = get("/api/v1/instances/no-such-thing");
        REQUIRE(res.result() == status::not_found);
        require_valid(v, response_schema(doc, "/api/v1/instances/{instance_id}", "get", "404"), body_json(res));
    }
    SECTION("GET /api/v1/sessions") {
        const auto res = get("/api/v1/sessions");
        REQUIRE(res.result() == status::ok);
        require_valid(v, response_schema(doc, "/api/v1/sessions", "get", "200"), body_json(res));
    }
    SECTION("GET /healthz") {
        const auto res = get("/healthz");
        REQUIRE(res.result() == status::ok);
        require_valid(v, response_schema(doc, "/healthz", "get", "200"), body_json(res));
    }
    SECTION("the spawn body shape") {
        core::spawn_result result;
        result.inst = mgr().instances().list().at(0);
        result.created = false;
        result.reason = "already running";
        result.warnings = {"a warning"};
        require_valid(v, response_schema(doc, "/api/v1/instances", "post", "201"), http::spawn_result_json(result));
    }
    SECTION("a background job and a working session as spec §3.3 shapes them") {
        // Until the agent and session routes answer, hand-written samples.
        const auto job = json::parse(R"({"id":"0123abcd","state":"done","detail":null,"tempo":null,"needs":null,
            "result":"ok","intent":null,"name":"fix","cwd":"/p/alpha","session_id":null,"bridge_session_id":null,
            "transcript_path":null,"cli_version":"2.1.0","created_at":1763880000000,"updated_at":1763880001000,
            "worker_pid":null,"worker_alive":false})");
        require_valid(v, response_schema(doc, "/api/v1/agents", "get", "200"), json::array{job});
        const auto sessions = json::parse(R"({"alpha":[{"pid":7,"cwd":"/p/alpha","kind":"interactive","state":"",
            "started_at":1763880000000,"local_uuid":null,"parent_instance":null,"attribution":"external"}]})");
        require_valid(v, response_schema(doc, "/api/v1/sessions", "get", "200"), sessions);
    }
    SECTION("the validator rejects what does not conform") {
        auto bad = body_json(get("/api/v1/instances"));
        bad.as_array()[0].as_object()["status"] = "sleeping";
        bad.as_array()[0].as_object().erase("project");
        CHECK(v.validate(response_schema(doc, "/api/v1/instances", "get", "200"), bad).size() == 2);
        CHECK_FALSE(v.validate(http::schema_ref("Error"), json::parse(R"({"detail": 1})")).empty());
    }
}

//------------------------------------------------------------------------------
// Gating (spec §4.4 step 4, §4.8)

TEST_CASE_METHOD(openapi_fixture, "disabled: /openapi.json and /docs are a plain 404", "[http]") {
    SECTION("auth off") { start(); }
    SECTION("auth on, anonymous: 404, not 401 or a redirect") {
        start([](core::config& cfg) { cfg.auth.enabled = true; });
    }
    for (const auto* path : {"/openapi.json", "/docs"}) {
        INFO(path);
        const auto res = get(path);
        CHECK(res.result() == status::not_found);
        CHECK(header(res, "Content-Type") == "application/json");
        CHECK(body_json(res) == json::parse(R"({"detail":"Not Found","code":"not_found"})"));
        CHECK(header(res, "Location").empty());
    }
}

TEST_CASE_METHOD(openapi_fixture, "enabled, auth on: anonymous callers get 401 JSON, never a redirect", "[http]") {
    start([](core::config& cfg) {
        cfg.auth.enabled = true;
        cfg.api.openapi_enabled = true;
    });
    for (const auto* path : {"/openapi.json", "/docs"}) {
        INFO(path);
        const auto res = get(path);
        CHECK(res.result() == status::unauthorized);
        CHECK(header(res, "Content-Type") == "application/json");
        CHECK(header(res, "Location").empty());
        CHECK(body_json(res) == json::parse(R"({"detail":"authentication required","code":"unauthorized"})"));
    }
    // A credential lets the caller in.
    const auto issued = mgr().tokens().issue("docs");
    REQUIRE(issued.has_value());
    CHECK(get("/openapi.json", issued->raw).result() == status::ok);
    CHECK(get("/docs", issued->raw).result() == status::ok);
}

TEST_CASE_METHOD(openapi_fixture, "enabled, auth off: the document and the page", "[http]") {
    start([](core::config& cfg) {
        cfg.api.openapi_enabled = true;
        cfg.root_path = "/clauster";
    });

    const auto doc_res = get("/clauster/openapi.json");
    REQUIRE(doc_res.result() == status::ok);
    CHECK(header(doc_res, "Content-Type") == "application/json");
    const auto doc = body_json(doc_res);
    CHECK(doc.at("openapi") == "3.1.0");
    CHECK(doc.at("servers").at(0).at("url") == "/clauster");

    const auto page = get("/clauster/docs");
    REQUIRE(page.result() == status::ok);
    CHECK(header(page, "Content-Type").starts_with("text/html"));
    CHECK(header(page, "Cache-Control") == "no-store");
    CHECK(header(page, "X-Frame-Options") == "DENY");

    // The inline script and style carry the nonce of this response's CSP.
    const auto csp = header(page, "Content-Security-Policy");
    std::smatch m;
    REQUIRE(std::regex_search(csp, m, std::regex("script-src 'self' 'nonce-([A-Za-z0-9_-]+)'")));
    const auto nonce = m[1].str();
    CHECK(csp == http::content_security_policy(nonce));
    const auto& html = page.body();
    CHECK(html.find("<script nonce=\"" + nonce + "\">") != std::string::npos);
    CHECK(html.find("<style nonce=\"" + nonce + "\">") != std::string::npos);
    // Self-contained: no external scripts, styles or fetches; the document is
    // fetched relative to the page, so root_path works.
    CHECK(html.find("src=") == std::string::npos);
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("fetch(\"openapi.json\"") != std::string::npos);
    CHECK(html.find("innerHTML") == std::string::npos);
    // Every <script>/<style> tag carries the nonce (an unnonced one would be blocked).
    CHECK(std::regex_search(html, std::regex("<script>|<style>")) == false);

    // A fresh nonce per response.
    CHECK(header(get("/clauster/docs"), "Content-Security-Policy") != csp);
    CHECK(http::api_docs_page("abc").find("nonce=\"abc\"") != std::string::npos);
}
