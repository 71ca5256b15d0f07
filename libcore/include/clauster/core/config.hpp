#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace clauster::core {

/// Typed clauster.yml (spec §5). Every key has its default here; the loader
/// (config_loader.hpp) fills it from YAML and `CLAUSTER_*` environment overrides
/// and validates it. Keys whose feature is not built yet are parsed and kept so
/// a config written for the reference keeps loading.

enum class log_format { text, json };
enum class log_level { debug, info, warning, error };
enum class launch_mode { standard, pty };
enum class spawn_mode { same_dir, worktree, session };
enum class permission_mode { default_mode, plan, accept_edits, auto_mode, dont_ask, bypass_permissions, inherit };
enum class cookie_secure { auto_mode, always, never };
enum class usage_mode { cost, tokens, off };
enum class tls_provision { off, self_signed };

struct claude_config {
    std::string binary = "claude";
    std::string min_version = "2.1.145";
    int agents_json_poll_interval_seconds = 30;
    double startup_grace_seconds = 60.0;
    bool auto_enable_remote_control = true;
    bool resume_recap = false;
    int resume_recap_max_chars = 8000;
    core::launch_mode launch_mode = launch_mode::standard;
    bool pty_screen_enabled = false;
    std::vector<std::string> path_append;
    bool node_from_nvm = true;
    std::map<std::string, std::string> env;
};

struct instance_defaults_config {
    core::spawn_mode spawn_mode = spawn_mode::same_dir;
    core::permission_mode permission_mode = permission_mode::default_mode;
    bool verbose = false;
    std::optional<std::string> session_name_prefix;
    int capacity = 32;
    std::optional<int> max_bridges;
};

struct project_policy {
    bool allow_bypass_permissions = false;
};

struct reverse_proxy_config {
    bool enabled = false;
    std::string user_header = "Remote-User";
    std::string shared_secret_header = "X-Proxy-Auth";
    std::vector<std::string> trusted_ips;
    std::optional<std::string> shared_secret;
    int hmac_window_seconds = 60;
    bool require_hmac = true;
};

struct auth_config {
    bool enabled = false;
    bool password_required = false;
    std::optional<std::string> password_hash;
    std::optional<std::string> api_token_hash;
    bool allow_unauthenticated_network = false;
    core::cookie_secure cookie_secure = cookie_secure::auto_mode;
    int session_max_age_seconds = 604800;
    std::vector<std::string> allowed_origins;
    reverse_proxy_config reverse_proxy;
};

struct api_config {
    bool openapi_enabled = false;
};

struct ui_config {
    bool enabled = true;
};

struct db_config {
    bool backup_before_migrate = true;
};

struct logs_config {
    int bridge_log_max_size_mb = 10;
    int keep_rotated = 5;
    bool redact_session_url = false;
    bool strip_ansi_in_stream = true;
    int retention_max_age_days = 30;
    int retention_max_files = 0;
    int retention_max_total_mb = 0;
};

struct clone_config {
    bool enabled = true;
    std::vector<std::string> allowed_schemes{"https", "ssh"};
    bool allow_private_hosts = false;
    std::vector<std::string> allowed_private_cidrs;
    int timeout_seconds = 300;
    int max_mb = 2048;
};

struct reaper_config {
    bool ui_enabled = false;
};

struct config_write_config {
    bool enabled = false;
    bool allow_user_scope = false;
};

struct login_shepherd_config {
    bool enabled = false;
    bool allow_setup_token = false;
};

struct mcp_config {
    bool allow_writes = false;
};

struct usage_config {
    usage_mode mode = usage_mode::cost;
    std::string currency = "USD";
    std::optional<std::string> currency_symbol;
    double fx_rate = 1.0;
    bool token_total_includes_cache = true;
    bool show_cost = true;  ///< deprecated alias of mode (false → off when mode unset)
};

struct metrics_config {
    bool enabled = true;
    bool normalize_cpu = false;
    bool show_disk = true;
    double sample_interval_seconds = 0.15;
    double poll_seconds = 4.0;
};

struct observability_config {
    bool prometheus_enabled = false;
    std::optional<std::string> metrics_token_hash;
};

struct notifications_config {
    bool enabled = false;
    std::vector<std::string> urls;
    bool browser_enabled = false;
    bool notify_on_crash = true;
    bool notify_on_ready = false;
    bool notify_on_stop = false;
    bool notify_on_permission = false;
    bool notify_on_session_end = false;
    bool notify_on_reconnect_failed = false;
};

struct webhooks_config {
    bool enabled = false;
    std::vector<std::string> urls;
    double timeout_seconds = 10.0;
    bool block_private_targets = false;
    /// Explicit per-event switches; absent keys use the event's default.
    std::map<std::string, bool> events;
};

struct claustrum_config {
    bool enabled = false;
    std::string binary = "claustrum";
    std::optional<std::filesystem::path> socket_path;  ///< default <state_dir>/claustrum/daemon.sock
    double spawn_timeout_seconds = 10.0;
    bool keep_children = true;
    double request_timeout_seconds = 30.0;
};

struct tls_config {
    tls_provision provision = tls_provision::off;
    std::vector<std::string> hostnames;
    std::optional<std::filesystem::path> cert_file;
    std::optional<std::filesystem::path> key_file;
};

/// The whole configuration.
struct config {
    int schema_version = 1;
    std::filesystem::path projects_root;
    std::string host = "127.0.0.1";
    int port = 7621;
    std::filesystem::path state_dir;  ///< default ~/.clauster
    std::string root_path;
    core::log_format log_format = log_format::text;
    core::log_level log_level = log_level::info;
    std::optional<std::string> instance_name;
    std::optional<tls_config> tls;

    claude_config claude;
    instance_defaults_config instance_defaults;
    std::map<std::string, project_policy> projects;
    auth_config auth;
    api_config api;
    ui_config ui;
    db_config db;
    logs_config logs;
    clone_config clone;
    reaper_config reaper;
    config_write_config config_write;
    login_shepherd_config login_shepherd;
    mcp_config mcp;
    usage_config usage;
    metrics_config metrics;
    observability_config observability;
    notifications_config notifications;
    webhooks_config webhooks;
    claustrum_config claustrum;

    /// The file the values came from; nullopt for the embedded defaults.
    std::optional<std::filesystem::path> source;
    /// Non-fatal findings (deprecated aliases, unknown keys) for the caller to log.
    std::vector<std::string> warnings;

    /// True when `host` is 127.0.0.1, ::1 or localhost.
    bool is_loopback_bind() const;
    /// Policy for @p project; defaults when the project has no entry.
    project_policy policy_for(const std::string& project) const;
};

/// Wire names of the enums above (`same-dir`, `acceptEdits`, ...).
std::string_view to_string(spawn_mode m);
std::string_view to_string(permission_mode m);
std::string_view to_string(launch_mode m);
std::string_view to_string(log_level l);
std::string_view to_string(log_format f);
std::string_view to_string(cookie_secure c);
std::string_view to_string(usage_mode m);
std::string_view to_string(tls_provision p);

/// Parses the wire names; nullopt for anything else.
std::optional<spawn_mode> parse_spawn_mode(std::string_view s);
std::optional<permission_mode> parse_permission_mode(std::string_view s);
std::optional<launch_mode> parse_launch_mode(std::string_view s);

}  // namespace clauster::core
