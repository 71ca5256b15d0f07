// Background agents against the real fake claude (`claude --bg`, `rm`, the
// roster and state.json) and the real local executor, in a temporary HOME.
#include <clauster/core/background_agents.hpp>

#include "background_files.hpp"
#include "support/temp_dir.hpp"

#include <clauster/core/json.hpp>
#include <clauster/core/local_executor.hpp>
#include <clauster/core/proc_fs.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

#include <unistd.h>

using namespace clauster;
using namespace std::chrono_literals;

namespace {

using knobs = std::vector<std::pair<std::string, std::string>>;

/// A temporary HOME and projects root, the fake claude, and the service over them.
struct bench {
    test::temp_dir tmp{"clauster-bg"};
    std::filesystem::path home = tmp / "home";
    std::filesystem::path root = tmp / "projects";
    std::filesystem::path state = tmp / "state";
    core::config cfg;
    core::environment env;
    boost::asio::io_context ioc;
    core::local_executor exec{ioc.get_executor()};
    std::unique_ptr<core::project_catalog> catalog;
    std::unique_ptr<core::background_agents> agents;
    /// Workers seen alive, killed at the end whatever happened.
    std::vector<core::process_identity> workers;

    explicit bench(knobs extra = {}) {
        std::filesystem::create_directories(home);
        std::filesystem::create_directories(root / "api");
        std::filesystem::create_directories(state);
        cfg.projects_root = root;
        cfg.state_dir = state;
        cfg.claude.binary = CLAUSTER_TEST_FAKE_CLAUDE;
        for (const auto& [k, v] : core::current_environment())
            if (!k.starts_with("CLAUSTER_") && !k.starts_with("FAKE_CLAUDE_")) env.emplace(k, v);
        env["HOME"] = home.string();
        env["FAKE_CLAUDE_MAX_IDLE"] = "30";
        env["FAKE_CLAUDE_BG_WORK"] = "0.3";
        for (auto& [k, v] : extra) env[k] = v;
        rebuild();
    }

    void rebuild() {
        agents.reset();
        catalog = std::make_unique<core::project_catalog>(cfg, home);
        core::background_agents_options opts;
        opts.sigint_gap = 300ms;
        opts.stop_wait = 1500ms;
        opts.stop_poll = 100ms;
        agents = std::make_unique<core::background_agents>(ioc.get_executor(), cfg, exec, *catalog, env, home, state,
                                                           opts);
    }

    ~bench() {
        for (const auto& w : workers)
            if (auto now = core::current_identity(w.pid); now && now->start_ticks == w.start_ticks)
                ::kill(w.pid, SIGKILL);
    }

    template <class T>
    T run(boost::asio::awaitable<T> op) {
        auto fut = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
        ioc.restart();
        while (fut.wait_for(0s) != std::future_status::ready) ioc.run_for(20ms);
        return fut.get();
    }

    std::string dispatch_ok(core::agent_request r) {
        if (!r.project) r.project = "api";
        auto out = run(agents->dispatch(r));
        INFO((out ? std::string() : out.error().message));
        REQUIRE(out.has_value());
        CHECK(core::detail::is_job_id(*out));
        if (auto id = roster_identity(*out)) workers.push_back(*id);
        return *out;
    }

    std::optional<core::process_identity> roster_identity(const std::string& id) {
        const auto roster = core::detail::read_roster(home);
        const auto it = roster.find(id);
        if (it == roster.end()) return std::nullopt;
        return it->second;
    }

    std::optional<core::background_job> find(const std::string& id) {
        for (auto& j : agents->list())
            if (j.id == id) return j;
        return std::nullopt;
    }

