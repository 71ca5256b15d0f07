#include <clauster/core/claude_json_editor.hpp>

#include "claude_json.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

/// Sets `obj[key] = true` unless it already is; true when it changed.
bool set_true(boost::json::object& obj, std::string_view key) {
    if (const auto* v = obj.if_contains(key); v != nullptr && v->is_bool() && v->as_bool()) return false;
    obj[key] = true;
    return true;
}

/// The `projects` key for @p project_path: the real path when it exists (Claude Code
/// keys entries by its resolved cwd), else the normalised absolute path.
std::string trust_key(const fs::path& project_path) {
    std::error_code ec;
    if (auto real = fs::canonical(project_path, ec); !ec) return real.string();
    fs::path p = project_path.lexically_normal();
    if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();  // drop a trailing '/'
    return p.string();
}

}  // namespace

claude_json_editor::claude_json_editor(fs::path claude_json, fs::path state_dir, std::chrono::milliseconds lock_timeout)
    : claude_json_(std::move(claude_json)), state_dir_(std::move(state_dir)), lock_timeout_(lock_timeout) {}

outcome<bool> claude_json_editor::set_trusted(const fs::path& project_path) const {
    if (project_path.empty() || !project_path.is_absolute())
        return make_failure(errc::invalid_argument,
                            "project path must be absolute, got '" + project_path.string() + "'");
    const std::string key = trust_key(project_path);
    return detail::update_claude_json(
        claude_json_, state_dir_,
        [&key](boost::json::object& root) -> outcome<bool> {
            auto* projects = root.if_contains("projects");
            if (projects == nullptr) projects = &(root["projects"] = boost::json::object());
            if (!projects->is_object())
                return make_failure(errc::invalid_state, "\"projects\" in ~/.claude.json is not an object; left unchanged");
            auto& entries = projects->as_object();
            auto* entry = entries.if_contains(key);
            if (entry == nullptr) entry = &(entries[key] = boost::json::object());
            if (!entry->is_object())
                return make_failure(errc::invalid_state,
                                    "projects[\"" + key + "\"] in ~/.claude.json is not an object; left unchanged");
            return set_true(entry->as_object(), "hasTrustDialogAccepted");
        },
        lock_timeout_);
}

outcome<bool> claude_json_editor::acknowledge_remote_control() const {
    return detail::update_claude_json(
        claude_json_, state_dir_,
        [](boost::json::object& root) -> outcome<bool> {
            const bool used = set_true(root, "hasUsedRemoteControl");
            const bool seen = set_true(root, "remoteDialogSeen");
            return used || seen;
        },
        lock_timeout_);
}

}  // namespace clauster::core
