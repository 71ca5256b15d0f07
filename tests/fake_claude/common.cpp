#include "common.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace clauster::fake_claude {

namespace json = boost::json;

//------------------------------------------------------------------------------

std::optional<std::string> env_value(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

std::string env_string(const char* name, std::string_view fallback) {
    auto value = env_value(name);
    if (!value || value->empty()) return std::string(fallback);
    return *value;
}

std::chrono::milliseconds env_seconds(const char* name, double fallback_seconds) {
    double seconds = fallback_seconds;
    if (auto text = env_value(name); text && !text->empty()) {
        char* end = nullptr;
        const double parsed = std::strtod(text->c_str(), &end);
        if (end != text->c_str() && parsed >= 0.0) seconds = parsed;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

bool env_flag(const char* name) {
    const auto value = env_string(name, "");
    return value == "1" || value == "true" || value == "yes";
}

steady_clock::time_point idle_deadline() {
    return steady_clock::now() + env_seconds("FAKE_CLAUDE_MAX_IDLE", 600.0);
}

//------------------------------------------------------------------------------

std::optional<std::string> flag_value(const arg_list& args, std::string_view flag) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "--") break;
        if (arg == flag) {
            if (i + 1 < args.size()) return args[i + 1];
            return std::nullopt;
        }
        if (arg.size() > flag.size() && arg.starts_with(flag) && arg[flag.size()] == '=')
            return std::string(arg.substr(flag.size() + 1));
    }
    return std::nullopt;
}

bool has_flag(const arg_list& args, std::string_view flag) {
    for (const auto& arg : args) {
        if (arg == "--") break;
        if (arg == flag) return true;
    }
    return false;
}

void record_argv(const fs::path& debug_file, int argc, char** argv) {
    json::array array;
    for (int i = 0; i < argc; ++i) array.emplace_back(argv[i]);
    auto target = debug_file;
    target += ".argv.json";
    write_json_atomic(target, array);
}

std::string render_args(const arg_list& args) {
    std::string out = "[";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i > 0) out += ", ";
        out += '\'';
        for (char c : args[i]) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        out += '\'';
    }
    out += ']';
    return out;
}

//------------------------------------------------------------------------------

fs::path home_dir() {
    if (auto home = env_value("HOME"); home && !home->empty()) return *home;
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
    return "/tmp";
}

fs::path claude_dir() { return home_dir() / ".claude"; }

fs::path current_dir() {
    std::error_code ec;
    auto cwd = fs::current_path(ec);
    return ec ? fs::path("/") : cwd;
}

std::string sanitize_path(std::string_view path) {
    std::string out(path);
    for (char& c : out) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) c = '-';
    }
    return out;
}

fs::path pointer_path(const fs::path& cwd) {
    return claude_dir() / "projects" / sanitize_path(cwd.string()) / "bridge-pointer.json";
}

fs::path transcript_path(const fs::path& cwd, std::string_view session_uuid) {
    return claude_dir() / "projects" / sanitize_path(cwd.string()) / (std::string(session_uuid) + ".jsonl");
}

//------------------------------------------------------------------------------

namespace {

void write_all(int fd, std::string_view text, const fs::path& what) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "write " + what.string());
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view content) {
    static unsigned counter = 0;
    fs::create_directories(path.parent_path());
    auto temp = path;
    temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + temp.string());
    try {
        write_all(fd, content, temp);
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw std::system_error(err, std::generic_category(), "rename " + path.string());
    }
}

