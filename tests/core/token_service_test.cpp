#include <clauster/core/token_service.hpp>

#include "support/in_memory_token_store.hpp"

#include <clauster/core/crypto.hpp>

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using clauster::core::errc;
using clauster::core::token_service;
using clauster::test::fake_clock;
using clauster::test::in_memory_token_store;

TEST_CASE("labels are 1-64 characters of [A-Za-z0-9_.-]", "[core]") {
    CHECK(token_service::is_valid_label("a"));
    CHECK(token_service::is_valid_label("ci.runner_2-x"));
    CHECK(token_service::is_valid_label(std::string(64, 'z')));
    CHECK_FALSE(token_service::is_valid_label(""));
    CHECK_FALSE(token_service::is_valid_label(std::string(65, 'z')));
    for (const char* bad : {"a b", "a/b", "a:b", "a\nb", "é", "*"}) CHECK_FALSE(token_service::is_valid_label(bad));
    CHECK_FALSE(token_service::is_valid_label(std::string("a\0b", 3)));
}

TEST_CASE("minted tokens have the documented shape and are unique", "[core]") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const auto raw = token_service::mint_raw();
        CHECK(std::regex_match(raw, std::regex{"clauster_pat_[A-Za-z0-9_-]{43}"}));
        CHECK(seen.insert(raw).second);
    }
}

TEST_CASE("issue stores only the hash and verify finds it", "[core]") {
    in_memory_token_store store;
    fake_clock clock;
    token_service tokens(store, clock);

    auto issued = tokens.issue("ci");
    REQUIRE(issued.has_value());
    REQUIRE(store.rows.size() == 1);
    CHECK(store.rows[0].token_hash == clauster::core::crypto::sha256_hex(issued->raw));
    CHECK(store.rows[0].token_hash.find(issued->raw) == std::string::npos);
    CHECK(issued->record.created_at == clock.current);

    clock.current += std::chrono::minutes(5);
    auto who = tokens.verify(issued->raw);
    REQUIRE(who);
    CHECK(who->label == "ci");
    CHECK(store.rows[0].last_used_at == clock.current);

    // Within the same second the stamp is not rewritten (no write per request).
    const auto stamped = store.rows[0].last_used_at;
    clock.current += std::chrono::milliseconds(400);
    CHECK(tokens.verify(issued->raw));
    CHECK(store.rows[0].last_used_at == stamped);
    clock.current += std::chrono::seconds(2);
    CHECK(tokens.verify(issued->raw));
    CHECK(store.rows[0].last_used_at == clock.current);

    CHECK_FALSE(tokens.verify(issued->raw + "x"));
    CHECK_FALSE(tokens.verify(""));
    CHECK_FALSE(tokens.verify(std::string(10000, 'a')));
    CHECK_FALSE(tokens.verify("not-a-token"));

    auto dup = tokens.issue("ci");
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().code == errc::already_exists);
    CHECK(dup.error().message == "a token labeled 'ci' already exists");

    auto bad = tokens.issue("no spaces");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == errc::invalid_argument);
}

TEST_CASE("rotate and revoke apply to the very next verification", "[core]") {
    in_memory_token_store store;
    fake_clock clock;
    token_service tokens(store, clock);
    const auto first = tokens.issue("svc").value();
    REQUIRE(tokens.verify(first.raw));

    const auto second = tokens.rotate("svc").value();
    CHECK(second.raw != first.raw);
    CHECK_FALSE(tokens.verify(first.raw));
    CHECK(tokens.verify(second.raw));

    REQUIRE(tokens.revoke("svc").has_value());
    CHECK_FALSE(tokens.verify(second.raw));
    // Every verification asks the store: nothing is cached.
    const int before = store.lookups;
    tokens.verify(second.raw);
    tokens.verify(second.raw);
    CHECK(store.lookups == before + 2);

    CHECK(tokens.rotate("svc").error().code == errc::not_found);
    CHECK(tokens.revoke("svc").error().message == "no token labeled 'svc'");
}

TEST_CASE("the legacy api_token_hash authenticates beside named tokens", "[core]") {
    in_memory_token_store store;
    fake_clock clock;
    const std::string legacy_raw = "legacy-secret-value";
    // Upper-case hex in the config still matches.
    std::string upper = clauster::core::crypto::sha256_hex(legacy_raw);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    token_service tokens(store, clock, upper);
    CHECK(tokens.has_legacy_hash());
    auto who = tokens.verify(legacy_raw);
    REQUIRE(who);
    CHECK_FALSE(who->label);
    const auto named = tokens.issue("named").value();
    CHECK(tokens.verify(named.raw));
    CHECK_FALSE(tokens.verify("legacy-secret-valuE"));
}
