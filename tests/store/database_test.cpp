#include <clauster/store/database.hpp>

#include "database_impl.hpp"
#include "migrations.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>

namespace fs = std::filesystem;
using clauster::store::database;
using clauster::store::open_options;

namespace {

using clauster::test::temp_dir;


unsigned mode_of(const fs::path& p) {
    struct stat st{};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return static_cast<unsigned>(st.st_mode) & 07777u;
}

int user_version_of(const fs::path& file) {
    SQLite::Database db(file, SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA user_version").getInt();
}

std::vector<fs::path> backups_in(const fs::path& state_dir) {
    std::vector<fs::path> out;
    const fs::path dir = state_dir / "backups";
    if (!fs::exists(dir)) return out;
    for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A small test-only schema history: each step adds one table.
constexpr std::array<std::string_view, 8> k_steps{{
    "CREATE TABLE t1 (x INTEGER NOT NULL);",
    "CREATE TABLE t2 (x INTEGER NOT NULL);",
    "CREATE TABLE t3 (x INTEGER NOT NULL);",
    "CREATE TABLE t4 (x INTEGER NOT NULL);",
    "CREATE TABLE t5 (x INTEGER NOT NULL);",
    "CREATE TABLE t6 (x INTEGER NOT NULL);",
    "CREATE TABLE t7 (x INTEGER NOT NULL);",
    "CREATE TABLE t8 (x INTEGER NOT NULL);",
}};

std::span<const std::string_view> first(std::size_t n) { return std::span<const std::string_view>(k_steps).first(n); }

}  // namespace

TEST_CASE("database migrates an empty state dir to head", "[store]") {
    temp_dir tmp;
    const fs::path state = tmp.path() / "state";

    SECTION("state dir created 0700") {}
    SECTION("a pre-existing 0755 state dir is forced to 0700") {
        fs::create_directory(state);
        fs::permissions(state, fs::perms(0755));
        REQUIRE(mode_of(state) == 0755);
    }

    auto db = database::open(state);
    REQUIRE(db.has_value());
    CHECK(db->schema_version() == database::head_version());
    CHECK(database::head_version() == static_cast<int>(clauster::store::detail::migrations().size()));
    CHECK(db->path() == state / "clauster.db");
    CHECK_FALSE(db->backup_taken().has_value());  // a new, empty file needs no snapshot
    CHECK(backups_in(state).empty());

    CHECK(mode_of(state) == 0700);
    CHECK(mode_of(state / "clauster.db") == 0600);
    for (const char* companion : {"clauster.db-wal", "clauster.db-shm"})
        if (fs::exists(state / companion)) CHECK(mode_of(state / companion) == 0600);

    auto& conn = db->get_impl().db;
    CHECK(conn.execAndGet("PRAGMA user_version").getInt() == database::head_version());
    CHECK(conn.execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(conn.execAndGet("PRAGMA foreign_keys").getInt() == 1);
    CHECK(conn.execAndGet("PRAGMA synchronous").getInt() == 1);  // NORMAL
    CHECK(conn.tableExists("api_tokens"));
}

TEST_CASE("database reopen at head is a no-op", "[store]") {
    temp_dir tmp;
    REQUIRE(database::open(tmp.path()).has_value());
    auto again = database::open(tmp.path());
    REQUIRE(again.has_value());
    CHECK(again->schema_version() == database::head_version());
    CHECK_FALSE(again->backup_taken().has_value());
    CHECK(backups_in(tmp.path()).empty());
}

TEST_CASE("database snapshots a database with data before migrating it", "[store]") {
    temp_dir tmp;
    {
        auto v1 = clauster::store::detail::open_with_migrations(tmp.path(), {}, first(1));
        REQUIRE(v1.has_value());
        CHECK(v1->schema_version() == 1);
        CHECK_FALSE(v1->backup_taken().has_value());
        v1->get_impl().db.exec("INSERT INTO t1 (x) VALUES (42)");
    }

    auto v2 = clauster::store::detail::open_with_migrations(tmp.path(), {}, first(2));
    REQUIRE(v2.has_value());
    CHECK(v2->schema_version() == 2);
    CHECK(v2->get_impl().db.execAndGet("SELECT x FROM t1").getInt() == 42);
    CHECK(v2->get_impl().db.tableExists("t2"));

    const auto backups = backups_in(tmp.path());
    REQUIRE(backups.size() == 1);
    REQUIRE(v2->backup_taken().has_value());
    CHECK(*v2->backup_taken() == backups.front());
    CHECK(mode_of(tmp.path() / "backups") == 0700);
    CHECK(mode_of(backups.front()) == 0600);

    // pre-<cur>-<head>-YYYYmmddTHHMMSSZ.db
    const std::string name = backups.front().filename().string();
    CHECK(name.starts_with("pre-1-2-"));
    CHECK(name.ends_with("Z.db"));
    CHECK(name.size() == std::string("pre-1-2-20260101T000000Z.db").size());
    CHECK(name[16] == 'T');

    // The snapshot is the database as it was before the migration.
    SQLite::Database snap(backups.front(), SQLite::OPEN_READONLY);
    CHECK(snap.execAndGet("PRAGMA user_version").getInt() == 1);
    CHECK(snap.execAndGet("SELECT x FROM t1").getInt() == 42);
    CHECK_FALSE(snap.tableExists("t2"));

    SECTION("reopening at head takes no further snapshot") {
        auto again = clauster::store::detail::open_with_migrations(tmp.path(), {}, first(2));
        REQUIRE(again.has_value());
        CHECK_FALSE(again->backup_taken().has_value());
        CHECK(backups_in(tmp.path()).size() == 1);
    }
}

TEST_CASE("database snapshots a version-0 file that already holds tables", "[store]") {
    temp_dir tmp;
    {
        SQLite::Database foreign(tmp.path() / "clauster.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        foreign.exec("CREATE TABLE dummy (v TEXT); INSERT INTO dummy (v) VALUES ('kept');");
    }
    auto db = database::open(tmp.path());
    REQUIRE(db.has_value());
    CHECK(db->schema_version() == database::head_version());
    REQUIRE(db->backup_taken().has_value());
    CHECK(db->backup_taken()->filename().string().starts_with("pre-0-" + std::to_string(database::head_version())));
    CHECK(db->get_impl().db.execAndGet("SELECT v FROM dummy").getString() == "kept");
    CHECK(backups_in(tmp.path()).size() == 1);
}

TEST_CASE("database skips the snapshot when backup_before_migrate is off", "[store]") {
    temp_dir tmp;
    REQUIRE(clauster::store::detail::open_with_migrations(tmp.path(), {}, first(1)).has_value());
    open_options opts;
    opts.backup_before_migrate = false;
    auto db = clauster::store::detail::open_with_migrations(tmp.path(), opts, first(2));
    REQUIRE(db.has_value());
    CHECK(db->schema_version() == 2);
    CHECK_FALSE(db->backup_taken().has_value());
    CHECK(backups_in(tmp.path()).empty());
}

TEST_CASE("database keeps only the newest keep_backups snapshots, by mtime", "[store]") {
    temp_dir tmp;
    REQUIRE(clauster::store::detail::open_with_migrations(tmp.path(), {}, first(1)).has_value());

    // Seven older snapshots with explicit mtimes (no sleeps): their names sort in
    // the opposite order from their age, so pruning by name would pick wrongly.
    const fs::path dir = tmp.path() / "backups";
    fs::create_directory(dir);
    const auto now = fs::file_time_type::clock::now();
    std::vector<fs::path> fakes;
    for (int i = 0; i < 7; ++i) {
        const fs::path p = dir / ("pre-0-1-2000010" + std::to_string(7 - i) + "T000000Z.db");
        std::ofstream(p) << "old";
        fs::last_write_time(p, now - std::chrono::hours(1 + i));  // fakes[0] is the newest
        fakes.push_back(p);
    }
    const fs::path unrelated = dir / "notes.txt";
    std::ofstream(unrelated) << "not a snapshot";
    fs::last_write_time(unrelated, now - std::chrono::hours(100));

    auto db = clauster::store::detail::open_with_migrations(tmp.path(), {}, first(2));
    REQUIRE(db.has_value());
    REQUIRE(db->backup_taken().has_value());

    CHECK(fs::exists(*db->backup_taken()));
    for (std::size_t i = 0; i < fakes.size(); ++i) {
        INFO("fake snapshot " << i);
        CHECK(fs::exists(fakes[i]) == (i < 4));  // 4 newest fakes + the new one = 5
    }
    CHECK(fs::exists(unrelated));
    CHECK(backups_in(tmp.path()).size() == 6);  // 5 snapshots + notes.txt

    SECTION("successive migrations keep rotating") {
        for (std::size_t n = 3; n <= k_steps.size(); ++n) {
            auto step = clauster::store::detail::open_with_migrations(tmp.path(), {}, first(n));
            REQUIRE(step.has_value());
            REQUIRE(step->backup_taken().has_value());
            CHECK(fs::exists(*step->backup_taken()));
        }
        CHECK(backups_in(tmp.path()).size() == 6);
        for (const auto& fake : fakes) CHECK_FALSE(fs::exists(fake));
    }
}

TEST_CASE("database refuses a broken migration and stays at the previous version", "[store]") {
    temp_dir tmp;
    REQUIRE(clauster::store::detail::open_with_migrations(tmp.path(), {}, first(1)).has_value());

    const std::array<std::string_view, 3> broken{{
        k_steps[0],
        "CREATE TABLE good (x INTEGER); CREAT TABLE oops (x INTEGER);",
        k_steps[2],
    }};
    auto db = clauster::store::detail::open_with_migrations(tmp.path(), {}, broken);
    REQUIRE_FALSE(db.has_value());
    CHECK(db.error().code == clauster::core::make_error_code(clauster::core::errc::invalid_state));
    CHECK_THAT(db.error().message, Catch::StartsWith("migration 2 failed: ") && Catch::Contains("syntax error"));

    CHECK(user_version_of(tmp.path() / "clauster.db") == 1);
    SQLite::Database check(tmp.path() / "clauster.db", SQLite::OPEN_READONLY);
    CHECK_FALSE(check.tableExists("good"));  // the half-applied migration rolled back
    CHECK(backups_in(tmp.path()).size() == 1);  // the snapshot was taken before trying
}

TEST_CASE("database refuses to migrate when the snapshot cannot be taken", "[store]") {
    temp_dir tmp;
    REQUIRE(clauster::store::detail::open_with_migrations(tmp.path(), {}, first(1)).has_value());
    std::ofstream(tmp.path() / "backups") << "a file where the backups dir should be";

    auto db = clauster::store::detail::open_with_migrations(tmp.path(), {}, first(2));
    REQUIRE_FALSE(db.has_value());
    CHECK(db.error().code == clauster::core::make_error_code(clauster::core::errc::invalid_state));
    CHECK_THAT(db.error().message, Catch::Contains("backup"));
    CHECK(user_version_of(tmp.path() / "clauster.db") == 1);
}

TEST_CASE("database refuses a file that is not a SQLite database", "[store]") {
    temp_dir tmp;
    const fs::path file = tmp.path() / "clauster.db";
    std::string garbage;
    for (int i = 0; i < 512; ++i) garbage += "this is not a database. ";
    std::ofstream(file, std::ios::binary) << garbage;

    auto db = database::open(tmp.path());
    REQUIRE_FALSE(db.has_value());
    CHECK(db.error().code == clauster::core::make_error_code(clauster::core::errc::invalid_state));
    CHECK_THAT(db.error().message, Catch::Contains("not a SQLite database"));
    CHECK(read_all(file) == garbage);  // left untouched
    CHECK(backups_in(tmp.path()).empty());
}

TEST_CASE("database refuses a schema newer than this build", "[store]") {
    temp_dir tmp;
    REQUIRE(database::open(tmp.path()).has_value());
    const int newer = database::head_version() + 1;
    {
        SQLite::Database raw(tmp.path() / "clauster.db", SQLite::OPEN_READWRITE);
        raw.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    auto db = database::open(tmp.path());
    REQUIRE_FALSE(db.has_value());
    CHECK(db.error().code == clauster::core::make_error_code(clauster::core::errc::invalid_state));
    CHECK(db.error().message == "database schema version " + std::to_string(newer) +
                                    " is newer than this build (head " + std::to_string(database::head_version()) +
                                    ")");
    CHECK(user_version_of(tmp.path() / "clauster.db") == newer);
    CHECK(backups_in(tmp.path()).empty());
}

TEST_CASE("database refuses a state dir that is not a directory", "[store]") {
    temp_dir tmp;
    const fs::path not_dir = tmp.path() / "state";
    std::ofstream(not_dir) << "file";
    auto db = database::open(not_dir);
    REQUIRE_FALSE(db.has_value());
    CHECK(db.error().code == clauster::core::make_error_code(clauster::core::errc::invalid_state));
}

TEST_CASE("database objects move without invalidating the connection", "[store]") {
    temp_dir tmp;
    auto opened = database::open(tmp.path());
    REQUIRE(opened.has_value());
    SQLite::Database* conn = &opened->get_impl().db;
    database moved = std::move(*opened);
    CHECK(&moved.get_impl().db == conn);
    CHECK(moved.schema_version() == database::head_version());
}
