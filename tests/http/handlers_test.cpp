#include "handlers.hpp"

#include "guard.hpp"
#include "logger.hpp"
#include "request_handler.hpp"
#include "response.hpp"

#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/crypto.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/manager.hpp>
#include <clauster/store/database.hpp>
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

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace net = boost::asio;
using namespace clauster;
using verb = boost::beast::http::verb;
using field = boost::beast::http::field;
using status = boost::beast::http::status;

namespace {

using clauster::test::temp_dir;

//------------------------------------------------------------------------------
// Small local helpers (tests/support belongs to another engineer).


void write_file(const fs::path& p, std::string_view content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
}

constexpr unsigned short test_port = 7621;

/// A real manager over a real SQLite store in a temp dir, and the pure handler.
class handler_fixture {
public:
    handler_fixture() {
        fs::create_directories(home());
        fs::create_directories(projects());
        for (const auto* name : {"beta", "Alpha", "gamma", "_under"}) fs::create_directory(projects() / name);
        fs::create_directory(projects() / ".hidden");
        fs::create_directory(projects() / "bad name");
        write_file(projects() / "not-a-dir", "x");
        fs::create_directory(projects() / "gamma" / ".git");
        fs::create_directory(projects() / "gamma" / ".claude");
        write_file(projects() / "gamma" / "CLAUDE.md", "# gamma\n");
        // beta is trusted in ~/.claude.json; gamma (a git repo) only via its parent: untrusted.
        write_file(home() / ".claude.json", R"({"projects": {")" + (projects() / "beta").string() +
                                                R"(": {"hasTrustDialogAccepted": true}}})");
    }

    fs::path home() const { return tmp_.path() / "home"; }
    fs::path projects() const { return tmp_.path() / "projects"; }
    fs::path state() const { return tmp_.path() / "state"; }

    core::config base_config() const {
        core::config cfg;
        cfg.projects_root = projects();
        cfg.state_dir = state();
        cfg.host = "127.0.0.1";
        cfg.port = test_port;
        cfg.projects["beta"].allow_bypass_permissions = true;
        return cfg;
    }

    /// (Re)builds manager and handler from @p cfg; the database stays.
    void start(core::config cfg, http::route_table routes = http::make_route_table()) {
        handler_.reset();
        mgr_.reset();
        if (!db_) {
            auto opened = store::database::open(state());
            if (!opened) FAIL("database open failed: " << opened.error().message);
            db_.emplace(std::move(*opened));
            tokens_.emplace(*db_);
        }
        mgr_.emplace(std::move(cfg), *tokens_, clock_, core::environment{{"HOME", home().string()}});
        handler_.emplace(*mgr_, test_port, log_, std::move(routes));
    }

    void start_with(const std::function<void(core::config&)>& tweak) {
        auto cfg = base_config();
        tweak(cfg);
        start(std::move(cfg));
    }

    /// Runs the handler coroutine to completion on a private io_context.
    http::response handle(http::request req) {
        net::io_context ioc{1};
        auto answer = net::co_spawn(ioc, handler_->handle(std::move(req)), net::use_future);
        ioc.run();
        return answer.get();
    }

    http::response get(std::string target, std::optional<std::string> bearer = std::nullopt) {
        return handle(make_request(verb::get, std::move(target), std::move(bearer)));
    }

    static http::request make_request(verb method, std::string target, std::optional<std::string> bearer = std::nullopt,
                                      std::optional<std::string> origin = std::nullopt) {
        http::request req{method, target, 11};
        req.set(field::host, "127.0.0.1:7621");
        if (bearer) req.set(field::authorization, "Bearer " + *bearer);
        if (origin) req.set(field::origin, *origin);
        if (method == verb::post || method == verb::put) {
            req.set(field::content_type, "application/json");
            req.body() = "{}";
        }
        req.prepare_payload();
        return req;
    }

    core::manager& mgr() { return *mgr_; }
    std::string log_text() const { return log_stream_.str(); }

private:
    temp_dir tmp_;
    std::ostringstream log_stream_;
    http::logger log_{core::log_level::info, log_stream_};
    std::optional<store::database> db_;
    std::optional<store::sqlite_token_store> tokens_;
    core::system_clock clock_;
    std::optional<core::manager> mgr_;
    std::optional<http::request_handler> handler_;
};

