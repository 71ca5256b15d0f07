// The bridge supervisor against real processes: the fake claude, the real local
// executor and keeper, and an in-memory instance store.
#include <clauster/core/instance_manager.hpp>

#include "support/in_memory_instance_store.hpp"
#include "support/temp_dir.hpp"

#include <clauster/core/local_executor.hpp>
#include <clauster/core/proc_fs.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <thread>

using namespace clauster;
using namespace std::chrono_literals;
using core::instance_status;

namespace {

using knobs = std::vector<std::pair<std::string, std::string>>;

/// One hermetic installation plus a manager over it.
struct bench {
    test::temp_dir tmp{"clauster-im"};
    std::filesystem::path home = tmp / "home";
    std::filesystem::path root = tmp / "projects";
    std::filesystem::path state = tmp / "state";
    core::config cfg;
    core::environment env;
    boost::asio::io_context ioc;
    core::local_executor exec{ioc.get_executor()};
    test::in_memory_instance_store store;
    core::system_clock clk;
    std::unique_ptr<core::project_catalog> catalog;
    std::unique_ptr<core::instance_manager> mgr;

    explicit bench(knobs extra = {}) {
        std::filesystem::create_directories(home);
        add_project("api", true);
        cfg.projects_root = root;
        cfg.state_dir = state;
        cfg.claude.binary = CLAUSTER_TEST_FAKE_CLAUDE;
        cfg.claude.startup_grace_seconds = 60;
        for (const auto& [k, v] : core::current_environment())
            if (!k.starts_with("CLAUSTER_") && !k.starts_with("FAKE_CLAUDE_")) env.emplace(k, v);
        env["HOME"] = home.string();
        env["FAKE_CLAUDE_MAX_IDLE"] = "60";
        for (auto& [k, v] : extra) env[k] = v;
        rebuild();
    }

    ~bench() {
        // Never leave a fake running: stop whatever is still live.
        if (mgr)
            for (const auto& inst : mgr->list())
                if (inst.bridge || inst.keeper) (void)run(mgr->stop(inst.instance_id));
    }

    void add_project(const std::string& name, bool trusted) {
        std::filesystem::create_directories(root / name);
        if (!trusted) return;
        trusted_paths.push_back((root / name).string());
        std::string body = R"({"projects": {)";
        for (std::size_t i = 0; i < trusted_paths.size(); ++i)
            body += (i ? "," : "") + std::string("\"") + trusted_paths[i] + R"(": {"hasTrustDialogAccepted": true})";
        test::write_file(home / ".claude.json", body + "}}");
    }

    /// A fresh manager over the same store and files: what a restarted server sees.
    void rebuild() {
        if (mgr) mgr->shutdown();
        mgr.reset();
        catalog = std::make_unique<core::project_catalog>(cfg, home);
        mgr = std::make_unique<core::instance_manager>(ioc.get_executor(), cfg, exec, store, *catalog, clk, env,
                                                       core::instance_paths{state, home, CLAUSTER_TEST_CLI});
    }

    template <class T>
    T run(boost::asio::awaitable<T> op) {
        auto fut = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
        ioc.restart();
        while (fut.wait_for(0s) != std::future_status::ready) ioc.run_for(20ms);
        return fut.get();
    }

    /// Lets watches run for a while (exit detection, startup promotion).
    void pump(std::chrono::milliseconds d) {
        ioc.restart();
        ioc.run_for(d);
    }

    core::spawn_result spawn_ok(core::spawn_request r) {
        if (r.project.empty()) r.project = "api";
        auto out = run(mgr->spawn(r));
        INFO((out ? std::string() : out.error().message));
        REQUIRE(out.has_value());
        return *out;
    }

    boost::json::array argv_of(const core::instance& inst) {
        const auto text = test::read_file(inst.bridge_debug_log_path->string() + ".argv.json");
        return boost::json::parse(text).as_array();
    }

    bool pid_alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0 && core::read_proc_stat(pid) && core::read_proc_stat(pid)->state != 'Z'; }

    std::vector<std::string> trusted_paths;
};

