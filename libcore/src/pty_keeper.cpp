#include <clauster/core/pty_keeper.hpp>

#include <clauster/core/proc_fs.hpp>
#include <clauster/core/secure_fs.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <csignal>
#include <cstring>
#include <iostream>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace clauster::core {
namespace fs = std::filesystem;

//------------------------------------------------------------------------------
// Sidecar model

namespace {

constexpr std::array<std::pair<keeper_state, std::string_view>, 4> keeper_state_names{{
    {keeper_state::starting, "starting"},
    {keeper_state::ready, "ready"},
    {keeper_state::error, "error"},
    {keeper_state::exited, "exited"},
}};

/// Largest sidecar read: the keeper writes well under 4 KiB.
constexpr std::uintmax_t max_sidecar_bytes = 64 * 1024;

/// Replaces every byte that is not part of well-formed UTF-8 with '?', so the
/// JSON we write always parses (terminal output and paths are arbitrary bytes).
std::string valid_utf8(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    std::size_t i = 0;
    while (i < in.size()) {
        const auto c = static_cast<unsigned char>(in[i]);
        std::size_t len = 0;
        unsigned min_cp = 0;
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            min_cp = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            min_cp = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            min_cp = 0x10000;
        }
        bool ok = len != 0 && i + len <= in.size();
        unsigned cp = len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (std::size_t k = 1; ok && k < len; ++k) {
            const auto cc = static_cast<unsigned char>(in[i + k]);
            ok = (cc & 0xC0) == 0x80;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        ok = ok && cp >= min_cp && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        if (ok) {
            out.append(in.substr(i, len));
            i += len;
        } else {
            out.push_back('?');
            ++i;
        }
    }
    return out;
}

template <class T>
boost::json::value optional_value(const std::optional<T>& v) {
    if (!v) return nullptr;
    if constexpr (std::is_same_v<T, std::string>)
        return boost::json::value(valid_utf8(*v));
    else
        return boost::json::value(*v);
}

// Field readers: false means "present with the wrong type" (the whole sidecar is
// then rejected); absent and null both read as nullopt.

bool read_integer(const boost::json::object& o, std::string_view key, std::int64_t min, std::int64_t max,
                  std::optional<std::int64_t>& out) {
    out.reset();
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    std::int64_t n = 0;
    if (v->is_int64()) {
        n = v->get_int64();
    } else if (v->is_uint64()) {
        if (v->get_uint64() > static_cast<std::uint64_t>(max)) return false;
        n = static_cast<std::int64_t>(v->get_uint64());
    } else {
        return false;  // bools, doubles and strings are never pids or ticks
    }
    if (n < min || n > max) return false;
    out = n;
    return true;
}

bool read_pid(const boost::json::object& o, std::string_view key, std::optional<int>& out) {
    std::optional<std::int64_t> n;
    if (!read_integer(o, key, 1, INT_MAX, n)) return false;
    out.reset();
    if (n) out = static_cast<int>(*n);
    return true;
}

bool read_ticks(const boost::json::object& o, std::string_view key, std::optional<std::uint64_t>& out) {
    std::optional<std::int64_t> n;
    if (!read_integer(o, key, 0, std::numeric_limits<std::int64_t>::max(), n)) return false;
    out.reset();
    if (n) out = static_cast<std::uint64_t>(*n);
    return true;
}

bool read_string(const boost::json::object& o, std::string_view key, std::optional<std::string>& out) {
    out.reset();
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    if (!v->is_string()) return false;
    out = std::string(v->get_string());
    return true;
}

bool read_number(const boost::json::object& o, std::string_view key, std::optional<double>& out) {
    out.reset();
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    if (v->is_double())
        out = v->get_double();
    else if (v->is_int64())
        out = static_cast<double>(v->get_int64());
    else if (v->is_uint64())
        out = static_cast<double>(v->get_uint64());
    else
        return false;
    return true;
}

std::optional<keeper_sidecar> sidecar_from_json(const boost::json::value& doc) {
    const auto* o = doc.if_object();
    if (o == nullptr) return std::nullopt;
    keeper_sidecar s;
    std::optional<int> keeper_pid;
    std::optional<std::string> state;
    std::optional<std::int64_t> bridge_exit;
    const bool ok =
        read_pid(*o, "keeper_pid", keeper_pid) && read_ticks(*o, "keeper_start_ticks", s.keeper_start_ticks) &&
        read_pid(*o, "bridge_pid", s.bridge_pid) && read_ticks(*o, "bridge_start_ticks", s.bridge_start_ticks) &&
        read_number(*o, "bridge_proc_start", s.bridge_proc_start) && read_string(*o, "boot_id", s.boot_id) &&
        read_string(*o, "connect_url", s.connect_url) && read_string(*o, "session_id", s.session_id) &&
        read_string(*o, "state", state) && read_string(*o, "error", s.error) && read_string(*o, "note", s.note) &&
        read_integer(*o, "bridge_exit", INT_MIN, INT_MAX, bridge_exit);
    if (!ok || !keeper_pid || !state) return std::nullopt;
    const auto parsed_state = keeper_state_from_string(*state);
    if (!parsed_state) return std::nullopt;
    s.keeper_pid = *keeper_pid;
    s.state = *parsed_state;
    if (bridge_exit) s.bridge_exit = static_cast<int>(*bridge_exit);
    return s;
}

}  // namespace

