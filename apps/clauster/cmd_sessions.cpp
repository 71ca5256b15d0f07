// `clauster sessions [--json]`: the host's live working sessions (`claude agents --json`).

#include "cmd_instances.hpp"

#include "engine.hpp"
#include "table.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace clauster::cli {
namespace {

struct sessions_options {
    bool json = false;
};

void run_sessions(const global_options& global, const sessions_options& o) {
    auto eng = engine::open_or_exit(global);
    // Read-only reattach, so sessions are attributed to the bridges that own them.
    eng->run(eng->instances().recover(/*read_only=*/true));
    auto sessions = eng->run(eng->manager().sessions().refresh());
    if (!sessions) {
        say("could not list working sessions: " + sessions.error().message);
        throw command_exit{exit_failed};
    }
    if (o.json) {
        boost::json::array out;
        for (const auto& s : *sessions) out.push_back(boost::json::value_from(s));
        std::cout << boost::json::serialize(out) << std::endl;
        return;
    }
    if (sessions->empty()) {
        std::cerr << "No working sessions." << std::endl;
        return;
    }
    std::vector<std::vector<std::string>> rows{{"SESSION", "KIND", "STATE", "PID", "CWD"}};
    for (const auto& s : *sessions)
        rows.push_back({s.local_uuid.substr(0, 8), s.kind.empty() ? "-" : s.kind, s.state.empty() ? "-" : s.state,
                        std::to_string(s.pid), s.cwd});
    print_table(rows);
}

}  // namespace

void setup_sessions(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<sessions_options>();
    auto* cmd = app.add_subcommand("sessions", "List the host's live working sessions (claude agents --json)");
    cmd->add_flag("--json", o->json, "Print a JSON array of working sessions (with their attribution)");
    cmd->callback([global, o] { run_sessions(*global, *o); });
}

}  // namespace clauster::cli
