#include <clauster/core/background_agents.hpp>

#include "background_files.hpp"
#include "child_run.hpp"
#include "spawn_validation.hpp"

#include <clauster/core/claude_json_editor.hpp>
#include <clauster/core/claude_probe.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>

namespace clauster::core {

namespace net = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr process_role worker_role = process_role::claude_process;

net::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
    net::steady_timer timer(co_await net::this_coro::executor, d);
    co_await timer.async_wait(net::use_awaitable);
}

failure invalid(std::string message) { return make_failure(errc::invalid_argument, std::move(message)); }

std::string trim_ascii(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n\v\f");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n\v\f");
    return std::string(s.substr(first, last - first + 1));
}

/// A `claude --bg` run: plain data only, so it can run on the pool thread.
struct bg_run {
    std::vector<std::string> argv;
    fs::path cwd;
    environment env;
    fs::path claude_json;
    fs::path state_dir;
    std::chrono::milliseconds timeout{};
};

/// Pre-trusts the cwd (the detached dispatcher would hang on the trust dialog),
/// then runs `claude --bg …` and parses the job id. Blocking.
outcome<std::string> run_dispatch(const bg_run& job) {
    const claude_json_editor editor(job.claude_json, job.state_dir);
    if (auto trusted = editor.set_trusted(job.cwd); !trusted) return trusted.error();
    const auto run = detail::run_child(job.argv, job.env, job.timeout, job.cwd);
    const auto failed = [](const std::string& why) {
        return make_failure(errc::bad_gateway, "background dispatch failed: " + why);
    };
    if (!run.started) return failed("could not run " + job.argv.front());
    if (run.timed_out)
        return failed("timed out after " + std::to_string(job.timeout.count() / 1000) + " s");
    if (run.exit_code != 0) return failed(detail::redacted_output(run));
    auto id = detail::parse_job_id(run.out);
    if (!id) return failed("no job id in the output of claude --bg: " + detail::redacted_output(run));
    return *id;
}

net::awaitable<outcome<std::string>> run_dispatch_async(bg_run job) { co_return run_dispatch(job); }

net::awaitable<detail::child_run_result> run_child_async(std::vector<std::string> argv, environment env,
                                                         std::chrono::milliseconds timeout) {
    co_return detail::run_child(argv, env, timeout);
}

/// A flag value that is safe to pass on claude's command line.
std::optional<failure> check_flag_value(std::string_view field, const std::string& value) {
    if (value.empty()) return invalid(std::string(field) + " must not be empty");
    if (value.front() == '-') return invalid(std::string(field) + " must not start with '-'");
    if (value.find('\0') != std::string::npos) return invalid(std::string(field) + " must not contain NUL bytes");
    return std::nullopt;
}

}  // namespace

//------------------------------------------------------------------------------

struct background_agents::impl {
    impl(net::any_io_executor ex_, const config& cfg_, executor& exec_, project_catalog& projects_,
         environment env_, fs::path home_, fs::path state_dir_, background_agents_options options_)
        : ex(std::move(ex_)),
          cfg(cfg_),
          exec(exec_),
          projects(projects_),
          env(std::move(env_)),
          home(std::move(home_)),
          state_dir(std::move(state_dir_)),
          options(options_) {}

    net::any_io_executor ex;
    const config& cfg;
    executor& exec;
    project_catalog& projects;
    environment env;
    fs::path home;
    fs::path state_dir;
    background_agents_options options;
    /// Blocking child runs (up to 60 s) and trust writes happen here, never on the io thread.
    net::thread_pool pool{2};
    /// Set by ~background_agents: a coroutine still running must not queue more pool work.
    bool shut_down = false;
    event_sink* events = nullptr;

    void publish(std::string type, std::string subject, std::string project, std::optional<std::string> detail) {
        if (!events) return;
        event e;
        e.type = std::move(type);
        e.subject = std::move(subject);
        e.project = std::move(project);
        e.detail = std::move(detail);
        events->publish(std::move(e));
    }