std::string_view to_string(keeper_state s) noexcept {
    for (const auto& [value, name] : keeper_state_names)
        if (value == s) return name;
    return "error";
}

std::optional<keeper_state> keeper_state_from_string(std::string_view s) noexcept {
    for (const auto& [value, name] : keeper_state_names)
        if (name == s) return value;
    return std::nullopt;
}

std::string serialize_keeper_sidecar(const keeper_sidecar& s) {
    boost::json::object o;
    o["keeper_pid"] = s.keeper_pid;
    o["keeper_start_ticks"] = optional_value(s.keeper_start_ticks);
    o["bridge_pid"] = optional_value(s.bridge_pid);
    o["bridge_start_ticks"] = optional_value(s.bridge_start_ticks);
    o["bridge_proc_start"] = optional_value(s.bridge_proc_start);
    o["boot_id"] = optional_value(s.boot_id);
    o["connect_url"] = optional_value(s.connect_url);
    o["session_id"] = optional_value(s.session_id);
    o["state"] = to_string(s.state);
    o["error"] = optional_value(s.error);
    o["note"] = optional_value(s.note);
    o["bridge_exit"] = optional_value(s.bridge_exit);
    return boost::json::serialize(o);
}

std::optional<keeper_sidecar> parse_keeper_sidecar(std::string_view text) noexcept {
    if (text.size() > max_sidecar_bytes) return std::nullopt;
    try {
        boost::system::error_code ec;
        const boost::json::value doc = boost::json::parse(text, ec);
        if (ec) return std::nullopt;
        return sidecar_from_json(doc);
    } catch (const std::exception&) {
        // Only allocation failures get here; a sidecar we cannot read is absent.
        return std::nullopt;
    }
}