boost::json::value body_json(const http::response& res) { return boost::json::parse(res.body()); }

std::string header(const http::response& res, std::string_view name) {
    const auto it = res.find(name);
    if (it == res.end()) return {};
    return std::string(it->value());
}

bool has_header(const http::response& res, std::string_view name) { return res.find(name) != res.end(); }

/// The headers every response must carry (spec §2.1) and our request id.
void check_standard_headers(const http::response& res) {
    CHECK(header(res, "X-Content-Type-Options") == "nosniff");
    CHECK(header(res, "X-Frame-Options") == "DENY");
    CHECK(header(res, "Referrer-Policy") == "same-origin");
    const auto csp = header(res, "Content-Security-Policy");
    CHECK(csp.starts_with("default-src 'self'; script-src 'self' 'nonce-"));
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(http::is_sane_request_id(header(res, "X-Request-Id")));
    CHECK(header(res, "Server").starts_with("clauster/"));
    CHECK_FALSE(has_header(res, "Strict-Transport-Security"));  // no TLS
}

void check_error(const http::response& res, status st, std::string_view code, std::string_view detail) {
    CHECK(res.result() == st);
    CHECK(header(res, "Content-Type") == "application/json");
    CHECK(header(res, "Cache-Control") == "no-store");
    const auto body = body_json(res);
    REQUIRE(body.is_object());
    CHECK(body.as_object().size() == 2);
    CHECK(body.at("detail") == boost::json::value(detail));
    CHECK(body.at("code") == boost::json::value(code));
    check_standard_headers(res);
}

struct api_call {
    verb method;
    std::string path;
};

/// The public session routes; this fixture never enables working sessions.
const std::vector<api_call> session_routes{
    {verb::get, "/sessions"},
    {verb::get, "/sessions/tracked"},
    {verb::get, "/sessions/adoptable"},
};

/// The public agent routes; this fixture never enables background agents.
const std::vector<api_call> agent_routes{
    {verb::get, "/agents"},
    {verb::post, "/agents"},
    {verb::delete_, "/agents/0123abcd"},
    {verb::post, "/agents/0123abcd/resume"},
};

/// The public instance routes; this fixture never enables instance supervision.
const std::vector<api_call> instance_routes{
    {verb::get, "/instances"},
    {verb::post, "/instances"},
    {verb::get, "/instances/abc"},
    {verb::delete_, "/instances/abc"},
    {verb::post, "/instances/abc/resume"},
};

}  // namespace

//------------------------------------------------------------------------------
// Projects

TEST_CASE_METHOD(handler_fixture, "GET /api/projects lists projects with the spec shape, sorted", "[http]") {
    start(base_config());
    const auto res = get("/api/projects");
    REQUIRE(res.result() == status::ok);
    CHECK(header(res, "Content-Type") == "application/json");
    CHECK(header(res, "Cache-Control") == "no-store");
    check_standard_headers(res);

    const auto body = body_json(res);
    REQUIRE(body.is_array());
    const auto& arr = body.as_array();
    std::vector<std::string> names;
    for (const auto& p : arr) names.emplace_back(p.at("name").as_string());
    CHECK(names == std::vector<std::string>{"_under", "Alpha", "beta", "gamma"});

    const std::set<std::string> expected_keys{"name",           "path",        "is_git_repo",
                                              "has_claude_md",  "has_claude_dir", "trust_state",
                                              "allow_bypass_permissions"};
    for (const auto& p : arr) {
        std::set<std::string> keys;
        for (const auto& kv : p.as_object()) keys.emplace(kv.key());
        CHECK(keys == expected_keys);
    }
    const auto& gamma = arr[3].as_object();
    CHECK(gamma.at("path") == boost::json::value((projects() / "gamma").string()));
    CHECK(gamma.at("is_git_repo") == boost::json::value(true));
    CHECK(gamma.at("has_claude_md") == boost::json::value(true));
    CHECK(gamma.at("has_claude_dir") == boost::json::value(true));
    CHECK(gamma.at("trust_state") == boost::json::value("untrusted"));
    CHECK(gamma.at("allow_bypass_permissions") == boost::json::value(false));

    const auto& beta = arr[2].as_object();
    CHECK(beta.at("is_git_repo") == boost::json::value(false));
    CHECK(beta.at("has_claude_md") == boost::json::value(false));
    CHECK(beta.at("trust_state") == boost::json::value("trusted"));
    CHECK(beta.at("allow_bypass_permissions") == boost::json::value(true));
}

