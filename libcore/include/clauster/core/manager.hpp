#pragma once

#include <clauster/core/claude_probe.hpp>
#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/environment.hpp>
#include <clauster/core/health.hpp>
#include <clauster/core/project_catalog.hpp>
#include <clauster/core/token_service.hpp>
#include <clauster/core/token_store.hpp>

#include <filesystem>
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
    manager(const manager&) = delete;
    manager& operator=(const manager&) = delete;

    const core::config& config() const { return config_; }
    token_service& tokens() { return tokens_; }
    project_catalog& projects() { return projects_; }
    const environment& env() const { return env_; }

    /// Runs `claude --version` now and caches the answer for @ref health.
    void refresh_claude_probe();

    /// The health snapshot (cached probe results; never blocks on `claude`).
    health_report health() const;

private:
    core::config config_;
    const clock& clock_;
    environment env_;
    token_service tokens_;
    project_catalog projects_;
    claude_version_probe claude_probe_;
};

/// `$HOME` from @p env, or the passwd entry of the current user when unset.
std::filesystem::path home_directory(const environment& env);

}  // namespace clauster::core
