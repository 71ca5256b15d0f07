#pragma once

#include "context.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace clauster::cli {

/// `clauster agents list|run|stop|resume` (spec §2.5 as a CLI): background
/// agents, `claude --bg` jobs run by Claude Code's own supervisor.
void setup_agents(CLI::App& app, std::shared_ptr<global_options> global);

}  // namespace clauster::cli
