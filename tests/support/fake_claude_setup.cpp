#include "support/fake_claude_setup.hpp"

#include "support/temp_dir.hpp"

#include <filesystem>

#ifndef CLAUSTER_TEST_FAKE_CLAUDE
#error "CLAUSTER_TEST_FAKE_CLAUDE must name the fake claude binary (link clauster_fake_claude_path)"
#endif

namespace clauster::test {

void use_fake_claude(installation& inst, const fake_claude_setup& setup) {
    for (const auto& name : setup.projects) std::filesystem::create_directories(inst.projects / name);
    for (const auto& name : setup.git_repos) std::filesystem::create_directories(inst.projects / name / ".git");
    if (!setup.trusted.empty()) {
        std::string entries;
        for (const auto& name : setup.trusted) {
            if (!entries.empty()) entries += ", ";
            entries += "\"" + (inst.projects / name).string() + R"(": {"hasTrustDialogAccepted": true})";
        }
        write_file(inst.home / ".claude.json", R"({"projects": {)" + entries + "}}");
    }
    inst.env["CLAUSTER_CLAUDE_BINARY"] = CLAUSTER_TEST_FAKE_CLAUDE;
    inst.env["FAKE_CLAUDE_MAX_IDLE"] = "60";
    for (const auto& [k, v] : setup.env) inst.env[k] = v;
}

std::unique_ptr<hand_process> claude_by_hand(const installation& inst, const std::string& project,
                                             std::vector<std::string> args, const std::string& tag) {
    args.insert(args.begin(), CLAUSTER_TEST_FAKE_CLAUDE);
    return std::make_unique<hand_process>(args, inst.env, inst.projects / project, inst.root / (tag + ".log"));
}

}  // namespace clauster::test
