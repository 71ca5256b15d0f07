// `clauster sessions [--json]` of the real `clauster` binary against the fake
// `claude` (tests/fake_claude, its `agents --json` surface), with no server
// running. Sessions "started by hand" are the fake claude run directly by the
// test, as a user would in a terminal.

#include "support/api_fixture.hpp"
#include "support/cli_fixture.hpp"
#include "support/fake_claude_setup.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#ifndef CLAUSTER_TEST_FAKE_CLAUDE
#error "CLAUSTER_TEST_FAKE_CLAUDE must name the fake claude binary (link clauster_fake_claude_path)"
#endif

using namespace clauster::test;
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

//------------------------------------------------------------------------------
// Fixture: an installation whose `claude` is the fake, with projects `alpha`
// and `beta` (trusted). On teardown it stops every instance through the CLI,
// then ends every background worker the fake's roster names.

class sessions_installation {
public:
    sessions_installation() {
        use_fake_claude(inst_, {.projects = {"alpha", "beta"}, .trusted = {"alpha", "beta"}});
    }

    ~sessions_installation() {
        try {
            const auto listed = inst_.cli({"status", "--json"});
            if (listed.exit_code == 0) {
                const json::value all = json::parse(listed.out);
                for (const auto& v : all.as_array()) {
                    const auto status = v.at("status").as_string();
                    if (status == "running" || status == "starting")
                        inst_.cli({"stop", std::string(v.at("instance_id").as_string())});
                }
            }
            json::error_code ec;
            const auto roster = json::parse(read_file(inst_.home / ".claude/daemon/roster.json"), ec);
            if (!ec && roster.is_object())
                if (const auto* workers = roster.as_object().if_contains("workers"); workers && workers->is_object())
                    for (const auto& [id, w] : workers->as_object())
                        if (const auto* pid = w.as_object().if_contains("pid"); pid && pid->is_int64())
                            terminate_if_ours(static_cast<int>(pid->as_int64()));
        } catch (...) {  // NOLINT(bugprone-empty-catch): best effort, the idle cap is the backstop
        }
    }

    sessions_installation(const sessions_installation&) = delete;
    sessions_installation& operator=(const sessions_installation&) = delete;

    installation& inst() { return inst_; }
    fs::path dir(const std::string& project) const { return inst_.projects / project; }
    /// The project directory as claude reports it (its getcwd: symlinks resolved).
    std::string real_path(const std::string& project) const { return fs::weakly_canonical(dir(project)).string(); }

    run_result sessions(bool as_json = false) const {
        return inst_.cli(as_json ? std::vector<std::string>{"sessions", "--json"} : std::vector<std::string>{"sessions"});
    }

    /// `clauster sessions --json`, which must succeed.
    json::array sessions_json() const {
        const auto r = sessions(true);
        INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.err.empty());
        auto parsed = json::parse(r.out);
        REQUIRE(parsed.is_array());
        return std::move(parsed.as_array());
    }

    /// Polls `clauster sessions --json` until @p pred holds (at most 10 s).
    template <class Pred>
    json::array wait_sessions(Pred pred) const {
        const auto deadline = steady::now() + 10s;
        for (;;) {
            auto list = sessions_json();
            if (pred(list)) return list;
            if (steady::now() > deadline) FAIL("sessions never matched; last: " << json::serialize(list));
            std::this_thread::sleep_for(50ms);
        }
    }

    /// The fake claude started by hand in @p project with @p args.
    std::unique_ptr<hand_process> by_hand(const std::string& project, std::vector<std::string> args,
                                          const std::string& tag) const {
        return claude_by_hand(inst_, project, std::move(args), tag);
    }

private:
    installation inst_;
};

//------------------------------------------------------------------------------

int pid_of(const json::value& v, std::string_view key = "pid") { return static_cast<int>(v.at(key).as_int64()); }

/// The listed session with pid @p pid, or nullptr.
const json::value* with_pid(const json::array& list, int pid) {
    for (const auto& s : list)
        if (s.at("pid") == json::value(pid)) return &s;
    return nullptr;
}

/// @p s left-aligned in @p width columns.
std::string pad(const std::string& s, std::size_t width) { return s + std::string(width - std::min(width, s.size()), ' '); }

/// One `claude agents --json` item as text.
std::string agents_item(const std::string& pid, const std::string& cwd, const std::string& state = "working") {
    return R"({"pid":)" + pid + R"(,"cwd":)" + cwd + R"(,"kind":"interactive","state":")" + state +
           R"(","sessionId":"aaaaaaaa-0000-4000-8000-000000000001","startedAt":1})";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

