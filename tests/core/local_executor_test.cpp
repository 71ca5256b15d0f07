#include <clauster/core/local_executor.hpp>

#include <clauster/core/proc_fs.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace clauster::core;
namespace fs = std::filesystem;
namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

/// Polls @p cond every 5 ms until it holds or @p limit passes.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

/// True when @p pid no longer runs (gone, or a zombie nobody reaped yet).
bool has_exited(int pid) {
    const auto st = read_proc_stat(pid);
    return !st || is_exited_state(st->state);
}

std::string fd_target(int pid, int fd) {
    std::error_code ec;
    return fs::read_symlink("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd), ec).string();
}

/// A /proc/<pid>/status line's value ("SigIgn" → "0000000000000000").
std::string status_field(int pid, std::string_view name) {
    const auto text = clauster::test::read_file("/proc/" + std::to_string(pid) + "/status");
    const auto at = text.find(std::string(name) + ":");
    if (at == std::string::npos) return {};
    const auto start = text.find_first_not_of(" \t", at + name.size() + 1);
    return text.substr(start, text.find('\n', start) - start);
}

environment read_environ(int pid) {
    const auto text = clauster::test::read_file("/proc/" + std::to_string(pid) + "/environ");
    environment env;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto nul = rest.find('\0');
        const auto entry = rest.substr(0, nul);
        const auto eq = entry.find('=');
        if (eq != std::string_view::npos) env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
        if (nul == std::string_view::npos) break;
        rest.remove_prefix(nul + 1);
    }
    return env;
}

/// Everything a test needs: a temp dir, an io_context run on the test thread, the
/// executor under test, and cleanup of whatever it launched.
struct executor_fixture {
    clauster::test::temp_dir dir{"local-executor"};
    net::io_context ioc;
    local_executor exec{ioc.get_executor()};
    std::vector<int> launched;

    executor_fixture() { fs::create_directories(dir / "home"); }

    ~executor_fixture() {
        // Kill and reap what is still our child (WNOWAIT peeks without reaping;
        // ECHILD means a test already reaped it, so its pid is no longer ours).
        for (const int pid : launched) {
            siginfo_t info{};
            if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) continue;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }

    environment base_env() const { return {{"PATH", "/usr/bin:/bin"}, {"HOME", (dir / "home").string()}}; }

    launch_request request(std::vector<std::string> argv) const {
        launch_request r;
        r.argv = std::move(argv);
        r.cwd = dir.path();
        r.env = base_env();
        r.output_path = dir / "out.log";
        return r;
    }

    process_identity launch_ok(const launch_request& r) {
        auto id = exec.launch(r);
        if (!id) FAIL("launch failed: " << id.error().message);
        launched.push_back(id->pid);
        return *id;
    }

    /// Runs wait_for_exit on the test thread; nullopt if it did not complete in time.
    std::optional<exit_status> wait_exit(executor& ex, const process_identity& id, std::chrono::milliseconds limit = 5s) {
        std::optional<exit_status> result;
        std::exception_ptr error;
        net::co_spawn(ioc, ex.wait_for_exit(id), [&](std::exception_ptr e, exit_status s) {
            error = e;
            if (!e) result = s;
        });
        ioc.restart();
        ioc.run_for(limit);
        if (error) std::rethrow_exception(error);
        return result;
    }
    std::optional<exit_status> wait_exit(const process_identity& id, std::chrono::milliseconds limit = 5s) {
        return wait_exit(exec, id, limit);
    }

    /// A fake claude `remote-control` bridge (idles until signalled).
    launch_request fake_bridge(std::string mode = "ready") const {
        auto r = request({CLAUSTER_TEST_FAKE_CLAUDE, "remote-control", "--name", "t", "--debug-file", (dir / "debug.log").string()});
        r.env["FAKE_CLAUDE_MODE"] = std::move(mode);
        r.env["FAKE_CLAUDE_MAX_IDLE"] = "30";
        return r;
    }

