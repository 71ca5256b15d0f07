// End-to-end: the working-session views of spec §2.4 and the internal adopt
// route (§2.6) on a real clausterd, with the fake claude (tests/fake_claude,
// its `agents --json` surface) as `claude.binary`. Sessions "started by hand"
// are the fake claude run directly by the test, as a user would in a terminal.

#include "support/api_fixture.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#ifndef CLAUSTER_TEST_FAKE_CLAUDE
#error "CLAUSTER_TEST_FAKE_CLAUDE must name the fake claude binary (link clauster_fake_claude_path)"
#endif

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using namespace clauster::test;
using steady = std::chrono::steady_clock;

namespace {

//------------------------------------------------------------------------------
// Replies

bool is_uuid(const std::string& s) {
    return std::regex_match(s, std::regex{"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"});
}

int pid_of(const json::value& v, std::string_view key = "pid") { return static_cast<int>(v.at(key).as_int64()); }

/// The project directory as claude reports it (its getcwd: symlinks resolved).
std::string real_path(const fs::path& p) { return fs::weakly_canonical(p).string(); }

//------------------------------------------------------------------------------
// Fixture: an installation with these projects and a clausterd over it
// (polling `claude agents --json` every second).
//   alpha   trusted, not a git repository
//   beta    trusted, a git repository (managed worktree bridges)
//   zulu, delta, echo   unmanaged projects for bridges started by hand

class sessions_fixture : public api_server {
public:
    // Created in this order on purpose: `zulu` before `delta` (adoptable lists sort).
    sessions_fixture()
        : api_server({.setup = {.projects = {"alpha", "beta", "zulu", "delta", "echo"},
                                .trusted = {"alpha", "beta", "zulu", "delta", "echo"},
                                .git_repos = {"beta"},
                                .env = {{"CLAUSTER_CLAUDE_AGENTS_JSON_POLL_INTERVAL_SECONDS", "1"}}}}) {}

    /// The server's log without its per-request lines (for failure messages).
    std::string log_digest() const {
        std::string out;
        const std::string all = log();
        for (std::size_t pos = 0; pos < all.size();) {
            auto end = all.find('\n', pos);
            if (end == std::string::npos) end = all.size();
            const auto line = std::string_view(all).substr(pos, end - pos);
            if (line.find(" INFO clauster.http: ") == std::string_view::npos) (out += line) += '\n';
            pos = end + 1;
        }
        return out;
    }

    /// A 200 JSON reply's body.
    json::value get(const std::string& target) const {
        const auto r = call("GET", target);
        INFO("GET " << target << " → " << r.status << ": " << r.body);
        REQUIRE(r.status == 200);
        CHECK(r.headers.at("content-type") == "application/json");
        return json::parse(r.body);
    }

    /// Spawns a managed instance (201, running); @return its body.
    json::value spawn(const std::string& body) const {
        const auto r = call("POST", "/api/instances", body);
        INFO("spawn " << body << " → " << r.status << ": " << r.body << "\nclausterd log:\n" << log_digest());
        REQUIRE(r.status == 201);
        auto created = json::parse(r.body);
        REQUIRE(created.at("status") == json::value("running"));
        return created;
    }

    /// Polls @p target until @p pred holds for its body (at most @p timeout); @return that body.
    template <class Pred>
    json::value wait_for(const std::string& target, Pred pred, std::chrono::milliseconds timeout = 10s) const {
        const auto deadline = steady::now() + timeout;
        for (;;) {
            auto body = get(target);
            if (pred(body)) return body;
            if (steady::now() > deadline)
                FAIL("GET " << target << " never matched; last: " << json::serialize(body) << "\nclausterd log:\n"
                            << log_digest());
            std::this_thread::sleep_for(50ms);
        }
    }

    /// The fake claude started by hand in project @p project with @p args.
    std::unique_ptr<hand_process> by_hand(const std::string& project, std::vector<std::string> args,
                                          const std::string& tag) const {
        return claude_by_hand(installation(), project, std::move(args), tag);
    }

    /// A subcommand bridge (`claude remote-control`) started by hand, once ready.
    std::unique_ptr<hand_process> bridge_by_hand(const std::string& project, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"remote-control"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = by_hand(project, std::move(args), "hand-bridge-" + project);
        INFO("output: " << p->output());
        REQUIRE(p->wait_output("Remote Control is active", 10s));
        return p;
    }

