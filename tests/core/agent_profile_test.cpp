#include <clauster/core/agent_profile.hpp>

#include <catch2/catch.hpp>

using namespace clauster::core;

TEST_CASE("Server Mode argv follows spec §7.1", "[core]") {
    claude_profile profile;
    bridge_launch_options o;
    o.label = "api";
    o.debug_file = "/s/logs/api-1-1.log";
    CHECK(profile.server_mode_args(o) ==
          std::vector<std::string>{"remote-control", "--name", "api", "--debug-file", "/s/logs/api-1-1.log", "--spawn",
                                   "same-dir", "--permission-mode", "default", "--capacity", "32"});
    o.permission_mode = permission_mode::inherit;
    o.spawn_mode = spawn_mode::session;
    o.session_name_prefix = "pfx";
    o.verbose = true;
    CHECK(profile.server_mode_args(o) == std::vector<std::string>{"remote-control", "--name", "api", "--debug-file",
                                                                  "/s/logs/api-1-1.log", "--spawn", "session",
                                                                  "--verbose"});
    o.spawn_mode = spawn_mode::worktree;
    o.permission_mode = permission_mode::accept_edits;
    o.capacity = 4;
    CHECK(profile.server_mode_args(o) ==
          std::vector<std::string>{"remote-control", "--name", "api", "--debug-file", "/s/logs/api-1-1.log", "--spawn",
                                   "worktree", "--permission-mode", "acceptEdits",
                                   "--remote-control-session-name-prefix", "pfx", "--capacity", "4", "--verbose"});
}

TEST_CASE("Interactive argv: worktree, continue, fork", "[core]") {
    claude_profile profile;
    bridge_launch_options o;
    o.label = "web";
    o.debug_file = "/l.log";
    o.verbose = true;  // never for Interactive Sessions
    CHECK(profile.interactive_args(o) ==
          std::vector<std::string>{"--remote-control", "web", "--debug-file", "/l.log", "--permission-mode", "default"});
    o.worktree_name = "clauster-0123abcd";
    o.continue_session = true;
    o.resume_session_id = "11111111-2222-3333-4444-555555555555";  // ignored with --continue
    CHECK(profile.interactive_args(o) ==
          std::vector<std::string>{"--remote-control", "web", "--debug-file", "/l.log", "--permission-mode", "default",
                                   "--worktree", "clauster-0123abcd", "--continue"});
    o.continue_session = false;
    CHECK(profile.interactive_args(o).back() == "--fork-session");
}
