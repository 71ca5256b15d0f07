#include <clauster/core/json.hpp>

#include <clauster/core/instance.hpp>
#include <clauster/core/time_format.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace clauster::core;
using namespace std::chrono;

namespace {

/// Spec §3.1, in order: the bridge fields of the Instance wire shape.
const std::vector<std::string> instance_keys{
    "instance_id",      "project",           "label",
    "bridge_pid",       "bridge_proc_start", "bridge_start_ticks",
    "bridge_boot_id",   "bridge_id",         "environment_id",
    "starter_session_id", "url",             "session_url",
    "spawn_mode",       "permission_mode",   "sandbox_mode",
    "resume_mode",      "keeper_pid",        "keeper_proc_start",
    "keeper_start_ticks", "worktree_name",   "status",
    "intentional_stop", "started_at",        "bridge_debug_log_path",
    "bridge_raw_log_path", "error_detail",   "notice",
    "claude_version",   "channel",           "claude_session_uuid_usable",
};

std::vector<std::string> keys_of(const boost::json::object& o) {
    std::vector<std::string> keys;
    for (const auto& kv : o) keys.emplace_back(kv.key());
    return keys;
}

/// Serialises and parses back, as a client would see it.
boost::json::object wire(const instance& inst) {
    return boost::json::parse(boost::json::serialize(boost::json::value_from(inst))).as_object();
}

}  // namespace

TEST_CASE("instance JSON: a fresh instance has every field, absent optionals null", "[core]") {
    instance inst;
    inst.instance_id = "0b6f3f0e-8a39-4c1e-9d1e-0a2b3c4d5e6f";
    inst.project = "alpha";
    inst.label = "alpha";

    const auto o = wire(inst);
    CHECK(keys_of(o) == instance_keys);
    CHECK(o.at("instance_id") == boost::json::value("0b6f3f0e-8a39-4c1e-9d1e-0a2b3c4d5e6f"));
    CHECK(o.at("project") == boost::json::value("alpha"));
    CHECK(o.at("label") == boost::json::value("alpha"));
    for (const auto* k : {"bridge_pid", "bridge_proc_start", "bridge_start_ticks", "bridge_boot_id", "bridge_id",
                          "environment_id", "starter_session_id", "url", "session_url", "keeper_pid",
                          "keeper_proc_start", "keeper_start_ticks", "worktree_name", "started_at",
                          "bridge_debug_log_path", "bridge_raw_log_path", "error_detail", "notice",
                          "claude_version"}) {
        INFO(k);
        CHECK(o.at(k).is_null());
    }
    CHECK(o.at("spawn_mode") == boost::json::value("same-dir"));
    CHECK(o.at("permission_mode") == boost::json::value("default"));
    CHECK(o.at("sandbox_mode") == boost::json::value("default"));
    CHECK(o.at("resume_mode") == boost::json::value("standard"));
    CHECK(o.at("status") == boost::json::value("starting"));
    CHECK(o.at("intentional_stop") == boost::json::value(false));
    CHECK(o.at("channel") == boost::json::value("remote-control"));
    CHECK(o.at("claude_session_uuid_usable") == boost::json::value(false));
}

