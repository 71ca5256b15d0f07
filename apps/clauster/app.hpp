#pragma once

#include "context.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace clauster::cli {

/// Builds the whole command tree, bound to @p global.
std::unique_ptr<CLI::App> make_app(std::shared_ptr<global_options> global);

/// Parses and runs one command line; @return the process exit code.
int run(int argc, const char* const* argv);

}  // namespace clauster::cli
