#pragma once

#include <clauster/core/config.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/instance_manager.hpp>
#include <clauster/core/project.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace clauster::core::detail {

/// A spawn request after every check that needs no process state (spec §2.3):
/// option values parsed, custom name cleaned, bypass ceiling applied.
struct validated_spawn {
    core::project project;
    core::spawn_mode spawn_mode = spawn_mode::same_dir;
    core::permission_mode permission_mode = permission_mode::default_mode;
    core::launch_mode resume_mode = launch_mode::standard;
    std::string label;
    std::optional<std::string> resume_session_id;
    std::vector<std::string> warnings;
};

/// Validates @p request against @p cfg for @p project (already discovered).
/// @par Errors `invalid_argument` (422), `forbidden` (403), `unavailable` (hosted, 503).
outcome<validated_spawn> validate_spawn(const spawn_request& request, const core::project& project,
                                        const config& cfg, const std::filesystem::path& home);

/// The custom-name rules: whitespace stripped; ≤128 code points; no control or
/// format characters (Unicode C*, U+2028/U+2029); not starting with '-'.
/// @return the cleaned name (empty means "use the project name").
outcome<std::string> clean_custom_name(std::string_view raw);

/// True for `8-4-4-4-12` hex.
bool is_session_uuid(std::string_view s);

/// The 403 of the bypassPermissions ceiling, or nothing when allowed.
std::optional<failure> bypass_refusal(permission_mode mode, const std::string& project, const config& cfg);

}  // namespace clauster::core::detail