TEST_CASE_METHOD(handler_fixture, "an empty projects_root lists []", "[http]") {
    start_with([&](core::config& cfg) {
        cfg.projects_root = state().parent_path() / "empty";
        fs::create_directories(cfg.projects_root);
    });
    const auto res = get("/api/v1/projects");
    REQUIRE(res.result() == status::ok);
    CHECK(res.body() == "[]");
}

TEST_CASE_METHOD(handler_fixture, "/api and /api/v1 answer identically", "[http]") {
    start(base_config());
    auto calls = session_routes;
    calls.insert(calls.end(), instance_routes.begin(), instance_routes.end());
    calls.insert(calls.end(), agent_routes.begin(), agent_routes.end());
    calls.push_back({verb::get, "/projects"});
    for (const auto& call : calls) {
        INFO(boost::beast::http::to_string(call.method) << " " << call.path);
        const auto bare = handle(make_request(call.method, "/api" + call.path));
        const auto v1 = handle(make_request(call.method, "/api/v1" + call.path));
        CHECK(bare.result() == v1.result());
        CHECK(bare.body() == v1.body());
        CHECK(header(bare, "Content-Type") == header(v1, "Content-Type"));
    }
}

TEST_CASE_METHOD(handler_fixture, "agent routes answer 503 when background agents are not enabled", "[http]") {
    start(base_config());
    for (const auto& call : agent_routes) {
        for (const auto* prefix : {"/api", "/api/v1"}) {
            INFO(boost::beast::http::to_string(call.method) << " " << prefix << call.path);
            check_error(handle(make_request(call.method, prefix + call.path)), status::service_unavailable,
                        "unavailable", "background agents are not enabled");
        }
    }
}

TEST_CASE_METHOD(handler_fixture, "session routes answer 503 when working sessions are not enabled", "[http]") {
    start(base_config());
    for (const auto& call : session_routes) {
        for (const auto* prefix : {"/api", "/api/v1"}) {
            INFO(boost::beast::http::to_string(call.method) << " " << prefix << call.path);
            check_error(handle(make_request(call.method, prefix + call.path)), status::service_unavailable,
                        "unavailable", "working sessions are not enabled");
        }
    }
}

TEST_CASE_METHOD(handler_fixture, "instance routes answer 503 when supervision is not enabled", "[http]") {
    start(base_config());
    auto calls = instance_routes;
    calls.push_back({verb::post, "/instances/abc/forget"});
    for (const auto& call : calls) {
        INFO(boost::beast::http::to_string(call.method) << " /api" << call.path);
        check_error(handle(make_request(call.method, "/api" + call.path)), status::service_unavailable, "unavailable",
                    "instance supervision is not enabled");
    }
    // forget is internal: not under /api/v1, and GET is not one of its methods.
    check_error(handle(make_request(verb::post, "/api/v1/instances/abc/forget")), status::not_found, "not_found",
                "Not Found");
    const auto res = get("/api/instances/abc/forget");
    CHECK(res.result() == status::method_not_allowed);
    CHECK(header(res, "Allow") == "POST");
}

TEST_CASE_METHOD(handler_fixture, "unknown paths are 404 JSON, wrong methods 405 with Allow", "[http]") {
    start(base_config());
    for (const auto* path : {"/api/v1/widget", "/api/v1/healthz", "/api/v1/", "/api/v1/projects/x/trust", "/api/widget",
                             "/nope", "/api/projects/"}) {
        INFO(path);
        const auto res = get(path);
        check_error(res, status::not_found, "not_found", "Not Found");
        CHECK(res.body() == R"({"detail":"Not Found","code":"not_found"})");
    }
    const auto res = handle(make_request(verb::put, "/api/v1/projects"));
    check_error(res, status::method_not_allowed, "method_not_allowed", "Method Not Allowed");
    CHECK(header(res, "Allow") == "GET, HEAD");
}