    /// A copy of /bin/sh named `claude`: a shell that passes the claude gates.
    fs::path claude_named_shell() const {
        const auto path = dir / "bin" / "claude";
        fs::create_directories(path.parent_path());
        fs::copy_file("/bin/sh", path, fs::copy_options::overwrite_existing);
        fs::permissions(path, fs::perms::owner_all);
        return path;
    }
};

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE_METHOD(executor_fixture, "launch detaches the child: own session and group, stdin /dev/null, no stray fds",
                 "[core]") {
    // A descriptor without O_CLOEXEC and an ignored SIGPIPE in the parent must not
    // reach the child.
    const int stray = ::open("/dev/null", O_RDONLY);
    REQUIRE(stray >= 0);
    const auto old_pipe = ::signal(SIGPIPE, SIG_IGN);

    const auto id = launch_ok(request({"/bin/sleep", "30"}));

    ::signal(SIGPIPE, old_pipe);
    ::close(stray);

    const auto st = read_proc_stat(id.pid);
    REQUIRE(st);
    CHECK(st->session == id.pid);
    CHECK(st->pgrp == id.pid);
    CHECK(st->ppid == ::getpid());

    CHECK(fd_target(id.pid, 0) == "/dev/null");
    const auto out = fs::canonical(dir / "out.log").string();
    CHECK(fd_target(id.pid, 1) == out);
    CHECK(fd_target(id.pid, 2) == out);
    std::vector<std::string> fds;
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(id.pid) + "/fd")) fds.push_back(e.path().filename());
    std::sort(fds.begin(), fds.end());
    CHECK(fds == std::vector<std::string>{"0", "1", "2"});

    // No standard signal is ignored or blocked. (glibc's posix_spawn itself leaves
    // its two internal real-time signals, 32 and 33, ignored in every child.)
    const auto standard_signals = 0x7fffffffULL;
    CHECK((std::stoull(status_field(id.pid, "SigIgn"), nullptr, 16) & standard_signals) == 0);
    CHECK((std::stoull(status_field(id.pid, "SigBlk"), nullptr, 16) & standard_signals) == 0);

    // The recorded identity is complete and is the process's current one.
    REQUIRE(id.start_ticks);
    REQUIRE(id.boot_id);
    REQUIRE(id.proc_start);
    CHECK(id.start_ticks == st->start_ticks);
    CHECK(id.boot_id == read_boot_id());
    const auto now = exec.identify(id.pid);
    REQUIRE(now);
    CHECK(identity_matches(id, *now));
    CHECK(read_cmdline(id.pid) == std::vector<std::string>{"/bin/sleep", "30"});
}

TEST_CASE_METHOD(executor_fixture, "launch appends stdout and stderr to a 0600 output file", "[core]") {
    SECTION("created fresh") {
        const auto id = launch_ok(request({"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"}));
        const auto status = wait_exit(id);
        REQUIRE(status);
        CHECK(status->code == 3);
        CHECK_FALSE(status->signal);
        const auto text = clauster::test::read_file(dir / "out.log");
        CHECK(text.find("to-out\n") != std::string::npos);
        CHECK(text.find("to-err\n") != std::string::npos);
        CHECK(clauster::test::mode_of(dir / "out.log") == 0600);
    }
    SECTION("an existing file is appended to and made private") {
        clauster::test::write_file(dir / "out.log", "previous\n");
        fs::permissions(dir / "out.log", fs::perms(0644));
        const auto id = launch_ok(request({"/bin/sh", "-c", "echo next"}));
        REQUIRE(wait_exit(id));
        CHECK(clauster::test::read_file(dir / "out.log") == "previous\nnext\n");
        CHECK(clauster::test::mode_of(dir / "out.log") == 0600);
    }
}

TEST_CASE_METHOD(executor_fixture, "launch passes exactly the given environment and applies cwd", "[core]") {
    ::setenv("CLAUSTER_LEAK_PROBE", "must-not-leak", 1);
    auto r = request({"/bin/sleep", "30"});
    r.env = {{"PATH", "/usr/bin:/bin"}, {"ONLY_THIS", "a=b c"}};
    fs::create_directories(dir / "work dir");
    r.cwd = dir / "work dir";
    const auto id = launch_ok(r);
    ::unsetenv("CLAUSTER_LEAK_PROBE");

    CHECK(read_environ(id.pid) == r.env);
    const auto cwd = exec.cwd_of(id.pid);
    REQUIRE(cwd);
    CHECK(*cwd == fs::canonical(dir / "work dir"));
}

