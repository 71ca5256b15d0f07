#include <clauster/core/project_catalog.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace clauster;
using clauster::test::temp_dir;
using clauster::test::write_file;

namespace {

std::vector<std::string> names(const std::vector<core::project>& ps) {
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.name);
    return out;
}

std::string trust_json(const std::vector<std::filesystem::path>& trusted) {
    std::string body = R"({"numStartups": 3, "projects": {)";
    for (std::size_t i = 0; i < trusted.size(); ++i)
        body += (i ? "," : "") + std::string("\"") + trusted[i].string() + R"(": {"hasTrustDialogAccepted": true})";
    return body + "}}";
}

}  // namespace

TEST_CASE("discovery keeps valid directory names one level down, sorted case-insensitively", "[core]") {
    temp_dir tmp;
    const auto root = tmp / "projects";
    for (const char* d : {"zeta", "Alpha", "beta_2", "gamma-x", ".hidden", "has space", "dot.name"})
        std::filesystem::create_directories(root / d);
    std::filesystem::create_directories(root / std::string(65, 'l'));
    std::filesystem::create_directories(root / "zeta" / "nested");
    write_file(root / "file-not-dir", "x");

    core::config cfg;
    cfg.projects_root = root;
    cfg.projects["zeta"].allow_bypass_permissions = true;
    core::project_catalog catalog(cfg, tmp / "home");
    const auto listed = catalog.list();
    CHECK(names(listed) == std::vector<std::string>{"Alpha", "beta_2", "gamma-x", "zeta"});
    CHECK(listed.back().allow_bypass_permissions);
    CHECK_FALSE(listed.front().allow_bypass_permissions);
    CHECK(listed.front().path == root / "Alpha");
    CHECK(catalog.find("zeta"));
    CHECK_FALSE(catalog.find("nested"));
    CHECK_FALSE(catalog.find("../zeta"));
}

TEST_CASE("project flags come from the directory contents", "[core]") {
    temp_dir tmp;
    const auto root = tmp / "projects";
    std::filesystem::create_directories(root / "repo" / ".git");
    std::filesystem::create_directories(root / "repo" / ".claude");
    write_file(root / "repo" / "CLAUDE.md", "# x");
    write_file(root / "worktree" / ".git", "gitdir: elsewhere");  // a .git file counts
    std::filesystem::create_directories(root / "plain");
    std::filesystem::create_directories(root / "plain" / "CLAUDE.md");  // a directory is not the file

    core::config cfg;
    cfg.projects_root = root;
    core::project_catalog catalog(cfg, tmp / "home");
    const auto repo = catalog.find("repo").value();
    CHECK(repo.is_git_repo);
    CHECK(repo.has_claude_md);
    CHECK(repo.has_claude_dir);
    CHECK(catalog.find("worktree")->is_git_repo);
    const auto plain = catalog.find("plain").value();
    CHECK_FALSE(plain.is_git_repo);
    CHECK_FALSE(plain.has_claude_md);
    CHECK_FALSE(plain.has_claude_dir);
}

TEST_CASE("trust: git repositories need their own key, other directories inherit", "[core]") {
    temp_dir tmp;
    const auto root = tmp / "projects";
    std::filesystem::create_directories(root / "repo" / ".git");
    std::filesystem::create_directories(root / "own-repo" / ".git");
    std::filesystem::create_directories(root / "plain");
    core::config cfg;
    cfg.projects_root = root;

    SECTION("an ancestor key") {
        write_file(tmp / "home" / ".claude.json", trust_json({root, root / "own-repo"}));
        core::project_catalog catalog(cfg, tmp / "home");
        CHECK(catalog.find("plain")->trust_state == core::trust_state::trusted);
        CHECK(catalog.find("repo")->trust_state == core::trust_state::untrusted);
        CHECK(catalog.find("own-repo")->trust_state == core::trust_state::trusted);
    }
    SECTION("hasTrustDialogAccepted must be exactly true") {
        write_file(tmp / "home" / ".claude.json",
                   R"({"projects": {")" + (root / "plain").string() + R"(": {"hasTrustDialogAccepted": "true"}}})");
        core::project_catalog catalog(cfg, tmp / "home");
        CHECK(catalog.find("plain")->trust_state == core::trust_state::untrusted);
    }
    SECTION("a missing or broken file trusts nothing") {
        for (const std::string content : {"", "{not json", "[]", R"({"projects": 7})", "null"}) {
            write_file(tmp / "home" / ".claude.json", content);
            core::project_catalog catalog(cfg, tmp / "home");
            CHECK(catalog.find("plain")->trust_state == core::trust_state::untrusted);
        }
    }
}

TEST_CASE("the cache drops as soon as projects_root or .claude.json changes", "[core]") {
    temp_dir tmp;
    const auto root = tmp / "projects";
    std::filesystem::create_directories(root / "one");
    core::config cfg;
    cfg.projects_root = root;
    core::project_catalog catalog(cfg, tmp / "home");
    CHECK(catalog.list().size() == 1);

    std::filesystem::create_directories(root / "two");
    // Coarse filesystem timestamps could hide the change; force a distinct mtime.
    std::filesystem::last_write_time(root, std::filesystem::last_write_time(root) + std::chrono::seconds(1));
    CHECK(catalog.list().size() == 2);

    write_file(tmp / "home" / ".claude.json", trust_json({root / "one"}));
    CHECK(catalog.find("one")->trust_state == core::trust_state::trusted);
}
