#include "support/cli_fixture.hpp"

#include <clauster/core/crypto.hpp>

#include <catch2/catch.hpp>

#include <regex>

using clauster::test::installation;

namespace {

const std::regex raw_token_shape{"clauster_pat_[A-Za-z0-9_-]{43}\n"};

std::string issue_ok(const installation& inst, const std::string& label) {
    auto r = inst.cli({"api-token", "issue", label});
    REQUIRE(r.exit_code == 0);
    REQUIRE(std::regex_match(r.out, raw_token_shape));
    return r.out.substr(0, r.out.size() - 1);
}

}  // namespace

TEST_CASE("api-token issue prints the raw token alone on stdout", "[cli]") {
    installation inst;
    auto r = inst.cli({"api-token", "issue", "ci-runner"});
    CHECK(r.exit_code == 0);
    CHECK(std::regex_match(r.out, raw_token_shape));
    CHECK(r.err.find("Token (shown once \u2014 copy it into your client now):\n") == 0);
    CHECK(std::regex_search(r.err, std::regex{"\nclauster: issued 'ci-runner' \\(created \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)\n$"}));

    SECTION("only the SHA-256 is at rest, in private files") {
        const std::string raw = r.out.substr(0, r.out.size() - 1);
        const std::string db = clauster::test::read_file(inst.state / "clauster.db") +
                               clauster::test::read_file(inst.state / "clauster.db-wal");
        CHECK(db.find(raw) == std::string::npos);
        CHECK(db.find(clauster::core::crypto::sha256_hex(raw)) != std::string::npos);
        CHECK(clauster::test::mode_of(inst.state) == 0700);
        CHECK(clauster::test::mode_of(inst.state / "clauster.db") == 0600);
    }
    SECTION("--label works too and labels are unique") {
        auto second = inst.cli({"api-token", "issue", "--label", "other"});
        CHECK(second.exit_code == 0);
        auto dup = inst.cli({"api-token", "issue", "--label", "ci-runner"});
        CHECK(dup.exit_code == 2);
        CHECK(dup.out.empty());
        CHECK(dup.err == "clauster: a token labeled 'ci-runner' already exists\n");
    }
}

TEST_CASE("api-token rejects bad labels with exit 2", "[cli]") {
    installation inst;
    const std::vector<std::string> bad{"has space", "semi;colon", "slash/x", std::string(65, 'a'), "\xC3\xA9t\xC3\xA9"};
    for (const auto& label : bad) {
        CAPTURE(label);
        auto r = inst.cli({"api-token", "issue", label});
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK(r.err.find("clauster: invalid label") == 0);
    }
    CHECK(inst.cli({"api-token", "issue", std::string(64, 'a')}).exit_code == 0);
    CHECK(inst.cli({"api-token", "issue", "a.b_c-D9"}).exit_code == 0);

    auto missing = inst.cli({"api-token", "issue"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err == "clauster: a label is required: <label> or --label L\n");
    CHECK(inst.cli({"api-token", "issue", "one", "--label", "two"}).exit_code == 2);
}

TEST_CASE("api-token list shows labels and never secrets", "[cli]") {
    installation inst;
    auto empty = inst.cli({"api-token", "list"});
    CHECK(empty.exit_code == 0);
    CHECK(empty.out.empty());
    CHECK(empty.err == "clauster: no named tokens\n");

    const std::string raw = issue_ok(inst, "alpha");
    issue_ok(inst, "beta");
    auto r = inst.cli({"api-token", "list"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("LABEL                    CREATED               LAST USED\n") == 0);
    CHECK(std::regex_search(r.out, std::regex{"\nalpha {20}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  never\n"}));
    CHECK(r.out.find("\nbeta ") != std::string::npos);
    CHECK(r.out.find(raw) == std::string::npos);
    CHECK(r.out.find(clauster::core::crypto::sha256_hex(raw)) == std::string::npos);

    SECTION("a legacy hash adds a note") {
        inst.env["CLAUSTER_AUTH_API_TOKEN_HASH"] = clauster::core::crypto::sha256_hex("legacy");
        auto noted = inst.cli({"api-token", "list"});
        CHECK(noted.exit_code == 0);
        CHECK(noted.err.find("auth.api_token_hash is also set") != std::string::npos);
    }
}

TEST_CASE("api-token rotate and revoke", "[cli]") {
    installation inst;
    const std::string first = issue_ok(inst, "svc");

    auto rotated = inst.cli({"api-token", "rotate", "svc"});
    CHECK(rotated.exit_code == 0);
    CHECK(std::regex_match(rotated.out, raw_token_shape));
    CHECK(rotated.out != first + "\n");
    CHECK(rotated.err.find("clauster: rotated 'svc' \u2014 the previous secret no longer works\n") != std::string::npos);

    auto unknown_rotate = inst.cli({"api-token", "rotate", "--label", "nope"});
    CHECK(unknown_rotate.exit_code == 2);
    CHECK(unknown_rotate.err == "clauster: no token labeled 'nope'\n");

    auto revoked = inst.cli({"api-token", "revoke", "svc"});
    CHECK(revoked.exit_code == 0);
    CHECK(revoked.out.empty());
    CHECK(revoked.err == "clauster: revoked 'svc'\n");

    auto again = inst.cli({"api-token", "revoke", "svc"});
    CHECK(again.exit_code == 2);
    CHECK(again.err == "clauster: no token labeled 'svc'\n");
}

TEST_CASE("the CLI exits 1 on database errors and 2 on config errors", "[cli]") {
    installation inst;
    SECTION("state_dir is a file") {
        clauster::test::write_file(inst.root / "state-file", "x");
        inst.env["CLAUSTER_STATE_DIR"] = (inst.root / "state-file").string();
        for (const auto* verb : {"issue", "list"}) {
            std::vector<std::string> args{"api-token", verb};
            if (std::string(verb) == "issue") args.push_back("x");
            auto r = inst.cli(args);
            CHECK(r.exit_code == 1);
            CHECK(r.err.find("clauster: could not open the database: ") == 0);
            CHECK(r.err.find("no named tokens") == std::string::npos);
        }
    }
    SECTION("the database is not SQLite") {
        std::filesystem::create_directories(inst.state);
        clauster::test::write_file(inst.state / "clauster.db", std::string(4096, 'z'));
        auto r = inst.cli({"api-token", "list"});
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("clauster: could not open the database: ") == 0);
    }
    SECTION("a missing -c file") {
        auto r = inst.cli({"-c", (inst.root / "missing.yml").string(), "api-token", "list"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("clauster: config error: ") == 0);
        auto after = inst.cli({"api-token", "list", "-c", (inst.root / "missing.yml").string()});
        CHECK(after.exit_code == 2);
    }
    SECTION("a bad value") {
        inst.env["CLAUSTER_PORT"] = "seventy";
        auto r = inst.cli({"api-token", "list"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("clauster: config error: port: ") == 0);
    }
}

TEST_CASE("the CLI surface: version, unknown commands", "[cli]") {
    installation inst;
    auto v = inst.cli({"--version"});
    CHECK(v.exit_code == 0);
    CHECK(std::regex_match(v.out, std::regex{"clauster \\d+\\.\\d+\\.\\d+\n"}));
    CHECK(inst.cli({"frobnicate"}).exit_code == 2);
    CHECK(inst.cli({"api-token"}).exit_code == 2);
    CHECK(inst.cli({"api-token", "list", "--bogus"}).exit_code == 2);
    auto help = inst.cli({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("CLAUSTER_CONFIG") != std::string::npos);
}
