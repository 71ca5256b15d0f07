#pragma once

#include <filesystem>
#include <string>

namespace clauster::core {

enum class trust_state { trusted, untrusted };

std::string_view to_string(trust_state t);

/// A directory directly under `projects_root` (spec §3.3).
struct project {
    std::string name;
    std::filesystem::path path;
    bool is_git_repo = false;
    bool has_claude_md = false;
    bool has_claude_dir = false;
    core::trust_state trust_state = trust_state::untrusted;
    bool allow_bypass_permissions = false;
};

/// True when @p name matches `^[a-zA-Z0-9_-]{1,64}$`.
bool is_valid_project_name(std::string_view name);

}  // namespace clauster::core
