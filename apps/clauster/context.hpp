#pragma once

#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/token_service.hpp>
#include <clauster/store/database.hpp>
#include <clauster/store/sqlite_token_store.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace clauster::cli {

/// Exit codes shared by every command (spec §6).
enum exit_code : int { exit_ok = 0, exit_failed = 1, exit_bad_input = 2 };

/// Options every command understands.
struct global_options {
    std::string config_path;  ///< `-c/--config`; empty means discovery
};

/// Ends a command with @p code; caught in run() and never printed by CLI11.
struct command_exit {
    int code;
};

/// Prose for the operator: stderr, prefixed `clauster: `.
void say(std::string_view message);

/// Loads the configuration (discovery, env overrides, validation); on failure
/// prints `clauster: config error: <key>: <why>` and ends with exit 2.
core::config load_config_or_exit(const global_options& global);

/// The token service over the state database, opened for one command.
class token_backend {
public:
    /// Opens (and migrates) the database; on failure prints
    /// `clauster: could not open the database: <why>` and ends with exit 1.
    static std::unique_ptr<token_backend> open_or_exit(const core::config& cfg);

    core::token_service& service() { return service_; }

private:
    token_backend(store::database db, const core::config& cfg);

    store::database db_;
    store::sqlite_token_store store_;
    core::system_clock clock_;
    core::token_service service_;
};

}  // namespace clauster::cli
