#include <clauster/core/json.hpp>

#include <clauster/core/time_format.hpp>

#include <boost/json/value.hpp>

namespace clauster::core {

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

}  // namespace clauster::core
