#pragma once

#include "context.hpp"

#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/executor.hpp>
#include <clauster/core/instance_manager.hpp>
#include <clauster/core/local_executor.hpp>
#include <clauster/core/manager.hpp>
#include <clauster/store/database.hpp>
#include <clauster/store/sqlite_instance_store.hpp>
#include <clauster/store/sqlite_token_store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace clauster::cli {

/// Everything one instance command needs, built in dependency order and torn
/// down in reverse: the configuration, the state database, the token and
/// instance stores, the clock, the @ref core::manager with bridge supervision
/// and background agents enabled, an io_context and the local process executor.
///
/// The CLI is single-threaded: coroutines of the engine run on the calling
/// thread inside @ref run, one at a time. Bridges and keepers the command
/// launches are detached and outlive it; background watches the manager starts
/// (startup promotion, reattached rows) are cancelled when the engine goes.
///
/// Cross-process safety comes from the manager (per-project flocks in
/// `state_dir/locks`, rows merged through SQLite), so a running clausterd on the
/// same state_dir is fine.
class engine {
public:
    /// Loads the configuration and opens the database; a config error ends the
    /// command with exit 2, a database error with exit 1 (`clauster: could not
    /// open the database: …`).
    static std::unique_ptr<engine> open_or_exit(const global_options& global);

    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    const core::config& config() const { return manager_.config(); }
    core::manager& manager() { return manager_; }
    core::instance_manager& instances() { return manager_.instances(); }
    core::background_agents& agents() { return manager_.agents(); }
    core::instance_store& instance_store() { return instance_store_; }
    core::executor& processes() { return executor_; }
    const std::filesystem::path& state_dir() const { return manager_.config().state_dir; }

    /// Runs @p work on the engine's io_context until it completes (other work
    /// the manager queued, such as watches, runs meanwhile and is left pending
    /// afterwards) and returns its value; an exception it throws is rethrown here.
    template <class T>
    T run(boost::asio::awaitable<T> work) {
        std::optional<T> value;
        run_to_completion(store_into(std::move(work), &value));
        if (!value) throw std::logic_error("engine::run: the coroutine produced no value");
        return std::move(*value);
    }

    /// The void form of @ref run.
    void run(boost::asio::awaitable<void> work) { run_to_completion(std::move(work)); }

private:
    engine(core::config cfg, store::database db);

    template <class T>
    static boost::asio::awaitable<void> store_into(boost::asio::awaitable<T> work, std::optional<T>* out) {
        T result = co_await std::move(work);
        out->emplace(std::move(result));
    }

    void run_to_completion(boost::asio::awaitable<void> work);

    // Declaration order is destruction order in reverse: the io_context outlives
    // every object that owns I/O objects or coroutine frames bound to it.
    boost::asio::io_context ioc_{1};
    store::database db_;
    store::sqlite_token_store token_store_;
    store::sqlite_instance_store instance_store_;
    core::system_clock clock_;
    core::local_executor executor_;
    core::manager manager_;
};

}  // namespace clauster::cli
