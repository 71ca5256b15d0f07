#pragma once

// One function per command-line surface of the fake `claude`; main() dispatches.
// Each takes the untouched argc/argv (argv[0] included) and returns the exit code.

namespace clauster::fake_claude {

/// `claude remote-control …` (Server Mode bridge), bridge_subcommand.cpp.
int run_bridge_subcommand(int argc, char** argv);

/// `claude --print --sdk-url <url> …` (the SDK worker child of a subcommand bridge), sdk_worker.cpp.
int run_sdk_worker(int argc, char** argv);

/// `claude --remote-control <name> …` (Interactive Session TUI), bridge_flag_form.cpp.
int run_bridge_flag_form(int argc, char** argv);

/// `claude --bg …` (dispatch a background agent), background.cpp.
int run_background(int argc, char** argv);

/// `claude rm <id>`, background.cpp.
int run_rm(int argc, char** argv);

/// `claude agents [--json] [--all]`, agents.cpp.
int run_agents(int argc, char** argv);

/// `claude auth status [--json|--text]`, auth.cpp.
int run_auth(int argc, char** argv);

}  // namespace clauster::fake_claude