TEST_CASE_METHOD(handler_fixture, "HEAD answers the GET's headers without a body", "[http]") {
    start(base_config());
    const auto full = get("/api/projects");
    const auto head = handle(make_request(verb::head, "/api/projects"));
    CHECK(head.result() == status::ok);
    CHECK(head.body().empty());
    CHECK(header(head, "Content-Length") == std::to_string(full.body().size()));
}

TEST_CASE_METHOD(handler_fixture, "a target that is not origin-form is 400", "[http]") {
    start(base_config());
    auto req = make_request(verb::get, "/healthz");
    req.target("http://example.com/healthz");
    check_error(handle(std::move(req)), status::bad_request, "bad_request", "invalid request target");
}

TEST_CASE_METHOD(handler_fixture, "root_path is stripped before routing when present", "[http]") {
    start_with([](core::config& cfg) { cfg.root_path = "/clauster/"; });
    CHECK(get("/clauster/api/v1/projects").result() == status::ok);
    CHECK(get("/api/v1/projects").result() == status::ok);  // the proxy stripped it already
    CHECK(get("/clauster/healthz").result() == status::ok);
    CHECK(get("/clausterx/api/projects").result() == status::not_found);
    CHECK(get("/clauster/api/v1/projects?x=1").result() == status::ok);
}

TEST_CASE_METHOD(handler_fixture, "keep-alive follows the request", "[http]") {
    start(base_config());
    auto req = make_request(verb::get, "/healthz");
    CHECK(handle(req).keep_alive());
    req.keep_alive(false);
    CHECK_FALSE(handle(req).keep_alive());
    req.version(10);
    req.keep_alive(false);
    const auto res10 = handle(req);
    CHECK(res10.version() == 10);
    CHECK_FALSE(res10.keep_alive());
}

//------------------------------------------------------------------------------
// Guard: authentication

TEST_CASE_METHOD(handler_fixture, "auth on: /api needs a Bearer token", "[http]") {
    start_with([](core::config& cfg) { cfg.auth.enabled = true; });
    const auto issued = mgr().tokens().issue("ci-runner");
    REQUIRE(issued.has_value());
    const auto& raw = issued->raw;

    SECTION("no credential is 401 with WWW-Authenticate") {
        const auto res = get("/api/v1/projects");
        check_error(res, status::unauthorized, "unauthorized", "authentication required");
        CHECK(header(res, "WWW-Authenticate") == "Bearer");
    }
    SECTION("a wrong token is 401") {
        check_error(get("/api/projects", "clauster_pat_wrong"), status::unauthorized, "unauthorized",
                    "authentication required");
    }
    SECTION("another scheme is 401") {
        auto req = make_request(verb::get, "/api/projects");
        req.set(field::authorization, "Basic " + raw);
        CHECK(handle(std::move(req)).result() == status::unauthorized);
    }
    SECTION("a named token is 200, the scheme case-insensitive") {
        CHECK(get("/api/projects", raw).result() == status::ok);
        for (const auto* scheme : {"bearer ", "BEARER ", "Bearer   "}) {
            auto req = make_request(verb::get, "/api/v1/projects");
            req.set(field::authorization, scheme + raw);
            CHECK(handle(std::move(req)).result() == status::ok);
        }
    }
    SECTION("unknown /api paths are 401 before they are 404") {
        CHECK(get("/api/v1/widget").result() == status::unauthorized);
        CHECK(get("/api/v1/widget", raw).result() == status::not_found);
    }
    SECTION("revocation applies to the next request") {
        CHECK(get("/api/projects", raw).result() == status::ok);
        REQUIRE(mgr().tokens().revoke("ci-runner").has_value());
        CHECK(get("/api/projects", raw).result() == status::unauthorized);
    }
    SECTION("rotation invalidates the old secret at once") {
        const auto rotated = mgr().tokens().rotate("ci-runner");
        REQUIRE(rotated.has_value());
        CHECK(get("/api/projects", raw).result() == status::unauthorized);
        CHECK(get("/api/projects", rotated->raw).result() == status::ok);
    }
    SECTION("other non-public paths redirect to the login page") {
        const auto res = get("/dashboard");
        CHECK(res.result() == status::see_other);
        CHECK(header(res, "Location") == "/login");
        check_standard_headers(res);
    }
}

