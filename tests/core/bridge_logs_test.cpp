#include <clauster/core/bridge_logs.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

using namespace clauster::core;
namespace fs = std::filesystem;
using clauster::test::mode_of;
using clauster::test::read_file;
using clauster::test::temp_dir;
using clauster::test::write_file;
using std::chrono::milliseconds;
using sys_time = std::chrono::system_clock::time_point;

namespace {

constexpr std::int64_t day_ms = 24LL * 60 * 60 * 1000;
const sys_time now{milliseconds(1'800'000'000'000)};

sys_time days_ago(int days) { return now - milliseconds(days * day_ms); }

fs::file_time_type file_time(sys_time t) { return fs::file_time_type::clock::from_sys(t); }

/// Creates the files of one set with a given content size and mtime.
std::string make_set(const fs::path& dir, std::string_view label, sys_time started, std::uint64_t seq,
                     std::size_t bytes = 10, std::vector<std::string> suffixes = {".log", ".stderr.log"}) {
    const std::string stem = make_log_stem(label, started, seq);
    const auto mtime = file_time(started);
    for (const auto& suffix : suffixes) {
        const auto path = dir / (stem + suffix);
        write_file(path, std::string(bytes, 'x'));
        fs::last_write_time(path, mtime);
    }
    return stem;
}

bool set_exists(const fs::path& dir, const std::string& stem) {
    return std::any_of(fs::directory_iterator(dir), fs::directory_iterator(), [&](const fs::directory_entry& e) {
        return log_stem_of(e.path().filename().string()) == stem;
    });
}

}  // namespace

TEST_CASE("log stems and sibling names", "[core]") {
    log_sequence seq;
    const auto a = seq.next();
    const auto b = seq.next();
    CHECK(a == 1);
    CHECK(b == 2);
    CHECK(make_log_stem("app", sys_time{milliseconds(1700000000123)}, 7) == "app-1700000000123-7");
    CHECK(make_log_stem("my bridge/../x", sys_time{milliseconds(5)}, 1) == "my_bridge_.._x-5-1");
    CHECK(log_label("..") == "_");
    CHECK(log_label("") == "_");
    CHECK(log_label(std::string(100, 'a')).size() == 64);

    const auto set = log_set_for("/s/logs", "app-1-2");
    CHECK(set.debug_log == "/s/logs/app-1-2.log");
    CHECK(set.raw_log == "/s/logs/app-1-2.raw.log");
    CHECK(set.stderr_log == "/s/logs/app-1-2.stderr.log");
    CHECK(set.keeper_json == "/s/logs/app-1-2.keeper.json");
    CHECK(set.keeper_log == "/s/logs/app-1-2.keeper.log");
    CHECK(logs_dir("/s") == "/s/logs");

    CHECK(log_stem_of("app-1-2.log") == "app-1-2");
    CHECK(log_stem_of("app-staging-1-2.raw.log") == "app-staging-1-2");
    CHECK(log_stem_of("a-b-1-2.stderr.log") == "a-b-1-2");
    CHECK(log_stem_of("a-1-2.keeper.json") == "a-1-2");
    CHECK(log_stem_of("a-1-2.keeper.log") == "a-1-2");
    CHECK(log_stem_of("a-1-2.screen.json") == "a-1-2");
    CHECK(log_stem_of("a-1-2.log.3") == "a-1-2");
    CHECK_FALSE(log_stem_of("a-1-2.txt"));
    CHECK_FALSE(log_stem_of("a-1.log"));
    CHECK_FALSE(log_stem_of("-1-2.log"));
    CHECK_FALSE(log_stem_of("a-x-2.log"));
    CHECK_FALSE(log_stem_of("clausterd.log"));
    CHECK_FALSE(log_stem_of("a-1-2.json"));
}

TEST_CASE("ensure_logs_dir makes state_dir/logs private", "[core]") {
    temp_dir dir;
    fs::create_directories(dir / "logs");
    fs::permissions(dir / "logs", fs::perms(0755));
    auto logs = ensure_logs_dir(dir.path());
    REQUIRE(logs);
    CHECK(*logs == dir / "logs");
    CHECK(mode_of(*logs) == 0700);
}