/// Exit 1, nothing on stdout, and one `clauster: could not list working sessions: <detail…>` line.
void check_failed(const run_result& r, const std::string& detail_prefix) {
    INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 1);  // never a crash (-1)
    CHECK(r.out.empty());
    const std::string prefix = "clauster: could not list working sessions: " + detail_prefix;
    std::size_t matches = 0;
    for (std::size_t pos = 0; pos < r.err.size();) {
        auto end = r.err.find('\n', pos);
        if (end == std::string::npos) end = r.err.size();
        if (std::string_view(r.err).substr(pos, end - pos).starts_with(prefix)) ++matches;
        pos = end + 1;
    }
    CHECK(matches == 1);
    CHECK(r.err.ends_with("\n"));
}

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE("sessions with no working sessions", "[cli][sessions]") {
    sessions_installation s;
    const auto table = s.sessions();
    CHECK(table.exit_code == 0);
    CHECK(table.out.empty());
    CHECK(table.err == "No working sessions.\n");

    const auto as_json = s.sessions(true);
    CHECK(as_json.exit_code == 0);
    CHECK(as_json.out == "[]\n");
    CHECK(as_json.err.empty());
}

TEST_CASE("sessions lists a session started by hand", "[cli][sessions]") {
    sessions_installation s;
    const auto tui = s.by_hand("alpha", {"--remote-control", "hand"}, "tui");
    const auto list = s.wait_sessions([](const json::array& l) { return !l.empty(); });

    // --json: WorkingSession objects, with their attribution.
    REQUIRE(list.size() == 1);
    const auto& session = list[0];
    check_session_shape(session);
    CHECK(pid_of(session) == tui->pid());
    CHECK(str(session, "cwd") == s.real_path("alpha"));
    CHECK(str(session, "kind") == "interactive");
    CHECK(str(session, "state") == "working");
    CHECK(str(session, "attribution") == "external");
    CHECK(session.at("parent_instance").is_null());
    CHECK(session.at("started_at").as_int64() > 0);
    const auto uuid = str(session, "local_uuid");
    REQUIRE(std::regex_match(uuid, std::regex{"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"}));

    // The table: columns as wide as their widest cell, two spaces apart, no trailing blanks.
    const auto table = s.sessions();
    INFO("stdout:\n" << table.out << "stderr:\n" << table.err);
    CHECK(table.exit_code == 0);
    CHECK(table.err.empty());
    const std::string pid = std::to_string(tui->pid());
    const std::size_t pid_width = std::max<std::size_t>(3, pid.size());
    CHECK(table.out == "SESSION   KIND         STATE    " + pad("PID", pid_width) + "  CWD\n" + uuid.substr(0, 8) +
                           "  interactive  working  " + pad(pid, pid_width) + "  " + s.real_path("alpha") + "\n");
}

TEST_CASE("sessions: an empty kind or state shows as '-'", "[cli][sessions]") {
    sessions_installation s;
    const std::string self = std::to_string(::getpid());
    s.inst().env["FAKE_CLAUDE_AGENTS"] = R"([{"pid":)" + self + R"(,"cwd":)" + quoted(s.real_path("alpha")) +
                                         R"(,"sessionId":"0123456789abcdef","startedAt":5}])";
    const auto table = s.sessions();
    INFO("stdout:\n" << table.out << "stderr:\n" << table.err);
    CHECK(table.exit_code == 0);
    const std::size_t pid_width = std::max<std::size_t>(3, self.size());
    CHECK(table.out == "SESSION   KIND  STATE  " + pad("PID", pid_width) + "  CWD\n" + "01234567  -     -      " +
                           pad(self, pid_width) + "  " + s.real_path("alpha") + "\n");

    const auto list = s.sessions_json();
    REQUIRE(list.size() == 1);
    CHECK(json::serialize(list[0]) == R"({"pid":)" + self + R"(,"cwd":)" + quoted(s.real_path("alpha")) +
                                          R"(,"kind":"","state":"","started_at":5,"local_uuid":"0123456789abcdef",)"
                                          R"("parent_instance":null,"attribution":"external"})");
}

