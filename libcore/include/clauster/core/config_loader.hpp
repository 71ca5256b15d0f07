#pragma once

#include <clauster/core/config.hpp>
#include <clauster/core/environment.hpp>

#include <boost/system/result.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace clauster::core {

/// Why a configuration was refused: the dotted key (or `config` for the file as
/// a whole) and a one-line reason that never echoes secret values.
///
/// Front-ends print it as `clauster: config error: <key>: <why>` and exit 2.
struct config_error {
    std::string key;
    std::string why;

    /// `<key>: <why>`
    std::string message() const;
};

[[noreturn]] void throw_exception_from_error(const config_error& e, const boost::source_location& loc);

/// Inputs to configuration discovery, explicit so tests need no real process state.
struct config_request {
    /// `-c/--config` from the command line, if given.
    std::optional<std::filesystem::path> explicit_path;
    /// The environment to read `CLAUSTER_*` from.
    environment env;
    /// Directory searched for `./clauster.yml`.
    std::filesystem::path working_dir;
};

/// Which file discovery picked: `-c` → `$CLAUSTER_CONFIG` → `./clauster.yml` →
/// `$CLAUSTER_HOME/clauster.yml`; nullopt means "use the embedded defaults".
///
/// An explicit path (flag or `$CLAUSTER_CONFIG`) that does not exist is an error,
/// never a silent fallback.
boost::system::result<std::optional<std::filesystem::path>, config_error>
find_config_file(const config_request& request);

/// The YAML the server runs on when no file is found (see docs/configuration.md).
std::string_view embedded_default_config();

/// Discovers, reads, overlays environment overrides, parses, and validates.
///
/// With the embedded defaults, a missing `projects_root` is created (0700) instead
/// of refused, so a fresh machine comes up.
boost::system::result<config, config_error> load_config(const config_request& request);

/// Parses @p yaml_text (already read from @p source_name) with overrides from @p env.
/// Exposed for tests; performs every validation of @ref load_config except
/// the existence checks that need the filesystem when @p check_paths is false.
boost::system::result<config, config_error>
parse_config(std::string_view yaml_text, const environment& env, bool check_paths = true);

}  // namespace clauster::core
