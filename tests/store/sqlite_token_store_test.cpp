#include <clauster/store/sqlite_token_store.hpp>

#include "database_impl.hpp"

#include <clauster/core/time_format.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clauster::core::errc;
using clauster::core::make_error_code;
using clauster::store::database;
using clauster::store::sqlite_token_store;

namespace {

using clauster::test::temp_dir;


using time_point = std::chrono::system_clock::time_point;

/// 2026-11-23T04:40:40.123456Z: microsecond precision, as stored.
const time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 4h + 40min + 40s + 123456us;

/// A well-formed stored hash: 64 lower-case hex digits.
std::string hash_of(char c) { return std::string(64, c); }

database open_db(const fs::path& dir, int busy_timeout_ms = 5000) {
    clauster::store::open_options opts;
    opts.busy_timeout_ms = busy_timeout_ms;
    auto db = database::open(dir, opts);
    REQUIRE(db.has_value());
    return std::move(*db);
}

struct store_fixture {
    temp_dir tmp;
    database db = open_db(tmp.path());
    sqlite_token_store store{db};
};

}  // namespace

TEST_CASE_METHOD(store_fixture, "sqlite_token_store insert then list and find_by_hash", "[store]") {
    CHECK(store.list().value().empty());

    auto inserted = store.insert("ci", hash_of('a'), t0);
    REQUIRE(inserted.has_value());
    CHECK(inserted->id > 0);
    CHECK(inserted->label == "ci");
    CHECK(inserted->token_hash == hash_of('a'));
    CHECK(inserted->created_at == t0);
    CHECK(inserted->updated_at == t0);
    CHECK_FALSE(inserted->last_used_at.has_value());

    auto all = store.list();
    REQUIRE(all.has_value());
    REQUIRE(all->size() == 1);
    CHECK(all->front().id == inserted->id);
    CHECK(all->front().label == "ci");

    auto found = store.find_by_hash(hash_of('a'));
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    CHECK((*found)->id == inserted->id);
    CHECK((*found)->label == "ci");
    CHECK((*found)->created_at == t0);

    auto missing = store.find_by_hash(hash_of('b'));
    REQUIRE(missing.has_value());
    CHECK_FALSE(missing->has_value());
}

TEST_CASE_METHOD(store_fixture, "sqlite_token_store lists by created_at then id", "[store]") {
    REQUIRE(store.insert("late", hash_of('1'), t0 + 1s).has_value());
    REQUIRE(store.insert("early-a", hash_of('2'), t0).has_value());
    REQUIRE(store.insert("early-b", hash_of('3'), t0).has_value());
    REQUIRE(store.insert("earliest", hash_of('4'), t0 - 1us).has_value());

    auto all = store.list();
    REQUIRE(all.has_value());
    REQUIRE(all->size() == 4);
    CHECK((*all)[0].label == "earliest");
    CHECK((*all)[1].label == "early-a");
    CHECK((*all)[2].label == "early-b");
    CHECK((*all)[3].label == "late");
    CHECK((*all)[1].id < (*all)[2].id);
}

TEST_CASE_METHOD(store_fixture, "sqlite_token_store reports duplicates as already_exists", "[store]") {
    REQUIRE(store.insert("ci", hash_of('a'), t0).has_value());

    SECTION("duplicate label") {
        auto dup = store.insert("ci", hash_of('b'), t0);
        REQUIRE_FALSE(dup.has_value());
        CHECK(dup.error() == make_error_code(errc::already_exists));
    }
    SECTION("duplicate hash") {
        auto dup = store.insert("other", hash_of('a'), t0);
        REQUIRE_FALSE(dup.has_value());
        CHECK(dup.error() == make_error_code(errc::already_exists));
    }
    SECTION("rotating onto another token's hash") {
        REQUIRE(store.insert("other", hash_of('b'), t0).has_value());
        auto dup = store.replace_hash("other", hash_of('a'), t0 + 1s);
        REQUIRE_FALSE(dup.has_value());
        CHECK(dup.error() == make_error_code(errc::already_exists));
        CHECK(store.find_by_hash(hash_of('b')).value().has_value());  // rolled back
    }

    // The failed write left nothing behind and the store stays usable.
    auto after = store.find_by_hash(hash_of('a'));
    REQUIRE(after.has_value());
    REQUIRE(after->has_value());
    CHECK((*after)->label == "ci");
    CHECK(store.insert("next", hash_of('c'), t0).has_value());
}

TEST_CASE_METHOD(store_fixture, "sqlite_token_store replace_hash rotates a token", "[store]") {
    const auto original = store.insert("ci", hash_of('a'), t0).value();

    auto rotated = store.replace_hash("ci", hash_of('b'), t0 + 5s);
    REQUIRE(rotated.has_value());
    CHECK(rotated->id == original.id);
    CHECK(rotated->label == "ci");
    CHECK(rotated->token_hash == hash_of('b'));
    CHECK(rotated->created_at == t0);
    CHECK(rotated->updated_at == t0 + 5s);

    CHECK_FALSE(store.find_by_hash(hash_of('a')).value().has_value());
    auto found = store.find_by_hash(hash_of('b')).value();
    REQUIRE(found.has_value());
    CHECK(found->id == original.id);

    auto unknown = store.replace_hash("nobody", hash_of('c'), t0);
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error() == make_error_code(errc::not_found));
}

TEST_CASE_METHOD(store_fixture, "sqlite_token_store remove revokes a token", "[store]") {
    REQUIRE(store.insert("ci", hash_of('a'), t0).has_value());
    REQUIRE(store.insert("laptop", hash_of('b'), t0).has_value());

    REQUIRE(store.remove("ci").has_value());
    CHECK_FALSE(store.find_by_hash(hash_of('a')).value().has_value());
    auto all = store.list().value();
    REQUIRE(all.size() == 1);
    CHECK(all.front().label == "laptop");

    auto again = store.remove("ci");
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error() == make_error_code(errc::not_found));
}