TEST_CASE_METHOD(executor_fixture, "launch refuses bad requests", "[core]") {
    SECTION("relative argv[0]") {
        const auto id = exec.launch(request({"sleep", "1"}));
        REQUIRE_FALSE(id.has_value());
        CHECK(id.error().code == make_error_code(errc::invalid_argument));
        CHECK(id.error().message.find("absolute") != std::string::npos);
    }
    SECTION("empty argv") {
        const auto id = exec.launch(request({}));
        REQUIRE_FALSE(id.has_value());
        CHECK(id.error().code == make_error_code(errc::invalid_argument));
    }
    SECTION("invalid environment name") {
        auto r = request({"/bin/sleep", "1"});
        r.env["A=B"] = "x";
        const auto id = exec.launch(r);
        REQUIRE_FALSE(id.has_value());
        CHECK(id.error().code == make_error_code(errc::invalid_argument));
    }
    SECTION("missing binary") {
        const auto missing = (dir / "no-such-claude").string();
        const auto id = exec.launch(request({missing, "remote-control"}));
        REQUIRE_FALSE(id.has_value());
        CHECK(id.error().code == make_error_code(errc::unavailable));
        CHECK(id.error().message.find(missing) != std::string::npos);
    }
    SECTION("binary not executable") {
        clauster::test::write_file(dir / "not-exec", "#!/bin/sh\n");
        fs::permissions(dir / "not-exec", fs::perms(0644));
        const auto id = exec.launch(request({(dir / "not-exec").string()}));
        REQUIRE_FALSE(id.has_value());
        CHECK(id.error().code == make_error_code(errc::unavailable));
        CHECK(id.error().message.find("not-exec") != std::string::npos);
    }
    SECTION("missing cwd") {
        auto r = request({"/bin/sleep", "1"});
        r.cwd = dir / "nowhere";
        const auto id = exec.launch(r);
        REQUIRE_FALSE(id.has_value());
        CHECK(id.error().code == make_error_code(errc::unavailable));
        CHECK(id.error().message.find("nowhere") != std::string::npos);
    }
    SECTION("output path is a symlink (dangling or not)") {
        auto r = request({"/bin/sh", "-c", "echo pwned"});
        r.output_path = dir / "link.log";
        SECTION("dangling") {
            fs::create_symlink(dir / "target.log", dir / "link.log");
            const auto id = exec.launch(r);
            REQUIRE_FALSE(id.has_value());
            CHECK(id.error().code == make_error_code(errc::invalid_argument));
            CHECK_FALSE(fs::exists(dir / "target.log"));
        }
        SECTION("to an existing file") {
            clauster::test::write_file(dir / "target.log", "keep\n");
            fs::create_symlink(dir / "target.log", dir / "link.log");
            const auto id = exec.launch(r);
            REQUIRE_FALSE(id.has_value());
            CHECK(id.error().code == make_error_code(errc::invalid_argument));
            CHECK(clauster::test::read_file(dir / "target.log") == "keep\n");
        }
    }
    SECTION("output path is not a regular file") {
        auto r = request({"/bin/sleep", "1"});
        r.output_path = "/dev/null";
        const auto id = exec.launch(r);
        REQUIRE_FALSE(id.has_value());
        CHECK(id.error().code == make_error_code(errc::invalid_argument));
    }
}

//------------------------------------------------------------------------------

TEST_CASE_METHOD(executor_fixture, "wait_for_exit reports how our child ended", "[core]") {
    SECTION("exit code, via the pidfd") {
        const auto id = launch_ok(request({"/bin/sh", "-c", "exit 7"}));
        const auto status = wait_exit(id);
        REQUIRE(status);
        CHECK(status->code == 7);
        CHECK_FALSE(status->signal);
        CHECK_FALSE(read_proc_stat(id.pid));  // reaped
    }
    SECTION("killed by a signal") {
        const auto id = launch_ok(request({"/bin/sleep", "30"}));
        REQUIRE(::kill(id.pid, SIGKILL) == 0);
        const auto status = wait_exit(id);
        REQUIRE(status);
        CHECK(status->signal == SIGKILL);
        CHECK_FALSE(status->code);
    }
    SECTION("exit code, via the poll fallback") {
        local_executor polling(ioc.get_executor(), {.poll_interval = 20ms, .use_pidfd = false});
        const auto id = launch_ok(request({"/bin/sh", "-c", "sleep 0.1; exit 5"}));
        const auto status = wait_exit(polling, id);
        REQUIRE(status);
        CHECK(status->code == 5);
    }
    SECTION("an already exited child (zombie) is reaped at once") {
        const auto id = launch_ok(request({"/bin/sh", "-c", "exit 4"}));
        REQUIRE(eventually([&] { return has_exited(id.pid); }));
        const auto status = wait_exit(id, 1s);
        REQUIRE(status);
        CHECK(status->code == 4);
    }
}