TEST_CASE("instance JSON: every field set maps back to its source", "[core]") {
    const auto started = sys_days{year{2026} / 11 / 23} + hours{4} + minutes{40} + seconds{40} + microseconds{123456};
    instance inst;
    inst.instance_id = "11111111-2222-4333-8444-555555555555";
    inst.project = "beta";
    inst.label = "my bridge";
    process_identity bridge;
    bridge.pid = 4242;
    bridge.start_ticks = 987654321ULL;
    bridge.boot_id = "c0ffee00-boot";
    bridge.proc_start = 1790000000.25;
    process_identity keeper = bridge;
    keeper.pid = 4241;
    keeper.start_ticks = 987654300ULL;
    keeper.proc_start = 1790000000.0;
    inst.bridge = bridge;
    inst.keeper = keeper;
    inst.bridge_id = "11111111-2222-3333-4444-555555555555";
    inst.environment_id = "env_01TESTENVAAAAAAAAAAAAAAAA";
    inst.starter_session_id = "session_01TESTSTARTERAAAAAAAAAA";
    inst.url = "https://claude.ai/code?environment=env_01TESTENVAAAAAAAAAAAAAAAA";
    inst.spawn_mode = spawn_mode::worktree;
    inst.permission_mode = permission_mode::bypass_permissions;
    inst.resume_mode = launch_mode::pty;
    inst.worktree_name = "wt-1";
    inst.status = instance_status::crashed;
    inst.intentional_stop = true;
    inst.started_at = started;
    inst.log_stem = "beta-1-1";
    inst.bridge_debug_log_path = "/state/logs/beta-1-1.log";
    inst.bridge_raw_log_path = "/state/logs/beta-1-1.raw.log";
    inst.error_detail = "boom";
    inst.notice = "heads up";
    inst.claude_version = "2.1.156";
    inst.channel = instance_channel::remote_control;

    const auto o = wire(inst);
    CHECK(keys_of(o) == instance_keys);  // log_stem, created_at, updated_at stay internal
    CHECK(o.at("bridge_pid") == boost::json::value(4242));
    CHECK(o.at("bridge_proc_start").to_number<double>() == Approx(1790000000.25));
    CHECK(o.at("bridge_start_ticks").to_number<std::uint64_t>() == 987654321ULL);
    CHECK(o.at("bridge_boot_id") == boost::json::value("c0ffee00-boot"));
    CHECK(o.at("bridge_id") == boost::json::value("11111111-2222-3333-4444-555555555555"));
    CHECK(o.at("environment_id") == boost::json::value("env_01TESTENVAAAAAAAAAAAAAAAA"));
    CHECK(o.at("starter_session_id") == boost::json::value("session_01TESTSTARTERAAAAAAAAAA"));
    CHECK(o.at("url") == boost::json::value("https://claude.ai/code?environment=env_01TESTENVAAAAAAAAAAAAAAAA"));
    CHECK(o.at("session_url") == boost::json::value("https://claude.ai/code/session_01TESTSTARTERAAAAAAAAAA?from=cli"));
    CHECK(o.at("spawn_mode") == boost::json::value("worktree"));
    CHECK(o.at("permission_mode") == boost::json::value("bypassPermissions"));
    CHECK(o.at("resume_mode") == boost::json::value("pty"));
    CHECK(o.at("keeper_pid") == boost::json::value(4241));
    CHECK(o.at("keeper_proc_start").to_number<double>() == Approx(1790000000.0));
    CHECK(o.at("keeper_start_ticks").to_number<std::uint64_t>() == 987654300ULL);
    CHECK(o.at("worktree_name") == boost::json::value("wt-1"));
    CHECK(o.at("status") == boost::json::value("crashed"));
    CHECK(o.at("intentional_stop") == boost::json::value(true));
    CHECK(o.at("started_at") == boost::json::value("2026-11-23T04:40:40.123456+00:00"));
    CHECK(parse_iso(o.at("started_at").as_string()) == started);  // round trip
    CHECK(o.at("bridge_debug_log_path") == boost::json::value("/state/logs/beta-1-1.log"));
    CHECK(o.at("bridge_raw_log_path") == boost::json::value("/state/logs/beta-1-1.raw.log"));
    CHECK(o.at("error_detail") == boost::json::value("boom"));
    CHECK(o.at("notice") == boost::json::value("heads up"));
    CHECK(o.at("claude_version") == boost::json::value("2.1.156"));
    CHECK(o.at("claude_session_uuid_usable") == boost::json::value(false));

    // Every status and channel has its wire name.
    for (const auto s : {instance_status::starting, instance_status::running, instance_status::stopped,
                         instance_status::crashed, instance_status::error}) {
        inst.status = s;
        const auto name = wire(inst).at("status").as_string();
        CHECK(parse_instance_status(std::string_view(name.data(), name.size())) == s);
    }
    inst.channel = instance_channel::hosted;
    CHECK(wire(inst).at("channel") == boost::json::value("hosted"));

    // An identity without ticks, boot id or epoch gives nulls beside its pid;
    // an empty session id is no session.
    inst.bridge->start_ticks.reset();
    inst.bridge->boot_id.reset();
    inst.bridge->proc_start.reset();
    inst.keeper.reset();
    inst.starter_session_id = "";
    const auto bare = wire(inst);
    CHECK(bare.at("bridge_pid") == boost::json::value(4242));
    CHECK(bare.at("bridge_proc_start").is_null());
    CHECK(bare.at("bridge_start_ticks").is_null());
    CHECK(bare.at("bridge_boot_id").is_null());
    CHECK(bare.at("keeper_pid").is_null());
    CHECK(bare.at("keeper_proc_start").is_null());
    CHECK(bare.at("keeper_start_ticks").is_null());
    CHECK(bare.at("session_url").is_null());
}
