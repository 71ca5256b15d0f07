#include <clauster/core/session_monitor.hpp>

#include "child_run.hpp"

#include <clauster/core/claude_probe.hpp>
#include <clauster/core/instance_manager.hpp>
#include <clauster/core/session_attribution.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <tuple>

namespace clauster::core {

namespace net = boost::asio;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

namespace {

net::awaitable<detail::child_run_result> run_child_async(std::vector<std::string> argv, environment env,
                                                         std::chrono::milliseconds timeout, std::size_t max_bytes) {
    co_return detail::run_child(argv, env, timeout, std::nullopt, max_bytes);
}

std::string format_seconds(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

/// A path as compared for attribution: canonical when it exists, else lexical.
fs::path resolved(const fs::path& p) {
    std::error_code ec;
    fs::path out = fs::weakly_canonical(p, ec);
    if (ec) out = p.lexically_normal();
    if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();  // `/a/b/` → `/a/b`
    return out;
}

}  // namespace

struct session_monitor::impl {
    impl(net::any_io_executor ex_, const config& cfg_, executor& exec_, project_catalog& projects_,
         environment env_, instance_manager* instances_, session_monitor_options options_)
        : ex(std::move(ex_)),
          cfg(cfg_),
          exec(exec_),
          projects(projects_),
          env(std::move(env_)),
          instances(instances_),
          options(options_),
          poll_timer(ex) {}

    net::any_io_executor ex;
    const config& cfg;
    executor& exec;
    project_catalog& projects;
    environment env;
    instance_manager* instances;
    session_monitor_options options;
    /// The blocking `claude agents --json` runs happen here, never on the io thread.
    net::thread_pool pool{1};
    net::steady_timer poll_timer;

    /// The last good run (unattributed), and when it finished.
    std::vector<working_session> snapshot;
    std::optional<steady::time_point> observed_at;
    /// Non-null while a run is in flight; readers wait on it (cancelled when done).
    std::shared_ptr<net::steady_timer> in_flight;
    std::optional<failure> last_failure;
    /// When the last run started (a failing claude is retried at most once per max_age by readers).
    std::optional<steady::time_point> last_attempt;
    std::string last_warning;
    bool started = false;
    bool shut_down = false;

    //--------------------------------------------------------------------------

    outcome<std::vector<working_session>> collect(const detail::child_run_result& run) {
        if (!run.started) return make_failure(errc::bad_gateway, "claude agents --json could not be started");
        if (run.timed_out)
            return make_failure(errc::bad_gateway, "claude agents --json timed out after " +
                                                       format_seconds(options.agents_timeout));
        if (run.exit_code != 0)
            return make_failure(errc::bad_gateway, "claude agents --json failed (exit " +
                                                       (run.exit_code ? std::to_string(*run.exit_code) : "by signal") +
                                                       "): " + detail::redacted_output(run));
        if (run.out.size() >= options.max_output_bytes)
            return make_failure(errc::bad_gateway, "claude agents --json printed more than " +
                                                       std::to_string(options.max_output_bytes) + " bytes");
        auto parsed = parse_agents_json(run.out);
        if (!parsed) return make_failure(errc::bad_gateway, parsed.error().message);
        // Pin each session to the process that is behind its pid right now.
        std::vector<working_session> live;
        for (auto& s : *parsed) {
            s.process = exec.identify(s.pid);
            if (s.process && s.process->start_ticks) live.push_back(std::move(s));
        }
        return live;
    }

    /// One run; concurrent callers share it.
    static net::awaitable<std::optional<failure>> run_once(std::shared_ptr<impl> self) {
        if (auto pending = self->in_flight) {
            boost::system::error_code ec;
            co_await pending->async_wait(net::redirect_error(net::use_awaitable, ec));
            co_return self->last_failure;
        }
        auto done = std::make_shared<net::steady_timer>(self->ex, steady::time_point::max());
        self->in_flight = done;

        outcome<std::vector<working_session>> result = std::vector<working_session>{};
        const environment child_env = claude_child_environment(self->env, self->cfg);
        if (const auto claude = resolve_executable(self->cfg.claude.binary, child_env); !claude) {
            result = make_failure(errc::unavailable, "claude CLI not found: '" + self->cfg.claude.binary + "'");
        } else {
            std::vector<std::string> argv{claude->string(), "agents", "--json"};  // never --all
            auto job = run_child_async(std::move(argv), child_env, self->options.agents_timeout,
                                       self->options.max_output_bytes);
            const auto run = co_await net::co_spawn(self->pool.get_executor(), std::move(job), net::use_awaitable);
            result = self->collect(run);
        }

        if (result) {
            self->snapshot = std::move(*result);
            self->observed_at = steady::now();
            self->last_failure.reset();
            self->last_warning.clear();
        } else {
            self->last_failure = result.error();
        }
        self->in_flight.reset();
        done->cancel();
        co_return self->last_failure;
    }

    /// Logs a failed background run once per distinct cause (the server keeps
    /// serving its last good list; a one-shot caller reports the error itself).
    void warn_on_failure() {
        if (!last_failure) return;
        if (last_warning == last_failure->message) return;
        last_warning = last_failure->message;
        std::cerr << "clauster: warning: working sessions: " << last_warning << " (keeping the last good list)\n";
    }

    static net::awaitable<void> run_and_warn(std::shared_ptr<impl> self) {
        co_await run_once(self);
        self->warn_on_failure();
    }

