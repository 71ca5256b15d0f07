#include <clauster/core/bridge_pointer.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <string>

#include <sys/stat.h>

using namespace clauster::core;
namespace fs = std::filesystem;
using clauster::test::temp_dir;
using clauster::test::write_file;

TEST_CASE("sanitize_project_path and bridge_pointer_path", "[core]") {
    CHECK(sanitize_project_path("/mnt/nas/projects/unnamed_project") == "-mnt-nas-projects-unnamed-project");
    CHECK(sanitize_project_path("/a.b/C d/é") == "-a-b-C-d---");
    CHECK(bridge_pointer_path("/home/u", "/srv/p_1") == "/home/u/.claude/projects/-srv-p-1/bridge-pointer.json");
}

TEST_CASE("read_bridge_pointer reads a well-formed pointer", "[core]") {
    temp_dir dir;
    const auto path = dir / "bridge-pointer.json";

    SECTION("all fields") {
        write_file(path, R"({"sessionId":"session_01TESTSTARTERAAAAAAAAAA","environmentId":"env_01TESTENVAAAAAAAAAAAAAAAA",)"
                         R"("source":"standalone","pid":4242,"procStart":"123456789","extra":{"ignored":[1,2]}})");
        auto p = read_bridge_pointer(path);
        REQUIRE(p);
        CHECK(p->session_id == "session_01TESTSTARTERAAAAAAAAAA");
        CHECK(p->environment_id == "env_01TESTENVAAAAAAAAAAAAAAAA");
        CHECK(p->source == "standalone");
        CHECK(p->pid == 4242);
        CHECK(p->proc_start_ticks == 123456789u);
    }
    SECTION("optional fields absent or null") {
        write_file(path, R"({"sessionId":"session_x","pid":1,"environmentId":null,"procStart":null})");
        auto p = read_bridge_pointer(path);
        REQUIRE(p);
        CHECK(p->environment_id.empty());
        CHECK(p->source.empty());
        CHECK_FALSE(p->proc_start_ticks);
    }
    SECTION("largest values") {
        write_file(path, R"({"sessionId":"session_x","pid":2147483647,"procStart":"18446744073709551615"})");
        auto p = read_bridge_pointer(path);
        REQUIRE(p);
        CHECK(p->pid == 2147483647);
        CHECK(p->proc_start_ticks == 18446744073709551615ull);
    }
}

TEST_CASE("read_bridge_pointer treats every malformed shape as absent", "[core]") {
    temp_dir dir;
    const auto path = dir / "bridge-pointer.json";
    const std::string good_rest = R"("sessionId":"session_x","environmentId":"env_y","source":"s")";

    const char* const bad_docs[] = {
        "",
        "{",
        "null",
        "[]",
        "\"text\"",
        "42",
        R"({"sessionId":"session_x","environmentId":"env_y"})",  // no pid
        R"({"pid":10,"environmentId":"env_y"})",                 // no sessionId
    };
    for (const char* doc : bad_docs) {
        INFO(doc);
        write_file(path, doc);
        CHECK_FALSE(read_bridge_pointer(path));
    }

    const char* const bad_fields[] = {
        R"("pid":true)",
        R"("pid":false)",
        R"("pid":-5)",
        R"("pid":0)",
        R"("pid":1.5)",
        R"("pid":10.0)",
        R"("pid":"10")",
        R"("pid":null)",
        R"("pid":2147483648)",
        R"("pid":9223372036854775807)",
        R"("pid":18446744073709551615)",
        R"("pid":1e400)",
        R"("pid":123456789012345678901234567890)",
        R"("pid":[10])",
        R"("pid":{"v":10})",
        R"("pid":10,"procStart":12345)",
        R"("pid":10,"procStart":"")",
        R"("pid":10,"procStart":"12a")",
        R"("pid":10,"procStart":"-12")",
        R"("pid":10,"procStart":" 12")",
        R"("pid":10,"procStart":"1.5")",
        R"("pid":10,"procStart":"18446744073709551616")",
        R"("pid":10,"procStart":"99999999999999999999999999")",
        R"("pid":10,"procStart":true)",
    };
    for (const char* field : bad_fields) {
        const std::string doc = "{" + good_rest + "," + field + "}";
        INFO(doc);
        write_file(path, doc);
        CHECK_FALSE(read_bridge_pointer(path));
    }

    const char* const bad_strings[] = {
        R"({"sessionId":5,"pid":10})",
        R"({"sessionId":"","pid":10})",
        R"({"sessionId":"session x","pid":10})",
        R"({"sessionId":"session_x/../y","pid":10})",
        R"({"sessionId":["session_x"],"pid":10})",
        R"({"sessionId":"session_x","pid":10,"environmentId":7})",
        R"({"sessionId":"session_x","pid":10,"environmentId":"env y"})",
        R"({"sessionId":"session_x","pid":10,"source":{}})",
        R"({"sessionId":"session_x","pid":10,"source":"a\nb"})",
    };
    for (const char* doc : bad_strings) {
        INFO(doc);
        write_file(path, doc);
        CHECK_FALSE(read_bridge_pointer(path));
    }
}

TEST_CASE("read_bridge_pointer survives hostile files", "[core]") {
    temp_dir dir;
    const auto path = dir / "bridge-pointer.json";

    SECTION("missing") { CHECK_FALSE(read_bridge_pointer(path)); }
    SECTION("a directory") {
        fs::create_directory(path);
        CHECK_FALSE(read_bridge_pointer(path));
    }
    SECTION("a FIFO does not hang") {
        REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
        CHECK_FALSE(read_bridge_pointer(path));
    }
    SECTION("deep nesting") {
        std::string doc = R"({"sessionId":"session_x","pid":10,"x":)";
        doc += std::string(100000, '[') + std::string(100000, ']') + "}";
        write_file(path, doc);
        CHECK_FALSE(read_bridge_pointer(path));
    }
    SECTION("larger than 64 KiB") {
        std::string doc = R"({"sessionId":"session_x","pid":10,"pad":")";
        doc += std::string(70 * 1024, 'a') + "\"}";
        write_file(path, doc);
        CHECK_FALSE(read_bridge_pointer(path));
    }
    SECTION("just under 64 KiB is fine") {
        std::string doc = R"({"sessionId":"session_x","pid":10,"pad":")";
        doc += std::string(60 * 1024, 'a') + "\"}";
        write_file(path, doc);
        CHECK(read_bridge_pointer(path));
    }
    SECTION("invalid UTF-8") {
        write_file(path, "{\"sessionId\":\"session_x\",\"pid\":10,\"source\":\"\xff\"}");
        CHECK_FALSE(read_bridge_pointer(path));
    }
    SECTION("trailing garbage") {
        write_file(path, R"({"sessionId":"session_x","pid":10} x)");
        CHECK_FALSE(read_bridge_pointer(path));
    }
}
