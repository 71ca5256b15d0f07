#include <clauster/core/pty_keeper.hpp>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <clauster/core/proc_fs.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace core = clauster::core;
namespace fs = std::filesystem;
using clauster::test::child_process;
using clauster::test::temp_dir;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view fake_url = "https://claude.ai/code/session_01TESTPTYSESSIONAAAAA";
constexpr std::string_view fake_session = "session_01TESTPTYSESSIONAAAAA";

/// Polls @p done every 20 ms for at most @p timeout.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

/// The `/proc/<pid>/stat` fields the tests look at (core::proc_stat has no tty).
struct stat_view {
    char state = '?';
    int ppid = 0;
    int session = 0;
    unsigned tty_nr = 0;
};

std::optional<stat_view> read_stat(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    const auto close = s.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(s.substr(close + 1));
    stat_view v;
    int pgrp = 0;
    if (!(fields >> v.state >> v.ppid >> pgrp >> v.session >> v.tty_nr)) return std::nullopt;
    return v;
}

bool alive(int pid) {
    const auto s = read_stat(pid);
    return s && !core::is_exited_state(s->state);
}

/// A keeper under test with its own directory, HOME and fake claude.
struct keeper_fixture {
    temp_dir dir{"clauster-keeper"};
    fs::path project = dir / "project";
    fs::path sidecar = dir / "x.keeper.json";
    fs::path debug_log = dir / "x.log";
    fs::path transcript = dir / "x.pty";
    core::environment env;
    std::unique_ptr<child_process> keeper;

    keeper_fixture() {
        fs::create_directories(project);
        fs::create_directories(dir / "home");
        env = clauster::test::hermetic_env({{"HOME", (dir / "home").string()}, {"FAKE_CLAUDE_MAX_IDLE", "30"}});
    }

    /// Kills what a failed test left behind: the bridge (its own session, and the
    /// fake ignores the SIGHUP a dead keeper causes), then the keeper.
    ~keeper_fixture() {
        if (auto s = core::read_keeper_sidecar(sidecar); s && s->bridge_pid && s->bridge_start_ticks) {
            const auto now = core::read_proc_stat(*s->bridge_pid);
            if (now && now->start_ticks == *s->bridge_start_ticks) ::kill(*s->bridge_pid, SIGKILL);
        }
    }

    std::vector<std::string> argv(const std::vector<std::string>& keeper_options,
                                  std::string bridge = CLAUSTER_TEST_FAKE_CLAUDE) const {
        std::vector<std::string> args{CLAUSTER_TEST_CLI, "__pty-keeper__", "--sidecar",
                                      sidecar.string(),  "--cwd",          project.string()};
        args.insert(args.end(), keeper_options.begin(), keeper_options.end());
        args.insert(args.end(),
                    {"--", std::move(bridge), "--remote-control", "lbl", "--debug-file", debug_log.string()});
        return args;
    }

    void start(const std::vector<std::pair<std::string, std::string>>& knobs = {},
               const std::vector<std::string>& keeper_options = {}) {
        for (const auto& [k, v] : knobs) env[k] = v;
        keeper = std::make_unique<child_process>(argv(keeper_options), env, dir / "x.keeper.log");
    }

    std::optional<core::keeper_sidecar> read() const { return core::read_keeper_sidecar(sidecar); }

    /// Waits for a sidecar satisfying @p accept; @return it, or the last one read.
    std::optional<core::keeper_sidecar> await(const std::function<bool(const core::keeper_sidecar&)>& accept,
                                              std::chrono::milliseconds timeout = 10s) const {
        std::optional<core::keeper_sidecar> last;
        eventually(
            [&] {
                last = read();
                return last && accept(*last);
            },
            timeout);
        return last;
    }

    std::optional<core::keeper_sidecar> await_state(core::keeper_state state) const {
        return await([state](const core::keeper_sidecar& s) { return s.state == state; });
    }

    std::string keeper_log() const { return clauster::test::read_file(dir / "x.keeper.log"); }
};

/// Makes this process the reaper of orphaned descendants while it lives, so a
/// keeper whose launcher died can still be waited for.
struct subreaper_scope {
    subreaper_scope() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~subreaper_scope() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
    subreaper_scope(const subreaper_scope&) = delete;
    subreaper_scope& operator=(const subreaper_scope&) = delete;
};

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    std::optional<int> code;
    eventually(
        [&] {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) != pid) return false;
            code = WIFEXITED(status) ? WEXITSTATUS(status) : -2;
            return true;
        },
        timeout);
    return code;
}

}  // namespace