TEST_CASE_METHOD(executor_fixture, "wait_for_exit returns at once for a process that is not the recorded one", "[core]") {
    const auto id = launch_ok(request({"/bin/sleep", "30"}));
    auto recycled = id;
    *recycled.start_ticks += 1;
    const auto started = std::chrono::steady_clock::now();
    const auto status = wait_exit(recycled, 2s);
    REQUIRE(status);
    CHECK_FALSE(status->code);
    CHECK_FALSE(status->signal);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    CHECK_FALSE(has_exited(id.pid));  // untouched, not reaped

    process_identity nothing;
    nothing.pid = 999'999'999;
    REQUIRE(wait_exit(nothing, 1s));
}

TEST_CASE_METHOD(executor_fixture, "wait_for_exit completes for a process that is not our child", "[core]") {
    // sh prints the pid of a background sleep and exits: the sleep is then
    // reparented away from us, so it can be watched but never reaped by us.
    const auto sh = launch_ok(request({"/bin/sh", "-c", "/bin/sleep 1 & echo $!"}));
    const auto sh_status = wait_exit(sh);
    REQUIRE(sh_status);
    REQUIRE(sh_status->code == 0);
    const auto text = clauster::test::read_file(dir / "out.log");
    const int pid = std::stoi(text);
    const auto other = exec.identify(pid);
    REQUIRE(other);
    CHECK(read_proc_stat(pid)->ppid != ::getpid());

    SECTION("pidfd") {
        const auto status = wait_exit(*other, 5s);
        REQUIRE(status);  // completed before the deadline
        CHECK_FALSE(status->code);
        CHECK_FALSE(status->signal);
    }
    SECTION("poll fallback") {
        local_executor polling(ioc.get_executor(), {.poll_interval = 50ms, .use_pidfd = false});
        const auto status = wait_exit(polling, *other, 5s);
        REQUIRE(status);
        CHECK_FALSE(status->code);
    }
    CHECK(has_exited(pid));
}

//------------------------------------------------------------------------------

TEST_CASE_METHOD(executor_fixture, "a recycled pid is never reported live and never signalled", "[core]") {
    const auto id = launch_ok(fake_bridge());
    REQUIRE(exec.is_live(id, process_role::bridge));

    SECTION("different start ticks") {
        auto recycled = id;
        *recycled.start_ticks += 1;
        CHECK_FALSE(exec.is_live(recycled, process_role::bridge));
        CHECK_FALSE(exec.is_live(recycled, process_role::claude_process));
        const auto sent = exec.signal(recycled, process_role::bridge, SIGKILL);
        REQUIRE_FALSE(sent);
        CHECK(sent.error().code == make_error_code(errc::not_found));
        const auto killed = exec.kill_tree(recycled, process_role::bridge);
        REQUIRE_FALSE(killed);
        CHECK(killed.error().code == make_error_code(errc::not_found));
    }
    SECTION("a row from an earlier boot") {
        auto old_boot = id;
        old_boot.boot_id = "00000000-0000-4000-8000-000000000000";
        CHECK_FALSE(exec.is_live(old_boot, process_role::bridge));
        CHECK_FALSE(exec.signal(old_boot, process_role::bridge, SIGKILL));
    }
    SECTION("a bare pid") {
        process_identity bare;
        bare.pid = id.pid;
        CHECK_FALSE(exec.is_live(bare, process_role::bridge));
        CHECK_FALSE(exec.signal(bare, process_role::bridge, SIGKILL));
    }
    SECTION("an epoch-only row within 2 s is accepted, a distant one is not") {
        process_identity epoch_only;
        epoch_only.pid = id.pid;
        epoch_only.proc_start = id.proc_start;
        CHECK(exec.is_live(epoch_only, process_role::bridge));
        *epoch_only.proc_start -= 10.0;
        CHECK_FALSE(exec.is_live(epoch_only, process_role::bridge));
    }
    SECTION("the wrong role") {
        CHECK_FALSE(exec.is_live(id, process_role::keeper));
        CHECK_FALSE(exec.signal(id, process_role::keeper, SIGKILL));
    }

    // The real process was never touched.
    std::this_thread::sleep_for(20ms);  // give a wrongly sent SIGKILL time to land
    CHECK(exec.is_live(id, process_role::bridge));

    // And with its true identity it is signalled and exits cleanly.
    REQUIRE(exec.signal(id, process_role::bridge, SIGTERM));
    const auto status = wait_exit(id);
    REQUIRE(status);
    CHECK(status->code == 0);
    CHECK_FALSE(exec.is_live(id, process_role::bridge));
    const auto again = exec.signal(id, process_role::bridge, SIGTERM);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == make_error_code(errc::not_found));
}

