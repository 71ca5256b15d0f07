#pragma once

#include <clauster/core/config.hpp>
#include <clauster/core/environment.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace clauster::core {

/// Resolves @p binary to an absolute executable path: a name is searched in the
/// `PATH` of @p env, a path is made absolute. nullopt when nothing executable exists.
std::optional<std::filesystem::path> resolve_executable(std::string_view binary, const environment& env);

/// The environment of every `claude` child: @p parent without clauster's secrets
/// (`scrub_secrets`), `claude.env` overlaid (it cannot re-add a secret name) and
/// `claude.path_append` appended to `PATH`.
environment claude_child_environment(const environment& parent, const config& cfg);

/// What `claude --version` said.
struct claude_version_probe {
    bool ok = false;                      ///< the binary ran and printed a version
    std::optional<std::string> version;   ///< e.g. "2.1.150"
    std::optional<std::filesystem::path> path;
};

/// Runs `<binary> --version` (argv, never a shell; scrubbed environment) with a
/// timeout and parses the first dotted version number from its output.
claude_version_probe probe_claude_version(std::string_view binary, const environment& env,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace clauster::core
