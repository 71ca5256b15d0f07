#include <clauster/core/bridge_pointer.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <new>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_pointer_bytes = 64 * 1024;

/// Reads at most max_pointer_bytes of a regular file; nullopt otherwise.
std::optional<std::string> read_small_file(const fs::path& path) {
    // O_NONBLOCK: a FIFO planted in place of the pointer must not hang the reader.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    std::optional<std::string> out;
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        static_cast<std::uintmax_t>(st.st_size) <= max_pointer_bytes) {
        std::string buf(max_pointer_bytes + 1, '\0');
        std::size_t used = 0;
        bool failed = false;
        while (used < buf.size()) {
            const ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                failed = true;
                break;
            }
            if (n == 0) break;
            used += static_cast<std::size_t>(n);
        }
        // The file may have grown since fstat: still refuse anything over the cap.
        if (!failed && used <= max_pointer_bytes) {
            buf.resize(used);
            out = std::move(buf);
        }
    }
    ::close(fd);
    return out;
}

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/// Ids end up in URLs and log lines: accept only `[A-Za-z0-9_-]{1,256}`.
bool is_id(std::string_view s) {
    return !s.empty() && s.size() <= 256 && std::all_of(s.begin(), s.end(), is_id_char);
}

bool is_plain_text(std::string_view s) {
    return s.size() <= 256 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::optional<std::uint64_t> parse_ticks(std::string_view s) {
    if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<bridge_pointer> from_json(const boost::json::object& obj) {
    bridge_pointer p;

    const auto* pid = obj.if_contains("pid");
    // Boost.JSON keeps bools apart from integers, and numbers past int64 become
    // uint64 or double: only a plain int64 in (0, INT_MAX] is a pid.
    if (pid == nullptr || !pid->is_int64()) return std::nullopt;
    const std::int64_t pid_value = pid->as_int64();
    if (pid_value <= 0 || pid_value > std::numeric_limits<int>::max()) return std::nullopt;
    p.pid = static_cast<int>(pid_value);

    const auto* session = obj.if_contains("sessionId");
    if (session == nullptr || !session->is_string() || !is_id(session->as_string())) return std::nullopt;
    p.session_id = std::string(session->as_string());

    if (const auto* env = obj.if_contains("environmentId"); env != nullptr && !env->is_null()) {
        if (!env->is_string() || (!env->as_string().empty() && !is_id(env->as_string()))) return std::nullopt;
        p.environment_id = std::string(env->as_string());
    }
    if (const auto* source = obj.if_contains("source"); source != nullptr && !source->is_null()) {
        if (!source->is_string() || !is_plain_text(source->as_string())) return std::nullopt;
        p.source = std::string(source->as_string());
    }
    if (const auto* start = obj.if_contains("procStart"); start != nullptr && !start->is_null()) {
        if (!start->is_string()) return std::nullopt;
        p.proc_start_ticks = parse_ticks(start->as_string());
        if (!p.proc_start_ticks) return std::nullopt;
    }
    return p;
}

}  // namespace

//------------------------------------------------------------------------------

std::string sanitize_project_path(std::string_view absolute_path) {
    std::string out(absolute_path);
    for (char& c : out) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) c = '-';
    }
    return out;
}

fs::path bridge_pointer_path(const fs::path& home, const fs::path& project_path) {
    return home / ".claude" / "projects" / sanitize_project_path(project_path.string()) / "bridge-pointer.json";
}

std::optional<bridge_pointer> read_bridge_pointer(const fs::path& path) noexcept {
    try {
        const auto text = read_small_file(path);
        if (!text) return std::nullopt;
        boost::json::parse_options options;
        options.max_depth = 4;  // a pointer is one flat object; deeper is hostile
        boost::system::error_code ec;
        const boost::json::value doc = boost::json::parse(*text, ec, {}, options);
        if (ec || !doc.is_object()) return std::nullopt;
        return from_json(doc.as_object());
    } catch (const std::bad_alloc&) {
        // The only exception the steps above can raise; an unreadable pointer is absent.
        return std::nullopt;
    }
}

}  // namespace clauster::core
