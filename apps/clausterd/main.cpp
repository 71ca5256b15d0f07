// clausterd: the composition root of the server. It parses the command line,
// loads the configuration, opens the store, builds the core manager and the
// HTTP front-end, and runs them on one io thread. No business logic lives here.

#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/config_loader.hpp>
#include <clauster/core/environment.hpp>
#include <clauster/core/instance_manager.hpp>
#include <clauster/core/local_executor.hpp>
#include <clauster/core/manager.hpp>
#include <clauster/core/secure_fs.hpp>
#include <clauster/core/time_format.hpp>
#include <clauster/core/version.hpp>
#include <clauster/http/server.hpp>
#include <clauster/store/database.hpp>
#include <clauster/store/sqlite_instance_store.hpp>
#include <clauster/store/sqlite_token_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <csignal>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <sys/resource.h>

namespace {

namespace net = boost::asio;
namespace fs = std::filesystem;
using namespace clauster;

constexpr std::string_view usage_text =
    "usage: clausterd [-c FILE] [--host HOST] [--port N] [--ready-file PATH] [--keeper-exe PATH]\n"
    "       clausterd --version | --help\n"
    "\n"
    "  -c, --config FILE    configuration file (else $CLAUSTER_CONFIG, ./clauster.yml,\n"
    "                       $CLAUSTER_HOME/clauster.yml, then the built-in defaults)\n"
    "      --host HOST      listen address (overrides the config's host)\n"
    "      --port N         listen port, 0 for an ephemeral one (overrides the config's port)\n"
    "      --ready-file P   once listening, atomically write http://<host>:<port> to P\n"
    "      --keeper-exe P   the `clauster` executable that runs PTY keepers for Interactive\n"
    "                       Sessions (default: `clauster` beside this clausterd)\n"
    "      --version        print the version and exit\n";

struct command_line {
    std::optional<fs::path> config;
    std::optional<std::string> host;
    std::optional<unsigned short> port;
    std::optional<fs::path> ready_file;
    std::optional<fs::path> keeper_exe;
    bool version = false;
    bool help = false;
};

std::optional<unsigned short> parse_port(std::string_view s) {
    unsigned value = 0;
    const auto* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, value);
    if (s.empty() || ec != std::errc{} || ptr != end || value > 65535) return std::nullopt;
    return static_cast<unsigned short>(value);
}

/// A hand parser for the flags (CLI11 belongs to apps/clauster).
/// Accepts `--flag value` and `--flag=value`. @return the parsed line or why not.
std::variant<command_line, std::string> parse_command_line(std::span<char*> args) {
    command_line out;
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::optional<std::string_view> inline_value;
        if (arg.starts_with("--")) {
            if (const auto eq = arg.find('='); eq != std::string_view::npos) {
                inline_value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
            }
        }
        const auto takes_value = [&](std::string_view name) -> std::variant<std::string_view, std::string> {
            if (inline_value) return *inline_value;
            if (i + 1 >= args.size()) return std::string(name) + " needs a value";
            return std::string_view(args[++i]);
        };

        if (arg == "--version" || arg == "--help" || arg == "-h") {
            if (inline_value) return std::string(arg) + " takes no value";
            if (arg == "--version") out.version = true;
            else out.help = true;
        } else if (arg == "-c" || arg == "--config" || arg == "--host" || arg == "--port" || arg == "--ready-file" ||
                   arg == "--keeper-exe") {
            auto value = takes_value(arg);
            if (auto* why = std::get_if<std::string>(&value)) return *why;
            const auto v = std::get<std::string_view>(value);
            if (arg == "-c" || arg == "--config") {
                if (v.empty()) return std::string("--config needs a file");
                out.config = fs::path(v);
            } else if (arg == "--host") {
                if (v.empty()) return std::string("--host needs a host");
                out.host = std::string(v);
            } else if (arg == "--port") {
                out.port = parse_port(v);
                if (!out.port) return "invalid port '" + std::string(v) + "' (0-65535)";
            } else if (arg == "--ready-file") {
                if (v.empty()) return std::string("--ready-file needs a path");
                out.ready_file = fs::path(v);
            } else {
                if (v.empty()) return std::string("--keeper-exe needs a path");
                out.keeper_exe = fs::absolute(fs::path(v));
            }
        } else {
            return "unknown argument '" + std::string(arg) + "'";
        }
    }
    return out;
}

