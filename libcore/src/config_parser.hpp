#pragma once

// Private to libcore: the pieces of parse_config that load_config runs
// separately (it creates a missing projects_root between parsing and the path
// checks when it runs on the embedded defaults).

#include <clauster/core/config_loader.hpp>

#include <boost/system/result.hpp>

#include <filesystem>
#include <optional>
#include <string_view>

namespace clauster::core::detail {

struct parse_options {
    /// Relative paths in the configuration are taken against this directory;
    /// empty leaves them relative (to the process working directory).
    std::filesystem::path base_dir;
};

/// Everything parse_config does except the filesystem checks.
boost::system::result<config, config_error> parse_config_text(std::string_view yaml_text, const environment& env,
                                                              const parse_options& options);

/// The filesystem checks: projects_root exists, is a directory and readable;
/// tls.cert_file / tls.key_file exist and are readable.
boost::system::result<void, config_error> check_config_paths(const config& cfg);

/// Wire-name parsers of the enums config.hpp has no public parser for
/// (defined in config.cpp beside their tables). Case-sensitive.
std::optional<log_level> parse_log_level(std::string_view s);
std::optional<log_format> parse_log_format(std::string_view s);
std::optional<cookie_secure> parse_cookie_secure(std::string_view s);
std::optional<usage_mode> parse_usage_mode(std::string_view s);
std::optional<tls_provision> parse_tls_provision(std::string_view s);

}  // namespace clauster::core::detail