TEST_CASE_METHOD(handler_fixture, "auth on: the login redirect keeps root_path", "[http]") {
    start_with([](core::config& cfg) {
        cfg.auth.enabled = true;
        cfg.root_path = "/clauster";
    });
    const auto res = get("/clauster/");
    CHECK(res.result() == status::see_other);
    CHECK(header(res, "Location") == "/clauster/login");
}

TEST_CASE_METHOD(handler_fixture, "auth on: the legacy api_token_hash authenticates", "[http]") {
    const std::string legacy = "legacy-secret-token";
    start_with([&](core::config& cfg) {
        cfg.auth.enabled = true;
        cfg.auth.api_token_hash = core::crypto::sha256_hex(legacy);
    });
    CHECK(get("/api/projects", legacy).result() == status::ok);
    CHECK(get("/api/projects", legacy + "x").result() == status::unauthorized);
}

//------------------------------------------------------------------------------
// Guard: origins

TEST_CASE_METHOD(handler_fixture, "auth off: unsafe requests from a foreign Origin are 403", "[http]") {
    start_with([](core::config& cfg) { cfg.auth.allowed_origins = {"https://Console.Example.com:443/"}; });
    const auto post = [&](std::optional<std::string> origin) {
        return handle(make_request(verb::post, "/api/v1/agents", std::nullopt, std::move(origin)));
    };
    check_error(post("http://evil.example"), status::forbidden, "forbidden", "origin check failed");
    check_error(post("http://localhost:9999"), status::forbidden, "forbidden", "origin check failed");
    check_error(post("null"), status::forbidden, "forbidden", "origin check failed");
    check_error(post(""), status::forbidden, "forbidden", "origin check failed");
    // No Origin (curl, the CLI) passes; loopback origins on the bound port pass.
    CHECK(post(std::nullopt).result() == status::service_unavailable);
    for (const auto* ok : {"http://127.0.0.1:7621", "http://localhost:7621", "HTTP://LOCALHOST:7621/",
                           "https://[::1]:7621", "http://[0:0:0:0:0:0:0:1]:7621", "https://console.example.com"}) {
        INFO(ok);
        CHECK(post(std::string(ok)).result() == status::service_unavailable);
    }
    // Safe methods never check the Origin.
    CHECK(handle(make_request(verb::get, "/api/projects", std::nullopt, "http://evil.example")).result() == status::ok);
    CHECK(handle(make_request(verb::delete_, "/api/agents/x", std::nullopt, "http://evil.example")).result() ==
          status::forbidden);
}

TEST_CASE_METHOD(handler_fixture, "a non-loopback bind auto-allows no origin", "[http]") {
    start_with([](core::config& cfg) { cfg.host = "0.0.0.0"; });
    const auto res =
        handle(make_request(verb::post, "/api/agents", std::nullopt, std::string("http://127.0.0.1:7621")));
    CHECK(res.result() == status::forbidden);
}

TEST_CASE_METHOD(handler_fixture, "auth on: tokens are exempt from the Origin check, anonymous callers are not",
                 "[http]") {
    start_with([](core::config& cfg) { cfg.auth.enabled = true; });
    const auto issued = mgr().tokens().issue("writer");
    REQUIRE(issued.has_value());
    const auto post = [&](std::optional<std::string> bearer, std::optional<std::string> origin) {
        return handle(make_request(verb::post, "/api/agents", std::move(bearer), std::move(origin)));
    };
    CHECK(post(issued->raw, std::nullopt).result() == status::service_unavailable);
    CHECK(post(issued->raw, "http://evil.example").result() == status::service_unavailable);
    // Anonymous: the Origin check comes first (spec §4.4 step 2), then 401.
    check_error(post(std::nullopt, std::nullopt), status::forbidden, "forbidden", "origin check failed");
    check_error(post(std::nullopt, "http://evil.example"), status::forbidden, "forbidden", "origin check failed");
    check_error(post(std::nullopt, "http://localhost:7621"), status::unauthorized, "unauthorized",
                "authentication required");
}

//------------------------------------------------------------------------------
// /healthz