    /// Polls the listing until @p pred holds (real processes: bounded wait).
    template <class Pred>
    std::optional<core::background_job> wait_for(const std::string& id, Pred pred, std::chrono::seconds limit = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto j = find(id); j && pred(*j)) return j;
            std::this_thread::sleep_for(50ms);
        }
        return find(id);
    }

    boost::json::array argv_of(const std::string& id) {
        return boost::json::parse(test::read_file(home / ".claude" / "jobs" / id / "argv.json")).as_array();
    }

    void write_state(const std::string& id, std::string_view body) {
        test::write_file(home / ".claude" / "jobs" / id / "state.json", body);
    }
    void write_roster(std::string_view body) { test::write_file(home / ".claude" / "daemon" / "roster.json", body); }
};

bool contains(const boost::json::array& argv, std::string_view s) {
    for (const auto& a : argv)
        if (a.is_string() && a.as_string() == s) return true;
    return false;
}

bool pid_alive(int pid) {
    const auto st = core::read_proc_stat(pid);
    return st && !core::is_exited_state(st->state);
}

template <class T>
std::string message_of(const core::outcome<T>& r) {
    return r ? std::string("(ok)") : r.error().message;
}

template <class T>
bool has_code(const core::outcome<T>& r, core::errc e) {
    return !r && r.error().code == core::make_error_code(e);
}

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE("background: dispatch, working, done (redacted), stop and rm", "[core][agents]") {
    bench b{{{"FAKE_CLAUDE_BG_WORK", "0.8"}}};
    const auto id = b.dispatch_ok({.prompt = "fix the flaky test"});

    // The exact command line: absolute binary, --bg, the effective mode, prompt after --.
    const auto argv = b.argv_of(id);
    CHECK(contains(argv, "--bg"));
    CHECK(contains(argv, "--permission-mode"));
    CHECK(contains(argv, "default"));
    CHECK(contains(argv, "--"));
    CHECK(contains(argv, "fix the flaky test"));
    CHECK_FALSE(contains(argv, "--rc"));
    // The cwd was pre-trusted.
    CHECK(test::read_file(b.home / ".claude.json").find("hasTrustDialogAccepted") != std::string::npos);

    auto job = b.find(id);
    REQUIRE(job);
    CHECK(job->state == "working");
    CHECK(job->worker_alive);
    REQUIRE(job->worker_pid);
    CHECK(job->session_id.value_or("").starts_with(id));
    CHECK(job->intent == "fix the flaky test");
    CHECK(job->cli_version == "2.1.156");
    CHECK(job->created_at.value_or(0) > 0);

    job = b.wait_for(id, [](const core::background_job& j) { return j.state == "done"; });
    REQUIRE(job);
    CHECK(job->state == "done");
    REQUIRE(job->result);
    CHECK(job->result->find("ghp_") == std::string::npos);
    CHECK(job->result->find('\x1b') == std::string::npos);
    CHECK(job->result->find("<redacted>") != std::string::npos);
    CHECK(job->worker_alive);  // resident until stopped
    const int pid = *job->worker_pid;

    auto stopped = b.run(b.agents->stop(id));
    INFO(message_of(stopped));
    REQUIRE(stopped.has_value());
    CHECK(stopped->id == id);
    CHECK(stopped->settled);
    CHECK(stopped->removed);
    CHECK_FALSE(b.find(id));
    CHECK_FALSE(pid_alive(pid));
    CHECK_FALSE(std::filesystem::exists(b.home / ".claude" / "jobs" / id));
}

TEST_CASE("background: rc_name and model reach the command line", "[core][agents]") {
    bench b;
    const auto id = b.dispatch_ok({.rc_name = "nightly", .model = "opus", .permission_mode = "plan"});
    const auto argv = b.argv_of(id);
    CHECK(contains(argv, "--rc"));
    CHECK(contains(argv, "nightly"));
    CHECK(contains(argv, "--model"));
    CHECK(contains(argv, "opus"));
    CHECK(contains(argv, "plan"));
    CHECK_FALSE(contains(argv, "--"));
    auto job = b.find(id);
    REQUIRE(job);
    CHECK(job->name == "nightly");
    CHECK(job->bridge_session_id.has_value());
}

