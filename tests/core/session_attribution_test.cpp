#include <clauster/core/session_attribution.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using clauster::core::attribute_sessions;
using clauster::core::bridge_claim;
using clauster::core::session_attribution;
using clauster::core::working_session;

namespace {

working_session session(int pid, std::string cwd, std::string kind = "interactive") {
    working_session s;
    s.pid = pid;
    s.cwd = std::move(cwd);
    s.kind = std::move(kind);
    s.local_uuid = "u" + std::to_string(pid);
    return s;
}

bridge_claim claim(std::string id, std::string path, std::optional<std::set<int>> pids, bool worktree = false) {
    return bridge_claim{std::move(id), std::move(path), worktree, std::move(pids)};
}

struct outcome {
    session_attribution attribution;
    std::optional<std::string> parent;
};

outcome attribute_one(working_session s, const std::vector<bridge_claim>& claims) {
    std::vector<working_session> v{std::move(s)};
    attribute_sessions(v, claims);
    return {v.front().attribution, v.front().parent_instance};
}

}  // namespace

TEST_CASE("attribution: every rule of spec §7.3", "[core][sessions]") {
    using enum session_attribution;
    const std::vector<bridge_claim> claims{
        claim("std", "/p/alpha", std::set<int>{100, 101}),      // Server Mode bridge 100, SDK worker 101
        claim("pty", "/p/alpha", std::set<int>{200, 201}),      // keeper 200, TUI 201
        claim("wt", "/p/beta", std::set<int>{300, 301}, true),  // a worktree bridge
    };
    struct row {
        const char* what;
        working_session s;
        session_attribution expected;
        std::optional<std::string> parent;
    };
    const std::vector<row> table{
        {"the bridge's SDK worker", session(101, "/p/alpha"), tracked, "std"},
        {"the Interactive Session's TUI", session(201, "/p/alpha"), tracked, "pty"},
        {"an empty kind (older CLIs) joins too", session(101, "/p/alpha", ""), tracked, "std"},
        {"a claude run by hand in a managed directory", session(999, "/p/alpha"), external, std::nullopt},
        {"a background job in a managed directory", session(101, "/p/alpha", "background"), untracked,
         std::nullopt},
        {"a future kind", session(101, "/p/alpha", "teleported"), untracked, std::nullopt},
        {"a session in the worktree subtree", session(777, "/p/beta/.claude/worktrees/w1"), tracked, "wt"},
        {"deeper in the worktree subtree", session(777, "/p/beta/.claude/worktrees/w1/src"), tracked, "wt"},
        {"elsewhere under a worktree project", session(777, "/p/beta/src"), external, std::nullopt},
        {"a look-alike directory name", session(777, "/p/beta/.claude/worktreesX/w1"), external, std::nullopt},
        {"an unmanaged project", session(555, "/p/gamma"), external, std::nullopt},
        {"a path that normalises to a project", session(101, "/p/alpha/./x/.."), tracked, "std"},
    };
    for (const auto& r : table) {
        CAPTURE(r.what);
        const auto got = attribute_one(r.s, claims);
        CHECK(got.attribution == r.expected);
        CHECK(got.parent == r.parent);
    }
}

TEST_CASE("attribution: a bridge still starting (no pids yet) claims its directory alone", "[core][sessions]") {
    using enum session_attribution;
    // #713: every candidate here is unproven, so the first claims the session.
    CHECK(attribute_one(session(5, "/p/a"), {claim("s1", "/p/a", std::nullopt), claim("s2", "/p/a", std::nullopt)})
              .parent == "s1");
    // #820: once any bridge at that cwd can prove ownership, an unowned pid is external.
    const auto mixed = attribute_one(session(5, "/p/a"), {claim("run", "/p/a", std::set<int>{1}),
                                                          claim("start", "/p/a", std::nullopt)});
    CHECK(mixed.attribution == external);
    CHECK_FALSE(mixed.parent);
}

TEST_CASE("attribution: worktree bridges sharing a root are told apart by their pids", "[core][sessions]") {
    using enum session_attribution;
    const std::vector<bridge_claim> two{claim("w1", "/p/b", std::set<int>{10, 11}, true),
                                        claim("w2", "/p/b", std::set<int>{20, 21}, true)};
    CHECK(attribute_one(session(21, "/p/b/.claude/worktrees/x"), two).parent == "w2");
    CHECK(attribute_one(session(11, "/p/b/.claude/worktrees/y"), two).parent == "w1");
    CHECK(attribute_one(session(99, "/p/b/.claude/worktrees/z"), two).attribution == external);
    // A lone worktree bridge claims by containment alone (its tree may be unreadable).
    CHECK(attribute_one(session(99, "/p/b/.claude/worktrees/z"), {two.front()}).parent == "w1");
    // A just-spawned (pid-less) one may claim in its subtree, beside a keyed sibling.
    CHECK(attribute_one(session(99, "/p/b/.claude/worktrees/z"),
                        {two.front(), claim("new", "/p/b", std::nullopt, true)})
              .parent == "new");
}

TEST_CASE("attribution: the deepest worktree project wins", "[core][sessions]") {
    const std::vector<bridge_claim> nested{claim("outer", "/p/outer", std::set<int>{1}, true),
                                           claim("inner", "/p/outer/.claude/worktrees/w/inner", std::set<int>{2}, true)};
    CHECK(attribute_one(session(9, "/p/outer/.claude/worktrees/w/inner/.claude/worktrees/v"), nested).parent ==
          "inner");
    CHECK(attribute_one(session(9, "/p/outer/.claude/worktrees/w"), nested).parent == "outer");
}

TEST_CASE("attribution: a resolver maps paths before they are compared", "[core][sessions]") {
    std::vector<working_session> v{session(101, "/link/alpha")};
    attribute_sessions(v, {claim("std", "/real/alpha", std::set<int>{101})}, [](const std::filesystem::path& p) {
        const std::string s = p.string();
        return std::filesystem::path(s.starts_with("/link/") ? "/real/" + s.substr(6) : s);
    });
    CHECK(v.front().attribution == session_attribution::tracked);
}

TEST_CASE("attribution: a re-run clears a stale parent", "[core][sessions]") {
    std::vector<working_session> v{session(101, "/p/alpha")};
    attribute_sessions(v, {claim("std", "/p/alpha", std::set<int>{101})});
    REQUIRE(v.front().parent_instance == "std");
    attribute_sessions(v, {});
    CHECK(v.front().attribution == session_attribution::external);
    CHECK_FALSE(v.front().parent_instance);
}
