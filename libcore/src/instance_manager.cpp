#include <clauster/core/instance_manager.hpp>

#include "spawn_validation.hpp"

#include <clauster/core/agent_profile.hpp>
#include <clauster/core/bridge_logs.hpp>
#include <clauster/core/bridge_markers.hpp>
#include <clauster/core/bridge_pointer.hpp>
#include <clauster/core/claude_json_editor.hpp>
#include <clauster/core/claude_probe.hpp>
#include <clauster/core/crypto.hpp>
#include <clauster/core/file_lock.hpp>
#include <clauster/core/proc_fs.hpp>
#include <clauster/core/pty_keeper.hpp>
#include <clauster/core/redaction.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace clauster::core {

namespace net = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto ready_poll = 250ms;
constexpr auto ready_timeout = 15s;
constexpr auto startup_watch_period = 2s;
constexpr auto stop_grace = 5s;
constexpr auto keeper_grace = 2s;
constexpr auto kill_settle = 1s;
constexpr auto pty_sigint_gap = 400ms;
constexpr auto lock_timeout = 10s;
constexpr auto log_prune_period = 60s;
constexpr std::size_t error_detail_max = 2000;
constexpr std::size_t debug_log_read_max = 8 * 1024 * 1024;

/// Poll intervals that start short, so a fast bridge is seen ready (or gone) at
/// once, and double up to @ref ready_poll for a slow one.
class poll_backoff {
public:
    std::chrono::milliseconds next() {
        const auto d = next_;
        next_ = std::min<std::chrono::milliseconds>(next_ * 2, ready_poll);
        return d;
    }

private:
    std::chrono::milliseconds next_{10ms};
};

net::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
    net::steady_timer timer(co_await net::this_coro::executor, d);
    co_await timer.async_wait(net::use_awaitable);
}

