#include <clauster/core/json.hpp>
#include <clauster/core/working_session.hpp>

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using clauster::core::agents_json_limits;
using clauster::core::parse_agents_json;
using clauster::core::session_attribution;
using clauster::core::working_session;

namespace {

const std::string good_item =
    R"({"pid":4242,"cwd":"/srv/projects/alpha","kind":"interactive","state":"working",)"
    R"("sessionId":"0b5f6a4e-2f9c-4a53-9f43-6c1f1d0e9a11","startedAt":1795419863248,"name":"alpha"})";

std::vector<working_session> parsed(const std::string& text) {
    auto out = parse_agents_json(text);
    REQUIRE(out.has_value());
    return *out;
}

}  // namespace

TEST_CASE("agents --json: a well-formed item becomes a working session", "[core][sessions]") {
    const auto sessions = parsed("[" + good_item + "]");
    REQUIRE(sessions.size() == 1);
    const auto& s = sessions.front();
    CHECK(s.pid == 4242);
    CHECK(s.cwd == "/srv/projects/alpha");
    CHECK(s.kind == "interactive");
    CHECK(s.state == "working");
    CHECK(s.local_uuid == "0b5f6a4e-2f9c-4a53-9f43-6c1f1d0e9a11");
    CHECK(s.started_at == 1795419863248);
    CHECK_FALSE(s.parent_instance);
    CHECK(s.attribution == session_attribution::untracked);
}

TEST_CASE("agents --json: the three shapes the CLI has printed", "[core][sessions]") {
    CHECK(parsed("[" + good_item + "]").size() == 1);
    CHECK(parsed(R"({"agents":[)" + good_item + "]}").size() == 1);
    CHECK(parsed(R"({"sessions":[)" + good_item + "]}").size() == 1);
    // `agents` wins over `sessions`, even when it is not a list.
    CHECK(parsed(R"({"agents":null,"sessions":[)" + good_item + "]}").empty());
}

TEST_CASE("agents --json: other valid JSON is an empty list", "[core][sessions]") {
    for (const char* text : {"", "   \n", "null", "42", "\"x\"", "{}", R"({"agents":5})", R"({"agents":{}})",
                                   "[]", "[1,2,3]", "[null]", "[[]]"}) {
        CAPTURE(text);
        CHECK(parsed(text).empty());
    }
}

