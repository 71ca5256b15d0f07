#pragma once

#include <clauster/core/background_job.hpp>
#include <clauster/core/process_identity.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

/// @file
/// Readers of Claude Code's background-agent files (internals §1.8) and the small
/// text rules of `claude --bg` (spec §2.5, §7.1). Private to libcore.
///
/// Every reader caps what it reads and treats anything unreadable, too large,
/// malformed or wrongly typed as absent: it never throws for file content.

namespace clauster::core::detail {

/// Largest `state.json` read (larger files are treated as malformed).
inline constexpr std::size_t max_state_bytes = 1024 * 1024;
/// Largest `roster.json` read.
inline constexpr std::size_t max_roster_bytes = 4 * 1024 * 1024;
/// Most job directories looked at by one listing.
inline constexpr std::size_t max_jobs = 2000;
/// Cap of `result` in characters (code points), before `" …<truncated>"`.
inline constexpr std::size_t max_result_chars = 4000;

/// True for exactly 8 lowercase hex digits.
bool is_job_id(std::string_view s);

/// The job id in `claude --bg` stdout: first `backgrounded[^\n0-9a-f]*([0-9a-f]{8})\b`,
/// then any bare `\b[0-9a-f]{8}\b` token.
std::optional<std::string> parse_job_id(std::string_view out);

/// True when @p prompt is empty or only Unicode whitespace (U+FEFF counts too).
bool is_blank(std::string_view prompt);

/// Redacts @p text and caps it at @ref max_result_chars code points plus `" …<truncated>"`.
std::string redacted_result(std::string_view text);

/// `$HOME/.claude/jobs`.
std::filesystem::path jobs_dir(const std::filesystem::path& home);

/// The roster workers with a usable identity: id → {pid, start ticks}. An entry
/// without a positive int pid or a parseable `procStart` is left out (not live).
std::map<std::string, process_identity, std::less<>> read_roster(const std::filesystem::path& home);

/// `jobs/<id>/state.json` as a record, free text redacted, liveness not set.
/// nullopt when @p id is not a job id or the file is missing, too large or not
/// a JSON object.
std::optional<background_job> read_job(const std::filesystem::path& home, std::string_view id);

}  // namespace clauster::core::detail
