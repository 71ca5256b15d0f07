#include <clauster/core/json.hpp>
#include <clauster/core/time_format.hpp>

#include <boost/json/value.hpp>

namespace clauster::core {

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const working_session& s) {
    boost::json::object o;
    o["pid"] = s.pid;
    o["cwd"] = s.cwd;
    o["kind"] = s.kind;
    o["state"] = s.state;
    o["started_at"] = s.started_at;
    o["local_uuid"] = s.local_uuid;
    if (s.parent_instance) o["parent_instance"] = *s.parent_instance;
    else o["parent_instance"] = nullptr;
    o["attribution"] = to_string(s.attribution);
    jv = std::move(o);
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const event& e) {
    boost::json::object o;
    o["seq"] = e.seq;
    o["at"] = format_iso_micros(e.at);
    o["type"] = e.type;
    o["subject"] = e.subject;
    o["project"] = e.project;
    if (e.detail) o["detail"] = *e.detail;
    else o["detail"] = nullptr;
    jv = std::move(o);
}

}  // namespace clauster::core
