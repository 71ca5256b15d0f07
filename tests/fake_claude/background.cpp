// `claude --bg …` and `claude rm <id>`: background agents.
//
// The real CLI hands the job to its per-user supervisor daemon, which runs a
// worker and records it in ~/.claude/jobs/<id>/state.json and
// ~/.claude/daemon/roster.json (clauster-internals.md §1.4, §1.8). The fake
// forks the worker itself (double fork + setsid) and writes the same files.

#include "entry_points.hpp"

#include "common.hpp"
#include "registry.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace clauster::fake_claude {

namespace json = boost::json;

namespace {

//------------------------------------------------------------------------------
// Command line.

struct bg_options {
    std::optional<std::string> resume;
    std::optional<std::string> rc_name;
    std::optional<std::string> model;
    std::optional<std::string> permission_mode;
    std::optional<std::string> prompt;
};

/// Parses `--bg [--resume <uuid>] [--rc <name>] [--model <m>] [--permission-mode <pm>] [-- <prompt>]`.
/// @return an error message in @p error when the line is refused.
std::optional<bg_options> parse_bg(const arg_list& args, std::string& error) {
    bg_options options;
    std::vector<std::string> words;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--bg") continue;
        if (arg == "--") {
            words.insert(words.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
            break;
        }
        std::optional<std::string>* slot = nullptr;
        std::string name = arg;
        std::optional<std::string> inline_value;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        if (name == "--resume") slot = &options.resume;
        else if (name == "--rc" || name == "--remote-control") slot = &options.rc_name;
        else if (name == "--model") slot = &options.model;
        else if (name == "--permission-mode") slot = &options.permission_mode;
        if (slot != nullptr) {
            std::string value;
            if (inline_value) {
                value = *inline_value;
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                error = "error: option '" + name + "' argument missing";
                return std::nullopt;
            }
            if (value.empty() || value.starts_with("-")) {
                error = "error: option '" + name + "' needs a value that does not start with '-'";
                return std::nullopt;
            }
            *slot = value;
            continue;
        }
        if (arg.starts_with("-")) {
            error = "error: unknown option '" + arg + "'";
            return std::nullopt;
        }
        words.push_back(arg);
    }
    if (options.resume && !is_uuid(*options.resume)) {
        error = "error: --resume expects a session UUID, got '" + *options.resume + "'";
        return std::nullopt;
    }
    std::string prompt;
    for (const auto& word : words) {
        if (!prompt.empty()) prompt += ' ';
        prompt += word;
    }
    if (prompt.find_first_not_of(" \t\r\n") != std::string::npos) options.prompt = prompt;
    if (!options.prompt && !options.rc_name && !options.resume) {
        error = "Error: --bg needs a prompt (after --) or --rc <name>";
        return std::nullopt;
    }
    return options;
}

/// A short slug of the prompt's first words, as the job name when no --rc name is given.
std::string name_from_prompt(std::string_view prompt, std::string_view job_id) {
    std::string slug;
    int words = 0;
    bool in_word = false;
    for (char c : prompt) {
        const auto uc = static_cast<unsigned char>(c);
        if (std::isalnum(uc) != 0) {
            if (!in_word && !slug.empty()) slug += '-';
            if (!in_word && ++words > 5) break;
            slug += static_cast<char>(std::tolower(uc));
            in_word = true;
        } else {
            in_word = false;
        }
        if (slug.size() >= 40) break;
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    return slug.empty() ? "bg-" + std::string(job_id) : slug;
}

//------------------------------------------------------------------------------
// The job record.

json::value optional_string(const std::optional<std::string>& value) {
    return value ? json::value(*value) : json::value(nullptr);
}

struct job_record {
    std::string id;
    std::string state = "working";
    std::string detail = "Starting";
    std::string tempo = "active";
    std::optional<std::string> needs;
    std::optional<std::string> result;
    std::optional<std::string> intent;
    std::string name;
    std::string cwd;
    std::string session_id;
    std::optional<std::string> bridge_session_id;
    std::string transcript;
    std::optional<std::string> model;
    std::optional<std::string> permission_mode;
    std::optional<std::string> resumed_from;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;

    fs::path dir() const { return jobs_dir() / id; }

    json::object to_json() const {
        json::object out;
        out["id"] = id;
        out["state"] = state;
        out["detail"] = detail;
        out["tempo"] = tempo;
        out["needs"] = optional_string(needs);
        out["result"] = optional_string(result);
        out["intent"] = optional_string(intent);
        out["name"] = name;
        out["cwd"] = cwd;
        out["sessionId"] = session_id;
        out["bridgeSessionId"] = optional_string(bridge_session_id);
        out["transcriptPath"] = transcript;
        out["linkScanPath"] = transcript;
        out["model"] = optional_string(model);
        out["permissionMode"] = optional_string(permission_mode);
        out["resumedFrom"] = optional_string(resumed_from);
        out["cliVersion"] = cli_version;
        out["createdAt"] = created_at;
        out["updatedAt"] = updated_at;
        return out;
    }

    /// Rewrites state.json, unless the job directory was removed meanwhile.
    void save() {
        updated_at = epoch_ms();
        std::error_code ec;
        if (!fs::is_directory(dir(), ec)) return;
        write_json_atomic(dir() / "state.json", to_json());
    }
};

std::string bridge_session_for(std::string_view job_id) {
    std::string upper(job_id);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "session_01TESTBG" + upper + "AAAAAA";
}

std::string default_result(const job_record& job) {
    // ANSI colours, a GitHub token and a Bearer value: redaction must see all three.
    std::string text = "\x1b[1;32m\xe2\x9c\x94 Task complete\x1b[0m\n";
    text += "Summary: " + job.intent.value_or("registered on claude.ai as " + job.name) + "\n";
    text += "Pushed the branch with token ghp_0123456789abcdefghijABCDEFGHIJklmnop\n";
    text += "curl -H 'Authorization: Bearer sk-ant-oat01-FAKEbearerVALUE0123456789abcdef' https://api.example.com/v1\n";
    text += "\x1b[2mduration 1.0s\x1b[0m";
    return text;
}

std::string failure_result() {
    return "\x1b[31mError:\x1b[0m the task failed: tool call rejected (token ghp_0123456789abcdefghijABCDEFGHIJklmnop "
           "was invalid)";
}

void append_transcript(const job_record& job, std::string_view role, std::string_view text) {
    json::object message;
    message["role"] = role;
    message["content"] = text;
    json::object line;
    line["type"] = role;
    line["message"] = std::move(message);
    line["sessionId"] = job.session_id;
    line["cwd"] = job.cwd;
    line["uuid"] = make_uuid();
    line["timestamp"] = epoch_ms();
    fs::create_directories(fs::path(job.transcript).parent_path());
    append_line(job.transcript, json::serialize(line));
}

//------------------------------------------------------------------------------
// The worker (runs detached, after the double fork).

/// Points 0/1/2 at /dev/null and closes every other inherited descriptor but @p keep_fd.
void detach_descriptors(int keep_fd) {
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
        for (int fd = 0; fd <= 2; ++fd) ::dup2(null_fd, fd);
        if (null_fd > 2) ::close(null_fd);
    }
    std::vector<int> open_fds;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
        const std::string name = entry.path().filename().string();
        const int fd = std::atoi(name.c_str());
        if (fd > 2 && fd != keep_fd) open_fds.push_back(fd);
    }
    for (int fd : open_fds) ::close(fd);  // includes the iterator's own, already closed: harmless EBADF
}