TEST_CASE_METHOD(handler_fixture, "healthz: reduced for anonymous callers when auth is on", "[http]") {
    start_with([](core::config& cfg) { cfg.auth.enabled = true; });
    const auto anon = get("/healthz");
    REQUIRE(anon.result() == status::ok);
    CHECK(anon.body() == R"({"status":"ok"})");
    check_standard_headers(anon);

    const auto issued = mgr().tokens().issue("probe");
    REQUIRE(issued.has_value());
    const auto full = body_json(get("/healthz", issued->raw));
    CHECK(full.as_object().size() == 8);
    CHECK(full.at("status") == boost::json::value("ok"));
}

TEST_CASE_METHOD(handler_fixture, "healthz: the full report when auth is off", "[http]") {
    start(base_config());
    const auto res = get("/healthz");
    REQUIRE(res.result() == status::ok);
    const auto body = body_json(res);
    std::set<std::string> keys;
    for (const auto& kv : body.as_object()) keys.emplace(kv.key());
    CHECK(keys == std::set<std::string>{"status", "version", "claude_ok", "claude_version", "claude_login_ok",
                                        "claude_login_method", "claude_login_expires_at", "instances_running"});
    CHECK(body.at("status") == boost::json::value("ok"));
    CHECK(body.at("version").is_string());
    CHECK(body.at("claude_ok") == boost::json::value(false));  // never probed
    CHECK(body.at("claude_version").is_null());
    CHECK(body.at("claude_login_ok").is_bool());
    CHECK(body.at("instances_running") == boost::json::value(0));
}

//------------------------------------------------------------------------------
// Headers, request ids, failures

TEST_CASE_METHOD(handler_fixture, "request ids: a sane one is echoed, anything else replaced", "[http]") {
    start(base_config());
    const auto with_id = [&](std::string id) {
        auto req = make_request(verb::get, "/healthz");
        req.set("X-Request-Id", id);
        return header(handle(std::move(req)), "X-Request-Id");
    };
    CHECK(with_id("abc-123.x:y_Z") == "abc-123.x:y_Z");
    CHECK(with_id(std::string(128, 'a')) == std::string(128, 'a'));
    for (const auto& bad : {std::string("has space"), std::string(129, 'a'), std::string("a\"b"),
                            std::string("<script>"), std::string("x/y")}) {
        const auto got = with_id(bad);
        CHECK(got != bad);
        CHECK(http::is_sane_request_id(got));
        CHECK(got.size() == 22);  // 16 random bytes, URL-safe base64
    }
    const auto a = header(get("/healthz"), "X-Request-Id");
    const auto b = header(get("/healthz"), "X-Request-Id");
    CHECK(a != b);
}

namespace {

/// A route handler that fails before answering (a coroutine, as all handlers are).
net::awaitable<http::response> throwing_handler(http::route_context) {
    throw std::runtime_error("kaboom");
    co_return http::response{};
}

}  // namespace

TEST_CASE_METHOD(handler_fixture, "security headers and request id on 401, 403, 404, 405 and 500", "[http]") {
    http::route_table routes = http::make_route_table();
    routes.add(http::route{verb::get, http::route_scope::root, "/boom", "boom",
                           &throwing_handler});
    auto cfg = base_config();
    cfg.auth.enabled = true;
    start(std::move(cfg), std::move(routes));
    const auto issued = mgr().tokens().issue("t");
    REQUIRE(issued.has_value());

    check_error(get("/api/projects"), status::unauthorized, "unauthorized", "authentication required");
    check_error(handle(make_request(verb::post, "/api/agents")), status::forbidden, "forbidden", "origin check failed");
    check_error(get("/api/v1/widget", issued->raw), status::not_found, "not_found", "Not Found");
    check_error(handle(make_request(verb::put, "/api/projects", issued->raw)), status::method_not_allowed,
                "method_not_allowed", "Method Not Allowed");

    auto req = make_request(verb::get, "/boom?secret=hunter2", issued->raw);
    req.set("X-Request-Id", "trace-500");
    const auto res = handle(std::move(req));
    check_error(res, status::internal_server_error, "internal", "internal server error");
    CHECK(header(res, "X-Request-Id") == "trace-500");
    CHECK(res.body().find("kaboom") == std::string::npos);  // the cause is logged, not sent

    const auto log = log_text();
    CHECK(log.find("kaboom") != std::string::npos);
    CHECK(log.find("trace-500") != std::string::npos);
    CHECK(log.find("hunter2") == std::string::npos);
    CHECK(log.find(issued->raw) == std::string::npos);
}