bool contains(const boost::json::array& argv, std::string_view s) {
    for (const auto& a : argv)
        if (a.is_string() && a.as_string() == s) return true;
    return false;
}

}  // namespace

TEST_CASE("Server Mode: ready, listed, stopped", "[core][instances]") {
    bench b;
    b.mgr->set_claude_version("2.1.156");
    core::event_journal events;
    b.mgr->set_event_sink(&events);
    auto out = b.spawn_ok({});
    CHECK(out.created);
    const auto& inst = out.inst;
    CHECK(inst.status == instance_status::running);
    CHECK(inst.environment_id == "env_01TESTENVAAAAAAAAAAAAAAAA");
    CHECK(inst.url == "https://claude.ai/code?environment=env_01TESTENVAAAAAAAAAAAAAAAA");
    CHECK(inst.session_url() == "https://claude.ai/code/session_01TESTSTARTERAAAAAAAAAA?from=cli");
    CHECK(inst.bridge_id == "11111111-2222-3333-4444-555555555555");
    CHECK(inst.claude_version == "2.1.156");  // the probe's answer, stamped at launch
    REQUIRE(inst.bridge);
    CHECK(inst.bridge->start_ticks);
    CHECK(inst.bridge->boot_id);
    CHECK(test::mode_of(*inst.bridge_debug_log_path) == 0600);
    const auto argv = b.argv_of(inst);
    CHECK(argv.at(1) == "remote-control");
    CHECK(contains(argv, "--spawn"));
    CHECK(contains(argv, "same-dir"));
    CHECK(contains(argv, "--capacity"));
    CHECK(b.store.rows.size() == 1);
    CHECK(b.mgr->running_count() == 1);

    auto stopped = b.run(b.mgr->stop("api"));
    REQUIRE(stopped.has_value());
    CHECK(stopped->status == instance_status::stopped);
    CHECK(stopped->intentional_stop);
    CHECK_FALSE(b.pid_alive(inst.bridge->pid));
    CHECK(test::read_file(*inst.bridge_debug_log_path).find("[bridge:shutdown] SIGINT") != std::string::npos);

    // Every transition went through the event sink, once, in order.
    std::vector<std::string> types;
    for (const auto& e : events.since(0).events) {
        CHECK(e.subject == inst.instance_id);
        CHECK(e.project == "api");
        types.push_back(e.type);
    }
    CHECK(types == std::vector<std::string>{"instance.starting", "instance.running", "instance.stopped"});
}

TEST_CASE("one live Server Mode bridge per project, even under 20 concurrent spawns", "[core][instances]") {
    bench b;
    std::vector<std::future<core::outcome<core::spawn_result>>> futures;
    for (int i = 0; i < 20; ++i) {
        core::spawn_request r;
        r.project = "api";
        futures.push_back(boost::asio::co_spawn(b.ioc, b.mgr->spawn(r), boost::asio::use_future));
    }
    b.ioc.restart();
    for (auto& f : futures)
        while (f.wait_for(0s) != std::future_status::ready) b.ioc.run_for(20ms);
    int created = 0;
    std::set<std::string> ids;
    for (auto& f : futures) {
        auto r = f.get();
        REQUIRE(r.has_value());
        created += r->created ? 1 : 0;
        ids.insert(r->inst.instance_id);
    }
    CHECK(created == 1);
    CHECK(ids.size() == 1);
    CHECK(b.mgr->list().size() == 1);
}