    /// Starts a run when the snapshot is older than max_age (a failing claude is
    /// retried at most once per max_age), then waits for it — at most
    /// `max_read_wait`, so a hung claude never hangs every read: the last good
    /// list is served meanwhile.
    static net::awaitable<void> ensure_fresh(std::shared_ptr<impl> self) {
        const auto now = steady::now();
        const bool fresh = self->observed_at && now - *self->observed_at < self->options.max_age && !self->last_failure;
        const bool retried = self->last_failure && self->last_attempt && now - *self->last_attempt < self->options.max_age;
        if (fresh || retried) co_return;
        if (!self->in_flight) {
            self->last_attempt = now;
            net::co_spawn(self->ex, run_and_warn(self), net::detached);
        }
        const auto deadline = now + self->options.max_read_wait;
        net::steady_timer tick(self->ex);
        for (auto step = std::chrono::milliseconds(5); self->in_flight && steady::now() < deadline;
             step = std::min(step * 2, std::chrono::milliseconds(100))) {
            tick.expires_after(step);
            co_await tick.async_wait(net::use_awaitable);
        }
    }

    /// The snapshot's sessions whose process still lives, attributed against the
    /// instances as they are now.
    std::vector<working_session> attributed() {
        std::vector<working_session> out;
        for (const auto& s : snapshot) {
            if (!s.process) continue;
            const auto now = exec.identify(s.pid);
            if (!now || now->start_ticks != s.process->start_ticks) continue;  // gone, or a recycled pid
            out.push_back(s);
        }
        const std::vector<bridge_claim> claims = instances ? instances->session_claims() : std::vector<bridge_claim>{};
        attribute_sessions(out, claims, resolved);
        return out;
    }

    static net::awaitable<void> poll_loop(std::shared_ptr<impl> self) {
        const auto period = std::chrono::seconds(std::max(1, self->cfg.claude.agents_json_poll_interval_seconds));
        while (!self->shut_down) {
            if (self->instances) self->instances->sweep();
            self->last_attempt = steady::now();
            co_await run_and_warn(self);
            if (self->shut_down) break;
            self->poll_timer.expires_after(period);
            boost::system::error_code ec;
            co_await self->poll_timer.async_wait(net::redirect_error(net::use_awaitable, ec));
        }
    }
};

//------------------------------------------------------------------------------

session_monitor::session_monitor(net::any_io_executor ex, const config& cfg, executor& exec,
                                 project_catalog& projects, environment env, instance_manager* instances,
                                 session_monitor_options options)
    : impl_(std::make_shared<impl>(std::move(ex), cfg, exec, projects, std::move(env), instances, options)) {}

session_monitor::~session_monitor() {
    shutdown();
    impl_->instances = nullptr;
    impl_->pool.join();
}

void session_monitor::start() {
    if (impl_->started || impl_->shut_down) return;
    impl_->started = true;
    net::co_spawn(impl_->ex, impl::poll_loop(impl_), [](std::exception_ptr e) {
        if (e) std::cerr << "clauster: working-session poll loop failed\n";
    });
}

void session_monitor::shutdown() {
    impl_->shut_down = true;
    impl_->poll_timer.cancel();
}

net::awaitable<outcome<std::vector<working_session>>> session_monitor::refresh() {
    auto self = impl_;
    self->last_attempt = steady::now();
    if (auto failed = co_await impl::run_once(self)) co_return *failed;
    co_return self->attributed();
}

net::awaitable<std::vector<working_session>> session_monitor::sessions() {
    auto self = impl_;
    co_await impl::ensure_fresh(self);
    co_return self->attributed();
}

net::awaitable<std::map<std::string, std::vector<working_session>>> session_monitor::external_by_project() {
    auto self = impl_;
    co_await impl::ensure_fresh(self);
    // A session belongs to the project whose path is its cwd, or whose
    // `.claude/worktrees/` holds it (an unmanaged worktree bridge's sessions).
    std::map<fs::path, std::string> by_path;
    for (const auto& p : self->projects.list()) by_path.emplace(resolved(p.path), p.name);
    const auto project_of = [&](const fs::path& cwd) -> const std::string* {
        if (const auto it = by_path.find(cwd); it != by_path.end()) return &it->second;
        for (fs::path dir = cwd; dir.has_relative_path(); dir = dir.parent_path()) {
            if (dir.filename() != "worktrees" || dir.parent_path().filename() != ".claude") continue;
            const auto it = by_path.find(dir.parent_path().parent_path());
            return it == by_path.end() ? nullptr : &it->second;
        }
        return nullptr;
    };
    std::map<std::string, std::vector<working_session>> out;
    for (auto& s : self->attributed()) {
        if (s.attribution != session_attribution::external) continue;
        const fs::path cwd = resolved(s.cwd);
        if (const std::string* name = project_of(cwd)) out[*name].push_back(std::move(s));
    }
    co_return out;
}

net::awaitable<std::map<std::string, std::vector<working_session>>> session_monitor::tracked_by_instance() {
    auto self = impl_;
    co_await impl::ensure_fresh(self);
    std::map<std::string, std::vector<working_session>> out;
    for (auto& s : self->attributed())
        if (s.attribution == session_attribution::tracked && s.parent_instance)
            out[*s.parent_instance].push_back(std::move(s));
    for (auto& [id, list] : out)
        std::sort(list.begin(), list.end(), [](const working_session& a, const working_session& b) {
            return std::tie(a.started_at, a.local_uuid) < std::tie(b.started_at, b.local_uuid);
        });
    co_return out;
}

net::awaitable<std::vector<std::string>> session_monitor::adoptable() {
    auto self = impl_;
    const auto external = co_await external_by_project();
    std::vector<std::string> out;
    if (!self->instances) co_return out;
    for (const auto& [name, list] : external)
        if (self->instances->adoptable(name)) out.push_back(name);
    std::sort(out.begin(), out.end());
    co_return out;
}

}  // namespace clauster::core
