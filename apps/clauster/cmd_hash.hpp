#pragma once

#include "context.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace clauster::cli {

/// `clauster hash-token` and `clauster hash-password` (spec §6): credentials for
/// clauster.yml that are generated here and stored only as hashes.
void setup_hash(CLI::App& app, std::shared_ptr<global_options> global);

}  // namespace clauster::cli
