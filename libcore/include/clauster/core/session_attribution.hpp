#pragma once

#include <clauster/core/working_session.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace clauster::core {

/// What one live managed bridge can claim: sessions at its project path, or
/// inside `<project>/.claude/worktrees/` when it spawns worktrees.
struct bridge_claim {
    std::string instance_id;
    std::filesystem::path project_path;  ///< compared after the resolver (see @ref attribute_sessions)
    bool worktree = false;               ///< spawn_mode worktree
    /// The bridge's root pids (bridge, keeper) and all their descendants; nullopt
    /// while no pid is known yet (a bridge still starting).
    std::optional<std::set<int>> owned_pids;
};

/// Maps a path to the form that is compared (the caller canonicalises; tests
/// use the lexical default).
using path_resolver = std::function<std::filesystem::path(const std::filesystem::path&)>;

/// Attributes each session in place (spec §7.3, internals §1.8), in order:
///
/// 1. a kind other than `""`/`interactive` → UNTRACKED (a `--bg` job in a managed
///    directory is neither the bridge's session nor an unmanaged bridge);
/// 2. a cwd equal to the project path of live bridges → TRACKED by the one whose
///    process tree holds the pid. When none of them does, it is EXTERNAL — a
///    `claude` run by hand in a managed directory stays external — unless *no*
///    bridge there knows its pids yet (all still starting): then the first claims it;
/// 3. a cwd inside `<project>/.claude/worktrees/` of worktree bridges (deepest
///    project first) → TRACKED: by the only such bridge, or by process ownership
///    when several share the root (a bridge with no known pid may claim);
/// 4. otherwise EXTERNAL.
///
/// `parent_instance` is set for TRACKED sessions and cleared otherwise. Claims
/// keep their order (registration order breaks ties).
void attribute_sessions(std::vector<working_session>& sessions, const std::vector<bridge_claim>& claims,
                        const path_resolver& resolve = {});

}  // namespace clauster::core
