#include <clauster/core/time_format.hpp>

#include <charconv>
#include <cstdio>
#include <ctime>

namespace clauster::core {
namespace {

std::tm to_utc_tm(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}

bool read_int(std::string_view s, std::size_t pos, std::size_t len, int& out) {
    if (pos + len > s.size()) return false;
    const char* first = s.data() + pos;
    const char* last = first + len;
    auto [ptr, ec] = std::from_chars(first, last, out);
    return ec == std::errc{} && ptr == last;
}

}  // namespace

std::string format_iso_seconds(std::chrono::system_clock::time_point t) {
    const std::tm tm = to_utc_tm(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string format_iso_micros(std::chrono::system_clock::time_point t) {
    const auto secs = std::chrono::floor<std::chrono::seconds>(t);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    const std::tm tm = to_utc_tm(t);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%s.%06lld+00:00", date, static_cast<long long>(micros));
    return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_iso(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+00:00)
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return std::nullopt;
    if (!read_int(s, 0, 4, year) || !read_int(s, 5, 2, month) || !read_int(s, 8, 2, day) ||
        !read_int(s, 11, 2, hour) || !read_int(s, 14, 2, minute) || !read_int(s, 17, 2, second))
        return std::nullopt;
    std::size_t pos = 19;
    long long micros = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 6) {
                micros = micros * 10 + (s[pos] - '0');
                ++digits;
            }
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (; digits < 6; ++digits) micros *= 10;
    }
    const std::string_view zone = s.substr(pos);
    if (zone != "Z" && zone != "+00:00") return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                          std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    return std::chrono::sys_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
           std::chrono::seconds{second} + std::chrono::microseconds{micros};
}

}  // namespace clauster::core