    std::optional<failure> closed() const {
        if (!shut_down) return std::nullopt;
        return make_failure(errc::unavailable, "background agents are shutting down");
    }

    /// The scrubbed environment with `claude.env` overlaid; the overlay cannot
    /// re-add a secret name (spec §4.7).
    environment child_env() const { return claude_child_environment(env, cfg); }

    outcome<fs::path> claude_path() const {
        auto path = resolve_executable(cfg.claude.binary, child_env());
        if (!path) return make_failure(errc::unavailable, "claude CLI not found: '" + cfg.claude.binary + "'");
        return *path;
    }

    /// The roster identity of @p id when its worker is alive now (fail closed).
    std::optional<process_identity> live_worker(std::string_view id) {
        const auto roster = detail::read_roster(home);
        const auto it = roster.find(id);
        if (it == roster.end() || !exec.is_live(it->second, worker_role)) return std::nullopt;
        return it->second;
    }

    /// The project name whose policy governs @p cwd: its directory name when it
    /// lies directly under `projects_root`, else the path (no policy matches it).
    std::string project_of(const fs::path& cwd) const {
        const fs::path normal = cwd.lexically_normal();
        if (!cfg.projects_root.empty() && normal.parent_path() == cfg.projects_root.lexically_normal())
            return normal.filename().string();
        return normal.string();
    }

    bg_run make_run(std::vector<std::string> argv, fs::path cwd) const {
        return bg_run{std::move(argv), std::move(cwd), child_env(), home / ".claude.json", state_dir,
                      options.dispatch_timeout};
    }

    //--------------------------------------------------------------------------

    static net::awaitable<outcome<std::string>> do_dispatch(std::shared_ptr<impl> self, agent_request request) {
        // 1. The project name (422), before any filesystem access.
        if (!request.project) co_return invalid("project must be a string");
        const std::string name = trim_ascii(*request.project);
        if (!is_valid_project_name(name)) co_return invalid("invalid project name");

        // 2. The optional fields: an explicit "" is an error; a blank prompt is absent.
        std::optional<std::string> prompt = request.prompt;
        if (prompt && detail::is_blank(*prompt)) prompt.reset();
        if (prompt && prompt->find('\0') != std::string::npos) co_return invalid("prompt must not contain NUL bytes");
        if (request.rc_name)
            if (auto bad = check_flag_value("rc_name", *request.rc_name)) co_return *bad;
        if (request.model)
            if (auto bad = check_flag_value("model", *request.model)) co_return *bad;
        permission_mode mode = self->cfg.instance_defaults.permission_mode;
        if (request.permission_mode) {
            if (auto bad = check_flag_value("permission_mode", *request.permission_mode)) co_return *bad;
            const auto parsed = parse_permission_mode(*request.permission_mode);
            if (!parsed)
                co_return invalid("invalid permission_mode '" + *request.permission_mode +
                                  "'; expected one of (default, plan, acceptEdits, auto, dontAsk, "
                                  "bypassPermissions, inherit)");
            mode = *parsed;
        }

        // 3. The directory (404), 4. the bypass ceiling (403), 5. the prompt rule (422).
        const auto project = self->projects.find(name);
        if (!project) co_return make_failure(errc::not_found, "project '" + name + "' not found");
        if (auto refused = detail::bypass_refusal(mode, project->name, self->cfg)) co_return *refused;
        if (!prompt && !request.rc_name)
            co_return invalid("prompt is required for a background session unless rc_name registers it on claude.ai");

        // 6. claude itself (503).
        auto claude = self->claude_path();
        if (!claude) co_return claude.error();

        if (auto gone = self->closed()) co_return *gone;
        std::vector<std::string> argv{claude->string(), "--bg"};
        if (request.rc_name) argv.insert(argv.end(), {"--rc", *request.rc_name});
        if (request.model) argv.insert(argv.end(), {"--model", *request.model});
        if (mode != permission_mode::inherit)
            argv.insert(argv.end(), {"--permission-mode", std::string(to_string(mode))});
        if (prompt) argv.insert(argv.end(), {"--", *prompt});

        // Off the io thread; resumes here on the io executor.
        auto job = run_dispatch_async(self->make_run(std::move(argv), project->path));
        auto id = co_await net::co_spawn(self->pool.get_executor(), std::move(job), net::use_awaitable);
        co_return id;
    }