TEST_CASE_METHOD(store_fixture, "sqlite_token_store touch stamps last_used_at only", "[store]") {
    const auto token = store.insert("ci", hash_of('a'), t0).value();

    REQUIRE(store.touch(token.id, t0 + 1h).has_value());
    auto found = store.find_by_hash(hash_of('a')).value();
    REQUIRE(found.has_value());
    REQUIRE(found->last_used_at.has_value());
    CHECK(*found->last_used_at == t0 + 1h);
    CHECK(found->updated_at == t0);
    CHECK(found->created_at == t0);

    auto unknown = store.touch(token.id + 1000, t0);
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error() == make_error_code(errc::not_found));
}

TEST_CASE_METHOD(store_fixture, "sqlite_token_store timestamps round-trip as ISO-8601 UTC micros", "[store]") {
    const time_point with_nanos = t0 + 789ns;
    const auto token = store.insert("ci", hash_of('a'), with_nanos).value();
    REQUIRE(store.touch(token.id, t0 + 2s).has_value());

    SQLite::Statement raw(db.get_impl().db,
                          "SELECT created_at, updated_at, last_used_at FROM api_tokens WHERE id = ?1");
    raw.bind(1, token.id);
    REQUIRE(raw.executeStep());
    CHECK(raw.getColumn(0).getString() == "2026-11-23T04:40:40.123456+00:00");
    CHECK(raw.getColumn(1).getString() == "2026-11-23T04:40:40.123456+00:00");
    CHECK(raw.getColumn(2).getString() == "2026-11-23T04:40:42.123456+00:00");
    raw.reset();

    // What insert returns is what a later read returns: truncated to microseconds.
    CHECK(token.created_at == t0);
    const auto listed = store.list().value();
    REQUIRE(listed.size() == 1);
    CHECK(listed.front().created_at == t0);
    CHECK(listed.front().updated_at == t0);
    REQUIRE(listed.front().last_used_at.has_value());
    CHECK(*listed.front().last_used_at == t0 + 2s);
}

TEST_CASE_METHOD(store_fixture, "sqlite_token_store lets schema violations throw", "[store]") {
    CHECK_THROWS_AS(store.insert("ci", "not-a-sha256", t0), SQLite::Exception);
    CHECK_THROWS_AS(store.insert("", hash_of('a'), t0), SQLite::Exception);
    CHECK_THROWS_AS(store.insert(std::string(65, 'x'), hash_of('a'), t0), SQLite::Exception);
    CHECK_THROWS_AS(store.insert("upper", std::string(64, 'A'), t0), SQLite::Exception);
    CHECK(store.list().value().empty());
    CHECK(store.insert(std::string(64, 'x'), hash_of('a'), t0).has_value());
}

TEST_CASE("sqlite_token_store sees another connection's writes on its next query", "[store]") {
    temp_dir tmp;
    database server_db = open_db(tmp.path());
    database cli_db = open_db(tmp.path());
    sqlite_token_store server(server_db);
    sqlite_token_store cli(cli_db);

    REQUIRE(cli.insert("ci", hash_of('a'), t0).has_value());
    REQUIRE(server.list().value().size() == 1);
    auto seen = server.find_by_hash(hash_of('a'));
    REQUIRE(seen.has_value());
    REQUIRE(seen->has_value());

    SECTION("revoke") {
        REQUIRE(cli.remove("ci").has_value());
        // list() first: no statement of the server's may still pin the read
        // snapshot taken by the find_by_hash above.
        CHECK(server.list().value().empty());
        auto after = server.find_by_hash(hash_of('a'));
        REQUIRE(after.has_value());
        CHECK_FALSE(after->has_value());
    }
    SECTION("rotate") {
        REQUIRE(cli.replace_hash("ci", hash_of('b'), t0 + 1s).has_value());
        CHECK_FALSE(server.find_by_hash(hash_of('a')).value().has_value());
        CHECK(server.find_by_hash(hash_of('b')).value().has_value());
    }
    SECTION("the server's touch is visible to the CLI") {
        REQUIRE(server.touch((*seen)->id, t0 + 1min).has_value());
        const auto listed = cli.list().value();
        REQUIRE(listed.size() == 1);
        REQUIRE(listed.front().last_used_at.has_value());
        CHECK(*listed.front().last_used_at == t0 + 1min);
    }
}

TEST_CASE("sqlite_token_store reports a write lock held elsewhere as unavailable", "[store]") {
    temp_dir tmp;
    database holder = open_db(tmp.path());
    database waiter_db = open_db(tmp.path(), 0);  // no busy wait: fail at once, no sleeping test
    sqlite_token_store holder_store(holder);
    sqlite_token_store waiter(waiter_db);
    const auto token = holder_store.insert("ci", hash_of('a'), t0).value();

    {
        SQLite::Transaction lock(holder.get_impl().db, SQLite::TransactionBehavior::IMMEDIATE);

        auto busy = waiter.insert("other", hash_of('b'), t0);
        REQUIRE_FALSE(busy.has_value());
        CHECK(busy.error() == make_error_code(errc::unavailable));
        auto busy_touch = waiter.touch(token.id, t0);
        REQUIRE_FALSE(busy_touch.has_value());
        CHECK(busy_touch.error() == make_error_code(errc::unavailable));

        // WAL: readers are never blocked by the writer.
        CHECK(waiter.find_by_hash(hash_of('a')).value().has_value());
    }

    CHECK(waiter.insert("other", hash_of('b'), t0).has_value());
}
