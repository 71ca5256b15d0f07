#include "cmd_pty_keeper.hpp"

#include <clauster/core/pty_keeper.hpp>

#include <memory>
#include <string>
#include <vector>

namespace clauster::cli {
namespace {

/// The keeper's arguments as CLI11 tokenised them. CLI11 only splits the command
/// line (so `--name=value` works and everything after `--` lands verbatim in
/// `bridge`, whatever it looks like); core::parse_pty_keeper_args validates.
struct pty_keeper_tokens {
    std::vector<std::pair<std::string, std::string>> options;  // name, value (when given)
    std::vector<std::string> bridge;
};

std::vector<std::string> keeper_args(const pty_keeper_tokens& tokens) {
    std::vector<std::string> args;
    for (const auto& [name, value] : tokens.options) {
        if (value.empty()) continue;
        args.push_back(name);
        args.push_back(value);
    }
    args.emplace_back("--");
    args.insert(args.end(), tokens.bridge.begin(), tokens.bridge.end());
    return args;
}

void run_pty_keeper_command(const pty_keeper_tokens& tokens) {
    std::string error;
    const auto options = core::parse_pty_keeper_args(keeper_args(tokens), error);
    if (!options) {
        say("__pty-keeper__: " + error);
        throw command_exit{exit_bad_input};
    }
    throw command_exit{core::run_pty_keeper(*options)};
}

}  // namespace

void setup_pty_keeper(CLI::App& app) {
    auto tokens = std::make_shared<pty_keeper_tokens>();
    auto* sub = app.add_subcommand("__pty-keeper__", "Own the pseudo-terminal of an Interactive Session bridge");
    sub->group("");           // hidden: launched by the server, not by people
    sub->set_help_flag();     // `--help` after `--` belongs to the bridge
    sub->fallthrough(false);  // nothing here is a global option
    tokens->options = {
        {"--sidecar", {}}, {"--cwd", {}}, {"--state-dir", {}}, {"--transcript", {}}, {"--url-deadline", {}}};
    for (auto& [name, value] : tokens->options) sub->add_option(name, value);
    // A positional vector: after `--` CLI11 stops classifying and hands every
    // remaining argument over as is.
    sub->add_option("bridge", tokens->bridge, "The bridge command (after --)");
    sub->callback([tokens] { run_pty_keeper_command(*tokens); });
}

}  // namespace clauster::cli
