// End-to-end: the instance routes of spec §2.3 on a real clausterd, with the
// fake claude (tests/fake_claude) as `claude.binary` and the real `clauster`
// as the PTY keeper.

#include "support/api_fixture.hpp"
#include "support/http_client.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using namespace clauster::test;

namespace {

//------------------------------------------------------------------------------
// Fixture: an installation with three projects and a clausterd over it, with
// the real `clauster` as keeper.
//   alpha  trusted, not a git repository
//   beta   trusted, a git repository (a `.git` entry)
//   gamma  untrusted

class instances_fixture : public api_server {
public:
    instances_fixture()
        : api_server({.setup = {.projects = {"alpha", "beta", "gamma"},
                                .trusted = {"alpha", "beta"},
                                .git_repos = {"beta"},
                                .env = {{"FAKE_CLAUDE_MAX_IDLE", "120"}}}}) {}

    http_reply spawn(const std::string& body) const { return call("POST", "/api/instances", body); }
};

/// The fields every instance reply carries (spec §3.1), plus the spawn extras.
const std::set<std::string> instance_keys{
    "instance_id",  "project",      "label",          "bridge_pid",       "bridge_proc_start",
    "bridge_start_ticks", "bridge_boot_id", "bridge_id", "environment_id", "starter_session_id",
    "url",          "session_url",  "spawn_mode",     "permission_mode",  "sandbox_mode",
    "resume_mode",  "keeper_pid",   "keeper_proc_start", "keeper_start_ticks", "worktree_name",
    "status",       "intentional_stop", "started_at", "bridge_debug_log_path", "bridge_raw_log_path",
    "error_detail", "notice",       "claude_version", "channel",          "claude_session_uuid_usable",
};

std::set<std::string> keys_of(const json::value& v) {
    std::set<std::string> keys;
    for (const auto& kv : v.as_object()) keys.emplace(kv.key());
    return keys;
}

std::set<std::string> with_spawn_extras(std::set<std::string> keys) {
    keys.insert({"created", "reason", "warnings"});
    return keys;
}

/// Splits a stream of Content-Length framed responses into (status, body) pairs.
std::vector<std::pair<int, std::string>> split_responses(const std::string& stream) {
    std::vector<std::pair<int, std::string>> out;
    std::size_t pos = 0;
    while (pos < stream.size()) {
        const auto head_end = stream.find("\r\n\r\n", pos);
        if (head_end == std::string::npos) break;
        const auto head = stream.substr(pos, head_end - pos);
        const int status = std::stoi(head.substr(9, 3));
        std::size_t length = 0;
        for (std::size_t p = 0; p < head.size();) {
            const auto eol = head.find("\r\n", p);
            auto line = head.substr(p, eol == std::string::npos ? std::string::npos : eol - p);
            for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (line.starts_with("content-length:")) length = std::stoul(line.substr(15));
            if (eol == std::string::npos) break;
            p = eol + 2;
        }
        out.emplace_back(status, stream.substr(head_end + 4, length));
        pos = head_end + 4 + length;
    }
    return out;
}

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE_METHOD(instances_fixture, "POST /api/instances: body and option validation", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());

