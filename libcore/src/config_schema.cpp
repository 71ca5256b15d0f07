#include "config_schema.hpp"

#include "config_tree.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::core::detail {

namespace {

using enum leaf_kind;

// Keep in the order of docs/configuration.md; a test checks that every key is
// documented and that no two keys share an environment name.
constexpr config_leaf leaves[] = {
    {"schema_version", scalar},
    {"projects_root", scalar},
    {"host", scalar},
    {"port", scalar},
    {"state_dir", scalar},
    {"root_path", scalar},
    {"log_format", scalar},
    {"log_level", scalar},
    {"instance_name", scalar},

    {"tls.provision", scalar},
    {"tls.hostnames", list},
    {"tls.cert_file", scalar},
    {"tls.key_file", scalar},

    {"claude.binary", scalar},
    {"claude.min_version", scalar},
    {"claude.agents_json_poll_interval_seconds", scalar},
    {"claude.startup_grace_seconds", scalar},
    {"claude.auto_enable_remote_control", scalar},
    {"claude.resume_recap", scalar},
    {"claude.resume_recap_max_chars", scalar},
    {"claude.launch_mode", scalar},
    {"claude.resume_mode", scalar},  // deprecated alias of launch_mode
    {"claude.pty_screen_enabled", scalar},
    {"claude.path_append", list},
    {"claude.node_from_nvm", scalar},
    {"claude.env", dict},

    {"instance_defaults.spawn_mode", scalar},
    {"instance_defaults.permission_mode", scalar},
    {"instance_defaults.verbose", scalar},
    {"instance_defaults.session_name_prefix", scalar},
    {"instance_defaults.capacity", scalar},
    {"instance_defaults.max_bridges", scalar},

    {"projects", dict},

    {"auth.enabled", scalar},
    {"auth.password_required", scalar},
    {"auth.password_hash", scalar},
    {"auth.api_token_hash", scalar},
    {"auth.allow_unauthenticated_network", scalar},
    {"auth.cookie_secure", scalar},
    {"auth.session_max_age_seconds", scalar},
    {"auth.allowed_origins", list},
    {"auth.reverse_proxy.enabled", scalar},
    {"auth.reverse_proxy.user_header", scalar},
    {"auth.reverse_proxy.shared_secret_header", scalar},
    {"auth.reverse_proxy.trusted_ips", list},
    {"auth.reverse_proxy.shared_secret", scalar},
    {"auth.reverse_proxy.hmac_window_seconds", scalar},
    {"auth.reverse_proxy.require_hmac", scalar},

    {"api.openapi_enabled", scalar},
    {"ui.enabled", scalar},
    {"db.backup_before_migrate", scalar},

    {"logs.bridge_log_max_size_mb", scalar},
    {"logs.keep_rotated", scalar},
    {"logs.redact_session_url", scalar},
    {"logs.strip_ansi_in_stream", scalar},
    {"logs.retention_max_age_days", scalar},
    {"logs.retention_max_files", scalar},
    {"logs.retention_max_total_mb", scalar},

    {"clone.enabled", scalar},
    {"clone.allowed_schemes", list},
    {"clone.allow_private_hosts", scalar},
    {"clone.allowed_private_cidrs", list},
    {"clone.timeout_seconds", scalar},
    {"clone.max_mb", scalar},

    {"reaper.ui_enabled", scalar},
    {"config_write.enabled", scalar},
    {"config_write.allow_user_scope", scalar},
    {"login_shepherd.enabled", scalar},
    {"login_shepherd.allow_setup_token", scalar},
    {"mcp.allow_writes", scalar},

    {"usage.mode", scalar},
    {"usage.currency", scalar},
    {"usage.currency_symbol", scalar},
    {"usage.fx_rate", scalar},
    {"usage.token_total_includes_cache", scalar},
    {"usage.show_cost", scalar},  // deprecated alias of mode

    {"metrics.enabled", scalar},
    {"metrics.normalize_cpu", scalar},
    {"metrics.show_disk", scalar},
    {"metrics.sample_interval_seconds", scalar},
    {"metrics.poll_seconds", scalar},

    {"observability.prometheus_enabled", scalar},
    {"observability.metrics_token_hash", scalar},

    {"notifications.enabled", scalar},
    {"notifications.urls", list},
    {"notifications.browser_enabled", scalar},
    {"notifications.notify_on_crash", scalar},
    {"notifications.notify_on_ready", scalar},
    {"notifications.notify_on_stop", scalar},
    {"notifications.notify_on_permission", scalar},
    {"notifications.notify_on_session_end", scalar},
    {"notifications.notify_on_reconnect_failed", scalar},

    {"webhooks.enabled", scalar},
    {"webhooks.urls", list},
    {"webhooks.timeout_seconds", scalar},
    {"webhooks.block_private_targets", scalar},
    {"webhooks.events", dict},

    {"claustrum.enabled", scalar},
    {"claustrum.binary", scalar},
    {"claustrum.socket_path", scalar},
    {"claustrum.spawn_timeout_seconds", scalar},
    {"claustrum.keep_children", scalar},
    {"claustrum.request_timeout_seconds", scalar},
};

constexpr std::string_view whitespace = " \t\r\n\v\f";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(whitespace);
    return s.substr(first, last - first + 1);
}

