#pragma once

#include <clauster/core/config.hpp>

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>

namespace clauster::http {

/// Line-oriented log of the HTTP front-end (stderr by default).
///
/// One line per call: `<ISO-8601 UTC> <LEVEL> clauster.http: <message>`.
/// Messages below the threshold are dropped. It never sees credentials: callers
/// pass only what @ref format_access_line builds or their own fixed text.
class logger {
public:
    /// @param out the stream to write to; must outlive the logger (std::cerr by default).
    explicit logger(core::log_level threshold = core::log_level::info);
    logger(core::log_level threshold, std::ostream& out);

    bool enabled(core::log_level level) const;
    void write(core::log_level level, std::string_view message) const;

    void info(std::string_view message) const { write(core::log_level::info, message); }
    void warning(std::string_view message) const { write(core::log_level::warning, message); }
    void error(std::string_view message) const { write(core::log_level::error, message); }

private:
    core::log_level threshold_;
    std::ostream* out_;
};

/// `<METHOD> <path>` for log lines: the query string is dropped (queries may
/// carry secrets) and control characters are escaped.
std::string format_request_line(std::string_view method, std::string_view target);

/// The access-log line of one request: `<METHOD> <path> <status> <ms>ms rid=<id>`.
///
/// @p target is the request target as received; its query string is dropped
/// (queries may carry secrets) and control characters are escaped so a client
/// cannot forge log lines. Headers (Authorization included) are never logged.
std::string format_access_line(std::string_view method, std::string_view target, unsigned status,
                               std::chrono::steady_clock::duration elapsed, std::string_view request_id);

}  // namespace clauster::http