TEST_CASE("background: list ordering and an unused agent view", "[core][agents]") {
    bench b;
    CHECK(b.agents->list().empty());  // no ~/.claude/jobs at all
    b.write_state("000000aa", R"({"state":"done","updatedAt":100})");
    b.write_state("000000cc", R"({"state":"done","updatedAt":300})");
    b.write_state("000000bb", R"({"state":"done","updatedAt":300})");
    b.write_state("000000dd", R"({"state":"done"})");
    b.write_state("not-a-job", R"({"state":"done","updatedAt":900})");
    std::vector<std::string> ids;
    for (const auto& j : b.agents->list()) ids.push_back(j.id);
    CHECK(ids == std::vector<std::string>{"000000bb", "000000cc", "000000aa", "000000dd"});
}

TEST_CASE("background: a worker that ignores SIGINT is never killed: 409", "[core][agents]") {
    bench b{{{"FAKE_CLAUDE_BG_MODE", "ignore_sigint"}}};
    const auto id = b.dispatch_ok({.prompt = "stubborn"});
    auto job = b.find(id);
    REQUIRE(job);
    REQUIRE(job->worker_pid);
    const int pid = *job->worker_pid;

    auto stopped = b.run(b.agents->stop(id));
    CHECK(has_code(stopped, core::errc::conflict));
    CHECK_THAT(message_of(stopped), Catch::Contains("did not stop") && Catch::Contains("not force-killed"));
    CHECK(pid_alive(pid));
    job = b.find(id);
    REQUIRE(job);
    CHECK(job->worker_alive);
    ::kill(pid, SIGKILL);  // the test cleans up what the service must not
}

TEST_CASE("background: a recycled pid (start ticks differ) is not live", "[core][agents]") {
    bench b;
    const auto id = b.dispatch_ok({.prompt = "recycle"});
    const auto real = b.roster_identity(id);
    REQUIRE(real);
    REQUIRE(real->start_ticks);
    CHECK(b.find(id)->worker_alive);

    b.write_roster(R"({"workers":{")" + id + R"(":{"pid":)" + std::to_string(real->pid) + R"(,"procStart":")" +
                   std::to_string(*real->start_ticks + 1) + R"(","startedAt":1}}})");
    auto job = b.find(id);
    REQUIRE(job);
    CHECK_FALSE(job->worker_alive);
    CHECK_FALSE(job->worker_pid);
    // The same pid with no procStart fails closed too.
    b.write_roster(R"({"workers":{")" + id + R"(":{"pid":)" + std::to_string(real->pid) + R"(}}})");
    CHECK_FALSE(b.find(id)->worker_alive);
    CHECK(pid_alive(real->pid));  // nothing was signalled
}

TEST_CASE("background: resume an ended job as a new job", "[core][agents]") {
    bench b;
    const auto id = b.dispatch_ok({.prompt = "first run", .model = "sonnet"});
    auto live = b.run(b.agents->resume(id));
    CHECK(has_code(live, core::errc::conflict));
    CHECK_THAT(message_of(live), Catch::Contains("still running"));

    // The worker ends on its own (SIGTERM: exits at once, keeps state.json).
    const auto worker = b.roster_identity(id);
    REQUIRE(worker);
    ::kill(worker->pid, SIGTERM);
    auto ended = b.wait_for(id, [](const core::background_job& j) { return !j.worker_alive; });
    REQUIRE(ended);
    REQUIRE_FALSE(ended->worker_alive);

    auto resumed = b.run(b.agents->resume(id));
    INFO(message_of(resumed));
    REQUIRE(resumed.has_value());
    CHECK(*resumed != id);
    if (auto w = b.roster_identity(*resumed)) b.workers.push_back(*w);
    const auto argv = b.argv_of(*resumed);
    CHECK(contains(argv, "--resume"));
    CHECK(contains(argv, ended->session_id.value()));
    CHECK(contains(argv, "sonnet"));
    auto job = b.find(*resumed);
    REQUIRE(job);
    CHECK(job->cwd == ended->cwd);

    SECTION("the refusals") {
        CHECK(message_of(b.run(b.agents->resume("XYZ"))) == "invalid job id");
        auto unknown = b.run(b.agents->resume("0badcafe"));
        CHECK(has_code(unknown, core::errc::conflict));
        CHECK_THAT(message_of(unknown), Catch::Contains("unknown background job"));

        b.write_state("0000beef", R"({"state":"done","cwd":")" + (b.root / "api").string() + R"("})");
        CHECK_THAT(message_of(b.run(b.agents->resume("0000beef"))), Catch::Contains("no resumable session id"));
        b.write_state("0000beef", R"({"state":"done","sessionId":"0000beef-1111-4222-8333-444444444444"})");
        CHECK_THAT(message_of(b.run(b.agents->resume("0000beef"))), Catch::Contains("has no cwd"));
        b.write_state("0000beef", R"({"state":"done","sessionId":"0000beef-1111-4222-8333-444444444444","cwd":")" +
                                      (b.root / "api").string() + R"(","permissionMode":"bypassPermissions"})");
        CHECK(has_code(b.run(b.agents->resume("0000beef")), core::errc::forbidden));
    }
}