//------------------------------------------------------------------------------
// The sidecar model and the link scrape

TEST_CASE("keeper sidecar round-trips through JSON", "[cli]") {
    core::keeper_sidecar s;
    s.keeper_pid = 4242;
    CHECK(core::parse_keeper_sidecar(core::serialize_keeper_sidecar(s)) == s);

    s.keeper_start_ticks = 123456789012ull;
    s.bridge_pid = 4243;
    s.bridge_start_ticks = 123456789013ull;
    s.bridge_proc_start = 1767225600.25;
    s.boot_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    s.connect_url = std::string(fake_url);
    s.session_id = std::string(fake_session);
    s.state = core::keeper_state::exited;
    s.error = "bridge exited with code 1: boom";
    s.note = "no link";
    s.bridge_exit = 1;
    const std::string text = core::serialize_keeper_sidecar(s);
    CHECK(core::parse_keeper_sidecar(text) == s);
    CHECK(text.find("\"state\":\"exited\"") != std::string::npos);

    for (auto state : {core::keeper_state::starting, core::keeper_state::ready, core::keeper_state::error}) {
        s.state = state;
        CHECK(core::parse_keeper_sidecar(core::serialize_keeper_sidecar(s)) == s);
    }

    SECTION("invalid UTF-8 from a terminal is replaced, so the file stays readable") {
        s.error = std::string("bad \xff\xc3 bytes");
        const auto back = core::parse_keeper_sidecar(core::serialize_keeper_sidecar(s));
        REQUIRE(back);
        CHECK(back->error == "bad ?? bytes");
    }
    SECTION("written to disk") {
        temp_dir dir("clauster-sidecar");
        clauster::test::write_file(dir / "a.keeper.json", text);
        CHECK(core::read_keeper_sidecar(dir / "a.keeper.json") == core::parse_keeper_sidecar(text));
    }
}

TEST_CASE("a malformed keeper sidecar reads as absent", "[cli]") {
    for (const std::string text : {
             "", "null", "[]", "{", "not json", R"({"state":"ready"})",       // no keeper_pid
             R"({"keeper_pid":12})",                                          // no state
             R"({"keeper_pid":12,"state":"dancing"})",                        // unknown state
             R"({"keeper_pid":true,"state":"ready"})",                        // a bool is not a pid
             R"({"keeper_pid":-5,"state":"ready"})",                          // nor a negative number
             R"({"keeper_pid":"12","state":"ready"})",                        // nor a string
             R"({"keeper_pid":12.5,"state":"ready"})",                        // nor a fraction
             R"({"keeper_pid":99999999999999999999,"state":"ready"})",        // nor a huge number
             R"({"keeper_pid":12,"state":"ready","bridge_pid":0})",           //
             R"({"keeper_pid":12,"state":"ready","bridge_start_ticks":-1})",  //
             R"({"keeper_pid":12,"state":"ready","connect_url":5})",          //
         }) {
        INFO(text);
        CHECK_FALSE(core::parse_keeper_sidecar(text));
    }
    CHECK_FALSE(core::parse_keeper_sidecar(std::string(200, '[') + std::string(200, ']')));
    const auto minimal = core::parse_keeper_sidecar(R"({"keeper_pid":12,"state":"ready","future_field":[1]})");
    REQUIRE(minimal);
    CHECK(minimal->keeper_pid == 12);
    CHECK_FALSE(minimal->bridge_pid);

    temp_dir dir("clauster-sidecar");
    CHECK_FALSE(core::read_keeper_sidecar(dir / "missing.keeper.json"));
    CHECK_FALSE(core::read_keeper_sidecar(dir.path()));  // a directory
    clauster::test::write_file(dir / "big.keeper.json",
                               R"({"keeper_pid":12,"state":"ready","note":")" + std::string(70000, 'x') + "\"}");
    CHECK_FALSE(core::read_keeper_sidecar(dir / "big.keeper.json"));
}