TEST_CASE_METHOD(handler_fixture, "each response gets a fresh CSP nonce", "[http]") {
    start(base_config());
    CHECK(header(get("/healthz"), "Content-Security-Policy") != header(get("/healthz"), "Content-Security-Policy"));
}

//------------------------------------------------------------------------------
// Pure helpers

TEST_CASE("to_status maps every core::errc once", "[http]") {
    using core::errc;
    CHECK(http::to_status(core::make_error_code(errc::not_found)) == status::not_found);
    CHECK(http::to_status(core::make_error_code(errc::already_exists)) == status::conflict);
    CHECK(http::to_status(core::make_error_code(errc::invalid_argument)) == status::unprocessable_entity);
    CHECK(http::to_status(core::make_error_code(errc::invalid_state)) == status::conflict);
    CHECK(http::to_status(core::make_error_code(errc::conflict)) == status::conflict);
    CHECK(http::to_status(core::make_error_code(errc::unavailable)) == status::service_unavailable);
    CHECK(http::to_status(core::make_error_code(errc::forbidden)) == status::forbidden);
    CHECK(http::to_code(core::make_error_code(errc::forbidden)) == "forbidden");
    CHECK(http::to_status(std::make_error_code(std::errc::io_error)) == status::internal_server_error);
    CHECK(http::to_code(core::make_error_code(errc::already_exists)) == "already_exists");
    CHECK(http::to_code(std::make_error_code(std::errc::io_error)) == "internal");

    const auto res = http::make_error_response(core::make_failure(errc::already_exists, "label 'x' exists"));
    CHECK(res.result() == status::conflict);
    CHECK(res.body() == R"({"detail":"label 'x' exists","code":"already_exists"})");
}

TEST_CASE("normalize_origin", "[http]") {
    using http::normalize_origin;
    CHECK(normalize_origin("http://localhost:7621") == "http://localhost:7621");
    CHECK(normalize_origin("HTTP://LocalHost:7621/") == "http://localhost:7621");
    CHECK(normalize_origin("http://example.com:80") == "http://example.com");
    CHECK(normalize_origin("https://example.com:443") == "https://example.com");
    CHECK(normalize_origin("https://example.com:80") == "https://example.com:80");
    CHECK(normalize_origin("http://[::1]:8080") == "http://[::1]:8080");
    CHECK(normalize_origin("http://[0:0:0:0:0:0:0:1]") == "http://[::1]");
    CHECK(normalize_origin("http://[FE80::1]:1") == "http://[fe80::1]:1");
    CHECK_FALSE(normalize_origin("null"));
    CHECK_FALSE(normalize_origin(""));
    CHECK_FALSE(normalize_origin("localhost:7621/x"));
    CHECK_FALSE(normalize_origin("http://example.com/path"));
    CHECK_FALSE(normalize_origin("http://user@example.com"));
    CHECK_FALSE(normalize_origin("http://example.com?q"));
    CHECK_FALSE(normalize_origin("http://example.com:99999"));
}

TEST_CASE("bearer_token", "[http]") {
    CHECK(http::bearer_token("Bearer abc") == "abc");
    CHECK(http::bearer_token("bEaReR   abc  ") == "abc");
    CHECK_FALSE(http::bearer_token("Bearer"));
    CHECK_FALSE(http::bearer_token("Bearer   "));
    CHECK_FALSE(http::bearer_token("Basic abc"));
    CHECK_FALSE(http::bearer_token("Bearerabc"));
}

TEST_CASE("access log lines drop the query and escape control characters", "[http]") {
    const auto line = http::format_access_line("GET", "/api/projects?token=s3cret", 200,
                                               std::chrono::microseconds(1500), "rid-1");
    CHECK(line == "GET /api/projects 200 1.5ms rid=rid-1");
    const auto evil = http::format_access_line("GET", "/x\r\nINFO forged", 404, {}, "r");
    CHECK(evil.find('\n') == std::string::npos);
    CHECK(evil.find("\\x0d\\x0a") != std::string::npos);
}