TEST_CASE("precreate_log creates 0600 exclusively", "[core]") {
    temp_dir dir;
    const auto path = dir / "a-1-1.log";
    REQUIRE(precreate_log(path));
    CHECK(mode_of(path) == 0600);
    CHECK(fs::file_size(path) == 0);

    SECTION("an existing file is refused") {
        write_file(path, "planted");
        auto r = precreate_log(path);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::already_exists);
        CHECK(read_file(path) == "planted");
    }
    SECTION("a symlink is refused and its target untouched") {
        write_file(dir / "victim", "secret");
        fs::create_symlink(dir / "victim", dir / "b-1-1.log");
        CHECK_FALSE(precreate_log(dir / "b-1-1.log"));
        fs::create_symlink(dir / "missing", dir / "c-1-1.log");
        CHECK_FALSE(precreate_log(dir / "c-1-1.log"));
        CHECK_FALSE(fs::exists(dir / "missing"));
        CHECK(read_file(dir / "victim") == "secret");
    }
    SECTION("a missing directory is an error") {
        auto r = precreate_log(dir / "nope" / "x.log");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::invalid_state);
    }
}

TEST_CASE("read_tail returns the end of a file", "[core]") {
    temp_dir dir;
    write_file(dir / "f", "0123456789");
    CHECK(read_tail(dir / "f", 4) == "6789");
    CHECK(read_tail(dir / "f", 100) == "0123456789");
    CHECK(read_tail(dir / "f", 0).empty());
    CHECK(read_tail(dir / "missing", 4).empty());
    CHECK(read_tail(dir.path(), 4).empty());
    // Not in the middle of a UTF-8 sequence: "é" is 2 bytes.
    write_file(dir / "u", "ab\xc3\xa9z");
    CHECK(read_tail(dir / "u", 2) == "z");
    CHECK(read_tail(dir / "u", 3) == "\xc3\xa9z");
    fs::create_symlink(dir / "f", dir / "link");
    CHECK(read_tail(dir / "link", 4).empty());
}

