#pragma once

#include "context.hpp"

#include <CLI/CLI.hpp>

namespace clauster::cli {

/// `clauster __pty-keeper__ --sidecar <stem>.keeper.json --cwd <dir> [--state-dir <dir>]
/// [--transcript <file>] [--url-deadline <s>] -- <bridge argv>` (spec §7.1): the hidden
/// sub-command the server launches, detached, to own the pseudo-terminal of an
/// Interactive Session bridge. Exits with the bridge's exit code (2 on bad arguments).
void setup_pty_keeper(CLI::App& app);

}  // namespace clauster::cli
