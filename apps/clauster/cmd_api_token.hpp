#pragma once

#include "context.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace clauster::cli {

/// `clauster api-token issue|list|rotate|revoke` (spec §6).
void setup_api_token(CLI::App& app, std::shared_ptr<global_options> global);

}  // namespace clauster::cli