TEST_CASE("background: dispatch validations, in the spec's order", "[core][agents]") {
    bench b;
    auto fails = [&](core::agent_request r, core::errc e, std::string_view message) {
        auto out = b.run(b.agents->dispatch(std::move(r)));
        CHECK(has_code(out, e));
        CHECK(message_of(out) == message);
    };
    fails({}, core::errc::invalid_argument, "project must be a string");
    fails({.project = "../etc"}, core::errc::invalid_argument, "invalid project name");
    fails({.project = "  "}, core::errc::invalid_argument, "invalid project name");
    fails({.project = "api", .prompt = "x", .rc_name = ""}, core::errc::invalid_argument, "rc_name must not be empty");
    fails({.project = "api", .prompt = "x", .model = ""}, core::errc::invalid_argument, "model must not be empty");
    fails({.project = "api", .prompt = "x", .permission_mode = ""}, core::errc::invalid_argument,
          "permission_mode must not be empty");
    fails({.project = "api", .prompt = "x", .model = "--evil"}, core::errc::invalid_argument,
          "model must not start with '-'");
    {
        auto out = b.run(b.agents->dispatch({.project = "api", .prompt = "x", .permission_mode = "yolo"}));
        CHECK(has_code(out, core::errc::invalid_argument));
    }
    fails({.project = "nope", .prompt = "x"}, core::errc::not_found, "project 'nope' not found");
    // 404 before 403 before the prompt rule.
    fails({.project = "nope", .permission_mode = "bypassPermissions"}, core::errc::not_found,
          "project 'nope' not found");
    {
        auto out = b.run(b.agents->dispatch({.project = "api", .permission_mode = "bypassPermissions"}));
        CHECK(has_code(out, core::errc::forbidden));
    }
    const std::string prompt_rule = "prompt is required for a background session unless rc_name registers it on claude.ai";
    fails({.project = "api"}, core::errc::invalid_argument, prompt_rule);
    fails({.project = " api ", .prompt = " \t\xEF\xBB\xBF\xE3\x80\x80 "}, core::errc::invalid_argument, prompt_rule);

    SECTION("the default mode counts for the ceiling") {
        b.cfg.instance_defaults.permission_mode = core::permission_mode::bypass_permissions;
        b.rebuild();
        auto out = b.run(b.agents->dispatch({.project = "api", .prompt = "x"}));
        CHECK(has_code(out, core::errc::forbidden));
    }
    SECTION("claude missing: 503") {
        b.cfg.claude.binary = (b.tmp / "no-such-claude").string();
        b.rebuild();
        fails({.project = "api", .prompt = "x"}, core::errc::unavailable,
              "claude CLI not found: '" + b.cfg.claude.binary + "'");
        CHECK(has_code(b.run(b.agents->stop("0badcafe")), core::errc::unavailable));
    }
    SECTION("a failed dispatch: 502 with the redacted stderr") {
        b.env["FAKE_CLAUDE_BG_MODE"] = "dispatch_fail";
        b.rebuild();
        auto out = b.run(b.agents->dispatch({.project = "api", .prompt = "x"}));
        CHECK(has_code(out, core::errc::bad_gateway));
        CHECK_THAT(message_of(out), Catch::StartsWith("background dispatch failed: "));
        CHECK(message_of(out).size() > std::string("background dispatch failed: ").size());
    }
    SECTION("stop needs a job id") {
        for (const char* bad : {"", "0BADCAFE", "0badcaf", "0badcafe0", "../../x", "0badcafg"})
            CHECK(message_of(b.run(b.agents->stop(bad))) == "invalid job id");
    }
}