std::string read_text(const fs::path& p, std::size_t max_bytes) {
    // Size the buffer by the file, not the cap: readiness polls read small logs often.
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) return {};
    std::ifstream in(p, std::ios::binary);
    if (!in) return {};
    // The bridge may append between the stat and the read: never read more
    // than the buffer holds (what arrives later is seen by the next poll).
    std::string text(static_cast<std::size_t>(std::min<std::uintmax_t>(size, max_bytes)), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

/// Redacted tail of a log for `error_detail` (spec §3.1: ≤2000 characters).
std::optional<std::string> redacted_tail(const fs::path& p) {
    std::string tail = read_tail(p, error_detail_max * 4);
    if (tail.empty()) return std::nullopt;
    std::string out;
    std::istringstream lines(tail);
    for (std::string line; std::getline(lines, line);) {
        line = redact_line(line);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        out += line + "\n";
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (out.size() > error_detail_max) out = out.substr(out.size() - error_detail_max);
    if (out.empty()) return std::nullopt;
    return out;
}

/// A random RFC 4122 version-4 UUID.
std::string new_uuid4() {
    const std::string hex = crypto::sha256_hex(crypto::random_urlsafe(32));
    std::string u = hex.substr(0, 32);
    u[12] = '4';
    u[16] = "89ab"[std::stoi(u.substr(16, 1), nullptr, 16) & 3];
    return u.substr(0, 8) + "-" + u.substr(8, 4) + "-" + u.substr(12, 4) + "-" + u.substr(16, 4) + "-" + u.substr(20);
}

/// A UUID derived from @p seed (the same seed always gives the same id), so
/// separate processes adopting one external bridge agree on its instance id.
std::string uuid_from_seed(std::string_view seed) {
    std::string u = crypto::sha256_hex(seed).substr(0, 32);
    u[12] = '5';
    u[16] = "89ab"[std::stoi(u.substr(16, 1), nullptr, 16) & 3];
    return u.substr(0, 8) + "-" + u.substr(8, 4) + "-" + u.substr(12, 4) + "-" + u.substr(16, 4) + "-" + u.substr(20);
}

std::string short_id(const std::string& id) { return id.substr(0, 8); }

}  // namespace

std::string untrusted_message(const fs::path& project_path) {
    return "directory not trusted: " + project_path.string() + "." + std::string(untrusted_api_hint);
}

//------------------------------------------------------------------------------

struct instance_manager::impl : std::enable_shared_from_this<impl> {
    impl(net::any_io_executor ex_, const config& cfg_, executor& exec_, instance_store& store_,
         project_catalog& projects_, const clock& clk_, environment env_, instance_paths paths_)
        : ex(std::move(ex_)),
          cfg(cfg_),
          exec(exec_),
          store(store_),
          projects(projects_),
          clk(clk_),
          env(std::move(env_)),
          paths(std::move(paths_)),
          claude_json(paths.home / ".claude.json", paths.state_dir) {}

    net::any_io_executor ex;
    const config& cfg;
    executor& exec;
    instance_store& store;
    project_catalog& projects;
    const clock& clk;
    environment env;
    instance_paths paths;
    claude_json_editor claude_json;
    claude_profile profile;
    log_sequence seq;

    /// Every known instance by id, and their registration order.
    std::map<std::string, instance, std::less<>> instances;
    std::vector<std::string> order;
    /// Bumped whenever an instance's process changes, so stale watches stand down.
    std::map<std::string, std::uint64_t, std::less<>> generation;
    /// Instances whose startup this process drives (eligible for the grace ERROR).
    std::set<std::string, std::less<>> spawned_here;
    std::map<std::string, int, std::less<>> crash_counts;
    /// When the log retention last ran (see prune_logs_now_and_then).
    std::optional<std::chrono::steady_clock::time_point> last_prune;
    /// Where state changes go (null: nowhere), and the status last published per instance.
    event_sink* events = nullptr;
    std::map<std::string, instance_status, std::less<>> published_status;
    /// What the manager's `claude --version` probe said (instance::claude_version).
    std::optional<std::string> claude_version;
    /// The store's change token at the last full sync (see instance_store::change_token).
    std::optional<std::uint64_t> synced_token;
    bool rc_acknowledged = false;
    bool read_only = false;
    bool shut_down = false;

    //--------------------------------------------------------------------------
    // Bookkeeping

    instance* find(std::string_view id) {
        auto it = instances.find(id);
        return it == instances.end() ? nullptr : &it->second;
    }

    void remember(instance inst) {
        if (inst.is_active() && !inst.claude_version) inst.claude_version = claude_version;
        const std::string id = inst.instance_id;
        if (!instances.contains(id)) order.push_back(id);
        instances.insert_or_assign(id, std::move(inst));
        // First sight (a launch, a reattached or another process's row): the
        // status is the baseline; only later changes are events.
        published_status.try_emplace(id, instances.at(id).status);
    }

    /// Publishes `instance.<status>` when @p inst reached a status other than
    /// the one last published (or first seen) for it: every transition is
    /// persisted, and persist passes through here.
    void note_status(const instance& inst) {
        const auto [it, fresh] = published_status.try_emplace(inst.instance_id, inst.status);
        if (!fresh && it->second == inst.status) return;
        it->second = inst.status;
        publish("instance." + std::string(to_string(inst.status)), inst,
                inst.status == instance_status::error || inst.status == instance_status::crashed ? inst.error_detail
                                                                                                 : std::nullopt);
    }

    void publish(std::string type, const instance& inst, std::optional<std::string> detail = std::nullopt) {
        if (!events) return;
        event e;
        e.at = clk.now();
        e.type = std::move(type);
        e.subject = inst.instance_id;
        e.project = inst.project;
        e.detail = std::move(detail);
        events->publish(std::move(e));
    }

    void forget_local(std::string_view id) {
        published_status.erase(std::string(id));
        if (auto it = instances.find(id); it != instances.end()) instances.erase(it);
        std::erase(order, std::string(id));
        generation.erase(std::string(id));
        spawned_here.erase(std::string(id));
    }

    void persist(instance& inst) {
        inst.updated_at = clk.now();
        note_status(inst);
        if (read_only) return;
        if (auto r = store.upsert(inst); !r)
            std::cerr << "clauster: warning: could not save instance " << short_id(inst.instance_id) << ": "
                      << r.error().message() << '\n';
    }

    /// The process that lives exactly as long as the instance: the bridge for
    /// Server Mode, the keeper (which exits with its bridge) for Interactive.
    std::optional<std::pair<process_identity, process_role>> primary(const instance& inst) const {
        if (inst.resume_mode == launch_mode::pty && inst.keeper) return {{*inst.keeper, process_role::keeper}};
        if (inst.bridge) return {{*inst.bridge, process_role::bridge}};
        return std::nullopt;
    }

    bool primary_live(const instance& inst) {
        const auto p = primary(inst);
        return p && exec.is_live(p->first, p->second);
    }

    bool any_pid_live(const instance& inst) {
        return (inst.bridge && exec.is_live(*inst.bridge, process_role::bridge)) ||
               (inst.keeper && exec.is_live(*inst.keeper, process_role::keeper));
    }

    std::optional<fs::path> debug_log_of(const instance& inst) const {
        if (inst.bridge_raw_log_path) return inst.bridge_raw_log_path;
        return inst.bridge_debug_log_path;
    }

    std::optional<log_set_paths> log_set_of(const instance& inst) const {
        if (!inst.log_stem) return std::nullopt;
        return log_set_for(logs_dir(paths.state_dir), *inst.log_stem);
    }

    //--------------------------------------------------------------------------
    // Readiness (spec §3.2)

    enum class readiness { ready, failed, pending };

    /// Reads the markers (Server Mode) or the keeper sidecar (Interactive) and
    /// fills the runtime fields. Never promotes a process that is merely alive.
    readiness observe(instance& inst) {
        if (inst.resume_mode == launch_mode::pty) return observe_keeper(inst);
        const auto log = debug_log_of(inst);
        const bridge_markers m = log ? parse_bridge_markers(read_text(*log, debug_log_read_max)) : bridge_markers{};
        if (m.bridge_id) inst.bridge_id = m.bridge_id;
        if (m.environment_id) {
            inst.environment_id = m.environment_id;
            inst.url = "https://claude.ai/code?environment=" + *m.environment_id;
        }
        if (m.starter_session_id) inst.starter_session_id = m.starter_session_id;
        if (!inst.starter_session_id) backfill_session_from_pointer(inst);
        if (m.trust_error) {
            inst.error_detail = "Workspace not trusted: accept the trust dialog for this project first";
            return readiness::failed;
        }
        const bool alive = primary_live(inst);
        if (m.is_ready() && alive) return readiness::ready;
        if (!alive) return readiness::failed;
        return readiness::pending;
    }

    readiness observe_keeper(instance& inst) {
        const auto set = log_set_of(inst);
        const auto sidecar = set ? read_keeper_sidecar(set->keeper_json) : std::nullopt;
        const bool keeper_alive = inst.keeper && exec.is_live(*inst.keeper, process_role::keeper);
        if (sidecar) {
            if (sidecar->bridge_pid && *sidecar->bridge_pid > 0 && !inst.bridge) {
                process_identity b{*sidecar->bridge_pid, sidecar->bridge_start_ticks, sidecar->boot_id,
                                   sidecar->bridge_proc_start};
                inst.bridge = b;
            }
            if (sidecar->connect_url && !sidecar->connect_url->empty()) inst.url = sidecar->connect_url;
            if (sidecar->session_id && !sidecar->session_id->empty()) inst.starter_session_id = sidecar->session_id;
            if (sidecar->note && !sidecar->note->empty()) inst.notice = sidecar->note;
            if (sidecar->state == keeper_state::error) {
                inst.error_detail = sidecar->error ? std::optional<std::string>(redact_line(*sidecar->error))
                                                   : std::optional<std::string>("the PTY keeper failed");
                return readiness::failed;
            }
            if (keeper_alive &&
                ((sidecar->connect_url && !sidecar->connect_url->empty()) || sidecar->state == keeper_state::ready))
                return readiness::ready;
        }
        return keeper_alive ? readiness::pending : readiness::failed;
    }

    void backfill_session_from_pointer(instance& inst) {
        const auto project = projects.find(inst.project);
        if (!project) return;
        const auto pointer = read_bridge_pointer(bridge_pointer_path(paths.home, project->path));
        if (pointer && inst.bridge && pointer->pid == inst.bridge->pid && !pointer->session_id.empty())
            inst.starter_session_id = pointer->session_id;
    }

    void capture_error_detail(instance& inst) {
        if (inst.error_detail) return;
        const auto set = log_set_of(inst);
        if (!set) return;
        inst.error_detail = redacted_tail(inst.resume_mode == launch_mode::pty ? set->keeper_log : set->stderr_log);
    }

    /// Applies one observation to a STARTING instance; @return true when settled.
    bool apply_observation(instance& inst) {
        switch (observe(inst)) {
            case readiness::ready:
                inst.status = instance_status::running;
                inst.error_detail.reset();
                return true;
            case readiness::failed:
                if (!primary_live(inst)) {
                    settle_exit(inst);
                    return true;
                }
                inst.status = instance_status::error;  // alive, but refused (trust error, keeper error)
                capture_error_detail(inst);
                return true;
            case readiness::pending:
                return false;
        }
        return false;
    }

    /// The process is gone: STOPPED, CRASHED or ERROR (spec §3.2).
    void settle_exit(instance& inst) {
        if (auto row = store.find(inst.instance_id); row && *row) inst.intentional_stop = (*row)->intentional_stop;
        const bool was_starting = inst.status == instance_status::starting;
        if (inst.intentional_stop || inst.spawn_mode == spawn_mode::session) {
            inst.status = instance_status::stopped;
        } else if (was_starting) {
            inst.status = instance_status::error;  // exited before it was ready
            capture_error_detail(inst);
        } else if (inst.status == instance_status::running) {
            inst.status = instance_status::crashed;
            ++crash_counts[inst.project];
            capture_error_detail(inst);
        }
        spawned_here.erase(inst.instance_id);
    }

    //--------------------------------------------------------------------------
    // Watches

    void start_watches(const std::string& id) {
        if (read_only || shut_down) return;
        const auto gen = ++generation[id];
        auto self = shared_from_this();
        net::co_spawn(ex, watch_exit(self, id, gen), [](std::exception_ptr e) {
            if (e) std::cerr << "clauster: exit watch failed\n";
        });
        instance* inst = find(id);
        if (inst && inst->status == instance_status::starting)
            net::co_spawn(ex, watch_startup(self, id, gen), [](std::exception_ptr e) {
                if (e) std::cerr << "clauster: startup watch failed\n";
            });
    }

    static net::awaitable<void> watch_exit(std::shared_ptr<impl> self, std::string id, std::uint64_t gen) {
        const instance* inst = self->find(id);
        if (!inst) co_return;
        const auto p = self->primary(*inst);
        if (!p) co_return;
        co_await self->exec.wait_for_exit(p->first);
        if (self->shut_down || self->generation[id] != gen) co_return;
        instance* now = self->find(id);
        if (!now) co_return;
        self->observe(*now);  // last markers (shutdown line, late session id)
        if (now->is_active()) {
            self->settle_exit(*now);
            self->persist(*now);
        }
    }

    /// Promotes a slow bridge, or fails one alive but unregistered after
    /// `claude.startup_grace_seconds` (only for launches made by this process).
    static net::awaitable<void> watch_startup(std::shared_ptr<impl> self, std::string id, std::uint64_t gen) {
        for (;;) {
            co_await sleep_for(startup_watch_period);
            if (self->shut_down || self->generation[id] != gen) co_return;
            instance* inst = self->find(id);
            if (!inst || inst->status != instance_status::starting) co_return;
            if (self->apply_observation(*inst)) {
                self->persist(*inst);
                co_return;
            }
            const auto grace = std::chrono::duration<double>(self->cfg.claude.startup_grace_seconds);
            if (self->spawned_here.contains(id) && inst->started_at &&
                self->clk.now() - *inst->started_at >= grace) {
                inst->status = instance_status::error;
                if (!inst->error_detail) {
                    self->capture_error_detail(*inst);
                    if (!inst->error_detail)
                        inst->error_detail =
                            "the bridge is running but never registered an environment within "
                            "claude.startup_grace_seconds; check `claude auth status` and its credentials";
                }
                self->persist(*inst);
                co_return;
            }
        }
    }

    /// The synchronous part of a launch: up to 15 s (or the grace, when shorter).
    static net::awaitable<void> wait_ready(std::shared_ptr<impl> self, std::string id) {
        const auto grace = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(self->cfg.claude.startup_grace_seconds));
        const auto deadline = std::chrono::steady_clock::now() + std::min<std::chrono::steady_clock::duration>(ready_timeout, grace);
        poll_backoff backoff;
        for (;;) {
            instance* inst = self->find(id);
            if (!inst || inst->status != instance_status::starting) co_return;
            if (self->apply_observation(*inst)) co_return;
            if (std::chrono::steady_clock::now() >= deadline) {
                if (grace <= ready_timeout && self->primary_live(*inst)) {
                    inst->status = instance_status::error;
                    self->capture_error_detail(*inst);
                    if (!inst->error_detail)
                        inst->error_detail =
                            "the bridge is running but never registered an environment within "
                            "claude.startup_grace_seconds; check `claude auth status` and its credentials";
                }
                co_return;
            }
            co_await sleep_for(backoff.next());
        }
    }

    //--------------------------------------------------------------------------
    // Sync with the store (rows written by other processes)

    /// Adds rows another process created, drops rows it forgot, and refreshes
    /// intentional_stop. A new live row is watched; a dead one reads STOPPED.
    void sync_from_store() {
        // Nothing written by another process since the last sync: nothing to merge.
        const auto token = store.change_token();
        if (token && synced_token == token) return;
        auto rows = store.list();
        if (!rows) return;
        synced_token = token;
        std::set<std::string, std::less<>> seen;
        for (auto& row : *rows) {
            seen.insert(row.instance_id);
            if (instance* known = find(row.instance_id)) {
                known->intentional_stop = row.intentional_stop;
                continue;
            }
            attach_row(std::move(row));
        }
        std::vector<std::string> gone;
        for (const auto& id : order)
            if (!seen.contains(id) && !instances.at(id).is_active()) gone.push_back(id);
        if (!read_only)
            for (const auto& id : gone) forget_local(id);
    }

    /// Brings a persisted row back: live → STARTING/RUNNING (watched), dead → STOPPED.
    void attach_row(instance row) {
        row.status = instance_status::stopped;
        if (primary_live(row)) {
            row.status = instance_status::starting;
            if (observe(row) == readiness::ready) row.status = instance_status::running;
        }
        const std::string id = row.instance_id;
        const bool live = row.is_active();
        remember(std::move(row));
        if (live) start_watches(id);
    }

    //--------------------------------------------------------------------------
    // Locks, environment, launch

    static net::awaitable<outcome<file_lock>> lock_project(std::shared_ptr<impl> self, std::string project) {
        auto path = lock_path_for(self->paths.state_dir, "project", project);
        if (!path) co_return path.error();
        const auto deadline = std::chrono::steady_clock::now() + lock_timeout;
        for (;;) {
            auto lock = file_lock::try_acquire(*path);
            if (lock) co_return std::move(*lock);
            if (lock.error().code != errc::unavailable || std::chrono::steady_clock::now() >= deadline)
                co_return make_failure(errc::conflict, "could not lock project '" + project + "': " +
                                                           lock.error().message);
            co_await sleep_for(20ms);
        }
    }

    environment child_environment() const { return claude_child_environment(env, cfg); }

    int live_bridge_count() {
        int n = 0;
        for (auto& [id, inst] : instances)
            if (inst.is_active() && primary_live(inst)) ++n;
        return n;
    }

    instance* live_standard_bridge(const std::string& project) {
        for (const auto& id : order) {
            instance& inst = instances.at(id);
            if (inst.project == project && inst.resume_mode == launch_mode::standard && inst.is_active() &&
                primary_live(inst))
                return &inst;
        }
        return nullptr;
    }

    /// Applies the log retention (it scans the whole logs directory) at the
    /// first launch and then at most once a minute, not on every spawn.
    void prune_logs_now_and_then(const fs::path& dir) {
        const auto now = std::chrono::steady_clock::now();
        if (last_prune && now - *last_prune < log_prune_period) return;
        last_prune = now;
        std::set<std::string, std::less<>> live_stems;
        for (auto& [id, other] : instances)
            if (other.log_stem && (other.is_active() || any_pid_live(other))) live_stems.insert(*other.log_stem);
        prune_log_sets(dir,
                       {static_cast<unsigned>(std::max(0, cfg.logs.retention_max_age_days)),
                        static_cast<std::size_t>(std::max(0, cfg.logs.retention_max_files)),
                        static_cast<std::uintmax_t>(std::max(0, cfg.logs.retention_max_total_mb))},
                       live_stems, clk.now());
    }

    /// Starts the processes for @p inst (fresh log set) and records their identity.
    outcome<void> launch(instance& inst, const project& proj, bool continue_session,
                         const std::optional<std::string>& resume_session_id) {
        const auto binary = resolve_executable(cfg.claude.binary, child_environment());
        if (!binary) return make_failure(errc::conflict, "launch failed: claude binary not found: " + cfg.claude.binary);
        auto dir = ensure_logs_dir(paths.state_dir);
        if (!dir) return make_failure(errc::conflict, "launch failed: " + dir.error().message);
        prune_logs_now_and_then(*dir);

        const std::string stem = make_log_stem(inst.label, clk.now(), seq.next());
        const log_set_paths set = log_set_for(*dir, stem);
        if (auto made = precreate_log(set.debug_log); !made)
            return make_failure(errc::conflict, "launch failed: " + made.error().message);

        bridge_launch_options o;
        o.label = inst.label;
        o.debug_file = set.debug_log;
        o.spawn_mode = inst.spawn_mode;
        o.permission_mode = inst.permission_mode;
        o.session_name_prefix = cfg.instance_defaults.session_name_prefix;
        o.capacity = cfg.instance_defaults.capacity;
        o.verbose = cfg.instance_defaults.verbose;
        o.worktree_name = inst.worktree_name;
        o.continue_session = continue_session;
        o.resume_session_id = resume_session_id;

        launch_request req;
        req.cwd = proj.path;
        req.env = child_environment();
        if (inst.resume_mode == launch_mode::standard) {
            req.argv.push_back(binary->string());
            for (auto& a : profile.server_mode_args(o)) req.argv.push_back(std::move(a));
            req.output_path = set.stderr_log;
        } else {
            req.argv = {paths.keeper_executable.string(), "__pty-keeper__", "--sidecar", set.keeper_json.string(),
                        "--cwd", proj.path.string(), "--", binary->string()};
            for (auto& a : profile.interactive_args(o)) req.argv.push_back(std::move(a));
            req.output_path = set.keeper_log;
            // The TUI renders for a terminal; under systemd nothing sets TERM.
            if (!req.env.contains("TERM")) req.env["TERM"] = "xterm-256color";
        }
        auto launched = exec.launch(req);
        if (!launched) return make_failure(errc::conflict, "launch failed: " + launched.error().message);

        inst.log_stem = stem;
        inst.bridge_debug_log_path = set.debug_log;
        inst.bridge_raw_log_path.reset();
        if (inst.resume_mode == launch_mode::standard) {
            inst.bridge = *launched;
            inst.keeper.reset();
        } else {
            inst.keeper = *launched;
            inst.bridge.reset();
        }
        inst.status = instance_status::starting;
        inst.intentional_stop = false;
        inst.started_at = clk.now();
        inst.claude_version = claude_version;
        inst.bridge_id.reset();
        inst.environment_id.reset();
        inst.starter_session_id.reset();
        inst.url.reset();
        inst.error_detail.reset();
        inst.notice.reset();
        return {};
    }

    void acknowledge_remote_control_once() {
        if (rc_acknowledged || !cfg.claude.auto_enable_remote_control) return;
        rc_acknowledged = true;
        if (auto r = claude_json.acknowledge_remote_control(); !r)
            std::cerr << "clauster: warning: could not pre-enable remote control: " << r.error().message << '\n';
    }

    //--------------------------------------------------------------------------
    // Resolution (spec §2.3)

    outcome<std::string> resolve(std::string_view ref, const std::string& not_found_message) {
        if (find(ref)) return std::string(ref);
        if (projects.find(ref)) {
            // A project name is never read as a prefix, even without bridges.
            std::vector<std::string> matches;
            for (const auto& id : order)
                if (instances.at(id).project == ref) matches.push_back(id);
            if (matches.size() == 1) return matches.front();
            if (matches.empty()) return make_failure(errc::not_found, not_found_message);
            return ambiguous(ref, matches, "use an instance id directly");
        }
        std::vector<std::string> matches;
        if (!ref.empty())
            for (const auto& id : order)
                if (id.starts_with(ref)) matches.push_back(id);
        if (matches.size() == 1) return matches.front();
        if (matches.empty()) return make_failure(errc::not_found, not_found_message);
        return ambiguous(ref, matches, "use more characters");
    }

    static failure ambiguous(std::string_view ref, const std::vector<std::string>& ids, std::string_view hint) {
        std::string list;
        for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
        return make_failure(errc::conflict,
                            "ambiguous '" + std::string(ref) + "' \u2014 matches " + list + "; " + std::string(hint));
    }

    //--------------------------------------------------------------------------
    // Operations

    static net::awaitable<outcome<spawn_result>> do_spawn(std::shared_ptr<impl> self, spawn_request request) {
        self->sync_from_store();
        const auto proj = self->projects.find(request.project);
        if (!proj) co_return make_failure(errc::not_found, "project '" + request.project + "' not found");
        auto valid = detail::validate_spawn(request, *proj, self->cfg, self->paths.home);
        if (!valid) co_return valid.error();
        if (proj->trust_state != trust_state::trusted && !request.trust)
            co_return make_failure(errc::conflict,
                                   untrusted_message(proj->path));
        self->acknowledge_remote_control_once();

        auto lock = co_await lock_project(self, proj->name);
        if (!lock) co_return lock.error();
        // Under the lock: rows another process wrote since we last looked count too.
        self->sync_from_store();
        if (valid->resume_mode == launch_mode::standard) {
            if (instance* live = self->live_standard_bridge(proj->name))
                co_return spawn_result{*live, false, "a Server Mode bridge is already running for this project",
                                       valid->warnings};
        }
        if (const auto cap = self->cfg.instance_defaults.max_bridges) {
            if (const int live = self->live_bridge_count(); live >= *cap)
                co_return make_failure(errc::conflict, "max_bridges reached: " + std::to_string(live) +
                                                           " live bridge(s), cap " + std::to_string(*cap));
        }
        if (request.trust && proj->trust_state != trust_state::trusted) {
            if (auto r = self->claude_json.set_trusted(proj->path); !r)
                co_return make_failure(errc::conflict, "could not update trust state: " + r.error().message);
            self->projects.invalidate();
        }

        instance inst;
        inst.instance_id = new_uuid4();
        inst.project = proj->name;
        inst.label = valid->label;
        inst.spawn_mode = valid->spawn_mode;
        inst.permission_mode = valid->permission_mode;
        inst.resume_mode = valid->resume_mode;
        inst.created_at = self->clk.now();
        if (inst.resume_mode == launch_mode::pty && inst.spawn_mode == spawn_mode::worktree)
            inst.worktree_name = "clauster-" + short_id(inst.instance_id);
        if (auto launched = self->launch(inst, *proj, false, valid->resume_session_id); !launched)
            co_return launched.error();
        const std::string id = inst.instance_id;
        self->remember(std::move(inst));
        self->publish("instance.starting", *self->find(id));
        self->spawned_here.insert(id);
        self->persist(*self->find(id));
        lock->release();

        co_await wait_ready(self, id);
        instance* now = self->find(id);
        if (!now) co_return make_failure(errc::conflict, "launch failed: the instance vanished");
        self->persist(*now);
        self->start_watches(id);
        co_return spawn_result{*self->find(id), true, std::nullopt, valid->warnings};
    }

    static net::awaitable<outcome<instance>> do_stop(std::shared_ptr<impl> self, std::string ref) {
        self->sync_from_store();
        auto id = self->resolve(ref, "no managed instance: '" + ref + "'");
        if (!id) co_return id.error();
        instance* inst = self->find(*id);
        const std::string project = inst->project;
        auto lock = co_await lock_project(self, project);
        if (!lock) co_return lock.error();
        inst = self->find(*id);
        if (!inst) co_return make_failure(errc::not_found, "no managed instance: '" + ref + "'");

        ++self->generation[*id];  // stand the startup watch down; the exit watch re-checks below
        inst->intentional_stop = true;
        if (!self->read_only) {
            if (auto r = self->store.set_intentional_stop(*id, true); !r)
                co_return make_failure(errc::unavailable, "could not record the stop: " + r.error().message());
            self->persist(*inst);
        }
        // Pick up the bridge pid of a keeper that has not been observed yet.
        if (inst->resume_mode == launch_mode::pty && !inst->bridge) self->observe(*inst);
        const auto bridge = inst->bridge;
        const auto keeper = inst->keeper;
        const bool pty = inst->resume_mode == launch_mode::pty;

        if (bridge && self->exec.is_live(*bridge, process_role::bridge)) {
            if (auto sent = self->exec.signal(*bridge, process_role::bridge, SIGINT); sent && pty) {
                co_await sleep_for(pty_sigint_gap);  // the TUI asks for a second Ctrl-C
                (void)self->exec.signal(*bridge, process_role::bridge, SIGINT);
            }
            co_await wait_gone(self, *bridge, process_role::bridge, stop_grace);
            if (self->exec.is_live(*bridge, process_role::bridge)) {
                (void)self->exec.kill_tree(*bridge, process_role::bridge);
                co_await wait_gone(self, *bridge, process_role::bridge, kill_settle);  // SIGKILL is asynchronous
            }
        }
        if (keeper && self->exec.is_live(*keeper, process_role::keeper)) {
            if (!bridge) (void)self->exec.signal(*keeper, process_role::keeper, SIGTERM);
            co_await wait_gone(self, *keeper, process_role::keeper, keeper_grace);
            if (self->exec.is_live(*keeper, process_role::keeper)) {
                (void)self->exec.kill_tree(*keeper, process_role::keeper);
                co_await wait_gone(self, *keeper, process_role::keeper, kill_settle);
            }
        }
        inst = self->find(*id);
        if (!inst) co_return make_failure(errc::not_found, "no managed instance: '" + ref + "'");
        self->observe(*inst);
        inst->status = instance_status::stopped;
        self->spawned_here.erase(*id);
        self->persist(*inst);
        co_return *inst;
    }

    static net::awaitable<void> wait_gone(std::shared_ptr<impl> self, process_identity who, process_role role,
                                          std::chrono::steady_clock::duration limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        poll_backoff backoff;
        while (self->exec.is_live(who, role) && std::chrono::steady_clock::now() < deadline)
            co_await sleep_for(backoff.next());
    }

    static net::awaitable<outcome<spawn_result>> do_resume(std::shared_ptr<impl> self, std::string ref) {
        self->sync_from_store();
        auto id = self->resolve(ref, "no such instance: " + ref);
        if (!id) co_return id.error();
        instance target = *self->find(*id);
        if (auto refused = detail::bypass_refusal(target.permission_mode, target.project, self->cfg))
            co_return *refused;
        const auto proj = self->projects.find(target.project);
        if (!proj) co_return make_failure(errc::not_found, "project '" + target.project + "' not found");

        if (target.resume_mode == launch_mode::standard) {
            if (instance* live = self->live_standard_bridge(target.project))
                co_return spawn_result{*live, false, "a Server Mode bridge is already running for this project", {}};
            spawn_request req;
            req.project = target.project;
            req.spawn_mode = std::string(to_string(target.spawn_mode));
            req.permission_mode = std::string(to_string(target.permission_mode));
            req.resume_mode = "standard";
            if (target.label != target.project) req.name = target.label;
            auto spawned = co_await do_spawn(self, std::move(req));
            if (spawned && spawned->created && !self->any_pid_live(target)) {
                // The new bridge supersedes the dead card it resumed.
                if (!self->read_only) (void)self->store.remove(target.instance_id);
                if (self->find(target.instance_id)) self->forget_local(target.instance_id);
            }
            co_return spawned;
        }

        // Interactive Session: the same instance relaunches with --continue.
        if (self->primary_live(target)) {
            instance* live = self->find(*id);
            co_return spawn_result{*live, false, "the Interactive Session is already running", {}};
        }
        if (proj->trust_state != trust_state::trusted)
            co_return make_failure(errc::conflict,
                                   untrusted_message(proj->path));
        auto lock = co_await lock_project(self, target.project);
        if (!lock) co_return lock.error();
        instance* inst = self->find(*id);
        if (!inst) co_return make_failure(errc::not_found, "no such instance: " + ref);
        if (auto launched = self->launch(*inst, *proj, true, std::nullopt); !launched) co_return launched.error();
        self->spawned_here.insert(*id);
        self->persist(*inst);
        lock->release();
        co_await wait_ready(self, *id);
        inst = self->find(*id);
        self->persist(*inst);
        self->start_watches(*id);
        co_return spawn_result{*inst, true, std::nullopt, {}};
    }

    //--------------------------------------------------------------------------
    // Recovery (spec §7.3)

    static net::awaitable<void> do_recover(std::shared_ptr<impl> self, bool read_only) {
        self->read_only = read_only;
        self->sync_from_store();
        if (!read_only) {
            for (auto& [id, inst] : self->instances) self->persist(inst);
        }
        self->recover_keepers();
        co_await adopt_from_pointers(self);
    }

    /// Live PTY keepers whose sidecar no row claims (a lost row) come back as
    /// managed Interactive Sessions. An Interactive Session's label is its
    /// project, so the sidecar's stem names the project.
    void recover_keepers() {
        const fs::path dir = logs_dir(paths.state_dir);
        std::error_code ec;
        std::set<int> claimed;
        std::set<std::string, std::less<>> claimed_stems;
        for (const auto& [id, inst] : instances) {
            if (inst.keeper) claimed.insert(inst.keeper->pid);
            if (inst.log_stem) claimed_stems.insert(*inst.log_stem);
        }
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (!name.ends_with(".keeper.json")) continue;
            const auto stem = log_stem_of(name);
            if (!stem || claimed_stems.contains(*stem)) continue;
            const auto sidecar = read_keeper_sidecar(it->path());
            if (!sidecar || sidecar->keeper_pid <= 0 || claimed.contains(sidecar->keeper_pid)) continue;
            const process_identity keeper{sidecar->keeper_pid, sidecar->keeper_start_ticks, sidecar->boot_id,
                                          std::nullopt};
            if (!sidecar->keeper_start_ticks || !exec.is_live(keeper, process_role::keeper)) continue;
            const std::string project_name = stem->substr(0, stem->find_last_of('-', stem->find_last_of('-') - 1));
            const auto proj = projects.find(project_name);
            if (!proj) continue;

            instance inst;
            inst.instance_id = uuid_from_seed("clauster.keeper|" + *stem + "|" + std::to_string(keeper.pid) + "|" +
                                              std::to_string(*keeper.start_ticks));
            if (find(inst.instance_id)) continue;
            inst.project = proj->name;
            inst.label = proj->name;
            inst.keeper = exec.identify(keeper.pid).value_or(keeper);
            inst.resume_mode = launch_mode::pty;
            inst.permission_mode = cfg.instance_defaults.permission_mode;
            inst.log_stem = *stem;
            inst.bridge_debug_log_path = log_set_for(dir, *stem).debug_log;
            // The bridge's own argv (after the keeper's `--`) says how it runs.
            if (const auto argv = read_cmdline(keeper.pid)) {
                const auto sep = std::find(argv->begin(), argv->end(), "--");
                for (auto a = sep; a != argv->end() && a + 1 != argv->end(); ++a) {
                    if (*a == "--worktree") {
                        inst.worktree_name = *(a + 1);
                        inst.spawn_mode = spawn_mode::worktree;
                    }
                    if (*a == "--permission-mode")
                        inst.permission_mode = parse_permission_mode(*(a + 1)).value_or(inst.permission_mode);
                }
            }
            inst.status = instance_status::starting;
            if (observe(inst) == readiness::ready) inst.status = instance_status::running;
            inst.created_at = clk.now();
            const std::string id = inst.instance_id;
            remember(std::move(inst));
            persist(*find(id));
            start_watches(id);
        }
    }

    bool is_managed_pid(int pid) const {
        for (const auto& [id, inst] : instances)
            if (inst.bridge && inst.bridge->pid == pid) return true;
        return false;
    }

    /// Live Server Mode bridges known only by their pointer (started by hand, or a
    /// lost row) become managed RUNNING instances with a deterministic id.
    ///
    /// Each adoption re-reads the rows under the project lock: a bridge another
    /// process is launching right now writes its pointer only after that process
    /// saved its row under the same lock, so the bridge is never adopted twice.
    static net::awaitable<void> adopt_from_pointers(std::shared_ptr<impl> self) {
        for (const auto& proj : self->projects.list()) {
            if (!self->unmanaged_standard_bridge(proj)) continue;
            auto lock = co_await lock_project(self, proj.name);
            if (!lock) continue;
            self->sync_from_store();
            if (const auto bridge = self->unmanaged_standard_bridge(proj)) self->adopt(proj, bridge->first, bridge->second);
        }
    }

    /// The pointer's bridge when it is a live, unmanaged Server Mode bridge in
    /// @p proj's directory (pid + start ticks + subcommand form + cwd).
    std::optional<std::pair<bridge_pointer, process_identity>> unmanaged_standard_bridge(const project& proj) {
        const auto pointer = read_bridge_pointer(bridge_pointer_path(paths.home, proj.path));
        if (!pointer || !pointer->proc_start_ticks || is_managed_pid(pointer->pid)) return std::nullopt;
        const process_identity who{pointer->pid, pointer->proc_start_ticks, std::nullopt, std::nullopt};
        if (!exec.is_live(who, process_role::standard_bridge)) return std::nullopt;
        const auto cwd = exec.cwd_of(pointer->pid);
        std::error_code ec;
        if (!cwd || !fs::equivalent(*cwd, proj.path, ec)) return std::nullopt;
        return std::pair{*pointer, who};
    }

    /// Registers the live bridge behind @p pointer as a RUNNING Server Mode
    /// instance with a deterministic id; @return that id.
    std::string adopt(const project& proj, const bridge_pointer& pointer, const process_identity& who) {
        instance inst;
        inst.instance_id = uuid_from_seed("clauster.adopted|" + proj.name + "|" + pointer.environment_id + "|" +
                                          std::to_string(pointer.pid) + "|" +
                                          std::to_string(*pointer.proc_start_ticks));
        if (find(inst.instance_id)) return inst.instance_id;
        inst.project = proj.name;
        inst.label = proj.name;
        inst.bridge = exec.identify(pointer.pid).value_or(who);
        inst.resume_mode = launch_mode::standard;
        inst.spawn_mode = cfg.instance_defaults.spawn_mode;
        inst.permission_mode = cfg.instance_defaults.permission_mode;
        // The bridge's own argv says how it runs (so a later Resume relaunches it alike).
        if (const auto argv = read_cmdline(pointer.pid)) {
            const auto end = std::find(argv->begin(), argv->end(), "--");
            for (auto a = argv->begin(); a != end && a + 1 != end; ++a) {
                if (*a == "--spawn") inst.spawn_mode = parse_spawn_mode(*(a + 1)).value_or(inst.spawn_mode);
                if (*a == "--permission-mode")
                    inst.permission_mode = parse_permission_mode(*(a + 1)).value_or(inst.permission_mode);
                if (*a == "--name")
                    if (auto label = detail::clean_custom_name(*(a + 1)); label && !label->empty()) inst.label = *label;
            }
        }
        inst.status = instance_status::running;
        if (!pointer.environment_id.empty()) {
            inst.environment_id = pointer.environment_id;
            inst.url = "https://claude.ai/code?environment=" + pointer.environment_id;
        }
        if (!pointer.session_id.empty()) inst.starter_session_id = pointer.session_id;
        if (inst.bridge->proc_start)
            inst.started_at = instance::time_point(std::chrono::duration_cast<instance::time_point::duration>(
                std::chrono::duration<double>(*inst.bridge->proc_start)));
        inst.created_at = clk.now();
        const std::string id = inst.instance_id;
        remember(std::move(inst));
        persist(*find(id));
        start_watches(id);
        return id;
    }

    static net::awaitable<outcome<instance>> do_adopt(std::shared_ptr<impl> self, std::string name) {
        const auto proj = self->projects.find(name);
        if (!proj) co_return make_failure(errc::not_found, "project '" + name + "' not found");
        auto lock = co_await lock_project(self, proj->name);
        if (!lock) co_return lock.error();
        self->sync_from_store();
        // At most one live Server Mode bridge per project, ours included.
        if (const instance* managed = self->live_standard_bridge(proj->name))
            co_return make_failure(errc::conflict, "'" + proj->name +
                                                       "' is already managed: its Server Mode bridge is " +
                                                       short_id(managed->instance_id));
        const auto bridge = self->unmanaged_standard_bridge(*proj);
        if (!bridge)
            co_return make_failure(errc::conflict,
                                   "'" + proj->name +
                                       "' has nothing to adopt: no live Server Mode bridge per its bridge pointer "
                                       "(it may have ended; Interactive Sessions cannot be adopted)");
        const std::string id = self->adopt(*proj, bridge->first, bridge->second);
        self->publish("instance.adopted", *self->find(id));
        co_return *self->find(id);
    }
};

