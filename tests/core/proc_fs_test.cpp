#include <clauster/core/proc_fs.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace clauster::core;
namespace fs = std::filesystem;

namespace {

/// A directly spawned child (no setsid), SIGKILLed and reaped on destruction.
class spawned {
public:
    explicit spawned(std::vector<std::string> argv) : argv_(std::move(argv)) {
        std::vector<char*> ptrs;
        for (auto& a : argv_) ptrs.push_back(a.data());
        ptrs.push_back(nullptr);
        if (::posix_spawn(&pid_, ptrs[0], nullptr, nullptr, ptrs.data(), environ) != 0)
            throw std::runtime_error("posix_spawn failed: " + argv_[0]);
    }
    ~spawned() {
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    spawned(const spawned&) = delete;
    spawned& operator=(const spawned&) = delete;

    int pid() const { return pid_; }
    void reap() {
        ::waitpid(pid_, nullptr, 0);
        reaped_ = true;
    }

private:
    std::vector<std::string> argv_;
    pid_t pid_ = -1;
    bool reaped_ = false;
};

/// Polls @p cond every 5 ms until it holds or @p limit passes.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

/// A stat line with 52 fields whose comm is @p comm.
std::string stat_line(std::string_view comm, char state, int ppid, int pgrp, int session, std::uint64_t start) {
    std::string s = "4242 (" + std::string(comm) + ") " + state + " " + std::to_string(ppid) + " " + std::to_string(pgrp) +
                    " " + std::to_string(session);
    // fields 7..21
    for (int f = 7; f <= 21; ++f) s += " " + std::to_string(f == 8 ? -1 : f);
    s += " " + std::to_string(start);  // field 22
    for (int f = 23; f <= 52; ++f) s += " 0";
    return s + "\n";
}

process_identity ident(int pid, std::optional<std::uint64_t> ticks, std::optional<std::string> boot,
                       std::optional<double> start) {
    process_identity id;
    id.pid = pid;
    id.start_ticks = ticks;
    id.boot_id = std::move(boot);
    id.proc_start = start;
    return id;
}

}  // namespace

TEST_CASE("parse_proc_stat reads the fields after the last ')'", "[core]") {
    SECTION("plain comm") {
        const auto st = parse_proc_stat(stat_line("sleep", 'S', 1, 4242, 4242, 123456));
        REQUIRE(st);
        CHECK(st->state == 'S');
        CHECK(st->ppid == 1);
        CHECK(st->pgrp == 4242);
        CHECK(st->session == 4242);
        CHECK(st->start_ticks == 123456);
    }
    SECTION("comm with spaces and parentheses") {
        const auto st = parse_proc_stat(stat_line("a) (b) Z 9 9 9", 'R', 77, 78, 79, 987654321012ULL));
        REQUIRE(st);
        CHECK(st->state == 'R');
        CHECK(st->ppid == 77);
        CHECK(st->pgrp == 78);
        CHECK(st->session == 79);
        CHECK(st->start_ticks == 987654321012ULL);
    }
    SECTION("malformed text") {
        CHECK_FALSE(parse_proc_stat(""));
        CHECK_FALSE(parse_proc_stat("4242 (sleep S 1 2 3"));
        CHECK_FALSE(parse_proc_stat("4242 (sleep) S 1 2 3 4"));
        CHECK_FALSE(parse_proc_stat("4242 (sleep)S 1 2 3"));
        auto bad = stat_line("sleep", 'S', 1, 2, 3, 5);
        bad.replace(bad.find(" 1 2 3"), 6, " x 2 3");
        CHECK_FALSE(parse_proc_stat(bad));
    }
}

TEST_CASE("read_proc_stat survives a comm with spaces and ')'", "[core]") {
    clauster::test::temp_dir dir("proc-fs");
    const fs::path binary = dir / "sl) e(e)p x";
    fs::copy_file("/bin/sleep", binary);
    fs::permissions(binary, fs::perms::owner_all);

    spawned child({binary.string(), "30"});
    // Wait until the child has exec'd: its comm is the new file name, and its new
    // argv is published (the kernel sets the comm a moment before the argv).
    REQUIRE(eventually([&] {
        const auto argv = read_cmdline(child.pid());
        return clauster::test::read_file("/proc/" + std::to_string(child.pid()) + "/comm") == "sl) e(e)p x\n" && argv &&
               !argv->empty();
    }));

    const auto st = read_proc_stat(child.pid());
    REQUIRE(st);
    CHECK((st->state == 'S' || st->state == 'R'));
    CHECK(st->ppid == ::getpid());
    CHECK(st->pgrp == ::getpgrp());
    CHECK(st->session == ::getsid(0));
    CHECK(st->start_ticks > 0);

    const auto argv = read_cmdline(child.pid());
    REQUIRE(argv);
    CHECK(*argv == std::vector<std::string>{binary.string(), "30"});

    const auto id = current_identity(child.pid());
    REQUIRE(id);
    CHECK(id->pid == child.pid());
    CHECK(id->start_ticks == st->start_ticks);
}

TEST_CASE("boot id, boot time and clock ticks", "[core]") {
    const auto boot = read_boot_id();
    REQUIRE(boot);
    CHECK(boot->size() == 36);
    CHECK(boot->find('\n') == std::string::npos);

    const auto btime = boot_time_epoch();
    REQUIRE(btime);
    CHECK(*btime > 1'000'000'000);
    CHECK(*btime <= std::time(nullptr));

    CHECK(clock_ticks_per_second() > 0);
}

TEST_CASE("current_identity derives ticks and epoch from one stat read", "[core]") {
    const auto st = read_proc_stat(::getpid());
    REQUIRE(st);
    const auto id = current_identity(::getpid());
    REQUIRE(id);
    CHECK(id->pid == ::getpid());
    CHECK(id->start_ticks == st->start_ticks);
    CHECK(id->boot_id == read_boot_id());
    REQUIRE(id->proc_start);
    const double expected =
        static_cast<double>(*boot_time_epoch()) + static_cast<double>(st->start_ticks) / static_cast<double>(clock_ticks_per_second());
    CHECK(std::abs(*id->proc_start - expected) < 2.0);
    CHECK(*id->proc_start <= static_cast<double>(std::time(nullptr)) + 2.0);

    // identity_from_stat uses exactly the given snapshot.
    auto fake = *st;
    fake.start_ticks += 1000;
    CHECK(identity_from_stat(::getpid(), fake).start_ticks == st->start_ticks + 1000);

    // The identity round trip: what we read now matches itself.
    CHECK(identity_matches(*id, *current_identity(::getpid())));

    CHECK_FALSE(current_identity(0));
    CHECK_FALSE(current_identity(-1));
    CHECK_FALSE(read_proc_stat(0));
}

TEST_CASE("identity_matches follows the liveness rules", "[core]") {
    const std::string boot = "11111111-2222-3333-4444-555555555555";
    const std::string other_boot = "99999999-2222-3333-4444-555555555555";
    const auto now = ident(100, 5000, boot, 1'700'000'000.0);

    SECTION("same pid, ticks and boot id") { CHECK(identity_matches(now, now)); }
    SECTION("a different pid never matches") { CHECK_FALSE(identity_matches(ident(101, 5000, boot, 1'700'000'000.0), now)); }
    SECTION("a recycled pid (other ticks) never matches, whatever the epoch says") {
        CHECK_FALSE(identity_matches(ident(100, 5001, boot, 1'700'000'000.0), now));
        CHECK_FALSE(identity_matches(ident(100, 4999, std::nullopt, std::nullopt), now));
    }
    SECTION("recorded ticks but unreadable current ticks fail closed") {
        CHECK_FALSE(identity_matches(ident(100, 5000, boot, std::nullopt), ident(100, std::nullopt, boot, 1'700'000'000.0)));
    }
    SECTION("a boot id mismatch means dead, even with equal ticks") {
        CHECK_FALSE(identity_matches(ident(100, 5000, other_boot, 1'700'000'000.0), now));
    }
    SECTION("equal ticks and boot id ignore the epoch (clock steps)") {
        CHECK(identity_matches(ident(100, 5000, boot, 1'700'000'000.0 - 7200.0), now));
    }
    SECTION("ticks without a boot id: coarse same-boot epoch check") {
        CHECK(identity_matches(ident(100, 5000, std::nullopt, 1'700'000'000.0 + 4.0), now));  // NTP slew
        CHECK(identity_matches(ident(100, 5000, std::nullopt, 1'700'000'000.0 - 3000.0), now));
        CHECK_FALSE(identity_matches(ident(100, 5000, std::nullopt, 1'700'000'000.0 - 4000.0), now));
        CHECK(identity_matches(ident(100, 5000, std::nullopt, std::nullopt), now));  // e.g. a pointer's procStart
    }
    SECTION("no ticks recorded: the epoch within 2 s") {
        CHECK(identity_matches(ident(100, std::nullopt, std::nullopt, 1'700'000'001.5), now));
        CHECK(identity_matches(ident(100, std::nullopt, boot, 1'699'999'998.5), now));
        CHECK_FALSE(identity_matches(ident(100, std::nullopt, std::nullopt, 1'700'000'002.5), now));
        CHECK_FALSE(identity_matches(ident(100, std::nullopt, other_boot, 1'700'000'000.0), now));
        CHECK_FALSE(identity_matches(ident(100, std::nullopt, std::nullopt, 1'700'000'000.0), ident(100, 5000, boot, std::nullopt)));
    }
    SECTION("a bare pid is never trusted") {
        CHECK_FALSE(identity_matches(ident(100, std::nullopt, std::nullopt, std::nullopt), now));
        CHECK_FALSE(identity_matches(ident(100, std::nullopt, boot, std::nullopt), now));
        CHECK_FALSE(identity_matches(ident(0, std::nullopt, std::nullopt, std::nullopt), ident(0, std::nullopt, std::nullopt, std::nullopt)));
    }
}

TEST_CASE("an exited, unreaped child is a zombie and has no current identity", "[core]") {
    spawned child({"/bin/true"});
    REQUIRE(eventually([&] {
        const auto st = read_proc_stat(child.pid());
        return st && st->state == 'Z';
    }));
    CHECK(is_exited_state(read_proc_stat(child.pid())->state));
    CHECK_FALSE(current_identity(child.pid()));
    const auto argv = read_cmdline(child.pid());
    CHECK((!argv || argv->empty()));
    child.reap();
    CHECK_FALSE(read_proc_stat(child.pid()));
    CHECK_FALSE(read_cmdline(child.pid()));
}

TEST_CASE("child_pids and descendant_pids walk the tree breadth first", "[core]") {
    spawned root({"/bin/sh", "-c", "/bin/sleep 30 & /bin/sh -c '/bin/sleep 30 & wait' & wait"});
    std::vector<int> all;
    REQUIRE(eventually([&] {
        all = descendant_pids(root.pid());
        if (all.size() != 3) return false;
        // every leaf has exec'd sleep
        return std::count_if(all.begin(), all.end(), [](int p) {
                   const auto argv = read_cmdline(p);
                   return argv && !argv->empty() && (*argv)[0] == "/bin/sleep";
               }) == 2;
    }));
    const auto kids = child_pids(root.pid());
    REQUIRE(kids.size() == 2);
    CHECK(std::is_sorted(kids.begin(), kids.end()));
    // children first, then the grandchild
    CHECK(std::vector<int>(all.begin(), all.begin() + 2) == kids);
    const auto grandchild = all[2];
    CHECK(read_proc_stat(grandchild)->ppid != root.pid());
    CHECK(std::find(kids.begin(), kids.end(), read_proc_stat(grandchild)->ppid) != kids.end());
    CHECK(child_pids(grandchild).empty());
    CHECK(descendant_pids(0).empty());

    for (auto it = all.rbegin(); it != all.rend(); ++it) ::kill(*it, SIGKILL);
}

TEST_CASE("read_cwd reports the working directory", "[core]") {
    const auto cwd = read_cwd(::getpid());
    REQUIRE(cwd);
    CHECK(*cwd == fs::current_path());
    CHECK_FALSE(read_cwd(0));
}
