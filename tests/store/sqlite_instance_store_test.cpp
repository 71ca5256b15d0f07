#include <clauster/store/sqlite_instance_store.hpp>

#include "database_impl.hpp"
#include "migrations.hpp"

#include <clauster/core/time_format.hpp>
#include <clauster/store/sqlite_token_store.hpp>

#include "support/temp_dir.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clauster::core::errc;
using clauster::core::instance;
using clauster::core::instance_channel;
using clauster::core::instance_status;
using clauster::core::launch_mode;
using clauster::core::make_error_code;
using clauster::core::permission_mode;
using clauster::core::process_identity;
using clauster::core::spawn_mode;
using clauster::store::database;
using clauster::store::sqlite_instance_store;
using clauster::test::temp_dir;

namespace {

using time_point = std::chrono::system_clock::time_point;

/// 2026-11-23T04:40:40.123456Z: microsecond precision, as stored.
const time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 4h + 40min + 40s + 123456us;

constexpr std::uint64_t k_max_ticks = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

/// An identity that records only a pid (rows written before ticks and boot ids).
process_identity pid_only(int pid) {
    process_identity id;
    id.pid = pid;
    return id;
}

/// A clock that only moves when told to.
class fake_clock final : public clauster::core::clock {
public:
    time_point now() const override { return current; }
    time_point current = t0 + 1h;
};

/// A 36-character id whose last characters are @p n (ids need not sort in
/// registration order, and these deliberately do not).
std::string id_of(int n) {
    std::string tail = std::to_string(n);
    return "6f1c2d3e-4a5b-4c6d-8e7f-" + std::string(12 - tail.size(), '0') + tail;
}

database open_db(const fs::path& dir, int busy_timeout_ms = 5000) {
    clauster::store::open_options opts;
    opts.busy_timeout_ms = busy_timeout_ms;
    auto db = database::open(dir, opts);
    REQUIRE(db.has_value());
    return std::move(*db);
}

/// The defaults of a freshly registered bridge: only the keys set.
instance minimal(const std::string& id, const std::string& project = "alpha", time_point created = t0) {
    instance inst;
    inst.instance_id = id;
    inst.project = project;
    inst.label = project;
    inst.created_at = created;
    inst.updated_at = created;
    return inst;
}

/// Every durable field away from its default, plus runtime fields that must
/// not be stored.
instance full(const std::string& id) {
    instance inst = minimal(id, "beta-project", t0);
    inst.label = "my label with spaces";
    inst.bridge = process_identity{4242, k_max_ticks, "0b6f7c2a-1f0e-4c3d-9a8b-7e6d5c4b3a21", 1795416040.25};
    inst.keeper = process_identity{4241, k_max_ticks - 1, "1c7a8d3b-2a1f-4d4e-8b9c-8f7e6d5c4b32", 1795416039.5};
    inst.spawn_mode = spawn_mode::worktree;
    inst.permission_mode = permission_mode::bypass_permissions;
    inst.sandbox_mode = "on";
    inst.resume_mode = launch_mode::pty;
    inst.worktree_name = "feature x";
    inst.intentional_stop = true;
    inst.started_at = t0 + 5s;
    inst.log_stem = "my label-1795416040123-3";
    inst.bridge_debug_log_path = fs::path("/var/lib/clauster state/logs/my label-1795416040123-3.debug.log");
    inst.bridge_raw_log_path = fs::path("/var/lib/clauster state/logs/my label-1795416040123-3.raw.log");
    inst.channel = instance_channel::hosted;
    inst.created_at = t0;
    inst.updated_at = t0 + 10s;

    // Runtime: never persisted.
    inst.status = instance_status::running;
    inst.bridge_id = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";
    inst.environment_id = "env_01HXYZ";
    inst.starter_session_id = "session_01HXYZ";
    inst.url = "https://claude.ai/code?environment=env_01HXYZ";
    inst.error_detail = "boom";
    inst.notice = "heads up";
    inst.claude_version = "2.1.150";
    return inst;
}

/// Field-by-field comparison of what the store promises to keep.
void check_durable_equal(const instance& got, const instance& want) {
    CHECK(got.instance_id == want.instance_id);
    CHECK(got.project == want.project);
    CHECK(got.label == want.label);
    CHECK(got.bridge == want.bridge);
    CHECK(got.keeper == want.keeper);
    CHECK(got.spawn_mode == want.spawn_mode);
    CHECK(got.permission_mode == want.permission_mode);
    CHECK(got.sandbox_mode == want.sandbox_mode);
    CHECK(got.resume_mode == want.resume_mode);
    CHECK(got.worktree_name == want.worktree_name);
    CHECK(got.intentional_stop == want.intentional_stop);
    CHECK(got.started_at == want.started_at);
    CHECK(got.log_stem == want.log_stem);
    CHECK(got.bridge_debug_log_path == want.bridge_debug_log_path);
    CHECK(got.bridge_raw_log_path == want.bridge_raw_log_path);
    CHECK(got.channel == want.channel);
    CHECK(got.created_at == want.created_at);
    CHECK(got.updated_at == want.updated_at);
}

void check_runtime_empty(const instance& got) {
    CHECK(got.status == instance_status::stopped);
    CHECK_FALSE(got.bridge_id.has_value());
    CHECK_FALSE(got.environment_id.has_value());
    CHECK_FALSE(got.starter_session_id.has_value());
    CHECK_FALSE(got.url.has_value());
    CHECK_FALSE(got.error_detail.has_value());
    CHECK_FALSE(got.notice.has_value());
    CHECK_FALSE(got.claude_version.has_value());
}

std::vector<std::string> ids_of(const std::vector<instance>& all) {
    std::vector<std::string> out;
    for (const auto& inst : all) out.push_back(inst.instance_id);
    return out;
}

std::string stored_text(database& db, const std::string& column, const std::string& id) {
    // Column names are test constants; sqlite cannot bind identifiers.
    SQLite::Statement st(db.get_impl().db, "SELECT " + column + " FROM instances WHERE instance_id = ?1");
    st.bind(1, id);
    REQUIRE(st.executeStep());
    return st.getColumn(0).getString();
}

struct store_fixture {
    temp_dir tmp{"clauster-instance-test"};
    fake_clock clock;
    database db = open_db(tmp.path());
    sqlite_instance_store store{db, clock};
};

}  // namespace