TEST_CASE("prune_log_sets deletes whole sets oldest first and never protected ones", "[core]") {
    temp_dir dir;
    const fs::path logs = dir.path();
    write_file(logs / "unrelated.txt", "keep");
    write_file(logs / "clausterd.log", "keep");
    fs::create_directory(logs / "sub-1-1.log");

    SECTION("by age (0 = forever)") {
        const auto old1 = make_set(logs, "app", days_ago(40), 1);
        const auto old_live = make_set(logs, "app", days_ago(50), 2);
        const auto fresh = make_set(logs, "app", days_ago(1), 3);

        auto none = prune_log_sets(logs, {0, 0, 0}, {}, now);
        CHECK(none.deleted_stems.empty());

        auto report = prune_log_sets(logs, {30, 0, 0}, {old_live}, now);
        CHECK(report.deleted_stems == std::vector<std::string>{old1});
        CHECK(report.freed_bytes == 20);
        CHECK(report.errors.empty());
        CHECK_FALSE(set_exists(logs, old1));
        CHECK(set_exists(logs, old_live));
        CHECK(set_exists(logs, fresh));
    }
    SECTION("an old set still being written is not old") {
        const auto stem = make_set(logs, "app", days_ago(40), 1);
        fs::last_write_time(logs / (stem + ".log"), file_time(days_ago(1)));
        auto report = prune_log_sets(logs, {30, 0, 0}, {}, now);
        CHECK(report.deleted_stems.empty());
    }
    SECTION("by count") {
        const auto s1 = make_set(logs, "app", days_ago(5), 1);
        const auto s2 = make_set(logs, "web", days_ago(4), 1);
        const auto s3 = make_set(logs, "app", days_ago(3), 2);
        const auto s4 = make_set(logs, "app", days_ago(2), 3);
        auto report = prune_log_sets(logs, {0, 2, 0}, {s1}, now);
        // s1 is live: it still counts, so two unprotected sets go.
        CHECK(report.deleted_stems == std::vector<std::string>{s2, s3});
        CHECK(set_exists(logs, s1));
        CHECK(set_exists(logs, s4));
        CHECK(fs::exists(logs / "unrelated.txt"));
        CHECK(fs::exists(logs / "clausterd.log"));
        CHECK(fs::is_directory(logs / "sub-1-1.log"));
    }
    SECTION("by total size") {
        constexpr std::size_t half_mib = 512 * 1024;
        const auto s1 = make_set(logs, "app", days_ago(5), 1, half_mib, {".log"});
        const auto s2 = make_set(logs, "app", days_ago(4), 2, half_mib, {".log", ".raw.log", ".log.1"});
        const auto s3 = make_set(logs, "app", days_ago(3), 3, half_mib, {".log"});
        auto report = prune_log_sets(logs, {0, 0, 1}, {}, now);
        CHECK(report.deleted_stems == std::vector<std::string>{s1, s2});
        CHECK(report.freed_bytes == 4 * half_mib);
        CHECK(set_exists(logs, s3));
        CHECK_FALSE(fs::exists(logs / (s2 + ".log.1")));
    }
    SECTION("ties in stem time fall back to mtime") {
        const auto a = make_set(logs, "b", days_ago(3), 9);
        const auto b = make_set(logs, "a", days_ago(3), 9);
        fs::last_write_time(logs / (a + ".log"), file_time(days_ago(40)));
        fs::last_write_time(logs / (a + ".stderr.log"), file_time(days_ago(40)));
        auto report = prune_log_sets(logs, {0, 1, 0}, {}, now);
        CHECK(report.deleted_stems == std::vector<std::string>{a});
        CHECK(set_exists(logs, b));
    }
    SECTION("a symlink in a set is removed, its target kept") {
        temp_dir elsewhere;
        const auto target = elsewhere / "target";
        write_file(target, "t");
        const auto stem = make_set(logs, "app", days_ago(40), 1, 10, {".log"});
        fs::create_symlink(target, logs / (stem + ".stderr.log"));
        auto report = prune_log_sets(logs, {30, 0, 0}, {}, now);
        CHECK(report.deleted_stems == std::vector<std::string>{stem});
        CHECK(report.freed_bytes == 10);
        CHECK_FALSE(fs::is_symlink(logs / (stem + ".stderr.log")));
        CHECK(read_file(target) == "t");
    }
    SECTION("a missing logs dir is not an error") {
        auto report = prune_log_sets(logs / "missing", {1, 1, 1}, {}, now);
        CHECK(report.deleted_stems.empty());
        CHECK(report.errors.empty());
    }
}

TEST_CASE("find_latest_log_set matches the label exactly", "[core]") {
    temp_dir dir;
    const fs::path logs = dir.path();
    CHECK_FALSE(find_latest_log_set(logs, "app"));
    make_set(logs, "app", days_ago(3), 1);
    const auto newest_app = make_set(logs, "app", days_ago(2), 1);
    make_set(logs, "app", days_ago(2) - milliseconds(1), 9);
    make_set(logs, "app-staging", days_ago(1), 1);
    make_set(logs, "app-1", days_ago(0), 1);
    make_set(logs, "xapp", days_ago(0), 2);
    const auto same_ms = make_set(logs, "web", days_ago(2), 3);
    make_set(logs, "web", days_ago(2), 2);

    CHECK(find_latest_log_set(logs, "app") == newest_app);
    CHECK(find_latest_log_set(logs, "app-staging") == make_log_stem("app-staging", days_ago(1), 1));
    CHECK(find_latest_log_set(logs, "web") == same_ms);
    CHECK_FALSE(find_latest_log_set(logs, "ap"));
    CHECK_FALSE(find_latest_log_set(logs, "staging"));
    CHECK_FALSE(find_latest_log_set(logs / "missing", "app"));
}
