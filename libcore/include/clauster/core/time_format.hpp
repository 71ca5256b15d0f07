#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace clauster::core {

/// Formats a time as ISO-8601 UTC to the second, e.g. `2026-11-23T04:40:40Z`.
std::string format_iso_seconds(std::chrono::system_clock::time_point t);

/// Formats a time as ISO-8601 UTC with microseconds, e.g. `2026-11-23T04:40:40.123456+00:00`,
/// the form stored in the database and sent on the wire.
std::string format_iso_micros(std::chrono::system_clock::time_point t);

/// Parses either form written by the formatters above (a trailing `Z` or `+00:00`).
/// @return nullopt when @p text is not such a timestamp.
std::optional<std::chrono::system_clock::time_point> parse_iso(std::string_view text);

}  // namespace clauster::core