void append_line(const fs::path& path, std::string_view line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
    std::string buffer(line);
    buffer += '\n';
    try {
        write_all(fd, buffer, path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

std::optional<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<json::object> read_json_object(const fs::path& path) {
    auto text = read_text(path);
    if (!text) return std::nullopt;
    std::error_code ec;
    json::value value = json::parse(*text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

void write_json_atomic(const fs::path& path, const json::value& value) {
    write_file_atomic(path, json::serialize(value) + "\n");
}

//------------------------------------------------------------------------------

std::optional<proc_stat> read_proc_stat(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    auto text = read_text("/proc/" + std::to_string(pid) + "/stat");
    if (!text) return std::nullopt;
    const auto close = text->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text->substr(close + 1));
    proc_stat stat;
    std::string field;
    // After the comm field come fields 3 (state) … 22 (starttime).
    for (int index = 3; index <= 22; ++index) {
        if (!(fields >> field)) return std::nullopt;
        if (index == 3) stat.state = field.empty() ? '?' : field[0];
    }
    stat.start_ticks = field;
    return stat;
}

std::string start_ticks(pid_t pid) {
    auto stat = read_proc_stat(pid);
    return stat ? stat->start_ticks : std::string();
}

bool is_alive(pid_t pid, std::string_view ticks) {
    auto stat = read_proc_stat(pid);
    if (!stat || stat->state == 'Z' || stat->state == 'X' || stat->state == 'x') return false;
    return ticks.empty() || stat->start_ticks == ticks;
}

std::int64_t epoch_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string random_hex(std::size_t count) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string bytes((count + 1) / 2, '\0');
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        const ssize_t n = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "getrandom");
        }
        filled += static_cast<std::size_t>(n);
    }
    std::string out;
    for (char byte : bytes) {
        const auto value = static_cast<unsigned char>(byte);
        out += digits[value >> 4U];
        out += digits[value & 0x0fU];
    }
    out.resize(count);
    return out;
}

std::string make_uuid(std::string_view prefix) {
    std::string hex(prefix.substr(0, std::min<std::size_t>(prefix.size(), 8)));
    hex += random_hex(32 - hex.size());
    hex[12] = '4';
    hex[16] = "89ab"[static_cast<unsigned char>(hex[16]) % 4U];
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
           hex.substr(20, 12);
}

namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

bool is_job_id(std::string_view text) {
    return text.size() == 8 && std::all_of(text.begin(), text.end(), is_lower_hex);
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!is_lower_hex(c) && !(c >= 'A' && c <= 'F')) {
            return false;
        }
    }
    return true;
}

void write_fd(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

//------------------------------------------------------------------------------

signal_listener::signal_listener(bool take_sigint) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGHUP, &ignore, nullptr);
    ::sigaction(SIGPIPE, &ignore, nullptr);
    if (!take_sigint) ::sigaction(SIGINT, &ignore, nullptr);
    // An ignored signal is discarded even while blocked, so a disposition of SIG_IGN
    // inherited through exec (nohup, some supervisors) would hide it from the signalfd.
    struct sigaction restore {};
    restore.sa_handler = SIG_DFL;
    ::sigemptyset(&restore.sa_mask);
    ::sigaction(SIGTERM, &restore, nullptr);
    if (take_sigint) ::sigaction(SIGINT, &restore, nullptr);

    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGTERM);
    if (take_sigint) ::sigaddset(&set, SIGINT);
    // Blocked signals stay pending until read from the descriptor: nothing is lost
    // between two waits.
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
        throw std::system_error(errno, std::generic_category(), "sigprocmask");
    fd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
}

signal_listener::~signal_listener() {
    if (fd_ >= 0) ::close(fd_);
}

int signal_listener::wait_until(steady_clock::time_point deadline) {
    for (;;) {
        // Rounded up, so a timeout is reported only once the deadline has really passed.
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
        if (left.count() <= 0) return 0;
        // poll() takes an int; cap each wait and loop.
        const auto slice = std::min<std::int64_t>(left.count(), 60'000);
        pollfd pfd{fd_, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(slice));
        if (ready < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        if (ready == 0) continue;
        signalfd_siginfo info{};
        const ssize_t n = ::read(fd_, &info, sizeof info);
        if (n == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            throw std::system_error(errno, std::generic_category(), "read signalfd");
    }
}

std::string_view signal_name(int sig) {
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
    }
}

}  // namespace clauster::fake_claude
