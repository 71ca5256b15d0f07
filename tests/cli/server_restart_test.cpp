// Restart survival and CLI/server coexistence, with real processes end to end:
// clausterd, the clauster CLI, the PTY keeper and the fake claude.
#include "support/server_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <future>
#include <set>
#include <thread>

using namespace clauster::test;

namespace {

void trust(const installation& inst, const std::vector<std::string>& names) {
    std::string body = R"({"projects": {)";
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::filesystem::create_directories(inst.projects / names[i]);
        body += (i ? "," : "") + std::string("\"") + (inst.projects / names[i]).string() +
                R"(": {"hasTrustDialogAccepted": true})";
    }
    write_file(inst.home / ".claude.json", body + "}}");
}

void prepare(installation& inst) {
    inst.env["CLAUSTER_CLAUDE_BINARY"] = CLAUSTER_TEST_FAKE_CLAUDE;
    inst.env["FAKE_CLAUDE_MAX_IDLE"] = "120";
    trust(inst, {"api", "web"});
}

std::vector<std::string> server_args() { return {"--keeper-exe", CLAUSTER_TEST_CLI}; }

boost::json::value post(const running_server& s, const std::string& body, int& status) {
    auto r = http_request(s.url(), "POST", "/api/v1/instances", {{"Content-Type", "application/json"}}, body);
    status = r.status;
    return boost::json::parse(r.body);
}

boost::json::array instances(const running_server& s) {
    auto r = s.get("/api/v1/instances");
    REQUIRE(r.status == 200);
    return boost::json::parse(r.body).as_array();
}

bool alive(std::int64_t pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0; }

/// Stops every listed instance through the CLI so no fake outlives the test.
void stop_all(const installation& inst) {
    auto listed = inst.cli({"status", "--json"});
    if (listed.exit_code != 0 || listed.out.empty()) return;
    const auto all = boost::json::parse(listed.out);  // keep the value alive for the loop
    for (const auto& v : all.as_array()) inst.cli({"stop", std::string(v.at("instance_id").as_string())});
}

}  // namespace

TEST_CASE("SIGKILL of clausterd leaves every bridge running and listed once", "[cli][e2e]") {
    installation inst;
    prepare(inst);
    std::vector<std::string> ids;
    std::vector<std::int64_t> pids;
    {
        running_server first(inst, server_args());
        int status = 0;
        auto a = post(first, R"({"project":"api"})", status);
        REQUIRE(status == 201);
        auto w = post(first, R"({"project":"web","resume_mode":"pty"})", status);
        REQUIRE(status == 201);
        for (const auto* v : {&a, &w}) {
            CHECK(v->at("status") == "running");
            ids.emplace_back(v->at("instance_id").as_string());
            pids.push_back(v->at("bridge_pid").is_int64() ? v->at("bridge_pid").as_int64() : 0);
        }
        first.process().signal(SIGKILL);
        first.process().wait(std::chrono::seconds(5));
    }
    for (auto pid : pids) CHECK(alive(pid));

    running_server second(inst, server_args());
    const auto listed = instances(second);
    std::multiset<std::string> seen;
    for (const auto& v : listed) seen.emplace(v.at("instance_id").as_string());
    CHECK(seen.size() == 2);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        CAPTURE(ids[i]);
        CHECK(seen.count(ids[i]) == 1);
    }
    for (const auto& v : listed) CHECK(v.at("status") == "running");
    // The restarted server manages them: stop works and ends the processes.
    auto stopped = http_request(second.url(), "DELETE", "/api/v1/instances/" + ids[0]);
    CHECK(stopped.status == 200);
    CHECK(boost::json::parse(stopped.body).at("status") == "stopped");
    stop_all(inst);
}

TEST_CASE("the CLI and a running server racing on one project make one bridge", "[cli][e2e]") {
    installation inst;
    prepare(inst);
    running_server server(inst, server_args());

    auto from_cli = std::async(std::launch::async, [&] { return inst.cli({"start", "api", "--json"}); });
    int status = 0;
    auto from_api = post(server, R"({"project":"api"})", status);
    auto cli = from_cli.get();
    REQUIRE(cli.exit_code == 0);
    const auto cli_json = boost::json::parse(cli.out);
    CHECK((status == 201 || status == 200));
    CHECK(cli_json.at("instance_id") == from_api.at("instance_id"));
    CHECK(cli_json.at("created").as_bool() != from_api.at("created").as_bool());

    const auto listed = instances(server);
    int live = 0;
    for (const auto& v : listed)
        if (v.at("status") == "running" || v.at("status") == "starting") ++live;
    CHECK(live == 1);

    // A stop from the CLI is seen by the server as a stop, not a crash.
    REQUIRE(inst.cli({"stop", "api"}).exit_code == 0);
    auto after = boost::json::parse(server.get("/api/v1/instances/api").body);
    CHECK(after.at("status") == "stopped");
    CHECK(after.at("intentional_stop") == true);
    stop_all(inst);
}