//------------------------------------------------------------------------------
// Round trips

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store round-trips every durable field", "[store]") {
    instance want;
    SECTION("everything set, ticks at the top of SQLite's integer range") { want = full(id_of(1)); }
    SECTION("defaults, no identities") { want = minimal(id_of(1)); }
    SECTION("identities with only a pid") {
        want = full(id_of(1));
        want.bridge = pid_only(7);
        want.keeper = pid_only(8);
    }
    SECTION("bridge without keeper, ticks 0, boot id absent") {
        want = full(id_of(1));
        want.bridge = process_identity{1, 0, std::nullopt, 0.0};
        want.keeper.reset();
        want.worktree_name.reset();
        want.started_at.reset();
        want.log_stem.reset();
        want.bridge_debug_log_path.reset();
        want.bridge_raw_log_path.reset();
    }
    SECTION("a path with non-ASCII and quotes") {
        want = full(id_of(1));
        want.bridge_debug_log_path = fs::path("/tmp/l'og \"dir\"/caf\xc3\xa9 \xe2\x9c\x93.log");
        want.label = "it's \"quoted\"; DROP TABLE instances; --";
    }

    REQUIRE(store.upsert(want).has_value());

    auto found = store.find(want.instance_id);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    check_durable_equal(**found, want);
    check_runtime_empty(**found);

    const auto all = store.list().value();
    REQUIRE(all.size() == 1);
    check_durable_equal(all.front(), want);
    check_runtime_empty(all.front());
}

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store stores enums as their wire strings", "[store]") {
    int n = 0;
    auto round_trip = [&](instance inst) {
        inst.instance_id = id_of(++n);
        REQUIRE(store.upsert(inst).has_value());
        const auto got = store.find(inst.instance_id).value();
        REQUIRE(got.has_value());
        check_durable_equal(*got, inst);
    };
    for (auto m : {spawn_mode::same_dir, spawn_mode::worktree, spawn_mode::session}) {
        instance inst = minimal("");
        inst.spawn_mode = m;
        round_trip(inst);
    }
    for (auto m : {permission_mode::default_mode, permission_mode::plan, permission_mode::accept_edits,
                   permission_mode::auto_mode, permission_mode::dont_ask, permission_mode::bypass_permissions,
                   permission_mode::inherit}) {
        instance inst = minimal("");
        inst.permission_mode = m;
        round_trip(inst);
    }
    for (auto m : {launch_mode::standard, launch_mode::pty}) {
        instance inst = minimal("");
        inst.resume_mode = m;
        round_trip(inst);
    }
    for (auto c : {instance_channel::remote_control, instance_channel::hosted}) {
        instance inst = minimal("");
        inst.channel = c;
        round_trip(inst);
    }
    for (const char* s : {"default", "on", "off"}) {
        instance inst = minimal("");
        inst.sandbox_mode = s;
        round_trip(inst);
    }

    // The text in the table is the wire name the HTTP API and the reference use.
    instance inst = full(id_of(100));
    REQUIRE(store.upsert(inst).has_value());
    CHECK(stored_text(db, "spawn_mode", inst.instance_id) == "worktree");
    CHECK(stored_text(db, "permission_mode", inst.instance_id) == "bypassPermissions");
    CHECK(stored_text(db, "resume_mode", inst.instance_id) == "pty");
    CHECK(stored_text(db, "channel", inst.instance_id) == "hosted");
    CHECK(stored_text(db, "intentional_stop", inst.instance_id) == "1");
    CHECK(stored_text(db, "created_at", inst.instance_id) == clauster::core::format_iso_micros(t0));
}

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store refuses start ticks beyond SQLite's integer", "[store]") {
    instance inst = full(id_of(1));
    SECTION("bridge") { inst.bridge->start_ticks = k_max_ticks + 1; }
    SECTION("keeper") { inst.keeper->start_ticks = std::numeric_limits<std::uint64_t>::max(); }
    auto r = store.upsert(inst);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == make_error_code(errc::invalid_argument));
    CHECK(store.list().value().empty());
}

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store lets schema violations throw", "[store]") {
    CHECK_THROWS_AS(store.upsert(minimal("short-id")), SQLite::Exception);
    CHECK_THROWS_AS(store.upsert(minimal(id_of(1), "")), SQLite::Exception);
    instance bad_enum = minimal(id_of(2));
    bad_enum.sandbox_mode = "sometimes";
    CHECK_THROWS_AS(store.upsert(bad_enum), SQLite::Exception);
    instance bad_pid = minimal(id_of(3));
    bad_pid.bridge = pid_only(0);
    CHECK_THROWS_AS(store.upsert(bad_pid), SQLite::Exception);
    CHECK(store.list().value().empty());  // each failed upsert rolled back
}