/// The `clauster` binary installed beside this clausterd (it provides
/// `__pty-keeper__`). /proc/self/exe names us even when started through a
/// relative path or a symlink.
fs::path default_keeper_executable() {
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return fs::path("clauster");  // not absolute: pty launches then fail with a clear error
    return self.parent_path() / "clauster";
}

/// `http://<host>:<port>`, bracketing an IPv6 literal.
std::string base_url(const std::string& host, unsigned short port) {
    const bool v6 = host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// Every watched bridge and keeper holds a pidfd and every client a socket, so
/// the usual soft limit of 1024 descriptors caps a big host at a few hundred
/// bridges: lift it towards the hard limit (at most 65536, a value children,
/// which inherit it, handle well).
void raise_descriptor_limit() {
    constexpr rlim_t wanted = 65536;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    const rlim_t target = lim.rlim_max == RLIM_INFINITY ? wanted : std::min(lim.rlim_max, wanted);
    if (lim.rlim_cur >= target) return;
    lim.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
        std::cerr << "clauster: warning: could not raise the open-file limit to " << target << "\n";
}

/// One server-log line per event: `<time> INFO clauster.events: instance.running
/// 9fc85fc9 project=api`; crashes and errors are warnings and carry the last
/// line of their (redacted) detail, where the error usually is.
void log_event(const core::event& e, core::log_level threshold) {
    const bool bad = e.type == "instance.crashed" || e.type == "instance.error";
    const auto level = bad ? core::log_level::warning : core::log_level::info;
    if (static_cast<int>(level) < static_cast<int>(threshold)) return;
    std::string line = core::format_iso_seconds(e.at);
    line += bad ? " WARNING" : " INFO";
    line += " clauster.events: #" + std::to_string(e.seq) + " " + e.type + " " + e.subject.substr(0, 8);
    if (!e.project.empty()) line += " project=" + e.project;
    if (e.detail && !e.detail->empty()) line += " detail=" + e.detail->substr(e.detail->find_last_of('\n') + 1);
    line += '\n';
    std::cerr << line << std::flush;
}

int run(std::span<char*> args) {
    const auto parsed = parse_command_line(args);
    if (const auto* why = std::get_if<std::string>(&parsed)) {
        std::cerr << "clausterd: " << *why << "\n" << usage_text;
        return 2;
    }
    const auto& cli = std::get<command_line>(parsed);
    if (cli.help) {
        std::cout << usage_text;
        return 0;
    }
    if (cli.version) {
        std::cout << "clausterd " << core::version << "\n";
        return 0;
    }

    raise_descriptor_limit();

    // 1. Configuration. --host goes through the loader as CLAUSTER_HOST so the
    //    startup validators (non-loopback bind without auth) see it; --port may
    //    be 0, which the validator refuses, so it is applied afterwards.
    const auto env = core::current_environment();
    auto loader_env = env;
    if (cli.host) {
        loader_env["CLAUSTER_HOST"] = *cli.host;
        loader_env.erase("CLAUSTER_HOST_FILE");
    }
    auto loaded = core::load_config({cli.config, loader_env, fs::current_path()});
    if (!loaded) {
        std::cerr << "clauster: config error: " << loaded.error().message() << "\n";
        return 2;
    }
    core::config cfg = std::move(*loaded);
    for (const auto& w : cfg.warnings) std::cerr << "clauster: warning: " << w << "\n";
    if (cli.port) cfg.port = *cli.port;
    if (cfg.port < 0 || cfg.port > 65535) {
        std::cerr << "clauster: config error: port: must be 1-65535\n";
        return 2;
    }

    // 2. The io thread, then everything that runs on it. Declaration order is
    //    destruction order in reverse: the io_context outlives every object that
    //    owns I/O objects or coroutine frames bound to it.
    net::io_context ioc{1};

    // The store, migrated before anything is served (fail closed).
    auto db = store::database::open(cfg.state_dir, {.backup_before_migrate = cfg.db.backup_before_migrate});
    if (!db) {
        std::cerr << "clauster: database error: " << db.error().message << "\n";
        return 1;
    }
    store::sqlite_token_store tokens{*db};
    store::sqlite_instance_store instance_store{*db};
    core::system_clock clock;
    core::local_executor processes{ioc.get_executor()};
    core::manager mgr{cfg, tokens, clock, env};

    // A missing claude binary is reported by /healthz (claude_ok: false), not fatal.
    mgr.refresh_claude_probe();

    // 3. Bridge supervision. Bridges and keepers outlive this process; recovery
    //    reattaches them before the first request is served, so the first
    //    listing after a restart already holds each of them exactly once.
    const fs::path keeper = cli.keeper_exe ? *cli.keeper_exe : default_keeper_executable();
    if (std::error_code ec; !fs::is_regular_file(keeper, ec))
        std::cerr << "clauster: warning: keeper executable " << keeper.string()
                  << " not found; Interactive Session (pty) launches will fail\n";
    mgr.enable_instances(ioc.get_executor(), instance_store, processes,
                         core::instance_paths{.state_dir = mgr.config().state_dir,
                                              .home = core::home_directory(mgr.env()),
                                              .keeper_executable = keeper});
    // Background agents (`claude --bg` jobs, owned by Claude Code's supervisor).
    mgr.enable_agents(ioc.get_executor(), processes);
    // Working sessions (`claude agents --json`) and the poll loop that also sweeps liveness.
    mgr.enable_sessions(ioc.get_executor(), processes);
    {
        bool recovered = false;
        std::exception_ptr recover_error;
        net::co_spawn(ioc, mgr.instances().recover(), [&](std::exception_ptr e) {
            recovered = true;
            recover_error = e;
            // The watches recovery started keep the context busy: only this
            // completion decides when the startup run() returns.
            ioc.stop();
        });
        ioc.run();
        ioc.restart();
        if (recover_error) std::rethrow_exception(recover_error);  // main() prints it, exit 1
        if (!recovered) throw std::logic_error("instance recovery did not complete");
    }
    mgr.sessions().start();
    mgr.events().subscribe(
        [threshold = mgr.config().log_level](const core::event& e) { log_event(e, threshold); });

    // 4. The HTTP front-end on the same io thread.
    http::server_options options;
    options.host = mgr.config().host;
    options.port = static_cast<unsigned short>(mgr.config().port);
    http::server server{ioc.get_executor(), options, mgr};
    const auto port = server.start();
    if (!port) {
        std::cerr << "clauster: cannot listen on " << options.host << ":" << options.port << ": "
                  << port.error().message() << "\n";
        mgr.instances().shutdown();
        return 1;
    }

    const auto url = base_url(options.host, *port);
    const auto health = mgr.health();
    std::cerr << "clauster " << core::version << " | claude "
              << (health.claude_ok && health.claude_version ? *health.claude_version : std::string("missing"))
              << " | projects_root=" << mgr.config().projects_root.string() << " | " << url << std::endl;

    if (cli.ready_file) {
        auto written = core::write_private_file_atomic(*cli.ready_file, url + "\n");
        if (!written) {
            std::cerr << "clauster: cannot write ready file " << cli.ready_file->string() << ": "
                      << written.error().message << "\n";
            server.stop();
            mgr.instances().shutdown();
            return 1;
        }
    }

    // 5. Graceful shutdown: stop accepting and close connections, stand the
    //    bridge watches down (bridges and keepers keep running; the next start
    //    reattaches them), then stop the loop: the exit watches of live bridges
    //    would otherwise keep it busy for ever.
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&server, &mgr, &ioc](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        std::cerr << "clauster: " << (signo == SIGINT ? "SIGINT" : "SIGTERM") << " received, shutting down"
                  << std::endl;
        server.stop();
        mgr.sessions().shutdown();
        mgr.instances().shutdown();
        ioc.stop();
    });
    ioc.run();

    // Let the closed sessions and cancelled waits unwind while everything they
    // reference is alive; frames still pending are destroyed with ioc, last.
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(200));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(std::span<char*>(argv, static_cast<std::size_t>(argc)));
    } catch (const std::exception& e) {
        std::cerr << "clauster: " << e.what() << "\n";
        return 1;
    }
}
