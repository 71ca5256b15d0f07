#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

//------------------------------------------------------------------------------
// The keeper sidecar (`<log stem>.keeper.json`)

/// Where a keeper is in its life, as published in its sidecar (spec §3.2).
enum class keeper_state {
    starting,  ///< bridge spawned (or about to be), no connect link yet
    ready,     ///< connect link scraped, or the URL deadline passed with the bridge alive
    error,     ///< the keeper could not start the bridge (see `error`)
    exited,    ///< the bridge exited (see `bridge_exit`); the keeper exits with it
};

/// The wire name (`"starting"`, `"ready"`, `"error"`, `"exited"`).
std::string_view to_string(keeper_state s) noexcept;

/// Parses a wire name; nullopt for anything else.
std::optional<keeper_state> keeper_state_from_string(std::string_view s) noexcept;

/// What a PTY keeper publishes about itself and its bridge.
///
/// The file is the only channel between a keeper and clauster: clauster never
/// holds a socket to a keeper, it reads this file and signals pids it names,
/// after checking their start identity (pid + start ticks + boot id).
struct keeper_sidecar {
    int keeper_pid = 0;
    /// `/proc/<keeper>/stat` field 22 (clock ticks since boot).
    std::optional<std::uint64_t> keeper_start_ticks;
    std::optional<int> bridge_pid;
    /// `/proc/<bridge>/stat` field 22 (clock ticks since boot).
    std::optional<std::uint64_t> bridge_start_ticks;
    /// Bridge start as epoch seconds (boot time + ticks / CLK_TCK): coarse, see spec §7.3.
    std::optional<double> bridge_proc_start;
    /// `/proc/sys/kernel/random/boot_id` of the boot both start ticks count from.
    std::optional<std::string> boot_id;
    std::optional<std::string> connect_url;  ///< `https://claude.ai/code/session_…`
    std::optional<std::string> session_id;   ///< `session_…`
    keeper_state state = keeper_state::starting;
    std::optional<std::string> error;  ///< why the keeper failed, or how the bridge died
    std::optional<std::string> note;   ///< why a ready card has no link
    std::optional<int> bridge_exit;    ///< exit code; 128 + signal when killed

    bool operator==(const keeper_sidecar&) const = default;
};

/// The sidecar as one JSON object (every field present; absent values are `null`).
std::string serialize_keeper_sidecar(const keeper_sidecar& sidecar);

/// Parses a sidecar written by @ref serialize_keeper_sidecar (unknown fields are ignored).
///
/// @return nullopt when the text is not a JSON object, when `keeper_pid` is not a
/// positive integer, when `state` is unknown, or when a known field has the wrong
/// type (a pid that is a bool, a string or negative is never trusted).
/// @par Exception safety
/// Never throws.
std::optional<keeper_sidecar> parse_keeper_sidecar(std::string_view text) noexcept;

/// Reads and parses the sidecar at @p path.
///
/// @return nullopt when the file is missing, is not a regular file, is larger
/// than 64 KiB, or does not parse (a malformed sidecar reads as absent).
/// @par Exception safety
/// Never throws.
std::optional<keeper_sidecar> read_keeper_sidecar(const std::filesystem::path& path) noexcept;

//------------------------------------------------------------------------------
// Connect-link scraping

/// Removes terminal escape sequences (CSI, OSC, DCS/SOS/PM/APC strings, two- and
/// three-byte ESC sequences) and C0 controls other than `\t`, `\n` and `\r`.
///
/// An escape sequence cut off by the end of @p raw is dropped with everything after it.
std::string strip_terminal_escapes(std::string_view raw);

/// A connect link found in terminal output.
struct connect_link {
    std::string url;         ///< `https://claude.ai/code/session_…`
    std::string session_id;  ///< `session_…`

    bool operator==(const connect_link&) const = default;
};

/// Finds `https?://claude\.ai/code/(session_[A-Za-z0-9]+)` in @p raw terminal output,
/// after @ref strip_terminal_escapes (the TUI may split the URL with cursor escapes).
///
/// @param complete false while more output may follow: a match that runs to the
/// end of the text is then not trusted, since the id may be cut in two.
/// @return the first complete match, or nullopt.
std::optional<connect_link> find_connect_link(std::string_view raw, bool complete);

//------------------------------------------------------------------------------
// The keeper process

/// Exit codes of @ref run_pty_keeper besides the bridge's own.
inline constexpr int keeper_exit_openpty_failed = 70;  ///< `openpty` failed (sidecar: error)
inline constexpr int keeper_exit_spawn_failed = 71;    ///< the bridge could not be started (sidecar: error)
inline constexpr int keeper_exit_sidecar_failed = 73;  ///< the first sidecar could not be written; nothing spawned

/// How a keeper is run: `clauster __pty-keeper__ --sidecar <stem>.keeper.json
/// --cwd <dir> [--state-dir <dir>] [--transcript <file>] [--url-deadline <s>] -- <bridge argv>`.
struct pty_keeper_options {
    std::filesystem::path sidecar;
    /// The bridge's working directory (the project, or its worktree root).
    std::filesystem::path cwd;
    /// The bridge command; argv[0] is an absolute path (no PATH search).
    std::vector<std::string> bridge_argv;
    /// After this long without a link, a live bridge is published ready with a note.
    std::chrono::seconds url_deadline{30};
    /// Accepted for launcher compatibility with the reference; unused.
    std::optional<std::filesystem::path> state_dir;
    /// When set, the raw PTY output is appended here (mode 0600), for a terminal view.
    std::optional<std::filesystem::path> transcript;
    /// The transcript stops growing past this size.
    std::uintmax_t transcript_max_bytes = 32ull * 1024 * 1024;
    /// The PTY window size. Wide, so the TUI never wraps the connect URL.
    unsigned short columns = 200;
    unsigned short rows = 50;
};

/// Parses the arguments that follow `__pty-keeper__` (options, `--`, bridge argv).
///
/// `--sidecar` and `--cwd` are required, as is a non-empty bridge argv after `--`
/// whose first element is an absolute path. Options take `--name value` or
/// `--name=value`; `--url-deadline` is whole seconds (0 to 86400).
/// @param error set to a one-line reason when nullopt is returned.
std::optional<pty_keeper_options> parse_pty_keeper_args(const std::vector<std::string>& args, std::string& error);

/// The whole life of a PTY keeper; blocks until the bridge exits.
///
/// Writes the sidecar (`starting`), opens a PTY, starts the bridge as a session
/// leader with the PTY as its controlling terminal and stdio, then drains the PTY,
/// scrapes the connect link (`ready`), forwards SIGINT/SIGTERM received by the
/// keeper to the bridge, ignores SIGHUP, and when the bridge exits publishes
/// `exited` with its code. The keeper never talks to the server: the sidecar is
/// its only output (plus a few lines on stderr, the `.keeper.log`).
///
/// The bridge inherits this process's environment: the launcher scrubs it.
///
/// @par Thread safety
/// Call from a single-threaded process (it forks, and it blocks SIGINT, SIGTERM
/// and SIGCHLD for its duration to read them through a signalfd).
/// @return the bridge's exit code (128 + signal when it was killed), or
/// @ref keeper_exit_openpty_failed, @ref keeper_exit_spawn_failed,
/// @ref keeper_exit_sidecar_failed.
int run_pty_keeper(const pty_keeper_options& options);

}  // namespace clauster::core
