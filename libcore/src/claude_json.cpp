#include "claude_json.hpp"
#include "text_io.hpp"

#include <clauster/core/file_lock.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::core::detail {
namespace fs = std::filesystem;

std::optional<std::set<std::string>> read_trusted_paths(const fs::path& claude_json) {
    std::error_code ec;
    const auto size = fs::file_size(claude_json, ec);
    if (ec || size > claude_json_max_bytes) return std::nullopt;
    std::ifstream in(claude_json, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();

    boost::system::error_code parse_ec;
    const boost::json::value doc = boost::json::parse(text.str(), parse_ec);
    if (parse_ec || !doc.is_object()) return std::nullopt;
    std::set<std::string> trusted;
    const auto* projects = doc.as_object().if_contains("projects");
    if (projects == nullptr || !projects->is_object()) return trusted;
    for (const auto& [path, entry] : projects->as_object()) {
        if (!entry.is_object()) continue;
        const auto* accepted = entry.as_object().if_contains("hasTrustDialogAccepted");
        if (accepted != nullptr && accepted->is_bool() && accepted->as_bool()) trusted.emplace(path);
    }
    return trusted;
}

//------------------------------------------------------------------------------
// Pretty printing

namespace {

void append_indent(std::string& out, std::size_t depth) { out.append(depth * 2, ' '); }

void append_double(std::string& out, double d) {
    // JSON.stringify writes non-finite numbers as null.
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    if (ec != std::errc()) {
        out += boost::json::serialize(boost::json::value(d));
        return;
    }
    out.append(buf, end);
}

void append_pretty(std::string& out, const boost::json::value& v, std::size_t depth) {
    switch (v.kind()) {
        case boost::json::kind::object: {
            const auto& obj = v.get_object();
            if (obj.empty()) {
                out += "{}";
                return;
            }
            out += "{\n";
            bool first = true;
            for (const auto& kv : obj) {
                if (!first) out += ",\n";
                first = false;
                append_indent(out, depth + 1);
                out += boost::json::serialize(kv.key());
                out += ": ";
                append_pretty(out, kv.value(), depth + 1);
            }
            out += '\n';
            append_indent(out, depth);
            out += '}';
            return;
        }
        case boost::json::kind::array: {
            const auto& arr = v.get_array();
            if (arr.empty()) {
                out += "[]";
                return;
            }
            out += "[\n";
            bool first = true;
            for (const auto& item : arr) {
                if (!first) out += ",\n";
                first = false;
                append_indent(out, depth + 1);
                append_pretty(out, item, depth + 1);
            }
            out += '\n';
            append_indent(out, depth);
            out += ']';
            return;
        }
        case boost::json::kind::double_: append_double(out, v.get_double()); return;
        default: out += boost::json::serialize(v); return;
    }
}

}  // namespace

std::string to_pretty_json(const boost::json::value& root) {
    std::string out;
    append_pretty(out, root, 0);
    return out;
}

//------------------------------------------------------------------------------
// Read-modify-write

namespace {

failure io_failure(std::string_view what, const fs::path& p, int err) {
    return make_failure(errc::invalid_state, std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

using detail::write_all;

/// What the file was when we read it; compared again right before the rename.
struct file_identity {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    mode_t mode = 0600;
    uid_t uid = 0;
    gid_t gid = 0;

    bool same_file_state(const file_identity& o) const {
        return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns;
    }
};

file_identity identity_of(const struct stat& st) {
    file_identity id;
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.size = st.st_size;
    id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    id.mode = st.st_mode & 07777;
    id.uid = st.st_uid;
    id.gid = st.st_gid;
    return id;
}

/// The current identity of @p path (exists=false when missing), or a failure.
outcome<file_identity> stat_identity(const fs::path& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return file_identity{};
        return io_failure("cannot stat", path, errno);
    }
    return identity_of(st);
}

struct loaded_file {
    file_identity id;
    std::string text;
};

/// Reads the whole file; a missing file is `exists=false`, anything else that
/// stops us reading it is a failure (never "empty").
outcome<loaded_file> load(const fs::path& path) {
    // O_NOFOLLOW: the path is already resolved; a symlink appearing now is refused.
    // O_NONBLOCK: a FIFO in its place must not hang us (and is refused below).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) return loaded_file{};
        return io_failure("cannot read", path, errno);
    }
    loaded_file out;
    struct stat st{};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return io_failure("cannot stat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_failure(errc::invalid_state, path.string() + " is not a regular file; left unchanged");
    }
    if (static_cast<std::uintmax_t>(st.st_size) > claude_json_max_bytes) {
        ::close(fd);
        return make_failure(errc::invalid_state, path.string() + " is larger than 64 MiB; left unchanged");
    }
    out.id = identity_of(st);
    out.text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t used = 0;
    for (;;) {
        if (used == out.text.size()) {
            // Grew since fstat: keep reading, up to the cap.
            if (out.text.size() > claude_json_max_bytes) break;
            out.text.resize(out.text.size() + 4096);
        }
        const ssize_t n = ::read(fd, out.text.data() + used, out.text.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return io_failure("cannot read", path, err);
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (used > claude_json_max_bytes)
        return make_failure(errc::invalid_state, path.string() + " is larger than 64 MiB; left unchanged");
    out.text.resize(used);
    return out;
}

/// Writes `<file>.bak` once: never overwrites an existing backup (or anything else there).
outcome<void> backup_once(const fs::path& path, std::string_view original) {
    const fs::path bak = path.string() + ".bak";
    struct stat st{};
    if (::lstat(bak.c_str(), &st) == 0) return {};
    const int fd = ::open(bak.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return {};
        return io_failure("cannot create backup", bak, errno);
    }
    const bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, original) && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(bak.c_str());
        return io_failure("cannot write backup", bak, err);
    }
    return {};
}

/// A unique temp file beside @p path holding @p content with @p like's mode and owner.
outcome<std::string> write_temp(const fs::path& path, std::string_view content, const file_identity& like) {
    const fs::path dir = path.parent_path();
    std::string tmpl = (dir / ("." + path.filename().string() + ".clauster-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return io_failure("cannot create a temp file in", dir, errno);
    if (like.exists && (like.uid != ::geteuid() || like.gid != ::getegid())) {
        // Best effort: keep the owner when we can (root editing a user's file); a
        // failure leaves the file ours, which is still readable by us.
        [[maybe_unused]] const int ignored = ::fchown(fd, like.uid, like.gid);
    }
    const mode_t mode = like.exists ? like.mode : mode_t{0600};
    const bool ok = ::fchmod(fd, mode) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(tmpl.c_str());
        return io_failure("cannot write", path, err);
    }
    return tmpl;
}

void fsync_dir(const fs::path& dir) {
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

/// The file to edit: the target of a symlinked `~/.claude.json`, made absolute.
fs::path resolve_target(const fs::path& claude_json) {
    std::error_code ec;
    fs::path abs = fs::absolute(claude_json, ec);
    if (ec) abs = claude_json;
    fs::path real = fs::weakly_canonical(abs, ec);
    return ec ? abs.lexically_normal() : real;
}

}  // namespace

outcome<bool> update_claude_json(const fs::path& claude_json, const fs::path& state_dir,
                                 const claude_json_mutator& mutate, std::chrono::milliseconds lock_timeout) {
    const fs::path target = resolve_target(claude_json);
    auto lock_path = lock_path_for(state_dir, "claude-json", target.string());
    if (!lock_path) return lock_path.error();
    auto lock = file_lock::acquire(*lock_path, lock_timeout);
    if (!lock) return lock.error();

    // Claude Code does not take our lock: retry when the file changed between our
    // read and our rename, rather than silently dropping its write.
    constexpr int max_attempts = 5;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
        auto loaded = load(target);
        if (!loaded) return loaded.error();

        boost::json::value doc = boost::json::object();
        if (loaded->id.exists) {
            boost::json::parse_options options;
            options.max_depth = 256;
            boost::system::error_code ec;
            doc = boost::json::parse(loaded->text, ec, {}, options);
            if (ec)
                return make_failure(errc::invalid_state,
                                    target.string() + " does not parse (" + ec.message() + "); left unchanged");
            if (!doc.is_object())
                return make_failure(errc::invalid_state, target.string() + " is not a JSON object; left unchanged");
        }

        auto changed = mutate(doc.as_object());
        if (!changed) return changed.error();
        if (!*changed) return false;

        std::string text = to_pretty_json(doc);
        if (!loaded->id.exists || loaded->text.ends_with('\n')) text += '\n';

        if (loaded->id.exists) {
            if (auto saved = backup_once(target, loaded->text); !saved) return saved.error();
        }
        auto temp = write_temp(target, text, loaded->id);
        if (!temp) return temp.error();

        auto now = stat_identity(target);
        if (!now || !now->same_file_state(loaded->id)) {
            ::unlink(temp->c_str());
            if (!now) return now.error();
            continue;
        }
        if (::rename(temp->c_str(), target.c_str()) != 0) {
            const int err = errno;
            ::unlink(temp->c_str());
            return io_failure("cannot replace", target, err);
        }
        fsync_dir(target.parent_path());
        return true;
    }
    return make_failure(errc::conflict, target.string() + " kept changing while we updated it; try again");
}

}  // namespace clauster::core::detail
