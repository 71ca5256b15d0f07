#include <clauster/core/bridge_logs.hpp>

#include <clauster/core/secure_fs.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <tuple>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

/// Known suffixes, longest first so `.raw.log` wins over `.log`.
constexpr std::array<std::string_view, 6> known_suffixes{
    ".stderr.log", ".keeper.json", ".keeper.log", ".screen.json", ".raw.log", ".log"};

bool is_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

/// A stem split as `^(.+)-(\d+)-(\d+)$`.
struct stem_parts {
    std::string_view label;
    std::uint64_t epoch_ms = 0;
    std::uint64_t seq = 0;
};

std::optional<stem_parts> split_stem(std::string_view stem) {
    const auto last = stem.rfind('-');
    if (last == std::string_view::npos || last == 0) return std::nullopt;
    const auto prev = stem.rfind('-', last - 1);
    if (prev == std::string_view::npos || prev == 0) return std::nullopt;
    const auto ms_text = stem.substr(prev + 1, last - prev - 1);
    const auto seq_text = stem.substr(last + 1);
    if (!is_digits(ms_text) || !is_digits(seq_text)) return std::nullopt;
    const auto ms = to_u64(ms_text);
    const auto seq = to_u64(seq_text);
    if (!ms || !seq) return std::nullopt;
    return stem_parts{stem.substr(0, prev), *ms, *seq};
}

std::uint64_t epoch_ms(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

std::int64_t mtime_ms(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

/// One log set found on disk.
struct log_set {
    std::string stem;
    std::uint64_t epoch_ms = 0;
    std::uint64_t seq = 0;
    std::int64_t newest_mtime_ms = 0;
    std::uintmax_t bytes = 0;
    std::vector<fs::path> files;
};

/// Groups the files of @p dir by stem (unrelated files and directories are skipped).
std::map<std::string, log_set, std::less<>> scan_log_sets(const fs::path& dir, std::vector<std::string>& errors) {
    std::map<std::string, log_set, std::less<>> sets;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        if (ec != std::errc::no_such_file_or_directory) errors.push_back("cannot list " + dir.string() + ": " + ec.message());
        return sets;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) {
            errors.push_back("cannot list " + dir.string() + ": " + ec.message());
            break;
        }
        const fs::path& path = it->path();
        auto stem = log_stem_of(path.filename().string());
        if (!stem) continue;
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0) continue;  // vanished meanwhile
        if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
        auto parts = split_stem(*stem);
        auto& set = sets[*stem];
        if (set.files.empty()) {
            set.stem = *stem;
            set.epoch_ms = parts->epoch_ms;
            set.seq = parts->seq;
        }
        set.files.push_back(path);
        if (S_ISREG(st.st_mode)) set.bytes += static_cast<std::uintmax_t>(st.st_size);
        set.newest_mtime_ms = std::max(set.newest_mtime_ms, mtime_ms(st));
    }
    return sets;
}

}  // namespace

//------------------------------------------------------------------------------

std::string log_label(std::string_view label) {
    std::string out;
    out.reserve(std::min<std::size_t>(label.size(), 64));
    for (char c : label.substr(0, 64)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        out.push_back(ok ? c : '_');
    }
    if (out.find_first_not_of('.') == std::string::npos) out = "_";
    return out;
}

std::string make_log_stem(std::string_view label, std::chrono::system_clock::time_point now, std::uint64_t seq) {
    return log_label(label) + "-" + std::to_string(epoch_ms(now)) + "-" + std::to_string(seq);
}

log_set_paths log_set_for(const fs::path& logs_dir, std::string_view stem) {
    const std::string s(stem);
    return log_set_paths{logs_dir / (s + ".log"), logs_dir / (s + ".raw.log"), logs_dir / (s + ".stderr.log"),
                         logs_dir / (s + ".keeper.json"), logs_dir / (s + ".keeper.log")};
}

fs::path logs_dir(const fs::path& state_dir) { return state_dir / "logs"; }

outcome<fs::path> ensure_logs_dir(const fs::path& state_dir) {
    fs::path dir = logs_dir(state_dir);
    if (auto made = ensure_private_dir(dir); !made) return made.error();
    return dir;
}

std::optional<std::string> log_stem_of(std::string_view name) {
    // A rotated copy `<file>.<n>` belongs to the same set as `<file>`.
    if (const auto dot = name.rfind('.'); dot != std::string_view::npos && is_digits(name.substr(dot + 1))) {
        const auto base = name.substr(0, dot);
        if (std::any_of(known_suffixes.begin(), known_suffixes.end(),
                        [&](std::string_view s) { return base.ends_with(s); }))
            name = base;
    }
    for (std::string_view suffix : known_suffixes) {
        if (!name.ends_with(suffix)) continue;
        const auto stem = name.substr(0, name.size() - suffix.size());
        if (!split_stem(stem)) return std::nullopt;
        return std::string(stem);
    }
    return std::nullopt;
}

