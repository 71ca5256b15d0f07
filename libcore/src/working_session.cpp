#include <clauster/core/working_session.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <limits>

namespace clauster::core {

namespace json = boost::json;

std::string_view to_string(session_attribution a) {
    switch (a) {
        case session_attribution::tracked: return "tracked";
        case session_attribution::untracked: return "untracked";
        case session_attribution::external: return "external";
        case session_attribution::hosted: return "hosted";
    }
    return "untracked";
}

namespace {

/// An integer JSON value (int64 or a uint64 that fits); bools and doubles are not.
std::optional<std::int64_t> integer_of(const json::value* v) {
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v->as_uint64());
    return std::nullopt;
}

/// A string member no longer than @p max; absent → @p fallback; present but not a
/// string (null included) → nullopt.
std::optional<std::string> string_of(const json::object& o, std::string_view key, std::size_t max,
                                     std::optional<std::string> fallback = std::nullopt) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return fallback;
    if (!v->is_string() || v->as_string().size() > max) return std::nullopt;
    return std::string(v->as_string());
}

bool is_finished(std::string_view state) { return state == "done" || state == "failed" || state == "stopped"; }

std::optional<working_session> session_of(const json::value& item, const agents_json_limits& limits) {
    if (!item.is_object()) return std::nullopt;
    const auto& o = item.as_object();
    const auto pid = integer_of(o.if_contains("pid"));
    if (!pid || *pid <= 0 || *pid > std::numeric_limits<int>::max()) return std::nullopt;
    const auto started_at = integer_of(o.if_contains("startedAt"));
    if (!started_at) return std::nullopt;
    auto cwd = string_of(o, "cwd", limits.max_cwd_bytes);
    if (!cwd || cwd->empty() || cwd->front() != '/' || cwd->find('\0') != std::string::npos) return std::nullopt;
    auto uuid = string_of(o, "sessionId", limits.max_field_bytes);
    auto kind = string_of(o, "kind", limits.max_field_bytes, std::string());
    auto state = string_of(o, "state", limits.max_field_bytes, std::string());
    if (!uuid || !kind || !state) return std::nullopt;

    working_session s;
    s.pid = static_cast<int>(*pid);
    s.cwd = std::move(*cwd);
    s.kind = std::move(*kind);
    s.state = std::move(*state);
    s.started_at = *started_at;
    s.local_uuid = std::move(*uuid);
    return s;
}

}  // namespace

outcome<std::vector<working_session>> parse_agents_json(std::string_view text, agents_json_limits limits) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::vector<working_session>{};
    json::parse_options options;
    options.max_depth = 32;
    std::error_code ec;
    const json::value doc = json::parse(text, ec, {}, options);
    if (ec) return make_failure(errc::invalid_argument, "claude agents --json printed invalid JSON: " + ec.message());

    const json::array* items = nullptr;
    if (doc.is_array()) {
        items = &doc.as_array();
    } else if (doc.is_object()) {
        const auto& o = doc.as_object();
        const json::value* list = o.if_contains("agents");
        if (list == nullptr) list = o.if_contains("sessions");
        if (list != nullptr && list->is_array()) items = &list->as_array();
    }
    std::vector<working_session> out;
    if (items == nullptr) return out;
    for (const auto& item : *items) {
        if (out.size() >= limits.max_items) break;
        auto s = session_of(item, limits);
        if (s && !is_finished(s->state)) out.push_back(std::move(*s));
    }
    return out;
}

}  // namespace clauster::core
