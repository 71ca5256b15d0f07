// The issue's end-to-end path: a real clausterd, a token issued by the real
// CLI, an authenticated call, a revoke, and a 401 on the very next call.
#include "support/server_fixture.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <csignal>

using namespace clauster::test;

namespace {

std::string issue(const installation& inst, const std::string& label) {
    auto r = inst.cli({"api-token", "issue", label});
    REQUIRE(r.exit_code == 0);
    return r.out.substr(0, r.out.size() - 1);
}

std::pair<std::string, std::string> bearer(const std::string& token) { return {"Authorization", "Bearer " + token}; }

}  // namespace

TEST_CASE("a token issued by the CLI opens the API until it is revoked", "[cli][e2e]") {
    installation inst;
    std::filesystem::create_directories(inst.projects / "beta" / ".git");
    std::filesystem::create_directories(inst.projects / "Alpha");
    write_file(inst.projects / "Alpha" / "CLAUDE.md", "# hi\n");
    write_file(inst.home / ".claude.json",
               R"({"projects": {")" + (inst.projects / "Alpha").string() + R"(": {"hasTrustDialogAccepted": true}}})");
    inst.env["CLAUSTER_AUTH_ENABLED"] = "true";
    running_server server(inst);

    CHECK(server.get("/api/v1/projects").status == 401);

    const std::string token = issue(inst, "e2e");
    auto ok = server.get("/api/v1/projects", {bearer(token)});
    REQUIRE(ok.status == 200);
    const auto projects = boost::json::parse(ok.body).as_array();
    REQUIRE(projects.size() == 2);
    CHECK(projects[0].at("name") == "Alpha");
    CHECK(projects[0].at("trust_state") == "trusted");
    CHECK(projects[0].at("has_claude_md") == true);
    CHECK(projects[1].at("name") == "beta");
    CHECK(projects[1].at("is_git_repo") == true);
    CHECK(projects[1].at("trust_state") == "untrusted");
    CHECK(server.get("/api/projects", {bearer(token)}).body == ok.body);

    auto listed = inst.cli({"api-token", "list"});
    CHECK(listed.out.find("never") == std::string::npos);  // last_used_at was stamped

    SECTION("revoke takes effect on the next request") {
        REQUIRE(inst.cli({"api-token", "revoke", "e2e"}).exit_code == 0);
        auto denied = server.get("/api/v1/projects", {bearer(token)});
        CHECK(denied.status == 401);
        CHECK(boost::json::parse(denied.body) == boost::json::parse(R"({"detail":"authentication required","code":"unauthorized"})"));
    }
    SECTION("rotate retires the old secret at once") {
        auto rotated = inst.cli({"api-token", "rotate", "e2e"});
        REQUIRE(rotated.exit_code == 0);
        const std::string fresh = rotated.out.substr(0, rotated.out.size() - 1);
        CHECK(server.get("/api/v1/projects", {bearer(token)}).status == 401);
        CHECK(server.get("/api/v1/projects", {bearer(fresh)}).status == 200);
    }
    SECTION("healthz is public but reduced for strangers") {
        auto anon = server.get("/healthz");
        CHECK(anon.status == 200);
        CHECK(boost::json::parse(anon.body) == boost::json::parse(R"({"status":"ok"})"));
        auto full = boost::json::parse(server.get("/healthz", {bearer(token)}).body).as_object();
        CHECK(full.at("claude_ok") == false);
        CHECK(full.contains("version"));
    }

    server.process().signal(SIGTERM);
    CHECK(server.process().wait(std::chrono::seconds(10)) == 0);
}