    static net::awaitable<outcome<stop_result>> do_stop(std::shared_ptr<impl> self, std::string id) {
        if (!detail::is_job_id(id)) co_return invalid("invalid job id");
        auto claude = self->claude_path();
        if (!claude) co_return claude.error();

        stop_result out;
        out.id = id;
        // 1-3. Two SIGINTs (the worker asks for a second), the pid re-validated
        // before each (executor::signal re-checks identity), then a bounded wait.
        // Never SIGKILL: a killed worker leaves its cloud session orphaned.
        const auto worker = self->live_worker(id);
        if (worker) {
            (void)self->exec.signal(*worker, worker_role, SIGINT);
            co_await sleep_for(self->options.sigint_gap);
            if (self->exec.is_live(*worker, worker_role)) (void)self->exec.signal(*worker, worker_role, SIGINT);
            const auto deadline = std::chrono::steady_clock::now() + self->options.stop_wait;
            while (self->exec.is_live(*worker, worker_role) && std::chrono::steady_clock::now() < deadline)
                co_await sleep_for(self->options.stop_poll);
            if (self->exec.is_live(*worker, worker_role))
                co_return make_failure(errc::conflict,
                                       "background agent " + id + " did not stop within " +
                                           std::to_string(self->options.stop_wait.count() / 1000) +
                                           " s; it was not force-killed (a kill would orphan its cloud session)");
        }

        // 4. `claude rm <id>` deregisters the job.
        if (auto gone = self->closed()) co_return *gone;
        std::vector<std::string> rm_argv{claude->string(), "rm", id};
        auto rm_job = run_child_async(std::move(rm_argv), self->child_env(), self->options.rm_timeout);
        const auto rm = co_await net::co_spawn(self->pool.get_executor(), std::move(rm_job), net::use_awaitable);
        if (rm.ok()) {
            out.settled = true;
            out.removed = true;
            out.detail = worker ? "stopped and removed" : "removed";
            co_return out;
        }

        // 5. Soft failure: the supervisor has idle-exited. Delete the job directory
        // ourselves, but only when the worker is confirmed dead right now.
        const bool soft = (rm.out + rm.err).find("couldn't confirm stopped") != std::string::npos;
        if (soft && !self->live_worker(id)) {
            const fs::path dir = detail::jobs_dir(self->home) / id;
            std::error_code ec;
            const bool is_dir = fs::is_directory(fs::symlink_status(dir, ec));
            if (is_dir) fs::remove_all(dir, ec);
            out.removed = is_dir && !ec;
            out.detail = out.removed ? "claude rm could not confirm the stop (supervisor not running); the worker "
                                       "is gone, so the job directory was removed"
                                     : "claude rm could not confirm the stop and the job directory could not be "
                                       "removed: " + (ec ? ec.message() : std::string("no such job"));
            co_return out;
        }
        out.detail = "claude rm failed: " + detail::redacted_output(rm);
        co_return out;
    }