std::string_view trim_right(std::string_view s) {
    const auto last = s.find_last_not_of(whitespace);
    return last == std::string_view::npos ? std::string_view{} : s.substr(0, last + 1);
}

/// Sets @p key (dotted) in @p root to @p value, creating the sections on the
/// way. A null section becomes a mapping; any other non-mapping is an error.
boost::system::result<void, config_error> set_path(config_node& root, std::string_view key, config_node value) {
    config_node* cur = &root;
    std::size_t start = 0;
    for (;;) {
        const auto dot = key.find('.', start);
        const std::string part(key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (cur->is_null()) *cur = config_node::make_mapping();
        if (!cur->is_mapping()) {
            const std::string_view section = key.substr(0, start == 0 ? 0 : start - 1);
            return config_error{section.empty() ? std::string("config") : std::string(section),
                                section.empty() ? "the document root must be a mapping" : "must be a mapping"};
        }
        config_node* child = cur->find(part);
        if (dot == std::string_view::npos) {
            if (child != nullptr)
                *child = std::move(value);
            else
                cur->entries.emplace_back(part, std::move(value));
            return {};
        }
        if (child == nullptr) {
            cur->entries.emplace_back(part, config_node::make_mapping());
            child = &cur->entries.back().second;
        }
        cur = child;
        start = dot + 1;
    }
}

void collect_unknown(const config_node& node, const std::string& prefix, std::vector<std::string>& warnings) {
    for (const auto& [key, value] : node.entries) {
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        bool is_leaf = false;
        for (const auto& leaf : leaves)
            if (leaf.key == path) is_leaf = true;
        if (is_leaf) continue;
        if (is_config_section(path)) {
            // A section of the wrong type is reported by the typed parser.
            if (value.is_mapping()) collect_unknown(value, path, warnings);
            continue;
        }
        warnings.push_back("unknown key '" + path + "' ignored");
    }
}

}  // namespace

//------------------------------------------------------------------------------

std::span<const config_leaf> config_leaves() {
    return leaves;
}

std::string env_name_for(std::string_view key) {
    std::string name = "CLAUSTER_";
    name.reserve(name.size() + key.size());
    for (const char c : key) {
        if (c == '.')
            name += '_';
        else if (c >= 'a' && c <= 'z')
            name += static_cast<char>(c - 'a' + 'A');
        else
            name += c;
    }
    return name;
}

bool is_config_section(std::string_view key) {
    for (const auto& leaf : leaves)
        if (leaf.key.size() > key.size() && leaf.key.starts_with(key) && leaf.key[key.size()] == '.') return true;
    return false;
}

std::vector<std::string> split_env_list(std::string_view value) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto comma = value.find(',', start);
        const auto item =
            trim(value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

boost::system::result<std::string, read_failure> read_file_capped(const std::filesystem::path& path,
                                                                  std::size_t max_bytes) {
    if (path.empty()) return read_failure{"the path is empty"};
    // O_NONBLOCK so a FIFO cannot hang the loader; it has no effect on regular files.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return read_failure{std::strerror(errno)};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return read_failure{std::strerror(err)};
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return read_failure{"not a regular file"};
    }
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            return read_failure{std::strerror(err)};
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max_bytes) {
            ::close(fd);
            return read_failure{"too large (the limit is " + std::to_string(max_bytes) + " bytes)"};
        }
    }
    ::close(fd);
    return {boost::system::in_place_value, std::move(out)};
}

boost::system::result<void, config_error> apply_env_overrides(config_node& root, const environment& env) {
    for (const auto& leaf : leaves) {
        if (leaf.kind == leaf_kind::dict) continue;
        const std::string name = env_name_for(leaf.key);
        const std::string file_name = name + "_FILE";
        std::string value;
        std::string origin;
        if (auto file = get_env(env, file_name)) {
            auto content = read_file_capped(*file, max_config_bytes);
            if (!content)
                return config_error{std::string(leaf.key),
                                    "cannot read the file named by " + file_name + ": " + content.error().reason};
            value = std::string(trim_right(*content));
            origin = file_name;
        } else if (auto plain = get_env(env, name)) {
            value = std::move(*plain);
            origin = name;
        } else {
            continue;
        }

        config_node node;
        if (leaf.kind == leaf_kind::list) {
            node.type = config_node::kind::sequence;
            node.origin = origin;
            for (auto& item : split_env_list(value))
                node.items.push_back(config_node::make_scalar(std::move(item), origin));
        } else {
            node = config_node::make_scalar(std::move(value), origin);
        }
        if (auto r = set_path(root, leaf.key, std::move(node)); !r) return r.error();
    }
    return {};
}

void collect_unknown_keys(const config_node& root, std::vector<std::string>& warnings) {
    if (root.is_mapping()) collect_unknown(root, "", warnings);
}

}  // namespace clauster::core::detail
