#include <clauster/core/claude_json_editor.hpp>

#include <clauster/core/file_lock.hpp>

#include "claude_json.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace clauster::core;
namespace fs = std::filesystem;
namespace json = boost::json;
using clauster::test::mode_of;
using clauster::test::read_file;
using clauster::test::temp_dir;
using clauster::test::write_file;

namespace {

struct editor_fixture {
    temp_dir home{"clauster-cj"};
    fs::path file = home / ".claude.json";
    fs::path state = home / "state";
    fs::path project = home / "projects" / "app";
    claude_json_editor editor{file, state};

    editor_fixture() { fs::create_directories(project); }

    json::object doc() const { return json::parse(read_file(file)).as_object(); }

    static std::vector<std::string> keys(const json::object& o) {
        std::vector<std::string> out;
        for (const auto& kv : o) out.emplace_back(kv.key());
        return out;
    }
};

struct stat_info {
    ino_t ino;
    std::int64_t mtime_ns;
};

stat_info stat_of(const fs::path& p) {
    struct stat st{};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return {st.st_ino, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

constexpr const char* rich_doc = R"({
  "numStartups": 42,
  "userID": "abc",
  "nested": {"z": [1, 2.5, {"deep": null}], "a": true},
  "projects": {
    "/other/project": {"allowedTools": ["Bash"], "hasTrustDialogAccepted": false, "history": [{"display": "hi"}]},
    "PROJECT": {"mcpServers": {"x": {"command": "y"}}, "lastCost": 0.125}
  },
  "unicode": "h\u00e9llo \ud83d\ude00",
  "oauthAccount": {"organizationUuid": "org-1"}
})";

}  // namespace

TEST_CASE_METHOD(editor_fixture, "set_trusted keeps every other key, nested value and order", "[core]") {
    std::string original = rich_doc;
    const std::string key = fs::canonical(project).string();
    original.replace(original.find("PROJECT"), 7, key);
    write_file(file, original);

    auto written = editor.set_trusted(project);
    REQUIRE(written);
    CHECK(*written);

    auto before = json::parse(original).as_object();
    auto after = doc();
    CHECK(keys(after) == keys(before));
    CHECK(after["nested"] == before["nested"]);
    CHECK(after["unicode"] == before["unicode"]);
    CHECK(after["oauthAccount"] == before["oauthAccount"]);
    CHECK(after["projects"].as_object()["/other/project"] == before["projects"].as_object()["/other/project"]);

    auto& entry = after["projects"].as_object()[key].as_object();
    CHECK(entry["hasTrustDialogAccepted"] == json::value(true));
    CHECK(entry["mcpServers"] == before["projects"].as_object()[key].as_object()["mcpServers"]);
    CHECK(entry["lastCost"].as_double() == 0.125);
    CHECK(keys(entry) == std::vector<std::string>{"mcpServers", "lastCost", "hasTrustDialogAccepted"});

    // The reader agrees.
    auto trusted = detail::read_trusted_paths(file);
    REQUIRE(trusted);
    CHECK(trusted->contains(key));
    CHECK_FALSE(trusted->contains("/other/project"));
}

TEST_CASE_METHOD(editor_fixture, "set_trusted creates the entry and the file", "[core]") {
    SECTION("missing file starts as {} with mode 0600 and no backup") {
        REQUIRE(editor.set_trusted(project).value());
        CHECK(mode_of(file) == 0600);
        CHECK_FALSE(fs::exists(home / ".claude.json.bak"));
        auto d = doc();
        CHECK(d["projects"].as_object()[fs::canonical(project).string()] ==
              json::parse(R"({"hasTrustDialogAccepted": true})"));
    }
    SECTION("existing file without projects") {
        write_file(file, R"({"a": 1})");
        REQUIRE(editor.set_trusted(project).value());
        CHECK(keys(doc()) == std::vector<std::string>{"a", "projects"});
    }
    SECTION("the key is the resolved path") {
        fs::create_directory_symlink(project, home / "alias");
        REQUIRE(editor.set_trusted(home / "alias").value());
        CHECK(doc()["projects"].as_object().contains(fs::canonical(project).string()));
    }
    SECTION("a path that does not exist is normalised") {
        REQUIRE(editor.set_trusted("/nowhere/x/../y/").value());
        CHECK(doc()["projects"].as_object().contains("/nowhere/y"));
    }
    SECTION("a relative path is refused") {
        auto r = editor.set_trusted("relative/dir");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::invalid_argument);
        CHECK_FALSE(fs::exists(file));
    }
}

