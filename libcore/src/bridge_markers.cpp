#include <clauster/core/bridge_markers.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>

namespace clauster::core {

namespace {

bool is_alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex_or_dash(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-';
}
bool is_mode_char(char c) noexcept { return is_alnum(c) || c == '-' || c == '_'; }
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

/// One line and whether it ends the text (so a token reaching its end may be truncated).
struct line_view {
    std::string_view text;
    bool is_tail = false;
};

/// The run of characters satisfying @p pred that starts at @p pos of @p line, or
/// nullopt when it is empty, longer than @p max_len, or may still be being written.
template <class Pred>
std::optional<std::string_view> token_at(const line_view& line, std::size_t pos, Pred pred,
                                         std::size_t max_len = 256) {
    std::size_t end = pos;
    while (end < line.text.size() && pred(line.text[end])) ++end;
    if (end == pos || end - pos > max_len) return std::nullopt;
    if (line.is_tail && end == line.text.size()) return std::nullopt;
    return line.text.substr(pos, end - pos);
}

/// A `<prefix>_<alnum>+` id right after @p pos (e.g. `env_…`, `session_…`).
std::optional<std::string> prefixed_id_at(const line_view& line, std::size_t pos, std::string_view prefix) {
    if (line.text.substr(pos, prefix.size()) != prefix) return std::nullopt;
    auto body = token_at(line, pos + prefix.size(), is_alnum);
    if (!body) return std::nullopt;
    return std::string(prefix) + std::string(*body);
}

/// Position just after the first @p needle in @p s, or npos.
std::size_t after(std::string_view s, std::string_view needle, std::size_t from = 0) {
    const auto at = s.find(needle, from);
    return at == std::string_view::npos ? at : at + needle.size();
}

bool contains(std::string_view s, std::string_view needle, std::size_t from = 0) {
    return s.find(needle, from) != std::string_view::npos;
}

/// Case-insensitive search for a lower-case @p needle.
bool contains_icase(std::string_view s, std::string_view needle) {
    if (needle.empty()) return true;
    if (s.size() < needle.size()) return false;
    const char first = needle.front();
    for (std::size_t i = 0; i + needle.size() <= s.size(); ++i) {
        if (lower(s[i]) != first) continue;
        std::size_t k = 1;
        while (k < needle.size() && lower(s[i + k]) == needle[k]) ++k;
        if (k == needle.size()) return true;
    }
    return false;
}

std::optional<int> parse_pid(std::string_view digits) {
    long long v = 0;
    for (char c : digits) {
        v = v * 10 + (c - '0');
        if (v > std::numeric_limits<int>::max()) return std::nullopt;
    }
    if (v <= 0) return std::nullopt;
    return static_cast<int>(v);
}

void scan_environment_id(const line_view& line, bridge_markers& m) {
    for (std::string_view key : {std::string_view("environment_id="), std::string_view("environmentId=")}) {
        for (std::size_t pos = after(line.text, key); pos != std::string_view::npos; pos = after(line.text, key, pos)) {
            if (auto id = prefixed_id_at(line, pos, "env_")) {
                m.environment_id = std::move(*id);
                return;
            }
        }
    }
}

void scan_line(const line_view& line, bridge_markers& m) {
    const std::string_view t = line.text;

    if (!m.bridge_id) {
        if (const auto tag = after(t, "[bridge:init]"); tag != std::string_view::npos) {
            if (const auto pos = after(t, "bridgeId=", tag); pos != std::string_view::npos) {
                if (auto id = token_at(line, pos, is_hex_or_dash, 64)) m.bridge_id = std::string(*id);
            }
        }
    }
    if (!m.environment_id) scan_environment_id(line, m);
    if (!m.starter_session_id) {
        if (const auto pos = after(t, "Created initial session "); pos != std::string_view::npos)
            m.starter_session_id = prefixed_id_at(line, pos, "session_");
    }
    if (!m.poll_loop_started) {
        if (const auto tag = after(t, "[bridge:work]"); tag != std::string_view::npos)
            m.poll_loop_started = contains(t, "Starting poll loop", tag);
    }
    if (!m.spawn_mode) {
        if (const auto pos = after(t, "spawnMode="); pos != std::string_view::npos) {
            if (auto mode = token_at(line, pos, is_mode_char, 32)) m.spawn_mode = std::string(*mode);
        }
    }
    if (const auto tag = after(t, "[bridge:session]"); tag != std::string_view::npos) {
        for (auto pos = after(t, "pid=", tag); pos != std::string_view::npos; pos = after(t, "pid=", pos)) {
            // `pid=` must not be the tail of another key such as `ppid=`.
            const std::size_t key_at = pos - 4;
            if (key_at > 0 && is_mode_char(t[key_at - 1])) continue;
            auto digits = token_at(line, pos, is_digit, 10);
            if (!digits) continue;
            if (auto pid = parse_pid(*digits);
                pid && std::find(m.session_pids.begin(), m.session_pids.end(), *pid) == m.session_pids.end())
                m.session_pids.push_back(*pid);
            break;
        }
    }
    if (!m.clean_shutdown) {
        if (const auto tag = after(t, "[bridge:shutdown]"); tag != std::string_view::npos)
            m.clean_shutdown =
                contains(t, "SIGINT", tag) || contains(t, "SIGTERM", tag) || contains(t, "shutting down", tag);
    }
    if (!m.trust_error) m.trust_error = contains_icase(t, "workspace not trusted");
    if (!m.unarchived_session_id) {
        if (const auto tag = after(t, "[remote-bridge]"); tag != std::string_view::npos) {
            if (const auto pos = after(t, "Unarchive ", tag); pos != std::string_view::npos)
                m.unarchived_session_id = prefixed_id_at(line, pos, "session_");
        }
    }
}

}  // namespace

bridge_markers parse_bridge_markers(std::string_view text) {
    bridge_markers m;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto nl = text.find('\n', start);
        line_view line;
        if (nl == std::string_view::npos) {
            line.text = text.substr(start);
            line.is_tail = true;
            start = text.size();
        } else {
            line.text = text.substr(start, nl - start);
            start = nl + 1;
        }
        scan_line(line, m);
    }
    return m;
}

}  // namespace clauster::core