    SECTION("the body must be a JSON object") {
        for (const auto* body : {"", "[]", "\"alpha\"", "{not json"}) {
            INFO(body);
            check_error(spawn(body), 422, "invalid_argument", "body must be a JSON object");
        }
    }
    SECTION("project is a required non-empty string") {
        for (const auto* body : {"{}", R"({"project": ""})", R"({"project": 7})", R"({"name": "x"})"}) {
            INFO(body);
            check_error(spawn(body), 422, "invalid_argument", "body must include a 'project' string");
        }
    }
    SECTION("every other field must be a string") {
        for (const auto* field : {"channel", "spawn_mode", "permission_mode", "resume_mode", "name", "sandbox",
                                  "resume_session_id"}) {
            INFO(field);
            check_error(spawn(std::string(R"({"project": "alpha", ")") + field + R"(": 1})"), 422, "invalid_argument",
                        std::string(field) + " must be a string");
        }
    }
    SECTION("the manager's checks: 404, 422, 403, 409, 503") {
        check_error(spawn(R"({"project": "nope"})"), 404, "not_found", "project 'nope' not found");
        check_error(spawn(R"({"project": "alpha", "channel": "carrier-pigeon"})"), 422, "invalid_argument",
                    "unknown channel: 'carrier-pigeon'");
        check_error(spawn(R"({"project": "alpha", "channel": "hosted"})"), 503, "unavailable",
                    "hosted channel unavailable: claustrum daemon not connected");
        check_error(spawn(R"({"project": "alpha", "spawn_mode": "worktree"})"), 422, "invalid_argument",
                    "spawn_mode 'worktree' requires a git repository; 'alpha' is not one");
        check_error(spawn(R"({"project": "alpha", "spawn_mode": "sideways"})"), 422, "invalid_argument",
                    "invalid spawn_mode 'sideways'; expected one of (same-dir, worktree, session)");
        check_error(spawn(R"({"project": "alpha", "name": ")" + std::string(129, 'n') + R"("})"), 422,
                    "invalid_argument", "custom bridge name too long (129 chars; max 128)");
        const auto bypass = spawn(R"({"project": "alpha", "permission_mode": "bypassPermissions"})");
        CHECK(bypass.status == 403);
        CHECK(body_of(bypass).at("code") == json::value("forbidden"));
        const std::string untrusted =
            "directory not trusted: " + project_path("gamma") + ". Use the Trust action first.";
        check_error(spawn(R"({"project": "gamma"})"), 409, "conflict", untrusted);
        // `trust` is not accepted over HTTP: the Trust action is separate.
        check_error(spawn(R"({"project": "gamma", "trust": true})"), 409, "conflict", untrusted);
    }

    // Nothing was launched by any of that.
    const auto listed = call("GET", "/api/instances");
    CHECK(listed.status == 200);
    CHECK(listed.body == "[]");
}

TEST_CASE_METHOD(instances_fixture, "bypassPermissions spawns when the project allows it", "[http][slow]") {
    const auto config = installation().root / "clauster.yml";
    write_file(config, "projects:\n  alpha:\n    allow_bypass_permissions: true\n");
    start({"-c", config.string()});
    INFO("clausterd log:\n" << log());

    const auto allowed = spawn(R"({"project": "alpha", "permission_mode": "bypassPermissions"})");
    REQUIRE(allowed.status == 201);
    CHECK(body_of(allowed).at("permission_mode") == json::value("bypassPermissions"));
    // Other projects keep the ceiling.
    CHECK(spawn(R"({"project": "beta", "permission_mode": "bypassPermissions"})").status == 403);
}

TEST_CASE_METHOD(instances_fixture, "instance lifecycle over HTTP: spawn, get, stop, resume, forget", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());

    // Spawn: the fake becomes ready at once, so the answer is RUNNING.
    const auto first = spawn(R"({"project": "alpha"})");
    REQUIRE(first.status == 201);
    const auto created = body_of(first);
    CHECK(keys_of(created) == with_spawn_extras(instance_keys));
    const auto id = str(created, "instance_id");
    CHECK(id.size() == 36);
    CHECK(created.at("project") == json::value("alpha"));
    CHECK(created.at("label") == json::value("alpha"));
    CHECK(created.at("status") == json::value("running"));
    CHECK(created.at("channel") == json::value("remote-control"));
    CHECK(created.at("resume_mode") == json::value("standard"));
    CHECK(created.at("environment_id") == json::value("env_01TESTENVAAAAAAAAAAAAAAAA"));
    CHECK(created.at("session_url") ==
          json::value("https://claude.ai/code/session_01TESTSTARTERAAAAAAAAAA?from=cli"));
    CHECK(created.at("bridge_pid").is_int64());
    CHECK(created.at("started_at").is_string());
    CHECK(created.at("created") == json::value(true));
    CHECK(created.at("reason").is_null());
    CHECK(created.at("warnings").as_array().empty());
    const auto bridge_pid = static_cast<int>(created.at("bridge_pid").as_int64());

    // A second standard spawn hands back the live bridge: 200, created:false.
    const auto again = spawn(R"({"project": "alpha"})");
    REQUIRE(again.status == 200);
    const auto existing = body_of(again);
    CHECK(str(existing, "instance_id") == id);
    CHECK(existing.at("created") == json::value(false));
    CHECK(existing.at("reason").is_string());

