#include <clauster/core/json.hpp>

#include <clauster/core/time_format.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace clauster::core {

namespace {

/// `null` for an absent optional, else the value.
boost::json::value nullable(const std::optional<std::string>& v) {
    if (!v) return nullptr;
    return boost::json::value(*v);
}

boost::json::value nullable(const std::optional<std::filesystem::path>& v) {
    if (!v) return nullptr;
    return boost::json::value(v->string());
}

/// The pid, start epoch and start ticks of an identity, each `null` when absent.
struct identity_fields {
    boost::json::value pid = nullptr;
    boost::json::value proc_start = nullptr;
    boost::json::value start_ticks = nullptr;
    boost::json::value boot_id = nullptr;
};

identity_fields identity_of(const std::optional<process_identity>& id) {
    identity_fields out;
    if (!id) return out;
    out.pid = id->pid;
    if (id->proc_start) out.proc_start = *id->proc_start;
    if (id->start_ticks) out.start_ticks = *id->start_ticks;
    if (id->boot_id) out.boot_id = *id->boot_id;
    return out;
}

}  // namespace

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const project& p) {
    jv = {
        {"name", p.name},
        {"path", p.path.string()},
        {"is_git_repo", p.is_git_repo},
        {"has_claude_md", p.has_claude_md},
        {"has_claude_dir", p.has_claude_dir},
        {"trust_state", to_string(p.trust_state)},
        {"allow_bypass_permissions", p.allow_bypass_permissions},
    };
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const api_token& t) {
    boost::json::object o;
    o["label"] = t.label;
    o["created_at"] = format_iso_seconds(t.created_at);
    if (t.last_used_at)
        o["last_used_at"] = format_iso_seconds(*t.last_used_at);
    else
        o["last_used_at"] = nullptr;
    jv = std::move(o);
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const instance& inst) {
    auto bridge = identity_of(inst.bridge);
    auto keeper = identity_of(inst.keeper);

    // Spec §3.1 order; the object keeps insertion order on the wire.
    boost::json::object o;
    o.reserve(30);
    o["instance_id"] = inst.instance_id;
    o["project"] = inst.project;
    o["label"] = inst.label;
    o["bridge_pid"] = std::move(bridge.pid);
    o["bridge_proc_start"] = std::move(bridge.proc_start);
    o["bridge_start_ticks"] = std::move(bridge.start_ticks);
    o["bridge_boot_id"] = std::move(bridge.boot_id);
    o["bridge_id"] = nullable(inst.bridge_id);
    o["environment_id"] = nullable(inst.environment_id);
    o["starter_session_id"] = nullable(inst.starter_session_id);
    o["url"] = nullable(inst.url);
    o["session_url"] = nullable(inst.session_url());
    o["spawn_mode"] = to_string(inst.spawn_mode);
    o["permission_mode"] = to_string(inst.permission_mode);
    o["sandbox_mode"] = inst.sandbox_mode;
    o["resume_mode"] = to_string(inst.resume_mode);
    o["keeper_pid"] = std::move(keeper.pid);
    o["keeper_proc_start"] = std::move(keeper.proc_start);
    o["keeper_start_ticks"] = std::move(keeper.start_ticks);
    o["worktree_name"] = nullable(inst.worktree_name);
    o["status"] = to_string(inst.status);
    o["intentional_stop"] = inst.intentional_stop;
    if (inst.started_at)
        o["started_at"] = format_iso_micros(*inst.started_at);
    else
        o["started_at"] = nullptr;
    o["bridge_debug_log_path"] = nullable(inst.bridge_debug_log_path);
    o["bridge_raw_log_path"] = nullable(inst.bridge_raw_log_path);
    o["error_detail"] = nullable(inst.error_detail);
    o["notice"] = nullable(inst.notice);
    o["claude_version"] = nullable(inst.claude_version);
    o["channel"] = to_string(inst.channel);
    // Computed from claude_session_uuid, which only hosted sessions have.
    o["claude_session_uuid_usable"] = false;
    jv = std::move(o);
}

}  // namespace clauster::core
