#include "spawn_validation.hpp"

#include <catch2/catch.hpp>

using namespace clauster::core;

namespace {

project make_project(bool git = false) {
    project p;
    p.name = "api";
    p.path = "/nonexistent/projects/api";
    p.is_git_repo = git;
    p.trust_state = trust_state::trusted;
    return p;
}

failure error_of(const spawn_request& r, const config& cfg = {}, bool git = false) {
    auto v = detail::validate_spawn(r, make_project(git), cfg, "/nonexistent/home");
    REQUIRE_FALSE(v.has_value());
    return v.error();
}

}  // namespace

TEST_CASE("spawn options are validated with the reference's messages", "[core]") {
    spawn_request r;
    r.project = "api";
    SECTION("defaults") {
        auto v = detail::validate_spawn(r, make_project(), config{}, "/h");
        REQUIRE(v.has_value());
        CHECK(v->label == "api");
        CHECK(v->spawn_mode == spawn_mode::same_dir);
        CHECK(v->resume_mode == launch_mode::standard);
        CHECK(v->warnings.empty());
    }
    SECTION("bad values") {
        r.channel = "carrier-pigeon";
        CHECK(error_of(r).message == "unknown channel: 'carrier-pigeon'");
        r.channel.reset();
        r.spawn_mode = "nope";
        CHECK(error_of(r).code == errc::invalid_argument);
        r.spawn_mode.reset();
        r.permission_mode = "yolo";
        CHECK(error_of(r).message.rfind("invalid permission_mode 'yolo'; expected one of (", 0) == 0);
        r.permission_mode.reset();
        r.resume_mode = "tmux";
        CHECK(error_of(r).code == errc::invalid_argument);
        r.resume_mode.reset();
        r.sandbox = "maybe";
        CHECK(error_of(r).code == errc::invalid_argument);
    }
    SECTION("worktree needs git") {
        r.spawn_mode = "worktree";
        CHECK(error_of(r).code == errc::invalid_argument);
        CHECK(detail::validate_spawn(r, make_project(true), config{}, "/h").has_value());
    }
    SECTION("bypass ceiling") {
        r.permission_mode = "bypassPermissions";
        CHECK(error_of(r).code == errc::forbidden);
        config cfg;
        cfg.projects["api"].allow_bypass_permissions = true;
        CHECK(detail::validate_spawn(r, make_project(), cfg, "/h").has_value());
        config defaults_bypass;
        defaults_bypass.instance_defaults.permission_mode = permission_mode::bypass_permissions;
        spawn_request plain;
        plain.project = "api";
        CHECK(error_of(plain, defaults_bypass).code == errc::forbidden);
    }
    SECTION("hosted is unavailable, after the bypass ceiling") {
        r.channel = "hosted";
        CHECK(error_of(r).code == errc::unavailable);
        CHECK(error_of(r).message == "hosted channel unavailable: claustrum daemon not connected");
        r.permission_mode = "bypassPermissions";
        CHECK(error_of(r).code == errc::forbidden);
    }
    SECTION("resume_session_id only for pty and shaped like a uuid") {
        r.resume_session_id = "11111111-2222-3333-4444-555555555555";
        CHECK(error_of(r).message == "resume_session_id is only valid with resume_mode 'pty'");
        r.resume_mode = "pty";
        r.resume_session_id = "--help";
        CHECK(error_of(r).code == errc::invalid_argument);
        r.resume_session_id = "11111111-2222-3333-4444-555555555555";
        CHECK(error_of(r).code == errc::invalid_argument);  // no such transcript
    }
    SECTION("pty without worktree warns; the custom name is for Server Mode only") {
        r.resume_mode = "pty";
        r.name = "custom";
        auto v = detail::validate_spawn(r, make_project(), config{}, "/h");
        REQUIRE(v.has_value());
        CHECK(v->label == "api");
        CHECK(v->warnings.size() == 1);
    }
}

TEST_CASE("custom bridge names", "[core]") {
    CHECK(detail::clean_custom_name("  my bridge  ").value() == "my bridge");
    CHECK(detail::clean_custom_name("   ").value().empty());
    CHECK(detail::clean_custom_name("caf\xC3\xA9 \xE2\x9C\x93").has_value());
    CHECK(detail::clean_custom_name(std::string(128, 'x')).has_value());
    CHECK(detail::clean_custom_name(std::string(129, 'x')).error().message ==
          "custom bridge name too long (129 chars; max 128)");
    std::string long_unicode;
    for (int i = 0; i < 129; ++i) long_unicode += "\xC3\xA9";
    CHECK(detail::clean_custom_name(long_unicode).error().message == "custom bridge name too long (129 chars; max 128)");
    for (const std::string bad : {"a\nb", "a\tb", "a\x7f", "a\xE2\x80\xA8z", "a\xE2\x80\x8Bz", "a\xEF\xBB\xBFz",
                                  "bad\xFFutf8", "a\xC2\x85z"}) {
        CAPTURE(bad);
        CHECK(detail::clean_custom_name(bad).error().message == "custom bridge name must not contain control characters");
    }
    CHECK(detail::clean_custom_name("-rf").error().code == errc::invalid_argument);
}
