// The fake `claude` used by clauster's tests (README.md beside this file).
// main() only dispatches on argv[1..]; each surface lives in its own file.

#include "entry_points.hpp"

#include "common.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace {

namespace fake = clauster::fake_claude;

int dispatch(int argc, char** argv) {
    const fake::arg_list args(argv + 1, argv + argc);
    const std::string_view first = args.empty() ? std::string_view() : std::string_view(args.front());

    if (first == "--version" || first == "-v") {
        std::printf("%s (Claude Code)\n", std::string(fake::cli_version).c_str());
        return 0;
    }
    if (first == "remote-control") return fake::run_bridge_subcommand(argc, argv);
    if (first == "agents") return fake::run_agents(argc, argv);
    if (first == "rm") return fake::run_rm(argc, argv);
    if (first == "auth") return fake::run_auth(argc, argv);
    // The SDK worker a subcommand bridge starts for its session (sdk_worker.cpp).
    if (fake::has_flag(args, "--print") && fake::has_flag(args, "--sdk-url")) return fake::run_sdk_worker(argc, argv);
    // Flags may come in any order: --bg wins over --rc (a `--bg --rc` agent is not a bridge).
    if (fake::has_flag(args, "--bg")) return fake::run_background(argc, argv);
    if (fake::has_flag(args, "--remote-control") || fake::has_flag(args, "--rc"))
        return fake::run_bridge_flag_form(argc, argv);

    std::fprintf(stderr, "fake-claude: unknown args %s\n", fake::render_args(args).c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return dispatch(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fake-claude: %s\n", e.what());
        return 1;
    }
}
