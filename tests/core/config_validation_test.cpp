// parse_config: defaults, types, ranges, enums, the §4.5 validators, YAML
// hardening and secret hygiene. Filesystem discovery is in config_loader_test.cpp.

#include <clauster/core/config_loader.hpp>

#include "config_schema.hpp"

#include <clauster/core/config.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace core = clauster::core;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view base_yaml = "projects_root: /srv/projects\n";

/// A hermetic environment: a fake HOME and nothing else.
core::environment test_env(const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    core::environment env{{"HOME", "/home/tester"}};
    for (const auto& [k, v] : extra) env.insert_or_assign(k, v);
    return env;
}

/// Parses base_yaml + @p extra without touching the filesystem.
boost::system::result<core::config, core::config_error> parse(std::string_view extra,
                                                              const core::environment& env = test_env()) {
    return core::parse_config(std::string(base_yaml) + std::string(extra), env, false);
}

core::config parse_ok(std::string_view extra, const core::environment& env = test_env()) {
    auto r = parse(extra, env);
    if (!r) FAIL("unexpected config error: " << r.error().message());
    return std::move(*r);
}

core::config_error parse_error(std::string_view extra, const core::environment& env = test_env()) {
    auto r = parse(extra, env);
    if (r) FAIL("expected a config error for:\n" << extra);
    return r.error();
}

bool has_warning_containing(const core::config& c, std::string_view needle) {
    for (const auto& w : c.warnings)
        if (w.find(needle) != std::string::npos) return true;
    return false;
}

const std::string sha_lower(64, 'a');
const std::string argon_hash = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNo";

const std::string non_loopback_message =
    "refusing non-loopback host='0.0.0.0' without enforced auth. Set auth.enabled: true together with "
    "auth.password_required (+ a hash from `clauster hash-password`), auth.reverse_proxy.enabled, or "
    "auth.api_token_hash (from `clauster hash-token`) — or, to opt out on a trusted LAN, "
    "auth.allow_unauthenticated_network.";

const std::string password_message =
    "auth.password_required is set but auth.password_hash is empty. Generate one with `clauster hash-password` "
    "(or set CLAUSTER_AUTH_PASSWORD_HASH).";

}  // namespace

//------------------------------------------------------------------------------
// Defaults

TEST_CASE("config: every section has its spec default", "[core]") {
    const auto c = parse_ok("");
    CHECK(c.schema_version == 1);
    CHECK(c.projects_root == fs::path("/srv/projects"));
    CHECK(c.host == "127.0.0.1");
    CHECK(c.port == 7621);
    CHECK(c.state_dir == fs::path("/home/tester/.clauster"));
    CHECK(c.root_path.empty());
    CHECK(c.log_format == core::log_format::text);
    CHECK(c.log_level == core::log_level::info);
    CHECK_FALSE(c.instance_name);
    CHECK_FALSE(c.tls);
    CHECK_FALSE(c.source);
    CHECK(c.warnings.empty());
    CHECK(c.is_loopback_bind());

    CHECK(c.claude.binary == "claude");
    CHECK(c.claude.min_version == "2.1.145");
    CHECK(c.claude.agents_json_poll_interval_seconds == 30);
    CHECK(c.claude.startup_grace_seconds == 60.0);
    CHECK(c.claude.auto_enable_remote_control);
    CHECK_FALSE(c.claude.resume_recap);
    CHECK(c.claude.resume_recap_max_chars == 8000);
    CHECK(c.claude.launch_mode == core::launch_mode::standard);
    CHECK_FALSE(c.claude.pty_screen_enabled);
    CHECK(c.claude.path_append.empty());
    CHECK(c.claude.node_from_nvm);
    CHECK(c.claude.env.empty());

    CHECK(c.instance_defaults.spawn_mode == core::spawn_mode::same_dir);
    CHECK(c.instance_defaults.permission_mode == core::permission_mode::default_mode);
    CHECK_FALSE(c.instance_defaults.verbose);
    CHECK_FALSE(c.instance_defaults.session_name_prefix);
    CHECK(c.instance_defaults.capacity == 32);
    CHECK_FALSE(c.instance_defaults.max_bridges);

    CHECK(c.projects.empty());
    CHECK_FALSE(c.policy_for("anything").allow_bypass_permissions);

    CHECK_FALSE(c.auth.enabled);
    CHECK_FALSE(c.auth.password_required);
    CHECK_FALSE(c.auth.password_hash);
    CHECK_FALSE(c.auth.api_token_hash);
    CHECK_FALSE(c.auth.allow_unauthenticated_network);
    CHECK(c.auth.cookie_secure == core::cookie_secure::auto_mode);
    CHECK(c.auth.session_max_age_seconds == 604800);
    CHECK(c.auth.allowed_origins.empty());
    CHECK_FALSE(c.auth.reverse_proxy.enabled);
    CHECK(c.auth.reverse_proxy.user_header == "Remote-User");
    CHECK(c.auth.reverse_proxy.shared_secret_header == "X-Proxy-Auth");
    CHECK(c.auth.reverse_proxy.trusted_ips.empty());
    CHECK_FALSE(c.auth.reverse_proxy.shared_secret);
    CHECK(c.auth.reverse_proxy.hmac_window_seconds == 60);
    CHECK(c.auth.reverse_proxy.require_hmac);

    CHECK_FALSE(c.api.openapi_enabled);
    CHECK(c.ui.enabled);
    CHECK(c.db.backup_before_migrate);

    CHECK(c.logs.bridge_log_max_size_mb == 10);
    CHECK(c.logs.keep_rotated == 5);
    CHECK_FALSE(c.logs.redact_session_url);
    CHECK(c.logs.strip_ansi_in_stream);
    CHECK(c.logs.retention_max_age_days == 30);
    CHECK(c.logs.retention_max_files == 0);
    CHECK(c.logs.retention_max_total_mb == 0);

    CHECK(c.clone.enabled);
    CHECK(c.clone.allowed_schemes == std::vector<std::string>{"https", "ssh"});
    CHECK_FALSE(c.clone.allow_private_hosts);
    CHECK(c.clone.allowed_private_cidrs.empty());
    CHECK(c.clone.timeout_seconds == 300);
    CHECK(c.clone.max_mb == 2048);

    CHECK_FALSE(c.reaper.ui_enabled);
    CHECK_FALSE(c.config_write.enabled);
    CHECK_FALSE(c.config_write.allow_user_scope);
    CHECK_FALSE(c.login_shepherd.enabled);
    CHECK_FALSE(c.login_shepherd.allow_setup_token);
    CHECK_FALSE(c.mcp.allow_writes);

    CHECK(c.usage.mode == core::usage_mode::cost);
    CHECK(c.usage.currency == "USD");
    CHECK_FALSE(c.usage.currency_symbol);
    CHECK(c.usage.fx_rate == 1.0);
    CHECK(c.usage.token_total_includes_cache);
    CHECK(c.usage.show_cost);

    CHECK(c.metrics.enabled);
    CHECK_FALSE(c.metrics.normalize_cpu);
    CHECK(c.metrics.show_disk);
    CHECK(c.metrics.sample_interval_seconds == 0.15);
    CHECK(c.metrics.poll_seconds == 4.0);
    CHECK_FALSE(c.observability.prometheus_enabled);
    CHECK_FALSE(c.observability.metrics_token_hash);

    CHECK_FALSE(c.notifications.enabled);
    CHECK(c.notifications.urls.empty());
    CHECK_FALSE(c.notifications.browser_enabled);
    CHECK(c.notifications.notify_on_crash);
    CHECK_FALSE(c.notifications.notify_on_ready);
    CHECK_FALSE(c.notifications.notify_on_stop);
    CHECK_FALSE(c.notifications.notify_on_permission);
    CHECK_FALSE(c.notifications.notify_on_session_end);
    CHECK_FALSE(c.notifications.notify_on_reconnect_failed);

    CHECK_FALSE(c.webhooks.enabled);
    CHECK(c.webhooks.urls.empty());
    CHECK(c.webhooks.timeout_seconds == 10.0);
    CHECK_FALSE(c.webhooks.block_private_targets);
    CHECK(c.webhooks.events.empty());

    CHECK_FALSE(c.claustrum.enabled);
    CHECK(c.claustrum.binary == "claustrum");
    CHECK_FALSE(c.claustrum.socket_path);
    CHECK(c.claustrum.spawn_timeout_seconds == 10.0);
    CHECK(c.claustrum.keep_children);
    CHECK(c.claustrum.request_timeout_seconds == 30.0);
}

