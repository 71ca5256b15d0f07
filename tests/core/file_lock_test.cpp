#include <clauster/core/file_lock.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace clauster::core;
namespace fs = std::filesystem;
using clauster::test::temp_dir;

namespace {

/// A child process that holds a file_lock on a path until told to let go.
class lock_holder {
public:
    explicit lock_holder(const fs::path& path) {
        int ready[2];
        int release[2];
        REQUIRE(::pipe(ready) == 0);
        REQUIRE(::pipe(release) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::close(ready[0]);
            ::close(release[1]);
            auto lock = file_lock::try_acquire(path);
            const char status = lock ? 'L' : 'E';
            if (::write(ready[1], &status, 1) != 1) ::_exit(3);
            char c = 0;
            (void)!::read(release[0], &c, 1);  // returns when the parent writes or dies
            ::_exit(lock ? 0 : 1);
        }
        ::close(ready[1]);
        ::close(release[0]);
        release_fd_ = release[1];
        char status = 0;
        REQUIRE(::read(ready[0], &status, 1) == 1);
        ::close(ready[0]);
        REQUIRE(status == 'L');
    }
    ~lock_holder() {
        let_go();
        if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
    }
    lock_holder(const lock_holder&) = delete;
    lock_holder& operator=(const lock_holder&) = delete;

    /// Lets the child release and exit; @return its exit status.
    int let_go() {
        if (release_fd_ >= 0) {
            const char c = 'x';
            (void)!::write(release_fd_, &c, 1);
            ::close(release_fd_);
            release_fd_ = -1;
        }
        int status = 0;
        if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        return -1;
    }

    void kill_hard() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        if (release_fd_ >= 0) ::close(release_fd_);
        release_fd_ = -1;
    }

private:
    pid_t pid_ = -1;
    int release_fd_ = -1;
};

}  // namespace

TEST_CASE("file_lock excludes another process until it releases", "[core]") {
    temp_dir dir;
    const auto path = dir / "a.lock";
    lock_holder holder(path);

    auto busy = file_lock::try_acquire(path);
    REQUIRE_FALSE(busy.has_value());
    CHECK(busy.error().code == errc::unavailable);

    SECTION("acquire gives up at the deadline") {
        const auto start = std::chrono::steady_clock::now();
        auto timed_out = file_lock::acquire(path, std::chrono::milliseconds(100));
        const auto waited = std::chrono::steady_clock::now() - start;
        REQUIRE_FALSE(timed_out.has_value());
        CHECK(timed_out.error().code == errc::unavailable);
        CHECK(waited >= std::chrono::milliseconds(100));
        CHECK(waited < std::chrono::seconds(5));

        auto past = file_lock::acquire(path, std::chrono::steady_clock::now() - std::chrono::seconds(1));
        CHECK_FALSE(past.has_value());
    }
    SECTION("released by the holder") {
        CHECK(holder.let_go() == 0);
        auto lock = file_lock::acquire(path, std::chrono::seconds(10));
        REQUIRE(lock.has_value());
        CHECK(lock->held());
    }
    SECTION("released when the holder dies") {
        holder.kill_hard();
        CHECK(file_lock::acquire(path, std::chrono::seconds(10)).has_value());
    }
}

TEST_CASE("file_lock objects in one process exclude each other; RAII release", "[core]") {
    temp_dir dir;
    const auto path = dir / "b.lock";
    {
        auto first = file_lock::try_acquire(path);
        REQUIRE(first.has_value());
        CHECK_FALSE(file_lock::try_acquire(path).has_value());

        file_lock moved = std::move(*first);
        CHECK_FALSE(first->held());
        CHECK(moved.held());
        CHECK_FALSE(file_lock::try_acquire(path).has_value());

        moved.release();
        CHECK_FALSE(moved.held());
        auto second = file_lock::try_acquire(path);
        REQUIRE(second.has_value());
    }
    CHECK(file_lock::try_acquire(path).has_value());
    // The lock file is never unlinked (no flock+unlink inode race) and is private.
    CHECK(fs::is_regular_file(path));
    CHECK(clauster::test::mode_of(path) == 0600);
}

TEST_CASE("file_lock refuses a symlink and a directory", "[core]") {
    temp_dir dir;
    clauster::test::write_file(dir / "target", "x");
    fs::create_symlink(dir / "target", dir / "link.lock");
    auto via_link = file_lock::try_acquire(dir / "link.lock");
    REQUIRE_FALSE(via_link.has_value());
    CHECK(via_link.error().code == errc::invalid_state);

    fs::create_directory(dir / "dir.lock");
    CHECK_FALSE(file_lock::try_acquire(dir / "dir.lock").has_value());
}

TEST_CASE("lock_path_for hashes the key under a private locks dir", "[core]") {
    temp_dir dir;
    auto path = lock_path_for(dir.path(), "project", "my-app");
    REQUIRE(path);
    CHECK(path->parent_path() == dir / "locks");
    CHECK(clauster::test::mode_of(dir / "locks") == 0700);
    const auto name = path->filename().string();
    CHECK(name.starts_with("project-"));
    CHECK(name.ends_with(".lock"));
    CHECK(name.size() == std::string("project-").size() + 32 + std::string(".lock").size());
    CHECK(*path == *lock_path_for(dir.path(), "project", "my-app"));
    CHECK(*path != *lock_path_for(dir.path(), "project", "my-app2"));
    CHECK(*path != *lock_path_for(dir.path(), "claude-json", "my-app"));

    CHECK_FALSE(lock_path_for(dir.path(), "", "k"));
    CHECK_FALSE(lock_path_for(dir.path(), "../x", "k"));
    CHECK(lock_path_for(dir.path(), "a/b", "k").error().code == errc::invalid_argument);
}