    /// A flag-form TUI (`claude --remote-control hand`) started by hand.
    std::unique_ptr<hand_process> tui_by_hand(const std::string& project) const {
        return by_hand(project, {"--remote-control", "hand"}, "hand-tui-" + project);
    }

    /// Polls until the server's log holds @p text (at most @p timeout).
    bool wait_log(std::string_view text, std::chrono::milliseconds timeout = 10s) const {
        const auto deadline = steady::now() + timeout;
        while (log().find(text) == std::string::npos) {
            if (steady::now() > deadline) {
                UNSCOPED_INFO("clausterd log:\n" << log_digest());
                return false;
            }
            std::this_thread::sleep_for(20ms);
        }
        return true;
    }

    /// clausterd still runs and answers /healthz.
    void check_server_healthy() {
        CHECK_FALSE(server().process().wait(0ms));
        CHECK(call("GET", "/healthz").status == 200);
    }
};

/// The sessions listed under @p key of a grouped view (empty when absent).
const json::array& group(const json::value& view, const std::string& key) {
    static const json::array none;
    if (const auto* list = view.as_object().if_contains(key)) return list->as_array();
    return none;
}

/// True when some session of a grouped view has pid @p pid.
bool lists_pid(const json::value& view, int pid) {
    for (const auto& [key, list] : view.as_object())
        for (const auto& s : list.as_array())
            if (s.at("pid") == json::value(pid)) return true;
    return false;
}

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE_METHOD(sessions_fixture, "session views are empty with no working sessions", "[http][sessions]") {
    start();
    for (const std::string prefix : {"/api", "/api/v1"}) {
        INFO(prefix);
        for (const auto& [target, expected] : std::vector<std::pair<std::string, std::string>>{
                 {"/sessions", "{}"}, {"/sessions/tracked", "{}"}, {"/sessions/adoptable", "[]"}}) {
            const auto r = call("GET", prefix + target);
            INFO(target << " → " << r.status << ": " << r.body);
            CHECK(r.status == 200);
            CHECK(r.headers.at("content-type") == "application/json");
            CHECK(r.body == expected);
        }
    }
}

TEST_CASE_METHOD(sessions_fixture, "a managed Server Mode bridge's session is tracked under its instance id",
                 "[http][sessions]") {
    start();
    const auto created = spawn(R"({"project": "alpha"})");
    const auto id = str(created, "instance_id");
    const int bridge_pid = pid_of(created, "bridge_pid");

    const auto tracked =
        wait_for("/api/sessions/tracked", [&](const json::value& v) { return !group(v, id).empty(); });
    REQUIRE(tracked.as_object().size() == 1);
    const auto list = group(tracked, id);
    REQUIRE(list.size() == 1);
    const auto& s = list[0];
    check_session_shape(s);
    CHECK(str(s, "attribution") == "tracked");
    CHECK(s.at("parent_instance") == json::value(id));
    CHECK(str(s, "kind") == "interactive");
    CHECK(str(s, "state") == "working");
    CHECK(str(s, "cwd") == real_path(project_dir("alpha")));
    CHECK(is_uuid(str(s, "local_uuid")));
    CHECK(s.at("started_at").as_int64() > 0);
    // The listed pid is the bridge's SDK worker child, not the bridge.
    CHECK(pid_of(s) != bridge_pid);
    CHECK(parent_of(pid_of(s)) == bridge_pid);

    // Not external, not adoptable (it is managed); /api/v1 answers alike.
    CHECK(call("GET", "/api/sessions").body == "{}");
    CHECK(call("GET", "/api/sessions/adoptable").body == "[]");
    CHECK(call("GET", "/api/v1/sessions/tracked").body == call("GET", "/api/sessions/tracked").body);
    check_error(call("POST", "/api/projects/alpha/adopt"), 409, "conflict",
                "'alpha' is already managed: its Server Mode bridge is " + id.substr(0, 8));

    // Stopped: its session goes with it.
    REQUIRE(call("DELETE", "/api/instances/" + id).status == 200);
    wait_for("/api/sessions/tracked", [](const json::value& v) { return v.as_object().empty(); }, 3s);
    CHECK(call("GET", "/api/sessions").body == "{}");
}

TEST_CASE_METHOD(sessions_fixture, "each managed bridge of a project keeps its own bucket", "[http][sessions]") {
    start();
    const auto standard = spawn(R"({"project": "alpha"})");
    const auto pty = spawn(R"({"project": "alpha", "resume_mode": "pty"})");
    const auto pty2 = spawn(R"({"project": "alpha", "resume_mode": "pty", "name": "second"})");
    const std::vector<std::string> ids{str(standard, "instance_id"), str(pty, "instance_id"),
                                       str(pty2, "instance_id")};
    CHECK(str(pty, "resume_mode") == "pty");

    const auto tracked = wait_for("/api/sessions/tracked", [&](const json::value& v) {
        return v.as_object().size() == 3 && !group(v, ids[1]).empty() && !group(v, ids[2]).empty();
    });
    std::set<int> pids;
    for (const auto& id : ids) {
        INFO("instance " << id);
        const auto list = group(tracked, id);
        REQUIRE(list.size() == 1);
        check_session_shape(list[0]);
        CHECK(list[0].at("parent_instance") == json::value(id));
        CHECK(str(list[0], "attribution") == "tracked");
        CHECK(str(list[0], "kind") == "interactive");
        CHECK(str(list[0], "cwd") == real_path(project_dir("alpha")));
        pids.insert(pid_of(list[0]));
    }
    CHECK(pids.size() == 3);
    // The Interactive Sessions list the flag-form TUI itself: the instance's bridge pid.
    CHECK(pid_of(group(tracked, ids[1])[0]) == pid_of(pty, "bridge_pid"));
    CHECK(pid_of(group(tracked, ids[2])[0]) == pid_of(pty2, "bridge_pid"));
    CHECK(call("GET", "/api/sessions").body == "{}");
    CHECK(call("GET", "/api/sessions/adoptable").body == "[]");

    // Stopping one bridge empties only its bucket.
    REQUIRE(call("DELETE", "/api/instances/" + ids[1]).status == 200);
    const auto after = wait_for("/api/sessions/tracked", [](const json::value& v) { return v.as_object().size() == 2; },
                                5s);
    CHECK(group(after, ids[0]).size() == 1);
    CHECK(group(after, ids[2]).size() == 1);
}

TEST_CASE_METHOD(sessions_fixture, "a claude run by hand in a managed project stays external", "[http][sessions]") {
    start();
    const auto created = spawn(R"({"project": "alpha"})");
    const auto id = str(created, "instance_id");
    const auto tui = tui_by_hand("alpha");

    const auto external = wait_for("/api/sessions", [](const json::value& v) { return !group(v, "alpha").empty(); });
    CHECK(external.as_object().size() == 1);
    const auto list = group(external, "alpha");
    REQUIRE(list.size() == 1);
    const auto& s = list[0];
    check_session_shape(s);
    CHECK(pid_of(s) == tui->pid());
    CHECK(str(s, "attribution") == "external");
    CHECK(s.at("parent_instance").is_null());
    CHECK(str(s, "kind") == "interactive");
    CHECK(str(s, "state") == "working");
    CHECK(str(s, "cwd") == real_path(project_dir("alpha")));

    // Never tracked: the managed bridge's bucket holds its own worker only.
    const auto tracked =
        wait_for("/api/sessions/tracked", [&](const json::value& v) { return !group(v, id).empty(); });
    CHECK(tracked.as_object().size() == 1);
    REQUIRE(group(tracked, id).size() == 1);
    CHECK(pid_of(group(tracked, id)[0]) != tui->pid());
    CHECK_FALSE(lists_pid(tracked, tui->pid()));
    // A flag-form session is never adoptable.
    CHECK(call("GET", "/api/sessions/adoptable").body == "[]");
    CHECK(call("GET", "/api/v1/sessions").body == call("GET", "/api/sessions").body);
}

TEST_CASE_METHOD(sessions_fixture, "an unmanaged Server Mode bridge is external, adoptable, and adopted",
                 "[http][sessions]") {
    start();
    // Started after clausterd (at startup it would adopt them itself), zulu first.
    const auto zulu = bridge_by_hand("zulu");
    const auto delta = bridge_by_hand("delta");

    const auto adoptable = wait_for("/api/sessions/adoptable",
                                    [](const json::value& v) { return v.as_array().size() == 2; });
    CHECK(json::serialize(adoptable) == R"(["delta","zulu"])");
    CHECK(call("GET", "/api/v1/sessions/adoptable").body == R"(["delta","zulu"])");

    const auto external = get("/api/sessions");
    CHECK(external.as_object().size() == 2);
    const std::vector<std::pair<std::string, const hand_process*>> hands{{"zulu", zulu.get()}, {"delta", delta.get()}};
    for (const auto& [name, hand] : hands) {
        INFO(name);
        const auto list = group(external, name);
        REQUIRE(list.size() == 1);
        check_session_shape(list[0]);
        CHECK(str(list[0], "attribution") == "external");
        CHECK(list[0].at("parent_instance").is_null());
        CHECK(str(list[0], "kind") == "interactive");
        CHECK(str(list[0], "cwd") == real_path(project_dir(name)));
        CHECK(parent_of(pid_of(list[0])) == hand->pid());  // the hand bridge's SDK worker
    }
    CHECK(call("GET", "/api/sessions/tracked").body == "{}");

    // Adopt zulu: a RUNNING Server Mode instance around the very same process.
    const auto adopted = call("POST", "/api/projects/zulu/adopt");
    INFO("adopt: " << adopted.body);
    REQUIRE(adopted.status == 200);
    const auto inst = body_of(adopted);
    CHECK(str(inst, "project") == "zulu");
    CHECK(str(inst, "status") == "running");
    CHECK(str(inst, "resume_mode") == "standard");
    CHECK(str(inst, "channel") == "remote-control");
    CHECK(pid_of(inst, "bridge_pid") == zulu->pid());
    const auto id = str(inst, "instance_id");
    CHECK(id.size() == 36);
    CHECK(get("/api/instances").as_array().size() == 1);

    // No longer adoptable; its session is now tracked under the new id.
    CHECK(call("GET", "/api/sessions/adoptable").body == R"(["delta"])");
    const auto tracked = get("/api/sessions/tracked");
    CHECK(tracked.as_object().size() == 1);
    REQUIRE(group(tracked, id).size() == 1);
    CHECK(group(tracked, id)[0].at("parent_instance") == json::value(id));
    CHECK(str(group(tracked, id)[0], "attribution") == "tracked");
    CHECK(parent_of(pid_of(group(tracked, id)[0])) == zulu->pid());
    const auto still_external = get("/api/sessions");
    CHECK(still_external.as_object().size() == 1);
    CHECK(group(still_external, "delta").size() == 1);

    // Adopting again, an unknown project, and the /api/v1 alias (the route is internal).
    check_error(call("POST", "/api/projects/zulu/adopt"), 409, "conflict",
                "'zulu' is already managed: its Server Mode bridge is " + id.substr(0, 8));
    check_error(call("POST", "/api/projects/nope/adopt"), 404, "not_found", "project 'nope' not found");
    check_error(call("POST", "/api/v1/projects/delta/adopt"), 404, "not_found", "Not Found");
    CHECK(call("GET", "/api/sessions/adoptable").body == R"(["delta"])");

    // Stopping the adopted instance stops the hand-started bridge itself.
    const auto stopped = call("DELETE", "/api/instances/" + id);
    INFO("stop: " << stopped.body);
    REQUIRE(stopped.status == 200);
    CHECK(str(body_of(stopped), "status") == "stopped");
    CHECK(zulu->wait(10s) == std::optional<int>(0));
    CHECK(zulu->output().find("Remote Control is active") != std::string::npos);
    wait_for("/api/sessions/tracked", [](const json::value& v) { return v.as_object().empty(); }, 3s);
    CHECK(call("GET", "/api/sessions/adoptable").body == R"(["delta"])");
}

TEST_CASE_METHOD(sessions_fixture, "an Interactive Session started by hand is never adoptable", "[http][sessions]") {
    start();
    const auto tui = tui_by_hand("echo");
    const auto external = wait_for("/api/sessions", [](const json::value& v) { return !group(v, "echo").empty(); });
    REQUIRE(group(external, "echo").size() == 1);
    CHECK(pid_of(group(external, "echo")[0]) == tui->pid());
    CHECK(str(group(external, "echo")[0], "attribution") == "external");
    CHECK(call("GET", "/api/sessions/adoptable").body == "[]");
    check_error(call("POST", "/api/projects/echo/adopt"), 409, "conflict",
                "'echo' has nothing to adopt: no live Server Mode bridge per its bridge pointer "
                "(it may have ended; Interactive Sessions cannot be adopted)");
    CHECK(call("GET", "/api/instances").body == "[]");
    CHECK(alive(tui->pid()));
}

TEST_CASE_METHOD(sessions_fixture, "worktree bridges claim the sessions in their worktrees", "[http][sessions]") {
    start();
    const std::string worktrees_of_beta = real_path(project_dir("beta")) + "/.claude/worktrees/fake-";
    const std::string worktrees_of_delta = real_path(project_dir("delta")) + "/.claude/worktrees/fake-";

    // Managed: tracked, with a cwd inside the project's worktrees.
    const auto created = spawn(R"({"project": "beta", "spawn_mode": "worktree"})");
    const auto id = str(created, "instance_id");
    CHECK(str(created, "spawn_mode") == "worktree");
    const auto tracked =
        wait_for("/api/sessions/tracked", [&](const json::value& v) { return !group(v, id).empty(); });
    REQUIRE(group(tracked, id).size() == 1);
    const auto& s = group(tracked, id)[0];
    check_session_shape(s);
    CHECK(str(s, "attribution") == "tracked");
    CHECK(s.at("parent_instance") == json::value(id));
    CHECK(str(s, "cwd").starts_with(worktrees_of_beta));
    CHECK(call("GET", "/api/sessions").body == "{}");

    // By hand in an unmanaged project: external (grouped under its project), adoptable.
    const auto hand = bridge_by_hand("delta", {"--spawn", "worktree"});
    const auto external = wait_for("/api/sessions", [](const json::value& v) { return !group(v, "delta").empty(); });
    CHECK(external.as_object().size() == 1);
    REQUIRE(group(external, "delta").size() == 1);
    const auto& e = group(external, "delta")[0];
    CHECK(str(e, "attribution") == "external");
    CHECK(str(e, "cwd").starts_with(worktrees_of_delta));
    CHECK(call("GET", "/api/sessions/adoptable").body == R"(["delta"])");

    // Adopted: the bridge's own argv says worktree, so its worktree session is tracked.
    const auto adopted = call("POST", "/api/projects/delta/adopt");
    INFO("adopt: " << adopted.body);
    REQUIRE(adopted.status == 200);
    const auto adopted_id = str(body_of(adopted), "instance_id");
    CHECK(str(body_of(adopted), "spawn_mode") == "worktree");
    const auto both = get("/api/sessions/tracked");
    CHECK(both.as_object().size() == 2);
    REQUIRE(group(both, adopted_id).size() == 1);
    CHECK(str(group(both, adopted_id)[0], "cwd").starts_with(worktrees_of_delta));
    CHECK(group(both, adopted_id)[0].at("parent_instance") == json::value(adopted_id));
    REQUIRE(group(both, id).size() == 1);
    CHECK(str(group(both, id)[0], "cwd").starts_with(worktrees_of_beta));
    CHECK(call("GET", "/api/sessions").body == "{}");
    CHECK(call("GET", "/api/sessions/adoptable").body == "[]");
}

TEST_CASE_METHOD(sessions_fixture, "background agents are never listed as sessions", "[http][sessions]") {
    installation().env["FAKE_CLAUDE_BG_WORK"] = "30";  // still working for the whole test
    start();

    // A --bg worker in a managed directory: neither the bridge's session nor an external one.
    const auto dispatched = call("POST", "/api/agents", R"({"project": "alpha", "prompt": "tidy the README"})");
    INFO("dispatch: " << dispatched.body);
    REQUIRE(dispatched.status == 201);
    const auto job_id = str(body_of(dispatched), "id");
    int worker = 0;
    const auto jobs = get("/api/agents");
    for (const auto& j : jobs.as_array())
        if (j.at("id") == json::value(job_id) && j.at("worker_pid").is_int64()) worker = pid_of(j, "worker_pid");
    REQUIRE(worker > 0);
    REQUIRE(alive(worker));

    // Control: `claude agents --json` itself lists the worker, as kind background.
    const auto listing = run_command({CLAUSTER_TEST_FAKE_CLAUDE, "agents", "--json"},
                                                     installation().env, {}, 10s);
    REQUIRE(listing.exit_code == 0);
    bool listed_background = false;
    const auto items = json::parse(listing.out);
    for (const auto& item : items.as_array())
        if (item.at("pid") == json::value(worker))
            listed_background = item.at("kind") == json::value("background") &&
                                item.at("state") == json::value("working");
    REQUIRE(listed_background);

    // The bridge spawned after the worker registered: a snapshot holding the
    // bridge's session also held the worker.
    const auto created = spawn(R"({"project": "alpha"})");
    const auto id = str(created, "instance_id");
    const auto tracked =
        wait_for("/api/sessions/tracked", [&](const json::value& v) { return !group(v, id).empty(); });
    CHECK(tracked.as_object().size() == 1);
    CHECK(group(tracked, id).size() == 1);
    CHECK_FALSE(lists_pid(tracked, worker));
    const auto external = get("/api/sessions");
    CHECK(external.as_object().empty());
    CHECK_FALSE(lists_pid(external, worker));
    CHECK(call("GET", "/api/sessions/adoptable").body == "[]");
}

TEST_CASE_METHOD(sessions_fixture, "a session whose process dies disappears", "[http][sessions]") {
    start();
    auto tui = tui_by_hand("alpha");
    const auto bridge = bridge_by_hand("zulu");
    wait_for("/api/sessions", [](const json::value& v) {
        return group(v, "alpha").size() == 1 && group(v, "zulu").size() == 1;
    });
    CHECK(call("GET", "/api/sessions/adoptable").body == R"(["zulu"])");

    // SIGKILL, left unreaped: a zombie is not a live session either.
    tui->signal(SIGKILL);
    auto t0 = steady::now();
    wait_for("/api/sessions", [](const json::value& v) { return group(v, "alpha").empty(); }, 3s);
    CHECK(steady::now() - t0 < 3s);
    REQUIRE(tui->wait(2s));

    // A bridge killed outright takes its worker with it (PDEATHSIG).
    const int worker = pid_of(group(get("/api/sessions"), "zulu")[0]);
    bridge->signal(SIGKILL);
    t0 = steady::now();
    const auto gone = wait_for("/api/sessions", [](const json::value& v) { return v.as_object().empty(); }, 3s);
    CHECK(steady::now() - t0 < 3s);
    CHECK_FALSE(lists_pid(gone, worker));
    CHECK(call("GET", "/api/sessions/adoptable").body == "[]");
    CHECK(call("GET", "/api/sessions/tracked").body == "{}");
}

/// One `claude agents --json` item as text.
std::string agents_item(const std::string& pid, const std::string& cwd, const std::string& state = "working",
                        int n = 1) {
    return R"({"pid":)" + pid + R"(,"cwd":)" + cwd + R"(,"kind":"interactive","state":")" + state +
           R"(","sessionId":"aaaaaaaa-0000-4000-8000-00000000000)" + std::to_string(n) + R"(","startedAt":1})";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