TEST_CASE("config: empty sections and null lists read as defaults", "[core]") {
    const auto c = parse_ok("auth:\nclaude: ~\nwebhooks:\n  urls:\n  events:\ntls: null\n");
    CHECK_FALSE(c.auth.enabled);
    CHECK(c.claude.binary == "claude");
    CHECK(c.webhooks.urls.empty());
    CHECK_FALSE(c.tls);
    CHECK(c.warnings.empty());
}

TEST_CASE("config: a full file is read into the typed struct", "[core]") {
    const auto c = parse_ok(
        "schema_version: 1\n"
        "host: localhost\n"
        "port: 8080\n"
        "state_dir: ~/state\n"
        "root_path: /clauster/\n"
        "log_format: json\n"
        "log_level: WARNING\n"
        "instance_name: lab-1.a_b\n"
        "claude:\n"
        "  binary: ~/bin/claude\n"
        "  min_version: 2.2\n"
        "  agents_json_poll_interval_seconds: 5\n"
        "  startup_grace_seconds: 12.5\n"
        "  auto_enable_remote_control: no\n"
        "  resume_recap: yes\n"
        "  resume_recap_max_chars: 500\n"
        "  launch_mode: pty\n"
        "  pty_screen_enabled: true\n"
        "  path_append: [/opt/bin, /usr/local/go/bin]\n"
        "  node_from_nvm: false\n"
        "  env: {FOO: bar, N: 3}\n"
        "instance_defaults:\n"
        "  spawn_mode: worktree\n"
        "  permission_mode: acceptEdits\n"
        "  verbose: true\n"
        "  session_name_prefix: lab\n"
        "  capacity: 4\n"
        "  max_bridges: 10\n"
        "projects:\n"
        "  danger: {allow_bypass_permissions: true}\n"
        "  safe:\n"
        "auth:\n"
        "  cookie_secure: always\n"
        "  session_max_age_seconds: 60\n"
        "  allowed_origins: [https://clauster.example]\n"
        "  reverse_proxy:\n"
        "    user_header: X-User\n"
        "    trusted_ips: [10.0.0.0/8, 192.168.1.5, 'fd00::/8', '::1']\n"
        "    hmac_window_seconds: 0\n"
        "    require_hmac: false\n"
        "api: {openapi_enabled: true}\n"
        "ui: {enabled: false}\n"
        "db: {backup_before_migrate: false}\n"
        "logs: {bridge_log_max_size_mb: 1, keep_rotated: 0, redact_session_url: true, strip_ansi_in_stream: false,\n"
        "       retention_max_age_days: 0, retention_max_files: 7, retention_max_total_mb: 100}\n"
        "clone: {enabled: false, allowed_schemes: [HTTPS], allow_private_hosts: true,\n"
        "        allowed_private_cidrs: [10.1.0.0/16], timeout_seconds: 1, max_mb: 0}\n"
        "reaper: {ui_enabled: true}\n"
        "config_write: {enabled: true, allow_user_scope: true}\n"
        "login_shepherd: {enabled: true, allow_setup_token: true}\n"
        "mcp: {allow_writes: true}\n"
        "usage: {mode: tokens, currency: eur, currency_symbol: '€', fx_rate: 0.9, token_total_includes_cache: false}\n"
        "metrics: {enabled: false, normalize_cpu: true, show_disk: false, sample_interval_seconds: 2, poll_seconds: "
        "1}\n"
        "observability: {prometheus_enabled: true}\n"
        "notifications: {enabled: true, urls: ['mailto://x'], browser_enabled: true, notify_on_crash: false,\n"
        "  notify_on_ready: true, notify_on_stop: true, notify_on_permission: true, notify_on_session_end: true,\n"
        "  notify_on_reconnect_failed: true}\n"
        "webhooks: {enabled: true, urls: ['https://hooks.example/x', 'HTTP://10.0.0.1:8080'], timeout_seconds: 0.5,\n"
        "  block_private_targets: true, events: {spawn: false, clone-done: true}}\n"
        "claustrum: {enabled: true, binary: /opt/claustrum, socket_path: /run/c.sock, spawn_timeout_seconds: 1,\n"
        "  keep_children: false, request_timeout_seconds: 2}\n");
    CHECK(c.port == 8080);
    CHECK(c.is_loopback_bind());
    CHECK(c.state_dir == fs::path("/home/tester/state"));
    CHECK(c.root_path == "/clauster");
    CHECK(c.log_format == core::log_format::json);
    CHECK(c.log_level == core::log_level::warning);
    CHECK(c.instance_name == std::optional<std::string>("lab-1.a_b"));
    CHECK(c.claude.binary == "/home/tester/bin/claude");
    CHECK(c.claude.min_version == "2.2");
    CHECK(c.claude.agents_json_poll_interval_seconds == 5);
    CHECK(c.claude.startup_grace_seconds == 12.5);
    CHECK_FALSE(c.claude.auto_enable_remote_control);
    CHECK(c.claude.resume_recap);
    CHECK(c.claude.resume_recap_max_chars == 500);
    CHECK(c.claude.launch_mode == core::launch_mode::pty);
    CHECK(c.claude.pty_screen_enabled);
    CHECK(c.claude.path_append == std::vector<std::string>{"/opt/bin", "/usr/local/go/bin"});
    CHECK_FALSE(c.claude.node_from_nvm);
    CHECK(c.claude.env == std::map<std::string, std::string>{{"FOO", "bar"}, {"N", "3"}});
    CHECK(c.instance_defaults.spawn_mode == core::spawn_mode::worktree);
    CHECK(c.instance_defaults.permission_mode == core::permission_mode::accept_edits);
    CHECK(c.instance_defaults.verbose);
    CHECK(c.instance_defaults.session_name_prefix == std::optional<std::string>("lab"));
    CHECK(c.instance_defaults.capacity == 4);
    CHECK(c.instance_defaults.max_bridges == std::optional<int>(10));
    CHECK(c.policy_for("danger").allow_bypass_permissions);
    CHECK_FALSE(c.policy_for("safe").allow_bypass_permissions);
    CHECK(c.projects.size() == 2);
    CHECK(c.auth.cookie_secure == core::cookie_secure::always);
    CHECK(c.auth.session_max_age_seconds == 60);
    CHECK(c.auth.allowed_origins == std::vector<std::string>{"https://clauster.example"});
    CHECK(c.auth.reverse_proxy.user_header == "X-User");
    CHECK(c.auth.reverse_proxy.trusted_ips.size() == 4);
    CHECK(c.auth.reverse_proxy.hmac_window_seconds == 0);
    CHECK_FALSE(c.auth.reverse_proxy.require_hmac);
    CHECK(c.api.openapi_enabled);
    CHECK_FALSE(c.ui.enabled);
    CHECK_FALSE(c.db.backup_before_migrate);
    CHECK(c.logs.bridge_log_max_size_mb == 1);
    CHECK(c.logs.retention_max_files == 7);
    CHECK(c.logs.retention_max_total_mb == 100);
    CHECK_FALSE(c.clone.enabled);
    CHECK(c.clone.allowed_schemes == std::vector<std::string>{"https"});
    CHECK(c.clone.allowed_private_cidrs == std::vector<std::string>{"10.1.0.0/16"});
    CHECK(c.clone.max_mb == 0);
    CHECK(c.reaper.ui_enabled);
    CHECK(c.config_write.allow_user_scope);
    CHECK(c.login_shepherd.allow_setup_token);
    CHECK(c.mcp.allow_writes);
    CHECK(c.usage.mode == core::usage_mode::tokens);
    CHECK(c.usage.currency == "EUR");
    CHECK(c.usage.currency_symbol == std::optional<std::string>("€"));
    CHECK(c.usage.fx_rate == 0.9);
    CHECK_FALSE(c.usage.token_total_includes_cache);
    CHECK(c.metrics.sample_interval_seconds == 2.0);
    CHECK(c.metrics.poll_seconds == 1.0);
    CHECK(c.observability.prometheus_enabled);
    CHECK(c.notifications.urls == std::vector<std::string>{"mailto://x"});
    CHECK(c.notifications.notify_on_reconnect_failed);
    CHECK_FALSE(c.notifications.notify_on_crash);
    CHECK(c.webhooks.urls.size() == 2);
    CHECK(c.webhooks.timeout_seconds == 0.5);
    CHECK(c.webhooks.events == std::map<std::string, bool>{{"spawn", false}, {"clone-done", true}});
    CHECK(c.claustrum.binary == "/opt/claustrum");
    CHECK(c.claustrum.socket_path == std::optional<fs::path>("/run/c.sock"));
    CHECK_FALSE(c.claustrum.keep_children);
    CHECK(c.warnings.empty());
}

