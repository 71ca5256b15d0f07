// GET /api/events: every state change of instances and agents, numbered and resumable.

#include "support/api_fixture.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using namespace std::chrono_literals;
using namespace clauster::test;

namespace {

class events_fixture : public api_server {
public:
    events_fixture()
        : api_server({.setup = {.projects = {"alpha"},
                                .trusted = {"alpha"},
                                .env = {{"FAKE_CLAUDE_BG_WORK", "0.2"}}}}) {}

    json::object page(const std::string& query = {}) {
        const auto r = call("GET", "/api/events" + query);
        REQUIRE(r.status == 200);
        return body_of(r).as_object();
    }

    /// The types of the events after @p since.
    std::vector<std::string> types(std::uint64_t since = 0) {
        std::vector<std::string> out;
        const auto p = page("?since=" + std::to_string(since));
        for (const auto& e : p.at("events").as_array()) out.emplace_back(e.at("type").as_string());
        return out;
    }
};

}  // namespace

TEST_CASE_METHOD(events_fixture, "events: a bridge's life and a background job, numbered and resumable",
                 "[http][events]") {
    start();
    auto empty = page();
    CHECK(empty.at("events").as_array().empty());
    CHECK(empty.at("last_seq") == json::value(0));
    CHECK(empty.at("gap") == json::value(false));

    const auto spawned = call("POST", "/api/v1/instances", R"({"project":"alpha"})");
    REQUIRE(spawned.status == 201);
    const auto id = str(body_of(spawned), "instance_id");
    REQUIRE(call("DELETE", "/api/v1/instances/" + id).status == 200);
    CHECK(types() == std::vector<std::string>{"instance.starting", "instance.running", "instance.stopped"});

    const auto all = page();
    const auto& events = all.at("events").as_array();
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i].as_object();
        CHECK(e.at("seq") == json::value(i + 1));
        CHECK(str(e, "subject") == id);
        CHECK(str(e, "project") == "alpha");
        CHECK(e.size() == 6);
        CHECK(str(e, "at").ends_with("+00:00"));
    }
    CHECK(all.at("last_seq") == json::value(3));

    // Resume after what was seen; forget and an agent's dispatch follow.
    REQUIRE(call("POST", "/api/instances/" + id + "/forget").status == 200);
    const auto dispatched = call("POST", "/api/v1/agents", R"({"project":"alpha","prompt":"tidy"})");
    REQUIRE(dispatched.status == 201);
    const auto job = str(body_of(dispatched), "id");
    const auto later = page("?since=3");
    REQUIRE(later.at("events").as_array().size() == 2);
    CHECK(later.at("events").at(0).at("type") == json::value("instance.forgotten"));
    CHECK(later.at("events").at(1).at("type") == json::value("agent.dispatched"));
    CHECK(later.at("events").at(1).at("subject") == json::value(job));
    CHECK(page("?since=3&limit=1").at("events").as_array().size() == 1);

    // A seq from an earlier run (numbering restarts with clausterd) is a gap.
    CHECK(page("?since=999").at("gap") == json::value(true));

    // The route is internal: not under /api/v1.
    CHECK(call("GET", "/api/v1/events").status == 404);
    REQUIRE(call("DELETE", "/api/v1/agents/" + job).status == 200);
    CHECK(types(5) == std::vector<std::string>{"agent.stopped"});
}

TEST_CASE_METHOD(events_fixture, "events: a crash is an event with its detail", "[http][events]") {
    installation().env["FAKE_CLAUDE_MODE"] = "crash_after";
    installation().env["FAKE_CLAUDE_CRASH_AFTER"] = "0.5";
    start();
    REQUIRE(call("POST", "/api/v1/instances", R"({"project":"alpha"})").status == 201);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (types().size() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    REQUIRE(types() == std::vector<std::string>{"instance.starting", "instance.running", "instance.crashed"});
    const auto crashed = page("?since=2").at("events").at(0);
    CHECK(crashed.at("detail").is_string());
    // The server log says so too, as a warning with the error line.
    const auto logged = log();
    CHECK(logged.find("INFO clauster.events: #1 instance.starting") != std::string::npos);
    CHECK(logged.find("WARNING clauster.events: #3 instance.crashed") != std::string::npos);
    CHECK(logged.find("detail=Error: bridge connection lost") != std::string::npos);
}

TEST_CASE_METHOD(events_fixture, "events: since and limit must be non-negative integers", "[http][events]") {
    start();
    for (const auto* q : {"?since=-1", "?since=abc", "?since=", "?limit=1.5", "?since=99999999999999999999999"}) {
        INFO(q);
        const auto r = call("GET", std::string("/api/events") + q);
        CHECK(r.status == 422);
        CHECK(body_of(r).at("code") == json::value("invalid_argument"));
    }
    CHECK(call("GET", "/api/events?limit=0").status == 200);  // clamped to 1
}