std::optional<keeper_sidecar> read_keeper_sidecar(const fs::path& path) noexcept {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    std::string text;
    bool ok =
        ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) <= max_sidecar_bytes;
    while (ok) {
        char buf[4096];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        if (text.size() + static_cast<std::size_t>(n) > max_sidecar_bytes) {
            ok = false;  // grew while we read it
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    return parse_keeper_sidecar(text);
}

//------------------------------------------------------------------------------
// Connect-link scraping

namespace {

constexpr bool is_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string strip_terminal_escapes(std::string_view raw) {
    constexpr char esc = '\x1b';
    std::string out;
    out.reserve(raw.size());
    std::size_t i = 0;
    const std::size_t n = raw.size();
    // Skips a control string (OSC, DCS, SOS, PM, APC) from i; false when unterminated.
    auto skip_string = [&]() {
        while (i < n) {
            if (raw[i] == '\x07') {
                ++i;
                return true;
            }
            if (raw[i] == esc) {
                if (i + 1 >= n) return false;
                if (raw[i + 1] == '\\') {
                    i += 2;
                    return true;
                }
            }
            ++i;
        }
        return false;
    };
    while (i < n) {
        const char c = raw[i];
        if (c != esc) {
            const auto u = static_cast<unsigned char>(c);
            if (u >= 0x20 || c == '\n' || c == '\r' || c == '\t') out.push_back(c);
            ++i;
            continue;
        }
        if (i + 1 >= n) break;  // cut off: the rest arrives later
        const char kind = raw[i + 1];
        if (kind == '[') {  // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E
            i += 2;
            while (i < n && raw[i] >= 0x20 && raw[i] <= 0x3F) ++i;
            if (i >= n) break;
            if (raw[i] >= 0x40 && raw[i] <= 0x7E) ++i;  // else malformed: resume at that byte
            continue;
        }
        if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
            i += 2;
            if (!skip_string()) break;
            continue;
        }
        if (kind >= 0x20 && kind <= 0x2F) {  // nF: ESC, intermediates, one final byte (ESC ( B)
            i += 1;
            while (i < n && raw[i] >= 0x20 && raw[i] <= 0x2F) ++i;
            if (i >= n) break;
            ++i;
            continue;
        }
        i += 2;  // two-byte sequences: ESC 7, ESC 8, ESC M, ESC =, ESC c, …
    }
    return out;
}

std::optional<connect_link> find_connect_link(std::string_view raw, bool complete) {
    const std::string text = strip_terminal_escapes(raw);
    constexpr std::string_view marker = "://claude.ai/code/session_";
    std::size_t from = 0;
    for (;;) {
        const std::size_t at = text.find(marker, from);
        if (at == std::string::npos) return std::nullopt;
        from = at + 1;
        std::size_t start = 0;
        if (at >= 5 && text.compare(at - 5, 5, "https") == 0)
            start = at - 5;
        else if (at >= 4 && text.compare(at - 4, 4, "http") == 0)
            start = at - 4;
        else
            continue;
        const std::size_t id_begin = at + marker.size() - std::string_view("session_").size();
        std::size_t end = at + marker.size();
        while (end < text.size() && is_alnum(text[end])) ++end;
        if (end == at + marker.size()) continue;        // `session_` alone
        if (end == text.size() && !complete) continue;  // the id may go on in the next read
        return connect_link{text.substr(start, end - start), text.substr(id_begin, end - id_begin)};
    }
}

//------------------------------------------------------------------------------
// Arguments

std::optional<pty_keeper_options> parse_pty_keeper_args(const std::vector<std::string>& args, std::string& error) {
    pty_keeper_options options;
    bool have_sidecar = false;
    bool have_cwd = false;
    bool have_deadline = false;
    bool have_state_dir = false;
    bool have_transcript = false;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!arg.starts_with("--")) {
            error = "unexpected argument '" + arg + "' (the bridge command goes after --)";
            return std::nullopt;
        }
        std::string name = arg;
        std::string value;
        bool inline_value = false;
        if (const auto eq = arg.find('='); eq != std::string::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            inline_value = true;
        }
        bool* seen = name == "--sidecar"        ? &have_sidecar
                     : name == "--cwd"          ? &have_cwd
                     : name == "--url-deadline" ? &have_deadline
                     : name == "--state-dir"    ? &have_state_dir
                     : name == "--transcript"   ? &have_transcript
                                                : nullptr;
        if (seen == nullptr) {
            error = "unknown option " + name;
            return std::nullopt;
        }
        if (*seen) {
            error = name + " given twice";
            return std::nullopt;
        }
        *seen = true;
        if (!inline_value) {
            if (i + 1 >= args.size() || args[i + 1].starts_with("-")) {
                error = name + " needs a value";
                return std::nullopt;
            }
            value = args[++i];
        }
        if (value.empty()) {
            error = name + " needs a value";
            return std::nullopt;
        }
        if (name == "--sidecar") {
            options.sidecar = value;
        } else if (name == "--cwd") {
            options.cwd = value;
        } else if (name == "--state-dir") {
            options.state_dir = fs::path(value);
        } else if (name == "--transcript") {
            options.transcript = fs::path(value);
        } else {
            long seconds = -1;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
            if (ec != std::errc{} || end != value.data() + value.size() || seconds < 0 || seconds > 86400) {
                error = "--url-deadline must be whole seconds between 0 and 86400, not '" + value + "'";
                return std::nullopt;
            }
            options.url_deadline = std::chrono::seconds(seconds);
        }
    }
    if (!have_sidecar) {
        error = "--sidecar is required";
        return std::nullopt;
    }
    if (!have_cwd) {
        error = "--cwd is required";
        return std::nullopt;
    }
    options.bridge_argv.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    if (options.bridge_argv.empty()) {
        error = "the bridge command is missing (expected -- <claude> …)";
        return std::nullopt;
    }
    if (!fs::path(options.bridge_argv.front()).is_absolute()) {
        error = "the bridge command must be an absolute path, not '" + options.bridge_argv.front() + "'";
        return std::nullopt;
    }
    return options;
}

