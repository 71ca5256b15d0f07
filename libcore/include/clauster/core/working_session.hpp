#pragma once

#include <clauster/core/error.hpp>
#include <clauster/core/process_identity.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

/// How a working session relates to what clauster manages (spec §7.3, internals §1.8).
enum class session_attribution {
    tracked,    ///< owned by a live managed bridge (same cwd and in its process tree, or in its worktrees)
    untracked,  ///< a kind that is never a bridge's session (`background`, future kinds)
    external,   ///< an interactive session nobody here manages (started by hand, from Desktop…)
    hosted,     ///< a hosted (Direct) session of ours; reserved: hosted sessions are not built yet
};

std::string_view to_string(session_attribution a);

/// One item of `claude agents --json`: observed, never managed (spec §3.3 WorkingSession).
struct working_session {
    int pid = 0;
    std::string cwd;
    std::string kind;   ///< `interactive`, `background`, `""` (older CLIs) or a future kind
    std::string state;  ///< `""` or working / blocked (done, failed and stopped are dropped)
    std::int64_t started_at = 0;  ///< epoch milliseconds, as claude reports it
    std::string local_uuid;       ///< the item's `sessionId` (a local RFC 4122 UUID)
    std::optional<std::string> parent_instance;  ///< the owning instance id when tracked
    session_attribution attribution = session_attribution::untracked;

    /// The process behind @ref pid as observed when the list was read; later
    /// reads keep the session only while this exact process lives (never a bare pid).
    std::optional<process_identity> process;

    bool operator==(const working_session&) const = default;
};

/// Limits on what is accepted from `claude agents --json` (it is parsed, never trusted).
struct agents_json_limits {
    std::size_t max_items = 10'000;        ///< items beyond this are ignored
    std::size_t max_cwd_bytes = 4096;      ///< PATH_MAX
    std::size_t max_field_bytes = 256;     ///< kind, state, sessionId
};

/// Parses the output of `claude agents --json`.
///
/// Accepts a list, or an object whose `agents` (else `sessions`) member is a
/// list. Each item needs `pid` (a positive integer that fits an int; bools and
/// floats are not integers), `cwd` (a non-empty absolute path), `startedAt` (an
/// integer) and `sessionId` (a string); `kind` and `state` are optional strings.
/// An item that breaks any rule, or exceeds @ref agents_json_limits, is skipped;
/// items whose state is done, failed or stopped are dropped (finished sessions
/// are not working sessions). Empty output, or valid JSON of another shape, is
/// an empty list.
///
/// @par Errors `invalid_argument` when the text is not JSON (truncated, too deeply
/// nested, a number out of range): callers keep what they knew (fail closed).
outcome<std::vector<working_session>> parse_agents_json(std::string_view text, agents_json_limits limits = {});

}  // namespace clauster::core