TEST_CASE_METHOD(editor_fixture, "the file's mode is kept", "[core]") {
    write_file(file, R"({"a": 1})");
    fs::permissions(file, fs::perms(0640));
    REQUIRE(editor.acknowledge_remote_control().value());
    CHECK(mode_of(file) == 0640);
    CHECK(mode_of(home / ".claude.json.bak") == 0600);
}

TEST_CASE_METHOD(editor_fixture, "a backup of the original is made once and never overwritten", "[core]") {
    const std::string original = "{\"first\": true}\n";
    write_file(file, original);
    REQUIRE(editor.set_trusted(project).value());
    CHECK(read_file(home / ".claude.json.bak") == original);

    REQUIRE(editor.set_trusted("/another/project").value());
    REQUIRE(editor.acknowledge_remote_control().value());
    CHECK(read_file(home / ".claude.json.bak") == original);

    SECTION("a pre-existing backup is left alone") {
        write_file(home / ".claude.json.bak", "user's own");
        REQUIRE(editor.set_trusted("/third").value());
        CHECK(read_file(home / ".claude.json.bak") == "user's own");
    }
}

TEST_CASE_METHOD(editor_fixture, "an unparsable or odd-shaped file is left byte-identical", "[core]") {
    std::string bad;
    SECTION("truncated") { bad = R"({"projects": {"/a": {"hasTrust)"; }
    SECTION("empty") { bad = ""; }
    SECTION("not an object") { bad = "[1, 2]"; }
    SECTION("projects is not an object") { bad = R"({"projects": [1]})"; }
    SECTION("entry is not an object") { bad = R"({"projects": {"PROJECT": "yes"}})"; }
    SECTION("invalid UTF-8") { bad = "{\"a\": \"\xff\"}"; }
    if (const auto at = bad.find("PROJECT"); at != std::string::npos)
        bad.replace(at, 7, fs::canonical(project).string());
    write_file(file, bad);
    const auto before = stat_of(file);

    auto r = editor.set_trusted(project);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_state);
    CHECK_THAT(r.error().message, Catch::Contains("left unchanged"));
    CHECK(read_file(file) == bad);
    CHECK(stat_of(file).ino == before.ino);
    CHECK_FALSE(fs::exists(home / ".claude.json.bak"));
}

TEST_CASE_METHOD(editor_fixture, "an unreadable file is an error, never treated as empty", "[core]") {
    // Tests may run as root, so chmod 000 would not stop us: use a directory.
    fs::create_directory(file);
    auto r = editor.acknowledge_remote_control();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_state);
    CHECK(fs::is_directory(file));
}

TEST_CASE_METHOD(editor_fixture, "nothing is written when nothing changes", "[core]") {
    write_file(file, R"({"hasUsedRemoteControl": true, "remoteDialogSeen": true})");
    const auto before = stat_of(file);
    auto r = editor.acknowledge_remote_control();
    REQUIRE(r);
    CHECK_FALSE(*r);
    CHECK(stat_of(file).ino == before.ino);
    CHECK(stat_of(file).mtime_ns == before.mtime_ns);

    REQUIRE(editor.set_trusted(project).value());
    const auto trusted = stat_of(file);
    CHECK_FALSE(editor.set_trusted(project).value());
    CHECK(stat_of(file).ino == trusted.ino);
    CHECK(stat_of(file).mtime_ns == trusted.mtime_ns);
}

TEST_CASE_METHOD(editor_fixture, "acknowledge_remote_control sets both flags", "[core]") {
    write_file(file, R"({"hasUsedRemoteControl": false, "x": {"y": 1}})");
    REQUIRE(editor.acknowledge_remote_control().value());
    auto d = doc();
    CHECK(keys(d) == std::vector<std::string>{"hasUsedRemoteControl", "x", "remoteDialogSeen"});
    CHECK(d["hasUsedRemoteControl"] == json::value(true));
    CHECK(d["remoteDialogSeen"] == json::value(true));
    CHECK(d["x"] == json::parse(R"({"y": 1})"));
}

TEST_CASE_METHOD(editor_fixture, "a symlinked ~/.claude.json keeps its link", "[core]") {
    write_file(home / "dotfiles" / "claude.json", "{}");
    fs::create_symlink(home / "dotfiles" / "claude.json", file);
    REQUIRE(editor.acknowledge_remote_control().value());
    CHECK(fs::is_symlink(file));
    CHECK(json::parse(read_file(home / "dotfiles" / "claude.json")).as_object().contains("remoteDialogSeen"));
}

