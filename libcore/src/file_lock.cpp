#include <clauster/core/file_lock.hpp>

#include <clauster/core/crypto.hpp>
#include <clauster/core/secure_fs.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clauster::core {
namespace fs = std::filesystem;

namespace {

failure os_failure(std::string_view what, const fs::path& p, int err) {
    return make_failure(errc::invalid_state, std::string(what) + " " + p.string() + ": " + std::strerror(err));
}

/// Opens (creating 0600) the lock file; never follows a symlink.
outcome<int> open_lock_file(const fs::path& path) {
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return os_failure("cannot open lock file", path, errno);
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_failure(errc::invalid_state, "lock file " + path.string() + " is not a regular file");
    }
    return fd;
}

/// One LOCK_NB attempt: true when taken, false when held elsewhere.
outcome<bool> try_lock(int fd, const fs::path& path) {
    for (;;) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return false;
        return os_failure("cannot lock", path, errno);
    }
}

failure busy(const fs::path& path) {
    return make_failure(errc::unavailable, "lock " + path.string() + " is held by another process");
}

}  // namespace

//------------------------------------------------------------------------------

outcome<file_lock> file_lock::acquire(const fs::path& path, clock::time_point deadline) {
    auto fd = open_lock_file(path);
    if (!fd) return fd.error();
    // Poll with a capped exponential backoff rather than a blocking flock: a blocking
    // call cannot be bounded without signals, and contention here is short-lived.
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        auto taken = try_lock(*fd, path);
        if (!taken) {
            ::close(*fd);
            return taken.error();
        }
        if (*taken) return file_lock(*fd, path);
        const auto now = clock::now();
        if (now >= deadline) {
            ::close(*fd);
            return make_failure(errc::unavailable, "timed out waiting for lock " + path.string());
        }
        std::this_thread::sleep_for(std::min<clock::duration>(pause, deadline - now));
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

outcome<file_lock> file_lock::try_acquire(const fs::path& path) {
    auto fd = open_lock_file(path);
    if (!fd) return fd.error();
    auto taken = try_lock(*fd, path);
    if (!taken || !*taken) {
        ::close(*fd);
        if (!taken) return taken.error();
        return busy(path);
    }
    return file_lock(*fd, path);
}

file_lock::file_lock(file_lock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
    other.fd_ = -1;
}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        other.fd_ = -1;
    }
    return *this;
}

file_lock::~file_lock() { release(); }

void file_lock::release() noexcept {
    if (fd_ < 0) return;
    // Closing the last descriptor of the open file description drops the flock.
    ::close(fd_);
    fd_ = -1;
}

//------------------------------------------------------------------------------

outcome<fs::path> lock_path_for(const fs::path& state_dir, std::string_view kind, std::string_view key) {
    const bool kind_ok = !kind.empty() && kind.size() <= 32 && std::all_of(kind.begin(), kind.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!kind_ok) return make_failure(errc::invalid_argument, "invalid lock kind '" + std::string(kind) + "'");
    const fs::path dir = state_dir / "locks";
    if (auto made = ensure_private_dir(dir); !made) return made.error();
    return dir / (std::string(kind) + "-" + crypto::sha256_hex(key).substr(0, 32) + ".lock");
}

}  // namespace clauster::core