    // The list: identical under /api and /api/v1, one row.
    const auto bare = call("GET", "/api/instances");
    const auto v1 = call("GET", "/api/v1/instances");
    REQUIRE(bare.status == 200);
    CHECK(v1.status == 200);
    CHECK(bare.body == v1.body);
    const auto listed = body_of(bare);
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 1);
    CHECK(str(list[0], "instance_id") == id);
    CHECK(keys_of(list[0]) == instance_keys);

    // One instance by full id, by project name, by unique prefix.
    for (const auto& ref : {id, std::string("alpha"), id.substr(0, 8)}) {
        INFO("ref " << ref);
        const auto got = call("GET", "/api/v1/instances/" + ref);
        REQUIRE(got.status == 200);
        CHECK(str(body_of(got), "instance_id") == id);
        CHECK(keys_of(body_of(got)) == instance_keys);
    }
    check_error(call("GET", "/api/instances/nope"), 404, "not_found", "no such instance: nope");
    // A project name is never a prefix: beta has no bridge.
    check_error(call("GET", "/api/instances/beta"), 404, "not_found", "no such instance: beta");

    const auto health = body_of(call("GET", "/healthz"));
    CHECK(health.at("instances_running") == json::value(1));

    // A live instance cannot be forgotten.
    const auto refused = call("POST", "/api/instances/" + id + "/forget");
    CHECK(refused.status == 409);
    CHECK(body_of(refused).at("code") == json::value("conflict"));

    // Stop.
    check_error(call("DELETE", "/api/instances/nope"), 404, "not_found", "no managed instance: 'nope'");
    const auto stopped = call("DELETE", "/api/v1/instances/" + id);
    REQUIRE(stopped.status == 200);
    const auto stopped_body = body_of(stopped);
    CHECK(str(stopped_body, "instance_id") == id);
    CHECK(stopped_body.at("status") == json::value("stopped"));
    CHECK(stopped_body.at("intentional_stop") == json::value(true));
    CHECK(keys_of(stopped_body) == instance_keys);
    CHECK(wait_gone(bridge_pid, 5s));
    CHECK(body_of(call("GET", "/healthz")).at("instances_running") == json::value(0));

    // Resume of a standard bridge: a fresh bridge with a new id, answered 200.
    const auto resumed = call("POST", "/api/instances/" + id + "/resume");
    REQUIRE(resumed.status == 200);
    const auto resumed_body = body_of(resumed);
    CHECK(keys_of(resumed_body) == with_spawn_extras(instance_keys));
    CHECK(resumed_body.at("created") == json::value(true));
    CHECK(resumed_body.at("status") == json::value("running"));
    const auto new_id = str(resumed_body, "instance_id");
    CHECK(new_id != id);
    check_error(call("POST", "/api/instances/nope/resume"), 404, "not_found", "no such instance: nope");

    // Resuming the live one hands it back: 200, created:false.
    const auto live_again = call("POST", "/api/instances/" + new_id + "/resume");
    REQUIRE(live_again.status == 200);
    CHECK(body_of(live_again).at("created") == json::value(false));
    CHECK(str(body_of(live_again), "instance_id") == new_id);

    REQUIRE(call("DELETE", "/api/instances/" + new_id).status == 200);

    // Forget: internal, so not under /api/v1; the reply echoes the reference as given.
    check_error(call("POST", "/api/v1/instances/" + new_id + "/forget"), 404, "not_found", "Not Found");
    const auto prefix = new_id.substr(0, 10);
    const auto forgotten = call("POST", "/api/instances/" + prefix + "/forget");
    REQUIRE(forgotten.status == 200);
    CHECK(forgotten.body == R"({"id":")" + prefix + R"(","forgotten":true})");
    CHECK(call("POST", "/api/instances/" + new_id + "/forget").status == 404);

    // Every row is gone (the resumed card was superseded by its new bridge).
    CHECK(call("GET", "/api/instances").body == "[]");
}

TEST_CASE_METHOD(instances_fixture, "a project name with several bridges is ambiguous (409)", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());
    const auto a = spawn(R"({"project": "alpha"})");
    REQUIRE(a.status == 201);
    const auto first = str(body_of(a), "instance_id");
    REQUIRE(call("DELETE", "/api/instances/" + first).status == 200);
    const auto b = spawn(R"({"project": "alpha", "name": "second"})");
    REQUIRE(b.status == 201);
    const auto second = str(body_of(b), "instance_id");
    CHECK(body_of(b).at("label") == json::value("second"));

    const auto ambiguous = call("GET", "/api/instances/alpha");
    INFO(ambiguous.body);
    CHECK(ambiguous.status == 409);
    const auto detail = str(body_of(ambiguous), "detail");
    CHECK(detail.starts_with("ambiguous 'alpha' \u2014 matches "));
    CHECK(detail.find(first) != std::string::npos);
    CHECK(detail.find(second) != std::string::npos);
    CHECK(detail.ends_with("; use an instance id directly"));
    CHECK(call("DELETE", "/api/instances/alpha").status == 409);

    // Registration order.
    const auto listed = body_of(call("GET", "/api/instances"));
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 2);
    CHECK(str(list[0], "instance_id") == first);
    CHECK(str(list[1], "instance_id") == second);
}

TEST_CASE_METHOD(instances_fixture, "pipelined requests on one connection are answered in order", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());
    const std::string body = R"({"project": "beta"})";
    const std::string raw = "POST /api/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
                            "GET /api/v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    const auto replies = split_responses(http_exchange(url(), raw, 20s));
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].first == 201);
    const auto spawned = json::parse(replies[0].second);
    CHECK(replies[1].first == 200);
    // The listing ran after the spawn finished: it already holds the bridge.
    const auto listed = json::parse(replies[1].second);
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 1);
    CHECK(list[0].at("instance_id") == spawned.at("instance_id"));
    CHECK(list[0].at("status") == json::value("running"));
}