//------------------------------------------------------------------------------
// §4.5 validators

TEST_CASE("config: non-loopback host needs enforced auth (spec message verbatim)", "[core]") {
    struct row {
        const char* name;
        std::string yaml;
    };
    const std::vector<row> refused{
        {"no auth", "host: 0.0.0.0\n"},
        {"auth enabled without a credential", "host: 0.0.0.0\nauth: {enabled: true}\n"},
        {"token hash without auth.enabled", "host: 0.0.0.0\nauth: {api_token_hash: " + sha_lower + "}\n"},
        {"password hash without password_required",
         "host: 0.0.0.0\nauth: {enabled: true, password_hash: '" + argon_hash + "'}\n"},
    };
    for (const auto& [name, yaml] : refused) {
        INFO(name);
        const auto e = parse_error(yaml);
        CHECK(e.key == "host");
        CHECK(e.why == non_loopback_message);
        CHECK(e.message() == "host: " + non_loopback_message);
    }

    const std::vector<row> accepted{
        {"loopback v4", "host: 127.0.0.1\n"},
        {"loopback v6", "host: '::1'\n"},
        {"localhost", "host: localhost\n"},
        {"api token", "host: 0.0.0.0\nauth: {enabled: true, api_token_hash: " + sha_lower + "}\n"},
        {"password",
         "host: 0.0.0.0\nauth: {enabled: true, password_required: true, password_hash: '" + argon_hash + "'}\n"},
        {"reverse proxy",
         "host: 0.0.0.0\nauth: {enabled: true, reverse_proxy: {enabled: true, trusted_ips: [10.0.0.1], "
         "shared_secret: s3cret}}\n"},
    };
    for (const auto& [name, yaml] : accepted) {
        INFO(name);
        const auto c = parse_ok(yaml);
        CHECK_FALSE(has_warning_containing(c, "without enforced auth"));
    }
}

TEST_CASE("config: allow_unauthenticated_network opts out with a warning", "[core]") {
    const auto c = parse_ok("host: 0.0.0.0\nauth: {allow_unauthenticated_network: true}\n");
    CHECK_FALSE(c.is_loopback_bind());
    CHECK(has_warning_containing(c, "reachable from the network without enforced auth"));
}

TEST_CASE("config: the remaining startup validators refuse with their message", "[core]") {
    struct row {
        const char* name;
        std::string yaml;
        std::string key;
        std::string why;
    };
    const std::vector<row> rows{
        {"password_required without hash", "auth: {password_required: true}\n", "auth.password_required",
         password_message},
        {"password_required with empty hash", "auth: {password_required: true, password_hash: ''}\n",
         "auth.password_required", password_message},
        {"proxy without trusted_ips", "auth: {reverse_proxy: {enabled: true, shared_secret: x}}\n",
         "auth.reverse_proxy.trusted_ips",
         "auth.reverse_proxy.enabled is set but auth.reverse_proxy.trusted_ips is empty. List the proxy's "
         "addresses (IP or CIDR); X-Forwarded-For is never used."},
        {"hmac without shared secret", "auth: {reverse_proxy: {enabled: true, trusted_ips: [10.0.0.1]}}\n",
         "auth.reverse_proxy.shared_secret",
         "auth.reverse_proxy.require_hmac is set but auth.reverse_proxy.shared_secret is empty. Set it (or "
         "CLAUSTER_AUTH_REVERSE_PROXY_SHARED_SECRET_FILE), or set auth.reverse_proxy.require_hmac: false for "
         "header-only forward-auth."},
        {"bad api token hash", "auth: {api_token_hash: abc}\n", "auth.api_token_hash",
         "must be a SHA-256 hex digest (64 hex characters); generate one with `clauster hash-token`"},
        {"non-hex api token hash", "auth: {api_token_hash: " + std::string(64, 'g') + "}\n", "auth.api_token_hash",
         "must be a SHA-256 hex digest (64 hex characters); generate one with `clauster hash-token`"},
        {"bad metrics token hash", "observability: {metrics_token_hash: " + std::string(63, 'a') + "}\n",
         "observability.metrics_token_hash",
         "must be a SHA-256 hex digest (64 hex characters); generate one with `clauster hash-metrics-token`"},
        {"password hash not argon2id", "auth: {password_hash: '$2b$12$abcdef'}\n", "auth.password_hash",
         "must be an argon2id hash ($argon2id$...); generate one with `clauster hash-password`"},
    };
    for (const auto& [name, yaml, key, why] : rows) {
        INFO(name);
        const auto e = parse_error(yaml);
        CHECK(e.key == key);
        CHECK(e.why == why);
    }
}