int run_worker(job_record& job, int ready_fd, const std::string& bg_mode) {
    detach_descriptors(ready_fd);
    signal_listener signals(bg_mode != "ignore_sigint");
    const auto idle_until = idle_deadline();
    const pid_t pid = ::getpid();

    update_roster([&](json::object& workers) {
        json::object entry;
        entry["pid"] = pid;
        entry["procStart"] = start_ticks(pid);
        entry["startedAt"] = epoch_ms();
        workers[job.id] = std::move(entry);
    });
    // Registered: the front process may now print the id and exit.
    write_fd(ready_fd, "R");
    ::close(ready_fd);

    job.detail = job.intent ? "Working on the task" : "Waiting on claude.ai";
    job.save();

    const auto never = steady_clock::time_point::max();
    auto work_at = steady_clock::now() + env_seconds("FAKE_CLAUDE_BG_WORK", 1.0);
    const auto confirm_window = env_seconds("FAKE_CLAUDE_SIGINT_WINDOW", 3.0);
    auto confirm_until = never;
    std::string base_state = "working";  // what state.json says when not stopping

    for (;;) {
        const int sig = signals.wait_until(std::min({work_at, confirm_until, idle_until}));
        if (sig == SIGTERM) break;
        if (sig == SIGINT) {
            if (confirm_until != never) break;  // the second Ctrl-C
            confirm_until = steady_clock::now() + confirm_window;
            job.state = "stopping";
            job.detail = "Stopping (interrupt again to exit)";
            job.save();
            continue;
        }
        const auto now = steady_clock::now();
        if (now >= work_at) {
            work_at = never;
            job.tempo = "idle";
            if (bg_mode == "blocked") {
                base_state = "blocked";
                job.needs = "Permission to run Bash(rm -rf build)";
                job.detail = "Waiting for permission";
                job.tempo = "active";
            } else if (bg_mode == "fail") {
                base_state = "failed";
                job.detail = "Failed";
                job.result = env_string("FAKE_CLAUDE_BG_RESULT", failure_result());
            } else {
                base_state = "done";
                job.detail = "Finished";
                job.result = env_string("FAKE_CLAUDE_BG_RESULT", default_result(job));
            }
            if (job.result) append_transcript(job, "assistant", *job.result);
            if (confirm_until == never) job.state = base_state;
            job.save();
        }
        if (now >= confirm_until) {
            // No second interrupt in time: back to what it was doing.
            confirm_until = never;
            job.state = base_state;
            job.detail = base_state == "working" ? "Working on the task" : job.detail;
            job.save();
        }
        if (now >= idle_until) break;
    }

    if (base_state == "working" || base_state == "blocked") {
        job.state = "stopped";
        job.detail = "Stopped";
    } else {
        job.state = base_state;  // a finished job keeps its outcome and result
    }
    job.tempo = "idle";
    job.save();
    update_roster([&](json::object& workers) { workers.erase(job.id); });
    return 0;
}

