#pragma once

#include <clauster/core/config.hpp>
#include <clauster/core/project.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

namespace clauster::core {

/// Discovers projects under `projects_root` and their workspace trust.
///
/// Discovery scans one level (directories only, names matching
/// `^[a-zA-Z0-9_-]{1,64}$`, no dot names), sorts by lower-cased name, and reads
/// trust from `$HOME/.claude.json` (`projects[<abs path>].hasTrustDialogAccepted`):
/// a git repository needs its own key; any other directory inherits a trusted
/// ancestor. The list is cached for 2 s and dropped early when the mtime of
/// `projects_root` or of `.claude.json` changes.
///
/// @par Thread safety
/// Not thread-safe; owned by one thread.
class project_catalog {
public:
    /// @param home the directory holding `.claude.json` (the user's `$HOME`).
    project_catalog(const config& cfg, std::filesystem::path home);

    /// The current project list (possibly cached).
    std::vector<project> list();

    /// One project by exact name; nullopt when not discovered.
    std::optional<project> find(std::string_view name);

    /// Forgets the cache so the next call rescans.
    void invalidate();

    const std::filesystem::path& claude_json_path() const { return claude_json_; }

private:
    struct stamp {
        std::filesystem::file_time_type root_mtime{};
        std::filesystem::file_time_type claude_json_mtime{};
        bool operator==(const stamp&) const = default;
    };
    stamp current_stamp() const;

    const config& config_;
    std::filesystem::path claude_json_;
    std::optional<stamp> cached_stamp_;
    std::chrono::steady_clock::time_point cached_at_{};
    std::vector<project> cache_;
};

}  // namespace clauster::core
