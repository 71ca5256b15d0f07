#include "cmd_instances.hpp"

#include "engine.hpp"

#include <clauster/core/bridge_logs.hpp>
#include <clauster/core/pty_keeper.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace clauster::cli {
namespace {

namespace net = boost::asio;

struct keepers_options {
    int kill_pid = 0;
    CLI::Option* kill_opt = nullptr;
};

/// A live keeper whose sidecar no instance row claims.
struct orphan_keeper {
    std::filesystem::path sidecar_path;
    std::string stem;
    core::keeper_sidecar sidecar;
    core::process_identity identity;
};

/// The label part of `<label>-<epoch_ms>-<seq>` (best effort: the label is the
/// project name for pty bridges, which take no custom name).
std::string project_of_stem(std::string_view stem) {
    for (int i = 0; i < 2; ++i) {
        const auto dash = stem.rfind('-');
        if (dash == std::string_view::npos) return std::string(stem);
        stem = stem.substr(0, dash);
    }
    return std::string(stem);
}

/// The identity a sidecar records for its keeper (pid + start ticks + boot id).
core::process_identity keeper_identity(const core::keeper_sidecar& s) {
    core::process_identity id;
    id.pid = s.keeper_pid;
    id.start_ticks = s.keeper_start_ticks;
    id.boot_id = s.boot_id;
    return id;
}

bool claimed_by(const core::instance& row, std::string_view stem, const core::process_identity& keeper) {
    if (row.log_stem && *row.log_stem == stem) return true;
    return row.keeper && row.keeper->pid == keeper.pid &&
           (!row.keeper->start_ticks || !keeper.start_ticks || row.keeper->start_ticks == keeper.start_ticks);
}

/// Globs `state_dir/logs/*.keeper.json` and keeps the keepers that are live
/// (pid + start identity + a `__pty-keeper__` command line) and claimed by no
/// row of the `instances` table. Rows are read straight from the store, not
/// through a reattach, which could itself adopt the very keepers we look for.
std::vector<orphan_keeper> find_orphans(engine& eng) {
    auto rows = eng.instance_store().list();
    if (!rows) {
        say("could not read the instances: " + rows.error().message());
        throw command_exit{exit_failed};
    }
    std::vector<orphan_keeper> orphans;
    const auto dir = core::logs_dir(eng.state_dir());
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        const auto name = it->path().filename().string();
        constexpr std::string_view suffix = ".keeper.json";
        if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
        const auto stem = core::log_stem_of(name);
        if (!stem) continue;
        const auto sidecar = core::read_keeper_sidecar(it->path());
        if (!sidecar) continue;
        const auto identity = keeper_identity(*sidecar);
        if (!eng.processes().is_live(identity, core::process_role::keeper)) continue;
        const bool claimed = std::any_of(rows->begin(), rows->end(),
                                         [&](const core::instance& row) { return claimed_by(row, *stem, identity); });
        if (!claimed) orphans.push_back({it->path(), *stem, *sidecar, identity});
    }
    std::sort(orphans.begin(), orphans.end(),
              [](const orphan_keeper& a, const orphan_keeper& b) { return a.stem < b.stem; });
    return orphans;
}

/// True when the process exits within @p limit (a pidfd wait raced with a timer).
net::awaitable<bool> exits_within(core::executor* exec, core::process_identity id, std::chrono::milliseconds limit) {
    using namespace net::experimental::awaitable_operators;
    net::steady_timer timer(co_await net::this_coro::executor, limit);
    auto first = co_await (exec->wait_for_exit(id) || timer.async_wait(net::use_awaitable));
    co_return first.index() == 0;
}

void list_orphans(engine& eng) {
    const auto orphans = find_orphans(eng);
    if (orphans.empty()) {
        say("no orphan keepers");
        return;
    }
    for (const auto& o : orphans) {
        const auto& s = o.sidecar;
        std::cout << "keeper_pid=" << s.keeper_pid << " project=" << project_of_stem(o.stem)
                  << " bridge_pid=" << (s.bridge_pid ? std::to_string(*s.bridge_pid) : std::string("-"))
                  << " session=" << s.session_id.value_or("-") << " state=" << core::to_string(s.state) << '\n';
    }
    std::cout.flush();
}

void kill_orphan(engine& eng, int pid) {
    const auto orphans = find_orphans(eng);
    const auto it = std::find_if(orphans.begin(), orphans.end(),
                                 [pid](const orphan_keeper& o) { return o.sidecar.keeper_pid == pid; });
    if (it == orphans.end()) {
        say(std::to_string(pid) + " is not an orphan keeper");
        throw command_exit{exit_bad_input};
    }
    auto& exec = eng.processes();
    // SIGTERM first: the keeper forwards it to its bridge and exits with it.
    if (auto sent = exec.signal(it->identity, core::process_role::keeper, SIGTERM);
        !sent && sent.error().code != core::errc::not_found) {
        say("could not signal keeper " + std::to_string(pid) + ": " + sent.error().message);
        throw command_exit{exit_failed};
    }
    if (!eng.run(exits_within(&exec, it->identity, std::chrono::seconds(5)))) {
        // Still there: SIGKILL its tree (bridge included); the executor re-checks
        // the identity and the keeper command line right before signalling.
        if (auto killed = exec.kill_tree(it->identity, core::process_role::keeper);
            !killed && killed.error().code != core::errc::not_found) {
            say("could not kill keeper " + std::to_string(pid) + ": " + killed.error().message);
            throw command_exit{exit_failed};
        }
        if (!eng.run(exits_within(&exec, it->identity, std::chrono::seconds(2)))) {
            say("keeper " + std::to_string(pid) + " did not exit");
            throw command_exit{exit_failed};
        }
    }
    std::error_code ec;
    std::filesystem::remove(it->sidecar_path, ec);
    if (ec) say("warning: could not delete " + it->sidecar_path.string() + ": " + ec.message());
    say("stopped keeper " + std::to_string(pid));
}

void run_keepers(const global_options& global, const keepers_options& o) {
    auto eng = engine::open_or_exit(global);
    if (o.kill_opt != nullptr && o.kill_opt->count() > 0)
        kill_orphan(*eng, o.kill_pid);
    else
        list_orphans(*eng);
}

}  // namespace

void setup_keepers(CLI::App& app, std::shared_ptr<global_options> global) {
    auto o = std::make_shared<keepers_options>();
    auto* cmd = app.add_subcommand("keepers", "List orphan PTY keepers (live keepers no instance claims)");
    o->kill_opt = cmd->add_option("--kill", o->kill_pid, "Stop the orphan keeper with this PID (and its bridge)");
    cmd->callback([global, o] { run_keepers(*global, *o); });
}

}  // namespace clauster::cli
