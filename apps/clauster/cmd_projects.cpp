// `clauster projects [--json]`: the projects under projects_root (spec §6).

#include "cmd_instances.hpp"

#include "context.hpp"
#include "table.hpp"

#include <clauster/core/config_loader.hpp>
#include <clauster/core/environment.hpp>
#include <clauster/core/json.hpp>
#include <clauster/core/manager.hpp>
#include <clauster/core/project_catalog.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace clauster::cli {
namespace {

struct projects_options {
    bool json = false;
};

void run_projects(const global_options& global, const projects_options& o) {
    // Only the filesystem and ~/.claude.json: no database, no processes.
    const core::config cfg = load_config_or_exit(global);
    const core::environment env = core::current_environment();
    core::project_catalog catalog(cfg, core::home_directory(env));
    const auto projects = catalog.list();

    if (o.json) {
        boost::json::array out;
        for (const auto& p : projects) out.push_back(boost::json::value_from(p));
        std::cout << boost::json::serialize(out) << std::endl;
        return;
    }
    if (projects.empty()) {
        std::cerr << "No projects found." << std::endl;
        return;
    }
    std::vector<std::vector<std::string>> rows{{"PROJECT", "GIT", "TRUST", "BYPASS", "PATH"}};
    for (const auto& p : projects)
        rows.push_back({p.name, p.is_git_repo ? "git" : "-",
                        p.trust_state == core::trust_state::trusted ? "trusted" : "untrusted",
                        p.allow_bypass_permissions ? "yes" : "-", p.path.string()});
    print_table(rows);
}

}  // namespace

void setup_projects(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<projects_options>();
    auto* cmd = app.add_subcommand("projects", "List the projects under projects_root");
    cmd->add_flag("--json", o->json, "Print a JSON array of projects");
    cmd->callback([global, o] { run_projects(*global, *o); });
}

}  // namespace clauster::cli
