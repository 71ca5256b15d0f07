#include "context.hpp"

#include <clauster/core/config_loader.hpp>
#include <clauster/core/environment.hpp>

#include <filesystem>
#include <iostream>

namespace clauster::cli {

void say(std::string_view message) { std::cerr << "clauster: " << message << '\n'; }

core::config load_config_or_exit(const global_options& global) {
    core::config_request request;
    if (!global.config_path.empty()) request.explicit_path = global.config_path;
    request.env = core::current_environment();
    std::error_code ec;
    request.working_dir = std::filesystem::current_path(ec);
    auto loaded = core::load_config(request);
    if (!loaded) {
        say("config error: " + loaded.error().message());
        throw command_exit{exit_bad_input};
    }
    for (const auto& warning : loaded->warnings) say("warning: " + warning);
    return std::move(*loaded);
}

token_backend::token_backend(store::database db, const core::config& cfg)
    : db_(std::move(db)), store_(db_), service_(store_, clock_, cfg.auth.api_token_hash) {}

std::unique_ptr<token_backend> token_backend::open_or_exit(const core::config& cfg) {
    auto db = store::database::open(cfg.state_dir, {.backup_before_migrate = cfg.db.backup_before_migrate});
    if (!db) {
        say("could not open the database: " + db.error().message);
        throw command_exit{exit_failed};
    }
    return std::unique_ptr<token_backend>(new token_backend(std::move(*db), cfg));
}

}  // namespace clauster::cli