//------------------------------------------------------------------------------
// The keeper process

namespace {

/// An owned file descriptor.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

void log(std::string_view message) {
    std::cerr << "clauster pty-keeper[" << ::getpid() << "]: " << message << std::endl;
}

std::string errno_text(int err) {
    return std::strerror(err);
}

//------------------------------------------------------------------------------

bool publish(const fs::path& path, const keeper_sidecar& sidecar) {
    auto written = write_private_file_atomic(path, serialize_keeper_sidecar(sidecar) + "\n");
    if (!written) log("cannot write the sidecar: " + written.error().message);
    return static_cast<bool>(written);
}

/// A process started with no descriptor 0, 1 or 2 would hand one of them to the
/// PTY master or a pipe; park /dev/null there first.
void ensure_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            const int null_fd = ::open("/dev/null", O_RDWR);
            if (null_fd >= 0 && null_fd != fd) ::close(null_fd);  // cannot happen: open takes the lowest free fd
        }
    }
}

/// Blocks SIGINT, SIGTERM and SIGCHLD and reads them through a signalfd for as
/// long as it lives; restores the previous mask afterwards.
class blocked_signals {
public:
    blocked_signals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGCHLD);
        ::sigprocmask(SIG_BLOCK, &set_, &previous_);
        fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
        if (!fd_) error_ = errno;
    }
    ~blocked_signals() {
        // A stop request that raced the bridge's exit was meant for the bridge:
        // consume it rather than let it kill the keeper (and its exit code) on unblock.
        if (fd_) {
            signalfd_siginfo info{};
            while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            }
        }
        ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
    }
    blocked_signals(const blocked_signals&) = delete;
    blocked_signals& operator=(const blocked_signals&) = delete;

    int fd() const noexcept { return fd_.get(); }
    int error() const noexcept { return error_; }

    /// Reads every pending signal; @return their numbers.
    std::vector<int> take() {
        std::vector<int> signals;
        signalfd_siginfo info{};
        for (;;) {
            const ssize_t n = ::read(fd_.get(), &info, sizeof info);
            if (n < 0 && errno == EINTR) continue;
            if (n != static_cast<ssize_t>(sizeof info)) break;
            signals.push_back(static_cast<int>(info.ssi_signo));
        }
        return signals;
    }

private:
    sigset_t set_{};
    sigset_t previous_{};
    unique_fd fd_;
    int error_ = 0;
};

//------------------------------------------------------------------------------
// Spawning the bridge

enum spawn_stage : int { stage_setsid = 1, stage_terminal, stage_stdio, stage_chdir, stage_exec };

struct spawn_report {
    int stage;
    int err;
};

struct child_plan {
    std::vector<std::string> storage;
    std::vector<char*> argv;
    std::string cwd;
    std::string slave_name;
    int slave = -1;
    int report_fd = -1;
    int max_fd = 1024;
};

[[noreturn]] void child_fail(const child_plan& plan, int stage) {
    const spawn_report report{stage, errno};
    [[maybe_unused]] const ssize_t n = ::write(plan.report_fd, &report, sizeof report);
    ::_exit(127);
}