//------------------------------------------------------------------------------

instance_manager::instance_manager(net::any_io_executor ex, const config& cfg, executor& exec, instance_store& store,
                                   project_catalog& projects, const clock& clk, environment env, instance_paths paths)
    : impl_(std::make_shared<impl>(std::move(ex), cfg, exec, store, projects, clk, std::move(env), std::move(paths))) {}

instance_manager::~instance_manager() { impl_->shut_down = true; }

net::awaitable<void> instance_manager::recover(bool read_only) { return impl::do_recover(impl_, read_only); }

std::vector<instance> instance_manager::list() {
    impl_->sync_from_store();
    std::vector<instance> out;
    out.reserve(impl_->order.size());
    for (const auto& id : impl_->order) out.push_back(impl_->instances.at(id));
    return out;
}

outcome<instance> instance_manager::get(std::string_view ref) {
    impl_->sync_from_store();
    auto id = impl_->resolve(ref, "no such instance: " + std::string(ref));
    if (!id) return id.error();
    return *impl_->find(*id);
}

net::awaitable<outcome<spawn_result>> instance_manager::spawn(spawn_request request) {
    return impl::do_spawn(impl_, std::move(request));
}

net::awaitable<outcome<instance>> instance_manager::stop(std::string ref) { return impl::do_stop(impl_, std::move(ref)); }

