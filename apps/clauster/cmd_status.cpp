#include "cmd_instances.hpp"

#include "engine.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iomanip>
#include <iostream>
#include <string>

namespace clauster::cli {
namespace {

struct status_options {
    bool json = false;
};

// Column widths (docs/cli.md): each column is left-aligned and padded to its
// width plus one space; a longer value is printed whole and shifts the row.
// INSTANCE is an id prefix; 24 covers most project names (up to 64 allowed);
// `remote-control` is 14; `standard` and `starting` are 8. LABEL is last and
// unpadded.
constexpr int instance_width = 8;
constexpr int project_width = 24;
constexpr int channel_width = 14;
constexpr int mode_width = 8;
constexpr int status_width = 8;

void print_row(std::string_view id, std::string_view project, std::string_view channel, std::string_view mode,
               std::string_view status, std::string_view label) {
    std::cout << std::left << std::setw(instance_width) << id << ' ' << std::setw(project_width) << project << ' '
              << std::setw(channel_width) << channel << ' ' << std::setw(mode_width) << mode << ' '
              << std::setw(status_width) << status << ' ' << label << '\n';
}

void run_status(const global_options& global, const status_options& o) {
    auto eng = engine::open_or_exit(global);
    // Read-only: judge liveness and re-derive runtime fields, but persist
    // nothing and start no watch (a running server owns those).
    eng->run(eng->instances().recover(/*read_only=*/true));
    const auto instances = eng->instances().list();

    if (o.json) {
        boost::json::array out;
        for (const auto& inst : instances) out.push_back(boost::json::value_from(inst));
        std::cout << boost::json::serialize(out) << std::endl;
        return;
    }
    if (instances.empty()) {
        std::cerr << "No bridge instances." << std::endl;
        return;
    }
    print_row("INSTANCE", "PROJECT", "CHANNEL", "MODE", "STATUS", "LABEL");
    for (const auto& inst : instances)
        print_row(short_id(inst), inst.project, core::to_string(inst.channel), core::to_string(inst.resume_mode),
                  core::to_string(inst.status), inst.label);
    std::cout.flush();
}

}  // namespace

void setup_status(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<status_options>();
    auto* cmd = app.add_subcommand("status", "List bridge instances (read-only)");
    cmd->add_flag("--json", o->json, "Print a JSON array of instances");
    cmd->callback([global, o] { run_status(*global, *o); });
}

}  // namespace clauster::cli