//------------------------------------------------------------------------------

outcome<void> precreate_log(const fs::path& path) {
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int err = errno;
        const errc code = err == EEXIST ? errc::already_exists : errc::invalid_state;
        return make_failure(code, "cannot create log file " + path.string() + ": " + std::strerror(err));
    }
    // A restrictive umask can only remove bits; make the mode exact anyway.
    const bool ok = ::fchmod(fd, 0600) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) return make_failure(errc::invalid_state, "cannot chmod " + path.string() + ": " + std::strerror(err));
    return {};
}

std::string read_tail(const fs::path& path, std::size_t max_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return {};
    std::string out;
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && max_bytes > 0) {
        const auto size = static_cast<std::uintmax_t>(st.st_size);
        const std::uintmax_t start = size > max_bytes ? size - max_bytes : 0;
        out.resize(static_cast<std::size_t>(size - start));
        std::size_t used = 0;
        while (used < out.size()) {
            const ssize_t n = ::pread(fd, out.data() + used, out.size() - used,
                                      static_cast<off_t>(start + used));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // error, or the file shrank
            used += static_cast<std::size_t>(n);
        }
        out.resize(used);
        if (start > 0) {
            // Do not begin in the middle of a UTF-8 sequence (at most 3 continuation bytes).
            std::size_t skip = 0;
            while (skip < 3 && skip < out.size() && (static_cast<unsigned char>(out[skip]) & 0xC0U) == 0x80U) ++skip;
            out.erase(0, skip);
        }
    }
    ::close(fd);
    return out;
}

//------------------------------------------------------------------------------

log_prune_report prune_log_sets(const fs::path& dir, const log_retention_policy& policy,
                                const std::set<std::string, std::less<>>& protected_stems,
                                std::chrono::system_clock::time_point now) {
    log_prune_report report;
    auto by_stem = scan_log_sets(dir, report.errors);

    std::vector<log_set> sets;
    sets.reserve(by_stem.size());
    for (auto& [stem, set] : by_stem) sets.push_back(std::move(set));
    std::sort(sets.begin(), sets.end(), [](const log_set& a, const log_set& b) {
        return std::tie(a.epoch_ms, a.newest_mtime_ms, a.seq, a.stem) <
               std::tie(b.epoch_ms, b.newest_mtime_ms, b.seq, b.stem);
    });

    std::size_t remaining_sets = sets.size();
    std::uintmax_t remaining_bytes = 0;
    for (const auto& s : sets) remaining_bytes += s.bytes;

    const auto remove_set = [&](const log_set& s) {
        bool all_gone = true;
        for (const auto& file : s.files) {
            std::error_code ec;
            struct stat st{};
            const bool regular = ::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode);
            if (fs::remove(file, ec)) {
                if (regular) report.freed_bytes += static_cast<std::uintmax_t>(st.st_size);
            } else if (ec) {
                all_gone = false;
                report.errors.push_back("cannot remove " + file.string() + ": " + ec.message());
            }
        }
        if (all_gone) report.deleted_stems.push_back(s.stem);
        --remaining_sets;
        remaining_bytes -= std::min(remaining_bytes, s.bytes);
    };

    const std::uint64_t now_ms = epoch_ms(now);
    const std::uint64_t max_age_ms = std::uint64_t{policy.max_age_days} * 24 * 60 * 60 * 1000;
    const std::uint64_t cutoff_ms = now_ms > max_age_ms ? now_ms - max_age_ms : 0;
    const std::uintmax_t max_bytes = policy.max_total_mb * 1024 * 1024;

    const auto over_limits = [&] {
        return (policy.max_files != 0 && remaining_sets > policy.max_files) ||
               (policy.max_total_mb != 0 && remaining_bytes > max_bytes);
    };

    for (const auto& s : sets) {
        if (protected_stems.contains(s.stem)) continue;
        const bool too_old = policy.max_age_days != 0 && s.epoch_ms < cutoff_ms &&
                             s.newest_mtime_ms < static_cast<std::int64_t>(cutoff_ms);
        if (too_old || over_limits()) remove_set(s);
    }
    return report;
}

std::optional<std::string> find_latest_log_set(const fs::path& dir, std::string_view label) {
    const std::string wanted = log_label(label);
    std::optional<std::tuple<std::uint64_t, std::uint64_t, std::string>> best;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return std::nullopt;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        auto stem = log_stem_of(it->path().filename().string());
        if (!stem) continue;
        const auto parts = split_stem(*stem);
        if (parts->label != wanted) continue;
        auto key = std::make_tuple(parts->epoch_ms, parts->seq, *stem);
        if (!best || key > *best) best = std::move(key);
    }
    if (!best) return std::nullopt;
    return std::get<2>(*best);
}

}  // namespace clauster::core
