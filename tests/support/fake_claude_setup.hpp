#pragma once

#include "support/cli_fixture.hpp"
#include "support/processes.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace clauster::test {

/// The projects of an installation whose `claude` is the fake (tests/fake_claude).
struct fake_claude_setup {
    /// Created under projects_root, in this order (listings that sort can tell).
    std::vector<std::string> projects{};
    /// Accepted in ~/.claude.json (`hasTrustDialogAccepted`); none: no file is written.
    std::vector<std::string> trusted{};
    /// Given a `.git` directory, so that worktree spawns accept them.
    std::vector<std::string> git_repos{};
    /// Environment variables set last (over the defaults below).
    std::vector<std::pair<std::string, std::string>> env{};
};

/// Points @p inst at the fake claude (CLAUSTER_CLAUDE_BINARY) with the
/// projects of @p setup. FAKE_CLAUDE_MAX_IDLE is 60 unless @p setup says
/// otherwise: a backstop, so that a process a failed test left behind exits
/// by itself.
void use_fake_claude(installation& inst, const fake_claude_setup& setup);

/// The fake claude started by hand in project @p project with @p args, as a
/// user would in a terminal; its output goes to `<root>/<tag>.log`.
std::unique_ptr<hand_process> claude_by_hand(const installation& inst, const std::string& project,
                                             std::vector<std::string> args, const std::string& tag);

}  // namespace clauster::test