/// Runs in the forked child: async-signal-safe calls only (all memory was prepared before fork).
[[noreturn]] void become_bridge(const child_plan& plan) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Ignored dispositions survive exec: give the TUI the defaults it expects.
    for (const int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU})
        ::signal(sig, SIG_DFL);

    if (::setsid() < 0) child_fail(plan, stage_setsid);
    // Opened by name as a session leader without a terminal, the slave becomes the
    // controlling terminal; TIOCSCTTY makes that explicit (and covers the fallback fd).
    int tty = ::open(plan.slave_name.c_str(), O_RDWR);
    if (tty < 0) tty = plan.slave;
    if (::ioctl(tty, TIOCSCTTY, 0) < 0) child_fail(plan, stage_terminal);
    for (int fd = 0; fd <= 2; ++fd)
        if (::dup2(tty, fd) < 0) child_fail(plan, stage_stdio);
    if (::chdir(plan.cwd.c_str()) < 0) child_fail(plan, stage_chdir);
    // Nothing of the keeper's leaks into the bridge: every other descriptor closes on exec
    // (the report pipe stays usable until then, so an exec failure can still be told).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < plan.max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::execv(plan.argv[0], plan.argv.data());
    child_fail(plan, stage_exec);
}

std::string describe_spawn_failure(const spawn_report& r, const pty_keeper_options& options) {
    const std::string why = errno_text(r.err);
    switch (r.stage) {
        case stage_chdir:
            return "cannot enter " + options.cwd.string() + ": " + why;
        case stage_exec:
            return "cannot run " + options.bridge_argv.front() + ": " + why;
        case stage_setsid:
            return "cannot start a session for the bridge: " + why;
        default:
            return "cannot attach the bridge to the pty: " + why;
    }
}

/// Forks and execs the bridge on the PTY slave; @return its pid, or why it could not start.
outcome<pid_t> spawn_bridge(const pty_keeper_options& options, int slave, const std::string& slave_name) {
    child_plan plan;
    plan.storage = options.bridge_argv;
    for (auto& a : plan.storage) plan.argv.push_back(a.data());
    plan.argv.push_back(nullptr);
    plan.cwd = options.cwd.string();
    plan.slave_name = slave_name;
    plan.slave = slave;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        plan.max_fd = static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 65536));

    int report_pipe[2];
    if (::pipe2(report_pipe, O_CLOEXEC) != 0)
        return make_failure(errc::unavailable, "cannot create a pipe: " + errno_text(errno));
    unique_fd report_read(report_pipe[0]);
    unique_fd report_write(report_pipe[1]);
    plan.report_fd = report_write.get();

    const pid_t pid = ::fork();
    if (pid < 0) return make_failure(errc::unavailable, "cannot fork: " + errno_text(errno));
    if (pid == 0) become_bridge(plan);

    report_write.reset();
    spawn_report report{};
    ssize_t n = 0;
    do {
        n = ::read(report_read.get(), &report, sizeof report);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof report)) return pid;  // EOF: the exec succeeded

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return make_failure(errc::unavailable, describe_spawn_failure(report, options));
}

