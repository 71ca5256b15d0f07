#pragma once

#include <map>
#include <optional>
#include <string>

namespace clauster::core {

/// A process environment as plain data, so configuration and child launches
/// can be tested without touching the real one.
using environment = std::map<std::string, std::string, std::less<>>;

/// Snapshot of this process's environment (`environ`).
environment current_environment();

/// @return the value of @p name in @p env, or nullopt when unset.
std::optional<std::string> get_env(const environment& env, std::string_view name);

/// True for variables that must never reach a child process: names starting with
/// `CLAUSTER_` that contain `SECRET`, `PASSWORD`, `TOKEN` or `HASH` (spec §4.7).
bool is_secret_env_name(std::string_view name);

/// Copy of @p env without the names @ref is_secret_env_name rejects.
environment scrub_secrets(const environment& env);

}  // namespace clauster::core
