#pragma once

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <string>
#include <vector>

namespace clauster::test {

/// A hermetic installation: temp HOME, projects_root and state_dir, reached by
/// the real binaries through `CLAUSTER_*` environment overrides.
struct installation {
    temp_dir root{"clauster-it"};
    std::filesystem::path home = root / "home";
    std::filesystem::path projects = root / "projects";
    std::filesystem::path state = root / "state";
    core::environment env;

    installation();

    /// Runs the real `clauster` CLI with @p args.
    run_result cli(const std::vector<std::string>& args, const std::string& input = {}) const;
};

}  // namespace clauster::test