TEST_CASE("the connect link is found through terminal escapes", "[cli]") {
    const core::connect_link expected{std::string(fake_url), std::string(fake_session)};
    CHECK(core::find_connect_link(
              "\r\n/remote-control is active \xc2\xb7 Continue at " + std::string(fake_url) + "\r\n", false) ==
          expected);
    // The TUI redraws with cursor moves, colours and hyperlinks in the middle.
    CHECK(core::find_connect_link("\x1b[2K\x1b[1GContinue at \x1b[4mhttps://claude.ai/code/session_01TEST\x1b[5;40H"
                                  "PTYSESSION\x1b]0;title\x07"
                                  "AAAAA\x1b[24m  \x1b(B",
                                  false) == expected);
    CHECK(core::find_connect_link("http://claude.ai/code/session_abc ", false) ==
          core::connect_link{"http://claude.ai/code/session_abc", "session_abc"});

    SECTION("an id that runs to the end of the output may be cut in two") {
        const std::string partial = "Continue at https://claude.ai/code/session_01TESTPTY";
        CHECK_FALSE(core::find_connect_link(partial, false));
        CHECK(core::find_connect_link(partial, true) ==
              core::connect_link{"https://claude.ai/code/session_01TESTPTY", "session_01TESTPTY"});
        CHECK_FALSE(core::find_connect_link(std::string(fake_url) + "\x1b[3", false));  // escape cut off
    }
    SECTION("near misses") {
        CHECK_FALSE(core::find_connect_link("https://claude.ai/code/session_ x", true));
        CHECK_FALSE(core::find_connect_link("https://claude.ai/code?environment=env_01X\n", true));
        CHECK_FALSE(core::find_connect_link("ftp://claude.ai/code/session_01X\n", true));
        CHECK_FALSE(core::find_connect_link("https://evil.example/claude.ai/code/session_01X\n", true));
    }
    CHECK(core::strip_terminal_escapes("a\x1b[1;31mb\x1b[0m\x07"
                                       "c\x1b]8;;http://x\x1b\\d\x1b"
                                       "7e\tf\r\n") == "abcde\tf\r\n");
}

TEST_CASE("pty keeper arguments", "[cli]") {
    std::string error;
    const std::vector<std::string> good{"--sidecar",
                                        "/s/x.keeper.json",
                                        "--cwd=/p",
                                        "--url-deadline",
                                        "5",
                                        "--state-dir",
                                        "/st",
                                        "--transcript",
                                        "/s/x.pty",
                                        "--",
                                        "/usr/bin/claude",
                                        "--remote-control",
                                        "a",
                                        "--",
                                        "-x"};
    const auto o = core::parse_pty_keeper_args(good, error);
    REQUIRE(o);
    CHECK(o->sidecar == "/s/x.keeper.json");
    CHECK(o->cwd == "/p");
    CHECK(o->url_deadline == 5s);
    CHECK(o->state_dir == fs::path("/st"));
    CHECK(o->transcript == fs::path("/s/x.pty"));
    CHECK(o->bridge_argv == std::vector<std::string>{"/usr/bin/claude", "--remote-control", "a", "--", "-x"});

    const std::vector<std::pair<std::vector<std::string>, std::string>> bad{
        {{"--cwd", "/p", "--", "/c"}, "--sidecar is required"},
        {{"--sidecar", "/s", "--", "/c"}, "--cwd is required"},
        {{"--sidecar", "/s", "--cwd", "/p"}, "the bridge command is missing (expected -- <claude> \xe2\x80\xa6)"},
        {{"--sidecar", "/s", "--cwd", "/p", "--"}, "the bridge command is missing (expected -- <claude> \xe2\x80\xa6)"},
        {{"--sidecar", "/s", "--cwd", "/p", "--", "claude"},
         "the bridge command must be an absolute path, not 'claude'"},
        {{"--sidecar", "/s", "--cwd", "/p", "/c"}, "unexpected argument '/c' (the bridge command goes after --)"},
        {{"--sidecar", "/s", "--bogus", "1", "--", "/c"}, "unknown option --bogus"},
        {{"--sidecar", "/s", "--sidecar", "/t", "--", "/c"}, "--sidecar given twice"},
        {{"--sidecar", "--cwd", "/p", "--", "/c"}, "--sidecar needs a value"},
        {{"--sidecar=", "--cwd", "/p", "--", "/c"}, "--sidecar needs a value"},
        {{"--sidecar", "/s", "--cwd", "/p", "--url-deadline", "soon", "--", "/c"},
         "--url-deadline must be whole seconds between 0 and 86400, not 'soon'"},
    };
    for (const auto& [args, message] : bad) {
        INFO(message);
        error.clear();
        CHECK_FALSE(core::parse_pty_keeper_args(args, error));
        CHECK(error == message);
    }
}

