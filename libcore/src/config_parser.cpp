// parse_config: YAML text + environment → validated clauster::core::config.
//
// Three steps, each refusing with a config_error{dotted key, one-line reason}:
//   1. read_yaml_tree  (config_yaml.cpp): text → config_node, no aliases, capped;
//   2. apply_env_overrides (config_schema.cpp): `CLAUSTER_*` written into the tree;
//   3. the typed reader below: every key of spec §5, then the §4.5 validators.
// No reason ever quotes a configured value (secrets share the same code paths),
// except `host` in the §4.5 message and paths in the filesystem checks.

#include <clauster/core/config_loader.hpp>

#include "config_parser.hpp"
#include "config_schema.hpp"
#include "config_tree.hpp"

#include <clauster/core/environment.hpp>
#include <clauster/core/secure_fs.hpp>

#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <system_error>
#include <vector>

#include <arpa/inet.h>
#include <pwd.h>
#include <unistd.h>

namespace clauster::core {

namespace detail {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view whitespace = " \t\r\n\v\f";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(whitespace);
    return s.substr(first, last - first + 1);
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string to_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

//------------------------------------------------------------------------------
// Scalar text → value (lax, as the reference's pydantic is: "8080" is a port)

bool parse_bool_text(std::string_view text, bool& out) {
    const std::string s = to_lower(trim(text));
    if (s == "true" || s == "yes" || s == "on" || s == "1") {
        out = true;
        return true;
    }
    if (s == "false" || s == "no" || s == "off" || s == "0") {
        out = false;
        return true;
    }
    return false;
}

bool parse_int_text(std::string_view text, long long& out) {
    std::string_view s = trim(text);
    if (s.starts_with('+')) s.remove_prefix(1);
    if (s.empty()) return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

bool parse_double_text(std::string_view text, double& out) {
    std::string_view s = trim(text);
    if (s.starts_with('+')) s.remove_prefix(1);
    if (s.empty()) return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
    return ec == std::errc{} && ptr == s.data() + s.size() && std::isfinite(out);
}

/// YAML 1.1 spellings of false that PyYAML resolves to a bool; the reference
/// coerces that bool back to the string "off" for `usage.mode`.
bool is_yaml11_false(const config_node& n) {
    if (!n.plain) return false;
    static constexpr std::array<std::string_view, 9> spellings{"false", "False", "FALSE", "no", "No",
                                                               "NO",    "off",   "Off",   "OFF"};
    for (auto s : spellings)
        if (n.text == s) return true;
    return false;
}

//------------------------------------------------------------------------------
// Value checks

bool is_ip_or_cidr(std::string_view s) {
    const auto slash = s.find('/');
    const std::string addr(s.substr(0, slash));
    unsigned char buf[16];
    int max_prefix = 0;
    if (::inet_pton(AF_INET, addr.c_str(), buf) == 1)
        max_prefix = 32;
    else if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1)
        max_prefix = 128;
    else
        return false;
    if (slash == std::string_view::npos) return true;
    const std::string_view prefix = s.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 3) return false;
    int bits = 0;
    const auto [ptr, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
    return ec == std::errc{} && ptr == prefix.data() + prefix.size() && bits >= 0 && bits <= max_prefix;
}

bool is_http_url(std::string_view s) {
    for (const char c : s)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
    const std::string lower = to_lower(s.substr(0, 8));
    std::string_view rest;
    if (lower.starts_with("http://"))
        rest = s.substr(7);
    else if (lower.starts_with("https://"))
        rest = s.substr(8);
    else
        return false;
    const auto authority = rest.substr(0, rest.find_first_of("/?#"));
    return !authority.empty();
}

/// RFC 9110 token, the shape of a header name.
bool is_header_name(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (!is_alnum(c) && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
    return true;
}

bool is_instance_name(std::string_view s) {
    if (s.empty() || s.size() > 32) return false;
    for (const char c : s)
        if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

/// `2`, `2.1`, `2.1.145`: digits separated by single dots.
bool is_numeric_version(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    char prev = '.';
    for (const char c : s) {
        if (c == '.' && prev == '.') return false;
        if (c != '.' && (c < '0' || c > '9')) return false;
        prev = c;
    }
    return true;
}

bool is_sha256_hex(std::string_view s) {
    if (s.size() != 64) return false;
    for (const char c : s)
        if (!is_hex(c)) return false;
    return true;
}

bool is_env_name(std::string_view s) {
    if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return false;
    for (const char c : s)
        if (!is_alnum(c) && c != '_') return false;
    return true;
}

/// The home directory for `~`: HOME from the given environment, else the
/// password database (as Python's expanduser falls back to).
std::optional<std::string> home_dir(const environment& env) {
    if (auto home = get_env(env, "HOME"); home && !home->empty()) return home;
    long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    if (size <= 0) size = 16384;
    std::vector<char> buf(static_cast<std::size_t>(size));
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
        found->pw_dir != nullptr && found->pw_dir[0] != '\0')
        return std::string(found->pw_dir);
    return std::nullopt;
}

//------------------------------------------------------------------------------

constexpr std::string_view webhook_events[] = {"spawn",     "ready", "stop", "crash", "bg-settled", "permission-needed",
                                               "clone-done"};

const std::string non_loopback_message_tail =
    "' without enforced auth. Set auth.enabled: true together with auth.password_required (+ a hash from "
    "`clauster hash-password`), auth.reverse_proxy.enabled, or auth.api_token_hash (from `clauster "
    "hash-token`) \xE2\x80\x94 or, to opt out on a trusted LAN, auth.allow_unauthenticated_network.";

const std::string password_hash_message =
    "auth.password_required is set but auth.password_hash is empty. Generate one with `clauster "
    "hash-password` (or set CLAUSTER_AUTH_PASSWORD_HASH).";

/// Reads typed values out of the tree. The first error wins; every later call
/// is a no-op, so the parse reads as a flat list of keys.
class reader {
public:
    reader(const config_node& root, const environment& env, const parse_options& options)
        : root_(root), env_(env), options_(options) {}

    std::optional<config_error> error;

    /// Records @p why for @p key, naming the environment variable when the
    /// value came from one. Never quotes the value.
    void fail(std::string_view key, std::string why, const config_node* node = nullptr) {
        if (error) return;
        if (node != nullptr && !node->origin.empty()) why += " (from " + node->origin + ")";
        error = config_error{std::string(key), std::move(why)};
    }

    /// The node at dotted @p key; nullptr when absent (or after an error). A
    /// null section reads as an empty one; any other non-mapping section fails.
    const config_node* lookup(std::string_view key) {
        if (error) return nullptr;
        const config_node* cur = &root_;
        std::size_t start = 0;
        for (;;) {
            const auto dot = key.find('.', start);
            const auto part = key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
            if (cur->is_null()) return nullptr;
            if (!cur->is_mapping()) {
                fail(key.substr(0, start - 1), "must be a mapping", cur);
                return nullptr;
            }
            cur = cur->find(part);
            if (cur == nullptr) return nullptr;
            if (dot == std::string_view::npos) return cur;
            start = dot + 1;
        }
    }

    /// True when @p key is present and not null.
    bool is_set(std::string_view key) {
        const config_node* n = lookup(key);
        return n != nullptr && !n->is_null();
    }

    /// The scalar at @p key, or nullptr when absent. Fails on null (unless
    /// @p null_ok) and on collections, with "must be <what>".
    const config_node* scalar(std::string_view key, std::string_view what, bool null_ok = false) {
        const config_node* n = lookup(key);
        if (n == nullptr) return nullptr;
        if (n->is_null()) {
            if (!null_ok) fail(key, "must be " + std::string(what) + ", not null", n);
            return nullptr;
        }
        if (!n->is_scalar()) {
            fail(key, "must be " + std::string(what), n);
            return nullptr;
        }
        return n;
    }

    void boolean(std::string_view key, bool& out) {
        const config_node* n = scalar(key, "true or false");
        if (n == nullptr) return;
        if (!parse_bool_text(n->text, out)) fail(key, "must be true or false", n);
    }

    template <class Int>
    void integer(std::string_view key, Int& out, long long min, long long max = INT_MAX) {
        const config_node* n = scalar(key, integer_requirement(min, max));
        if (n == nullptr) return;
        long long v = 0;
        if (!parse_int_text(n->text, v) || v < min || v > max)
            return fail(key, "must be " + integer_requirement(min, max), n);
        out = static_cast<Int>(v);
    }

    void optional_integer(std::string_view key, std::optional<int>& out, long long min, long long max = INT_MAX) {
        const config_node* n = scalar(key, integer_requirement(min, max), true);
        if (n == nullptr) return;
        long long v = 0;
        if (!parse_int_text(n->text, v) || v < min || v > max)
            return fail(key, "must be " + integer_requirement(min, max) + " or null", n);
        out = static_cast<int>(v);
    }

    /// @p requirement describes the accepted range ("a number > 0").
    void number(std::string_view key, double& out, bool (*accept)(double), std::string_view requirement) {
        const config_node* n = scalar(key, requirement);
        if (n == nullptr) return;
        double v = 0;
        if (!parse_double_text(n->text, v) || !accept(v)) return fail(key, "must be " + std::string(requirement), n);
        out = v;
    }

    void string(std::string_view key, std::string& out, bool allow_empty = false) {
        const config_node* n = scalar(key, "a string");
        if (n == nullptr) return;
        if (!allow_empty && n->text.empty()) return fail(key, "must not be empty", n);
        out = n->text;
    }

    /// Null and the empty string both mean "unset".
    void optional_string(std::string_view key, std::optional<std::string>& out) {
        const config_node* n = scalar(key, "a string or null", true);
        if (n == nullptr) return;
        if (n->text.empty())
            out.reset();
        else
            out = n->text;
    }

    /// A list of strings; null is the empty list.
    void string_list(std::string_view key, std::vector<std::string>& out) {
        const config_node* n = lookup(key);
        if (n == nullptr || n->is_null()) {
            if (n != nullptr) out.clear();
            return;
        }
        if (!n->is_sequence()) return fail(key, "must be a list of strings", n);
        std::vector<std::string> items;
        for (std::size_t i = 0; i < n->items.size(); ++i) {
            if (!n->items[i].is_scalar()) return fail(key, "entry " + std::to_string(i + 1) + " must be a string", n);
            items.push_back(n->items[i].text);
        }
        out = std::move(items);
    }

    void path(std::string_view key, fs::path& out) {
        const config_node* n = scalar(key, "a path");
        if (n == nullptr) return;
        if (n->text.empty()) return fail(key, "must not be empty", n);
        if (auto p = expand(key, n->text, n)) out = std::move(*p);
    }

    void optional_path(std::string_view key, std::optional<fs::path>& out) {
        const config_node* n = scalar(key, "a path or null", true);
        if (n == nullptr) return;
        if (n->text.empty()) return out.reset();
        if (auto p = expand(key, n->text, n)) out = std::move(*p);
    }

    /// `~` or `~/…` expanded with HOME; relative paths taken against base_dir.
    std::optional<fs::path> expand(std::string_view key, std::string_view text, const config_node* n = nullptr) {
        fs::path p;
        if (text == "~" || text.starts_with("~/")) {
            const auto home = home_dir(env_);
            if (!home) {
                fail(key, "cannot expand '~': HOME is not set", n);
                return std::nullopt;
            }
            p = expand_user(text, *home);
        } else {
            p = fs::path(std::string(text));
        }
        if (p.is_relative() && !options_.base_dir.empty()) p = options_.base_dir / p;
        return p;
    }

    /// An enum by its wire name. With @p yaml_false_is_off, an unquoted YAML
    /// 1.1 false (`off`, `no`, `false`) reads as "off".
    template <class E>
    void enumeration(std::string_view key, E& out, std::optional<E> (*parse)(std::string_view),
                     std::string_view choices, bool lower_case = false, bool yaml_false_is_off = false) {
        const config_node* n = scalar(key, "one of: " + std::string(choices));
        if (n == nullptr) return;
        std::string text = yaml_false_is_off && is_yaml11_false(*n) ? std::string("off") : n->text;
        if (lower_case) text = to_lower(text);
        if (auto v = parse(text))
            out = *v;
        else
            fail(key, "must be one of: " + std::string(choices), n);
    }

    const config_node& root() const { return root_; }

private:
    const config_node& root_;
    const environment& env_;
    const parse_options& options_;

    static std::string integer_requirement(long long min, long long max) {
        if (max == INT_MAX) return "an integer >= " + std::to_string(min);
        return "an integer between " + std::to_string(min) + " and " + std::to_string(max);
    }
};

bool positive(double v) {
    return v > 0;
}
bool at_least_one(double v) {
    return v >= 1;
}
bool sample_interval(double v) {
    return v > 0 && v <= 2;
}

//------------------------------------------------------------------------------
// Sections

void read_top_level(reader& r, config& c) {
    r.integer("schema_version", c.schema_version, 1);
    if (!r.is_set("projects_root") && !r.error)
        r.fail("projects_root", "is required (the directory that holds your projects)");
    r.path("projects_root", c.projects_root);
    r.string("host", c.host);
    r.integer("port", c.port, 1, 65535);
    if (r.lookup("state_dir") != nullptr)
        r.path("state_dir", c.state_dir);
    else if (auto p = r.expand("state_dir", "~/.clauster"))
        c.state_dir = std::move(*p);
    r.string("root_path", c.root_path, true);
    if (!r.error && !c.root_path.empty()) {
        if (c.root_path.front() != '/') r.fail("root_path", "must be empty or start with '/'", r.lookup("root_path"));
        while (c.root_path.size() > 1 && c.root_path.back() == '/') c.root_path.pop_back();
        if (c.root_path == "/") c.root_path.clear();
    }
    r.enumeration("log_format", c.log_format, &parse_log_format, "text, json");
    r.enumeration("log_level", c.log_level, &parse_log_level, "debug, info, warning, error", true);
    r.optional_string("instance_name", c.instance_name);
    if (c.instance_name && !is_instance_name(*c.instance_name))
        r.fail("instance_name", "must be at most 32 characters of [A-Za-z0-9_.-]", r.lookup("instance_name"));
}

void read_tls(reader& r, config& c) {
    const config_node* tls = r.lookup("tls");
    if (tls == nullptr || tls->is_null()) return;
    if (!tls->is_mapping()) return r.fail("tls", "must be a mapping or null", tls);
    tls_config t;
    r.enumeration("tls.provision", t.provision, &parse_tls_provision, "off, self-signed", false, true);
    r.string_list("tls.hostnames", t.hostnames);
    r.optional_path("tls.cert_file", t.cert_file);
    r.optional_path("tls.key_file", t.key_file);
    if (r.error) return;
    if (t.provision == tls_provision::self_signed) {
        if (t.hostnames.empty())
            return r.fail("tls.hostnames", "is required when tls.provision is self-signed (the first entry is the CN)");
        for (std::size_t i = 0; i < t.hostnames.size(); ++i)
            if (t.hostnames[i].empty()) return r.fail("tls.hostnames", "entry " + std::to_string(i + 1) + " is empty");
        if (t.cert_file) return r.fail("tls.cert_file", "must not be set when tls.provision is self-signed");
        if (t.key_file) return r.fail("tls.key_file", "must not be set when tls.provision is self-signed");
    } else {
        if (!t.cert_file) return r.fail("tls.cert_file", "is required when tls.provision is off");
        if (!t.key_file) return r.fail("tls.key_file", "is required when tls.provision is off");
    }
    c.tls = std::move(t);
}

void read_claude(reader& r, config& c) {
    auto& cl = c.claude;
    r.string("claude.binary", cl.binary);
    if (!r.error && (cl.binary == "~" || cl.binary.starts_with("~/")))
        if (auto p = r.expand("claude.binary", cl.binary)) cl.binary = p->string();
    r.string("claude.min_version", cl.min_version);
    if (!r.error && !is_numeric_version(cl.min_version))
        r.fail("claude.min_version", "must be a numeric version such as 2.1.145", r.lookup("claude.min_version"));
    r.integer("claude.agents_json_poll_interval_seconds", cl.agents_json_poll_interval_seconds, 1);
    r.number("claude.startup_grace_seconds", cl.startup_grace_seconds, &positive, "a number > 0");
    r.boolean("claude.auto_enable_remote_control", cl.auto_enable_remote_control);
    r.boolean("claude.resume_recap", cl.resume_recap);
    r.integer("claude.resume_recap_max_chars", cl.resume_recap_max_chars, 500);
    constexpr std::string_view launch_modes = "standard, pty";
    if (r.is_set("claude.launch_mode")) {
        r.enumeration("claude.launch_mode", cl.launch_mode, &parse_launch_mode, launch_modes);
        if (r.is_set("claude.resume_mode"))
            c.warnings.emplace_back(
                "claude.resume_mode is deprecated and ignored because claude.launch_mode is set; remove it");
    } else if (r.is_set("claude.resume_mode")) {
        r.enumeration("claude.resume_mode", cl.launch_mode, &parse_launch_mode, launch_modes);
        c.warnings.emplace_back("claude.resume_mode is deprecated; rename it to claude.launch_mode");
    }
    r.boolean("claude.pty_screen_enabled", cl.pty_screen_enabled);
    r.string_list("claude.path_append", cl.path_append);
    r.boolean("claude.node_from_nvm", cl.node_from_nvm);

    const config_node* env = r.lookup("claude.env");
    if (env == nullptr || env->is_null()) return;
    if (!env->is_mapping()) return r.fail("claude.env", "must be a mapping of variable names to strings", env);
    for (const auto& [name, value] : env->entries) {
        const std::string key = "claude.env." + name;
        if (!is_env_name(name)) return r.fail(key, "is not a valid environment variable name");
        if (!value.is_scalar()) return r.fail(key, "must be a string");
        if (is_secret_env_name(name))
            c.warnings.push_back(key + " is never passed to claude: secret-looking CLAUSTER_* names are scrubbed");
        cl.env[name] = value.text;
    }
}

void read_instance_defaults(reader& r, config& c) {
    auto& d = c.instance_defaults;
    r.enumeration("instance_defaults.spawn_mode", d.spawn_mode, &parse_spawn_mode, "same-dir, worktree, session");
    r.enumeration("instance_defaults.permission_mode", d.permission_mode, &parse_permission_mode,
                  "default, plan, acceptEdits, auto, dontAsk, bypassPermissions, inherit");
    r.boolean("instance_defaults.verbose", d.verbose);
    r.optional_string("instance_defaults.session_name_prefix", d.session_name_prefix);
    if (d.session_name_prefix && d.session_name_prefix->starts_with('-'))
        r.fail("instance_defaults.session_name_prefix", "must not start with '-'",
               r.lookup("instance_defaults.session_name_prefix"));
    r.integer("instance_defaults.capacity", d.capacity, 1);
    r.optional_integer("instance_defaults.max_bridges", d.max_bridges, 1);
}

void read_projects(reader& r, config& c) {
    const config_node* projects = r.lookup("projects");
    if (projects == nullptr || projects->is_null()) return;
    if (!projects->is_mapping()) return r.fail("projects", "must be a mapping of project names to settings", projects);
    for (const auto& [name, settings] : projects->entries) {
        const std::string key = "projects." + name;
        project_policy policy;
        if (settings.is_mapping()) {
            for (const auto& [k, v] : settings.entries) {
                if (k != "allow_bypass_permissions") {
                    c.warnings.push_back("unknown key '" + key + "." + k + "' ignored");
                    continue;
                }
                if (!v.is_scalar() || !parse_bool_text(v.text, policy.allow_bypass_permissions))
                    return r.fail(key + ".allow_bypass_permissions", "must be true or false");
            }
        } else if (!settings.is_null()) {
            return r.fail(key, "must be a mapping");
        }
        c.projects[name] = policy;
    }
}

void read_auth(reader& r, config& c) {
    auto& a = c.auth;
    r.boolean("auth.enabled", a.enabled);
    r.boolean("auth.password_required", a.password_required);
    r.optional_string("auth.password_hash", a.password_hash);
    if (a.password_hash && !a.password_hash->starts_with("$argon2id$"))
        r.fail("auth.password_hash",
               "must be an argon2id hash ($argon2id$...); generate one with `clauster hash-password`",
               r.lookup("auth.password_hash"));
    r.optional_string("auth.api_token_hash", a.api_token_hash);
    if (a.api_token_hash) {
        if (!is_sha256_hex(*a.api_token_hash))
            r.fail("auth.api_token_hash",
                   "must be a SHA-256 hex digest (64 hex characters); generate one with `clauster hash-token`",
                   r.lookup("auth.api_token_hash"));
        a.api_token_hash = to_lower(*a.api_token_hash);
    }
    r.boolean("auth.allow_unauthenticated_network", a.allow_unauthenticated_network);
    r.enumeration("auth.cookie_secure", a.cookie_secure, &parse_cookie_secure, "auto, always, never");
    r.integer("auth.session_max_age_seconds", a.session_max_age_seconds, 1);
    r.string_list("auth.allowed_origins", a.allowed_origins);

    auto& p = a.reverse_proxy;
    r.boolean("auth.reverse_proxy.enabled", p.enabled);
    r.string("auth.reverse_proxy.user_header", p.user_header);
    if (!r.error && !is_header_name(p.user_header))
        r.fail("auth.reverse_proxy.user_header", "must be a valid HTTP header name",
               r.lookup("auth.reverse_proxy.user_header"));
    r.string("auth.reverse_proxy.shared_secret_header", p.shared_secret_header);
    if (!r.error && !is_header_name(p.shared_secret_header))
        r.fail("auth.reverse_proxy.shared_secret_header", "must be a valid HTTP header name",
               r.lookup("auth.reverse_proxy.shared_secret_header"));
    r.string_list("auth.reverse_proxy.trusted_ips", p.trusted_ips);
    for (std::size_t i = 0; i < p.trusted_ips.size() && !r.error; ++i)
        if (!is_ip_or_cidr(p.trusted_ips[i]))
            r.fail("auth.reverse_proxy.trusted_ips",
                   "entry " + std::to_string(i + 1) + " is not a valid IP address or CIDR",
                   r.lookup("auth.reverse_proxy.trusted_ips"));
    r.optional_string("auth.reverse_proxy.shared_secret", p.shared_secret);
    r.integer("auth.reverse_proxy.hmac_window_seconds", p.hmac_window_seconds, 0);
    r.boolean("auth.reverse_proxy.require_hmac", p.require_hmac);
}

void read_small_sections(reader& r, config& c) {
    r.boolean("api.openapi_enabled", c.api.openapi_enabled);
    r.boolean("ui.enabled", c.ui.enabled);
    r.boolean("db.backup_before_migrate", c.db.backup_before_migrate);

    auto& l = c.logs;
    r.integer("logs.bridge_log_max_size_mb", l.bridge_log_max_size_mb, 1);
    r.integer("logs.keep_rotated", l.keep_rotated, 0);
    r.boolean("logs.redact_session_url", l.redact_session_url);
    r.boolean("logs.strip_ansi_in_stream", l.strip_ansi_in_stream);
    r.integer("logs.retention_max_age_days", l.retention_max_age_days, 0);
    r.integer("logs.retention_max_files", l.retention_max_files, 0);
    r.integer("logs.retention_max_total_mb", l.retention_max_total_mb, 0);

    auto& cl = c.clone;
    r.boolean("clone.enabled", cl.enabled);
    r.string_list("clone.allowed_schemes", cl.allowed_schemes);
    for (auto& scheme : cl.allowed_schemes) {
        scheme = to_lower(scheme);
        if (scheme.empty() && !r.error)
            r.fail("clone.allowed_schemes", "entries must not be empty", r.lookup("clone.allowed_schemes"));
    }
    r.boolean("clone.allow_private_hosts", cl.allow_private_hosts);
    r.string_list("clone.allowed_private_cidrs", cl.allowed_private_cidrs);
    for (std::size_t i = 0; i < cl.allowed_private_cidrs.size() && !r.error; ++i)
        if (!is_ip_or_cidr(cl.allowed_private_cidrs[i]))
            r.fail("clone.allowed_private_cidrs",
                   "entry " + std::to_string(i + 1) + " is not a valid CIDR or IP address",
                   r.lookup("clone.allowed_private_cidrs"));
    r.integer("clone.timeout_seconds", cl.timeout_seconds, 1);
    r.integer("clone.max_mb", cl.max_mb, 0);

    r.boolean("reaper.ui_enabled", c.reaper.ui_enabled);
    r.boolean("config_write.enabled", c.config_write.enabled);
    r.boolean("config_write.allow_user_scope", c.config_write.allow_user_scope);
    r.boolean("login_shepherd.enabled", c.login_shepherd.enabled);
    r.boolean("login_shepherd.allow_setup_token", c.login_shepherd.allow_setup_token);
    r.boolean("mcp.allow_writes", c.mcp.allow_writes);
}

void read_usage(reader& r, config& c) {
    auto& u = c.usage;
    const bool mode_set = r.is_set("usage.mode");
    r.enumeration("usage.mode", u.mode, &parse_usage_mode, "cost, tokens, off", false, true);
    r.string("usage.currency", u.currency);
    u.currency = to_upper(u.currency);
    r.optional_string("usage.currency_symbol", u.currency_symbol);
    r.number("usage.fx_rate", u.fx_rate, &positive, "a number > 0");
    r.boolean("usage.token_total_includes_cache", u.token_total_includes_cache);
    if (r.is_set("usage.show_cost")) {
        r.boolean("usage.show_cost", u.show_cost);
        if (!u.show_cost && !mode_set) u.mode = usage_mode::off;
        c.warnings.emplace_back(mode_set
                                    ? "usage.show_cost is deprecated and ignored because usage.mode is set; remove it"
                                    : "usage.show_cost is deprecated; use usage.mode (cost, tokens or off)");
    }
}

void read_observability(reader& r, config& c) {
    auto& m = c.metrics;
    r.boolean("metrics.enabled", m.enabled);
    r.boolean("metrics.normalize_cpu", m.normalize_cpu);
    r.boolean("metrics.show_disk", m.show_disk);
    r.number("metrics.sample_interval_seconds", m.sample_interval_seconds, &sample_interval, "a number > 0 and <= 2");
    r.number("metrics.poll_seconds", m.poll_seconds, &at_least_one, "a number >= 1");

    auto& o = c.observability;
    r.boolean("observability.prometheus_enabled", o.prometheus_enabled);
    r.optional_string("observability.metrics_token_hash", o.metrics_token_hash);
    if (o.metrics_token_hash) {
        if (!is_sha256_hex(*o.metrics_token_hash))
            r.fail("observability.metrics_token_hash",
                   "must be a SHA-256 hex digest (64 hex characters); generate one with `clauster hash-metrics-token`",
                   r.lookup("observability.metrics_token_hash"));
        o.metrics_token_hash = to_lower(*o.metrics_token_hash);
    }

    auto& n = c.notifications;
    r.boolean("notifications.enabled", n.enabled);
    r.string_list("notifications.urls", n.urls);
    r.boolean("notifications.browser_enabled", n.browser_enabled);
    r.boolean("notifications.notify_on_crash", n.notify_on_crash);
    r.boolean("notifications.notify_on_ready", n.notify_on_ready);
    r.boolean("notifications.notify_on_stop", n.notify_on_stop);
    r.boolean("notifications.notify_on_permission", n.notify_on_permission);
    r.boolean("notifications.notify_on_session_end", n.notify_on_session_end);
    r.boolean("notifications.notify_on_reconnect_failed", n.notify_on_reconnect_failed);
}

void read_webhooks(reader& r, config& c) {
    auto& w = c.webhooks;
    r.boolean("webhooks.enabled", w.enabled);
    r.string_list("webhooks.urls", w.urls);
    for (std::size_t i = 0; i < w.urls.size() && !r.error; ++i)
        if (!is_http_url(w.urls[i]))
            r.fail("webhooks.urls", "entry " + std::to_string(i + 1) + " must be an http:// or https:// URL",
                   r.lookup("webhooks.urls"));
    r.number("webhooks.timeout_seconds", w.timeout_seconds, &positive, "a number > 0");
    r.boolean("webhooks.block_private_targets", w.block_private_targets);

    const config_node* events = r.lookup("webhooks.events");
    if (events == nullptr || events->is_null()) return;
    if (!events->is_mapping())
        return r.fail("webhooks.events", "must be a mapping of event names to true or false", events);
    for (const auto& [name, value] : events->entries) {
        bool known = false;
        for (auto e : webhook_events) known = known || e == name;
        if (!known)
            return r.fail("webhooks.events",
                          "unknown event '" + name +
                              "' (known: spawn, ready, stop, crash, bg-settled, permission-needed, clone-done)");
        bool on = false;
        if (!value.is_scalar() || !parse_bool_text(value.text, on))
            return r.fail("webhooks.events." + name, "must be true or false");
        w.events[name] = on;
    }
}

void read_claustrum(reader& r, config& c) {
    auto& k = c.claustrum;
    r.boolean("claustrum.enabled", k.enabled);
    r.string("claustrum.binary", k.binary);
    if (!r.error && (k.binary == "~" || k.binary.starts_with("~/")))
        if (auto p = r.expand("claustrum.binary", k.binary)) k.binary = p->string();
    r.optional_path("claustrum.socket_path", k.socket_path);
    r.number("claustrum.spawn_timeout_seconds", k.spawn_timeout_seconds, &positive, "a number > 0");
    r.boolean("claustrum.keep_children", k.keep_children);
    r.number("claustrum.request_timeout_seconds", k.request_timeout_seconds, &positive, "a number > 0");
}

//------------------------------------------------------------------------------
// Spec §4.5: fail-closed startup validators, after every field is valid.

void validate_security(reader& r, config& c) {
    if (r.error) return;
    const auto& a = c.auth;
    const auto& p = a.reverse_proxy;
    if (p.enabled && p.trusted_ips.empty())
        return r.fail("auth.reverse_proxy.trusted_ips",
                      "auth.reverse_proxy.enabled is set but auth.reverse_proxy.trusted_ips is empty. List the "
                      "proxy's addresses (IP or CIDR); X-Forwarded-For is never used.");
    if (p.enabled && p.require_hmac && !p.shared_secret)
        return r.fail("auth.reverse_proxy.shared_secret",
                      "auth.reverse_proxy.require_hmac is set but auth.reverse_proxy.shared_secret is empty. Set it "
                      "(or CLAUSTER_AUTH_REVERSE_PROXY_SHARED_SECRET_FILE), or set auth.reverse_proxy.require_hmac: "
                      "false for header-only forward-auth.");
    if (a.password_required && !a.password_hash) return r.fail("auth.password_required", password_hash_message);

    const bool enforced =
        a.enabled && ((a.password_required && a.password_hash) || p.enabled || a.api_token_hash.has_value());
    if (!c.is_loopback_bind() && !enforced) {
        if (!a.allow_unauthenticated_network)
            return r.fail("host", "refusing non-loopback host='" + c.host + non_loopback_message_tail);
        c.warnings.push_back("host '" + c.host +
                             "' is reachable from the network without enforced auth "
                             "(auth.allow_unauthenticated_network is set)");
    }
    if (!c.ui.enabled && a.enabled && !a.api_token_hash && !p.enabled)
        c.warnings.emplace_back(
            "ui.enabled is false and auth.enabled is true, but neither auth.api_token_hash nor "
            "auth.reverse_proxy is configured: only named API tokens (`clauster api-token issue`) can reach the API");
    if (c.schema_version > 1)
        c.warnings.push_back("schema_version " + std::to_string(c.schema_version) +
                             " is newer than this clauster understands (1); unknown keys are ignored");
}

}  // namespace

//------------------------------------------------------------------------------

boost::system::result<config, config_error> parse_config_text(std::string_view yaml_text, const environment& env,
                                                              const parse_options& options) {
    auto tree = read_yaml_tree(yaml_text);
    if (!tree) return tree.error();
    config_node& root = *tree;
    if (!root.is_null() && !root.is_mapping()) return config_error{"config", "the document root must be a mapping"};
    if (auto r = apply_env_overrides(root, env); !r) return r.error();

    config c;
    collect_unknown_keys(root, c.warnings);
    reader r(root, env, options);
    read_top_level(r, c);
    read_tls(r, c);
    read_claude(r, c);
    read_instance_defaults(r, c);
    read_projects(r, c);
    read_auth(r, c);
    read_small_sections(r, c);
    read_usage(r, c);
    read_observability(r, c);
    read_webhooks(r, c);
    read_claustrum(r, c);
    validate_security(r, c);
    if (r.error) return *r.error;
    return c;
}

boost::system::result<void, config_error> check_config_paths(const config& cfg) {
    std::error_code ec;
    const auto& root = cfg.projects_root;
    const auto st = fs::status(root, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        return config_error{"projects_root", "cannot access " + root.string() + ": " + ec.message()};
    if (!fs::exists(st)) return config_error{"projects_root", "does not exist: " + root.string()};
    if (!fs::is_directory(st)) return config_error{"projects_root", "is not a directory: " + root.string()};
    if (::access(root.c_str(), R_OK | X_OK) != 0)
        return config_error{"projects_root", "is not readable: " + root.string()};

    if (cfg.tls) {
        const std::pair<std::string_view, const std::optional<fs::path>*> files[] = {
            {"tls.cert_file", &cfg.tls->cert_file}, {"tls.key_file", &cfg.tls->key_file}};
        for (const auto& [key, file] : files) {
            if (!*file) continue;
            const auto& p = **file;
            if (!fs::is_regular_file(p, ec))
                return config_error{std::string(key), "is not a readable file: " + p.string()};
            if (::access(p.c_str(), R_OK) != 0) return config_error{std::string(key), "is not readable: " + p.string()};
        }
    }
    return {};
}

}  // namespace detail

//------------------------------------------------------------------------------

boost::system::result<config, config_error> parse_config(std::string_view yaml_text, const environment& env,
                                                         bool check_paths) {
    try {
        auto cfg = detail::parse_config_text(yaml_text, env, detail::parse_options{});
        if (!cfg || !check_paths) return cfg;
        if (auto ok = detail::check_config_paths(*cfg); !ok) return ok.error();
        return cfg;
    } catch (const std::exception&) {
        // Only allocation failures and the like can land here: report, never crash.
        return config_error{"config", "unexpected error while parsing the configuration"};
    }
}

}  // namespace clauster::core