std::string fresh_job_id() {
    for (;;) {
        std::string id = random_hex(8);
        std::error_code ec;
        if (!fs::exists(jobs_dir() / id, ec)) return id;
    }
}

}  // namespace

//------------------------------------------------------------------------------

int run_background(int argc, char** argv) {
    const arg_list args(argv + 1, argv + argc);
    std::string error;
    const auto options = parse_bg(args, error);
    if (!options) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    const std::string bg_mode = env_string("FAKE_CLAUDE_BG_MODE", "");
    if (bg_mode == "dispatch_fail") {
        std::fputs("Error: failed to dispatch background session: supervisor did not respond (fake dispatch_fail)\n",
                   stderr);
        return 1;
    }

    job_record job;
    if (auto fixed = env_value("FAKE_CLAUDE_JOB_ID")) {
        if (!is_job_id(*fixed)) {
            std::fprintf(stderr, "fake-claude: FAKE_CLAUDE_JOB_ID must be 8 lowercase hex digits\n");
            return 2;
        }
        job.id = *fixed;
    } else {
        job.id = fresh_job_id();
    }
    const fs::path cwd = current_dir();
    job.cwd = cwd.string();
    job.session_id = make_uuid(job.id);
    job.intent = options->prompt;
    job.name = options->rc_name ? *options->rc_name : name_from_prompt(options->prompt.value_or(""), job.id);
    if (options->rc_name) job.bridge_session_id = bridge_session_for(job.id);
    job.transcript = transcript_path(cwd, job.session_id).string();
    job.model = options->model;
    job.permission_mode = options->permission_mode;
    job.resumed_from = options->resume;
    job.created_at = epoch_ms();

    fs::remove_all(job.dir());
    fs::create_directories(job.dir());
    job.save();
    {
        json::array recorded;
        for (int i = 0; i < argc; ++i) recorded.emplace_back(argv[i]);
        write_json_atomic(job.dir() / "argv.json", recorded);  // fake-only, for tests
    }
    if (job.intent) append_transcript(job, "user", *job.intent);

    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) {
        std::perror("pipe2");
        return 1;
    }
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child < 0) {
        std::perror("fork");
        return 1;
    }
    if (child == 0) {
        // Intermediate: new session, then fork the worker and leave, so the worker is
        // re-parented away from the caller and never becomes its zombie.
        ::close(ready[0]);
        ::setsid();
        const pid_t worker = ::fork();
        if (worker != 0) ::_exit(worker < 0 ? 1 : 0);
        int code = 1;
        try {
            code = run_worker(job, ready[1], bg_mode);
        } catch (...) {
            code = 1;
        }
        ::_exit(code);
    }
    ::close(ready[1]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }

    // Wait (bounded) for the worker to register in the roster.
    char byte = 0;
    pollfd pfd{ready[0], POLLIN, 0};
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    bool registered = false;
    while (steady_clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
        const int r = ::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
        if (r < 0 && errno == EINTR) continue;
        if (r > 0) registered = ::read(ready[0], &byte, 1) == 1 && byte == 'R';
        break;
    }
    ::close(ready[0]);
    if (!registered) {
        std::fputs("Error: background worker did not start\n", stderr);
        std::error_code ec;
        fs::remove_all(job.dir(), ec);
        return 1;
    }
    std::printf("backgrounded \xc2\xb7 %s\n", job.id.c_str());
    return 0;
}

int run_rm(int argc, char** argv) {
    const arg_list args(argv + 1, argv + argc);
    if (args.size() != 2) {
        std::fputs("Error: usage: claude rm <id>\n", stderr);
        return 1;
    }
    const std::string& id = args[1];
    if (!is_job_id(id)) {
        std::fprintf(stderr, "Error: invalid job id '%s'\n", id.c_str());
        return 1;
    }
    if (env_string("FAKE_CLAUDE_RM_MODE", "") == "no_supervisor") {
        std::fprintf(stderr, "Error: couldn't confirm stopped: the supervisor is not running (job %s)\n", id.c_str());
        return 1;
    }
    const auto entry = roster_lookup(id);
    if (entry && is_alive(entry->pid, entry->proc_start)) {
        std::fprintf(stderr, "Error: couldn't confirm stopped: job %s (pid %d) is still running\n", id.c_str(),
                     static_cast<int>(entry->pid));
        return 1;
    }
    const fs::path dir = jobs_dir() / id;
    std::error_code ec;
    if (!entry && !fs::exists(dir, ec)) {
        std::fprintf(stderr, "Error: no such job: %s\n", id.c_str());
        return 1;
    }
    fs::remove_all(dir, ec);
    if (entry) update_roster([&](json::object& workers) { workers.erase(id); });
    std::printf("removed %s\n", id.c_str());
    return 0;
}

}  // namespace clauster::fake_claude