TEST_CASE("every fake mode goes through the state machine", "[core][instances]") {
    SECTION("slow start is promoted") {
        bench b(knobs{{"FAKE_CLAUDE_MODE", "slow"}, {"FAKE_CLAUDE_SLOW", "1"}});
        CHECK(b.spawn_ok({}).inst.status == instance_status::running);
    }
    SECTION("exits before ready") {
        bench b(knobs{{"FAKE_CLAUDE_MODE", "no_marker"}});
        CHECK(b.spawn_ok({}).inst.status == instance_status::error);
    }
    SECTION("trust error") {
        bench b(knobs{{"FAKE_CLAUDE_MODE", "trust_error"}});
        auto inst = b.spawn_ok({}).inst;
        CHECK(inst.status == instance_status::error);
        REQUIRE(inst.error_detail);
    }
    SECTION("stderr error lands redacted in error_detail") {
        bench b(knobs{{"FAKE_CLAUDE_MODE", "stderr_error"}});
        auto inst = b.spawn_ok({}).inst;
        CHECK(inst.status == instance_status::error);
        REQUIRE(inst.error_detail);
        CHECK(inst.error_detail->find("failed to authenticate bridge") != std::string::npos);
    }
    SECTION("never ready: ERROR after the startup grace") {
        bench b(knobs{{"FAKE_CLAUDE_MODE", "stall"}});
        b.cfg.claude.startup_grace_seconds = 1;
        auto inst = b.spawn_ok({}).inst;
        CHECK(inst.status == instance_status::error);
        CHECK(inst.error_detail);
    }
    SECTION("a crash after ready is CRASHED; intentional_stop stays false") {
        bench b(knobs{{"FAKE_CLAUDE_MODE", "crash_after"}, {"FAKE_CLAUDE_CRASH_AFTER", "1"}});
        auto inst = b.spawn_ok({}).inst;
        CHECK(inst.status == instance_status::running);
        b.pump(2500ms);
        auto after = b.mgr->get(inst.instance_id).value();
        CHECK(after.status == instance_status::crashed);
        CHECK_FALSE(after.intentional_stop);
    }
    SECTION("spawn_mode session exits count as STOPPED") {
        bench b(knobs{{"FAKE_CLAUDE_MODE", "crash_after"}, {"FAKE_CLAUDE_CRASH_AFTER", "1"}});
        core::spawn_request r;
        r.spawn_mode = "session";
        auto inst = b.spawn_ok(r).inst;
        b.pump(2500ms);
        CHECK(b.mgr->get(inst.instance_id)->status == instance_status::stopped);
    }
    SECTION("a missing binary is a launch failure (409)") {
        bench b;
        b.cfg.claude.binary = (b.tmp / "no-claude").string();
        core::spawn_request r;
        r.project = "api";
        auto out = b.run(b.mgr->spawn(r));
        REQUIRE_FALSE(out.has_value());
        CHECK(out.error().code == core::errc::conflict);
    }
}

TEST_CASE("stop escalates to SIGKILL when SIGINT is ignored", "[core][instances]") {
    bench b(knobs{{"FAKE_CLAUDE_MODE", "ignore_sigint"}});
    auto inst = b.spawn_ok({}).inst;
    REQUIRE(inst.status == instance_status::running);
    const auto started = std::chrono::steady_clock::now();
    auto stopped = b.run(b.mgr->stop(inst.instance_id));
    REQUIRE(stopped.has_value());
    CHECK(std::chrono::steady_clock::now() - started >= 4500ms);
    CHECK(stopped->status == instance_status::stopped);
    CHECK_FALSE(b.pid_alive(inst.bridge->pid));
}

TEST_CASE("gates: unknown project, trust, max_bridges", "[core][instances]") {
    bench b;
    b.add_project("web", false);
    core::spawn_request r;
    r.project = "nope";
    CHECK(b.run(b.mgr->spawn(r)).error().code == core::errc::not_found);
    r.project = "../api";
    CHECK(b.run(b.mgr->spawn(r)).error().code == core::errc::not_found);

    r.project = "web";
    auto untrusted = b.run(b.mgr->spawn(r));
    REQUIRE_FALSE(untrusted.has_value());
    CHECK(untrusted.error().code == core::errc::conflict);
    CHECK(untrusted.error().message ==
          "directory not trusted: " + (b.root / "web").string() + ". Use the Trust action first.");

    b.cfg.instance_defaults.max_bridges = 1;
    b.spawn_ok({});
    r.trust = true;
    auto capped = b.run(b.mgr->spawn(r));
    REQUIRE_FALSE(capped.has_value());
    CHECK(capped.error().message.find("max_bridges") != std::string::npos);

    b.cfg.instance_defaults.max_bridges.reset();
    auto trusted = b.run(b.mgr->spawn(r));
    REQUIRE(trusted.has_value());
    CHECK(test::read_file(b.home / ".claude.json").find((b.root / "web").string()) != std::string::npos);
    CHECK(test::read_file(b.home / ".claude.json").find("hasUsedRemoteControl") != std::string::npos);
}