TEST_CASE_METHOD(instances_fixture, "a slow spawn blocks only its own connection", "[http][slow]") {
    installation().env["FAKE_CLAUDE_MODE"] = "slow";
    installation().env["FAKE_CLAUDE_SLOW"] = "2.5";
    start();
    INFO("clausterd log:\n" << log());

    std::atomic<bool> done{false};
    http_reply slow;
    std::thread spawner{[&] {
        slow = spawn(R"({"project": "alpha"})");
        done = true;
    }};
    // Wait until the bridge was launched (its debug log exists), then ask others.
    const auto logs = installation().state / "logs";
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool launched = false;
    while (!launched && std::chrono::steady_clock::now() < deadline) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(logs, ec))
            if (e.path().filename().string().starts_with("alpha-")) launched = true;
        if (!launched) std::this_thread::sleep_for(20ms);
    }
    CHECK(launched);
    const auto t0 = std::chrono::steady_clock::now();
    const auto health = call("GET", "/healthz");
    const auto projects = call("GET", "/api/projects");
    const auto waited = std::chrono::steady_clock::now() - t0;
    const bool spawn_still_pending = !done;
    spawner.join();

    CHECK(health.status == 200);
    CHECK(projects.status == 200);
    CHECK(spawn_still_pending);
    CHECK(waited < 1500ms);
    REQUIRE(slow.status == 201);
    CHECK(body_of(slow).at("status") == json::value("running"));
}

TEST_CASE_METHOD(instances_fixture, "a restarted clausterd lists every running bridge exactly once", "[http][slow]") {
    start();
    const auto a = spawn(R"({"project": "alpha"})");
    REQUIRE(a.status == 201);
    const auto b = spawn(R"({"project": "beta"})");
    REQUIRE(b.status == 201);
    const auto id_a = str(body_of(a), "instance_id");
    const auto id_b = str(body_of(b), "instance_id");
    const auto pid_a = body_of(a).at("bridge_pid");

    CHECK(stop_server() == 0);
    // The bridges outlived the server.
    CHECK_FALSE(wait_gone(static_cast<int>(pid_a.as_int64()), 0ms));

    start();
    INFO("clausterd log:\n" << log());
    const auto listed = body_of(call("GET", "/api/instances"));
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 2);
    CHECK(str(list[0], "instance_id") == id_a);
    CHECK(str(list[1], "instance_id") == id_b);
    CHECK(list[0].at("bridge_pid") == pid_a);
    // A spawn for the project still finds the reattached bridge.
    const auto again = spawn(R"({"project": "alpha"})");
    CHECK(again.status == 200);
    CHECK(str(body_of(again), "instance_id") == id_a);
}

TEST_CASE_METHOD(instances_fixture, "an Interactive Session (pty) resumes as the same instance", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());

    const auto spawned = spawn(R"({"project": "beta", "resume_mode": "pty", "spawn_mode": "worktree"})");
    REQUIRE(spawned.status == 201);
    const auto body = body_of(spawned);
    const auto id = str(body, "instance_id");
    CHECK(body.at("resume_mode") == json::value("pty"));
    CHECK(body.at("status") == json::value("running"));
    CHECK(body.at("keeper_pid").is_int64());
    CHECK(body.at("warnings").as_array().empty());  // a worktree: no concurrent-edit warning

    // A second pty spawn is another instance, not the same one (only standard is idempotent).
    const auto second = spawn(R"({"project": "beta", "resume_mode": "pty"})");
    REQUIRE(second.status == 201);
    const auto second_body = body_of(second);
    CHECK(str(second_body, "instance_id") != id);
    CHECK_FALSE(second_body.at("warnings").as_array().empty());  // same-dir pty: a warning
    REQUIRE(call("DELETE", "/api/instances/" + str(second_body, "instance_id")).status == 200);

    const auto stopped = call("DELETE", "/api/instances/" + id);
    REQUIRE(stopped.status == 200);
    CHECK(body_of(stopped).at("status") == json::value("stopped"));

    const auto resumed = call("POST", "/api/v1/instances/" + id + "/resume");
    REQUIRE(resumed.status == 200);
    const auto resumed_body = body_of(resumed);
    CHECK(str(resumed_body, "instance_id") == id);
    CHECK(resumed_body.at("created") == json::value(true));
    CHECK(resumed_body.at("status") == json::value("running"));

    // Resuming a live Interactive Session hands it back.
    const auto again = call("POST", "/api/instances/" + id + "/resume");
    REQUIRE(again.status == 200);
    CHECK(body_of(again).at("created") == json::value(false));
}
