#pragma once

#include <clauster/core/error.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

/// The per-launch log files of a bridge (spec §7.2, internals §1.1).
///
/// Each launch gets a stem `<label>-<epoch_ms>-<seq>` in `state_dir/logs`; a *log set*
/// is every file sharing a stem:
/// `<stem>.log` (the `--debug-file`, or its redacted public mirror), `<stem>.raw.log`
/// (private verbatim copy when redacting), `<stem>.stderr.log`, `<stem>.keeper.json`,
/// `<stem>.keeper.log`, `<stem>.screen.json` (pty screen sidecar), and rotated
/// copies of any of them (`<name>.<n>`).

//------------------------------------------------------------------------------
// Names

/// A per-process counter that tells apart two launches in the same millisecond.
///
/// @par Thread safety
/// Thread-safe. Own one per process (e.g. in the launcher) and pass `next()` to
/// @ref make_log_stem.
class log_sequence {
public:
    /// 1, 2, 3, …
    std::uint64_t next() noexcept { return value_.fetch_add(1, std::memory_order_relaxed) + 1; }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// The file-name form of a bridge label: every character outside `[A-Za-z0-9._-]`
/// becomes `_`, at most 64 characters, and `_` for an empty result or one made only
/// of dots. Both @ref make_log_stem and @ref find_latest_log_set apply it.
std::string log_label(std::string_view label);

/// `<log_label(label)>-<epoch_ms(now)>-<seq>`.
std::string make_log_stem(std::string_view label, std::chrono::system_clock::time_point now, std::uint64_t seq);

/// The paths of one log set.
struct log_set_paths {
    std::filesystem::path debug_log;    ///< `<stem>.log`
    std::filesystem::path raw_log;      ///< `<stem>.raw.log`
    std::filesystem::path stderr_log;   ///< `<stem>.stderr.log`
    std::filesystem::path keeper_json;  ///< `<stem>.keeper.json`
    std::filesystem::path keeper_log;   ///< `<stem>.keeper.log`
};

/// The sibling names of @p stem inside @p logs_dir.
log_set_paths log_set_for(const std::filesystem::path& logs_dir, std::string_view stem);

/// `state_dir/logs` (no filesystem access).
std::filesystem::path logs_dir(const std::filesystem::path& state_dir);

/// Creates `state_dir/logs` with mode 0700 (forced even when it exists) and returns it.
///
/// @par Errors
/// `invalid_state` when it cannot be created or made private.
outcome<std::filesystem::path> ensure_logs_dir(const std::filesystem::path& state_dir);

/// The stem of a log file name, or nullopt for a file that is not part of a log set
/// (no known suffix, or a stem not of the form `<label>-<digits>-<digits>`).
std::optional<std::string> log_stem_of(std::string_view file_name);

//------------------------------------------------------------------------------
// Files

/// Creates @p path empty with mode 0600 as `open(O_CREAT|O_EXCL|O_WRONLY|O_NOFOLLOW|O_CLOEXEC)`.
///
/// Exclusive creation refuses a pre-planted file or symlink, and the file is never
/// readable by others, not even briefly (the bridge then appends to this inode).
///
/// @par Errors
/// `already_exists` when anything (a file, a dangling or live symlink) is at @p path;
/// `invalid_state` for any other failure.
outcome<void> precreate_log(const std::filesystem::path& path);

/// The last @p max_bytes of a regular file (all of it when smaller), starting at a
/// UTF-8 character boundary. Empty when the file is missing, unreadable, or not a
/// regular file (symlinks are not followed). Used for `error_detail`; redact before use.
std::string read_tail(const std::filesystem::path& path, std::size_t max_bytes);

//------------------------------------------------------------------------------
// Retention

/// Retention limits (`logs.retention_*`); 0 disables a limit.
struct log_retention_policy {
    unsigned max_age_days = 30;
    std::size_t max_files = 0;        ///< max number of log *sets*
    std::uintmax_t max_total_mb = 0;  ///< max total size of all sets, MiB
};

/// What a prune removed, and what it could not.
struct log_prune_report {
    std::vector<std::string> deleted_stems;  ///< oldest first
    std::uintmax_t freed_bytes = 0;
    std::vector<std::string> errors;  ///< one message per file that could not be removed
};

/// Deletes whole log sets in @p logs_dir, oldest first, until every limit of @p policy
/// holds, never touching a set whose stem is in @p protected_stems (live instances).
///
/// Sets are ordered by the epoch_ms in their stem (ties: newest file mtime, then seq).
/// - Age: a set is too old when both its stem time and its newest mtime are more than
///   `max_age_days` before @p now (a set still being written is not "old").
/// - Count and size include protected sets, but only unprotected ones are deleted.
/// Files that are not part of a log set are ignored. Symlinks are removed, never followed.
///
/// Best effort: failures are collected in the report, never thrown. Blocking I/O;
/// run it off the io thread.
log_prune_report prune_log_sets(const std::filesystem::path& logs_dir, const log_retention_policy& policy,
                                const std::set<std::string, std::less<>>& protected_stems,
                                std::chrono::system_clock::time_point now);

/// The newest stem `<log_label(label)>-<ms>-<seq>` in @p logs_dir (largest ms, then seq),
/// matched exactly on the label, so `app` never picks `app-staging-…`.
std::optional<std::string> find_latest_log_set(const std::filesystem::path& logs_dir, std::string_view label);

}  // namespace clauster::core