TEST_CASE("sessions attributes each session: tracked, external, untracked", "[cli][sessions]") {
    sessions_installation s;
    s.inst().env["FAKE_CLAUDE_BG_WORK"] = "30";  // the background job keeps working during the test

    // A managed bridge, started with `clauster start`.
    const auto started = s.inst().cli({"start", "alpha", "--json"});
    INFO("start: " << started.out << started.err);
    REQUIRE(started.exit_code == 0);
    const auto created = json::parse(started.out);
    const auto id = str(created, "instance_id");
    const int bridge_pid = pid_of(created, "bridge_pid");

    // By hand in the managed directory: a flag-form TUI and a background job.
    const auto tui = s.by_hand("alpha", {"--remote-control", "hand"}, "tui");
    {
        hand_process front({CLAUSTER_TEST_FAKE_CLAUDE, "--bg", "--", "tidy the README"}, s.inst().env, s.dir("alpha"),
                           s.inst().root / "bg.log");
        REQUIRE(front.wait(10s) == std::optional<int>(0));
    }

    const auto list = s.wait_sessions([](const json::array& l) { return l.size() == 3; });
    const json::value* tracked = nullptr;
    const json::value* background = nullptr;
    for (const auto& x : list) {
        check_session_shape(x);
        if (str(x, "attribution") == "tracked") tracked = &x;
        if (str(x, "kind") == "background") background = &x;
    }

    // The bridge's SDK worker: tracked by the instance `clauster start` made.
    REQUIRE(tracked);
    CHECK(tracked->at("parent_instance") == json::value(id));
    CHECK(str(*tracked, "kind") == "interactive");
    CHECK(str(*tracked, "cwd") == s.real_path("alpha"));
    CHECK(parent_of(pid_of(*tracked)) == bridge_pid);

    // The TUI started by hand in the same directory stays external.
    const auto* external = with_pid(list, tui->pid());
    REQUIRE(external);
    CHECK(str(*external, "attribution") == "external");
    CHECK(external->at("parent_instance").is_null());

    // The background job is nobody's session.
    REQUIRE(background);
    CHECK(str(*background, "attribution") == "untracked");
    CHECK(background->at("parent_instance").is_null());
    CHECK(str(*background, "state") == "working");
    CHECK(str(*background, "cwd") == s.real_path("alpha"));

    // The table has a row for each.
    const auto table = s.sessions();
    INFO("stdout:\n" << table.out << "stderr:\n" << table.err);
    CHECK(table.exit_code == 0);
    CHECK(std::count(table.out.begin(), table.out.end(), '\n') == 4);
    CHECK(table.out.starts_with("SESSION   KIND         STATE    PID"));
    CHECK(table.out.find("  background   working  ") != std::string::npos);
}

TEST_CASE("sessions: a Server Mode bridge started by hand is the one status shows", "[cli][sessions]") {
    sessions_installation s;
    const auto bridge = s.by_hand("beta", {"remote-control"}, "bridge");
    // Ready once its worker runs (the fake then prints its URL).
    const auto deadline = steady::now() + 10s;
    while (bridge->output().find("Remote Control is active") == std::string::npos && steady::now() < deadline)
        std::this_thread::sleep_for(20ms);
    REQUIRE(bridge->output().find("Remote Control is active") != std::string::npos);

    // The pointer leg of the CLI's read-only reattach (spec §7.3) takes it over,
    // under the deterministic id `status` shows too.
    const auto status = s.inst().cli({"status", "--json"});
    REQUIRE(status.exit_code == 0);
    const auto instances = json::parse(status.out);
    REQUIRE(instances.as_array().size() == 1);
    const auto id = str(instances.as_array()[0], "instance_id");
    CHECK(pid_of(instances.as_array()[0], "bridge_pid") == bridge->pid());

    const auto list = s.sessions_json();
    REQUIRE(list.size() == 1);
    CHECK(str(list[0], "attribution") == "tracked");
    CHECK(list[0].at("parent_instance") == json::value(id));
    CHECK(parent_of(pid_of(list[0])) == bridge->pid());
    CHECK(str(list[0], "cwd") == s.real_path("beta"));
}

TEST_CASE("sessions fails when claude is missing", "[cli][sessions]") {
    sessions_installation s;
    s.inst().env["CLAUSTER_CLAUDE_BINARY"] = "/nonexistent";
    check_failed(s.sessions(), "claude CLI not found: '/nonexistent'");
    check_failed(s.sessions(true), "claude CLI not found: '/nonexistent'");
}