TEST_CASE("background: rm soft-fails without a supervisor; the dead job's directory goes", "[core][agents]") {
    bench b{{{"FAKE_CLAUDE_RM_MODE", "no_supervisor"}}};
    const auto id = b.dispatch_ok({.prompt = "orphan"});
    auto stopped = b.run(b.agents->stop(id));
    INFO(message_of(stopped));
    REQUIRE(stopped.has_value());
    CHECK_FALSE(stopped->settled);
    CHECK(stopped->removed);
    CHECK_FALSE(std::filesystem::exists(b.home / ".claude" / "jobs" / id));
    CHECK_FALSE(b.find(id));
}

TEST_CASE("background: malformed state.json and roster.json never crash nor show a live worker", "[core][agents]") {
    bench b;
    const std::string self_ticks = std::to_string(core::current_identity(::getpid())->start_ticks.value());
    b.write_state("00000001", R"({"state":"working","updatedAt":)");                            // truncated
    b.write_state("00000002", R"({"state":5,"updatedAt":"yesterday","result":{},"cwd":[1],"needs":true})");  // types
    b.write_state("00000003", "[" + std::string(5000, '[') + std::string(5001, ']'));         // deep nesting
    b.write_state("00000004", R"({"result":")" + std::string(2 * 1024 * 1024, 'x') + R"("})");  // huge
    b.write_state("00000005", R"("just a string")");
    b.write_state("00000006", R"({"state":"done","updatedAt":1e300,"createdAt":-5,"result":")" +
                                  std::string(5000, 'y') + R"("})");
    std::filesystem::create_directories(b.home / ".claude" / "jobs" / "00000007" / "state.json");  // a directory
    b.write_state("00000008", "\xff\xfe{\"state\":\"\xc3\x28\"}");

    for (const std::string& roster : {
             std::string(R"({"workers":)"),
             std::string(R"({"workers":[1,2]})"),
             std::string(R"({"workers":{"00000002":{"pid":true,"procStart":")" + self_ticks + R"("}}})"),
             std::string(R"({"workers":{"00000002":{"pid":-1,"procStart":"1"}}})"),
             std::string(R"({"workers":{"00000002":{"pid":1e30,"procStart":"1"}}})"),
             std::string(R"({"workers":{"00000002":{"pid":99999999999999999999,"procStart":"1"}}})"),
             std::string(R"({"workers":{"00000002":{"pid":1,"procStart":"abc"}}})"),
             std::string(R"({"workers":{"00000002":{"pid":1}}})"),
             // Our own (live) pid with its true ticks: not a claude process.
             std::string(R"({"workers":{"00000002":{"pid":)") + std::to_string(::getpid()) + R"(,"procStart":")" +
                 self_ticks + R"("}}})",
             std::string(R"({"workers":{"00000002":{"pid":)") + std::to_string(::getpid()) + R"(,"procStart":)" +
                 self_ticks + "}}}",
             std::string(3 * 1024 * 1024, '{'),
             std::string(5 * 1024 * 1024, ' '),
         }) {
        b.write_roster(roster);
        std::vector<core::background_job> jobs;
        REQUIRE_NOTHROW(jobs = b.agents->list());
        for (const auto& j : jobs) {
            CHECK_FALSE(j.worker_alive);
            CHECK_FALSE(j.worker_pid);
        }
        std::vector<std::string> ids;
        for (const auto& j : jobs) ids.push_back(j.id);
        CHECK(ids == std::vector<std::string>{"00000002", "00000006"});
    }
    const auto wrong = b.find("00000002");
    REQUIRE(wrong);
    CHECK_FALSE(wrong->state);
    CHECK_FALSE(wrong->updated_at);
    CHECK_FALSE(wrong->result);
    CHECK_FALSE(wrong->cwd);
    const auto capped = b.find("00000006");
    REQUIRE(capped);
    CHECK(capped->result == std::string(4000, 'y') + " …<truncated>");
    CHECK_FALSE(capped->updated_at);
    CHECK(capped->created_at == -5);
}

