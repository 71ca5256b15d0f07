// Tests of the fake `claude` itself: it is run as a real process (posix_spawn)
// in a temporary HOME and project directory, exactly as clauster runs it.

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using clauster::test::read_file;

const std::string fake_claude = CLAUSTER_TEST_FAKE_CLAUDE;

using env_overrides = std::vector<std::pair<std::string, std::string>>;

//------------------------------------------------------------------------------
// /proc helpers (re-implemented here on purpose, not shared with the fake).

struct stat_fields {
    char state = '?';
    pid_t ppid = 0;
    std::string start_ticks;
};

std::optional<stat_fields> proc_stat_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    if (!in) return std::nullopt;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(text.substr(close + 2));
    std::vector<std::string> fields;
    for (std::string field; rest >> field;) fields.push_back(field);
    if (fields.size() < 20) return std::nullopt;
    // Fields 3 (state), 4 (ppid) and 22 (starttime).
    return stat_fields{fields[0].empty() ? '?' : fields[0][0], static_cast<pid_t>(std::stoi(fields[1])), fields[19]};
}

/// /proc/<pid>/cmdline split at its NULs.
std::vector<std::string> cmdline_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
    return args;
}

/// The target of /proc/<pid>/cwd ("" when unreadable).
std::string cwd_of(pid_t pid) {
    std::error_code ec;
    const auto target = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
    return ec ? std::string() : target.string();
}

/// Every process whose parent is @p parent, zombies included.
std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> children;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto pid = static_cast<pid_t>(std::stoi(name));
        if (auto stat = proc_stat_of(pid); stat && stat->ppid == parent) children.push_back(pid);
    }
    return children;
}

/// True once @p pid is no child of this process any more, not even a zombie one
/// (waitpid fails with ECHILD). Under a child_subreaper this proves that whoever
/// parented @p pid reaped it before exiting.
bool not_our_child(pid_t pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

/// Makes this process the child subreaper while in scope: orphans of the fakes it
/// spawns are re-parented here instead of to init, so an unreaped worker would show.
class child_subreaper {
public:
    child_subreaper() { REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0); }
    ~child_subreaper() {
        ::prctl(PR_SET_CHILD_SUBREAPER, 0);
        int status = 0;
        while (::waitpid(-1, &status, WNOHANG) > 0) {
        }
    }
    child_subreaper(const child_subreaper&) = delete;
    child_subreaper& operator=(const child_subreaper&) = delete;
};

bool alive(pid_t pid, const std::string& ticks = {}) {
    auto stat = proc_stat_of(pid);
    return stat && stat->state != 'Z' && stat->state != 'X' && (ticks.empty() || stat->start_ticks == ticks);
}

std::string sanitized(const std::string& path) {
    std::string out = path;
    for (char& c : out)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '-';
    return out;
}

std::optional<json::value> read_json(const fs::path& path) {
    const std::string text = read_file(path);
    if (text.empty()) return std::nullopt;
    std::error_code ec;
    auto value = json::parse(text, ec);
    if (ec) return std::nullopt;
    return value;
}

json::object read_object(const fs::path& path) {
    auto value = read_json(path);
    REQUIRE(value);
    REQUIRE(value->is_object());
    return value->as_object();
}

std::string str(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string("<missing>");
}

/// Polls @p predicate every 10 ms until it holds or @p timeout passes.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (predicate()) return true;
        if (steady::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
}

/// Lets @p duration pass (used only to prove that something did NOT happen).
void let_pass(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

/// Under a child_subreaper: true once the orphan @p pid, adopted here when its parent
/// died, has been killed by SIGKILL (its PDEATHSIG) and reaped, within @p timeout.
bool orphan_killed(pid_t pid, std::chrono::milliseconds timeout) {
    int status = 0;
    if (!eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout)) return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

bool contains_arg(const std::vector<std::string>& args, std::string_view arg) {
    return std::find(args.begin(), args.end(), arg) != args.end();
}

//------------------------------------------------------------------------------
// A temporary HOME and project directory; kills whatever fake process is left.

class sandbox {
public:
    sandbox() {
        fs::create_directories(home_);
        fs::create_directories(project_);
    }
    ~sandbox() { kill_leftovers(); }
    sandbox(const sandbox&) = delete;
    sandbox& operator=(const sandbox&) = delete;

    const fs::path& root() const { return root_.path(); }
    const fs::path& home() const { return home_; }
    const fs::path& project() const { return project_; }
    fs::path claude() const { return home_ / ".claude"; }
    fs::path pointer() const { return pointer_for(project_); }
    fs::path pointer_for(const fs::path& cwd) const {
        return claude() / "projects" / sanitized(cwd.string()) / "bridge-pointer.json";
    }
    fs::path sessions() const { return claude() / "fake" / "sessions"; }
    fs::path session_record(pid_t pid) const { return sessions() / (std::to_string(pid) + ".json"); }
    bool no_session_records() const {
        std::error_code ec;
        return fs::is_empty(sessions(), ec) || ec;
    }

    /// A fresh file name under the sandbox root.
    fs::path file(std::string_view stem) { return root() / (std::string(stem) + "-" + std::to_string(++seq_)); }

    /// The test's environment without FAKE_CLAUDE_* knobs, with HOME moved, a short idle cap, and @p overrides.
    std::vector<std::string> environment(const env_overrides& overrides) const {
        std::vector<std::string> env;
        for (char** entry = environ; *entry != nullptr; ++entry) {
            const std::string_view text(*entry);
            if (text.starts_with("FAKE_CLAUDE_") || text.starts_with("HOME=")) continue;
            env.emplace_back(text);
        }
        env.push_back("HOME=" + home_.string());
        bool idle_cap_set = false;
        for (const auto& [key, value] : overrides) {
            env.push_back(key + "=" + value);
            idle_cap_set = idle_cap_set || key == "FAKE_CLAUDE_MAX_IDLE";
        }
        if (!idle_cap_set) env.emplace_back("FAKE_CLAUDE_MAX_IDLE=30");  // nothing outlives a broken test long
        return env;
    }

private:
    void kill_leftovers() const {
        std::vector<std::pair<pid_t, std::string>> targets;
        if (auto roster = read_json(claude() / "daemon" / "roster.json"); roster && roster->is_object()) {
            if (const auto* workers = roster->as_object().if_contains("workers"); workers && workers->is_object())
                for (const auto& [id, worker] : workers->as_object())
                    if (worker.is_object() && worker.as_object().contains("pid"))
                        targets.emplace_back(static_cast<pid_t>(worker.as_object().at("pid").to_number<int>()),
                                             str(worker.as_object(), "procStart"));
        }
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(claude() / "fake" / "sessions", ec)) {
            if (auto record = read_json(entry.path()); record && record->is_object() &&
                                                       record->as_object().contains("pid"))
                targets.emplace_back(static_cast<pid_t>(record->as_object().at("pid").to_number<int>()),
                                     str(record->as_object(), "procStart"));
        }
        for (const auto& [pid, ticks] : targets)
            if (pid > 0 && alive(pid, ticks)) ::kill(pid, SIGKILL);
    }

    clauster::test::temp_dir root_{"fake-claude"};
    fs::path home_ = root_ / "home";
    fs::path project_ = root_ / "my.project dir";
    int seq_ = 0;
};