//------------------------------------------------------------------------------
// Upsert, order, remove, intentional_stop

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store upsert updates an existing row in place", "[store]") {
    REQUIRE(store.upsert(minimal(id_of(1), "alpha", t0)).has_value());
    REQUIRE(store.upsert(minimal(id_of(2), "beta", t0 + 1s)).has_value());
    REQUIRE(store.upsert(minimal(id_of(3), "gamma", t0 + 2s)).has_value());

    // The caller re-creates the record (e.g. a resume) with a later created_at:
    // the stored one, and the row's place in the order, stay.
    instance changed = full(id_of(1));
    changed.project = "alpha";
    changed.created_at = t0 + 1h;
    changed.updated_at = t0 + 2h;
    REQUIRE(store.upsert(changed).has_value());

    const auto all = store.list().value();
    CHECK(ids_of(all) == std::vector<std::string>{id_of(1), id_of(2), id_of(3)});
    instance want = changed;
    want.created_at = t0;
    check_durable_equal(all.front(), want);

    SECTION("and clears optional columns it no longer has") {
        instance cleared = minimal(id_of(1), "alpha", t0 + 3h);
        cleared.updated_at = t0 + 3h;
        REQUIRE(store.upsert(cleared).has_value());
        const auto got = store.find(id_of(1)).value();
        REQUIRE(got.has_value());
        instance expect = cleared;
        expect.created_at = t0;
        check_durable_equal(*got, expect);
        CHECK_FALSE(got->bridge.has_value());
        CHECK_FALSE(got->keeper.has_value());
        CHECK(ids_of(store.list().value()) == std::vector<std::string>{id_of(1), id_of(2), id_of(3)});
    }
}

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store lists in registration order", "[store]") {
    SECTION("equal created_at: insertion order, not id order") {
        for (int n : {5, 1, 9, 3}) REQUIRE(store.upsert(minimal(id_of(n), "p", t0)).has_value());
        CHECK(ids_of(store.list().value()) == std::vector<std::string>{id_of(5), id_of(1), id_of(9), id_of(3)});

        SECTION("re-upserting keeps each row's place") {
            for (int n : {3, 5}) REQUIRE(store.upsert(minimal(id_of(n), "p", t0)).has_value());
            CHECK(ids_of(store.list().value()) == std::vector<std::string>{id_of(5), id_of(1), id_of(9), id_of(3)});
        }
        SECTION("a row registered after a removal goes last") {
            REQUIRE(store.remove(id_of(3)).has_value());
            REQUIRE(store.upsert(minimal(id_of(7), "p", t0)).has_value());
            REQUIRE(store.upsert(minimal(id_of(3), "p", t0)).has_value());
            CHECK(ids_of(store.list().value()) ==
                  std::vector<std::string>{id_of(5), id_of(1), id_of(9), id_of(7), id_of(3)});
        }
    }
    SECTION("created_at first") {
        REQUIRE(store.upsert(minimal(id_of(1), "p", t0 + 2us)).has_value());
        REQUIRE(store.upsert(minimal(id_of(2), "p", t0)).has_value());
        REQUIRE(store.upsert(minimal(id_of(3), "p", t0 + 1us)).has_value());
        CHECK(ids_of(store.list().value()) == std::vector<std::string>{id_of(2), id_of(3), id_of(1)});
    }
}

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store keeps several instances per project", "[store]") {
    for (int n = 1; n <= 3; ++n) REQUIRE(store.upsert(minimal(id_of(n), "same")).has_value());
    CHECK(store.list().value().size() == 3);
}

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store remove and find of unknown ids", "[store]") {
    REQUIRE(store.upsert(minimal(id_of(1))).has_value());
    REQUIRE(store.upsert(minimal(id_of(2))).has_value());

    CHECK_FALSE(store.find(id_of(3)).value().has_value());
    CHECK_FALSE(store.find("").value().has_value());

    REQUIRE(store.remove(id_of(1)).has_value());
    CHECK_FALSE(store.find(id_of(1)).value().has_value());
    CHECK(ids_of(store.list().value()) == std::vector<std::string>{id_of(2)});

    auto again = store.remove(id_of(1));
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error() == make_error_code(errc::not_found));
    CHECK(store.remove(id_of(9)).error() == make_error_code(errc::not_found));
}

