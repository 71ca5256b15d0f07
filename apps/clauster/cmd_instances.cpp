#include "cmd_instances.hpp"

#include "engine.hpp"

namespace clauster::cli {

void setup_instances(CLI::App& app, const std::shared_ptr<global_options>& global) {
    setup_start(app, global);
    setup_stop(app, global);
    setup_status(app, global);
    setup_logs(app, global);
    setup_open(app, global);
    setup_keepers(app, global);
    setup_sessions(app, global);
    setup_projects(app, global);
}

std::string short_id(const core::instance& inst) { return inst.instance_id.substr(0, 8); }

core::instance resolve_or_exit(engine& eng, std::string_view ref) {
    auto found = eng.instances().get(ref);
    if (found) return std::move(*found);
    const auto& f = found.error();
    if (f.code == core::errc::not_found) {
        say("unknown instance '" + std::string(ref) + "'");
        throw command_exit{exit_bad_input};
    }
    say(f.message);
    // An ambiguous reference (conflict) is the caller's to fix.
    throw command_exit{f.code == core::errc::conflict ? exit_bad_input : exit_failed};
}

}  // namespace clauster::cli
