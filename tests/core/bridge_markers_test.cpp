#include <clauster/core/bridge_markers.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace clauster::core;

namespace {

// The lines tests/fake_claude/bridge_subcommand.cpp writes (fixed ids from common.hpp).
const std::string init_line =
    "2026-01-01T00:00:00.000Z [DEBUG] [bridge:init] bridgeId=11111111-2222-3333-4444-555555555555 dir=/x branch=HEAD\n";
const std::string env_line =
    "2026-01-01T00:00:00.120Z [DEBUG] [bridge:api] POST /v1/environments/bridge -> 200 "
    "environment_id=env_01TESTENVAAAAAAAAAAAAAAAA\n";
const std::string session_line =
    "2026-01-01T00:00:00.250Z [DEBUG] [bridge:init] Created initial session session_01TESTSTARTERAAAAAAAAAA\n";
const std::string poll_line =
    "2026-01-01T00:00:00.400Z [DEBUG] [bridge:work] Starting poll loop spawnMode=same-dir maxSessions=32 "
    "environmentId=env_01TESTENVAAAAAAAAAAAAAAAA\n";
const std::string shutdown_line = "2026-01-01T00:00:09.000Z [DEBUG] [bridge:shutdown] SIGINT received, shutting down\n";
const std::string trust_line = "2026-01-01T00:00:00.050Z [ERROR] Workspace not trusted\n";

}  // namespace

TEST_CASE("parse_bridge_markers reads the fake bridge's log", "[core]") {
    const auto m = parse_bridge_markers(init_line + env_line + session_line + poll_line);
    CHECK(m.bridge_id == "11111111-2222-3333-4444-555555555555");
    CHECK(m.environment_id == "env_01TESTENVAAAAAAAAAAAAAAAA");
    CHECK(m.starter_session_id == "session_01TESTSTARTERAAAAAAAAAA");
    CHECK(m.poll_loop_started);
    CHECK(m.spawn_mode == "same-dir");
    CHECK(m.is_ready());
    CHECK_FALSE(m.clean_shutdown);
    CHECK_FALSE(m.trust_error);
    CHECK(m.session_pids.empty());
    CHECK_FALSE(m.unarchived_session_id);

    CHECK(parse_bridge_markers(init_line + env_line + session_line + poll_line + shutdown_line).clean_shutdown);
}

TEST_CASE("readiness needs both the poll loop and an environment id", "[core]") {
    CHECK_FALSE(parse_bridge_markers("").is_ready());
    CHECK_FALSE(parse_bridge_markers(init_line + env_line + session_line).is_ready());
    const auto no_env = parse_bridge_markers("x [bridge:work] Starting poll loop spawnMode=session\n");
    CHECK(no_env.poll_loop_started);
    CHECK(no_env.spawn_mode == "session");
    CHECK_FALSE(no_env.is_ready());
    // "Starting poll loop" outside a [bridge:work] line does not count.
    CHECK_FALSE(parse_bridge_markers("x [bridge:api] Starting poll loop environmentId=env_a\n").poll_loop_started);
    // The poll line alone carries the env id (a reconnect may not log the api line).
    CHECK(parse_bridge_markers(poll_line).is_ready());
}

TEST_CASE("single-valued fields keep the first match", "[core]") {
    const std::string text = "a [bridge:init] bridgeId=aaaa-1\n"
                             "b environment_id=env_FIRST\n"
                             "c Created initial session session_FIRST\n"
                             "d [bridge:work] Starting poll loop spawnMode=worktree\n"
                             "e [bridge:init] bridgeId=bbbb-2\n"
                             "f environmentId=env_SECOND\n"
                             "g Created initial session session_SECOND\n"
                             "h [bridge:work] Starting poll loop spawnMode=session\n"
                             "i [remote-bridge] Unarchive session_U1\n"
                             "j [remote-bridge] Unarchive session_U2\n";
    const auto m = parse_bridge_markers(text);
    CHECK(m.bridge_id == "aaaa-1");
    CHECK(m.environment_id == "env_FIRST");
    CHECK(m.starter_session_id == "session_FIRST");
    CHECK(m.spawn_mode == "worktree");
    CHECK(m.unarchived_session_id == "session_U1");
}

TEST_CASE("session pids are collected in order, once each", "[core]") {
    const auto m = parse_bridge_markers("[bridge:session] spawned child pid=101 session=session_a\n"
                                        "[bridge:session] ppid=1 pid=202\n"
                                        "[bridge:session] child exited pid=101\n"
                                        "[bridge:other] pid=303\n"
                                        "[bridge:session] pid=99999999999\n"
                                        "[bridge:session] pid=0\n"
                                        "[bridge:session] pid=404");
    CHECK(m.session_pids == std::vector<int>{101, 202});
}

