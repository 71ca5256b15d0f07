#include "cmd_instances.hpp"

#include "engine.hpp"

#include <clauster/core/bridge_logs.hpp>
#include <clauster/core/redaction.hpp>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::cli {
namespace {

struct logs_options {
    std::string ref;
    bool follow = false;
};

bool is_log_file(const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::is_regular_file(std::filesystem::symlink_status(p, ec));
}

/// The debug log to show: the recorded public log, else the recorded raw log
/// (redacted below either way), else, for a bridge whose row has no usable path
/// (a stopped bridge, logs moved), the newest `<label>-<ms>-<seq>.log` in
/// `state_dir/logs`, matched exactly on the label.
std::optional<std::filesystem::path> log_file_for(const core::instance& inst, const std::filesystem::path& state_dir) {
    for (const auto& candidate : {inst.bridge_debug_log_path, inst.bridge_raw_log_path})
        if (candidate && is_log_file(*candidate)) return *candidate;
    const auto dir = core::logs_dir(state_dir);
    if (inst.log_stem) {
        const auto set = core::log_set_for(dir, *inst.log_stem);
        if (is_log_file(set.debug_log)) return set.debug_log;
    }
    if (const auto stem = core::find_latest_log_set(dir, inst.label)) {
        const auto set = core::log_set_for(dir, *stem);
        if (is_log_file(set.debug_log)) return set.debug_log;
    }
    return std::nullopt;
}

/// Prints the redacted complete lines of @p path from @p offset on and advances
/// @p offset past them; a trailing partial line stays unread until its newline
/// arrives. A file that shrank (rotated or truncated) is read again from the start.
void emit_complete_lines(const std::filesystem::path& path, std::uintmax_t& offset) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return;
    }
    const auto size = static_cast<std::uintmax_t>(st.st_size);
    if (size < offset) offset = 0;
    if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
        ::close(fd);
        return;
    }
    std::string pending;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (auto nl = pending.find('\n', start); nl != std::string::npos; nl = pending.find('\n', start)) {
            std::string_view line(pending.data() + start, nl - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            std::cout << core::redact_line(line) << '\n';
            offset += nl + 1 - start;
            start = nl + 1;
        }
        pending.erase(0, start);
    }
    ::close(fd);
    std::cout.flush();
}

void run_logs(const global_options& global, const logs_options& o) {
    // Block the stop signals before anything else, so that with --follow a
    // SIGINT/SIGTERM is taken synchronously between polls and ends with exit 0.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (o.follow) ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

    std::optional<std::filesystem::path> path;
    {
        // The engine (database, executor) is only needed to find the file;
        // it is closed before a --follow that may last for hours.
        auto eng = engine::open_or_exit(global);
        eng->run(eng->instances().recover(/*read_only=*/true));
        const auto inst = resolve_or_exit(*eng, o.ref);
        path = log_file_for(inst, eng->state_dir());
        if (!path) {
            say("no bridge log on disk for '" + o.ref + "' (project '" + inst.project + "', " +
                std::string(core::to_string(inst.status)) +
                "); it has not written one yet, or log retention removed it");
            throw command_exit{exit_bad_input};
        }
    }

    std::uintmax_t offset = 0;
    emit_complete_lines(*path, offset);
    if (!o.follow) return;

    // Poll every 0.5 s; sigtimedwait is the sleep and the exit path at once.
    const timespec poll_interval{0, 500'000'000};
    for (;;) {
        const int sig = ::sigtimedwait(&stop_signals, nullptr, &poll_interval);
        if (sig == SIGINT || sig == SIGTERM) return;
        emit_complete_lines(*path, offset);
    }
}

}  // namespace

void setup_logs(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<logs_options>();
    auto* cmd = app.add_subcommand("logs", "Print a bridge's debug log (redacted, complete lines only)");
    cmd->add_option("instance", o->ref, "Instance id, unique id prefix, or project name")->required();
    cmd->add_flag("-f,--follow", o->follow, "Keep printing appended lines until interrupted (polls every 0.5 s)");
    cmd->callback([global, o] { run_logs(*global, *o); });
}

}  // namespace clauster::cli