TEST_CASE("references: id, project name, prefix, ambiguity", "[core][instances]") {
    bench b;
    const auto id = b.spawn_ok({}).inst.instance_id;
    CHECK(b.mgr->get(id)->instance_id == id);
    CHECK(b.mgr->get("api")->instance_id == id);
    CHECK(b.mgr->get(id.substr(0, 6))->instance_id == id);
    CHECK(b.mgr->get("zzzz").error().message == "no such instance: zzzz");
    REQUIRE(b.run(b.mgr->stop(id)).has_value());
    const auto second = b.run(b.mgr->resume(id));
    REQUIRE(second.has_value());
    CHECK(second->created);
    CHECK(second->inst.instance_id != id);  // Server Mode resume is a new bridge
    CHECK(b.mgr->list().size() == 1);       // ... that supersedes the dead card

    b.add_project("web", true);
    core::spawn_request w;
    w.project = "web";
    w.resume_mode = "pty";
    b.spawn_ok(w);
    b.spawn_ok(w);
    auto amb = b.mgr->get("web");
    REQUIRE_FALSE(amb.has_value());
    CHECK(amb.error().code == core::errc::conflict);
    CHECK(amb.error().message.find("ambiguous 'web' \u2014 matches ") == 0);
    CHECK(amb.error().message.find("; use an instance id directly") != std::string::npos);
}

TEST_CASE("restart: live rows reattach with the same id, dead rows come back STOPPED", "[core][instances]") {
    bench b;
    b.add_project("web", true);
    const auto live = b.spawn_ok({}).inst;
    core::spawn_request w;
    w.project = "web";
    const auto dead = b.spawn_ok(w).inst;
    b.mgr->shutdown();
    ::kill(dead.bridge->pid, SIGKILL);
    for (int i = 0; i < 100 && b.pid_alive(dead.bridge->pid); ++i) std::this_thread::sleep_for(20ms);

    b.rebuild();
    b.run(b.mgr->recover());
    const auto listed = b.mgr->list();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].instance_id == live.instance_id);
    CHECK(listed[0].status == instance_status::running);
    CHECK(listed[0].environment_id == "env_01TESTENVAAAAAAAAAAAAAAAA");
    CHECK(listed[1].instance_id == dead.instance_id);
    CHECK(listed[1].status == instance_status::stopped);

    SECTION("the reattached bridge is still watched") {
        ::kill(live.bridge->pid, SIGKILL);
        b.pump(1000ms);
        CHECK(b.mgr->get(live.instance_id)->status == instance_status::crashed);
    }
    SECTION("a recycled pid (other start ticks) is never live") {
        auto forged = b.store.rows[0];
        forged.bridge->start_ticks = *forged.bridge->start_ticks + 1;
        b.store.rows[0] = forged;
        b.rebuild();
        b.run(b.mgr->recover());
        CHECK(b.mgr->get(live.instance_id)->status == instance_status::stopped);
        CHECK(b.pid_alive(live.bridge->pid));  // and it was not signalled
        b.store.rows[0] = test::in_memory_instance_store::durable(live);
        b.rebuild();
        b.run(b.mgr->recover());
    }
}

TEST_CASE("forget refuses live instances and never kills", "[core][instances]") {
    bench b;
    const auto inst = b.spawn_ok({}).inst;
    auto refused = b.mgr->forget(inst.instance_id);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == core::errc::conflict);
    CHECK(b.pid_alive(inst.bridge->pid));
    REQUIRE(b.run(b.mgr->stop(inst.instance_id)).has_value());
    CHECK(b.mgr->forget(inst.instance_id.substr(0, 8)).value() == inst.instance_id.substr(0, 8));
    CHECK(b.mgr->list().empty());
    CHECK(b.store.rows.empty());
}

