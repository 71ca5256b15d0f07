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
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include "support/json_schema.hpp"
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
using clauster::test::schema_validator;

namespace {

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
    CHECK(expected.contains({"/api/events", "get"}));
    CHECK(expected.size() == 13 * 2 + 3 + 3);
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

            // Every {param} is a required path parameter, and nothing else;
            // query parameters are optional and documented by the route.
            std::set<std::string> declared;
            std::set<std::string> query;
            if (const auto* params = op.if_contains("parameters"))
                for (const auto& p : params->as_array()) {
                    if (p.at("in") == "query") {
                        CHECK(p.at("required") == false);
                        query.insert(std::string(p.at("name").as_string()));
                        continue;
                    }
                    CHECK(p.at("in") == "path");
                    CHECK(p.at("required") == true);
                    declared.insert(std::string(p.at("name").as_string()));
                }
            const auto wanted = template_params(path);
            CHECK(declared == std::set<std::string>(wanted.begin(), wanted.end()));
            if (route == "list_events") CHECK(query == std::set<std::string>{"since", "limit"});
            else CHECK(query.empty());

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
        // The real wire forms (libcore/src/*_json.cpp), as the routes serialize them.
        core::background_job live;
        live.id = "0123abcd";
        live.state = "done";
        live.detail = "Finished";
        live.tempo = "idle";
        live.result = "ok";
        live.intent = "fix the README";
        live.name = "fix-the-readme";
        live.cwd = "/p/alpha";
        live.session_id = "0123abcd-1111-4222-8333-444455556666";
        live.bridge_session_id = "session_01TESTBG0123ABCDAAAAAA";
        live.transcript_path = "/h/.claude/projects/-p-alpha/0123abcd-1111-4222-8333-444455556666.jsonl";
        live.cli_version = "2.1.156";
        live.created_at = 1763880000000;
        live.updated_at = 1763880001000;
        live.worker_pid = 4242;
        live.worker_alive = true;
        live.permission_mode = "plan";  // not on the wire
        core::background_job ended;     // every optional absent: all null
        ended.id = "fedcba98";
        ended.worker_pid = 4243;  // not alive: null on the wire
        const json::array jobs{json::value_from(live), json::value_from(ended)};
        CHECK(jobs[0].at("worker_pid") == 4242);
        CHECK(jobs[1].at("worker_pid").is_null());
        CHECK(jobs[1].at("state").is_null());
        require_valid(v, response_schema(doc, "/api/v1/agents", "get", "200"), jobs);

        core::working_session tracked;
        tracked.pid = 7;
        tracked.cwd = "/p/alpha";
        tracked.kind = "interactive";
        tracked.state = "working";
        tracked.started_at = 1763880000000;
        tracked.local_uuid = "9b2c3d4e-1111-4222-8333-444455556666";
        tracked.parent_instance = "0f8fad5b-d9cb-469f-a165-70867728950e";
        tracked.attribution = core::session_attribution::tracked;
        core::working_session external;  // an older CLI: empty kind and state, no parent
        external.pid = 8;
        external.cwd = "/p/beta";
        external.started_at = 1763880002000;
        external.local_uuid = "0c1d2e3f-1111-4222-8333-444455556666";
        external.attribution = core::session_attribution::external;
        const auto external_wire = json::value_from(external);
        CHECK(external_wire.at("parent_instance").is_null());
        require_valid(v, response_schema(doc, "/api/v1/sessions", "get", "200"),
                      json::object{{"beta", json::array{external_wire}}});
        require_valid(v, response_schema(doc, "/api/v1/sessions/tracked", "get", "200"),
                      json::object{{*tracked.parent_instance, json::array{json::value_from(tracked)}}});
        // Every attribution the core can produce is in the schema's enum.
        for (const auto a : {core::session_attribution::tracked, core::session_attribution::untracked,
                             core::session_attribution::external, core::session_attribution::hosted}) {
            auto s = tracked;
            s.attribution = a;
            require_valid(v, http::schema_ref("WorkingSession"), json::value_from(s));
        }

        // The schemas require exactly the spec §3.3 fields, which are exactly the wire keys.
        const auto names = [](const json::value& keys) {
            std::set<std::string> out;
            if (keys.is_array())
                for (const auto& k : keys.get_array()) out.emplace(k.as_string());
            else
                for (const auto& kv : keys.as_object()) out.emplace(kv.key());
            return out;
        };
        const auto& schemas = doc.at("components").at("schemas");
        const std::set<std::string> session_fields{"pid",        "cwd",        "kind",            "state",
                                                   "started_at", "local_uuid", "parent_instance", "attribution"};
        CHECK(names(schemas.at("WorkingSession").at("required")) == session_fields);
        CHECK(names(schemas.at("WorkingSession").at("properties")) == session_fields);
        CHECK(names(json::value_from(tracked)) == session_fields);
        CHECK(names(external_wire) == session_fields);
        CHECK(names(schemas.at("WorkingSession").at("properties").at("attribution").at("enum")) ==
              std::set<std::string>{"tracked", "hosted", "untracked", "external"});
        const std::set<std::string> job_fields{
            "id",   "state", "detail",     "tempo",           "needs",      "result",     "intent",
            "name", "cwd",   "session_id", "bridge_session_id", "transcript_path", "cli_version",
            "created_at", "updated_at", "worker_pid", "worker_alive"};
        CHECK(names(schemas.at("BackgroundJob").at("required")) == job_fields);
        CHECK(names(schemas.at("BackgroundJob").at("properties")) == job_fields);
        CHECK(names(jobs[0]) == job_fields);
        CHECK(names(jobs[1]) == job_fields);
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