TEST_CASE("background: job id parsing and blank prompts", "[core][agents]") {
    using core::detail::parse_job_id;
    CHECK(parse_job_id("backgrounded · 0badcafe\n") == "0badcafe");
    CHECK(parse_job_id("note 12345678\nbackgrounded · deadbeef") == "deadbeef");
    CHECK(parse_job_id("backgrounded: job 0badcafe1 then 1234abcd") == "1234abcd");
    CHECK(parse_job_id("started job abcdef01 ok") == "abcdef01");
    CHECK(parse_job_id("session 0badcafe-1111-4222") == "0badcafe");
    CHECK_FALSE(parse_job_id("no id here 0BADCAFE 0badcafe_x"));
    CHECK_FALSE(parse_job_id(""));
    CHECK(core::detail::is_blank(""));
    CHECK(core::detail::is_blank(" \t\n\xEF\xBB\xBF\xC2\xA0"));
    CHECK_FALSE(core::detail::is_blank(" a "));
    CHECK_FALSE(core::detail::is_blank("\xff"));
}

TEST_CASE("background: JSON wire forms", "[core][agents]") {
    core::background_job job;
    job.id = "0badcafe";
    job.state = "done";
    job.result = "ok";
    job.cwd = "/p/api";
    job.session_id = "0badcafe-1111-4222-8333-444444444444";
    job.created_at = 1700000000000;
    job.updated_at = 1700000000500;
    job.worker_pid = 42;
    job.worker_alive = true;
    const auto jv = boost::json::value_from(job);
    const auto& o = jv.as_object();
    CHECK(o.size() == 17);
    CHECK(o.at("worker_pid").as_int64() == 42);
    CHECK(o.at("needs").is_null());
    CHECK(o.at("updated_at").as_int64() == 1700000000500);
    CHECK(boost::json::value_to<core::background_job>(jv) == job);

    job.worker_alive = false;  // a dead worker never shows a pid
    CHECK(boost::json::value_from(job).as_object().at("worker_pid").is_null());

    const auto stop = boost::json::value_from(core::stop_result{"0badcafe", true, true, "removed"});
    CHECK(boost::json::serialize(stop) == R"({"id":"0badcafe","settled":true,"removed":true,"detail":"removed"})");

    auto req = core::parse_agent_request(boost::json::parse(R"({"project":"api","prompt":null,"model":"opus"})"));
    REQUIRE(req.has_value());
    CHECK(*req == core::agent_request{.project = "api", .model = "opus"});
    CHECK(core::parse_agent_request(boost::json::parse(R"({"prompt":"x"})")).error().message ==
          "project must be a string");
    CHECK(core::parse_agent_request(boost::json::parse(R"({"project":5})")).error().message ==
          "project must be a string");
    for (const char* field : {"prompt", "rc_name", "model", "permission_mode"}) {
        boost::json::object body{{"project", "api"}, {field, 5}};
        CHECK(core::parse_agent_request(body).error().message == std::string(field) + " must be a string");
    }
    CHECK(core::parse_agent_request(boost::json::parse("[1]")).error().message ==
          "request body must be a JSON object");
}