TEST_CASE("Interactive Session: keeper, two SIGINTs, resume with --continue", "[core][instances]") {
    bench b;
    core::spawn_request r;
    r.resume_mode = "pty";
    auto out = b.spawn_ok(r);
    CHECK(out.warnings.size() == 1);
    auto inst = out.inst;
    CHECK(inst.status == instance_status::running);
    CHECK(inst.url == "https://claude.ai/code/session_01TESTPTYSESSIONAAAAA");
    REQUIRE(inst.keeper);
    auto stopped = b.run(b.mgr->stop(inst.instance_id));
    REQUIRE(stopped.has_value());
    CHECK(stopped->status == instance_status::stopped);
    CHECK_FALSE(b.pid_alive(inst.keeper->pid));

    auto resumed = b.run(b.mgr->resume(inst.instance_id));
    REQUIRE(resumed.has_value());
    CHECK(resumed->created);
    CHECK(resumed->inst.instance_id == inst.instance_id);
    CHECK(resumed->inst.status == instance_status::running);
    CHECK(contains(b.argv_of(resumed->inst), "--continue"));
    auto again = b.run(b.mgr->resume(inst.instance_id));
    REQUIRE(again.has_value());
    CHECK_FALSE(again->created);
}

TEST_CASE("an Interactive Session keeper survives a manager restart", "[core][instances]") {
    bench b;
    core::spawn_request r;
    r.resume_mode = "pty";
    const auto inst = b.spawn_ok(r).inst;
    b.rebuild();
    b.run(b.mgr->recover());
    auto back = b.mgr->get(inst.instance_id);
    REQUIRE(back.has_value());
    CHECK(back->status == instance_status::running);
    CHECK(back->url == "https://claude.ai/code/session_01TESTPTYSESSIONAAAAA");
    auto stopped = b.run(b.mgr->stop(inst.instance_id));
    REQUIRE(stopped.has_value());
    CHECK_FALSE(b.pid_alive(inst.keeper->pid));
}

TEST_CASE("a hand-started Server Mode bridge is adopted from its pointer", "[core][instances]") {
    bench b;
    core::launch_request req;
    req.argv = {CLAUSTER_TEST_FAKE_CLAUDE, "remote-control", "--name", "api", "--debug-file",
                (b.tmp / "manual.log").string()};
    req.cwd = b.root / "api";
    req.env = b.env;
    req.output_path = b.tmp / "manual.out";
    auto launched = b.exec.launch(req);
    REQUIRE(launched.has_value());
    const auto pointer = b.home / ".claude" / "projects";
    for (int i = 0; i < 250 && !std::filesystem::exists(pointer); ++i) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(200ms);
    b.run(b.mgr->recover());
    auto listed = b.mgr->list();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].status == instance_status::running);
    CHECK(listed[0].bridge->pid == launched->pid);
    CHECK(listed[0].starter_session_id == "session_01TESTSTARTERAAAAAAAAAA");
    // A second manager derives the same id.
    b.rebuild();
    b.store.rows.clear();
    b.run(b.mgr->recover());
    CHECK(b.mgr->list().at(0).instance_id == listed[0].instance_id);
}

TEST_CASE("a live keeper whose row was lost is recovered from its sidecar", "[core][instances]") {
    bench b;
    core::spawn_request r;
    r.resume_mode = "pty";
    r.spawn_mode = "worktree";
    std::filesystem::create_directories(b.root / "api" / ".git");
    const auto inst = b.spawn_ok(r).inst;
    REQUIRE(inst.status == instance_status::running);
    b.store.rows.clear();
    b.rebuild();
    b.run(b.mgr->recover());
    const auto listed = b.mgr->list();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].resume_mode == core::launch_mode::pty);
    CHECK(listed[0].status == instance_status::running);
    CHECK(listed[0].keeper->pid == inst.keeper->pid);
    CHECK(listed[0].worktree_name == inst.worktree_name);
    CHECK(listed[0].url == "https://claude.ai/code/session_01TESTPTYSESSIONAAAAA");
    CHECK(b.store.rows.size() == 1);
    auto stopped = b.run(b.mgr->stop(listed[0].instance_id));
    REQUIRE(stopped.has_value());
    CHECK_FALSE(b.pid_alive(inst.keeper->pid));
}
