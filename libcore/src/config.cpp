#include <clauster/core/config.hpp>

#include "config_parser.hpp"

#include <array>
#include <utility>

namespace clauster::core {

namespace {

/// One table per enum: the wire name of every enumerator, used both ways.
template <class E, std::size_t N>
using name_table = std::array<std::pair<E, std::string_view>, N>;

constexpr name_table<spawn_mode, 3> spawn_mode_names{{
    {spawn_mode::same_dir, "same-dir"},
    {spawn_mode::worktree, "worktree"},
    {spawn_mode::session, "session"},
}};

constexpr name_table<permission_mode, 7> permission_mode_names{{
    {permission_mode::default_mode, "default"},
    {permission_mode::plan, "plan"},
    {permission_mode::accept_edits, "acceptEdits"},
    {permission_mode::auto_mode, "auto"},
    {permission_mode::dont_ask, "dontAsk"},
    {permission_mode::bypass_permissions, "bypassPermissions"},
    {permission_mode::inherit, "inherit"},
}};

constexpr name_table<launch_mode, 2> launch_mode_names{{
    {launch_mode::standard, "standard"},
    {launch_mode::pty, "pty"},
}};

constexpr name_table<log_level, 4> log_level_names{{
    {log_level::debug, "debug"},
    {log_level::info, "info"},
    {log_level::warning, "warning"},
    {log_level::error, "error"},
}};

constexpr name_table<log_format, 2> log_format_names{{
    {log_format::text, "text"},
    {log_format::json, "json"},
}};

constexpr name_table<cookie_secure, 3> cookie_secure_names{{
    {cookie_secure::auto_mode, "auto"},
    {cookie_secure::always, "always"},
    {cookie_secure::never, "never"},
}};

constexpr name_table<usage_mode, 3> usage_mode_names{{
    {usage_mode::cost, "cost"},
    {usage_mode::tokens, "tokens"},
    {usage_mode::off, "off"},
}};

constexpr name_table<tls_provision, 2> tls_provision_names{{
    {tls_provision::off, "off"},
    {tls_provision::self_signed, "self-signed"},
}};

template <class E, std::size_t N>
std::string_view name_of(const name_table<E, N>& table, E value) {
    for (const auto& [e, name] : table)
        if (e == value) return name;
    return "unknown";
}

template <class E, std::size_t N>
std::optional<E> value_of(const name_table<E, N>& table, std::string_view name) {
    for (const auto& [e, n] : table)
        if (n == name) return e;
    return std::nullopt;
}

}  // namespace

//------------------------------------------------------------------------------

bool config::is_loopback_bind() const {
    return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

project_policy config::policy_for(const std::string& project) const {
    if (auto it = projects.find(project); it != projects.end()) return it->second;
    return project_policy{};
}

//------------------------------------------------------------------------------

std::string_view to_string(spawn_mode m) {
    return name_of(spawn_mode_names, m);
}
std::string_view to_string(permission_mode m) {
    return name_of(permission_mode_names, m);
}
std::string_view to_string(launch_mode m) {
    return name_of(launch_mode_names, m);
}
std::string_view to_string(log_level l) {
    return name_of(log_level_names, l);
}
std::string_view to_string(log_format f) {
    return name_of(log_format_names, f);
}
std::string_view to_string(cookie_secure c) {
    return name_of(cookie_secure_names, c);
}
std::string_view to_string(usage_mode m) {
    return name_of(usage_mode_names, m);
}
std::string_view to_string(tls_provision p) {
    return name_of(tls_provision_names, p);
}

std::optional<spawn_mode> parse_spawn_mode(std::string_view s) {
    return value_of(spawn_mode_names, s);
}
std::optional<permission_mode> parse_permission_mode(std::string_view s) {
    return value_of(permission_mode_names, s);
}
std::optional<launch_mode> parse_launch_mode(std::string_view s) {
    return value_of(launch_mode_names, s);
}

namespace detail {

std::optional<log_level> parse_log_level(std::string_view s) {
    return value_of(log_level_names, s);
}
std::optional<log_format> parse_log_format(std::string_view s) {
    return value_of(log_format_names, s);
}
std::optional<cookie_secure> parse_cookie_secure(std::string_view s) {
    return value_of(cookie_secure_names, s);
}
std::optional<usage_mode> parse_usage_mode(std::string_view s) {
    return value_of(usage_mode_names, s);
}
std::optional<tls_provision> parse_tls_provision(std::string_view s) {
    return value_of(tls_provision_names, s);
}

}  // namespace detail

}  // namespace clauster::core
