#include "app.hpp"

#include "cmd_agents.hpp"
#include "cmd_api_token.hpp"
#include "cmd_hash.hpp"
#include "cmd_instances.hpp"
#include "cmd_pty_keeper.hpp"

#include <clauster/core/version.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <unistd.h>

namespace clauster::cli {
namespace {

constexpr const char* discovery_epilog =
    "\nConfiguration is found in this order: -c/--config, $CLAUSTER_CONFIG, ./clauster.yml,\n"
    "$CLAUSTER_HOME/clauster.yml, then built-in defaults. Any key a.b.c can be overridden\n"
    "with CLAUSTER_A_B_C (or CLAUSTER_A_B_C_FILE to read it from a file).";

/// `clauster run` (and a bare `clauster`): the server is its own executable, so
/// hand over to the `clausterd` installed beside this one.
void run_server(const global_options& global) {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const auto server = (ec ? std::filesystem::path("clausterd") : self.parent_path() / "clausterd");
    std::vector<std::string> args{server.string()};
    if (!global.config_path.empty()) {
        args.emplace_back("-c");
        args.push_back(global.config_path);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    say("cannot start " + server.string() + ": " + std::strerror(errno));
    throw command_exit{exit_failed};
}

}  // namespace

std::unique_ptr<CLI::App> make_app(std::shared_ptr<global_options> global) {
    auto app = std::make_unique<CLI::App>("clauster: supervise AI coding agents on this host", "clauster");
    app->footer(discovery_epilog);
    // Global options are accepted before or after the sub-command.
    app->fallthrough();
    app->add_option("-c,--config", global->config_path, "Path to clauster.yml");
    app->set_version_flag("--version", std::string("clauster ") + std::string(core::version));

    setup_api_token(*app, global);
    setup_hash(*app, global);
    setup_instances(*app, global);
    setup_agents(*app, global);
    setup_pty_keeper(*app);
    app->add_subcommand("run", "Run the server (executes clausterd)")->callback([global] { run_server(*global); });
    return app;
}

int run(int argc, const char* const* argv) {
    auto global = std::make_shared<global_options>();
    auto app = make_app(global);
    try {
        app->parse(argc, argv);
        if (app->get_subcommands().empty()) run_server(*global);  // a bare `clauster` means `run`
        return exit_ok;
    } catch (const CLI::ParseError& e) {
        const int printed = app->exit(e);
        return printed == 0 ? exit_ok : exit_bad_input;
    } catch (const command_exit& e) {
        return e.code;
    } catch (const std::exception& e) {
        say(std::string("error: ") + e.what());
        return exit_failed;
    }
}

}  // namespace clauster::cli
