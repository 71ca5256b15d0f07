#include <clauster/core/process_identity.hpp>

#include <algorithm>
#include <array>
#include <span>

namespace clauster::core {
namespace {

constexpr std::string_view claude_marker = "claude";

std::string_view file_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

/// Runtimes that run claude's JavaScript entry point as their first non-option
/// argument (`node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js`, or a
/// `#!/usr/bin/env node` script run by path). Version suffixes (`node22`,
/// `node-20`) are accepted.
bool is_script_runtime(std::string_view name) {
    static constexpr std::array<std::string_view, 4> runtimes{"node", "nodejs", "bun", "deno"};
    return std::any_of(runtimes.begin(), runtimes.end(), [name](std::string_view rt) {
        if (!name.starts_with(rt)) return false;
        const auto suffix = name.substr(rt.size());
        return std::all_of(suffix.begin(), suffix.end(),
                           [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-'; });
    });
}

/// True when the program is claude itself.
///
/// - argv[0] contains `claude` anywhere in its path: the npm or native launcher
///   (`/usr/local/bin/claude`) and the native installer's versioned binary,
///   whose file name is only the version (`~/.local/share/claude/versions/2.1.156`).
/// - argv[0] is a script runtime (see is_script_runtime) and its first
///   non-option argument (the script) contains `claude` in its path.
bool is_claude_program(std::span<const std::string> argv) {
    if (argv.empty()) return false;
    if (contains(argv[0], claude_marker)) return true;
    if (!is_script_runtime(file_name(argv[0]))) return false;
    const auto script = std::find_if(argv.begin() + 1, argv.end(), [](const std::string& a) { return !a.starts_with('-'); });
    return script != argv.end() && contains(*script, claude_marker);
}

/// argv[1..] up to (excluding) the first `--`: the options and subcommands.
/// Whatever follows `--` is a prompt or a wrapped command line, never ours.
std::span<const std::string> option_tokens(std::span<const std::string> argv) {
    if (argv.size() < 2) return {};
    const auto rest = argv.subspan(1);
    const auto end = std::find(rest.begin(), rest.end(), std::string("--"));
    return rest.first(static_cast<std::size_t>(end - rest.begin()));
}

bool is_flag(std::string_view token, std::string_view flag) {
    return token == flag || (token.starts_with(flag) && token.size() > flag.size() && token[flag.size()] == '=');
}

bool has(std::span<const std::string> tokens, bool (*pred)(std::string_view)) {
    return std::any_of(tokens.begin(), tokens.end(), [pred](const std::string& t) { return pred(t); });
}

bool is_subcommand_token(std::string_view t) { return t == "remote-control"; }
bool is_flag_form_token(std::string_view t) { return is_flag(t, "--remote-control"); }
bool is_rc_alias_token(std::string_view t) { return is_flag(t, "--rc"); }
bool is_background_token(std::string_view t) { return t == "--bg"; }
bool is_keeper_token(std::string_view t) { return t == "__pty-keeper__"; }

}  // namespace

bool cmdline_matches_role(const std::vector<std::string>& argv, process_role role) {
    const std::span<const std::string> all(argv);
    const auto tokens = option_tokens(all);
    switch (role) {
        case process_role::bridge:
            return is_claude_program(all) && !has(tokens, is_background_token) &&
                   (has(tokens, is_subcommand_token) || has(tokens, is_flag_form_token));
        case process_role::standard_bridge:
            return is_claude_program(all) && has(tokens, is_subcommand_token) && !has(tokens, is_flag_form_token) &&
                   !has(tokens, is_rc_alias_token) && !has(tokens, is_background_token);
        case process_role::keeper:
            return !all.empty() && !contains(file_name(all[0]), claude_marker) && has(tokens, is_keeper_token);
        case process_role::claude_process:
            return is_claude_program(all);
    }
    return false;
}

}  // namespace clauster::core
