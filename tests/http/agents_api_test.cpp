// End-to-end: the background-agent routes of spec §2.5 on a real clausterd,
// with the fake claude (tests/fake_claude, its `--bg` and `rm` surface) as
// `claude.binary`. The agent routes are public: /api and /api/v1 are the same.

#include "support/api_fixture.hpp"
#include "support/processes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <thread>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using namespace clauster::test;

namespace {

/// An installation with projects `alpha` and `beta` (neither trusted yet: a
/// dispatch pre-trusts its cwd) and a clausterd over it.
class agents_fixture : public api_server {
public:
    agents_fixture()
        : api_server({.setup = {.projects = {"alpha", "beta"}, .env = {{"FAKE_CLAUDE_BG_WORK", "0.3"}}},
                      .keeper = false}) {}

    http_reply dispatch(const std::string& body, const std::string& prefix = "/api") const {
        return call("POST", prefix + "/agents", body);
    }

    /// The listed job @p id, or nullopt.
    std::optional<json::object> job(const std::string& id) const {
        const auto listed = call("GET", "/api/agents");
        REQUIRE(listed.status == 200);
        const auto jobs = json::parse(listed.body);
        for (const auto& j : jobs.as_array())
            if (j.at("id") == json::value(id)) return j.as_object();
        return std::nullopt;
    }

    /// Polls until job @p id satisfies @p pred (at most 15 s).
    template <class Pred>
    json::object wait_job(const std::string& id, Pred pred) const {
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        for (;;) {
            auto j = job(id);
            if (j && pred(*j)) return *j;
            if (std::chrono::steady_clock::now() > deadline) FAIL("job " << id << " never reached the state wanted");
            std::this_thread::sleep_for(50ms);
        }
    }
};

bool is_job_id(const std::string& s) { return std::regex_match(s, std::regex{"[0-9a-f]{8}"}); }

/// A 201 `{"id": "<8-hex>"}` reply's id.
std::string created_id(const http_reply& r) {
    INFO("reply " << r.status << ": " << r.body);
    REQUIRE(r.status == 201);
    const auto body = json::parse(r.body);
    REQUIRE(body.is_object());
    CHECK(body.as_object().size() == 1);
    const auto id = str(body.as_object(), "id");
    CHECK(is_job_id(id));
    return id;
}

}  // namespace

TEST_CASE_METHOD(agents_fixture, "GET /api/agents is [] when agent view was never used", "[http][agents]") {
    start();
    for (const auto* target : {"/api/agents", "/api/v1/agents"}) {
        const auto r = call("GET", target);
        CHECK(r.status == 200);
        CHECK(r.headers.at("content-type") == "application/json");
        CHECK(r.body == "[]");
    }
}

TEST_CASE_METHOD(agents_fixture, "agent lifecycle over HTTP: dispatch, list, resume, stop", "[http][agents][slow]") {
    // Long enough to see the job working before it finishes.
    installation().env["FAKE_CLAUDE_BG_WORK"] = "1.5";
    start();
    INFO("clausterd log:\n" << log());

    // Dispatch: 201 {"id"}, and the cwd was pre-trusted.
    const auto id = created_id(dispatch(R"({"project": " alpha ", "prompt": "tidy the README"})"));
    const auto working = job(id);
    REQUIRE(working);
    CHECK(str(*working, "state") == "working");
    CHECK(str(*working, "cwd") == fs::weakly_canonical(project_path("alpha")).string());
    CHECK(working->at("worker_alive") == json::value(true));
    CHECK(working->at("worker_pid").is_int64());
    CHECK(str(*working, "intent") == "tidy the README");

    // Done: the result is redacted (no token, no ANSI), the worker stays resident.
    const auto done = wait_job(id, [](const json::object& j) { return j.at("state") == json::value("done"); });
    const auto result = str(done, "result");
    CHECK(result.find("ghp_") == std::string::npos);
    CHECK(result.find('\x1b') == std::string::npos);
    CHECK(result.find("<redacted>") != std::string::npos);
    CHECK(done.at("worker_alive") == json::value(true));

    // /api and /api/v1 answer the same.
    CHECK(call("GET", "/api/agents").body == call("GET", "/api/v1/agents").body);

    // A live job cannot be resumed.
    check_error(call("POST", "/api/agents/" + id + "/resume"), 409, "conflict",
                "background job " + id + " is still running; stop it first");

    // End the worker without `claude rm` (as the idle cap would): the job stays
    // on disk, ended, and can be resumed as a new job.
    terminate_if_ours(static_cast<int>(done.at("worker_pid").as_int64()));
    const auto ended = wait_job(id, [](const json::object& j) { return j.at("worker_alive") == json::value(false); });
    CHECK(ended.at("worker_pid").is_null());
    const auto resumed = created_id(call("POST", "/api/v1/agents/" + id + "/resume"));
    CHECK(resumed != id);
    const auto second = job(resumed);
    REQUIRE(second);
    CHECK(str(*second, "cwd") == str(ended, "cwd"));

    // Stop the live resumed job: two SIGINTs, then `claude rm`: settled and removed.
    const auto stopped = call("DELETE", "/api/v1/agents/" + resumed);
    REQUIRE(stopped.status == 200);
    const auto s = body_of(stopped).as_object();
    CHECK(s.size() == 4);
    CHECK(str(s, "id") == resumed);
    CHECK(s.at("settled") == json::value(true));
    CHECK(s.at("removed") == json::value(true));
    CHECK(str(s, "detail") == "stopped and removed");
    CHECK_FALSE(job(resumed));

    // The ended original: nothing to signal, `claude rm` removes it.
    const auto removed = call("DELETE", "/api/agents/" + id);
    REQUIRE(removed.status == 200);
    CHECK(body_of(removed).at("detail") == json::value("removed"));
    CHECK(body_of(removed).at("settled") == json::value(true));
    CHECK(call("GET", "/api/agents").body == "[]");

    // A removed job is unknown to resume.
    check_error(call("POST", "/api/agents/" + id + "/resume"), 409, "conflict", "unknown background job '" + id + "'");
}

