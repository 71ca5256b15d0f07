#include "logger.hpp"

#include <clauster/core/time_format.hpp>

#include <cstdio>
#include <iostream>

namespace clauster::http {

namespace {

int rank(core::log_level l) {
    switch (l) {
        case core::log_level::debug: return 0;
        case core::log_level::info: return 1;
        case core::log_level::warning: return 2;
        case core::log_level::error: return 3;
    }
    return 3;
}

std::string_view label(core::log_level l) {
    switch (l) {
        case core::log_level::debug: return "DEBUG";
        case core::log_level::info: return "INFO";
        case core::log_level::warning: return "WARNING";
        case core::log_level::error: return "ERROR";
    }
    return "ERROR";
}

/// Copies @p s, escaping bytes outside printable ASCII as `\xNN`.
void append_printable(std::string& out, std::string_view s, std::size_t max_len) {
    std::size_t n = 0;
    for (const char c : s) {
        if (n++ == max_len) {
            out += "...";
            return;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(u));
            out += buf;
        } else {
            out += c;
        }
    }
}

}  // namespace

logger::logger(core::log_level threshold) : logger(threshold, std::cerr) {}

logger::logger(core::log_level threshold, std::ostream& out) : threshold_(threshold), out_(&out) {}

bool logger::enabled(core::log_level level) const { return rank(level) >= rank(threshold_); }

void logger::write(core::log_level level, std::string_view message) const {
    if (!enabled(level)) return;
    std::string line = core::format_iso_seconds(std::chrono::system_clock::now());
    line += ' ';
    line += label(level);
    line += " clauster.http: ";
    line += message;
    line += '\n';
    // One write per line so concurrent writers (none today) do not interleave mid-line.
    out_->write(line.data(), static_cast<std::streamsize>(line.size()));
    out_->flush();
}

std::string format_request_line(std::string_view method, std::string_view target) {
    const auto query = target.find_first_of("?#");
    const auto path = target.substr(0, query);
    std::string line;
    append_printable(line, method.empty() ? std::string_view("-") : method, 32);
    line += ' ';
    append_printable(line, path.empty() ? std::string_view("-") : path, 512);
    return line;
}

std::string format_access_line(std::string_view method, std::string_view target, unsigned status,
                               std::chrono::steady_clock::duration elapsed, std::string_view request_id) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1fms", static_cast<double>(micros) / 1000.0);

    std::string line = format_request_line(method, target);
    line += ' ';
    line += std::to_string(status);
    line += ' ';
    line += ms;
    line += " rid=";
    append_printable(line, request_id, 128);
    return line;
}

}  // namespace clauster::http