    static net::awaitable<outcome<std::string>> do_resume(std::shared_ptr<impl> self, std::string id) {
        if (!detail::is_job_id(id)) co_return invalid("invalid job id");
        const auto job = detail::read_job(self->home, id);
        if (!job) co_return make_failure(errc::conflict, "unknown background job '" + id + "'");
        if (self->live_worker(id))
            co_return make_failure(errc::conflict, "background job " + id + " is still running; stop it first");
        if (!job->session_id || !detail::is_session_uuid(*job->session_id))
            co_return make_failure(errc::conflict, "background job " + id + " has no resumable session id");
        std::error_code ec;
        if (!job->cwd || job->cwd->empty() || job->cwd->front() != '/' || !fs::is_directory(*job->cwd, ec))
            co_return make_failure(errc::conflict, "background job " + id + " has no cwd");
        const fs::path cwd = fs::path(*job->cwd).lexically_normal();

        // The ceiling is re-checked against the current config (spec §4.7).
        std::optional<permission_mode> mode;
        if (job->permission_mode) mode = parse_permission_mode(*job->permission_mode);
        if (mode)
            if (auto refused = detail::bypass_refusal(*mode, self->project_of(cwd), self->cfg)) co_return *refused;

        auto claude = self->claude_path();
        if (!claude) co_return claude.error();
        if (auto gone = self->closed()) co_return *gone;
        std::vector<std::string> argv{claude->string(), "--bg", "--resume", *job->session_id};
        if (job->model && !check_flag_value("model", *job->model)) argv.insert(argv.end(), {"--model", *job->model});
        if (mode && *mode != permission_mode::inherit)
            argv.insert(argv.end(), {"--permission-mode", std::string(to_string(*mode))});

        auto run = run_dispatch_async(self->make_run(std::move(argv), cwd));
        auto new_id = co_await net::co_spawn(self->pool.get_executor(), std::move(run), net::use_awaitable);
        co_return new_id;
    }
};

//------------------------------------------------------------------------------

background_agents::background_agents(net::any_io_executor ex, const config& cfg, executor& exec,
                                     project_catalog& projects, environment env, fs::path home, fs::path state_dir,
                                     background_agents_options options)
    : impl_(std::make_shared<impl>(std::move(ex), cfg, exec, projects, std::move(env), std::move(home),
                                   std::move(state_dir), options)) {}

background_agents::~background_agents() {
    // A child run in flight finishes (bounded by its timeout) and posts its result
    // to the io executor, which outlives this object; nothing new starts after.
    impl_->shut_down = true;
    impl_->pool.join();
}

std::vector<background_job> background_agents::list() {
    std::vector<background_job> jobs;
    const fs::path dir = detail::jobs_dir(impl_->home);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return jobs;
    const auto roster = detail::read_roster(impl_->home);
    fs::directory_iterator it(dir, ec);
    std::size_t seen = 0;
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (++seen > detail::max_jobs) break;
        const std::string id = it->path().filename().string();
        std::error_code sec;
        if (!detail::is_job_id(id) || !fs::is_directory(it->symlink_status(sec))) continue;
        auto job = detail::read_job(impl_->home, id);
        if (!job) continue;
        if (const auto w = roster.find(id); w != roster.end() && impl_->exec.is_live(w->second, worker_role)) {
            job->worker_alive = true;
            job->worker_pid = w->second.pid;
        }
        jobs.push_back(std::move(*job));
    }
    std::sort(jobs.begin(), jobs.end(), [](const background_job& a, const background_job& b) {
        if (a.updated_at != b.updated_at) {
            if (!a.updated_at) return false;  // unknown times last
            if (!b.updated_at) return true;
            return *a.updated_at > *b.updated_at;
        }
        return a.id < b.id;
    });
    return jobs;
}

net::awaitable<outcome<std::string>> background_agents::dispatch(agent_request request) {
    auto self = impl_;
    const std::string project = trim_ascii(request.project.value_or(std::string()));
    auto id = co_await impl::do_dispatch(self, std::move(request));
    if (id) self->publish("agent.dispatched", *id, project, std::nullopt);
    co_return id;
}

net::awaitable<outcome<stop_result>> background_agents::stop(std::string job_id) {
    auto self = impl_;
    auto stopped = co_await impl::do_stop(self, std::move(job_id));
    if (stopped) self->publish("agent.stopped", stopped->id, std::string(), stopped->detail);
    co_return stopped;
}

net::awaitable<outcome<std::string>> background_agents::resume(std::string job_id) {
    auto self = impl_;
    const std::string old_id = job_id;
    auto id = co_await impl::do_resume(self, std::move(job_id));
    if (id) self->publish("agent.resumed", *id, std::string(), "resumed from " + old_id);
    co_return id;
}

void background_agents::set_event_sink(event_sink* sink) { impl_->events = sink; }

}  // namespace clauster::core
