// `clauster projects [--json]` against a real installation (no server).

#include "support/cli_fixture.hpp"
#include "support/fake_claude_setup.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace clauster::test;

TEST_CASE("clauster projects: the table, the JSON and the empty case", "[cli][projects]") {
    installation inst;

    SECTION("no projects") {
        const auto r = inst.cli({"projects"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.empty());
        CHECK(r.err == "No projects found.\n");
        const auto j = inst.cli({"projects", "--json"});
        CHECK(j.exit_code == 0);
        CHECK(j.out == "[]\n");
    }

    SECTION("projects, sorted case-insensitively, with git, trust and bypass") {
        use_fake_claude(inst, {.projects = {"beta", "Alpha", "gamma"}, .trusted = {"beta"}, .git_repos = {"gamma"}});
        fs::create_directories(inst.projects / ".hidden");
        fs::create_directories(inst.projects / "bad name");
        write_file(inst.root / "clauster.yml", "projects:\n  gamma:\n    allow_bypass_permissions: true\n");

        const auto r = inst.cli({"-c", (inst.root / "clauster.yml").string(), "projects"});
        REQUIRE(r.exit_code == 0);
        const std::string alpha = (inst.projects / "Alpha").string();
        const std::string beta = (inst.projects / "beta").string();
        const std::string gamma = (inst.projects / "gamma").string();
        CHECK(r.out == "PROJECT  GIT  TRUST      BYPASS  PATH\n"
                       "Alpha    -    untrusted  -       " + alpha + "\n" +
                       "beta     -    trusted    -       " + beta + "\n" +
                       "gamma    git  untrusted  yes     " + gamma + "\n");

        const auto j = inst.cli({"-c", (inst.root / "clauster.yml").string(), "projects", "--json"});
        REQUIRE(j.exit_code == 0);
        const auto list = json::parse(j.out).as_array();
        REQUIRE(list.size() == 3);
        CHECK(list[0].at("name") == "Alpha");
        CHECK(list[1].at("trust_state") == "trusted");
        CHECK(list[2].at("is_git_repo") == true);
        CHECK(list[2].at("allow_bypass_permissions") == true);
        CHECK(list[0].as_object().size() == 7);
    }
}

TEST_CASE("clauster projects: a config error exits 2", "[cli][projects]") {
    installation inst;
    write_file(inst.root / "bad.yml", "port: nope\n");
    const auto r = inst.cli({"-c", (inst.root / "bad.yml").string(), "projects"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.starts_with("clauster: config error: "));
}
