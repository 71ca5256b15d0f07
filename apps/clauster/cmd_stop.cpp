#include "cmd_instances.hpp"

#include "engine.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/serialize.hpp>

#include <iostream>
#include <string>

namespace clauster::cli {
namespace {

struct stop_options {
    std::string ref;
    bool json = false;
};

void run_stop(const global_options& global, const stop_options& o) {
    auto eng = engine::open_or_exit(global);
    // Reattach so the manager knows which rows are live (including bridges a
    // server or an earlier CLI run started), then resolve the reference before
    // stopping: a reference error (exit 2) is never confused with a signalling
    // failure (exit 1).
    eng->run(eng->instances().recover());
    const auto target = resolve_or_exit(*eng, o.ref);

    auto stopped = eng->run(eng->instances().stop(target.instance_id));
    if (!stopped) {
        say(stopped.error().message);
        throw command_exit{exit_failed};
    }
    if (o.json) {
        std::cout << boost::json::serialize(boost::json::value_from(*stopped)) << std::endl;
        return;
    }
    std::cout << "stopped " << short_id(*stopped) << " (" << stopped->project << ") status="
              << core::to_string(stopped->status) << std::endl;
}

}  // namespace

void setup_stop(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<stop_options>();
    auto* cmd = app.add_subcommand("stop", "Stop a bridge (and its PTY keeper)");
    cmd->add_option("instance", o->ref, "Instance id, unique id prefix, or project name")->required();
    cmd->add_flag("--json", o->json, "Print the stopped instance as JSON");
    cmd->callback([global, o] { run_stop(*global, *o); });
}

}  // namespace clauster::cli
