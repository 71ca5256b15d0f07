#include "support/cli_fixture.hpp"

#include <clauster/core/crypto.hpp>

#include <catch2/catch.hpp>

#include <regex>

using clauster::test::installation;

TEST_CASE("hash-token prints the raw token on stdout and its hash on stderr", "[cli]") {
    installation inst;
    auto r = inst.cli({"hash-token"});
    REQUIRE(r.exit_code == 0);
    REQUIRE(std::regex_match(r.out, std::regex{"[A-Za-z0-9_-]{43}\n"}));
    const std::string raw = r.out.substr(0, r.out.size() - 1);
    CHECK(r.err == "Token (shown once \u2014 copy it into your client now):\n\n"
                   "Add this to clauster.yml under auth (or set CLAUSTER_AUTH_API_TOKEN_HASH):\n"
                   "  api_token_hash: " +
                       clauster::core::crypto::sha256_hex(raw) + "\n");
}

TEST_CASE("hash-password reads stdin when it is not a terminal", "[cli]") {
    installation inst;
    SECTION("one line") {
        auto r = inst.cli({"hash-password"}, "correct horse\n");
        REQUIRE(r.exit_code == 0);
        REQUIRE(r.out.rfind("$argon2id$", 0) == 0);
        const std::string hash = r.out.substr(0, r.out.size() - 1);
        CHECK(clauster::core::crypto::verify_password("correct horse", hash));
        CHECK_FALSE(clauster::core::crypto::verify_password("wrong", hash));
    }
    SECTION("password and matching confirmation") {
        auto r = inst.cli({"hash-password"}, "s3cret\ns3cret\n");
        CHECK(r.exit_code == 0);
    }
    SECTION("mismatch") {
        auto r = inst.cli({"hash-password"}, "a\nb\n");
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK(r.err == "clauster: passwords do not match\n");
    }
    SECTION("empty") {
        for (const std::string input : {"", "\n"}) {
            auto r = inst.cli({"hash-password"}, input);
            CHECK(r.exit_code == 2);
            CHECK(r.err == "clauster: empty password\n");
        }
    }
}
