#pragma once

#include <clauster/core/config.hpp>
#include <clauster/core/process_identity.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace clauster::core {

/// Lifecycle of a bridge (spec §3.2).
enum class instance_status { starting, running, stopped, crashed, error };

/// How the instance is reached: a Claude Code remote-control bridge, or a hosted
/// (Direct) session (not built yet).
enum class instance_channel { remote_control, hosted };

std::string_view to_string(instance_status s);
std::string_view to_string(instance_channel c);
std::optional<instance_status> parse_instance_status(std::string_view s);

/// A managed bridge: a Server Mode `claude remote-control` or an Interactive
/// Session `claude --remote-control` under a PTY keeper (spec §3.1).
///
/// Fields marked "runtime" are re-derived after a restart and not persisted.
struct instance {
    using time_point = std::chrono::system_clock::time_point;

    std::string instance_id;  ///< UUID4 minted at spawn
    std::string project;
    std::string label;  ///< the `--name` given to claude

    std::optional<process_identity> bridge;  ///< the claude process
    std::optional<process_identity> keeper;  ///< the PTY keeper (pty mode only)

    std::optional<std::string> bridge_id;           ///< runtime: `[bridge:init] bridgeId=`
    std::optional<std::string> environment_id;      ///< runtime: `env_…`
    std::optional<std::string> starter_session_id;  ///< runtime: `session_…`
    std::optional<std::string> url;                 ///< runtime: environment or connect URL

    core::spawn_mode spawn_mode = spawn_mode::same_dir;
    core::permission_mode permission_mode = permission_mode::default_mode;
    std::string sandbox_mode = "default";
    core::launch_mode resume_mode = launch_mode::standard;
    std::optional<std::string> worktree_name;

    instance_status status = instance_status::starting;  ///< runtime
    bool intentional_stop = false;
    std::optional<time_point> started_at;

    /// The log set of the current (or last) launch: `<label>-<epoch_ms>-<seq>`.
    std::optional<std::string> log_stem;
    std::optional<std::filesystem::path> bridge_debug_log_path;
    std::optional<std::filesystem::path> bridge_raw_log_path;

    std::optional<std::string> error_detail;    ///< runtime, redacted
    std::optional<std::string> notice;          ///< runtime
    std::optional<std::string> claude_version;  ///< runtime
    instance_channel channel = instance_channel::remote_control;

    time_point created_at{};
    time_point updated_at{};

    /// `https://claude.ai/code/<starter_session_id>?from=cli`, when a session exists.
    std::optional<std::string> session_url() const;

    /// STARTING or RUNNING.
    bool is_active() const { return status == instance_status::starting || status == instance_status::running; }
};

}  // namespace clauster::core