//------------------------------------------------------------------------------
// The real keeper (`clauster __pty-keeper__`) running the fake claude

TEST_CASE("the keeper runs the bridge on a pty and publishes its link until it stops", "[cli]") {
    keeper_fixture f;
    f.start({}, {"--transcript", f.transcript.string()});

    const auto ready = f.await_state(core::keeper_state::ready);
    REQUIRE(ready);
    REQUIRE(ready->state == core::keeper_state::ready);
    CHECK(ready->connect_url == fake_url);
    CHECK(ready->session_id == fake_session);
    CHECK_FALSE(ready->note);
    CHECK(clauster::test::mode_of(f.sidecar) == 0600);

    // Identity: who the keeper and the bridge are, beyond their pids.
    CHECK(ready->keeper_pid == f.keeper->pid());
    const auto keeper_stat = core::read_proc_stat(ready->keeper_pid);
    REQUIRE(keeper_stat);
    CHECK(ready->keeper_start_ticks == keeper_stat->start_ticks);
    CHECK(ready->boot_id == core::read_boot_id());
    REQUIRE(ready->bridge_pid);
    const int bridge = *ready->bridge_pid;
    const auto bridge_identity = core::current_identity(bridge);
    REQUIRE(bridge_identity);
    CHECK(ready->bridge_start_ticks == bridge_identity->start_ticks);
    REQUIRE(ready->bridge_proc_start);
    CHECK(std::abs(*ready->bridge_proc_start - bridge_identity->proc_start.value_or(0)) < 1.0);
    CHECK(core::cmdline_matches_role(core::read_cmdline(bridge).value_or(std::vector<std::string>{}),
                                     core::process_role::bridge));
    CHECK(core::cmdline_matches_role(core::read_cmdline(f.keeper->pid()).value_or(std::vector<std::string>{}),
                                     core::process_role::keeper));

    // The bridge leads its own session, with the pty as controlling terminal and stdio, in --cwd.
    const auto st = read_stat(bridge);
    REQUIRE(st);
    CHECK(st->session == bridge);
    CHECK(st->tty_nr != 0);
    std::error_code ec;
    const auto stdin_target = fs::read_symlink("/proc/" + std::to_string(bridge) + "/fd/0", ec);
    REQUIRE(stdin_target.string().rfind("/dev/pts/", 0) == 0);
    struct stat tty {};
    REQUIRE(::stat(stdin_target.c_str(), &tty) == 0);
    CHECK(major(tty.st_rdev) == ((st->tty_nr >> 8) & 0xfff));
    CHECK(minor(tty.st_rdev) == ((st->tty_nr & 0xff) | ((st->tty_nr >> 12) & 0xfff00)));
    CHECK(fs::read_symlink("/proc/" + std::to_string(bridge) + "/fd/1", ec) == stdin_target);
    CHECK(fs::read_symlink("/proc/" + std::to_string(bridge) + "/fd/2", ec) == stdin_target);
    CHECK(core::read_cwd(bridge) == fs::canonical(f.project));
    CHECK(fs::exists(fs::path(f.debug_log.string() + ".argv.json")));  // the bridge argv arrived verbatim

    // Stop it as clauster does: one SIGINT only asks again; a second 0.4 s later ends it.
    const auto first = std::chrono::steady_clock::now();
    REQUIRE(::kill(bridge, SIGINT) == 0);
    CHECK(eventually(
        [&] { return clauster::test::read_file(f.transcript).find("Press Ctrl-C again") != std::string::npos; }, 3s));
    CHECK_FALSE(
        f.keeper->wait(std::chrono::ceil<std::chrono::milliseconds>(first + 400ms - std::chrono::steady_clock::now())));
    CHECK(alive(bridge));
    CHECK(f.read()->state == core::keeper_state::ready);
    REQUIRE(::kill(bridge, SIGINT) == 0);
    CHECK(f.keeper->wait(5s) == 0);
    CHECK_FALSE(alive(bridge));

    const auto exited = f.read();
    REQUIRE(exited);
    CHECK(exited->state == core::keeper_state::exited);
    CHECK(exited->bridge_exit == 0);
    CHECK_FALSE(exited->error);
    CHECK(exited->connect_url == fake_url);
    CHECK(exited->bridge_pid == bridge);

    const std::string transcript = clauster::test::read_file(f.transcript);
    CHECK(transcript.find(std::string(fake_url)) != std::string::npos);
    CHECK(clauster::test::mode_of(f.transcript) == 0600);
    CHECK(f.keeper_log().find("connect link found") != std::string::npos);
    CHECK(f.keeper_log().find(std::string(fake_session)) == std::string::npos);  // the link is not logged
}

