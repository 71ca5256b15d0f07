#include <clauster/core/redaction.hpp>

#include <array>
#include <cctype>

namespace clauster::core {
namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_token_char(char c) { return is_alnum(c) || c == '_' || c == '-'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }

/// Length of a UTF-8 sequence for an invisible code point starting at @p i, or 0.
std::size_t invisible_at(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (b(0) == 0xC2 && i + 1 < s.size() && b(1) == 0xAD) return 2;  // U+00AD soft hyphen
    if (b(0) == 0xE2 && i + 2 < s.size() && b(1) == 0x80 &&
        ((b(2) >= 0x8B && b(2) <= 0x8F) || (b(2) >= 0xAA && b(2) <= 0xAE)))
        return 3;  // U+200B..U+200F zero-width and marks, U+202A..U+202E bidi embeddings
    if (b(0) == 0xE2 && i + 2 < s.size() && b(1) == 0x81 &&
        ((b(2) >= 0xA0 && b(2) <= 0xA4) || (b(2) >= 0xA6 && b(2) <= 0xAF)))
        return 3;  // U+2060..U+2064 joiners, U+2066..U+206F isolates and deprecated formats
    if (b(0) == 0xEF && i + 2 < s.size() && b(1) == 0xBB && b(2) == 0xBF) return 3;  // U+FEFF BOM
    return 0;
}

}  // namespace

std::string strip_ansi(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '\x1b' && i + 1 < s.size()) {
            const char kind = s[i + 1];
            if (kind == '[') {  // CSI: parameters and intermediates, then one final byte @..~
                std::size_t j = i + 2;
                while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x20 && static_cast<unsigned char>(s[j]) <= 0x3F) ++j;
                while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x20 && static_cast<unsigned char>(s[j]) <= 0x2F) ++j;
                i = j < s.size() ? j + 1 : j;
                continue;
            }
            if (kind == ']') {  // OSC: until BEL or ESC '\'
                std::size_t j = i + 2;
                while (j < s.size() && s[j] != '\a' && !(s[j] == '\x1b' && j + 1 < s.size() && s[j + 1] == '\\')) ++j;
                i = j >= s.size() ? j : (s[j] == '\a' ? j + 1 : j + 2);
                continue;
            }
            i += 2;  // a two-character escape
            continue;
        }
        if (c == '\x1b') {
            ++i;
            continue;
        }
        if (const auto n = invisible_at(s, i); n > 0) {
            i += n;
            continue;
        }
        out.push_back(c);
        ++i;
    }
    return out;
}

namespace {

/// A secret shape: a literal prefix (matched case-sensitively unless noted) and
/// the minimum run of token characters after it.
struct shape {
    std::string_view prefix;
    std::size_t min_tail;
    bool (*tail_char)(char);
};

bool upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

constexpr std::array<shape, 12> shapes{{
    {"ghp_", 16, is_token_char},
    {"gho_", 16, is_token_char},
    {"ghu_", 16, is_token_char},
    {"ghs_", 16, is_token_char},
    {"ghr_", 16, is_token_char},
    {"github_pat_", 20, is_token_char},
    {"glpat-", 16, is_token_char},
    {"AKIA", 16, upper_or_digit},
    {"sk-", 16, is_token_char},
    {"clauster_pat_", 16, is_token_char},
    {"xoxb-", 10, is_token_char},
    {"xoxp-", 10, is_token_char},
}};

constexpr std::array<std::string_view, 3> xox_more{"xoxa-", "xoxr-", "xoxs-"};
constexpr std::array<std::string_view, 3> id_prefixes{"env_", "session_", "cse_"};

bool starts_with_at(std::string_view s, std::size_t i, std::string_view p) { return s.substr(i, p.size()) == p; }

std::size_t run_of(std::string_view s, std::size_t i, bool (*pred)(char)) {
    std::size_t j = i;
    while (j < s.size() && pred(s[j])) ++j;
    return j - i;
}

bool is_uuid_at(std::string_view s, std::size_t i) {
    static constexpr std::array<std::size_t, 5> groups{8, 4, 4, 4, 12};
    std::size_t j = i;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (std::size_t k = 0; k < groups[g]; ++k, ++j)
            if (j >= s.size() || !is_hex(s[j])) return false;
        if (g + 1 < groups.size()) {
            if (j >= s.size() || s[j] != '-') return false;
            ++j;
        }
    }
    return j >= s.size() || !is_alnum(s[j]);
}

bool ieq(char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); }

/// `bearer` (any case), whitespace, then 12+ of [A-Za-z0-9._-]: @return the length to mask after the keyword.
std::size_t bearer_value_at(std::string_view s, std::size_t i, std::size_t& value_start) {
    static constexpr std::string_view kw = "bearer";
    if (i + kw.size() >= s.size()) return 0;
    for (std::size_t k = 0; k < kw.size(); ++k)
        if (!ieq(s[i + k], kw[k])) return 0;
    std::size_t j = i + kw.size();
    const std::size_t ws = j;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (j == ws) return 0;
    const auto n = run_of(s, j, [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
    if (n < 12) return 0;
    value_start = j;
    return n;
}

}  // namespace

std::string redact_line(std::string_view text) {
    const std::string s = strip_ansi(text);
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const bool at_word_start = i == 0 || !is_word(s[i - 1]);
        // Bearer values.
        if (std::size_t value_start = 0; at_word_start) {
            if (const auto n = bearer_value_at(s, i, value_start); n > 0) {
                out.append(s, i, value_start - i);
                out += "<redacted>";
                i = value_start + n;
                continue;
            }
        }
        // Secret shapes: prefix + long tail. They may be welded to other words.
        bool matched = false;
        for (const auto& sh : shapes) {
            if (!starts_with_at(s, i, sh.prefix)) continue;
            const auto n = run_of(s, i + sh.prefix.size(), sh.tail_char);
            if (n >= sh.min_tail) {
                out += "<redacted>";
                i += sh.prefix.size() + n;
                matched = true;
            }
            break;
        }
        if (matched) continue;
        for (auto p : xox_more) {
            if (!starts_with_at(s, i, p)) continue;
            if (const auto n = run_of(s, i + p.size(), is_token_char); n >= 10) {
                out += "<redacted>";
                i += p.size() + n;
                matched = true;
            }
            break;
        }
        if (matched) continue;
        // Bearer-equivalent ids: \b(env|session|cse)_[A-Za-z0-9]{6,}\b
        if (at_word_start) {
            for (auto p : id_prefixes) {
                if (!starts_with_at(s, i, p)) continue;
                const auto n = run_of(s, i + p.size(), is_alnum);
                const auto end = i + p.size() + n;
                if (n >= 6 && (end >= s.size() || !is_word(s[end]))) {
                    out.append(p);
                    out += "<redacted>";
                    i = end;
                    matched = true;
                }
                break;
            }
            if (matched) continue;
            if (is_uuid_at(s, i)) {
                out += "<redacted>";
                i += 36;
                continue;
            }
        }
        out.push_back(s[i]);
        ++i;
    }
    return out;
}

}  // namespace clauster::core
