#include "spawn_validation.hpp"
#include "text_io.hpp"

#include <clauster/core/bridge_pointer.hpp>

#include <cctype>

namespace clauster::core::detail {
namespace {

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n\v\f");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n\v\f");
    return std::string(s.substr(first, last - first + 1));
}

using detail::next_code_point;

/// Unicode categories Cc, Cf, Co (and the two separators U+2028/U+2029) that can
/// hide text or break a terminal line.
bool is_control_or_format(char32_t c) {
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;                    // Cc
    if (c == 0xAD || (c >= 0x600 && c <= 0x605) || c == 0x61C || c == 0x6DD ||  // Cf
        c == 0x70F || c == 0x180E || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
        (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x206F) || c == 0xFEFF ||
        (c >= 0xFFF9 && c <= 0xFFFB) || c == 0x110BD || (c >= 0x1BCA0 && c <= 0x1BCA3) ||
        (c >= 0x1D173 && c <= 0x1D17A) || c == 0xE0001 || (c >= 0xE0020 && c <= 0xE007F))
        return true;
    if ((c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000) return true;  // Co
    return c == 0x2028 || c == 0x2029;
}

std::string joined(std::initializer_list<std::string_view> names) {
    std::string out;
    for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
}

failure invalid(std::string message) { return make_failure(errc::invalid_argument, std::move(message)); }

}  // namespace

bool is_session_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

outcome<std::string> clean_custom_name(std::string_view raw) {
    const std::string name = trim(raw);
    std::size_t count = 0;
    for (std::size_t i = 0; i < name.size();) {
        const auto cp = next_code_point(name, i);
        if (!cp || is_control_or_format(*cp)) return invalid("custom bridge name must not contain control characters");
        ++count;
    }
    if (count > 128) return invalid("custom bridge name too long (" + std::to_string(count) + " chars; max 128)");
    if (!name.empty() && name.front() == '-') return invalid("custom bridge name must not start with '-'");
    return name;
}

std::optional<failure> bypass_refusal(permission_mode mode, const std::string& project, const config& cfg) {
    if (mode != permission_mode::bypass_permissions || cfg.policy_for(project).allow_bypass_permissions)
        return std::nullopt;
    return make_failure(errc::forbidden, "bypassPermissions is not allowed for project '" + project +
                                             "' (set projects." + project + ".allow_bypass_permissions: true)");
}

outcome<validated_spawn> validate_spawn(const spawn_request& request, const core::project& project,
                                        const config& cfg, const std::filesystem::path& home) {
    validated_spawn v;
    v.project = project;

    const std::string channel = request.channel.value_or("remote-control");
    if (channel != "remote-control" && channel != "hosted") return invalid("unknown channel: '" + channel + "'");

    v.permission_mode = cfg.instance_defaults.permission_mode;
    if (request.permission_mode) {
        auto pm = parse_permission_mode(*request.permission_mode);
        if (!pm)
            return invalid("invalid permission_mode '" + *request.permission_mode + "'; expected one of (" +
                           joined({"default", "plan", "acceptEdits", "auto", "dontAsk", "bypassPermissions",
                                   "inherit"}) +
                           ")");
        v.permission_mode = *pm;
    }
    if (channel == "hosted") {
        // Hosted (Direct) sessions need the claustrum daemon, which is not built:
        // the reference's check order puts the bypass ceiling before this 503.
        if (auto refused = bypass_refusal(v.permission_mode, project.name, cfg)) return *refused;
        return make_failure(errc::unavailable, "hosted channel unavailable: claustrum daemon not connected");
    }

    v.spawn_mode = cfg.instance_defaults.spawn_mode;
    if (request.spawn_mode) {
        auto sm = parse_spawn_mode(*request.spawn_mode);
        if (!sm)
            return invalid("invalid spawn_mode '" + *request.spawn_mode + "'; expected one of (" +
                           joined({"same-dir", "worktree", "session"}) + ")");
        v.spawn_mode = *sm;
    }
    v.resume_mode = cfg.claude.launch_mode;
    if (request.resume_mode) {
        auto rm = parse_launch_mode(*request.resume_mode);
        if (!rm)
            return invalid("invalid resume_mode '" + *request.resume_mode + "'; expected one of (standard, pty)");
        v.resume_mode = *rm;
    }
    if (request.sandbox && *request.sandbox != "default" && *request.sandbox != "on" && *request.sandbox != "off")
        return invalid("invalid sandbox '" + *request.sandbox + "'; expected one of (default, on, off)");

    std::string custom;
    if (request.name) {
        auto cleaned = clean_custom_name(*request.name);
        if (!cleaned) return cleaned.error();
        custom = std::move(*cleaned);
    }
    // A custom name labels Server Mode bridges only; Interactive Sessions use the project.
    v.label = (v.resume_mode == launch_mode::standard && !custom.empty()) ? custom : project.name;

    if (v.spawn_mode == spawn_mode::worktree && !project.is_git_repo)
        return invalid("spawn_mode 'worktree' requires a git repository; '" + project.name + "' is not one");

    if (request.resume_session_id) {
        const std::string& uuid = *request.resume_session_id;
        if (v.resume_mode != launch_mode::pty)
            return invalid("resume_session_id is only valid with resume_mode 'pty'");
        if (!is_session_uuid(uuid)) return invalid("resume_session_id must be a session UUID (8-4-4-4-12 hex)");
        const auto transcript = bridge_pointer_path(home, project.path).parent_path() / (uuid + ".jsonl");
        std::error_code ec;
        if (!std::filesystem::is_regular_file(transcript, ec))
            return invalid("resume_session_id " + uuid + " is not a conversation of project '" + project.name + "'");
        v.resume_session_id = uuid;
    }

    if (auto refused = bypass_refusal(v.permission_mode, project.name, cfg)) return *refused;

    if (v.resume_mode == launch_mode::pty && v.spawn_mode != spawn_mode::worktree)
        v.warnings.push_back("Interactive Session without a worktree: edits in " + project.path.string() +
                             " may conflict with other sessions of this project");
    return v;
}

}  // namespace clauster::core::detail
