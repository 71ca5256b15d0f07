#pragma once

#include "context.hpp"

#include <clauster/core/error.hpp>
#include <clauster/core/instance.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace clauster::cli {

class engine;

/// `clauster start <project>` (spec §6): launch a bridge, or report the live one.
void setup_start(CLI::App& app, std::shared_ptr<global_options> global);

/// `clauster stop <instance>`.
void setup_stop(CLI::App& app, std::shared_ptr<global_options> global);

/// `clauster status`: a read-only reattach, then a table or JSON of instances.
void setup_status(CLI::App& app, std::shared_ptr<global_options> global);

/// `clauster logs <instance> [-f]`: the redacted bridge debug log.
void setup_logs(CLI::App& app, std::shared_ptr<global_options> global);

/// `clauster open <instance> [--launch]`: the connect URL.
void setup_open(CLI::App& app, std::shared_ptr<global_options> global);

/// `clauster keepers [--kill PID]`: orphan PTY keepers.
void setup_keepers(CLI::App& app, std::shared_ptr<global_options> global);

/// `projects [--json]`: the projects under projects_root.
void setup_projects(CLI::App& app, std::shared_ptr<global_options> global);

/// `sessions [--json]`: working sessions from `claude agents --json`, attributed.
void setup_sessions(CLI::App& app, std::shared_ptr<global_options> global);

/// Registers every instance command above.
void setup_instances(CLI::App& app, const std::shared_ptr<global_options>& global);

//------------------------------------------------------------------------------
// Shared by the instance commands (cmd_instances.cpp)

/// The first 8 characters of the instance id (the INSTANCE column, `started <id8>`).
std::string short_id(const core::instance& inst);

/// Resolves an instance reference as spec §2.3 does (full id, then project name,
/// then unique id prefix). Unknown: `clauster: unknown instance '<ref>'`, exit 2;
/// ambiguous: the manager's `ambiguous '<ref>' — matches …` message, exit 2;
/// anything else: its message, exit 1.
core::instance resolve_or_exit(engine& eng, std::string_view ref);

}  // namespace clauster::cli