net::awaitable<outcome<spawn_result>> instance_manager::resume(std::string ref) {
    return impl::do_resume(impl_, std::move(ref));
}

outcome<std::string> instance_manager::forget(std::string_view ref) {
    impl_->sync_from_store();
    auto id = impl_->resolve(ref, "no such instance: " + std::string(ref));
    if (!id) return id.error();
    instance* inst = impl_->find(*id);
    if (inst->is_active() || impl_->any_pid_live(*inst))
        return make_failure(errc::conflict, "instance " + *id + " is still live; stop it first");
    if (!impl_->read_only) {
        if (auto r = impl_->store.remove(*id); !r && r.error() != errc::not_found)
            return make_failure(errc::unavailable, "could not forget " + *id + ": " + r.error().message());
    }
    if (const instance* gone = impl_->find(*id)) impl_->publish("instance.forgotten", *gone);
    impl_->forget_local(*id);
    return std::string(ref);
}

int instance_manager::running_count() {
    int n = 0;
    for (const auto& [id, inst] : impl_->instances)
        if (inst.status == instance_status::running) ++n;
    return n;
}

void instance_manager::shutdown() { impl_->shut_down = true; }

void instance_manager::set_event_sink(event_sink* sink) { impl_->events = sink; }

void instance_manager::set_claude_version(std::optional<std::string> version) {
    impl_->claude_version = std::move(version);
}

