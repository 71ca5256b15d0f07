#include <clauster/core/instance.hpp>

#include <array>
#include <utility>

namespace clauster::core {
namespace {

constexpr std::array<std::pair<instance_status, std::string_view>, 5> status_names{{
    {instance_status::starting, "starting"},
    {instance_status::running, "running"},
    {instance_status::stopped, "stopped"},
    {instance_status::crashed, "crashed"},
    {instance_status::error, "error"},
}};

}  // namespace

std::string_view to_string(instance_status s) {
    for (const auto& [value, name] : status_names)
        if (value == s) return name;
    return "error";
}

std::optional<instance_status> parse_instance_status(std::string_view s) {
    for (const auto& [value, name] : status_names)
        if (name == s) return value;
    return std::nullopt;
}

std::string_view to_string(instance_channel c) {
    return c == instance_channel::hosted ? "hosted" : "remote-control";
}

std::optional<std::string> instance::session_url() const {
    if (!starter_session_id || starter_session_id->empty()) return std::nullopt;
    return "https://claude.ai/code/" + *starter_session_id + "?from=cli";
}

}  // namespace clauster::core