/// The pid of a process that has exited (and was reaped).
int exited_pid() {
    run_result r = run_command({"/bin/sh", "-c", "echo $$"}, {}, {}, 5s);
    return std::stoi(r.out);
}

TEST_CASE_METHOD(sessions_fixture, "malformed claude agents --json output never breaks the views",
                 "[http][sessions]") {
    // A live process to list (the fake lists whatever it is told), in alpha.
    const hand_process sleeper({"/bin/sleep", "60"}, installation().env, project_dir("alpha"),
                               installation().root / "sleep.log");
    const int live = sleeper.pid();
    const std::string self = std::to_string(::getpid());
    const std::string dead = std::to_string(exited_pid());
    REQUIRE_FALSE(fs::exists("/proc/999999"));
    const std::string alpha = quoted(real_path(project_dir("alpha")));
    const std::string beta = quoted(real_path(project_dir("beta")));
    const std::string good = "[" + agents_item(std::to_string(live), alpha) + "]";
    const auto only_good = [&](const json::value& v) {
        const auto& list = group(v, "alpha");
        return v.as_object().size() == 1 && list.size() == 1 && list[0].at("pid") == json::value(live);
    };

    SECTION("items that break the rules are skipped, the rest is listed") {
        // Each of these would list a session in beta if it were accepted.
        const std::vector<std::string> bad{
            agents_item(quoted(self), beta),                 // pid as a string
            agents_item("true", beta),                       // pid as a bool
            agents_item(self + ".5", beta),                  // pid as a float
            agents_item("1.5", beta),                        //
            agents_item("0", beta),                          // not a pid
            agents_item("-1", beta),                         //
            agents_item("null", beta),                       //
            agents_item(self, "5"),                          // cwd as a number
            agents_item(self, quoted("")),                   // an empty cwd
            agents_item(self, quoted("projects/beta")),      // a relative cwd
            R"({"pid":)" + self + R"(,"cwd":)" + beta + R"(,"kind":"interactive","state":"working","startedAt":1})",
            R"({"pid":)" + self + R"(,"cwd":)" + beta +
                R"(,"kind":null,"state":"working","sessionId":"aaaaaaaa-0000-4000-8000-000000000002","startedAt":1})",
            R"({"pid":)" + self + R"(,"cwd":)" + beta +
                R"(,"kind":"interactive","state":7,"sessionId":"aaaaaaaa-0000-4000-8000-000000000003","startedAt":1})",
            agents_item("999999", beta),                     // never there
            agents_item(dead, beta),                         // exited
            agents_item(self, beta, "done"),                 // finished: dropped
            agents_item(self, beta, "failed"),               //
            agents_item(self, beta, "stopped"),              //
            "42", "null", "[]",                              // not objects
        };
        std::string listing = "[";
        for (const auto& b : bad) listing += b + ",";
        listing += agents_item(std::to_string(live), alpha) + "]";
        installation().env["FAKE_CLAUDE_AGENTS"] = listing;
        start();
            const auto listed = wait_for("/api/sessions", only_good, 5s);
        CHECK(json::serialize(group(listed, "alpha")[0]) ==
              R"({"pid":)" + std::to_string(live) + R"(,"cwd":)" + alpha +
                  R"(,"kind":"interactive","state":"working","started_at":1,)"
                  R"("local_uuid":"aaaaaaaa-0000-4000-8000-000000000001","parent_instance":null,"attribution":"external"})");
        CHECK(call("GET", "/api/sessions/tracked").body == "{}");
        CHECK(call("GET", "/api/sessions/adoptable").body == "[]");
        check_server_healthy();
    }

    SECTION("a large listing under the cap is read whole") {
        // 2 MiB (far beyond a pipe's buffer; ~1000 items, under the item cap)
        // whose last item is the live one.
        const std::string filler = R"({"pid":999999,"cwd":)" + beta + R"(,"sessionId":"x","startedAt":1,"name":")" +
                                   std::string(2000, 'n') + "\"},";
        std::string large = "[";
        while (large.size() < 2u * 1024 * 1024) large += filler;
        large += agents_item(std::to_string(live), alpha) + "]";
        const auto file = installation().root / "agents.json";
        write_file(file, large);
        installation().env["FAKE_CLAUDE_AGENTS_FILE"] = file.string();
        start();
        wait_for("/api/sessions", only_good, 5s);
        check_server_healthy();
    }

    struct failing_run {
        std::string name;
        std::string output;  ///< through FAKE_CLAUDE_AGENTS, or a file when larger than 1 MiB
        std::string exit_code;
        std::string warning;
    };
    // 20 MiB of otherwise valid JSON that would list the live process.
    std::string huge = "[" + agents_item(std::to_string(live), alpha);
    while (huge.size() < 20u * 1024 * 1024) huge += "," + agents_item("999999", beta);
    huge += "]";
    const std::vector<failing_run> runs{
        {"truncated JSON", good.substr(0, good.size() - 3), "0",
         "claude agents --json printed invalid JSON: incomplete JSON"},
        {"deep nesting", std::string(100000, '['), "0", "claude agents --json printed invalid JSON: too deep"},
        {"a valid listing with a non-zero exit", good, "3", "claude agents --json failed (exit 3): [{"},
        {"more than 8 MiB", huge, "0", "claude agents --json printed more than 8388608 bytes"},
    };
    for (const auto& run : runs) {
        DYNAMIC_SECTION("a failed run: " << run.name) {
            if (run.output.size() > 1024 * 1024) {
                const auto file = installation().root / "agents.json";
                write_file(file, run.output);
                installation().env["FAKE_CLAUDE_AGENTS_FILE"] = file.string();
            } else {
                installation().env["FAKE_CLAUDE_AGENTS"] = run.output;
            }
            installation().env["FAKE_CLAUDE_AGENTS_EXIT"] = run.exit_code;
            start();
                    CHECK(wait_log("clauster: warning: working sessions: " + run.warning, 5s));
            for (const std::string prefix : {"/api", "/api/v1"}) {
                CHECK(call("GET", prefix + "/sessions").body == "{}");
                CHECK(call("GET", prefix + "/sessions/tracked").body == "{}");
                CHECK(call("GET", prefix + "/sessions/adoptable").body == "[]");
            }
            check_server_healthy();
        }
    }
}

