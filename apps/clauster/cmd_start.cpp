#include "cmd_instances.hpp"

#include "engine.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iostream>
#include <optional>
#include <string>

namespace clauster::cli {
namespace {

struct start_options {
    std::string project;
    std::string mode;
    std::string spawn_mode;
    std::string permission_mode;
    std::string name;
    std::string sandbox;
    bool trust = false;
    bool json = false;
    // Which options were given at all (an absent option takes the configured default).
    CLI::Option* mode_opt = nullptr;
    CLI::Option* spawn_mode_opt = nullptr;
    CLI::Option* permission_mode_opt = nullptr;
    CLI::Option* name_opt = nullptr;
    CLI::Option* sandbox_opt = nullptr;
};

std::optional<std::string> given(const CLI::Option* opt, const std::string& value) {
    if (opt == nullptr || opt->count() == 0) return std::nullopt;
    return value;
}

/// Exit codes of a refused or failed spawn (spec §6 `start`): the caller's
/// mistakes (unknown project, bad option, bypassPermissions not allowed, an
/// untrusted directory) exit 2; a launch that was attempted and failed (the
/// max_bridges cap, exec or readiness failure, a busy database) exits 1.
[[noreturn]] void fail_start(const core::failure& f, bool refused_for_trust) {
    if (refused_for_trust) {
        std::string message = f.message;
        if (message.ends_with(core::untrusted_api_hint)) message.resize(message.size() - core::untrusted_api_hint.size());
        say(message + " Pass --trust to accept it first.");
        throw command_exit{exit_bad_input};
    }
    say(f.message);
    const bool bad_input = f.code == core::errc::not_found || f.code == core::errc::invalid_argument ||
                           f.code == core::errc::forbidden;
    throw command_exit{bad_input ? exit_bad_input : exit_failed};
}

void print_json(const core::spawn_result& r) {
    boost::json::value jv = boost::json::value_from(r.inst);
    auto& obj = jv.as_object();
    obj["created"] = r.created;
    if (r.reason)
        obj["reason"] = *r.reason;
    else
        obj["reason"] = nullptr;
    boost::json::array warnings;
    for (const auto& w : r.warnings) warnings.emplace_back(w);
    obj["warnings"] = std::move(warnings);
    std::cout << boost::json::serialize(jv) << std::endl;
}

void print_text(const core::spawn_result& r) {
    const auto& inst = r.inst;
    if (r.created) {
        std::cout << "started " << short_id(inst) << " (" << inst.project << ") mode=" << core::to_string(inst.resume_mode)
                  << " status=" << core::to_string(inst.status) << std::endl;
        return;
    }
    std::cout << "already running: " << short_id(inst) << " (" << inst.project << ") status="
              << core::to_string(inst.status);
    if (r.reason && !r.reason->empty()) std::cout << " \u2014 " << *r.reason;
    std::cout << std::endl;
}

void run_start(const global_options& global, const start_options& o) {
    auto eng = engine::open_or_exit(global);

    core::spawn_request request;
    request.project = o.project;
    request.resume_mode = given(o.mode_opt, o.mode);
    request.spawn_mode = given(o.spawn_mode_opt, o.spawn_mode);
    request.permission_mode = given(o.permission_mode_opt, o.permission_mode);
    request.name = given(o.name_opt, o.name);
    request.sandbox = given(o.sandbox_opt, o.sandbox);
    request.trust = o.trust;

    // The manager refuses an untrusted directory with `conflict`, the same code
    // as the max_bridges cap and launch failures; the trust gate runs before the
    // cap (spec §7.2), so an untrusted project plus `conflict` means "untrusted".
    const auto project = eng->manager().projects().find(o.project);
    const bool untrusted = project && project->trust_state == core::trust_state::untrusted && !o.trust;

    // Reattach first so the idempotency check sees live bridges from other
    // processes (a server, an earlier CLI run) and their real status.
    eng->run(eng->instances().recover());
    auto spawned = eng->run(eng->instances().spawn(std::move(request)));
    if (!spawned) fail_start(spawned.error(), untrusted && spawned.error().code == core::errc::conflict);

    for (const auto& w : spawned->warnings) say("warning: " + w);
    if (o.json)
        print_json(*spawned);
    else
        print_text(*spawned);
}

}  // namespace

void setup_start(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<start_options>();
    auto* cmd = app.add_subcommand("start", "Launch a bridge for a project (or report its live one)");
    cmd->add_option("project", o->project, "Project name (a directory under projects_root)")->required();
    o->mode_opt = cmd->add_option("--mode", o->mode, "Launch mode: standard | pty (default claude.launch_mode)");
    o->spawn_mode_opt =
        cmd->add_option("--spawn-mode", o->spawn_mode, "same-dir | worktree | session (default instance_defaults)");
    o->permission_mode_opt = cmd->add_option(
        "--permission-mode", o->permission_mode,
        "default | plan | acceptEdits | auto | dontAsk | bypassPermissions | inherit (default instance_defaults)");
    o->name_opt = cmd->add_option("--name", o->name, "Custom bridge name (standard mode; default the project name)");
    o->sandbox_opt = cmd->add_option("--sandbox", o->sandbox, "default | on | off (validated; currently inert)");
    cmd->add_flag("--trust", o->trust, "Accept the workspace trust dialog for the project first");
    cmd->add_flag("--json", o->json, "Print the instance as JSON (with created, reason, warnings)");
    cmd->callback([global, o] { run_start(*global, *o); });
}

}  // namespace clauster::cli