TEST_CASE("sessions fails on malformed claude agents --json output, never crashes", "[cli][sessions]") {
    sessions_installation s;
    const std::string good = "[" + agents_item(std::to_string(::getpid()), quoted(s.real_path("alpha"))) + "]";

    SECTION("truncated JSON") {
        s.inst().env["FAKE_CLAUDE_AGENTS"] = good.substr(0, good.size() - 3);
        check_failed(s.sessions(), "claude agents --json printed invalid JSON");
        check_failed(s.sessions(true), "claude agents --json printed invalid JSON");
    }
    SECTION("deep nesting") {
        s.inst().env["FAKE_CLAUDE_AGENTS"] = std::string(100000, '[');
        check_failed(s.sessions(), "claude agents --json printed invalid JSON");
    }
    SECTION("a non-zero exit, whatever it printed") {
        s.inst().env["FAKE_CLAUDE_AGENTS"] = good;
        s.inst().env["FAKE_CLAUDE_AGENTS_EXIT"] = "3";
        check_failed(s.sessions(), "claude agents --json failed (exit 3): ");
        check_failed(s.sessions(true), "claude agents --json failed (exit 3): ");
    }
    SECTION("more than 8 MiB") {
        std::string huge = "[" + good.substr(1, good.size() - 2);
        while (huge.size() < 20u * 1024 * 1024) huge += "," + agents_item("999999", quoted(s.real_path("beta")));
        huge += "]";
        const auto file = s.inst().root / "agents.json";
        write_file(file, huge);
        s.inst().env["FAKE_CLAUDE_AGENTS_FILE"] = file.string();
        check_failed(s.sessions(true), "claude agents --json printed more than 8388608 bytes");
    }
}

TEST_CASE("sessions skips items that break the rules", "[cli][sessions]") {
    sessions_installation s;
    const std::string self = std::to_string(::getpid());
    const std::string alpha = quoted(s.real_path("alpha"));
    const std::vector<std::string> bad{
        agents_item(quoted(self), alpha),  // pid as a string
        agents_item("true", alpha),        // pid as a bool
        agents_item(self + ".5", alpha),   // pid as a float
        agents_item("1.5", alpha),
        agents_item(self, "5"),            // cwd as a number
        R"({"pid":)" + self + R"(,"cwd":)" + alpha + R"(,"kind":"interactive","state":"working","startedAt":1})",
        R"({"pid":)" + self + R"(,"cwd":)" + alpha +
            R"(,"kind":null,"state":"working","sessionId":"aaaaaaaa-0000-4000-8000-000000000002","startedAt":1})",
        agents_item("999999", alpha),      // no such process
        agents_item(self, alpha, "done"),  // finished: dropped
        agents_item(self, alpha, "failed"),
        agents_item(self, alpha, "stopped"),
    };
    REQUIRE_FALSE(fs::exists("/proc/999999"));

    SECTION("only bad items: nothing to list") {
        std::string listing = "[";
        for (const auto& b : bad) listing += (listing.size() > 1 ? "," : "") + b;
        s.inst().env["FAKE_CLAUDE_AGENTS"] = listing + "]";
        const auto table = s.sessions();
        CHECK(table.exit_code == 0);
        CHECK(table.out.empty());
        CHECK(table.err == "No working sessions.\n");
        CHECK(s.sessions(true).out == "[]\n");
    }
    SECTION("bad items beside a good one") {
        std::string listing = "[";
        for (const auto& b : bad) listing += b + ",";
        s.inst().env["FAKE_CLAUDE_AGENTS"] = listing + agents_item(self, alpha) + "]";
        const auto list = s.sessions_json();
        REQUIRE(list.size() == 1);
        CHECK(pid_of(list[0]) == ::getpid());
        CHECK(str(list[0], "state") == "working");
    }
    SECTION("a large listing under the cap is read whole") {
        // 2 MiB (far beyond a pipe's buffer; ~1000 items, under the item cap)
        // whose last item is the live one.
        const std::string filler = R"({"pid":999999,"cwd":)" + alpha + R"(,"sessionId":"x","startedAt":1,"name":")" +
                                   std::string(2000, 'n') + "\"},";
        std::string large = "[";
        while (large.size() < 2u * 1024 * 1024) large += filler;
        large += agents_item(self, alpha) + "]";
        const auto file = s.inst().root / "agents.json";
        write_file(file, large);
        s.inst().env["FAKE_CLAUDE_AGENTS_FILE"] = file.string();
        const auto list = s.sessions_json();
        REQUIRE(list.size() == 1);
        CHECK(pid_of(list[0]) == ::getpid());
    }
}