TEST_CASE_METHOD(agents_fixture, "POST /api/agents validates the body", "[http][agents]") {
    start();
    INFO("clausterd log:\n" << log());

    for (const auto* prefix : {"/api", "/api/v1"}) {
        INFO(prefix);
        SECTION(std::string("422 type checks under ") + prefix) {
            for (const auto* body : {"not json", "[]", "\"alpha\""})
                check_error(dispatch(body, prefix), 422, "invalid_argument", "request body must be a JSON object");
            for (const auto* body : {"{}", R"({"project": 7})", R"({"project": null})", R"({"prompt": "x"})"})
                check_error(dispatch(body, prefix), 422, "invalid_argument", "project must be a string");
            for (const auto* field : {"prompt", "rc_name", "model", "permission_mode"})
                check_error(dispatch(std::string(R"({"project": "alpha", ")") + field + R"(": 1})", prefix), 422,
                            "invalid_argument", std::string(field) + " must be a string");
        }
        SECTION(std::string("the domain's checks under ") + prefix) {
            check_error(dispatch(R"({"project": "../etc", "prompt": "x"})", prefix), 422, "invalid_argument",
                        "invalid project name");
            for (const auto* field : {"rc_name", "model", "permission_mode"})
                check_error(
                    dispatch(std::string(R"({"project": "alpha", "prompt": "x", ")") + field + R"(": ""})", prefix),
                    422, "invalid_argument", std::string(field) + " must not be empty");
            check_error(dispatch(R"({"project": "alpha", "prompt": " \t "})", prefix), 422, "invalid_argument",
                        "prompt is required for a background session unless rc_name registers it on claude.ai");
            check_error(dispatch(R"({"project": "nope", "prompt": "x"})", prefix), 404, "not_found",
                        "project 'nope' not found");
            const auto bypass =
                dispatch(R"({"project": "alpha", "prompt": "x", "permission_mode": "bypassPermissions"})", prefix);
            CHECK(bypass.status == 403);
            CHECK(body_of(bypass).at("code") == json::value("forbidden"));
        }
        SECTION(std::string("job ids under ") + prefix) {
            for (const auto* bad : {"XYZ", "0123ABCD", "0123abc", "0123abcde"}) {
                INFO(bad);
                check_error(call("DELETE", std::string(prefix) + "/agents/" + bad), 422, "invalid_argument",
                            "invalid job id");
                check_error(call("POST", std::string(prefix) + "/agents/" + bad + "/resume"), 422,
                            "invalid_argument", "invalid job id");
            }
            check_error(call("POST", std::string(prefix) + "/agents/0123abcd/resume"), 409, "conflict",
                        "unknown background job '0123abcd'");
        }
    }
    // Nothing was dispatched by any of that.
    CHECK(call("GET", "/api/agents").body == "[]");
}

TEST_CASE_METHOD(agents_fixture, "a failed dispatch is 502; a missing claude is 503", "[http][agents]") {
    SECTION("502") {
        installation().env["FAKE_CLAUDE_BG_MODE"] = "dispatch_fail";
        start();
        const auto r = dispatch(R"({"project": "alpha", "prompt": "x"})");
        CHECK(r.status == 502);
        CHECK(body_of(r).at("code") == json::value("bad_gateway"));
    }
    SECTION("503") {
        installation().env["CLAUSTER_CLAUDE_BINARY"] = (installation().root / "no-such-claude").string();
        start();
        const auto r = dispatch(R"({"project": "alpha", "prompt": "x"})");
        CHECK(r.status == 503);
        CHECK(body_of(r).at("code") == json::value("unavailable"));
    }
    CHECK(call("GET", "/api/agents").body == "[]");
}