TEST_CASE_METHOD(executor_fixture, "signal refuses an invalid signal number", "[core]") {
    const auto id = launch_ok(fake_bridge());
    const auto sent = exec.signal(id, process_role::bridge, 12345);
    REQUIRE_FALSE(sent);
    CHECK(sent.error().code == make_error_code(errc::invalid_argument));
    CHECK(exec.signal(id, process_role::bridge, 0));  // probe only
}

TEST_CASE_METHOD(executor_fixture, "a zombie is not live", "[core]") {
    const auto id = launch_ok(fake_bridge("crash"));
    REQUIRE(eventually([&] { return has_exited(id.pid); }));
    REQUIRE(read_proc_stat(id.pid));  // still there, unreaped
    CHECK(read_proc_stat(id.pid)->state == 'Z');
    CHECK_FALSE(exec.is_live(id, process_role::bridge));
    CHECK_FALSE(exec.is_live(id, process_role::claude_process));
    CHECK_FALSE(exec.identify(id.pid));
    CHECK_FALSE(exec.signal(id, process_role::bridge, SIGTERM));
    const auto status = wait_exit(id, 1s);
    REQUIRE(status);
    CHECK(status->code == 1);
}

TEST_CASE_METHOD(executor_fixture, "role gates on real processes", "[core]") {
    const auto bridge = launch_ok(fake_bridge());
    CHECK(exec.is_live(bridge, process_role::bridge));
    CHECK(exec.is_live(bridge, process_role::standard_bridge));
    CHECK(exec.is_live(bridge, process_role::claude_process));
    CHECK_FALSE(exec.is_live(bridge, process_role::keeper));

    auto r = request({"/bin/sleep", "30"});
    r.output_path = dir / "sleep.log";
    const auto sleeper = launch_ok(r);
    CHECK_FALSE(exec.is_live(sleeper, process_role::bridge));
    CHECK_FALSE(exec.is_live(sleeper, process_role::claude_process));
}

