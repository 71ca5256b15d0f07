// The instance commands of the real `clauster` binary (start, stop, status,
// logs, open, keepers) against the fake `claude`, with no server running.
#include "support/cli_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <unistd.h>

using namespace clauster::test;
namespace json = boost::json;

namespace {

using namespace std::chrono_literals;

/// The argv of @p pid, NUL-separated ("" when it is gone).
std::string cmdline_of(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// True while @p pid exists and is not a zombie.
bool alive(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    const char state = stat[close + 2];
    return state != 'Z' && state != 'X' && state != 'x';
}

/// Polls until @p pid is gone, at most @p limit.
bool gone_within(int pid, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (alive(pid)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

/// SIGKILL @p pid if it still runs one of ours (the fake claude or a keeper).
void kill_if_ours(int pid) {
    if (pid <= 0 || !alive(pid)) return;
    const auto cmd = cmdline_of(pid);
    if (cmd.find("claude") == std::string::npos && cmd.find("__pty-keeper__") == std::string::npos) return;
    ::kill(pid, SIGKILL);
    gone_within(pid, 2s);
}

int int_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_int64() ? static_cast<int>(v->as_int64()) : 0;
}

/// A hermetic installation whose `claude` is the fake, with projects `alpha`
/// and `beta`; on teardown it stops every instance through the CLI, then kills
/// whatever bridge or keeper is left (by recorded pid, checked against its
/// command line).
struct bridge_installation {
    installation inst;
    std::set<int> extra_pids;

    bridge_installation() {
        inst.env["CLAUSTER_CLAUDE_BINARY"] = CLAUSTER_TEST_FAKE_CLAUDE;
        inst.env["FAKE_CLAUDE_MAX_IDLE"] = "120";  // nothing outlives a crashed test for long
        std::filesystem::create_directories(inst.projects / "alpha");
        std::filesystem::create_directories(inst.projects / "beta");
    }

    ~bridge_installation() {
        try {
            std::set<int> pids = extra_pids;
            auto listed = inst.cli({"status", "--json"});
            if (listed.exit_code == 0) {
                const json::value all = json::parse(listed.out);
                for (const auto& v : all.as_array()) {
                    const auto& o = v.as_object();
                    pids.insert(int_field(o, "bridge_pid"));
                    pids.insert(int_field(o, "keeper_pid"));
                    const auto status = json::value_to<std::string>(o.at("status"));
                    if (status == "running" || status == "starting")
                        inst.cli({"stop", json::value_to<std::string>(o.at("instance_id"))});
                }
            }
            std::error_code ec;
            for (auto it = std::filesystem::directory_iterator(inst.state / "logs", ec);
                 !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
                if (!it->path().string().ends_with(".keeper.json")) continue;
                json::error_code jec;
                auto sidecar = json::parse(read_file(it->path()), jec);
                if (jec || !sidecar.is_object()) continue;
                pids.insert(int_field(sidecar.as_object(), "keeper_pid"));
                pids.insert(int_field(sidecar.as_object(), "bridge_pid"));
            }
            for (int pid : pids) kill_if_ours(pid);
        } catch (...) {
            // Teardown is best effort; the idle cap of the fake is the last resort.
        }
    }

    run_result cli(const std::vector<std::string>& args) const { return inst.cli(args); }

    void trust(const std::string& project) const {
        write_file(inst.home / ".claude.json",
                   R"({"projects": {")" + (inst.projects / project).string() + R"(": {"hasTrustDialogAccepted": true}}})");
    }

    json::array status_json() const {
        auto r = cli({"status", "--json"});
        REQUIRE(r.exit_code == 0);
        json::value all = json::parse(r.out);
        return std::move(all.as_array());
    }

    json::object only_instance() const {
        auto all = status_json();
        REQUIRE(all.size() == 1);
        return all[0].as_object();
    }
};

std::string id8_of(const std::string& started_line) {
    std::smatch m;
    REQUIRE(std::regex_search(started_line, m, std::regex{"^(?:started|already running:) ([0-9a-f]{8}) "}));
    return m[1];
}

}  // namespace

TEST_CASE("start refuses an untrusted project until --trust is passed", "[cli]") {
    bridge_installation b;

    auto refused = b.cli({"start", "alpha"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.out.empty());
    CHECK(refused.err.find("clauster: ") == 0);
    CHECK(refused.err == "clauster: directory not trusted: " + (b.inst.projects / "alpha").string() +
                             ". Pass --trust to accept it first.\n");
    CHECK(b.cli({"status"}).err == "No bridge instances.\n");

    auto started = b.cli({"start", "alpha", "--trust"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK(std::regex_match(started.out, std::regex{"started [0-9a-f]{8} \\(alpha\\) mode=standard status=running\n"}));

    // The trust dialog is now accepted in ~/.claude.json.
    const auto claude_json = json::parse(read_file(b.inst.home / ".claude.json"));
    CHECK(claude_json.at("projects").at((b.inst.projects / "alpha").string()).at("hasTrustDialogAccepted") == true);
}

TEST_CASE("start, status, logs, open and stop a standard bridge", "[cli]") {
    bridge_installation b;
    b.trust("alpha");

    auto started = b.cli({"start", "alpha"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    REQUIRE(std::regex_match(started.out, std::regex{"started [0-9a-f]{8} \\(alpha\\) mode=standard status=running\n"}));
    const std::string id8 = id8_of(started.out);

    const auto inst = b.only_instance();
    const std::string id = json::value_to<std::string>(inst.at("instance_id"));
    CHECK(id.substr(0, 8) == id8);
    CHECK(inst.at("project") == "alpha");
    CHECK(inst.at("status") == "running");
    CHECK(inst.at("resume_mode") == "standard");
    const int bridge_pid = int_field(inst, "bridge_pid");
    REQUIRE(bridge_pid > 0);
    CHECK(alive(bridge_pid));

    SECTION("a second start hands back the live bridge") {
        auto again = b.cli({"start", "alpha"});
        CHECK(again.exit_code == 0);
        CHECK(std::regex_match(again.out, std::regex{"already running: " + id8 + " \\(alpha\\) status=running( \u2014 .+)?\n"}));
        CHECK(b.status_json().size() == 1);

        auto as_json = b.cli({"start", "alpha", "--json"});
        CHECK(as_json.exit_code == 0);
        const json::value parsed = json::parse(as_json.out);
        const auto& body = parsed.as_object();
        CHECK(json::value_to<std::string>(body.at("instance_id")) == id);
        CHECK(body.at("created") == false);
        CHECK(body.at("warnings").is_array());
        CHECK(body.contains("reason"));
    }
    SECTION("status prints the table") {
        auto table = b.cli({"status"});
        CHECK(table.exit_code == 0);
        CHECK(table.err.empty());
        const std::string header = "INSTANCE PROJECT                  CHANNEL        MODE     STATUS   LABEL\n";
        CHECK(table.out.find(header) == 0);
        CHECK(std::regex_search(table.out, std::regex{"\n" + id8 + " alpha +remote-control +standard +running +alpha\n$"}));
    }
    SECTION("logs prints the redacted complete lines of the debug log") {
        auto logs = b.cli({"logs", "alpha"});
        CHECK(logs.exit_code == 0);
        CHECK(logs.out.find("[bridge:init] bridgeId=") != std::string::npos);
        CHECK(logs.out.find("Starting poll loop") != std::string::npos);
        CHECK(logs.out.find("env_<redacted>") != std::string::npos);
        CHECK(logs.out.find("session_<redacted>") != std::string::npos);
        CHECK(logs.out.find("env_01TESTENV") == std::string::npos);
        CHECK(logs.out.find("session_01TESTSTARTER") == std::string::npos);
        CHECK(logs.out.back() == '\n');

        // A line still being written is held back until its newline arrives.
        const auto debug_log = json::value_to<std::string>(inst.at("bridge_debug_log_path"));
        {
            std::ofstream out(debug_log, std::ios::app);
            out << "2026-01-01T00:00:05.000Z [DEBUG] half-written";
        }
        CHECK(b.cli({"logs", id8}).out == logs.out);
        {
            std::ofstream out(debug_log, std::ios::app);
            out << " line\n";
        }
        CHECK(b.cli({"logs", id}).out == logs.out + "2026-01-01T00:00:05.000Z [DEBUG] half-written line\n");
    }
    SECTION("logs --follow prints appended lines until SIGINT, then exits 0") {
        const auto debug_log = json::value_to<std::string>(inst.at("bridge_debug_log_path"));
        const auto out_file = b.inst.root / "follow.out";
        child_process follow({CLAUSTER_TEST_CLI, "logs", "-f", "alpha"}, b.inst.env, out_file);
        REQUIRE(!wait_for_file(out_file, 10s).empty());
        {
            std::ofstream out(debug_log, std::ios::app);
            out << "appended-marker\npartial";
        }
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (read_file(out_file).find("appended-marker\n") == std::string::npos &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(50ms);
        follow.signal(SIGINT);
        CHECK(follow.wait(5s) == 0);
        const auto printed = read_file(out_file);
        CHECK(printed.find("appended-marker\n") != std::string::npos);
        CHECK(printed.find("partial") == std::string::npos);
    }
    SECTION("open prints the session URL") {
        auto open = b.cli({"open", "alpha"});
        CHECK(open.exit_code == 0);
        CHECK(open.out == "https://claude.ai/code/session_01TESTSTARTERAAAAAAAAAA?from=cli\n");
    }
    SECTION("open --launch runs xdg-open with the URL, or says it cannot") {
        const auto bin = b.inst.root / "bin";
        write_file(bin / "xdg-open", "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"" + (b.inst.root / "opened").string() + "\"\n");
        std::filesystem::permissions(bin / "xdg-open", std::filesystem::perms::owner_all);
        b.inst.env["PATH"] = bin.string() + ":/usr/bin:/bin";
        auto launched = b.cli({"open", "alpha", "--launch"});
        CHECK(launched.exit_code == 0);
        CHECK(launched.out == "https://claude.ai/code/session_01TESTSTARTERAAAAAAAAAA?from=cli\n");
        CHECK(read_file(b.inst.root / "opened") == "https://claude.ai/code/session_01TESTSTARTERAAAAAAAAAA?from=cli\n");

        b.inst.env["PATH"] = (b.inst.root / "empty").string();
        auto missing = b.cli({"open", "alpha", "--launch"});
        CHECK(missing.exit_code == 1);
        CHECK(missing.err.find("xdg-open") != std::string::npos);
    }
    SECTION("stop stops the bridge") {
        auto stopped = b.cli({"stop", id8});
        INFO(stopped.err);
        CHECK(stopped.exit_code == 0);
        CHECK(stopped.out == "stopped " + id8 + " (alpha) status=stopped\n");
        CHECK(gone_within(bridge_pid, 10s));
        CHECK(b.only_instance().at("status") == "stopped");

        // A stopped bridge still shows its last log set.
        auto logs = b.cli({"logs", "alpha"});
        CHECK(logs.exit_code == 0);
        CHECK(logs.out.find("[bridge:shutdown]") != std::string::npos);

        auto json_stop = b.cli({"stop", id, "--json"});
        CHECK(json_stop.exit_code == 0);
        CHECK(json::parse(json_stop.out).at("status") == "stopped");

        // With its log sets gone, `logs` says so.
        std::filesystem::remove_all(b.inst.state / "logs");
        auto no_log = b.cli({"logs", id8});
        CHECK(no_log.exit_code == 2);
        CHECK(no_log.out.empty());
        CHECK(no_log.err.find("clauster: no bridge log on disk for '" + id8 + "' (project 'alpha', stopped); ") == 0);

        // A second bridge makes the project name ambiguous.
        REQUIRE(b.cli({"start", "alpha"}).exit_code == 0);
        auto ambiguous = b.cli({"open", "alpha"});
        CHECK(ambiguous.exit_code == 2);
        CHECK(ambiguous.err.find("clauster: ambiguous 'alpha' \u2014 matches ") == 0);
        CHECK(ambiguous.err.ends_with("; use an instance id directly\n"));
    }
    SECTION("the max_bridges cap is a failed action (exit 1)") {
        b.trust("beta");  // replaces alpha's entry: alpha is live already
        b.inst.env["CLAUSTER_INSTANCE_DEFAULTS_MAX_BRIDGES"] = "1";
        auto capped = b.cli({"start", "beta"});
        CHECK(capped.exit_code == 1);
        CHECK(capped.out.empty());
        CHECK(capped.err.find("clauster: max_bridges reached") == 0);
    }
}

TEST_CASE("instance references that match nothing exit 2", "[cli]") {
    bridge_installation b;
    for (const std::string cmd : {"stop", "logs", "open"}) {
        CAPTURE(cmd);
        auto r = b.cli({cmd, "nope"});
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK(r.err == "clauster: unknown instance 'nope'\n");
    }
    auto unknown_project = b.cli({"start", "no-such-project", "--trust"});
    CHECK(unknown_project.exit_code == 2);
    CHECK(unknown_project.out.empty());
    auto bad_mode = b.cli({"start", "alpha", "--trust", "--mode", "sideways"});
    CHECK(bad_mode.exit_code == 2);
    auto bad_spawn = b.cli({"start", "alpha", "--trust", "--spawn-mode", "elsewhere"});
    CHECK(bad_spawn.exit_code == 2);
    auto bypass = b.cli({"start", "alpha", "--trust", "--permission-mode", "bypassPermissions"});
    CHECK(bypass.exit_code == 2);
    CHECK(b.cli({"status", "--json"}).out == "[]\n");
    b.trust("alpha");
    b.inst.env["CLAUSTER_CLAUDE_BINARY"] = (b.inst.root / "no-such-claude").string();
    auto launch_failed = b.cli({"start", "alpha"});
    CHECK(launch_failed.exit_code == 1);
    CHECK(launch_failed.err.find("clauster: launch failed") == 0);
    auto none = b.cli({"keepers"});
    CHECK(none.exit_code == 0);
    CHECK(none.err == "clauster: no orphan keepers\n");
}

TEST_CASE("a pty bridge runs under a keeper and stops on two SIGINTs", "[cli]") {
    bridge_installation b;
    b.trust("beta");

    auto started = b.cli({"start", "beta", "--mode", "pty"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    REQUIRE(std::regex_match(started.out, std::regex{"started [0-9a-f]{8} \\(beta\\) mode=pty status=running\n"}));
    const std::string id8 = id8_of(started.out);

    const auto inst = b.only_instance();
    const int bridge_pid = int_field(inst, "bridge_pid");
    const int keeper_pid = int_field(inst, "keeper_pid");
    REQUIRE(bridge_pid > 0);
    REQUIRE(keeper_pid > 0);
    CHECK(cmdline_of(keeper_pid).find("__pty-keeper__") != std::string::npos);
    CHECK(inst.at("resume_mode") == "pty");

    auto open = b.cli({"open", id8});
    CHECK(open.exit_code == 0);
    CHECK(open.out.find("https://claude.ai/code/session_01TESTPTYSESSIONAAAAA") == 0);

    // A live keeper with its row is no orphan and cannot be killed through `keepers`.
    CHECK(b.cli({"keepers"}).err == "clauster: no orphan keepers\n");
    auto refused = b.cli({"keepers", "--kill", std::to_string(keeper_pid)});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err == "clauster: " + std::to_string(keeper_pid) + " is not an orphan keeper\n");
    CHECK(alive(keeper_pid));

    const auto t0 = std::chrono::steady_clock::now();
    auto stopped = b.cli({"stop", "beta"});
    const auto took = std::chrono::steady_clock::now() - t0;
    INFO(stopped.err);
    CHECK(stopped.exit_code == 0);
    CHECK(stopped.out == "stopped " + id8 + " (beta) status=stopped\n");
    CHECK(gone_within(bridge_pid, 10s));
    CHECK(gone_within(keeper_pid, 10s));
    // The flag form exits only on a second SIGINT; one SIGINT would have left it
    // running until the 5 s escalation to SIGKILL.
    CHECK(took < 4500ms);
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(b.inst.state / "logs", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (!it->path().string().ends_with(".keeper.json")) continue;
        const json::value parsed = json::parse(read_file(it->path()));
        const auto& sidecar = parsed.as_object();
        if (sidecar.contains("bridge_exit") && !sidecar.at("bridge_exit").is_null()) {
            CHECK(sidecar.at("bridge_exit") == 0);
        }
    }
}

TEST_CASE("keepers lists an orphan keeper and --kill stops it", "[cli]") {
    bridge_installation b;
    b.trust("beta");

    auto started = b.cli({"start", "beta", "--mode", "pty"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    const auto inst = b.only_instance();
    const std::string id = json::value_to<std::string>(inst.at("instance_id"));
    const int bridge_pid = int_field(inst, "bridge_pid");
    const int keeper_pid = int_field(inst, "keeper_pid");
    REQUIRE(keeper_pid > 0);
    b.extra_pids.insert({bridge_pid, keeper_pid});

    // The row disappears (as after a lost database); the keeper lives on.
    {
        SQLite::Database db((b.inst.state / "clauster.db").string(), SQLite::OPEN_READWRITE);
        db.setBusyTimeout(5000);
        SQLite::Statement del(db, "DELETE FROM instances WHERE instance_id = ?1");
        del.bind(1, id);
        REQUIRE(del.exec() == 1);
    }

    auto listed = b.cli({"keepers"});
    CHECK(listed.exit_code == 0);
    CHECK(std::regex_match(listed.out, std::regex{"keeper_pid=" + std::to_string(keeper_pid) +
                                                  " project=beta bridge_pid=" + std::to_string(bridge_pid) +
                                                  " session=session_01TESTPTYSESSIONAAAAA state=ready\n"}));

    auto not_keeper = b.cli({"keepers", "--kill", std::to_string(bridge_pid)});
    CHECK(not_keeper.exit_code == 2);
    CHECK(not_keeper.err == "clauster: " + std::to_string(bridge_pid) + " is not an orphan keeper\n");
    auto self = b.cli({"keepers", "--kill", std::to_string(::getpid())});
    CHECK(self.exit_code == 2);
    CHECK(alive(keeper_pid));

    auto killed = b.cli({"keepers", "--kill", std::to_string(keeper_pid)});
    INFO(killed.err);
    CHECK(killed.exit_code == 0);
    CHECK(killed.err == "clauster: stopped keeper " + std::to_string(keeper_pid) + "\n");
    CHECK(gone_within(keeper_pid, 10s));
    CHECK(gone_within(bridge_pid, 10s));
    CHECK(b.cli({"keepers"}).err == "clauster: no orphan keepers\n");
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(b.inst.state / "logs", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        CHECK_FALSE(it->path().string().ends_with(".keeper.json"));
}