TEST_CASE_METHOD(store_fixture, "sqlite_instance_store set_intentional_stop touches only its columns", "[store]") {
    const instance inst = full(id_of(1));
    REQUIRE(store.upsert(inst).has_value());
    REQUIRE(store.upsert(minimal(id_of(2))).has_value());

    clock.current = t0 + 1h;
    REQUIRE(store.set_intentional_stop(id_of(1), false).has_value());
    auto got = store.find(id_of(1)).value();
    REQUIRE(got.has_value());
    instance want = inst;
    want.intentional_stop = false;
    want.updated_at = t0 + 1h;
    check_durable_equal(*got, want);

    clock.current = t0 + 2h;
    REQUIRE(store.set_intentional_stop(id_of(1), true).has_value());
    got = store.find(id_of(1)).value();
    REQUIRE(got.has_value());
    want.intentional_stop = true;
    want.updated_at = t0 + 2h;
    check_durable_equal(*got, want);

    // The other row is untouched.
    const auto other = store.find(id_of(2)).value();
    REQUIRE(other.has_value());
    check_durable_equal(*other, minimal(id_of(2)));

    auto missing = store.set_intentional_stop(id_of(3), true);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error() == make_error_code(errc::not_found));
}

TEST_CASE("sqlite_instance_store defaults to the system clock", "[store]") {
    temp_dir tmp{"clauster-instance-test"};
    database db = open_db(tmp.path());
    sqlite_instance_store store(db);
    REQUIRE(store.upsert(minimal(id_of(1))).has_value());
    const auto before = std::chrono::system_clock::now();
    REQUIRE(store.set_intentional_stop(id_of(1), true).has_value());
    const auto got = store.find(id_of(1)).value();
    REQUIRE(got.has_value());
    CHECK(got->intentional_stop);
    // Stored to the microsecond: compare at that precision.
    CHECK(got->updated_at >= std::chrono::floor<std::chrono::microseconds>(before));
}