TEST_CASE("cmdline_matches_role gates", "[core]") {
    using argv = std::vector<std::string>;
    const auto matches = [](const argv& a, process_role r) { return cmdline_matches_role(a, r); };

    SECTION("bridge") {
        CHECK(matches({"/usr/local/bin/claude", "remote-control", "--name", "x"}, process_role::bridge));
        CHECK(matches({"/usr/local/bin/claude", "--remote-control", "x", "--debug-file", "f"}, process_role::bridge));
        CHECK(matches({"/usr/local/bin/claude", "--remote-control=x"}, process_role::bridge));
        CHECK(matches({"/home/u/.local/share/claude/versions/2.1.156", "remote-control"}, process_role::bridge));
        CHECK(matches({"/usr/bin/node", "/usr/lib/claude/cli.js", "remote-control"}, process_role::bridge));
        CHECK(matches({"node", "--no-warnings", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js", "--remote-control", "x"},
                      process_role::bridge));
        CHECK(matches({"/usr/bin/node22", "/usr/local/bin/claude", "remote-control"}, process_role::bridge));

        CHECK_FALSE(matches({"/usr/local/bin/claude", "--bg", "--rc", "x"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "--rc", "x"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "--bg", "--", "remote-control"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "--bg", "--remote-control", "x"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "remote-controls"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/bin/sleep", "remote-control"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/bin/python3", "/opt/claude/tool.py", "remote-control"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/bin/node", "/srv/app.js", "claude", "remote-control"}, process_role::bridge));
        CHECK_FALSE(matches({"/usr/bin/clauster", "__pty-keeper__", "--", "/usr/bin/claude", "--remote-control", "x"},
                            process_role::bridge));
        CHECK_FALSE(matches({}, process_role::bridge));
    }
    SECTION("standard_bridge") {
        CHECK(matches({"/usr/local/bin/claude", "remote-control", "--name", "x", "--spawn", "same-dir",
                       "--remote-control-session-name-prefix", "p"},
                      process_role::standard_bridge));
        CHECK(matches({"/usr/bin/node", "/usr/lib/claude/cli.js", "remote-control"}, process_role::standard_bridge));

        CHECK_FALSE(matches({"/usr/local/bin/claude", "--remote-control", "x"}, process_role::standard_bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "--remote-control", "remote-control"}, process_role::standard_bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "--rc", "x", "remote-control"}, process_role::standard_bridge));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "--bg", "remote-control"}, process_role::standard_bridge));
        CHECK_FALSE(matches({"/usr/bin/sleep", "remote-control"}, process_role::standard_bridge));
    }
    SECTION("keeper") {
        CHECK(matches({"/usr/bin/clauster", "__pty-keeper__", "--sidecar", "s.json", "--", "/usr/bin/claude", "--remote-control", "x"},
                      process_role::keeper));

        CHECK_FALSE(matches({"/usr/bin/clauster", "serve"}, process_role::keeper));
        CHECK_FALSE(matches({"/usr/local/bin/claude", "--remote-control", "__pty-keeper__"}, process_role::keeper));
        CHECK_FALSE(matches({"/usr/bin/clauster", "run", "--", "__pty-keeper__"}, process_role::keeper));
        CHECK_FALSE(matches({}, process_role::keeper));
    }
    SECTION("claude_process") {
        CHECK(matches({"/usr/local/bin/claude", "--bg", "--rc", "x"}, process_role::claude_process));
        CHECK(matches({"/usr/bin/node", "/opt/claude-code/cli.js"}, process_role::claude_process));

        CHECK_FALSE(matches({"/usr/bin/sleep", "30"}, process_role::claude_process));
        CHECK_FALSE(matches({"/usr/bin/node", "/srv/app.js", "claude"}, process_role::claude_process));
        CHECK_FALSE(matches({}, process_role::claude_process));
    }
}

//------------------------------------------------------------------------------

TEST_CASE_METHOD(executor_fixture, "kill_tree kills the group, the grandchildren and descendants that left the group",
                 "[core]") {
    // A shell named claude: children (sleep, sh), a grandchild (sleep under the
    // inner sh), and a descendant in its own session (setsid sleep).
    const auto shell = claude_named_shell();
    const auto root =
        launch_ok(request({shell.string(), "-c", "/bin/sleep 30 & /bin/sh -c '/bin/sleep 30 & wait' & /usr/bin/setsid /bin/sleep 30 & wait"}));
    REQUIRE(exec.is_live(root, process_role::claude_process));

    std::vector<int> tree;
    REQUIRE(eventually([&] {
        tree = exec.descendants(root.pid);
        if (tree.size() != 4) return false;
        const auto sleeps = std::count_if(tree.begin(), tree.end(), [](int p) {
            const auto argv = read_cmdline(p);
            return argv && argv->size() == 2 && (*argv)[0] == "/bin/sleep";
        });
        return sleeps == 3;
    }));
    // Children come first.
    CHECK(read_proc_stat(tree[0])->ppid == root.pid);
    CHECK(read_proc_stat(tree[3])->ppid != root.pid);
    // One descendant left the group.
    CHECK(std::any_of(tree.begin(), tree.end(), [&](int p) { return read_proc_stat(p)->pgrp != root.pid; }));

    SECTION("with its true identity") {
        REQUIRE(exec.kill_tree(root, process_role::claude_process));
        const auto status = wait_exit(root);
        REQUIRE(status);
        CHECK(status->signal == SIGKILL);
        for (const int pid : tree) CHECK(eventually([&] { return has_exited(pid); }));
    }
    SECTION("never with a stale identity") {
        auto recycled = root;
        *recycled.start_ticks += 1;
        const auto killed = exec.kill_tree(recycled, process_role::claude_process);
        REQUIRE_FALSE(killed);
        CHECK(killed.error().code == make_error_code(errc::not_found));
        std::this_thread::sleep_for(20ms);
        CHECK(exec.is_live(root, process_role::claude_process));
        for (const int pid : tree) CHECK_FALSE(has_exited(pid));
        REQUIRE(exec.kill_tree(root, process_role::claude_process));  // clean up the setsid sleep too
        REQUIRE(wait_exit(root));
    }
}