TEST_CASE("signals sent to the keeper reach its bridge", "[cli]") {
    keeper_fixture f;
    f.start();
    const auto ready = f.await_state(core::keeper_state::ready);
    REQUIRE(ready);
    REQUIRE(ready->bridge_pid);
    SECTION("SIGTERM") {
        f.keeper->signal(SIGTERM);
        CHECK(f.keeper->wait(5s) == 0);
    }
    SECTION("two SIGINTs") {
        f.keeper->signal(SIGINT);
        CHECK_FALSE(f.keeper->wait(400ms));
        f.keeper->signal(SIGINT);
        CHECK(f.keeper->wait(5s) == 0);
    }
    SECTION("SIGHUP is ignored") {
        f.keeper->signal(SIGHUP);
        CHECK_FALSE(f.keeper->wait(300ms));
        f.keeper->signal(SIGTERM);
        CHECK(f.keeper->wait(5s) == 0);
    }
    CHECK_FALSE(alive(*ready->bridge_pid));
    const auto exited = f.read();
    REQUIRE(exited);
    CHECK(exited->state == core::keeper_state::exited);
    CHECK(exited->bridge_exit == 0);
}

TEST_CASE("the keeper outlives its launcher", "[cli]") {
    keeper_fixture f;
    subreaper_scope reaper;
    // A launcher that starts the keeper in a new session (as clauster does), then waits to be killed.
    auto args = f.argv({});
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : f.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> argv;
    std::vector<char*> envp;
    for (auto& a : args) argv.push_back(a.data());
    for (auto& e : env_strings) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    const std::string log = (f.dir / "x.keeper.log").string();
    int report[2];
    REQUIRE(::pipe(report) == 0);
    const pid_t launcher = ::fork();
    REQUIRE(launcher >= 0);
    if (launcher == 0) {
        ::setsid();
        const pid_t keeper = ::fork();
        if (keeper == 0) {
            ::dup2(::open("/dev/null", O_RDONLY), 0);
            ::dup2(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600), 1);
            ::dup2(1, 2);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        [[maybe_unused]] auto n = ::write(report[1], &keeper, sizeof keeper);
        for (;;) ::pause();
    }
    ::close(report[1]);
    pid_t keeper = -1;
    REQUIRE(::read(report[0], &keeper, sizeof keeper) == static_cast<ssize_t>(sizeof keeper));
    ::close(report[0]);
    struct cleanup {
        pid_t keeper;
        ~cleanup() {
            int status = 0;
            if (::waitpid(keeper, &status, WNOHANG) == 0) {
                ::kill(keeper, SIGKILL);
                ::waitpid(keeper, &status, 0);
            }
        }
    } reap_keeper{keeper};

    const auto ready = f.await_state(core::keeper_state::ready);
    REQUIRE(ready);
    REQUIRE(ready->keeper_pid == keeper);
    REQUIRE(ready->bridge_pid);

    ::kill(launcher, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(launcher, &status, 0) == launcher);
    // Orphaned, the keeper now belongs to this (subreaper) process, and it and its bridge carry on.
    CHECK(eventually([&] { return read_stat(keeper) && read_stat(keeper)->ppid == ::getpid(); }, 2s));
    CHECK(alive(keeper));
    CHECK(alive(*ready->bridge_pid));
    CHECK(f.read()->state == core::keeper_state::ready);

    ::kill(*ready->bridge_pid, SIGINT);
    std::this_thread::sleep_for(400ms);
    ::kill(*ready->bridge_pid, SIGINT);
    CHECK(wait_for_exit(keeper, 5s) == 0);
    CHECK(f.read()->state == core::keeper_state::exited);
}

TEST_CASE("a bridge that crashes is published as exited with its code", "[cli]") {
    keeper_fixture f;
    f.start({{"FAKE_CLAUDE_MODE", "crash"}});
    CHECK(f.keeper->wait(10s) == 1);
    const auto s = f.read();
    REQUIRE(s);
    CHECK(s->state == core::keeper_state::exited);
    CHECK(s->bridge_exit == 1);
    CHECK(s->bridge_pid);
    CHECK_FALSE(s->connect_url);
    CHECK(s->error == "bridge exited with code 1: Error: Remote Control failed to start (fake crash)");
}