//------------------------------------------------------------------------------
// Several connections (server + CLI on one state dir)

TEST_CASE("sqlite_instance_store connections on one state dir see and merge each other's rows", "[store]") {
    temp_dir tmp{"clauster-instance-test"};
    fake_clock clock;
    database server_db = open_db(tmp.path());
    database cli_db = open_db(tmp.path());
    sqlite_instance_store server(server_db, clock);
    sqlite_instance_store cli(cli_db, clock);

    REQUIRE(server.upsert(minimal(id_of(1), "alpha", t0)).has_value());
    // Prime the CLI's cached statements, so a stale read snapshot would show.
    REQUIRE(cli.list().value().size() == 1);

    SECTION("a row written by one is listed by the other at once") {
        REQUIRE(cli.upsert(full(id_of(2))).has_value());
        const auto seen = server.list().value();
        REQUIRE(seen.size() == 2);
        check_durable_equal(seen.back(), full(id_of(2)));
        REQUIRE(server.find(id_of(2)).value().has_value());

        REQUIRE(server.remove(id_of(2)).has_value());
        CHECK(ids_of(cli.list().value()) == std::vector<std::string>{id_of(1)});
        CHECK_FALSE(cli.find(id_of(2)).value().has_value());
    }
    SECTION("interleaved upserts of different rows both survive") {
        // Each side holds only the row it manages and rewrites it: single-row
        // upserts merge, where a rewrite of the whole table would drop the
        // other side's row.
        instance a = minimal(id_of(10), "alpha", t0 + 1s);
        instance b = minimal(id_of(20), "beta", t0 + 1s);
        REQUIRE(server.upsert(a).has_value());
        REQUIRE(cli.upsert(b).has_value());
        a.label = "server's";
        b.label = "cli's";
        REQUIRE(server.upsert(a).has_value());
        REQUIRE(cli.upsert(b).has_value());
        REQUIRE(cli.set_intentional_stop(id_of(10), true).has_value());

        for (auto* view : {&server, &cli}) {
            const auto all = view->list().value();
            REQUIRE(ids_of(all) == std::vector<std::string>{id_of(1), id_of(10), id_of(20)});
            CHECK(all[1].label == "server's");
            CHECK(all[1].intentional_stop);
            CHECK(all[2].label == "cli's");
            CHECK_FALSE(all[2].intentional_stop);
        }
    }
}

TEST_CASE("sqlite_instance_store reports a write lock held elsewhere as unavailable", "[store]") {
    temp_dir tmp{"clauster-instance-test"};
    database holder = open_db(tmp.path());
    database waiter_db = open_db(tmp.path(), 0);  // no busy wait: fail at once, no sleeping test
    sqlite_instance_store holder_store(holder);
    sqlite_instance_store waiter(waiter_db);
    REQUIRE(holder_store.upsert(minimal(id_of(1))).has_value());

    {
        SQLite::Transaction lock(holder.get_impl().db, SQLite::TransactionBehavior::IMMEDIATE);
        CHECK(waiter.upsert(minimal(id_of(2))).error() == make_error_code(errc::unavailable));
        CHECK(waiter.set_intentional_stop(id_of(1), true).error() == make_error_code(errc::unavailable));
        CHECK(waiter.remove(id_of(1)).error() == make_error_code(errc::unavailable));
        // WAL: readers are never blocked by the writer.
        CHECK(waiter.list().value().size() == 1);
    }

    CHECK(waiter.upsert(minimal(id_of(2))).has_value());
    CHECK(holder_store.list().value().size() == 2);
}

//------------------------------------------------------------------------------
// Migration and foreign rows

