#include "engine.hpp"

#include <clauster/core/environment.hpp>

#include <boost/asio/co_spawn.hpp>

#include <system_error>

namespace clauster::cli {

namespace net = boost::asio;

std::unique_ptr<engine> engine::open_or_exit(const global_options& global) {
    auto cfg = load_config_or_exit(global);
    auto db = store::database::open(cfg.state_dir, {.backup_before_migrate = cfg.db.backup_before_migrate});
    if (!db) {
        say("could not open the database: " + db.error().message);
        throw command_exit{exit_failed};
    }
    return std::unique_ptr<engine>(new engine(std::move(cfg), std::move(*db)));
}

engine::engine(core::config cfg, store::database db)
    : db_(std::move(db)),
      token_store_(db_),
      instance_store_(db_),
      executor_(ioc_.get_executor()),
      manager_(std::move(cfg), token_store_, clock_, core::current_environment()) {
    // The keeper is this very binary (`clauster __pty-keeper__ …`); /proc/self/exe
    // names it even when we were started through a relative path or a symlink.
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) self = "/proc/self/exe";
    manager_.enable_instances(ioc_.get_executor(), instance_store_, executor_,
                              core::instance_paths{.state_dir = manager_.config().state_dir,
                                                   .home = core::home_directory(manager_.env()),
                                                   .keeper_executable = self});
    manager_.enable_agents(ioc_.get_executor(), executor_);
    manager_.enable_sessions(ioc_.get_executor(), executor_);  // no poll loop: `sessions` refreshes once
}

engine::~engine() {
    // Cancel the manager's watches and let the completions that cancelling
    // made ready run while everything they reference is still alive (poll never
    // waits for a timer); whatever is still pending after that is destroyed
    // with the io_context, last.
    manager_.instances().shutdown();
    ioc_.restart();
    for (int round = 0; round < 100 && ioc_.poll() > 0; ++round) {
    }
}

void engine::run_to_completion(net::awaitable<void> work) {
    bool done = false;
    std::exception_ptr error;
    net::co_spawn(ioc_, std::move(work), [this, &done, &error](std::exception_ptr e) {
        done = true;
        error = e;
        // Only this command's coroutine decides when run() returns: watches the
        // manager started may keep the context busy for ever.
        ioc_.stop();
    });
    ioc_.restart();
    ioc_.run();
    if (error) std::rethrow_exception(error);
    if (!done) throw std::logic_error("engine::run: the io_context stopped before the command finished");
}

}  // namespace clauster::cli
