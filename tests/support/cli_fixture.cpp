#include "support/cli_fixture.hpp"

namespace clauster::test {

installation::installation() {
    std::filesystem::create_directories(home);
    std::filesystem::create_directories(projects);
    env = hermetic_env({{"HOME", home.string()},
                        {"CLAUSTER_PROJECTS_ROOT", projects.string()},
                        {"CLAUSTER_STATE_DIR", state.string()},
                        {"CLAUSTER_CLAUDE_BINARY", (root / "no-such-claude").string()}});
}

run_result installation::cli(const std::vector<std::string>& args, const std::string& input) const {
    std::vector<std::string> argv{CLAUSTER_TEST_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, env, input);
}

}  // namespace clauster::test
