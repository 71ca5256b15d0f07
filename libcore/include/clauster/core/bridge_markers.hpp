#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

/// What a Server Mode bridge's `--debug-file` says about it (spec §3.2, internals §1.2).
struct bridge_markers {
    std::optional<std::string> bridge_id;            ///< `[bridge:init] … bridgeId=<uuid>`
    std::optional<std::string> environment_id;       ///< `environment_id=env_…` / `environmentId=env_…`
    std::optional<std::string> starter_session_id;   ///< `Created initial session session_…`
    bool poll_loop_started = false;                  ///< `[bridge:work] … Starting poll loop`
    std::optional<std::string> spawn_mode;           ///< `spawnMode=<mode>`
    std::vector<int> session_pids;                   ///< `[bridge:session] … pid=<n>`, distinct, in order
    bool clean_shutdown = false;                     ///< `[bridge:shutdown] … SIGINT|SIGTERM|shutting down`
    bool trust_error = false;                        ///< `Workspace not trusted` (any case)
    std::optional<std::string> unarchived_session_id;  ///< `[remote-bridge] Unarchive session_…`

    /// Ready means registered: the poll loop started and an environment id is known.
    /// Liveness is checked separately; a live but unregistered bridge is not ready.
    bool is_ready() const noexcept { return poll_loop_started && environment_id.has_value(); }
};

/// Parses the debug-log text of one launch.
///
/// Pure and linear in the size of @p text (plain substring scans, no backtracking).
/// Single-valued fields keep their **first** match. The file may be read while the
/// bridge is still writing it: a value that runs to the very end of @p text may be
/// cut short, so it is ignored until a later read shows where it ends.
bridge_markers parse_bridge_markers(std::string_view text);

}  // namespace clauster::core
