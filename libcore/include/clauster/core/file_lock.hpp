#pragma once

#include <clauster/core/error.hpp>

#include <chrono>
#include <filesystem>
#include <string_view>

namespace clauster::core {

/// An exclusive advisory `flock(2)` on a lock file, released on destruction.
///
/// The lock file is opened (created 0600 when missing) with `O_CLOEXEC|O_NOFOLLOW`
/// and is **never unlinked**: unlinking a lock file lets a waiter lock the old inode
/// while a newcomer locks a fresh one, and both believe they hold the lock.
///
/// Each acquisition opens its own file description, so two `file_lock`s on the same
/// path exclude each other between processes *and* between threads of one process.
/// The lock dies with the descriptor: a crashed holder never leaves it stuck.
///
/// @par Thread safety
/// A `file_lock` object is not shared; distinct objects are independent.
///
/// @par Errors
/// - `unavailable`: the lock is held elsewhere (try_acquire) or was not obtained
///   before the deadline (acquire).
/// - `invalid_state`: the lock file cannot be opened or is not a regular file.
class file_lock {
public:
    using clock = std::chrono::steady_clock;

    /// Takes the lock, retrying with a short backoff until @p deadline; never hangs.
    ///
    /// Blocks the calling thread (keep it off the io thread, or use a short deadline).
    static outcome<file_lock> acquire(const std::filesystem::path& path, clock::time_point deadline);

    /// Takes the lock, waiting at most @p timeout.
    static outcome<file_lock> acquire(const std::filesystem::path& path, clock::duration timeout) {
        return acquire(path, clock::now() + timeout);
    }

    /// One non-blocking attempt.
    static outcome<file_lock> try_acquire(const std::filesystem::path& path);

    file_lock(file_lock&& other) noexcept;
    file_lock& operator=(file_lock&& other) noexcept;
    file_lock(const file_lock&) = delete;
    file_lock& operator=(const file_lock&) = delete;
    ~file_lock();

    /// Releases early (idempotent).
    void release() noexcept;

    /// True until released or moved from.
    bool held() const noexcept { return fd_ >= 0; }

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    file_lock(int fd, std::filesystem::path path) noexcept : fd_(fd), path_(std::move(path)) {}

    int fd_ = -1;
    std::filesystem::path path_;
};

/// The lock file for (@p kind, @p key): `state_dir/locks/<kind>-<sha256(key)[:32]>.lock`,
/// creating `state_dir/locks` with mode 0700.
///
/// Kinds in use: `project` (per-project spawn lock shared by the CLI and the server,
/// keyed by project name) and `claude-json` (keyed by the real path of `~/.claude.json`).
///
/// @param kind `[a-z0-9-]{1,32}`.
/// @par Errors
/// `invalid_argument` for a bad kind; `invalid_state` when the locks dir cannot be made private.
outcome<std::filesystem::path> lock_path_for(const std::filesystem::path& state_dir, std::string_view kind,
                                             std::string_view key);

}  // namespace clauster::core