TEST_CASE("shutdown, trust and unarchive markers", "[core]") {
    CHECK(parse_bridge_markers("[bridge:shutdown] SIGTERM received\n").clean_shutdown);
    CHECK(parse_bridge_markers("[bridge:shutdown] idle timeout reached, shutting down\n").clean_shutdown);
    CHECK_FALSE(parse_bridge_markers("[bridge:shutdown] flushing\n").clean_shutdown);
    CHECK_FALSE(parse_bridge_markers("SIGINT received [bridge:shutdown]\n").clean_shutdown);

    CHECK(parse_bridge_markers(trust_line).trust_error);
    CHECK(parse_bridge_markers("Error: WORKSPACE NOT TRUSTED. Run claude\n").trust_error);
    CHECK(parse_bridge_markers("workspace not trusted").trust_error);  // complete, even unterminated
    CHECK_FALSE(parse_bridge_markers("Workspace trusted\n").trust_error);

    const auto m = parse_bridge_markers("2026 [DEBUG] [remote-bridge] Unarchive session_01TESTPTYSESSIONAAAAA ok\n");
    CHECK(m.unarchived_session_id == "session_01TESTPTYSESSIONAAAAA");
    CHECK_FALSE(parse_bridge_markers("[remote-bridge] Unarchive cse_01ABC\n").unarchived_session_id);
}

TEST_CASE("a half-written last line never yields a truncated value", "[core]") {
    const std::string full = init_line + env_line + session_line + poll_line;
    // Every prefix of the log parses without error, and any value it reports is complete.
    for (std::size_t n = 0; n <= full.size(); ++n) {
        const auto m = parse_bridge_markers(std::string_view(full).substr(0, n));
        if (m.bridge_id) CHECK(*m.bridge_id == "11111111-2222-3333-4444-555555555555");
        if (m.environment_id) CHECK(*m.environment_id == "env_01TESTENVAAAAAAAAAAAAAAAA");
        if (m.starter_session_id) CHECK(*m.starter_session_id == "session_01TESTSTARTERAAAAAAAAAA");
        if (m.spawn_mode) CHECK(*m.spawn_mode == "same-dir");
    }
    const auto cut = parse_bridge_markers(init_line + "2026 [DEBUG] [bridge:api] POST -> 200 environment_id=env_01TES");
    CHECK(cut.bridge_id);
    CHECK_FALSE(cut.environment_id);
    // A complete value in an unterminated line is fine once something follows it.
    CHECK(parse_bridge_markers("environment_id=env_abc ").environment_id == "env_abc");
    CHECK(parse_bridge_markers("x\r\nenvironment_id=env_abc\r\n").environment_id == "env_abc");
}

TEST_CASE("odd lines do not produce values", "[core]") {
    const auto m = parse_bridge_markers("environment_id=env_\n"
                                        "environment_id=envx_abc\n"
                                        "Created initial session \n"
                                        "Created initial session sess_1\n"
                                        "[bridge:init] bridgeId= dir=/x\n"
                                        "bridgeId=1234 without tag\n"
                                        "[bridge:work] spawnMode=\n");
    CHECK_FALSE(m.environment_id);
    CHECK_FALSE(m.starter_session_id);
    CHECK_FALSE(m.bridge_id);
    CHECK_FALSE(m.spawn_mode);
    CHECK_FALSE(m.poll_loop_started);
}

TEST_CASE("parse_bridge_markers is linear on a large log", "[core]") {
    // ~10 MB of noise built to defeat naive backtracking: near-miss prefixes, one
    // giant line without newline, and the real markers at the very end.
    std::string text;
    text.reserve(11 * 1024 * 1024);
    const std::string noise = "2026 [DEBUG] [bridge:work] Starting poll lo environment_id=env_ [bridge:session] pid= "
                              "Workspace not truste wwwwwwww [bridge:shutdown] SIGIN environmentId=env\n";
    while (text.size() < 8 * 1024 * 1024) text += noise;
    text += std::string(2 * 1024 * 1024, 'w');  // one 2 MB line
    text += "\n";
    text += init_line + env_line + poll_line;

    const auto start = std::chrono::steady_clock::now();
    const auto m = parse_bridge_markers(text);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(m.is_ready());
    CHECK(m.bridge_id == "11111111-2222-3333-4444-555555555555");
    CHECK_FALSE(m.trust_error);
    CHECK_FALSE(m.clean_shutdown);
    CHECK(m.session_pids.empty());
    CHECK(took < std::chrono::seconds(5));
}