TEST_CASE("agents --json: invalid JSON is an error, never a partial list", "[core][sessions]") {
    const std::string deep(100'000, '[');
    for (const std::string& text : {std::string("[") + good_item, std::string("{not json"),
                                   "[" + good_item + ",", deep, std::string("[1e99999]")}) {
        CAPTURE(text.substr(0, 60));
        const auto out = parse_agents_json(text);
        if (text == "[1e99999]") {
            // Boost.JSON rejects an overflowing exponent; either way nothing is listed.
            if (out) CHECK(out->empty());
            continue;
        }
        CHECK_FALSE(out.has_value());
    }
}

TEST_CASE("agents --json: items with a wrong field are skipped, the rest kept", "[core][sessions]") {
    struct row {
        std::string item;
        bool kept;
    };
    const std::string uuid = R"("sessionId":"u")";
    const std::string tail = R"(,"startedAt":1,)" + uuid;
    const std::vector<row> table{
        {R"({"pid":1,"cwd":"/a")" + tail + "}", true},
        {R"({"pid":"12","cwd":"/a")" + tail + "}", false},
        {R"({"pid":true,"cwd":"/a")" + tail + "}", false},
        {R"({"pid":1.5,"cwd":"/a")" + tail + "}", false},
        {R"({"pid":1.0,"cwd":"/a")" + tail + "}", false},
        {R"({"pid":0,"cwd":"/a")" + tail + "}", false},
        {R"({"pid":-4,"cwd":"/a")" + tail + "}", false},
        {R"({"pid":2147483648,"cwd":"/a")" + tail + "}", false},
        {R"({"pid":99999999999999999999999,"cwd":"/a")" + tail + "}", false},
        {R"({"pid":null,"cwd":"/a")" + tail + "}", false},
        {R"({"cwd":"/a")" + tail + "}", false},
        {R"({"pid":1,"cwd":5)" + tail + "}", false},
        {R"({"pid":1,"cwd":"")" + tail + "}", false},
        {R"({"pid":1,"cwd":"relative/dir")" + tail + "}", false},
        {R"({"pid":1,"cwd":"/a","startedAt":"1",)" + uuid + "}", false},
        {R"({"pid":1,"cwd":"/a","startedAt":1.5,)" + uuid + "}", false},
        {R"({"pid":1,"cwd":"/a","startedAt":1})", false},
        {R"({"pid":1,"cwd":"/a","startedAt":1,"sessionId":7})", false},
        {R"({"pid":1,"cwd":"/a")" + tail + R"(,"kind":null})", false},
        {R"({"pid":1,"cwd":"/a")" + tail + R"(,"kind":3})", false},
        {R"({"pid":1,"cwd":"/a")" + tail + R"(,"state":[]})", false},
        {R"({"pid":1,"cwd":"/a")" + tail + R"(,"kind":"background","state":"blocked"})", true},
        {R"({"pid":1,"cwd":"/a")" + tail + R"(,"extra":{"deep":[1,2,{"x":null}]}})", true},
    };
    for (const auto& r : table) {
        CAPTURE(r.item);
        const auto sessions = parsed("[" + r.item + "," + good_item + "]");
        CHECK(sessions.size() == (r.kept ? 2u : 1u));
        CHECK(sessions.back().pid == 4242);
    }
}

TEST_CASE("agents --json: finished sessions are not working sessions", "[core][sessions]") {
    std::string text = "[";
    for (const char* state : {"done", "failed", "stopped", "working", "blocked", ""}) {
        text += R"({"pid":7,"cwd":"/a","startedAt":1,"sessionId":"u","state":")" + std::string(state) + R"("},)";
    }
    text += good_item + "]";
    const auto sessions = parsed(text);
    REQUIRE(sessions.size() == 4);
    CHECK(sessions[0].state == "working");
    CHECK(sessions[1].state == "blocked");
    CHECK(sessions[2].state.empty());
}

TEST_CASE("agents --json: oversized fields and too many items are bounded", "[core][sessions]") {
    const std::string long_cwd = "/" + std::string(5000, 'a');
    const auto sessions = parsed(R"([{"pid":1,"cwd":")" + long_cwd + R"(","startedAt":1,"sessionId":"u"},)" +
                                 R"({"pid":1,"cwd":"/a","startedAt":1,"sessionId":")" + std::string(300, 'u') +
                                 R"("},)" + good_item + "]");
    REQUIRE(sessions.size() == 1);

    std::string many = "[";
    for (int i = 0; i < 50; ++i) many += good_item + ",";
    many += good_item + "]";
    agents_json_limits limits;
    limits.max_items = 10;
    const auto capped = parse_agents_json(many, limits);
    REQUIRE(capped.has_value());
    CHECK(capped->size() == 10);
}

TEST_CASE("a working session's JSON is exactly the spec §3.3 shape", "[core][sessions]") {
    auto s = parsed("[" + good_item + "]").front();
    CHECK(boost::json::serialize(boost::json::value_from(s)) ==
          R"({"pid":4242,"cwd":"/srv/projects/alpha","kind":"interactive","state":"working",)"
          R"("started_at":1795419863248,"local_uuid":"0b5f6a4e-2f9c-4a53-9f43-6c1f1d0e9a11",)"
          R"("parent_instance":null,"attribution":"untracked"})");
    s.parent_instance = "6bdad44a-e3eb-454d-8528-0f0c40d8cc42";
    s.attribution = session_attribution::tracked;
    const auto jv = boost::json::value_from(s);
    CHECK(jv.at("parent_instance") == "6bdad44a-e3eb-454d-8528-0f0c40d8cc42");
    CHECK(jv.at("attribution") == "tracked");
    for (auto a : {session_attribution::tracked, session_attribution::untracked, session_attribution::external,
                   session_attribution::hosted}) {
        s.attribution = a;
        CHECK(boost::json::value_from(s).at("attribution").as_string() == to_string(a));
    }
}
