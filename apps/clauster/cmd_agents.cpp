#include "cmd_agents.hpp"

#include "engine.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace clauster::cli {
namespace {

struct list_options {
    bool json = false;
};

struct run_options {
    std::string project;
    std::string prompt;
    std::string rc_name;
    std::string model;
    std::string permission_mode;
    // Set by setup_agents: an option given explicitly (even as "") is passed on,
    // so the domain answers an explicit empty value with its own message.
    CLI::Option* prompt_opt = nullptr;
    CLI::Option* rc_opt = nullptr;
    CLI::Option* model_opt = nullptr;
    CLI::Option* mode_opt = nullptr;
    bool json = false;
};

struct job_options {
    std::string id;
    bool json = false;
};

// Column widths (docs/cli.md): left-aligned, padded to the width plus one space;
// a longer value is printed whole. ID is 8 hex; `stopping` is 8; NAME gets 24;
// CWD is last and unpadded.
constexpr int id_width = 8;
constexpr int state_width = 8;
constexpr int name_width = 24;

void print_row(std::string_view id, std::string_view state, std::string_view name, std::string_view cwd) {
    std::cout << std::left << std::setw(id_width) << id << ' ' << std::setw(state_width) << state << ' '
              << std::setw(name_width) << name << ' ' << cwd << '\n';
}

std::string_view or_dash(const std::optional<std::string>& v) {
    return v && !v->empty() ? std::string_view(*v) : std::string_view("-");
}

/// Prints the failure and ends the command: the caller's mistakes
/// (`invalid_argument`, `not_found`, `forbidden`, and `conflict` when
/// @p conflict_is_bad_input) exit 2, anything else exits 1.
[[noreturn]] void fail(const core::failure& f, bool conflict_is_bad_input) {
    say(f.message);
    const bool bad_input = f.code == core::errc::invalid_argument || f.code == core::errc::not_found ||
                           f.code == core::errc::forbidden ||
                           (conflict_is_bad_input && f.code == core::errc::conflict);
    throw command_exit{bad_input ? exit_bad_input : exit_failed};
}

void print_id(const std::string& id, bool json) {
    if (json) {
        boost::json::object body;
        body["id"] = id;
        std::cout << boost::json::serialize(body) << std::endl;
        return;
    }
    std::cout << id << std::endl;
}

void run_list(const global_options& global, const list_options& o) {
    auto eng = engine::open_or_exit(global);
    const auto jobs = eng->agents().list();
    if (o.json) {
        boost::json::array out;
        for (const auto& job : jobs) out.push_back(boost::json::value_from(job));
        std::cout << boost::json::serialize(out) << std::endl;
        return;
    }
    if (jobs.empty()) {
        std::cerr << "No background agents." << std::endl;
        return;
    }
    print_row("ID", "STATE", "NAME", "CWD");
    for (const auto& job : jobs) print_row(job.id, or_dash(job.state), or_dash(job.name), or_dash(job.cwd));
    std::cout.flush();
}

void run_run(const global_options& global, const run_options& o) {
    auto eng = engine::open_or_exit(global);
    core::agent_request wanted;
    wanted.project = o.project;
    if (o.prompt_opt->count() > 0) wanted.prompt = o.prompt;
    if (o.rc_opt->count() > 0) wanted.rc_name = o.rc_name;
    if (o.model_opt->count() > 0) wanted.model = o.model;
    if (o.mode_opt->count() > 0) wanted.permission_mode = o.permission_mode;
    // A conflict here is a failed workspace-trust write: an attempted action failed.
    auto id = eng->run(eng->agents().dispatch(std::move(wanted)));
    if (!id) fail(id.error(), /*conflict_is_bad_input=*/false);
    print_id(*id, o.json);
}

void run_stop(const global_options& global, const job_options& o) {
    auto eng = engine::open_or_exit(global);
    // A conflict is a live worker that did not exit in time (never force-killed).
    auto stopped = eng->run(eng->agents().stop(o.id));
    if (!stopped) fail(stopped.error(), /*conflict_is_bad_input=*/false);
    if (o.json)
        std::cout << boost::json::serialize(boost::json::value_from(*stopped)) << std::endl;
    else
        std::cout << "stopped " << stopped->id << " settled=" << (stopped->settled ? "true" : "false")
                  << " removed=" << (stopped->removed ? "true" : "false") << std::endl;
    if (!stopped->settled) {
        // Not confirmed by `claude rm`: the cloud session may still be registered.
        say(stopped->detail);
        throw command_exit{exit_failed};
    }
}

void run_resume(const global_options& global, const job_options& o) {
    auto eng = engine::open_or_exit(global);
    // A conflict is about the job given (unknown, still live, not resumable).
    auto id = eng->run(eng->agents().resume(o.id));
    if (!id) fail(id.error(), /*conflict_is_bad_input=*/true);
    print_id(*id, o.json);
}

}  // namespace

void setup_agents(CLI::App& app, std::shared_ptr<global_options> global) {
    auto* noun = app.add_subcommand("agents", "Background agents (`claude --bg` jobs)");
    noun->require_subcommand(1);

    auto lo = std::make_shared<list_options>();
    auto* list_cmd = noun->add_subcommand("list", "List background jobs, newest first");
    list_cmd->add_flag("--json", lo->json, "Print a JSON array of jobs");
    list_cmd->callback([global, lo] { run_list(*global, *lo); });

    auto ro = std::make_shared<run_options>();
    auto* run_cmd = noun->add_subcommand("run", "Dispatch a background job in a project; prints its id");
    run_cmd->add_option("project", ro->project, "Project name (a directory under projects_root)")->required();
    ro->prompt_opt = run_cmd->add_option("--prompt", ro->prompt, "The task (required unless --rc is given)");
    ro->rc_opt = run_cmd->add_option("--rc", ro->rc_name, "Register the job on claude.ai under this name");
    ro->model_opt = run_cmd->add_option("--model", ro->model, "Model");
    ro->mode_opt = run_cmd->add_option("--permission-mode", ro->permission_mode, "Permission mode");
    run_cmd->add_flag("--json", ro->json, R"(Print {"id": "<id>"})");
    run_cmd->callback([global, ro] { run_run(*global, *ro); });

    auto so = std::make_shared<job_options>();
    auto* stop_cmd = noun->add_subcommand("stop", "Stop a job (two SIGINTs, never SIGKILL) and remove it");
    stop_cmd->add_option("id", so->id, "Job id (8 lower-case hex digits)")->required();
    stop_cmd->add_flag("--json", so->json, "Print the stop result as JSON");
    stop_cmd->callback([global, so] { run_stop(*global, *so); });

    auto rso = std::make_shared<job_options>();
    auto* resume_cmd = noun->add_subcommand("resume", "Resume an ended job as a new job; prints the new id");
    resume_cmd->add_option("id", rso->id, "Job id (8 lower-case hex digits)")->required();
    resume_cmd->add_flag("--json", rso->json, R"(Print {"id": "<new id>"})");
    resume_cmd->callback([global, rso] { run_resume(*global, *rso); });
}

}  // namespace clauster::cli