TEST_CASE("sqlite_instance_store: migrating a version-1 database keeps its tokens", "[store]") {
    temp_dir tmp{"clauster-instance-test"};
    const auto shipped = clauster::store::detail::migrations();
    REQUIRE(shipped.size() >= 2);
    {
        auto v1 = clauster::store::detail::open_with_migrations(tmp.path(), {}, shipped.first(1));
        REQUIRE(v1.has_value());
        REQUIRE(v1->schema_version() == 1);
        CHECK_FALSE(v1->get_impl().db.tableExists("instances"));
        clauster::store::sqlite_token_store tokens(*v1);
        REQUIRE(tokens.insert("ci", std::string(64, 'a'), t0).has_value());
        REQUIRE(tokens.insert("laptop", std::string(64, 'b'), t0 + 1s).has_value());
    }

    database db = open_db(tmp.path());
    CHECK(db.schema_version() == database::head_version());
    REQUIRE(db.backup_taken().has_value());
    CHECK(db.backup_taken()->filename().string().starts_with("pre-1-" + std::to_string(database::head_version()) + "-"));

    clauster::store::sqlite_token_store tokens(db);
    const auto kept = tokens.list().value();
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].label == "ci");
    CHECK(kept[1].label == "laptop");
    CHECK(tokens.find_by_hash(std::string(64, 'b')).value().has_value());

    sqlite_instance_store store(db);
    CHECK(store.list().value().empty());
    REQUIRE(store.upsert(full(id_of(1))).has_value());
    CHECK(store.list().value().size() == 1);

    // The snapshot is the version-1 file, tokens included.
    SQLite::Database snap(*db.backup_taken(), SQLite::OPEN_READONLY);
    CHECK(snap.execAndGet("PRAGMA user_version").getInt() == 1);
    CHECK(snap.execAndGet("SELECT count(*) FROM api_tokens").getInt() == 2);
    CHECK_FALSE(snap.tableExists("instances"));
}