TEST_CASE("a bridge that prints no link is ready with a note after the URL deadline", "[cli]") {
    keeper_fixture f;
    f.start({{"FAKE_CLAUDE_MODE", "pty_no_url"}}, {"--url-deadline", "1"});
    const auto starting = f.await([](const core::keeper_sidecar& s) { return s.bridge_pid.has_value(); });
    REQUIRE(starting);
    CHECK(starting->state == core::keeper_state::starting);
    const auto ready = f.await_state(core::keeper_state::ready);
    REQUIRE(ready);
    REQUIRE(ready->state == core::keeper_state::ready);
    CHECK_FALSE(ready->connect_url);
    CHECK_FALSE(ready->session_id);
    REQUIRE(ready->note);
    CHECK(ready->note->find("no connect link within 1 s") != std::string::npos);
    CHECK(alive(*ready->bridge_pid));
    f.keeper->signal(SIGTERM);
    CHECK(f.keeper->wait(5s) == 0);
}

TEST_CASE("a slow bridge stays starting until its link appears", "[cli]") {
    keeper_fixture f;
    f.start({{"FAKE_CLAUDE_MODE", "pty_slow"}, {"FAKE_CLAUDE_SLOW", "1.5"}});
    const auto starting = f.await([](const core::keeper_sidecar& s) { return s.bridge_pid.has_value(); });
    REQUIRE(starting);
    CHECK(starting->state == core::keeper_state::starting);
    CHECK_FALSE(starting->connect_url);
    CHECK(starting->bridge_start_ticks);
    const auto ready = f.await_state(core::keeper_state::ready);
    REQUIRE(ready);
    CHECK(ready->connect_url == fake_url);
    CHECK(ready->bridge_pid == starting->bridge_pid);
    f.keeper->signal(SIGTERM);
    CHECK(f.keeper->wait(5s) == 0);
}

TEST_CASE("a bridge that cannot be started is a keeper error (exit 71)", "[cli]") {
    keeper_fixture f;
    SECTION("missing binary") {
        const auto missing = (f.dir / "no-such-claude").string();
        f.keeper = std::make_unique<child_process>(f.argv({}, missing), f.env, f.dir / "x.keeper.log");
        CHECK(f.keeper->wait(10s) == 71);
        const auto s = f.read();
        REQUIRE(s);
        CHECK(s->state == core::keeper_state::error);
        CHECK(s->error == "cannot run " + missing + ": No such file or directory");
        CHECK_FALSE(s->bridge_pid);
    }
    SECTION("missing working directory") {
        fs::remove(f.project);
        f.start();
        CHECK(f.keeper->wait(10s) == 71);
        const auto s = f.read();
        REQUIRE(s);
        CHECK(s->state == core::keeper_state::error);
        CHECK(s->error == "cannot enter " + f.project.string() + ": No such file or directory");
    }
}

TEST_CASE("bad keeper arguments exit 2 with a message", "[cli]") {
    temp_dir dir("clauster-keeper");
    const auto env = clauster::test::hermetic_env({});
    const std::string sidecar = (dir / "x.keeper.json").string();
    const std::string cwd = dir.path().string();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--cwd", cwd, "--", "/bin/true"}, "clauster: __pty-keeper__: --sidecar is required\n"},
        {{"--sidecar", sidecar, "--cwd", cwd, "--"}, "clauster: __pty-keeper__: the bridge command is missing"},
        {{"--sidecar", sidecar, "--cwd", cwd, "--", "true"}, "must be an absolute path"},
        {{"--sidecar", sidecar, "--cwd", cwd, "--url-deadline", "soon", "--", "/bin/true"}, "--url-deadline"},
        {{"--sidecar", sidecar, "--cwd", cwd, "/bin/true", "--remote-control", "x"}, "not expected"},  // no --
        {{"--sidecar", sidecar, "--bogus", "1", "--", "/bin/true"}, "not expected"},                   // CLI11's words
    };
    for (const auto& [args, message] : cases) {
        std::vector<std::string> argv{CLAUSTER_TEST_CLI, "__pty-keeper__"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = clauster::test::run_command(argv, env, {}, 10s);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(message) != std::string::npos);
        CHECK_FALSE(fs::exists(sidecar));
    }
    // Hidden from the help, but there.
    const auto help = clauster::test::run_command({CLAUSTER_TEST_CLI, "--help"}, env, {}, 10s);
    CHECK(help.out.find("__pty-keeper__") == std::string::npos);
}
