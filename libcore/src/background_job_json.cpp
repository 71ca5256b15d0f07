// JSON wire forms of the background-agent records (spec §2.5, §3.3).
#include <clauster/core/json.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace clauster::core {

namespace {

boost::json::value nullable(const std::optional<std::string>& v) {
    if (!v) return nullptr;
    return boost::json::value(*v);
}

template <class Int>
boost::json::value nullable_int(const std::optional<Int>& v) {
    if (!v) return nullptr;
    return boost::json::value(static_cast<std::int64_t>(*v));
}

std::optional<std::string> string_at(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

std::optional<std::int64_t> int_at(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v->get_uint64());
    return std::nullopt;
}

}  // namespace

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const background_job& job) {
    boost::json::object o;
    o["id"] = job.id;
    o["state"] = nullable(job.state);
    o["detail"] = nullable(job.detail);
    o["tempo"] = nullable(job.tempo);
    o["needs"] = nullable(job.needs);
    o["result"] = nullable(job.result);
    o["intent"] = nullable(job.intent);
    o["name"] = nullable(job.name);
    o["cwd"] = nullable(job.cwd);
    o["session_id"] = nullable(job.session_id);
    o["bridge_session_id"] = nullable(job.bridge_session_id);
    o["transcript_path"] = nullable(job.transcript_path);
    o["cli_version"] = nullable(job.cli_version);
    o["created_at"] = nullable_int(job.created_at);
    o["updated_at"] = nullable_int(job.updated_at);
    o["worker_pid"] = job.worker_alive ? nullable_int(job.worker_pid) : boost::json::value(nullptr);
    o["worker_alive"] = job.worker_alive;
    jv = std::move(o);
}

background_job tag_invoke(boost::json::value_to_tag<background_job>, const boost::json::value& jv) {
    const auto& o = jv.as_object();  // throws on a non-object, as value_to does
    background_job job;
    job.id = string_at(o, "id").value_or("");
    job.state = string_at(o, "state");
    job.detail = string_at(o, "detail");
    job.tempo = string_at(o, "tempo");
    job.needs = string_at(o, "needs");
    job.result = string_at(o, "result");
    job.intent = string_at(o, "intent");
    job.name = string_at(o, "name");
    job.cwd = string_at(o, "cwd");
    job.session_id = string_at(o, "session_id");
    job.bridge_session_id = string_at(o, "bridge_session_id");
    job.transcript_path = string_at(o, "transcript_path");
    job.cli_version = string_at(o, "cli_version");
    job.created_at = int_at(o, "created_at");
    job.updated_at = int_at(o, "updated_at");
    if (const auto* alive = o.if_contains("worker_alive"); alive && alive->is_bool())
        job.worker_alive = alive->get_bool();
    if (const auto pid = int_at(o, "worker_pid"); pid && *pid > 0 && *pid <= std::numeric_limits<int>::max())
        job.worker_pid = static_cast<int>(*pid);
    return job;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const stop_result& r) {
    jv = {{"id", r.id}, {"settled", r.settled}, {"removed", r.removed}, {"detail", r.detail}};
}

outcome<agent_request> parse_agent_request(const boost::json::value& body) {
    if (!body.is_object()) return make_failure(errc::invalid_argument, "request body must be a JSON object");
    const auto& o = body.get_object();
    agent_request req;
    const auto* project = o.if_contains("project");
    if (!project || !project->is_string()) return make_failure(errc::invalid_argument, "project must be a string");
    req.project = std::string(project->get_string());

    struct field {
        std::string_view name;
        std::optional<std::string> agent_request::*member;
    };
    static constexpr std::array<field, 4> fields{{
        {"prompt", &agent_request::prompt},
        {"rc_name", &agent_request::rc_name},
        {"model", &agent_request::model},
        {"permission_mode", &agent_request::permission_mode},
    }};
    for (const auto& f : fields) {
        const auto* v = o.if_contains(f.name);
        if (!v || v->is_null()) continue;
        if (!v->is_string())
            return make_failure(errc::invalid_argument, std::string(f.name) + " must be a string");
        req.*(f.member) = std::string(v->get_string());
    }
    return req;
}

}  // namespace clauster::core
