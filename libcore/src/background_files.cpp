#include "background_files.hpp"
#include "text_io.hpp"

#include <clauster/core/redaction.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>

namespace clauster::core::detail {
namespace fs = std::filesystem;

namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_word(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/// 8 lower hex digits at @p pos, followed by a word boundary.
bool hex8_at(std::string_view s, std::size_t pos) {
    if (pos + 8 > s.size()) return false;
    for (std::size_t i = 0; i < 8; ++i)
        if (!is_lower_hex(s[pos + i])) return false;
    return pos + 8 == s.size() || !is_word(s[pos + 8]);
}

using detail::next_code_point;

/// Python's `str.isspace`, plus U+FEFF (spec §2.5).
bool is_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000 || c == 0xFEFF;
}

/// Reads a regular file of at most @p max_bytes; nullopt otherwise.
std::optional<std::string> read_capped(const fs::path& p, std::size_t max_bytes) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::status(p, ec))) return std::nullopt;  // never a FIFO or device
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::string text(max_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n > max_bytes) return std::nullopt;
    text.resize(n);
    return text;
}

std::optional<boost::json::object> parse_object(const std::string& text) {
    boost::system::error_code ec;
    boost::json::parse_options opts;
    opts.max_depth = 32;
    try {
        auto v = boost::json::parse(text, ec, {}, opts);
        if (ec || !v.is_object()) return std::nullopt;
        return std::move(v.get_object());
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
}

/// Longest free-text field kept before redaction (result excepted).
constexpr std::size_t max_text_bytes = 16 * 1024;

std::optional<std::string> raw_string(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

std::optional<std::string> plain(const boost::json::object& o, std::string_view key) {
    auto s = raw_string(o, key);
    if (s && (s->size() > max_text_bytes || s->find('\0') != std::string::npos)) return std::nullopt;
    return s;
}

std::optional<std::string> redacted(const boost::json::object& o, std::string_view key) {
    auto s = raw_string(o, key);
    if (!s) return std::nullopt;
    if (s->size() > max_text_bytes) s->resize(max_text_bytes);
    return redact_line(*s);
}

std::optional<std::int64_t> epoch_ms(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) {
        if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(v->get_uint64());
    }
    if (v->is_double()) {
        const double d = v->get_double();
        if (!std::isfinite(d) || d < -9.0e15 || d > 9.0e15) return std::nullopt;
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

std::optional<std::uint64_t> ticks_of(const boost::json::value& v) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64()) {
        if (v.get_int64() < 0) return std::nullopt;
        return static_cast<std::uint64_t>(v.get_int64());
    }
    if (!v.is_string()) return std::nullopt;
    const auto s = v.get_string();
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t out = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
    return out;
}

}  // namespace

bool is_job_id(std::string_view s) { return s.size() == 8 && hex8_at(s, 0); }

std::optional<std::string> parse_job_id(std::string_view out) {
    static constexpr std::string_view marker = "backgrounded";
    for (auto at = out.find(marker); at != std::string_view::npos; at = out.find(marker, at + 1)) {
        std::size_t i = at + marker.size();
        while (i < out.size() && out[i] != '\n' && !is_lower_hex(out[i])) ++i;
        if (hex8_at(out, i)) return std::string(out.substr(i, 8));
    }
    for (std::size_t i = 0; i < out.size();) {
        if (!is_word(out[i])) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < out.size() && is_word(out[end])) ++end;
        if (end - i == 8 && hex8_at(out, i)) return std::string(out.substr(i, 8));
        i = end;
    }
    return std::nullopt;
}

bool is_blank(std::string_view prompt) {
    for (std::size_t i = 0; i < prompt.size();) {
        const auto cp = next_code_point(prompt, i);
        if (!cp || !is_space(*cp)) return false;
    }
    return true;
}

std::string redacted_result(std::string_view text) {
    std::string clean = redact_line(text);
    std::size_t chars = 0;
    for (std::size_t i = 0; i < clean.size(); ++i) {
        if ((static_cast<unsigned char>(clean[i]) & 0xC0) == 0x80) continue;  // continuation byte
        if (chars++ == max_result_chars) {
            clean.resize(i);
            clean += " …<truncated>";
            break;
        }
    }
    return clean;
}

fs::path jobs_dir(const fs::path& home) { return home / ".claude" / "jobs"; }

std::map<std::string, process_identity, std::less<>> read_roster(const fs::path& home) {
    std::map<std::string, process_identity, std::less<>> out;
    const auto text = read_capped(home / ".claude" / "daemon" / "roster.json", max_roster_bytes);
    if (!text) return out;
    const auto root = parse_object(*text);
    if (!root) return out;
    const auto* workers = root->if_contains("workers");
    if (!workers || !workers->is_object()) return out;
    for (const auto& [key, entry] : workers->get_object()) {
        if (!is_job_id(key) || !entry.is_object()) continue;
        const auto& e = entry.get_object();
        const auto* pid = e.if_contains("pid");
        const auto* start = e.if_contains("procStart");
        if (!pid || !start || !pid->is_int64()) continue;  // bools, floats, strings: not a pid
        const auto p = pid->get_int64();
        if (p <= 0 || p > std::numeric_limits<int>::max()) continue;
        const auto ticks = ticks_of(*start);
        if (!ticks) continue;  // no start identity: fail closed
        process_identity id;
        id.pid = static_cast<int>(p);
        id.start_ticks = *ticks;
        out.emplace(std::string(key), id);
    }
    return out;
}

std::optional<background_job> read_job(const fs::path& home, std::string_view id) {
    if (!is_job_id(id)) return std::nullopt;
    const auto text = read_capped(jobs_dir(home) / std::string(id) / "state.json", max_state_bytes);
    if (!text) return std::nullopt;
    const auto o = parse_object(*text);
    if (!o) return std::nullopt;
    background_job job;
    job.id = std::string(id);
    job.state = redacted(*o, "state");
    job.detail = redacted(*o, "detail");
    job.tempo = redacted(*o, "tempo");
    job.needs = redacted(*o, "needs");
    if (auto r = raw_string(*o, "result")) job.result = redacted_result(*r);
    job.intent = redacted(*o, "intent");
    job.name = redacted(*o, "name");
    job.cwd = plain(*o, "cwd");
    job.session_id = plain(*o, "sessionId");
    job.bridge_session_id = plain(*o, "bridgeSessionId");
    job.transcript_path = plain(*o, "transcriptPath");
    if (!job.transcript_path) job.transcript_path = plain(*o, "linkScanPath");
    job.cli_version = plain(*o, "cliVersion");
    job.created_at = epoch_ms(*o, "createdAt");
    job.updated_at = epoch_ms(*o, "updatedAt");
    job.permission_mode = plain(*o, "permissionMode");
    job.model = plain(*o, "model");
    return job;
}

}  // namespace clauster::core::detail