TEST_CASE("sqlite_instance_store reads rows it would not have written", "[store]") {
    temp_dir tmp{"clauster-instance-test"};
    database db = open_db(tmp.path());
    sqlite_instance_store store(db);
    REQUIRE(store.upsert(minimal(id_of(1), "first", t0)).has_value());

    {
        // A hand edit, or a newer build that rebuilt the table without our
        // CHECKs and NOT NULLs (the reference leaves every non-key column
        // nullable): the same columns, no constraints.
        SQLite::Database raw(tmp.path() / "clauster.db", SQLite::OPEN_READWRITE);
        raw.exec(R"sql(
ALTER TABLE instances RENAME TO instances_old;
CREATE TABLE instances (
    instance_id TEXT PRIMARY KEY NOT NULL, seq INTEGER UNIQUE, project_name TEXT, label TEXT, channel TEXT,
    spawn_mode TEXT, permission_mode TEXT, resume_mode TEXT, sandbox_mode TEXT, worktree_name TEXT,
    intentional_stop INTEGER, bridge_pid INTEGER, bridge_start_ticks INTEGER, bridge_boot_id TEXT,
    bridge_proc_start REAL, keeper_pid INTEGER, keeper_start_ticks INTEGER, keeper_boot_id TEXT,
    keeper_proc_start REAL, started_at TEXT, log_stem TEXT, bridge_debug_log_path TEXT,
    bridge_raw_log_path TEXT, created_at TEXT, updated_at TEXT);
INSERT INTO instances (instance_id, seq, project_name, label, channel, spawn_mode, permission_mode, resume_mode,
                       sandbox_mode, intentional_stop, created_at, updated_at)
    SELECT instance_id, seq, project_name, label, channel, spawn_mode, permission_mode, resume_mode,
           sandbox_mode, intentional_stop, created_at, updated_at FROM instances_old;
DROP TABLE instances_old;
)sql");
        SQLite::Statement odd(
            raw,
            "INSERT INTO instances (instance_id, seq, project_name, label, channel, spawn_mode, permission_mode, "
            "resume_mode, sandbox_mode, intentional_stop, bridge_pid, bridge_start_ticks, bridge_boot_id, "
            "bridge_proc_start, keeper_pid, keeper_start_ticks, started_at, log_stem, created_at, updated_at) "
            "VALUES (?1, 2, 'beta', 'odd', 'pigeon', 'teleport', 'yolo', 'quantum', 'strict', 7, "
            "'not a pid', 'soon', 'boot', 'early', 0, -5, 'yesterday', 'stem', 'long ago', 'whenever')");
        odd.bind(1, id_of(2));
        odd.exec();
        SQLite::Statement nulls(raw,
                                "INSERT INTO instances (instance_id, seq, project_name, label, channel, spawn_mode, "
                                "permission_mode, resume_mode, sandbox_mode, created_at, updated_at, "
                                "bridge_pid, bridge_start_ticks, keeper_pid) "
                                "VALUES (?1, 3, 'gamma', NULL, NULL, NULL, NULL, NULL, NULL, ?2, ?3, 123, -1, -3)");
        nulls.bind(1, id_of(3));
        nulls.bind(2, clauster::core::format_iso_micros(t0 + 1s));
        nulls.bind(3, clauster::core::format_iso_micros(t0 + 2s));
        nulls.exec();
    }

    std::vector<instance> all;
    REQUIRE_NOTHROW(all = store.list().value());
    REQUIRE(all.size() == 3);
    // Malformed created_at reads as the epoch and sorts by its stored text.
    const instance* odd = nullptr;
    const instance* nulls = nullptr;
    for (const auto& inst : all) {
        if (inst.instance_id == id_of(2)) odd = &inst;
        if (inst.instance_id == id_of(3)) nulls = &inst;
    }
    REQUIRE(odd != nullptr);
    REQUIRE(nulls != nullptr);

    CHECK(odd->project == "beta");
    CHECK(odd->label == "odd");
    CHECK(odd->channel == instance_channel::remote_control);
    CHECK(odd->spawn_mode == spawn_mode::same_dir);
    CHECK(odd->permission_mode == permission_mode::default_mode);
    CHECK(odd->resume_mode == launch_mode::standard);
    CHECK(odd->sandbox_mode == "strict");  // a free string in the model, kept as stored
    CHECK(odd->intentional_stop);
    CHECK_FALSE(odd->bridge.has_value());  // a pid that is not an integer
    CHECK_FALSE(odd->keeper.has_value());  // pid 0 must never reach kill(2)
    CHECK_FALSE(odd->started_at.has_value());
    CHECK(odd->log_stem == "stem");
    CHECK(odd->created_at == time_point{});
    CHECK(odd->updated_at == time_point{});
    CHECK(odd->status == instance_status::stopped);

    CHECK(nulls->label.empty());
    CHECK(nulls->channel == instance_channel::remote_control);
    CHECK(nulls->spawn_mode == spawn_mode::same_dir);
    CHECK(nulls->permission_mode == permission_mode::default_mode);
    CHECK(nulls->resume_mode == launch_mode::standard);
    CHECK(nulls->sandbox_mode == "default");
    REQUIRE(nulls->bridge.has_value());
    CHECK(nulls->bridge->pid == 123);
    CHECK_FALSE(nulls->bridge->start_ticks.has_value());  // negative ticks dropped
    CHECK_FALSE(nulls->keeper.has_value());
    CHECK(nulls->created_at == t0 + 1s);
    CHECK(nulls->updated_at == t0 + 2s);

    auto found = store.find(id_of(2));
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());

    // Writing an odd row back normalises it, and passes the CHECKs.
    instance repaired = **found;
    repaired.sandbox_mode = "default";
    repaired.created_at = t0;
    repaired.updated_at = t0;
    REQUIRE(store.upsert(repaired).has_value());
    CHECK(stored_text(db, "spawn_mode", id_of(2)) == "same-dir");
    CHECK(stored_text(db, "channel", id_of(2)) == "remote-control");
    CHECK(stored_text(db, "created_at", id_of(2)) == "long ago");  // created_at is never rewritten
}

TEST_CASE("sqlite_instance_store change_token moves only for another connection's commits", "[store]") {
    temp_dir tmp{"clauster-instance-test"};
    fake_clock clock;
    database server_db = open_db(tmp.path());
    database cli_db = open_db(tmp.path());
    sqlite_instance_store server(server_db, clock);
    sqlite_instance_store cli(cli_db, clock);

    const auto first = server.change_token();
    REQUIRE(first.has_value());
    // Its own writes leave it alone: the writer already knows what it wrote.
    REQUIRE(server.upsert(minimal(id_of(1))).has_value());
    REQUIRE(server.set_intentional_stop(id_of(1), true).has_value());
    CHECK(server.change_token() == first);
    CHECK(server.change_token() == first);  // reading it twice changes nothing

    // Another connection (another process: the CLI) moves it, once per commit.
    REQUIRE(cli.upsert(minimal(id_of(2))).has_value());
    const auto after_upsert = server.change_token();
    CHECK(after_upsert != first);
    CHECK(server.change_token() == after_upsert);
    REQUIRE(cli.remove(id_of(2)).has_value());
    CHECK(server.change_token() != after_upsert);
}