TEST_CASE("config: forward-auth needs no shared secret; hashes are normalised to lower case", "[core]") {
    const auto c = parse_ok(
        "auth:\n"
        "  api_token_hash: " +
        std::string(64, 'A') +
        "\n"
        "  reverse_proxy: {enabled: true, trusted_ips: [10.0.0.1], require_hmac: false}\n"
        "observability: {metrics_token_hash: " +
        std::string(64, 'F') + "}\n");
    CHECK(c.auth.api_token_hash == std::optional<std::string>(std::string(64, 'a')));
    CHECK(c.observability.metrics_token_hash == std::optional<std::string>(std::string(64, 'f')));
}

TEST_CASE("config: ui off with auth on and no credential only warns", "[core]") {
    const auto c = parse_ok("ui: {enabled: false}\nauth: {enabled: true}\n");
    CHECK(has_warning_containing(c, "only named API tokens"));
    CHECK_FALSE(has_warning_containing(
        parse_ok("ui: {enabled: false}\nauth: {enabled: true, api_token_hash: " + sha_lower + "}\n"),
        "only named API tokens"));
}

//------------------------------------------------------------------------------
// Types and ranges

TEST_CASE("config: wrong types name the key", "[core]") {
    struct row {
        std::string yaml;
        std::string key;
        std::string why;
    };
    const std::vector<row> rows{
        {"port: \"abc\"\n", "port", "must be an integer between 1 and 65535"},
        {"port: [1]\n", "port", "must be an integer between 1 and 65535"},
        {"port: 80.5\n", "port", "must be an integer between 1 and 65535"},
        {"port: ~\n", "port", "must be an integer between 1 and 65535, not null"},
        {"port: {a: 1}\n", "port", "must be an integer between 1 and 65535"},
        {"auth: 3\n", "auth", "must be a mapping"},
        {"auth: [1, 2]\n", "auth", "must be a mapping"},
        {"auth: {reverse_proxy: on}\n", "auth.reverse_proxy", "must be a mapping"},
        {"auth: {enabled: maybe}\n", "auth.enabled", "must be true or false"},
        {"auth: {enabled: [true]}\n", "auth.enabled", "must be true or false"},
        {"host: ~\n", "host", "must be a string, not null"},
        {"host: ''\n", "host", "must not be empty"},
        {"host: [a]\n", "host", "must be a string"},
        {"auth: {allowed_origins: https://x}\n", "auth.allowed_origins", "must be a list of strings"},
        {"auth: {allowed_origins: [[a]]}\n", "auth.allowed_origins", "entry 1 must be a string"},
        {"usage: {fx_rate: cheap}\n", "usage.fx_rate", "must be a number > 0"},
        {"usage: {fx_rate: .nan}\n", "usage.fx_rate", "must be a number > 0"},
        {"usage: {fx_rate: .inf}\n", "usage.fx_rate", "must be a number > 0"},
        {"tls: 3\n", "tls", "must be a mapping or null"},
        {"projects: [a]\n", "projects", "must be a mapping of project names to settings"},
        {"projects: {p: 3}\n", "projects.p", "must be a mapping"},
        {"projects: {p: {allow_bypass_permissions: sure}}\n", "projects.p.allow_bypass_permissions",
         "must be true or false"},
        {"claude: {env: [A]}\n", "claude.env", "must be a mapping of variable names to strings"},
        {"claude: {env: {A: [1]}}\n", "claude.env.A", "must be a string"},
        {"claude: {env: {'A=B': x}}\n", "claude.env.A=B", "is not a valid environment variable name"},
        {"webhooks: {events: [spawn]}\n", "webhooks.events", "must be a mapping of event names to true or false"},
        {"webhooks: {events: {spawn: loud}}\n", "webhooks.events.spawn", "must be true or false"},
        {"instance_defaults: {max_bridges: many}\n", "instance_defaults.max_bridges",
         "must be an integer >= 1 or null"},
    };
    for (const auto& [yaml, key, why] : rows) {
        INFO(yaml);
        const auto e = parse_error(yaml);
        CHECK(e.key == key);
        CHECK(e.why == why);
    }
}

TEST_CASE("config: a root that is not a mapping is refused", "[core]") {
    for (const std::string yaml : {"- a\n- b\n", "just a string\n", "42\n"}) {
        INFO(yaml);
        const auto r = core::parse_config(yaml, test_env(), false);
        REQUIRE(r.has_error());
        CHECK(r.error().key == "config");
        CHECK(r.error().why == "the document root must be a mapping");
    }
}

TEST_CASE("config: projects_root is required", "[core]") {
    for (const std::string yaml : {"", "# nothing\n", "port: 1\n", "projects_root: ''\n", "projects_root: ~\n"}) {
        INFO(yaml);
        const auto r = core::parse_config(yaml, test_env(), false);
        REQUIRE(r.has_error());
        CHECK(r.error().key == "projects_root");
    }
}

