#pragma once

// Shared plumbing of the fake `claude` (tests only): fixed ids, environment
// knobs, argv recording, file and process helpers, and signal waiting.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace clauster::fake_claude {

namespace fs = std::filesystem;
using steady_clock = std::chrono::steady_clock;

//------------------------------------------------------------------------------
// Fixed identities (the same as the reference project's fake).

inline constexpr std::string_view cli_version = "2.1.156";
inline constexpr std::string_view fixed_env_id = "env_01TESTENVAAAAAAAAAAAAAAAA";
inline constexpr std::string_view fixed_starter_session_id = "session_01TESTSTARTERAAAAAAAAAA";
inline constexpr std::string_view fixed_bridge_id = "11111111-2222-3333-4444-555555555555";
inline constexpr std::string_view fixed_pty_session_id = "session_01TESTPTYSESSIONAAAAA";

/// The arguments after argv[0].
using arg_list = std::vector<std::string>;

//------------------------------------------------------------------------------
// Environment knobs.

/// Value of @p name, or nullopt when unset.
std::optional<std::string> env_value(const char* name);

/// Value of @p name, or @p fallback when unset or empty.
std::string env_string(const char* name, std::string_view fallback);

/// A duration given in (fractional) seconds by @p name, or @p fallback_seconds.
std::chrono::milliseconds env_seconds(const char* name, double fallback_seconds);

/// True when @p name is "1", "true" or "yes".
bool env_flag(const char* name);

/// The idle cap (`FAKE_CLAUDE_MAX_IDLE`, default 600 s) measured from now.
steady_clock::time_point idle_deadline();

//------------------------------------------------------------------------------
// argv.

/// The value following @p flag in @p args (also accepts `--flag=value`).
std::optional<std::string> flag_value(const arg_list& args, std::string_view flag);

/// True when @p flag appears as a whole argument.
bool has_flag(const arg_list& args, std::string_view flag);

/// Writes the whole argv (argv[0] included) as a JSON array to `<debug_file>.argv.json`.
void record_argv(const fs::path& debug_file, int argc, char** argv);

/// A Python-like rendering `['a', 'b']`, used in the "unknown args" message.
std::string render_args(const arg_list& args);

//------------------------------------------------------------------------------
// Paths under $HOME/.claude.

fs::path home_dir();
fs::path claude_dir();
fs::path current_dir();

/// Claude Code's project directory name: every character outside [A-Za-z0-9] becomes '-'.
std::string sanitize_path(std::string_view path);

/// `$HOME/.claude/projects/<sanitized cwd>/bridge-pointer.json`.
fs::path pointer_path(const fs::path& cwd);

/// `$HOME/.claude/projects/<sanitized cwd>/<session uuid>.jsonl`.
fs::path transcript_path(const fs::path& cwd, std::string_view session_uuid);

//------------------------------------------------------------------------------
// Files.

/// Writes @p content to a temporary sibling then renames it over @p path (mode 0600),
/// creating the parent directories.
void write_file_atomic(const fs::path& path, std::string_view content);

/// Appends @p line and a newline with one write(2) on an O_APPEND descriptor.
void append_line(const fs::path& path, std::string_view line);

/// Whole file, or nullopt when it cannot be read.
std::optional<std::string> read_text(const fs::path& path);

/// Parsed JSON object, or nullopt when missing, malformed or not an object.
std::optional<boost::json::object> read_json_object(const fs::path& path);

/// Serialises and writes @p value atomically.
void write_json_atomic(const fs::path& path, const boost::json::value& value);

//------------------------------------------------------------------------------
// Processes and time.

/// Field 3 (state) and field 22 (start time in clock ticks since boot) of /proc/<pid>/stat.
struct proc_stat {
    char state = '?';
    std::string start_ticks;
};

/// Reads /proc/<pid>/stat, parsing after the last ')' (the comm field may hold spaces and parens).
std::optional<proc_stat> read_proc_stat(pid_t pid);

/// Start ticks of @p pid as a decimal string, or "" when unreadable.
std::string start_ticks(pid_t pid);

/// Alive, not a zombie, and (when @p ticks is not empty) started at exactly @p ticks.
bool is_alive(pid_t pid, std::string_view ticks);

/// Milliseconds since the Unix epoch.
std::int64_t epoch_ms();

/// @p count random lowercase hex digits.
std::string random_hex(std::size_t count);

/// A random RFC 4122 version-4 UUID whose first hex digits are @p prefix (at most 8).
std::string make_uuid(std::string_view prefix = {});

/// True for exactly eight lowercase hex digits.
bool is_job_id(std::string_view text);

/// True for a canonical 8-4-4-4-12 hex UUID.
bool is_uuid(std::string_view text);

/// Writes all of @p text to @p fd, ignoring errors (the terminal may be gone).
void write_fd(int fd, std::string_view text);

//------------------------------------------------------------------------------
// Signals.

/// Receives SIGINT and SIGTERM synchronously through a signalfd, so no handler
/// races the main loop; SIGHUP and SIGPIPE are ignored (a bridge outlives its
/// terminal, and a closed pty must not kill it).
class signal_listener {
public:
    /// @param take_sigint false to ignore SIGINT entirely instead of reporting it.
    explicit signal_listener(bool take_sigint = true);
    ~signal_listener();
    signal_listener(const signal_listener&) = delete;
    signal_listener& operator=(const signal_listener&) = delete;

    /// Waits until a signal arrives or @p deadline passes.
    /// @return the signal number, or 0 on timeout.
    int wait_until(steady_clock::time_point deadline);

private:
    int fd_ = -1;
};

/// Name used in log lines: "SIGINT", "SIGTERM", …
std::string_view signal_name(int sig);

}  // namespace clauster::fake_claude