void instance_manager::sweep() {
    impl_->sync_from_store();
    for (const auto& id : std::vector<std::string>(impl_->order)) {
        instance* inst = impl_->find(id);
        if (!inst || !inst->is_active() || impl_->primary_live(*inst)) continue;
        impl_->observe(*inst);  // last markers
        if (!inst->is_active()) continue;
        impl_->settle_exit(*inst);
        impl_->persist(*inst);
    }
}

std::vector<bridge_claim> instance_manager::session_claims() {
    std::vector<bridge_claim> out;
    for (const auto& id : impl_->order) {
        const instance& inst = impl_->instances.at(id);
        if (!inst.is_active()) continue;
        const auto proj = impl_->projects.find(inst.project);
        if (!proj) continue;
        std::vector<int> roots;
        if (inst.keeper && impl_->exec.is_live(*inst.keeper, process_role::keeper)) roots.push_back(inst.keeper->pid);
        if (inst.bridge && impl_->exec.is_live(*inst.bridge, process_role::bridge)) roots.push_back(inst.bridge->pid);
        if (roots.empty()) continue;  // no live process: it owns nothing
        bridge_claim claim{inst.instance_id, proj->path, inst.spawn_mode == spawn_mode::worktree, std::set<int>{}};
        for (const int root : roots) {
            claim.owned_pids->insert(root);
            for (const int pid : impl_->exec.descendants(root)) claim.owned_pids->insert(pid);
        }
        out.push_back(std::move(claim));
    }
    return out;
}

bool instance_manager::adoptable(std::string_view project) {
    const auto proj = impl_->projects.find(project);
    return proj && impl_->unmanaged_standard_bridge(*proj).has_value();
}

net::awaitable<outcome<instance>> instance_manager::adopt(std::string project) {
    return impl::do_adopt(impl_, std::move(project));
}

}  // namespace clauster::core