//------------------------------------------------------------------------------
// One spawned fake; SIGKILLed and reaped on destruction if still running.

class fake_process {
public:
    fake_process(sandbox& box, const std::vector<std::string>& args, const env_overrides& overrides = {},
                 std::optional<fs::path> cwd = std::nullopt)
        : out_(box.file("stdout")), err_(box.file("stderr")) {
        std::vector<std::string> argv{fake_claude};
        argv.insert(argv.end(), args.begin(), args.end());
        auto env = box.environment(overrides);
        std::vector<char*> argv_ptrs;
        for (auto& arg : argv) argv_ptrs.push_back(arg.data());
        argv_ptrs.push_back(nullptr);
        std::vector<char*> env_ptrs;
        for (auto& entry : env) env_ptrs.push_back(entry.data());
        env_ptrs.push_back(nullptr);
        const fs::path dir = cwd.value_or(box.project());

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int rc = ::posix_spawn(&pid_, argv_ptrs[0], &actions, nullptr, argv_ptrs.data(), env_ptrs.data());
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(rc == 0);
    }
    ~fake_process() {
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    fake_process(const fake_process&) = delete;
    fake_process& operator=(const fake_process&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const {
        if (!reaped_) ::kill(pid_, sig);
    }

    /// Waits up to @p timeout; @return the exit status (128 + n for signal n), or nullopt while running.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        if (reaped_) return code_;
        eventually(
            [&] {
                int status = 0;
                if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
                reaped_ = true;
                code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return true;
            },
            timeout);
        return reaped_ ? std::optional<int>(code_) : std::nullopt;
    }
    bool running() { return !wait(0ms).has_value(); }

    std::string out() const { return read_file(out_); }
    std::string err() const { return read_file(err_); }

private:
    fs::path out_;
    fs::path err_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    int code_ = -1;
};

struct run_output {
    int code = -1;
    std::string out;
    std::string err;
};

/// Runs a short-lived command to completion (at most @p timeout).
run_output run_fake(sandbox& box, const std::vector<std::string>& args, const env_overrides& overrides = {},
                    std::chrono::milliseconds timeout = 5s) {
    fake_process process(box, args, overrides);
    const auto code = process.wait(timeout);
    REQUIRE(code.has_value());
    return {*code, process.out(), process.err()};
}

bool has_line_matching(const std::string& text, const std::string& pattern) {
    return std::regex_search(text, std::regex(pattern));
}

constexpr std::string_view poll_loop = "[bridge:work] Starting poll loop";
constexpr std::string_view bridge_ready = "Remote Control is active.";

/// The SDK worker child of @p bridge once it has written its session record (0 if none within 5 s).
pid_t registered_worker(const sandbox& box, pid_t bridge) {
    pid_t found = 0;
    eventually([&] {
        for (const pid_t child : children_of(bridge)) {
            if (alive(child) && fs::exists(box.session_record(child))) {
                found = child;
                return true;
            }
        }
        return false;
    });
    return found;
}

/// `agents --json` as an array.
json::array list_agents(sandbox& box, const env_overrides& overrides = {}) {
    const auto result = run_fake(box, {"agents", "--json"}, overrides);
    REQUIRE(result.code == 0);
    auto value = json::parse(result.out);
    REQUIRE(value.is_array());
    return value.as_array();
}

//------------------------------------------------------------------------------

TEST_CASE("version: --version prints the pinned Claude Code version", "[fake]") {
    sandbox box;
    const auto result = run_fake(box, {"--version"});
    CHECK(result.code == 0);
    CHECK(result.out == "2.1.156 (Claude Code)\n");
}

TEST_CASE("unknown arguments are refused with exit 2", "[fake]") {
    sandbox box;
    const auto result = run_fake(box, {"frobnicate", "--x"});
    CHECK(result.code == 2);
    CHECK(contains(result.err, "fake-claude: unknown args ['frobnicate', '--x']"));
    CHECK(run_fake(box, {}).code == 2);
}

TEST_CASE("remote-control: argv, markers, pointer, clean stop", "[fake]") {
    sandbox box;
    const child_subreaper reaper;
    const auto log = box.root() / "alpha-1-1.log";
    clauster::test::write_file(log, "");
    const std::vector<std::string> args{"remote-control", "--name", "alpha", "--debug-file", log.string(),
                                        "--spawn", "same-dir", "--permission-mode", "acceptEdits", "--capacity", "4"};
    fake_process bridge(box, args);
    REQUIRE(eventually([&] { return contains(read_file(log), poll_loop); }));

    // argv.json: the full argv, argv[0] included.
    auto argv_json = read_json(log.string() + ".argv.json");
    REQUIRE(argv_json);
    REQUIRE(argv_json->is_array());
    const auto& recorded = argv_json->as_array();
    REQUIRE(recorded.size() == args.size() + 1);
    CHECK(recorded[0].as_string() == fake_claude);
    for (std::size_t i = 0; i < args.size(); ++i) CHECK(recorded[i + 1].as_string() == args[i]);

    // The marker lines, read with the spec's regexes.
    const std::string text = read_file(log);
    CHECK(has_line_matching(text, R"(\[bridge:init\].*bridgeId=11111111-2222-3333-4444-555555555555)"));
    CHECK(has_line_matching(text, R"(environment_id=env_01TESTENVAAAAAAAAAAAAAAAA)"));
    CHECK(has_line_matching(text, R"(Created initial session session_01TESTSTARTERAAAAAAAAAA)"));
    CHECK(has_line_matching(text, R"(\[bridge:work\].*Starting poll loop.*spawnMode=same-dir maxSessions=4 )"
                                  R"(environmentId=env_01TESTENVAAAAAAAAAAAAAAAA)"));
    CHECK(has_line_matching(text, R"(^2026-01-01T00:00:00\.000Z \[DEBUG\] \[bridge:init\])"));
    CHECK_FALSE(contains(text, "[bridge:shutdown]"));

    // The pointer: own pid and Linux start ticks.
    REQUIRE(eventually([&] { return fs::exists(box.pointer()); }));
    const auto pointer = read_object(box.pointer());
    CHECK(str(pointer, "sessionId") == "session_01TESTSTARTERAAAAAAAAAA");
    CHECK(str(pointer, "environmentId") == "env_01TESTENVAAAAAAAAAAAAAAAA");
    CHECK(str(pointer, "source") == "remote-control");
    CHECK(pointer.at("pid").as_int64() == bridge.pid());
    CHECK(str(pointer, "procStart") == proc_stat_of(bridge.pid())->start_ticks);
    REQUIRE(eventually([&] { return contains(bridge.out(), bridge_ready); }));
    CHECK(contains(bridge.out(), "https://claude.ai/code?environment=env_01TESTENVAAAAAAAAAAAAAAAA"));

    // The session runs in one SDK worker child, registered before the bridge says it is active.
    const auto children = children_of(bridge.pid());
    REQUIRE(children.size() == 1);
    const pid_t worker = children.front();
    CHECK(fs::exists(box.session_record(worker)));
    const std::vector<std::string> worker_argv{fake_claude,           "--print",
                                               "--sdk-url",           "wss://fake.invalid/session",
                                               "--fake-parent-pid",   std::to_string(bridge.pid()),
                                               "--fake-session-name", "alpha"};
    CHECK(cmdline_of(worker) == worker_argv);
    CHECK(cwd_of(worker) == box.project().string());
    CHECK(str(read_object(box.session_record(worker)), "procStart") == proc_stat_of(worker)->start_ticks);

    // A clean stop ends the worker and reaps it before the bridge exits.
    const auto worker_stopped = [&] {
        CHECK_FALSE(alive(worker));
        CHECK(not_our_child(worker));
        CHECK(box.no_session_records());
    };
    SECTION("SIGINT") {
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
        CHECK(contains(read_file(log), "[bridge:shutdown] SIGINT received, shutting down"));
        CHECK_FALSE(fs::exists(box.pointer()));
        worker_stopped();
    }
    SECTION("SIGTERM") {
        bridge.signal(SIGTERM);
        CHECK(bridge.wait(3s) == 0);
        CHECK(contains(read_file(log), "[bridge:shutdown] SIGTERM received, shutting down"));
        CHECK_FALSE(fs::exists(box.pointer()));
        worker_stopped();
    }
    SECTION("SIGHUP is ignored") {
        bridge.signal(SIGHUP);
        let_pass(200ms);
        CHECK(bridge.running());
        CHECK(alive(worker));
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
        worker_stopped();
    }
    SECTION("SIGKILL: the worker dies with the bridge (PDEATHSIG), its record left behind") {
        bridge.signal(SIGKILL);
        REQUIRE(bridge.wait(3s).has_value());
        CHECK(orphan_killed(worker, 2s));
        CHECK(fs::exists(box.session_record(worker)));
        CHECK(list_agents(box).empty());
    }
}

TEST_CASE("remote-control modes", "[fake]") {
    sandbox box;
    const child_subreaper reaper;
    const auto log = box.root() / "beta-1-1.log";
    clauster::test::write_file(log, "");
    const std::vector<std::string> args{"remote-control", "--name", "beta", "--debug-file", log.string(),
                                        "--spawn", "session"};
    const auto mode = [](std::string name) { return env_overrides{{"FAKE_CLAUDE_MODE", std::move(name)}}; };

    SECTION("resume: no 'Created initial session', pointer still written") {
        fake_process bridge(box, args, mode("resume"));
        REQUIRE(eventually([&] { return fs::exists(box.pointer()); }));
        const auto text = read_file(log);
        CHECK(contains(text, poll_loop));
        CHECK(contains(text, "spawnMode=session maxSessions=1"));
        CHECK_FALSE(contains(text, "Created initial session"));
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
    }
    SECTION("slow: markers only after FAKE_CLAUDE_SLOW") {
        const auto start = steady::now();
        fake_process bridge(box, args, {{"FAKE_CLAUDE_MODE", "slow"}, {"FAKE_CLAUDE_SLOW", "0.4"}});
        REQUIRE(eventually([&] { return contains(read_file(log), poll_loop); }));
        CHECK(steady::now() - start >= 350ms);
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
    }
    SECTION("no_marker: exits 0 before the poll loop") {
        fake_process bridge(box, args, mode("no_marker"));
        CHECK(bridge.wait(3s) == 0);
        const auto text = read_file(log);
        CHECK(contains(text, "Created initial session"));
        CHECK_FALSE(contains(text, poll_loop));
        CHECK_FALSE(fs::exists(box.pointer()));
    }
    SECTION("stall: alive, never ready, no shutdown marker") {
        fake_process bridge(box, args, mode("stall"));
        REQUIRE(eventually([&] { return contains(read_file(log), "Failed to read OAuth token"); }));
        let_pass(200ms);
        CHECK(bridge.running());
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
        const auto text = read_file(log);
        CHECK_FALSE(contains(text, poll_loop));
        CHECK_FALSE(contains(text, "[bridge:shutdown]"));
        CHECK_FALSE(fs::exists(box.pointer()));
    }
    SECTION("trust_error") {
        fake_process bridge(box, args, mode("trust_error"));
        CHECK(bridge.wait(3s) == 1);
        CHECK(std::regex_search(read_file(log), std::regex("workspace not trusted", std::regex::icase)));
    }
    SECTION("crash: exit 1 at once, argv still recorded") {
        fake_process bridge(box, args, mode("crash"));
        CHECK(bridge.wait(3s) == 1);
        CHECK(read_file(log).empty());
        CHECK(fs::exists(log.string() + ".argv.json"));
    }
    SECTION("stderr_error") {
        fake_process bridge(box, args, mode("stderr_error"));
        CHECK(bridge.wait(3s) == 1);
        CHECK(contains(bridge.err(), "failed to authenticate bridge to controller (HTTP 401)"));
    }
    SECTION("crash_after: ready, then exit 1 leaving a stale pointer") {
        fake_process bridge(box, args, {{"FAKE_CLAUDE_MODE", "crash_after"}, {"FAKE_CLAUDE_CRASH_AFTER", "0.3"}});
        REQUIRE(eventually([&] { return fs::exists(box.pointer()); }));
        const pid_t worker = registered_worker(box, bridge.pid());
        REQUIRE(worker > 0);
        CHECK(bridge.wait(3s) == 1);
        CHECK_FALSE(contains(read_file(log), "[bridge:shutdown]"));
        CHECK(read_object(box.pointer()).at("pid").as_int64() == bridge.pid());
        // PDEATHSIG ends the worker; its record stays behind, stale.
        CHECK(orphan_killed(worker, 2s));
        CHECK(fs::exists(box.session_record(worker)));
        CHECK(list_agents(box).empty());
    }
    SECTION("FAKE_CLAUDE_NO_POINTER") {
        fake_process bridge(box, args, {{"FAKE_CLAUDE_NO_POINTER", "1"}});
        REQUIRE(eventually([&] { return contains(read_file(log), poll_loop); }));
        let_pass(100ms);
        CHECK_FALSE(fs::exists(box.pointer()));
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
    }
    SECTION("the idle cap stops it, and its worker") {
        fake_process bridge(box, args, {{"FAKE_CLAUDE_MAX_IDLE", "0.5"}});
        const pid_t worker = registered_worker(box, bridge.pid());
        REQUIRE(worker > 0);
        CHECK(bridge.wait(3s) == 0);
        CHECK(contains(read_file(log), "[bridge:shutdown] idle timeout reached, shutting down"));
        CHECK_FALSE(alive(worker));
        CHECK(not_our_child(worker));
        CHECK(box.no_session_records());
    }
    SECTION("an unknown mode is refused") {
        fake_process bridge(box, args, mode("bogus"));
        CHECK(bridge.wait(3s) == 2);
    }
}

TEST_CASE("flag form: connect URL on the terminal, two SIGINTs to exit", "[fake]") {
    sandbox box;
    const auto log = box.root() / "gamma-1-1.log";
    const std::vector<std::string> args{"--remote-control", "gamma", "--debug-file", log.string(),
                                        "--permission-mode", "default"};
    fake_process tui(box, args, {{"FAKE_CLAUDE_SIGINT_WINDOW", "0.3"}});
    REQUIRE(eventually([&] { return contains(tui.out(), "https://claude.ai/code/session_01TESTPTYSESSIONAAAAA"); }));
    CHECK(contains(tui.out(), "\r\n/remote-control is active \xc2\xb7 Continue at "));
    auto argv_json = read_json(log.string() + ".argv.json");
    REQUIRE(argv_json);
    CHECK(argv_json->as_array().size() == args.size() + 1);

    SECTION("a lone SIGINT only asks for confirmation") {
        tui.signal(SIGINT);
        REQUIRE(eventually([&] { return contains(tui.out(), "Press Ctrl-C again to exit"); }));
        let_pass(600ms);  // the confirmation window (0.3 s) lapses
        CHECK(tui.running());
        // A new pair, the second inside the window, exits 0.
        tui.signal(SIGINT);
        REQUIRE(eventually([&] {
            const auto out = tui.out();
            return out.find("Press Ctrl-C again") != out.rfind("Press Ctrl-C again");
        }));
        tui.signal(SIGINT);
        CHECK(tui.wait(3s) == 0);
    }
    SECTION("SIGTERM exits at once") {
        tui.signal(SIGTERM);
        CHECK(tui.wait(3s) == 0);
    }
}

TEST_CASE("flag form modes", "[fake]") {
    sandbox box;
    const std::vector<std::string> args{"--remote-control", "delta"};
    constexpr std::string_view url = "https://claude.ai/code/session_";

    SECTION("crash") {
        fake_process tui(box, args, {{"FAKE_CLAUDE_MODE", "crash"}});
        CHECK(tui.wait(3s) == 1);
    }
    SECTION("pty_no_url") {
        fake_process tui(box, args, {{"FAKE_CLAUDE_MODE", "pty_no_url"}});
        let_pass(300ms);
        CHECK(tui.running());
        CHECK_FALSE(contains(tui.out(), url));
    }
    SECTION("pty_slow") {
        const auto start = steady::now();
        fake_process tui(box, args, {{"FAKE_CLAUDE_MODE", "pty_slow"}, {"FAKE_CLAUDE_SLOW", "0.4"}});
        REQUIRE(eventually([&] { return contains(tui.out(), url); }));
        CHECK(steady::now() - start >= 350ms);
    }
    SECTION("crash_after") {
        fake_process tui(box, args, {{"FAKE_CLAUDE_MODE", "crash_after"}, {"FAKE_CLAUDE_CRASH_AFTER", "0.3"}});
        REQUIRE(eventually([&] { return contains(tui.out(), url); }));
        CHECK(tui.wait(3s) == 1);
    }
}

TEST_CASE("agents --json lists bridge sessions (SDK workers) and flag-form sessions", "[fake]") {
    sandbox box;
    const child_subreaper reaper;
    const auto log = box.root() / "eps-1-1.log";
    fake_process bridge(box, {"remote-control", "--name", "eps", "--debug-file", log.string()});
    const auto wt_log = box.root() / "eps-wt.log";
    fake_process tui(box, {"--remote-control", "eps-pty", "--debug-file", wt_log.string(), "--worktree",
                           "clauster-0123abcd", "--continue"});
    const auto worktree = box.project() / ".claude" / "worktrees" / "clauster-0123abcd";
    REQUIRE(eventually([&] { return contains(tui.out(), "https://claude.ai/code/"); }));
    REQUIRE(eventually([&] { return contains(read_file(log), poll_loop); }));
    CHECK(fs::is_directory(worktree));
    CHECK(contains(read_file(wt_log), "[remote-bridge] Unarchive session_01TESTPTYSESSIONAAAAA"));

    const auto listed = [&] { return list_agents(box); };
    json::array items;
    REQUIRE(eventually([&] {
        items = listed();
        return items.size() == 2;
    }));
    // The bridge is listed through its SDK worker child, never itself.
    pid_t worker = 0;
    bool saw_tui = false;
    for (const auto& value : items) {
        const auto& item = value.as_object();
        CHECK(std::regex_match(str(item, "sessionId"),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
        CHECK(item.at("startedAt").as_int64() > 0);
        CHECK(str(item, "state") == "working");
        CHECK(str(item, "kind") == "interactive");
        const auto pid = static_cast<pid_t>(item.at("pid").as_int64());
        CHECK(pid != bridge.pid());
        if (pid == tui.pid()) {
            saw_tui = true;
            CHECK(str(item, "cwd") == worktree.string());
            CHECK(str(item, "name") == "eps-pty");
        } else {
            worker = pid;
            const auto stat = proc_stat_of(pid);
            REQUIRE(stat);
            CHECK(stat->ppid == bridge.pid());
            CHECK(contains_arg(cmdline_of(pid), "--sdk-url"));
            CHECK(str(item, "cwd") == box.project().string());
            CHECK(str(item, "name") == "eps");
        }
    }
    REQUIRE(worker > 0);
    CHECK(saw_tui);

    SECTION("a stopped bridge disappears, its worker reaped") {
        bridge.signal(SIGINT);
        REQUIRE(bridge.wait(3s) == 0);
        CHECK_FALSE(alive(worker));
        CHECK(not_our_child(worker));
        CHECK(listed().size() == 1);
    }
    SECTION("a bridge killed without cleanup: the worker dies too, its record is filtered by liveness") {
        bridge.signal(SIGKILL);
        REQUIRE(bridge.wait(3s).has_value());
        CHECK(orphan_killed(worker, 2s));
        CHECK(fs::exists(box.session_record(worker)));
        CHECK(listed().size() == 1);
    }
    SECTION("FAKE_CLAUDE_AGENTS is printed verbatim") {
        const auto result = run_fake(box, {"agents", "--json"}, {{"FAKE_CLAUDE_AGENTS", "{not json"}});
        CHECK(result.code == 0);
        CHECK(result.out == "{not json");
    }
    SECTION("FAKE_CLAUDE_AGENTS_FILE is printed verbatim, with FAKE_CLAUDE_AGENTS_EXIT") {
        // Larger than any environment variable may be, with bytes no text path would keep.
        std::string content = "[";
        while (content.size() < (4U << 20U)) content += R"({"pid":1,"kind":"interactive","cwd":"/x"},)";
        content += std::string("\0\r\n\xff", 4);
        const auto file = box.file("agents");
        clauster::test::write_file(file, content);
        const auto result = run_fake(box, {"agents", "--json"},
                                     {{"FAKE_CLAUDE_AGENTS_FILE", file.string()}, {"FAKE_CLAUDE_AGENTS_EXIT", "3"}});
        CHECK(result.code == 3);
        CHECK(result.out.size() == content.size());
        CHECK(result.out == content);
        const auto missing =
            run_fake(box, {"agents", "--json"}, {{"FAKE_CLAUDE_AGENTS_FILE", (box.root() / "missing.json").string()}});
        CHECK(missing.code == 1);
        CHECK(missing.out.empty());
        CHECK(contains(missing.err, "FAKE_CLAUDE_AGENTS_FILE"));
    }
    SECTION("FAKE_CLAUDE_AGENTS_SLEEP delays every form") {
        const auto timed = [&](const env_overrides& overrides) {
            const auto start = steady::now();
            const auto result = run_fake(box, {"agents", "--json"}, overrides);
            return std::pair<run_output, steady::duration>(result, steady::now() - start);
        };
        const auto [real, real_took] = timed({{"FAKE_CLAUDE_AGENTS_SLEEP", "0.4"}});
        CHECK(real_took >= 350ms);
        CHECK(real.code == 0);
        CHECK(json::parse(real.out).as_array().size() == 2);
        const auto [injected, injected_took] =
            timed({{"FAKE_CLAUDE_AGENTS_SLEEP", "0.4"}, {"FAKE_CLAUDE_AGENTS", "[]"}});
        CHECK(injected_took >= 350ms);
        CHECK(injected.out == "[]");
        SECTION("killed while sleeping") {
            fake_process slow(box, {"agents", "--json"}, {{"FAKE_CLAUDE_AGENTS_SLEEP", "30"}});
            let_pass(100ms);
            CHECK(slow.running());
            slow.signal(SIGTERM);
            CHECK(slow.wait(2s) == 128 + SIGTERM);
            CHECK(slow.out().empty());
        }
    }
    SECTION("FAKE_CLAUDE_AGENTS_SHAPE wraps the list") {
        const auto result = run_fake(box, {"agents", "--json"}, {{"FAKE_CLAUDE_AGENTS_SHAPE", "sessions"}});
        const auto value = json::parse(result.out);
        CHECK(value.as_object().at("sessions").as_array().size() == 2);
    }
}

TEST_CASE("remote-control: the SDK worker child", "[fake]") {
    sandbox box;
    const child_subreaper reaper;
    const auto ready = [](const fake_process& bridge) {
        return eventually([&] { return contains(bridge.out(), bridge_ready); });
    };

    SECTION("--spawn worktree runs it in a fresh worktree; the name defaults to the directory's") {
        fake_process bridge(box, {"remote-control", "--spawn", "worktree"});
        REQUIRE(ready(bridge));
        const pid_t worker = registered_worker(box, bridge.pid());
        REQUIRE(worker > 0);
        const auto record = read_object(box.session_record(worker));
        const fs::path cwd = str(record, "cwd");
        CHECK(cwd.parent_path() == box.project() / ".claude" / "worktrees");
        CHECK(std::regex_match(cwd.filename().string(), std::regex("fake-[0-9a-f]{8}")));
        CHECK(fs::is_directory(cwd));
        CHECK(cwd_of(worker) == cwd.string());
        CHECK(str(record, "name") == box.project().filename().string());
        const auto items = list_agents(box);
        REQUIRE(items.size() == 1);
        CHECK(str(items[0].as_object(), "cwd") == cwd.string());
        CHECK(str(items[0].as_object(), "kind") == "interactive");
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
        CHECK(not_our_child(worker));
        CHECK(box.no_session_records());
    }
    SECTION("FAKE_CLAUDE_NO_SESSION_WORKER: no child, nothing listed") {
        fake_process bridge(box, {"remote-control", "--name", "solo"}, {{"FAKE_CLAUDE_NO_SESSION_WORKER", "1"}});
        REQUIRE(ready(bridge));
        CHECK(children_of(bridge.pid()).empty());
        CHECK(list_agents(box).empty());
        CHECK(fs::exists(box.pointer()));
        bridge.signal(SIGINT);
        CHECK(bridge.wait(3s) == 0);
    }
    SECTION("a worker that exits on its own is reaped by the bridge, which stays up") {
        fake_process bridge(box, {"remote-control"});
        REQUIRE(ready(bridge));
        const pid_t worker = registered_worker(box, bridge.pid());
        REQUIRE(worker > 0);
        ::kill(worker, SIGKILL);
        CHECK(eventually([&] { return children_of(bridge.pid()).empty(); }, 3s));
        CHECK(bridge.running());
        bridge.signal(SIGTERM);
        CHECK(bridge.wait(3s) == 0);
    }
    SECTION("the worker takes SIGINT even when its bridge ignores it") {
        fake_process bridge(box, {"remote-control"}, {{"FAKE_CLAUDE_MODE", "ignore_sigint"}});
        REQUIRE(ready(bridge));
        const pid_t worker = registered_worker(box, bridge.pid());
        REQUIRE(worker > 0);
        bridge.signal(SIGINT);
        let_pass(200ms);
        CHECK(bridge.running());
        CHECK(alive(worker));
        ::kill(worker, SIGINT);
        CHECK(eventually([&] { return !fs::exists(box.session_record(worker)); }));
        CHECK(eventually([&] { return children_of(bridge.pid()).empty(); }, 3s));
        CHECK(list_agents(box).empty());
        bridge.signal(SIGTERM);
        CHECK(bridge.wait(3s) == 0);
    }
    SECTION("a worker whose parent is not the named bridge does not register") {
        const auto result = run_fake(box, {"--print", "--sdk-url", "wss://fake.invalid/session", "--fake-parent-pid",
                                           "1", "--fake-session-name", "stray"});
        CHECK(result.code == 0);
        CHECK(box.no_session_records());
    }
}

TEST_CASE("background: --bg dispatch, worker lifecycle, two-SIGINT stop, rm", "[fake]") {
    sandbox box;
    const env_overrides knobs{{"FAKE_CLAUDE_JOB_ID", "0badcafe"}, {"FAKE_CLAUDE_BG_WORK", "0.5"}};
    const auto dispatched = run_fake(box,
                                     {"--bg", "--rc", "alpha-bg", "--model", "sonnet", "--permission-mode",
                                      "acceptEdits", "--", "fix", "the", "flaky", "test"},
                                     knobs);
    REQUIRE(dispatched.code == 0);
    std::smatch match;
    REQUIRE(std::regex_search(dispatched.out, match, std::regex(R"(backgrounded[^\n0-9a-f]*([0-9a-f]{8})\b)")));
    const std::string id = match[1];
    CHECK(id == "0badcafe");
    CHECK(dispatched.out == "backgrounded \xc2\xb7 0badcafe\n");

    const auto state_path = box.claude() / "jobs" / id / "state.json";
    auto state = read_object(state_path);
    CHECK(str(state, "id") == id);
    CHECK(str(state, "state") == "working");
    CHECK(state.at("result").is_null());
    CHECK(str(state, "intent") == "fix the flaky test");
    CHECK(str(state, "name") == "alpha-bg");
    CHECK(str(state, "cwd") == box.project().string());
    CHECK(str(state, "sessionId").starts_with(id + "-"));
    CHECK(str(state, "bridgeSessionId").starts_with("session_01"));
    CHECK(str(state, "model") == "sonnet");
    CHECK(str(state, "permissionMode") == "acceptEdits");
    CHECK(str(state, "cliVersion") == "2.1.156");
    CHECK(state.at("createdAt").as_int64() > 0);
    CHECK(contains(str(state, "transcriptPath"), str(state, "sessionId") + ".jsonl"));

    // The roster names a live worker with its start ticks.
    const auto roster = read_object(box.claude() / "daemon" / "roster.json");
    const auto& worker = roster.at("workers").as_object().at(id).as_object();
    const auto pid = static_cast<pid_t>(worker.at("pid").as_int64());
    const std::string ticks = str(worker, "procStart");
    CHECK(alive(pid, ticks));
    CHECK(proc_stat_of(pid)->start_ticks == ticks);

    // working → done, with a result that redaction has to deal with.
    REQUIRE(eventually([&] { return str(read_object(state_path), "state") == "done"; }));
    state = read_object(state_path);
    const std::string result = str(state, "result");
    CHECK(contains(result, "\x1b["));
    CHECK(std::regex_search(result, std::regex("ghp_[A-Za-z0-9]{36}")));
    CHECK(contains(result, "Bearer "));
    CHECK(state.at("updatedAt").as_int64() >= state.at("createdAt").as_int64());

    // agents --json sees the resident worker.
    const auto agents = json::parse(run_fake(box, {"agents", "--json"}).out).as_array();
    REQUIRE(agents.size() == 1);
    CHECK(str(agents[0].as_object(), "kind") == "background");
    CHECK(agents[0].as_object().at("pid").as_int64() == pid);
    CHECK(str(agents[0].as_object(), "state") == "done");

    // rm refuses while the worker lives.
    const auto refused = run_fake(box, {"rm", id});
    CHECK(refused.code == 1);
    CHECK(contains(refused.err, "couldn't confirm stopped"));
    CHECK(fs::exists(state_path));

    // Two SIGINTs: the first marks it stopping, the second ends it.
    ::kill(pid, SIGINT);
    REQUIRE(eventually([&] { return str(read_object(state_path), "state") == "stopping"; }));
    CHECK(alive(pid, ticks));
    ::kill(pid, SIGINT);
    REQUIRE(eventually([&] { return !alive(pid, ticks); }));
    CHECK(str(read_object(state_path), "state") == "done");
    CHECK_FALSE(read_object(box.claude() / "daemon" / "roster.json").at("workers").as_object().contains(id));

    const auto removed = run_fake(box, {"rm", id});
    CHECK(removed.code == 0);
    CHECK_FALSE(fs::exists(box.claude() / "jobs" / id));
    CHECK(run_fake(box, {"rm", id}).code == 1);
    CHECK(run_fake(box, {"rm", "not-hex!"}).code == 1);
}

TEST_CASE("background: --bg variants", "[fake]") {
    sandbox box;
    const auto worker_of = [&](const std::string& id) {
        const auto roster = read_object(box.claude() / "daemon" / "roster.json");
        const auto& worker = roster.at("workers").as_object().at(id).as_object();
        return std::pair<pid_t, std::string>(static_cast<pid_t>(worker.at("pid").as_int64()),
                                             str(worker, "procStart"));
    };

    SECTION("fail ends in state failed") {
        REQUIRE(run_fake(box, {"--bg", "--", "do it"},
                         {{"FAKE_CLAUDE_JOB_ID", "aaaa0001"}, {"FAKE_CLAUDE_BG_WORK", "0.1"},
                          {"FAKE_CLAUDE_BG_MODE", "fail"}})
                    .code == 0);
        const auto path = box.claude() / "jobs" / "aaaa0001" / "state.json";
        REQUIRE(eventually([&] { return str(read_object(path), "state") == "failed"; }));
        CHECK(contains(str(read_object(path), "result"), "failed"));
        CHECK(read_object(path).at("bridgeSessionId").is_null());
        CHECK(str(read_object(path), "name") == "do-it");
    }
    SECTION("FAKE_CLAUDE_BG_RESULT overrides the result") {
        REQUIRE(run_fake(box, {"--bg", "--", "x"},
                         {{"FAKE_CLAUDE_JOB_ID", "aaaa0002"}, {"FAKE_CLAUDE_BG_WORK", "0.1"},
                          {"FAKE_CLAUDE_BG_RESULT", "all good"}})
                    .code == 0);
        const auto path = box.claude() / "jobs" / "aaaa0002" / "state.json";
        REQUIRE(eventually([&] { return str(read_object(path), "result") == "all good"; }));
    }
    SECTION("dispatch_fail leaves no job") {
        const auto result = run_fake(box, {"--bg", "--", "x"}, {{"FAKE_CLAUDE_BG_MODE", "dispatch_fail"}});
        CHECK(result.code == 1);
        CHECK_FALSE(result.err.empty());
        CHECK(result.out.empty());
        CHECK_FALSE(fs::exists(box.claude() / "jobs"));
    }
    SECTION("ignore_sigint survives any number of SIGINTs") {
        REQUIRE(run_fake(box, {"--bg", "--rc", "stubborn"},
                         {{"FAKE_CLAUDE_JOB_ID", "aaaa0003"}, {"FAKE_CLAUDE_BG_MODE", "ignore_sigint"}})
                    .code == 0);
        const auto [pid, ticks] = worker_of("aaaa0003");
        ::kill(pid, SIGINT);
        let_pass(100ms);
        ::kill(pid, SIGINT);
        let_pass(300ms);
        CHECK(alive(pid, ticks));
        CHECK(str(read_object(box.claude() / "jobs" / "aaaa0003" / "state.json"), "state") == "working");
        ::kill(pid, SIGTERM);
        REQUIRE(eventually([&, p = pid, t = ticks] { return !alive(p, t); }));
        CHECK(str(read_object(box.claude() / "jobs" / "aaaa0003" / "state.json"), "state") == "stopped");
    }
    SECTION("a lone SIGINT lapses back to the previous state") {
        REQUIRE(run_fake(box, {"--bg", "--", "x"},
                         {{"FAKE_CLAUDE_JOB_ID", "aaaa0004"}, {"FAKE_CLAUDE_SIGINT_WINDOW", "0.3"}})
                    .code == 0);
        const auto [pid, ticks] = worker_of("aaaa0004");
        const auto path = box.claude() / "jobs" / "aaaa0004" / "state.json";
        ::kill(pid, SIGINT);
        REQUIRE(eventually([&] { return str(read_object(path), "state") == "stopping"; }));
        REQUIRE(eventually([&] { return str(read_object(path), "state") == "working"; }));
        CHECK(alive(pid, ticks));
    }
    SECTION("rm of a job whose worker is gone removes it") {
        REQUIRE(run_fake(box, {"--bg", "--", "x"}, {{"FAKE_CLAUDE_JOB_ID", "aaaa0005"}}).code == 0);
        const auto [pid, ticks] = worker_of("aaaa0005");
        ::kill(pid, SIGKILL);
        REQUIRE(eventually([&, p = pid, t = ticks] { return !alive(p, t); }));
        CHECK(run_fake(box, {"rm", "aaaa0005"}, {{"FAKE_CLAUDE_RM_MODE", "no_supervisor"}}).code == 1);
        CHECK(run_fake(box, {"rm", "aaaa0005"}).code == 0);
        CHECK_FALSE(fs::exists(box.claude() / "jobs" / "aaaa0005"));
    }
    SECTION("argument checks") {
        CHECK(run_fake(box, {"--bg"}).code == 1);                           // no prompt, no --rc
        CHECK(run_fake(box, {"--bg", "--resume", "nope", "--", "x"}).code == 1);  // not a UUID
        CHECK(run_fake(box, {"--bg", "--model", "--", "x"}).code == 1);     // value looks like a flag
        CHECK(run_fake(box, {"--bg", "--", "x"}, {{"FAKE_CLAUDE_JOB_ID", "XYZ"}}).code == 2);
    }
}

TEST_CASE("auth status --json", "[fake]") {
    sandbox box;
    SECTION("logged in") {
        const auto result = run_fake(box, {"auth", "status", "--json"});
        CHECK(result.code == 0);
        const auto status = json::parse(result.out).as_object();
        CHECK(status.at("loggedIn").as_bool());
        CHECK(str(status, "authMethod") == "claude.ai");
        CHECK(status.at("expiresAt").as_int64() > 0);
    }
    SECTION("logged out") {
        const auto result = run_fake(box, {"auth", "status", "--json"}, {{"FAKE_CLAUDE_AUTH", "logged_out"}});
        CHECK(result.code == 1);
        const auto status = json::parse(result.out).as_object();
        CHECK_FALSE(status.at("loggedIn").as_bool());
        CHECK(str(status, "authMethod") == "none");
    }
    SECTION("error") {
        const auto result = run_fake(box, {"auth", "status", "--json"}, {{"FAKE_CLAUDE_AUTH", "error"}});
        CHECK(result.code == 1);
        CHECK(result.out.empty());
        CHECK_FALSE(result.err.empty());
    }
}

}  // namespace