TEST_CASE("config: values out of range are refused, boundaries accepted", "[core]") {
    struct row {
        std::string yaml;
        std::string key;
        std::string why;
    };
    const std::vector<row> refused{
        {"port: 0\n", "port", "must be an integer between 1 and 65535"},
        {"port: 65536\n", "port", "must be an integer between 1 and 65535"},
        {"port: -1\n", "port", "must be an integer between 1 and 65535"},
        {"port: 99999999999999999999\n", "port", "must be an integer between 1 and 65535"},
        {"schema_version: 0\n", "schema_version", "must be an integer >= 1"},
        {"claude: {agents_json_poll_interval_seconds: 0}\n", "claude.agents_json_poll_interval_seconds",
         "must be an integer >= 1"},
        {"claude: {startup_grace_seconds: 0}\n", "claude.startup_grace_seconds", "must be a number > 0"},
        {"claude: {resume_recap_max_chars: 499}\n", "claude.resume_recap_max_chars", "must be an integer >= 500"},
        {"instance_defaults: {capacity: 0}\n", "instance_defaults.capacity", "must be an integer >= 1"},
        {"instance_defaults: {max_bridges: 0}\n", "instance_defaults.max_bridges", "must be an integer >= 1 or null"},
        {"auth: {session_max_age_seconds: 0}\n", "auth.session_max_age_seconds", "must be an integer >= 1"},
        {"auth: {reverse_proxy: {hmac_window_seconds: -1}}\n", "auth.reverse_proxy.hmac_window_seconds",
         "must be an integer >= 0"},
        {"logs: {bridge_log_max_size_mb: 0}\n", "logs.bridge_log_max_size_mb", "must be an integer >= 1"},
        {"logs: {keep_rotated: -1}\n", "logs.keep_rotated", "must be an integer >= 0"},
        {"logs: {retention_max_age_days: -1}\n", "logs.retention_max_age_days", "must be an integer >= 0"},
        {"clone: {timeout_seconds: 0}\n", "clone.timeout_seconds", "must be an integer >= 1"},
        {"clone: {max_mb: -5}\n", "clone.max_mb", "must be an integer >= 0"},
        {"usage: {fx_rate: 0}\n", "usage.fx_rate", "must be a number > 0"},
        {"metrics: {sample_interval_seconds: 0}\n", "metrics.sample_interval_seconds", "must be a number > 0 and <= 2"},
        {"metrics: {sample_interval_seconds: 2.01}\n", "metrics.sample_interval_seconds",
         "must be a number > 0 and <= 2"},
        {"metrics: {poll_seconds: 0.5}\n", "metrics.poll_seconds", "must be a number >= 1"},
        {"webhooks: {timeout_seconds: -1}\n", "webhooks.timeout_seconds", "must be a number > 0"},
        {"claustrum: {spawn_timeout_seconds: 0}\n", "claustrum.spawn_timeout_seconds", "must be a number > 0"},
        {"claustrum: {request_timeout_seconds: 0}\n", "claustrum.request_timeout_seconds", "must be a number > 0"},
    };
    for (const auto& [yaml, key, why] : refused) {
        INFO(yaml);
        const auto e = parse_error(yaml);
        CHECK(e.key == key);
        CHECK(e.why == why);
    }
    CHECK(parse_ok("port: 1\n").port == 1);
    CHECK(parse_ok("port: 65535\n").port == 65535);
    CHECK(parse_ok("port: '8080'\n").port == 8080);
    CHECK(parse_ok("metrics: {sample_interval_seconds: 2}\n").metrics.sample_interval_seconds == 2.0);
    CHECK(parse_ok("metrics: {poll_seconds: 1}\n").metrics.poll_seconds == 1.0);
    CHECK(parse_ok("usage: {fx_rate: 1e-3}\n").usage.fx_rate == 0.001);
}

TEST_CASE("config: booleans accept the YAML 1.1 spellings", "[core]") {
    for (const std::string t : {"true", "True", "yes", "on", "1", "'true'"}) {
        INFO(t);
        CHECK(parse_ok("auth: {enabled: " + t + "}\n").auth.enabled);
    }
    for (const std::string f : {"false", "FALSE", "no", "off", "0"}) {
        INFO(f);
        CHECK_FALSE(parse_ok("ui: {enabled: " + f + "}\n").ui.enabled);
    }
}

//------------------------------------------------------------------------------
// Enums and string rules

TEST_CASE("config: enum keys take their wire names", "[core]") {
    CHECK(parse_ok("log_level: DeBuG\n").log_level == core::log_level::debug);
    CHECK(parse_ok("log_level: error\n").log_level == core::log_level::error);
    CHECK(parse_ok("instance_defaults: {spawn_mode: session}\n").instance_defaults.spawn_mode ==
          core::spawn_mode::session);
    CHECK(parse_ok("instance_defaults: {permission_mode: inherit}\n").instance_defaults.permission_mode ==
          core::permission_mode::inherit);
    CHECK(parse_ok("instance_defaults: {permission_mode: bypassPermissions}\n").instance_defaults.permission_mode ==
          core::permission_mode::bypass_permissions);
    CHECK(parse_ok("auth: {cookie_secure: never}\n").auth.cookie_secure == core::cookie_secure::never);

    struct row {
        std::string yaml;
        std::string key;
        std::string why;
    };
    const std::vector<row> refused{
        {"log_level: verbose\n", "log_level", "must be one of: debug, info, warning, error"},
        {"log_format: JSON\n", "log_format", "must be one of: text, json"},
        {"claude: {launch_mode: tmux}\n", "claude.launch_mode", "must be one of: standard, pty"},
        {"instance_defaults: {spawn_mode: same_dir}\n", "instance_defaults.spawn_mode",
         "must be one of: same-dir, worktree, session"},
        {"instance_defaults: {permission_mode: yolo}\n", "instance_defaults.permission_mode",
         "must be one of: default, plan, acceptEdits, auto, dontAsk, bypassPermissions, inherit"},
        {"auth: {cookie_secure: sometimes}\n", "auth.cookie_secure", "must be one of: auto, always, never"},
        {"usage: {mode: dollars}\n", "usage.mode", "must be one of: cost, tokens, off"},
        {"usage: {mode: true}\n", "usage.mode", "must be one of: cost, tokens, off"},
        {"usage: {mode: 'no'}\n", "usage.mode", "must be one of: cost, tokens, off"},
    };
    for (const auto& [yaml, key, why] : refused) {
        INFO(yaml);
        const auto e = parse_error(yaml);
        CHECK(e.key == key);
        CHECK(e.why == why);
    }
}

TEST_CASE("config: usage.mode off survives YAML 1.1 (a bool false) and currency is upper-cased", "[core]") {
    for (const std::string v : {"off", "'off'", "\"off\"", "Off", "false", "no"}) {
        INFO(v);
        CHECK(parse_ok("usage: {mode: " + v + "}\n").usage.mode == core::usage_mode::off);
    }
    CHECK(parse_ok("usage: {currency: gbp}\n").usage.currency == "GBP");
}

TEST_CASE("config: instance_name is at most 32 characters of [A-Za-z0-9_.-]", "[core]") {
    CHECK(parse_ok("instance_name: " + std::string(32, 'x') + "\n").instance_name == std::string(32, 'x'));
    CHECK_FALSE(parse_ok("instance_name: ''\n").instance_name);
    CHECK_FALSE(parse_ok("instance_name:\n").instance_name);
    for (const std::string& bad :
         {std::string(33, 'x'), std::string("has space"), std::string("slash/y"), std::string("'ünï'")}) {
        INFO(bad);
        const auto e = parse_error("instance_name: " + bad + "\n");
        CHECK(e.key == "instance_name");
        CHECK(e.why == "must be at most 32 characters of [A-Za-z0-9_.-]");
    }
}

