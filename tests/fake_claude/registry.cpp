#include "registry.hpp"

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace clauster::fake_claude {

namespace json = boost::json;

fs::path roster_path() { return claude_dir() / "daemon" / "roster.json"; }

fs::path jobs_dir() { return claude_dir() / "jobs"; }

fs::path sessions_dir() { return claude_dir() / "fake" / "sessions"; }

namespace {

/// An exclusive flock held for the lifetime of the object.
class exclusive_lock {
public:
    explicit exclusive_lock(const fs::path& path) {
        fs::create_directories(path.parent_path());
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd_);
            throw std::system_error(err, std::generic_category(), "flock " + path.string());
        }
    }
    ~exclusive_lock() { ::close(fd_); }
    exclusive_lock(const exclusive_lock&) = delete;
    exclusive_lock& operator=(const exclusive_lock&) = delete;

private:
    int fd_ = -1;
};

json::object workers_of(json::object roster) {
    if (auto* workers = roster.if_contains("workers"); workers != nullptr && workers->is_object())
        return std::move(workers->as_object());
    return {};
}

}  // namespace

void update_roster(const std::function<void(json::object& workers)>& edit) {
    const auto path = roster_path();
    exclusive_lock lock(path.parent_path() / "roster.lock");
    json::object roster = read_json_object(path).value_or(json::object{});
    json::object workers = workers_of(roster);
    edit(workers);
    roster["workers"] = std::move(workers);
    roster["updatedAt"] = epoch_ms();
    write_json_atomic(path, roster);
}

json::object read_roster_workers() { return workers_of(read_json_object(roster_path()).value_or(json::object{})); }

std::optional<roster_entry> roster_lookup(std::string_view job_id) {
    const json::object workers = read_roster_workers();
    const auto* entry = workers.if_contains(job_id);
    if (entry == nullptr || !entry->is_object()) return std::nullopt;
    const auto& object = entry->as_object();
    const auto* pid = object.if_contains("pid");
    const auto* start = object.if_contains("procStart");
    if (pid == nullptr || !pid->is_int64() || start == nullptr || !start->is_string()) return std::nullopt;
    roster_entry result;
    result.pid = static_cast<pid_t>(pid->as_int64());
    result.proc_start = std::string(start->as_string());
    return result;
}

fs::path session_record_path(pid_t pid) { return sessions_dir() / (std::to_string(pid) + ".json"); }

void write_session_record(std::string_view kind, std::string_view name, const fs::path& cwd) {
    const pid_t pid = ::getpid();
    json::object record;
    record["pid"] = pid;
    record["procStart"] = start_ticks(pid);
    record["cwd"] = cwd.string();
    record["kind"] = kind;
    record["state"] = "working";
    record["sessionId"] = make_uuid();
    record["startedAt"] = epoch_ms();
    record["name"] = name;
    write_json_atomic(session_record_path(pid), record);
}

void remove_session_record() {
    std::error_code ec;
    fs::remove(session_record_path(::getpid()), ec);
}

}  // namespace clauster::fake_claude
