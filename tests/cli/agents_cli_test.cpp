// The `clauster agents list|run|stop|resume` commands of the real binary
// against the fake `claude` (its `--bg` and `rm` surface), with no server running.
#include "support/cli_fixture.hpp"
#include "support/fake_claude_setup.hpp"
#include "support/processes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <thread>

using namespace clauster::test;
namespace json = boost::json;

namespace {

using namespace std::chrono_literals;

/// A hermetic installation whose `claude` is the fake, with project `alpha`; on
/// teardown it ends every live worker it can list.
struct agents_installation {
    installation inst;

    agents_installation() { use_fake_claude(inst, {.projects = {"alpha"}, .env = {{"FAKE_CLAUDE_BG_WORK", "0.3"}}}); }

    ~agents_installation() {
        try {
            auto listed = inst.cli({"agents", "list", "--json"});
            if (listed.exit_code != 0) return;
            const json::value all = json::parse(listed.out);
            for (const auto& j : all.as_array())
                if (const auto* pid = j.as_object().if_contains("worker_pid"); pid && pid->is_int64())
                    terminate_if_ours(static_cast<int>(pid->as_int64()));
        } catch (...) {
            // Teardown is best effort; the idle cap of the fake is the last resort.
        }
    }

    run_result cli(const std::vector<std::string>& args) const { return inst.cli(args); }

    /// The job @p id from `agents list --json`, or nullopt.
    std::optional<json::object> job(const std::string& id) const {
        auto r = cli({"agents", "list", "--json"});
        REQUIRE(r.exit_code == 0);
        const json::value all = json::parse(r.out);
        for (const auto& j : all.as_array())
            if (j.at("id") == json::value(id)) return j.as_object();
        return std::nullopt;
    }

    /// Polls until job @p id satisfies @p pred (at most 15 s).
    template <class Pred>
    json::object wait_job(const std::string& id, Pred pred) const {
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        for (;;) {
            auto j = job(id);
            if (j && pred(*j)) return *j;
            if (std::chrono::steady_clock::now() > deadline) FAIL("job " << id << " never reached the state wanted");
            std::this_thread::sleep_for(50ms);
        }
    }
};

/// The id a successful `run`/`resume` printed (one line, 8 hex).
std::string printed_id(const run_result& r) {
    INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    std::smatch m;
    REQUIRE(std::regex_match(r.out, m, std::regex{"([0-9a-f]{8})\n"}));
    return m[1];
}

}  // namespace

TEST_CASE("agents: run, list, stop, resume", "[cli][agents]") {
    agents_installation a;

    auto empty = a.cli({"agents", "list"});
    CHECK(empty.exit_code == 0);
    CHECK(empty.out.empty());
    CHECK(empty.err == "No background agents.\n");
    CHECK(a.cli({"agents", "list", "--json"}).out == "[]\n");

    // run: the new id on stdout.
    const auto id = printed_id(a.cli({"agents", "run", "alpha", "--prompt", "tidy the README"}));

    // list: a table ID STATE NAME CWD.
    auto table = a.cli({"agents", "list"});
    REQUIRE(table.exit_code == 0);
    CHECK(table.out.rfind("ID       STATE    NAME                     CWD\n", 0) == 0);
    CHECK(table.out.find("\n" + id + " ") != std::string::npos);
    CHECK(table.out.find((a.inst.projects / "alpha").filename().string()) != std::string::npos);

    const auto done = a.wait_job(id, [](const json::object& j) { return j.at("state") == json::value("done"); });
    CHECK(done.at("worker_alive") == json::value(true));
    CHECK(json::value_to<std::string>(done.at("result")).find("ghp_") == std::string::npos);

    // resume of a live job is the caller's mistake: exit 2.
    auto live = a.cli({"agents", "resume", id});
    CHECK(live.exit_code == 2);
    CHECK(live.err == "clauster: background job " + id + " is still running; stop it first\n");

    // End the worker without `claude rm`: the ended job resumes as a new one.
    terminate_if_ours(static_cast<int>(done.at("worker_pid").as_int64()));
    a.wait_job(id, [](const json::object& j) { return j.at("worker_alive") == json::value(false); });
    const auto resumed = printed_id(a.cli({"agents", "resume", id}));
    CHECK(resumed != id);
    auto resumed_json = a.cli({"agents", "resume", "--json", id});  // still ended: another new job
    REQUIRE(resumed_json.exit_code == 0);
    const auto third = json::value_to<std::string>(json::parse(resumed_json.out).at("id"));
    CHECK(third != resumed);

    // stop: a live worker (two SIGINTs, then `claude rm`), settled and removed.
    auto stopped = a.cli({"agents", "stop", resumed});
    INFO("stderr: " << stopped.err);
    CHECK(stopped.exit_code == 0);
    CHECK(stopped.out == "stopped " + resumed + " settled=true removed=true\n");
    CHECK_FALSE(a.job(resumed));

    auto stopped_json = a.cli({"agents", "stop", "--json", third});
    CHECK(stopped_json.exit_code == 0);
    const auto sj = json::parse(stopped_json.out);
    CHECK(sj.at("id") == json::value(third));
    CHECK(sj.at("settled") == json::value(true));
    CHECK(sj.at("removed") == json::value(true));

    // The ended original: nothing to signal, `claude rm` removes it.
    CHECK(a.cli({"agents", "stop", id}).out == "stopped " + id + " settled=true removed=true\n");
    CHECK(a.cli({"agents", "list", "--json"}).out == "[]\n");

    // A removed job is unknown to resume: exit 2.
    auto unknown = a.cli({"agents", "resume", id});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err == "clauster: unknown background job '" + id + "'\n");
}

TEST_CASE("agents: bad input exits 2, failures exit 1", "[cli][agents]") {
    agents_installation a;

    const auto check = [&](const std::vector<std::string>& args, int code, const std::string& err) {
        auto r = a.cli(args);
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        CHECK(r.exit_code == code);
        CHECK(r.out.empty());
        CHECK(r.err == err);
    };
    check({"agents", "run", "nope", "--prompt", "x"}, 2, "clauster: project 'nope' not found\n");
    check({"agents", "run", "alpha"}, 2,
          "clauster: prompt is required for a background session unless rc_name registers it on claude.ai\n");
    check({"agents", "run", "alpha", "--prompt", "x", "--rc", ""}, 2, "clauster: rc_name must not be empty\n");
    auto bypass = a.cli({"agents", "run", "alpha", "--prompt", "x", "--permission-mode", "bypassPermissions"});
    CHECK(bypass.exit_code == 2);  // 403: the project does not allow bypassPermissions
    CHECK(bypass.out.empty());
    CHECK(bypass.err.rfind("clauster: ", 0) == 0);
    check({"agents", "stop", "XYZ"}, 2, "clauster: invalid job id\n");
    check({"agents", "resume", "0123abcd"}, 2, "clauster: unknown background job '0123abcd'\n");

    a.inst.env["FAKE_CLAUDE_BG_MODE"] = "dispatch_fail";
    auto failed = a.cli({"agents", "run", "alpha", "--prompt", "x"});
    CHECK(failed.exit_code == 1);
    CHECK(failed.out.empty());

    a.inst.env["CLAUSTER_CLAUDE_BINARY"] = (a.inst.root / "no-such-claude").string();
    auto missing = a.cli({"agents", "run", "alpha", "--prompt", "x"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.rfind("clauster: claude CLI not found", 0) == 0);

    CHECK(a.cli({"agents", "list", "--json"}).out == "[]\n");
}