TEST_CASE("the logger honours its threshold", "[http]") {
    std::ostringstream out;
    const http::logger log{core::log_level::warning, out};
    log.info("quiet");
    log.warning("loud");
    CHECK(out.str().find("quiet") == std::string::npos);
    CHECK(out.str().find("WARNING clauster.http: loud") != std::string::npos);
}

//------------------------------------------------------------------------------
// The spawn body (spec §2.3): type checks before the manager sees anything.

TEST_CASE("parse_spawn_body: the body must be a JSON object with a project string", "[http]") {
    const auto error_of = [](std::string_view body) {
        const auto parsed = http::parse_spawn_body(body);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().code == core::make_error_code(core::errc::invalid_argument));
        return parsed.error().message;
    };
    for (const auto* body : {"", "   ", "[]", "\"p\"", "42", "null", "{", "{\"project\": \"a\"} x"}) {
        INFO(body);
        CHECK(error_of(body) == "body must be a JSON object");
    }
    for (const auto* body : {"{}", R"({"project": ""})", R"({"project": 1})", R"({"project": null})",
                             R"({"project": ["a"]})", R"({"spawn_mode": "worktree"})"}) {
        INFO(body);
        CHECK(error_of(body) == "body must include a 'project' string");
    }
    for (const auto* name : {"channel", "spawn_mode", "permission_mode", "resume_mode", "name", "sandbox",
                             "resume_session_id"}) {
        for (const auto* bad : {"1", "true", "{}", "[\"x\"]", "1.5"}) {
            const auto body = std::string(R"({"project": "alpha", ")") + name + "\": " + bad + "}";
            INFO(body);
            CHECK(error_of(body) == std::string(name) + " must be a string");
        }
    }
}

TEST_CASE("parse_spawn_body: strings pass through unvalidated, null and unknown fields are absent", "[http]") {
    const auto parsed = http::parse_spawn_body(
        R"({"project": "alpha", "channel": "remote-control", "spawn_mode": "bogus", "permission_mode": "plan",
            "resume_mode": "pty", "name": "  my bridge ", "sandbox": "on", "resume_session_id": "x",
            "trust": true, "extra": [1, 2]})");
    REQUIRE(parsed.has_value());
    CHECK(parsed->project == "alpha");
    CHECK(parsed->channel == "remote-control");
    CHECK(parsed->spawn_mode == "bogus");  // the manager rejects bad values (422)
    CHECK(parsed->permission_mode == "plan");
    CHECK(parsed->resume_mode == "pty");
    CHECK(parsed->name == "  my bridge ");  // the manager strips it
    CHECK(parsed->sandbox == "on");
    CHECK(parsed->resume_session_id == "x");
    CHECK_FALSE(parsed->trust);  // never over HTTP

    const auto minimal = http::parse_spawn_body(R"({"project": "beta", "name": null, "channel": null})");
    REQUIRE(minimal.has_value());
    CHECK(minimal->project == "beta");
    CHECK_FALSE(minimal->name);
    CHECK_FALSE(minimal->channel);
    CHECK_FALSE(minimal->spawn_mode);
}

TEST_CASE("spawn_result_json: Instance fields plus created, reason and warnings", "[http]") {
    core::spawn_result r;
    r.inst.instance_id = "11111111-2222-4333-8444-555555555555";
    r.inst.project = "alpha";
    r.inst.label = "alpha";
    r.created = false;
    r.reason = "a live standard bridge already exists";
    r.warnings = {"w1", "w2"};
    const auto jv = http::spawn_result_json(r);
    const auto& o = jv.as_object();
    CHECK(o.size() == 33);  // 30 Instance fields + 3
    CHECK(o.at("instance_id") == boost::json::value("11111111-2222-4333-8444-555555555555"));
    CHECK(o.at("created") == boost::json::value(false));
    CHECK(o.at("reason") == boost::json::value("a live standard bridge already exists"));
    CHECK(boost::json::serialize(o.at("warnings")) == R"(["w1","w2"])");

    r.created = true;
    r.reason.reset();
    r.warnings.clear();
    const auto fresh = http::spawn_result_json(r);
    CHECK(fresh.at("created") == boost::json::value(true));
    CHECK(fresh.at("reason").is_null());
    CHECK(fresh.at("warnings").as_array().empty());
}
