#include <clauster/core/proc_fs.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <type_traits>

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

namespace clauster::core {
namespace {

static_assert(std::is_same_v<pid_t, int>, "process_identity::pid is an int");

/// Epoch tolerances of identity_matches (internals §1.3).
constexpr double epoch_tolerance_without_ticks = 2.0;
constexpr double epoch_tolerance_same_boot = 3600.0;

std::string proc_path(int pid, std::string_view leaf) {
    std::string p = "/proc/";
    p += std::to_string(pid);
    p += '/';
    p += leaf;
    return p;
}

/// Reads a whole procfs file. Their st_size is 0, so read until EOF.
std::optional<std::string> read_small_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return std::nullopt;
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

template <class Int>
bool parse_int(std::string_view s, Int& out) {
    if (s.empty()) return false;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

/// Splits on single spaces (the stat format) into at most @p max fields.
std::vector<std::string_view> split_fields(std::string_view s, std::size_t max) {
    std::vector<std::string_view> fields;
    while (!s.empty() && fields.size() < max) {
        const auto sp = s.find(' ');
        fields.push_back(s.substr(0, sp));
        if (sp == std::string_view::npos) break;
        s.remove_prefix(sp + 1);
    }
    return fields;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}

/// The numeric entries of /proc (every process), unordered.
std::vector<int> all_pids() {
    std::vector<int> pids;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return pids;
    while (const dirent* entry = ::readdir(dir)) {
        int pid = 0;
        if (parse_int(std::string_view(entry->d_name), pid) && pid > 0) pids.push_back(pid);
    }
    ::closedir(dir);
    return pids;
}

/// ppid → children, from one scan of every /proc/<n>/stat.
std::multimap<int, int> scan_parent_map() {
    std::multimap<int, int> children;
    for (const int pid : all_pids())
        if (const auto st = read_proc_stat(pid)) children.emplace(st->ppid, pid);
    return children;
}

/// Children of @p pid from /proc/<pid>/task/*/children (one file per thread: a
/// child belongs to the thread that forked it). nullopt when the kernel lacks
/// CONFIG_PROC_CHILDREN or the process is gone.
std::optional<std::vector<int>> children_from_task_files(int pid) {
    const std::string task_dir = proc_path(pid, "task");
    DIR* dir = ::opendir(task_dir.c_str());
    if (dir == nullptr) return std::nullopt;
    std::vector<int> tids;
    while (const dirent* entry = ::readdir(dir)) {
        int tid = 0;
        if (parse_int(std::string_view(entry->d_name), tid) && tid > 0) tids.push_back(tid);
    }
    ::closedir(dir);

    std::set<int> kids;
    bool any_file = false;
    for (const int tid : tids) {
        const auto text = read_small_file(task_dir + "/" + std::to_string(tid) + "/children");
        if (!text) continue;  // the thread exited meanwhile, or no such file on this kernel
        any_file = true;
        std::string_view rest = *text;
        while (!rest.empty()) {
            const auto sp = rest.find_first_of(" \n");
            int child = 0;
            if (parse_int(rest.substr(0, sp), child) && child > 0) kids.insert(child);
            if (sp == std::string_view::npos) break;
            rest.remove_prefix(sp + 1);
        }
    }
    if (!any_file) return std::nullopt;
    return std::vector<int>(kids.begin(), kids.end());
}

bool task_children_supported() {
    static const bool supported = ::access("/proc/self/task", F_OK) == 0 &&
                                  ::access(proc_path(::getpid(), "task/" + std::to_string(::getpid()) + "/children").c_str(), F_OK) == 0;
    return supported;
}

}  // namespace

//------------------------------------------------------------------------------

bool is_exited_state(char state) noexcept { return state == 'Z' || state == 'X' || state == 'x'; }

std::optional<proc_stat> parse_proc_stat(std::string_view text) {
    // "<pid> (<comm>) <state> <ppid> <pgrp> <session> … <starttime(22)> …"
    const auto close = text.rfind(')');
    if (close == std::string_view::npos || close + 2 > text.size() || text[close + 1] != ' ') return std::nullopt;
    const auto fields = split_fields(trim(text.substr(close + 2)), 20);
    // fields[0] is field 3 (state) … fields[19] is field 22 (starttime).
    if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
    proc_stat st;
    st.state = fields[0][0];
    if (!parse_int(fields[1], st.ppid) || !parse_int(fields[2], st.pgrp) || !parse_int(fields[3], st.session) ||
        !parse_int(fields[19], st.start_ticks))
        return std::nullopt;
    return st;
}

std::optional<proc_stat> read_proc_stat(int pid) {
    if (pid <= 0) return std::nullopt;
    const auto text = read_small_file(proc_path(pid, "stat"));
    if (!text) return std::nullopt;
    return parse_proc_stat(*text);
}

std::optional<std::string> read_boot_id() {
    const auto text = read_small_file("/proc/sys/kernel/random/boot_id");
    if (!text) return std::nullopt;
    const auto id = trim(*text);
    if (id.empty()) return std::nullopt;
    return std::string(id);
}

std::optional<std::int64_t> boot_time_epoch() {
    const auto text = read_small_file("/proc/stat");
    if (!text) return std::nullopt;
    std::string_view rest = *text;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const auto line = rest.substr(0, nl);
        if (line.starts_with("btime ")) {
            std::int64_t value = 0;
            if (parse_int(trim(line.substr(6)), value) && value > 0) return value;
            return std::nullopt;
        }
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
    }
    return std::nullopt;
}

long clock_ticks_per_second() noexcept {
    static const long hz = [] {
        const long v = ::sysconf(_SC_CLK_TCK);
        return v > 0 ? v : 100L;  // 100 is the USER_HZ of every Linux ABI
    }();
    return hz;
}

std::optional<std::vector<std::string>> read_cmdline(int pid) {
    if (pid <= 0) return std::nullopt;
    const auto text = read_small_file(proc_path(pid, "cmdline"));
    if (!text) return std::nullopt;
    std::vector<std::string> argv;
    std::string_view rest = *text;
    while (!rest.empty()) {
        const auto nul = rest.find('\0');
        argv.emplace_back(rest.substr(0, nul));
        if (nul == std::string_view::npos) break;
        rest.remove_prefix(nul + 1);
    }
    return argv;
}

std::optional<std::filesystem::path> read_cwd(int pid) {
    if (pid <= 0) return std::nullopt;
    std::error_code ec;
    auto target = std::filesystem::read_symlink(proc_path(pid, "cwd"), ec);
    if (ec) return std::nullopt;
    return target;
}

process_identity identity_from_stat(int pid, const proc_stat& stat) {
    process_identity id;
    id.pid = pid;
    id.start_ticks = stat.start_ticks;
    id.boot_id = read_boot_id();
    if (const auto btime = boot_time_epoch())
        id.proc_start = static_cast<double>(*btime) +
                        static_cast<double>(stat.start_ticks) / static_cast<double>(clock_ticks_per_second());
    return id;
}

std::optional<process_identity> current_identity(int pid) {
    const auto st = read_proc_stat(pid);
    if (!st || is_exited_state(st->state)) return std::nullopt;
    return identity_from_stat(pid, *st);
}

bool identity_matches(const process_identity& recorded, const process_identity& current) {
    if (recorded.pid <= 0 || recorded.pid != current.pid) return false;

    const bool ticks_recorded = recorded.start_ticks.has_value();
    if (ticks_recorded && recorded.start_ticks != current.start_ticks) return false;

    if (recorded.boot_id && current.boot_id) {
        if (*recorded.boot_id != *current.boot_id) return false;  // an earlier boot's row
        if (ticks_recorded) return true;                          // complete identity
    }

    const bool epochs = recorded.proc_start.has_value() && current.proc_start.has_value();
    const double delta = epochs ? std::fabs(*recorded.proc_start - *current.proc_start) : 0.0;
    if (ticks_recorded) return !epochs || delta <= epoch_tolerance_same_boot;
    return epochs && delta <= epoch_tolerance_without_ticks;
}

std::vector<int> child_pids(int pid) {
    if (pid <= 0) return {};
    if (task_children_supported()) return children_from_task_files(pid).value_or(std::vector<int>{});
    std::vector<int> kids;
    const auto map = scan_parent_map();
    const auto [first, last] = map.equal_range(pid);
    for (auto it = first; it != last; ++it) kids.push_back(it->second);
    std::sort(kids.begin(), kids.end());
    return kids;
}

std::vector<int> descendant_pids(int pid) {
    std::vector<int> out;
    if (pid <= 0) return out;
    std::set<int> seen{pid};
    std::deque<int> queue{pid};

    // Without task/*/children, one scan of /proc serves the whole walk.
    std::optional<std::multimap<int, int>> parent_map;
    if (!task_children_supported()) parent_map = scan_parent_map();

    while (!queue.empty()) {
        const int parent = queue.front();
        queue.pop_front();
        std::vector<int> kids;
        if (parent_map) {
            const auto [first, last] = parent_map->equal_range(parent);
            for (auto it = first; it != last; ++it) kids.push_back(it->second);
            std::sort(kids.begin(), kids.end());
        } else {
            kids = child_pids(parent);
        }
        for (const int kid : kids) {
            if (!seen.insert(kid).second) continue;  // a recycled pid must not loop the walk
            out.push_back(kid);
            queue.push_back(kid);
        }
    }
    return out;
}

}  // namespace clauster::core