/// Reaps the bridge if it has exited; @return its exit code (128 + signal when killed).
std::optional<int> try_reap(pid_t pid) {
    int status = 0;
    pid_t r = 0;
    do {
        r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return std::nullopt;
    if (r < 0) {
        log("waitpid failed: " + errno_text(errno));  // cannot happen: the bridge is our child
        return 1;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

//------------------------------------------------------------------------------

/// What the bridge printed: a bounded window for the link scrape and a short tail
/// for the reason of a failed exit.
class terminal_output {
public:
    void feed(std::string_view bytes) {
        if (!link_found_) append_bounded(scan_, bytes, scan_limit);
        append_bounded(tail_, bytes, tail_limit);
    }

    std::optional<connect_link> scan(bool complete) {
        if (link_found_) return std::nullopt;
        auto link = find_connect_link(scan_, complete);
        if (link) {
            link_found_ = true;
            scan_.clear();
            scan_.shrink_to_fit();
        }
        return link;
    }

    /// The last non-blank line printed, without escapes, at most 300 bytes.
    std::string last_line() const {
        const std::string text = strip_terminal_escapes(tail_);
        std::size_t end = text.size();
        while (end > 0) {
            while (end > 0 &&
                   (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ' || text[end - 1] == '\t'))
                --end;
            std::size_t begin = end;
            while (begin > 0 && text[begin - 1] != '\n' && text[begin - 1] != '\r') --begin;
            std::string line = text.substr(begin, end - begin);
            const auto first = line.find_first_not_of(" \t");
            if (first != std::string::npos) return line.substr(first, 300);
            end = begin;
        }
        return {};
    }

private:
    static constexpr std::size_t scan_limit = 64 * 1024;
    static constexpr std::size_t tail_limit = 4 * 1024;

    static void append_bounded(std::string& buffer, std::string_view bytes, std::size_t limit) {
        if (bytes.size() >= limit) {
            buffer.assign(bytes.substr(bytes.size() - limit));
            return;
        }
        buffer.append(bytes);
        if (buffer.size() > limit) buffer.erase(0, buffer.size() - limit);
    }

    std::string scan_;
    std::string tail_;
    bool link_found_ = false;
};

/// The optional raw copy of the PTY output.
class transcript_file {
public:
    transcript_file(const std::optional<fs::path>& path, std::uintmax_t max_bytes) : max_bytes_(max_bytes) {
        if (!path) return;
        fd_.reset(::open(path->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
        if (!fd_) {
            log("cannot open the transcript " + path->string() + ": " + errno_text(errno));
            return;
        }
        ::fchmod(fd_.get(), 0600);
        struct stat st {};
        if (::fstat(fd_.get(), &st) == 0) written_ = static_cast<std::uintmax_t>(st.st_size);
    }

    void write(std::string_view bytes) {
        if (!fd_) return;
        if (written_ + bytes.size() > max_bytes_) {
            log("the transcript reached its size limit; no longer appending");
            fd_.reset();
            return;
        }
        while (!bytes.empty()) {
            const ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                log("cannot append to the transcript: " + errno_text(errno));
                fd_.reset();
                return;
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
            written_ += static_cast<std::uintmax_t>(n);
        }
    }

private:
    unique_fd fd_;
    std::uintmax_t written_ = 0;
    std::uintmax_t max_bytes_;
};

/// Reads the master until it would block; @return false once the slave side is gone (EIO).
bool drain_master(int master, terminal_output& output, transcript_file& transcript) {
    std::array<char, 16 * 1024> buf{};
    for (;;) {
        const ssize_t n = ::read(master, buf.data(), buf.size());
        if (n > 0) {
            const std::string_view bytes(buf.data(), static_cast<std::size_t>(n));
            output.feed(bytes);
            transcript.write(bytes);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;  // EIO: no process holds the slave any more (or EOF)
    }
}

std::string deadline_note(std::chrono::seconds deadline) {
    return "claude printed no connect link within " + std::to_string(deadline.count()) +
           " s (newer claude builds and --continue resumes do not print one); open the session from "
           "claude.ai/code";
}

}  // namespace

int run_pty_keeper(const pty_keeper_options& options) {
    using clock = std::chrono::steady_clock;
    ensure_standard_fds();
    // A launcher that ignored SIGCHLD would make the kernel reap the bridge for us.
    ::signal(SIGCHLD, SIG_DFL);

    // 1. The initial sidecar: clauster learns who the keeper is before anything can fail.
    keeper_sidecar sidecar;
    sidecar.keeper_pid = ::getpid();
    if (const auto self = current_identity(sidecar.keeper_pid)) {
        sidecar.keeper_start_ticks = self->start_ticks;
        sidecar.boot_id = self->boot_id;
    }
    sidecar.state = keeper_state::starting;
    if (!publish(options.sidecar, sidecar)) return keeper_exit_sidecar_failed;

    auto fail = [&](int code, std::string why) {
        log(why);
        sidecar.state = keeper_state::error;
        sidecar.error = std::move(why);
        publish(options.sidecar, sidecar);
        return code;
    };

    // Blocked before the fork so that a stop request arriving during the spawn is
    // forwarded rather than lost (or acted on by its default: killing the keeper).
    blocked_signals signals;
    if (signals.error() != 0) return fail(keeper_exit_spawn_failed, "signalfd failed: " + errno_text(signals.error()));

    // 2. The PTY, wide enough that the TUI never wraps the link.
    int master_fd = -1;
    int slave_fd = -1;
    winsize size{options.rows, options.columns, 0, 0};
    if (::openpty(&master_fd, &slave_fd, nullptr, nullptr, &size) != 0)
        return fail(keeper_exit_openpty_failed, "openpty failed: " + errno_text(errno));
    unique_fd master(master_fd);
    unique_fd slave(slave_fd);
    std::array<char, 128> slave_name{};
    if (::ptsname_r(master.get(), slave_name.data(), slave_name.size()) != 0)
        return fail(keeper_exit_openpty_failed, "ptsname failed: " + errno_text(errno));
    ::fcntl(master.get(), F_SETFD, FD_CLOEXEC);
    ::fcntl(slave.get(), F_SETFD, FD_CLOEXEC);

    // 3. The bridge: a session leader with the PTY as its controlling terminal and stdio.
    auto spawned = spawn_bridge(options, slave.get(), slave_name.data());
    if (!spawned) return fail(keeper_exit_spawn_failed, spawned.error().message);
    const pid_t bridge = *spawned;

    // 4. Only the bridge holds the slave now, so its exit shows as EIO on the master.
    //    A hangup of the keeper's own terminal must not end the keeper.
    slave.reset();
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    ::fcntl(master.get(), F_SETFL, ::fcntl(master.get(), F_GETFL) | O_NONBLOCK);
    sidecar.bridge_pid = bridge;
    // One read of /proc/<bridge>/stat: ticks and epoch describe the same process.
    if (const auto identity = current_identity(bridge)) {
        sidecar.bridge_start_ticks = identity->start_ticks;
        sidecar.bridge_proc_start = identity->proc_start;
        if (identity->boot_id) sidecar.boot_id = identity->boot_id;
    }
    publish(options.sidecar, sidecar);
    log("bridge pid " + std::to_string(bridge) + " started on " + slave_name.data());

    // 5. Drain loop: poll() (select() breaks past fd 1024), 500 ms ticks.
    transcript_file transcript(options.transcript, options.transcript_max_bytes);
    terminal_output output;
    const auto url_deadline = clock::now() + options.url_deadline;
    bool master_open = true;
    auto publish_link = [&](const connect_link& link) {
        sidecar.connect_url = link.url;
        sidecar.session_id = link.session_id;
        sidecar.note.reset();
        log("connect link found");
        publish(options.sidecar, sidecar);
    };

    std::optional<int> exit_code;
    while (!exit_code) {
        auto timeout = std::chrono::milliseconds(500);
        if (sidecar.state == keeper_state::starting) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(url_deadline - clock::now());
            timeout = std::clamp(left, std::chrono::milliseconds(0), timeout);
        }
        std::array<pollfd, 2> fds{{{master_open ? master.get() : -1, POLLIN, 0}, {signals.fd(), POLLIN, 0}}};
        if (::poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) < 0 && errno != EINTR)
            log("poll failed: " + errno_text(errno));

        if (master_open && fds[0].revents != 0) master_open = drain_master(master.get(), output, transcript);
        if (fds[1].revents != 0) {
            for (const int sig : signals.take()) {
                if (sig != SIGINT && sig != SIGTERM) continue;
                // The bridge is our unreaped child, so its pid cannot have been recycled.
                log(std::string("forwarding ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + " to the bridge");
                ::kill(bridge, sig);
            }
        }
        exit_code = try_reap(bridge);
        if (exit_code) break;

        if (auto link = output.scan(false)) {
            sidecar.state = keeper_state::ready;
            publish_link(*link);
        } else if (sidecar.state == keeper_state::starting && clock::now() >= url_deadline) {
            sidecar.state = keeper_state::ready;
            sidecar.note = deadline_note(options.url_deadline);
            log("no connect link before the deadline; published ready without one");
            publish(options.sidecar, sidecar);
        }
    }

    // 6. The bridge is gone: take what it printed last, then publish its exit.
    if (master_open) drain_master(master.get(), output, transcript);
    if (auto link = output.scan(true)) {
        sidecar.connect_url = link->url;
        sidecar.session_id = link->session_id;
    }
    sidecar.state = keeper_state::exited;
    sidecar.bridge_exit = *exit_code;
    if (*exit_code != 0) {
        std::string why = "bridge exited with code " + std::to_string(*exit_code);
        if (const auto line = output.last_line(); !line.empty()) why += ": " + line;
        sidecar.error = why;
    }
    publish(options.sidecar, sidecar);
    log("bridge exited with code " + std::to_string(*exit_code));
    return *exit_code;
}

}  // namespace clauster::core
