#include <clauster/core/agent_profile.hpp>

namespace clauster::core {

std::vector<std::string> claude_profile::server_mode_args(const bridge_launch_options& o) const {
    std::vector<std::string> args{"remote-control", "--name", o.label, "--debug-file", o.debug_file.string(),
                                  "--spawn", std::string(to_string(o.spawn_mode))};
    if (o.permission_mode != permission_mode::inherit) {
        args.emplace_back("--permission-mode");
        args.emplace_back(to_string(o.permission_mode));
    }
    // Sandbox is validated but inert (reference issue #1037): never emitted.
    if (o.spawn_mode != spawn_mode::session) {
        if (o.session_name_prefix) {
            args.emplace_back("--remote-control-session-name-prefix");
            args.push_back(*o.session_name_prefix);
        }
        args.emplace_back("--capacity");
        args.push_back(std::to_string(o.capacity));
    }
    if (o.verbose) args.emplace_back("--verbose");
    return args;
}

std::vector<std::string> claude_profile::interactive_args(const bridge_launch_options& o) const {
    std::vector<std::string> args{"--remote-control", o.label, "--debug-file", o.debug_file.string()};
    if (o.permission_mode != permission_mode::inherit) {
        args.emplace_back("--permission-mode");
        args.emplace_back(to_string(o.permission_mode));
    }
    if (o.worktree_name) {
        args.emplace_back("--worktree");
        args.push_back(*o.worktree_name);
    }
    if (o.continue_session) {
        args.emplace_back("--continue");
    } else if (o.resume_session_id) {
        args.emplace_back("--resume");
        args.push_back(*o.resume_session_id);
        args.emplace_back("--fork-session");
    }
    return args;
}

}  // namespace clauster::core