TEST_CASE_METHOD(editor_fixture, "a write by Claude Code during our update is not lost", "[core]") {
    write_file(file, R"({"a": 1})");
    int calls = 0;
    auto r = detail::update_claude_json(
        file, state,
        [&](json::object& root) -> outcome<bool> {
            if (++calls == 1) write_file(file, R"({"a": 1, "claude_wrote": "meanwhile"})");
            root["ours"] = true;
            return true;
        },
        std::chrono::seconds(5));
    REQUIRE(r);
    CHECK(*r);
    CHECK(calls == 2);
    auto d = doc();
    CHECK(d["claude_wrote"] == json::value("meanwhile"));
    CHECK(d["ours"] == json::value(true));
}

TEST_CASE_METHOD(editor_fixture, "a file that never stops changing is a conflict", "[core]") {
    write_file(file, "{}");
    int calls = 0;
    auto r = detail::update_claude_json(
        file, state,
        [&](json::object& root) -> outcome<bool> {
            // A different size each time: mtimes can be too coarse to tell writes apart.
            write_file(file, "{\"n\": \"" + std::string(static_cast<std::size_t>(++calls), 'x') + "\"}");
            root["ours"] = true;
            return true;
        },
        std::chrono::seconds(5));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::conflict);
    CHECK(calls == 5);
    CHECK(read_file(file) == "{\"n\": \"xxxxx\"}");
}

TEST_CASE_METHOD(editor_fixture, "a held lock times out as unavailable, and a mutator error aborts", "[core]") {
    write_file(file, "{}");
    {
        auto lock_path = lock_path_for(state, "claude-json", fs::canonical(file).string());
        REQUIRE(lock_path);
        auto held = file_lock::try_acquire(*lock_path);
        REQUIRE(held.has_value());
        claude_json_editor impatient(file, state, std::chrono::milliseconds(50));
        auto r = impatient.acknowledge_remote_control();
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::unavailable);
        CHECK(read_file(file) == "{}");
    }
    auto refused = detail::update_claude_json(
        file, state, [](json::object&) -> outcome<bool> { return make_failure(errc::forbidden, "no"); },
        std::chrono::seconds(5));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::forbidden);
    CHECK(read_file(file) == "{}");
}

TEST_CASE("to_pretty_json writes what JSON.stringify(v, null, 2) writes", "[core]") {
    const auto v = json::parse(R"({"a":1,"b":[],"c":{},"d":[true,null,"x\n\"y"],"e":{"f":0.5,"g":-3,"h":1e300}})");
    CHECK(detail::to_pretty_json(v) ==
          "{\n"
          "  \"a\": 1,\n"
          "  \"b\": [],\n"
          "  \"c\": {},\n"
          "  \"d\": [\n"
          "    true,\n"
          "    null,\n"
          "    \"x\\n\\\"y\"\n"
          "  ],\n"
          "  \"e\": {\n"
          "    \"f\": 0.5,\n"
          "    \"g\": -3,\n"
          "    \"h\": 1e+300\n"
          "  }\n"
          "}");
    CHECK(json::parse(detail::to_pretty_json(v)) == v);
}

TEST_CASE_METHOD(editor_fixture, "concurrent writers in two processes lose nothing", "[core]") {
    write_file(file, R"({"keep": "me"})");
    constexpr int rounds = 50;
    std::vector<pid_t> children;
    for (int child = 0; child < 2; ++child) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            const std::string key = "counter_" + std::to_string(child);
            for (int i = 0; i < rounds; ++i) {
                auto r = detail::update_claude_json(
                    file, state,
                    [&key](json::object& root) -> outcome<bool> {
                        const auto* v = root.if_contains(key);
                        const std::int64_t n = v != nullptr && v->is_int64() ? v->as_int64() : 0;
                        root[key] = n + 1;
                        return true;
                    },
                    std::chrono::seconds(30));
                if (!r) ::_exit(1);
            }
            ::_exit(0);
        }
        children.push_back(pid);
    }
    for (const pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    auto d = doc();
    CHECK(d["counter_0"] == json::value(rounds));
    CHECK(d["counter_1"] == json::value(rounds));
    CHECK(d["keep"] == json::value("me"));
    // No temp files are left behind.
    int entries = 0;
    for (const auto& e : fs::directory_iterator(home.path())) {
        CHECK_FALSE(e.path().filename().string().find(".clauster-") != std::string::npos);
        ++entries;
    }
    CHECK(entries == 4);  // .claude.json, .bak, state/, projects/
}