TEST_CASE("config: string rules beyond the type", "[core]") {
    struct row {
        std::string yaml;
        std::string key;
    };
    const std::vector<row> refused{
        {"root_path: clauster\n", "root_path"},
        {"claude: {min_version: latest}\n", "claude.min_version"},
        {"claude: {min_version: 2..1}\n", "claude.min_version"},
        {"claude: {binary: ''}\n", "claude.binary"},
        {"instance_defaults: {session_name_prefix: --evil}\n", "instance_defaults.session_name_prefix"},
        {"auth: {reverse_proxy: {user_header: 'Remote User'}}\n", "auth.reverse_proxy.user_header"},
        {"auth: {reverse_proxy: {shared_secret_header: ''}}\n", "auth.reverse_proxy.shared_secret_header"},
        {"usage: {currency: ''}\n", "usage.currency"},
    };
    for (const auto& [yaml, key] : refused) {
        INFO(yaml);
        CHECK(parse_error(yaml).key == key);
    }
    CHECK(parse_ok("root_path: /\n").root_path.empty());
    CHECK(parse_ok("root_path: ''\n").root_path.empty());
}

//------------------------------------------------------------------------------
// Lists with shape rules

TEST_CASE("config: trusted_ips and allowed_private_cidrs take IPv4/IPv6 addresses and CIDRs", "[core]") {
    const auto ok = parse_ok(
        "auth: {reverse_proxy: {trusted_ips: [127.0.0.1, 10.0.0.0/8, 0.0.0.0/0, '::1', '2001:db8::/32', "
        "'::ffff:10.0.0.1', '::/0', '10.1.2.3/32', 'fe80::1/128']}}\n"
        "clone: {allowed_private_cidrs: [192.168.0.0/16, 'fc00::/7', 10.9.9.9]}\n");
    CHECK(ok.auth.reverse_proxy.trusted_ips.size() == 9);
    CHECK(ok.clone.allowed_private_cidrs.size() == 3);

    for (const std::string bad : {"10.0.0", "10.0.0.256", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "::1/129",
                                  "example.com", "010.0.0.1", "10.0.0.1/8/8", "' 10.0.0.1'", "''", "fe80::1%eth0"}) {
        INFO(bad);
        const auto e = parse_error("auth: {reverse_proxy: {trusted_ips: [127.0.0.1, " + bad + "]}}\n");
        CHECK(e.key == "auth.reverse_proxy.trusted_ips");
        CHECK(e.why == "entry 2 is not a valid IP address or CIDR");

        const auto e2 = parse_error("clone: {allowed_private_cidrs: [" + bad + "]}\n");
        CHECK(e2.key == "clone.allowed_private_cidrs");
    }
}

TEST_CASE("config: webhooks.urls are http or https only", "[core]") {
    for (const std::string bad : {"ftp://x/y", "https://", "http:///path", "file:///etc/passwd", "hooks.example",
                                  "'https://a b'", "javascript:alert(1)"}) {
        INFO(bad);
        const auto e = parse_error("webhooks: {urls: [" + bad + "]}\n");
        CHECK(e.key == "webhooks.urls");
        CHECK(e.why == "entry 1 must be an http:// or https:// URL");
    }
}

TEST_CASE("config: webhooks.events accepts the seven events and rejects others", "[core]") {
    const auto c = parse_ok(
        "webhooks: {events: {spawn: true, ready: false, stop: true, crash: false, bg-settled: true, "
        "permission-needed: true, clone-done: false}}\n");
    CHECK(c.webhooks.events.size() == 7);
    const auto e = parse_error("webhooks: {events: {spawn: true, explode: true}}\n");
    CHECK(e.key == "webhooks.events");
    CHECK(e.why ==
          "unknown event 'explode' (known: spawn, ready, stop, crash, bg-settled, permission-needed, clone-done)");
}

TEST_CASE("config: tls rules", "[core]") {
    const auto self_signed = parse_ok("tls: {provision: self-signed, hostnames: [clauster.lan, 10.0.0.2]}\n");
    REQUIRE(self_signed.tls);
    CHECK(self_signed.tls->provision == core::tls_provision::self_signed);
    CHECK(self_signed.tls->hostnames.front() == "clauster.lan");

    const auto files = parse_ok("tls: {provision: off, cert_file: ~/c.pem, key_file: /k.pem}\n");
    REQUIRE(files.tls);
    CHECK(files.tls->provision == core::tls_provision::off);
    CHECK(files.tls->cert_file == std::optional<fs::path>("/home/tester/c.pem"));

    struct row {
        std::string yaml;
        std::string key;
        std::string why;
    };
    const std::vector<row> refused{
        {"tls: {provision: self-signed}\n", "tls.hostnames",
         "is required when tls.provision is self-signed (the first entry is the CN)"},
        {"tls: {provision: self-signed, hostnames: [a], cert_file: /c}\n", "tls.cert_file",
         "must not be set when tls.provision is self-signed"},
        {"tls: {provision: self-signed, hostnames: [a], key_file: /k}\n", "tls.key_file",
         "must not be set when tls.provision is self-signed"},
        {"tls: {provision: off}\n", "tls.cert_file", "is required when tls.provision is off"},
        {"tls: {cert_file: /c}\n", "tls.key_file", "is required when tls.provision is off"},
        {"tls: {provision: acme}\n", "tls.provision", "must be one of: off, self-signed"},
    };
    for (const auto& [yaml, key, why] : refused) {
        INFO(yaml);
        const auto e = parse_error(yaml);
        CHECK(e.key == key);
        CHECK(e.why == why);
    }
}

//------------------------------------------------------------------------------
// Deprecations and unknown keys

TEST_CASE("config: deprecated aliases map and warn", "[core]") {
    SECTION("claude.resume_mode alone becomes launch_mode") {
        const auto c = parse_ok("claude: {resume_mode: pty}\n");
        CHECK(c.claude.launch_mode == core::launch_mode::pty);
        CHECK(has_warning_containing(c, "claude.resume_mode is deprecated"));
    }
    SECTION("launch_mode wins over resume_mode") {
        const auto c = parse_ok("claude: {resume_mode: pty, launch_mode: standard}\n");
        CHECK(c.claude.launch_mode == core::launch_mode::standard);
        CHECK(has_warning_containing(c, "claude.resume_mode is deprecated"));
    }
    SECTION("a bad resume_mode names the old key") {
        CHECK(parse_error("claude: {resume_mode: tmux}\n").key == "claude.resume_mode");
    }
    SECTION("usage.show_cost: false turns cost display off when mode is unset") {
        const auto c = parse_ok("usage: {show_cost: false}\n");
        CHECK(c.usage.mode == core::usage_mode::off);
        CHECK_FALSE(c.usage.show_cost);
        CHECK(has_warning_containing(c, "usage.show_cost is deprecated"));
    }
    SECTION("usage.mode wins over show_cost") {
        const auto c = parse_ok("usage: {show_cost: false, mode: tokens}\n");
        CHECK(c.usage.mode == core::usage_mode::tokens);
        CHECK(has_warning_containing(c, "usage.show_cost is deprecated"));
    }
    SECTION("show_cost: true keeps the default mode and still warns") {
        const auto c = parse_ok("usage: {show_cost: true}\n");
        CHECK(c.usage.mode == core::usage_mode::cost);
        CHECK(c.warnings.size() == 1);
    }
}