TEST_CASE_METHOD(sessions_fixture, "a failed run keeps the last good list, never a dead session",
                 "[http][sessions]") {
    auto sleeper = std::make_unique<hand_process>(std::vector<std::string>{"/bin/sleep", "60"}, installation().env,
                                                  project_dir("alpha"), installation().root / "sleep.log");
    const int live = sleeper->pid();
    const std::string alpha = quoted(real_path(project_dir("alpha")));
    const std::string beta = quoted(real_path(project_dir("beta")));
    const std::string self = std::to_string(::getpid());
    const auto file = installation().root / "agents.json";
    installation().env["FAKE_CLAUDE_AGENTS_FILE"] = file.string();
    write_file(file, "[" + agents_item(std::to_string(live), alpha) + "]");
    start();
    const auto only_live = [&](const json::value& v) {
        const auto& list = group(v, "alpha");
        return v.as_object().size() == 1 && list.size() == 1 && list[0].at("pid") == json::value(live);
    };
    wait_for("/api/sessions", only_live, 5s);

    // Failed runs keep the last good list (its process still lives), and say why once.
    const auto fails_with = [&](const std::string& content, const std::string& warning) {
        INFO("expected warning: " << warning);
        write_file(file, content);
        CHECK(wait_log("clauster: warning: working sessions: " + warning));
        CHECK(only_live(get("/api/sessions")));
        CHECK(call("GET", "/api/sessions/tracked").body == "{}");
        check_server_healthy();
    };
    fails_with("[" + agents_item(self, beta), "claude agents --json printed invalid JSON: incomplete JSON");
    fails_with(std::string(100000, '['), "claude agents --json printed invalid JSON: too deep");
    fs::remove(file);  // the fake then exits 1
    CHECK(wait_log("clauster: warning: working sessions: claude agents --json failed (exit 1): "
                   "fake-claude: cannot read FAKE_CLAUDE_AGENTS_FILE"));
    CHECK(only_live(get("/api/sessions")));

    // The kept list never shows a dead process, even while every run fails.
    sleeper->signal(SIGKILL);
    REQUIRE(sleeper->wait(2s));
    wait_for("/api/sessions", [](const json::value& v) { return v.as_object().empty(); }, 3s);

    // Good runs again: a new list replaces the old one.
    write_file(file, "[" + agents_item(std::to_string(live), alpha) + "," + agents_item(self, beta) + "]");
    const auto latest = wait_for("/api/sessions", [](const json::value& v) { return !group(v, "beta").empty(); }, 5s);
    CHECK(latest.as_object().size() == 1);  // the dead pid stays out
    REQUIRE(group(latest, "beta").size() == 1);
    CHECK(group(latest, "beta")[0].at("pid") == json::value(std::stoi(self)));
    check_server_healthy();
}

