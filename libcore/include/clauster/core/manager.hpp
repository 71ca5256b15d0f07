#pragma once

#include <clauster/core/background_agents.hpp>
#include <clauster/core/claude_probe.hpp>
#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/environment.hpp>
#include <clauster/core/event.hpp>
#include <clauster/core/health.hpp>
#include <clauster/core/instance_manager.hpp>
#include <clauster/core/project_catalog.hpp>
#include <clauster/core/session_monitor.hpp>
#include <clauster/core/token_service.hpp>
#include <clauster/core/token_store.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <memory>
#include <vector>

namespace clauster::core {

/// The facade front-ends call: one object that owns the domain services for a
/// loaded configuration and the ports handed to it.
///
/// @par Thread safety
/// Not thread-safe; owned by the io thread of the server (or the CLI's main thread).
class manager {
public:
    /// @param env the process environment (for `HOME`, `PATH` and child launches).
    manager(core::config cfg, token_store& tokens, const clock& clk, environment env);
    ~manager();
    manager(const manager&) = delete;
    manager& operator=(const manager&) = delete;

    const core::config& config() const { return config_; }
    token_service& tokens() { return tokens_; }
    project_catalog& projects() { return projects_; }
    const environment& env() const { return env_; }

    /// The event bus: every state change of the instances and background agents
    /// this manager runs (see event.hpp).
    event_journal& events() { return events_; }

    /// Turns on bridge supervision (clausterd and the instance CLI commands):
    /// builds the @ref instance_manager over the given ports. Call once.
    void enable_instances(boost::asio::any_io_executor ex, instance_store& store, executor& exec,
                          instance_paths paths);

    /// True after @ref enable_instances.
    bool has_instances() const { return instances_ != nullptr; }

    /// The bridge supervisor; only after @ref enable_instances.
    instance_manager& instances();

    /// Turns on background agents (clausterd and the `agents` CLI commands):
    /// builds the @ref background_agents over @p exec, with `$HOME` from the
    /// manager's environment and `state_dir` from the configuration. Call once.
    void enable_agents(boost::asio::any_io_executor ex, executor& exec);

    /// True after @ref enable_agents.
    bool has_agents() const { return agents_ != nullptr; }

    /// The background agents; only after @ref enable_agents.
    background_agents& agents();

    /// Turns on working sessions (clausterd and `clauster sessions`): builds the
    /// @ref session_monitor over @p exec, attributing against the bridge
    /// supervisor when @ref enable_instances ran first. Does not start the poll
    /// loop (see @ref session_monitor::start). Call once.
    void enable_sessions(boost::asio::any_io_executor ex, executor& exec, session_monitor_options options = {});

    /// True after @ref enable_sessions.
    bool has_sessions() const { return sessions_ != nullptr; }

    /// The working-session monitor; only after @ref enable_sessions.
    session_monitor& sessions();

    /// Runs `claude --version` now and caches the answer for @ref health.
    void refresh_claude_probe();

    /// The health snapshot (cached probe results; never blocks on `claude`).
    health_report health();

private:
    core::config config_;
    const clock& clock_;
    environment env_;
    token_service tokens_;
    project_catalog projects_;
    claude_version_probe claude_probe_;
    event_journal events_;
    std::unique_ptr<instance_manager> instances_;
    std::unique_ptr<background_agents> agents_;
    // Declared last: it refers to instances_ and goes first.
    std::unique_ptr<session_monitor> sessions_;
};

/// `$HOME` from @p env, or the passwd entry of the current user when unset.
std::filesystem::path home_directory(const environment& env);

}  // namespace clauster::core