TEST_CASE("config: unknown keys warn and never fail (additive schema)", "[core]") {
    const auto c = parse_ok(
        "future_feature: 1\n"
        "auth: {enabled: false, sso: {provider: x}}\n"
        "auth_extra: 2\n"
        "projects: {p: {allow_bypass_permissions: true, color: blue}}\n"
        "claude: {env: {ANYTHING_GOES: 1}}\n");
    CHECK(has_warning_containing(c, "unknown key 'future_feature' ignored"));
    CHECK(has_warning_containing(c, "unknown key 'auth.sso' ignored"));
    CHECK(has_warning_containing(c, "unknown key 'auth_extra' ignored"));
    CHECK(has_warning_containing(c, "unknown key 'projects.p.color' ignored"));
    CHECK(c.warnings.size() == 4);
    CHECK(c.policy_for("p").allow_bypass_permissions);
}

TEST_CASE("config: secret-looking claude.env names warn (they are scrubbed at launch)", "[core]") {
    const auto c = parse_ok("claude: {env: {CLAUSTER_API_TOKEN: x, PATH_EXTRA: y}}\n");
    CHECK(has_warning_containing(c, "claude.env.CLAUSTER_API_TOKEN"));
    CHECK(c.claude.env.size() == 2);
}

TEST_CASE("config: a newer schema_version warns", "[core]") {
    CHECK(has_warning_containing(parse_ok("schema_version: 2\n"), "schema_version 2"));
}

//------------------------------------------------------------------------------
// YAML hardening

TEST_CASE("config: aliases and anchors are refused before expansion (billion laughs)", "[core]") {
    const std::string bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
        "projects_root: *i\n";
    for (const std::string& yaml :
         {bomb, std::string("projects_root: &p /srv\nstate_dir: *p\n"), std::string("projects_root: &p /srv\n"),
          std::string("base: &b {port: 1}\nother:\n  <<: *b\n")}) {
        INFO(yaml);
        const auto r = core::parse_config(yaml, test_env(), false);
        REQUIRE(r.has_error());
        CHECK(r.error().key == "config");
        CHECK(r.error().why == "YAML aliases and anchors are not supported");
    }
}

TEST_CASE("config: size, depth and node caps", "[core]") {
    SECTION("over 1 MiB") {
        std::string big(base_yaml);
        big += "# " + std::string((1u << 20) + 10, 'x') + "\n";
        const auto r = core::parse_config(big, test_env(), false);
        REQUIRE(r.has_error());
        CHECK(r.error().key == "config");
        CHECK(r.error().why.find("too large") != std::string::npos);
    }
    SECTION("deep nesting") {
        const std::string deep = "projects_root: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
        const auto r = core::parse_config(deep, test_env(), false);
        REQUIRE(r.has_error());
        CHECK(r.error().key == "config");
    }
    SECTION("too many nodes") {
        std::string many(base_yaml);
        many += "x: [";
        for (int i = 0; i < 60000; ++i) many += "1,";
        many += "1]\n";
        const auto r = core::parse_config(many, test_env(), false);
        REQUIRE(r.has_error());
        CHECK(r.error().why.find("too many nodes") != std::string::npos);
    }
}

TEST_CASE("config: YAML syntax errors, duplicates and extra documents are config errors", "[core]") {
    struct row {
        std::string yaml;
        std::string key;
        std::string why_part;
    };
    const std::vector<row> rows{
        {"projects_root: [unclosed\n", "config", "YAML syntax error at line"},
        {"a: b: c\n", "config", "YAML syntax error at line 1"},
        {"projects_root: /a\nport: 1\nport: 2\n", "port", "duplicate key"},
        {"projects_root: /a\nauth: {enabled: true, enabled: false}\n", "auth.enabled", "duplicate key"},
        {"projects_root: /a\n---\nport: 2\n", "config", "multiple YAML documents"},
        {"? [a, b]\n: c\n", "config", "mapping keys must be strings"},
        {std::string("projects_root: /a\0\n", 18), "config", "NUL byte"},
    };
    for (const auto& [yaml, key, why_part] : rows) {
        INFO(yaml);
        const auto r = core::parse_config(yaml, test_env(), false);
        REQUIRE(r.has_error());
        CHECK(r.error().key == key);
        CHECK(r.error().why.find(why_part) != std::string::npos);
        CHECK(r.error().why.find('\n') == std::string::npos);
    }
}

//------------------------------------------------------------------------------
// Secrets never echo

TEST_CASE("config: errors never echo secret values", "[core]") {
    const std::string marker = "SuperSecretValue42";
    const std::vector<std::string> docs{
        "auth: {password_hash: " + marker + "}\n",
        "auth: {password_hash: [" + marker + "]}\n",
        "auth: {api_token_hash: " + marker + "}\n",
        "auth: {api_token_hash: {" + marker + ": 1}}\n",
        "auth: {reverse_proxy: {shared_secret: [" + marker + "]}}\n",
        "observability: {metrics_token_hash: " + marker + "}\n",
        "auth: {password_hash: \"" + marker + "\\q\"}\n",      // bad escape: a syntax error
        "auth: {password_hash: \"" + marker + "\\uZZZZ\"}\n",  // bad unicode escape
        "auth: {password_hash: '" + marker + "\n",             // unterminated
        "auth: {enabled: " + marker + "}\n",
        "port: " + marker + "\n",
        "host: 0.0.0.0\nauth: {enabled: true, reverse_proxy: {enabled: true, trusted_ips: [" + marker + "]}}\n",
    };
    for (const auto& doc : docs) {
        INFO(doc);
        const auto r = parse(doc);
        REQUIRE(r.has_error());
        CHECK(r.error().message().find(marker) == std::string::npos);
        CHECK(r.error().message().find("SuperSecret") == std::string::npos);
    }

    // Validators that mention the configuration never quote a secret either.
    const auto e = parse_error("host: 0.0.0.0\nauth: {reverse_proxy: {shared_secret: " + marker + "}}\n");
    CHECK(e.key == "host");
    CHECK(e.message().find(marker) == std::string::npos);
}

//------------------------------------------------------------------------------
// Environment overrides (the tree overlay; *_FILE is in config_loader_test.cpp)