TEST_CASE_METHOD(sessions_fixture, "a slow claude agents --json delays the answer, not the server",
                 "[http][sessions]") {
    const int self = static_cast<int>(::getpid());
    installation().env["FAKE_CLAUDE_AGENTS_SLEEP"] = "1.5";
    installation().env["FAKE_CLAUDE_AGENTS"] =
        R"([{"pid":)" + std::to_string(self) + R"(,"cwd":")" + real_path(project_dir("alpha")) +
        R"(","kind":"interactive","state":"working","sessionId":"aaaaaaaa-0000-4000-8000-000000000001","startedAt":1}])";
    start();
    // While a run is in flight, other routes answer at once.
    const auto t0 = steady::now();
    CHECK(call("GET", "/healthz").status == 200);
    CHECK(steady::now() - t0 < 1s);
    const auto listed = wait_for("/api/sessions", [](const json::value& v) { return !group(v, "alpha").empty(); }, 5s);
    CHECK(pid_of(group(listed, "alpha")[0]) == self);
    check_server_healthy();
}

TEST_CASE_METHOD(sessions_fixture, "a hung claude agents --json never hangs the API, and times out after 10 s",
                 "[http][sessions]") {
    installation().env["FAKE_CLAUDE_AGENTS_SLEEP"] = "12";  // past the 10 s timeout, and no orphan for long
    installation().env["FAKE_CLAUDE_AGENTS"] = "[]";
    start();
    const auto t0 = steady::now();
    // A reader waits for the run in flight at most ~3 s, then answers from the last good list.
    auto reader = std::async(std::launch::async,
                             [this] { return http_request(url(), "GET", "/api/sessions", {}, {}, 15s); });
    std::this_thread::sleep_for(200ms);
    CHECK(call("GET", "/healthz").status == 200);
    CHECK(call("GET", "/api/instances").status == 200);
    CHECK(steady::now() - t0 < 2s);
    const auto r = reader.get();
    CHECK(r.status == 200);
    CHECK(r.body == "{}");
    CHECK(steady::now() - t0 < 5s);
    // The run itself is killed at its 10 s timeout, and that is logged once.
    CHECK(wait_log("clauster: warning: working sessions: claude agents --json timed out after 10 s", 12s));
    check_server_healthy();
}