TEST_CASE("config: environment overrides scalars, booleans, lists and nested keys", "[core]") {
    const auto env = test_env({
        {"CLAUSTER_PORT", "9000"},
        {"CLAUSTER_HOST", "0.0.0.0"},
        {"CLAUSTER_AUTH_ENABLED", "true"},
        {"CLAUSTER_AUTH_API_TOKEN_HASH", std::string(64, 'B')},
        {"CLAUSTER_AUTH_ALLOWED_ORIGINS", " https://a.example , ,https://b.example,"},
        {"CLAUSTER_AUTH_REVERSE_PROXY_TRUSTED_IPS", "10.0.0.1, 192.168.0.0/16"},
        {"CLAUSTER_LOG_LEVEL", "DEBUG"},
        {"CLAUSTER_USAGE_MODE", "off"},
        {"CLAUSTER_INSTANCE_DEFAULTS_MAX_BRIDGES", "3"},
        {"CLAUSTER_CLAUDE_PATH_APPEND", "/opt/a"},
        {"CLAUSTER_PROJECTS_ROOT", "~/code"},
    });
    const auto c = parse_ok("port: 1234\nauth: {allowed_origins: [https://file.example]}\n", env);
    CHECK(c.port == 9000);
    CHECK(c.host == "0.0.0.0");
    CHECK(c.auth.enabled);
    CHECK(c.auth.api_token_hash == std::optional<std::string>(std::string(64, 'b')));
    CHECK(c.auth.allowed_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
    CHECK(c.auth.reverse_proxy.trusted_ips == std::vector<std::string>{"10.0.0.1", "192.168.0.0/16"});
    CHECK(c.log_level == core::log_level::debug);
    CHECK(c.usage.mode == core::usage_mode::off);
    CHECK(c.instance_defaults.max_bridges == std::optional<int>(3));
    CHECK(c.claude.path_append == std::vector<std::string>{"/opt/a"});
    CHECK(c.projects_root == fs::path("/home/tester/code"));
}

TEST_CASE("config: an empty list variable clears the list", "[core]") {
    const auto c = parse_ok("auth: {allowed_origins: [https://file.example]}\n",
                            test_env({{"CLAUSTER_AUTH_ALLOWED_ORIGINS", ""}}));
    CHECK(c.auth.allowed_origins.empty());
}

TEST_CASE("config: a bad environment value names the key and the variable", "[core]") {
    const auto e = parse_error("", test_env({{"CLAUSTER_PORT", "eighty"}}));
    CHECK(e.key == "port");
    CHECK(e.why == "must be an integer between 1 and 65535 (from CLAUSTER_PORT)");

    const auto e2 = parse_error("", test_env({{"CLAUSTER_AUTH_REVERSE_PROXY_TRUSTED_IPS", "10.0.0.1,nope"}}));
    CHECK(e2.key == "auth.reverse_proxy.trusted_ips");
    CHECK(e2.why == "entry 2 is not a valid IP address or CIDR (from CLAUSTER_AUTH_REVERSE_PROXY_TRUSTED_IPS)");

    // A section that is not a mapping cannot take an override.
    const auto e3 = parse_error("auth: 3\n", test_env({{"CLAUSTER_AUTH_ENABLED", "true"}}));
    CHECK(e3.key == "auth");
    CHECK(e3.why == "must be a mapping");
}

TEST_CASE("config: environment overrides create missing sections and apply to an empty document", "[core]") {
    const auto env = test_env({{"CLAUSTER_PROJECTS_ROOT", "/p"},
                               {"CLAUSTER_AUTH_REVERSE_PROXY_ENABLED", "1"},
                               {"CLAUSTER_AUTH_REVERSE_PROXY_TRUSTED_IPS", "::1"},
                               {"CLAUSTER_AUTH_REVERSE_PROXY_REQUIRE_HMAC", "0"}});
    const auto r = core::parse_config("", env, false);
    REQUIRE(r.has_value());
    CHECK(r->projects_root == fs::path("/p"));
    CHECK(r->auth.reverse_proxy.enabled);
    CHECK_FALSE(r->auth.reverse_proxy.require_hmac);
}

TEST_CASE("config: dict leaves have no environment form", "[core]") {
    const auto c = parse_ok(
        "",
        test_env({{"CLAUSTER_PROJECTS", "x"}, {"CLAUSTER_CLAUDE_ENV", "A=B"}, {"CLAUSTER_WEBHOOKS_EVENTS", "spawn"}}));
    CHECK(c.projects.empty());
    CHECK(c.claude.env.empty());
    CHECK(c.webhooks.events.empty());
}

//------------------------------------------------------------------------------
// The schema table and the enum names

TEST_CASE("config: every leaf has a unique environment name and is documented", "[core]") {
    std::set<std::string> names;
    for (const auto& leaf : core::detail::config_leaves()) names.insert(core::detail::env_name_for(leaf.key));
    CHECK(names.size() == core::detail::config_leaves().size());
    CHECK(core::detail::env_name_for("auth.reverse_proxy.trusted_ips") == "CLAUSTER_AUTH_REVERSE_PROXY_TRUSTED_IPS");
    CHECK(core::detail::split_env_list(" a, ,b ,") == std::vector<std::string>{"a", "b"});

    // docs/configuration.md must mention every key (a docs-lint, as the reference has).
    const fs::path docs = fs::path(__FILE__).parent_path().parent_path().parent_path() / "docs" / "configuration.md";
    std::ifstream in(docs);
    if (!in) {
        WARN("docs/configuration.md not found next to the sources; skipping the docs check");
        return;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    for (const auto& leaf : core::detail::config_leaves()) {
        INFO(leaf.key);
        CHECK(text.find("`" + std::string(leaf.key) + "`") != std::string::npos);
        if (leaf.kind != core::detail::leaf_kind::dict)
            CHECK(text.find(core::detail::env_name_for(leaf.key)) != std::string::npos);
    }
}

TEST_CASE("config: enum wire names round-trip", "[core]") {
    for (auto m : {core::spawn_mode::same_dir, core::spawn_mode::worktree, core::spawn_mode::session})
        CHECK(core::parse_spawn_mode(core::to_string(m)) == m);
    for (auto m :
         {core::permission_mode::default_mode, core::permission_mode::plan, core::permission_mode::accept_edits,
          core::permission_mode::auto_mode, core::permission_mode::dont_ask, core::permission_mode::bypass_permissions,
          core::permission_mode::inherit})
        CHECK(core::parse_permission_mode(core::to_string(m)) == m);
    for (auto m : {core::launch_mode::standard, core::launch_mode::pty})
        CHECK(core::parse_launch_mode(core::to_string(m)) == m);
    CHECK(core::to_string(core::spawn_mode::same_dir) == "same-dir");
    CHECK(core::to_string(core::permission_mode::accept_edits) == "acceptEdits");
    CHECK(core::to_string(core::permission_mode::default_mode) == "default");
    CHECK(core::to_string(core::log_level::warning) == "warning");
    CHECK(core::to_string(core::log_format::json) == "json");
    CHECK(core::to_string(core::cookie_secure::auto_mode) == "auto");
    CHECK(core::to_string(core::usage_mode::off) == "off");
    CHECK(core::to_string(core::tls_provision::self_signed) == "self-signed");
    CHECK_FALSE(core::parse_spawn_mode("same_dir"));
    CHECK_FALSE(core::parse_permission_mode("AcceptEdits"));
    CHECK_FALSE(core::parse_launch_mode(""));
}

TEST_CASE("config: is_loopback_bind knows exactly the three loopback names", "[core]") {
    core::config c;
    for (const char* h : {"127.0.0.1", "::1", "localhost"}) {
        c.host = h;
        CHECK(c.is_loopback_bind());
    }
    for (const char* h : {"0.0.0.0", "::", "192.168.1.2", "127.0.0.2", "example.com"}) {
        c.host = h;
        CHECK_FALSE(c.is_loopback_bind());
    }
}
