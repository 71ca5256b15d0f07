#include "route_table.hpp"

#include "handlers.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using clauster::http::make_route_table;
using clauster::http::route;
using clauster::http::route_match;
using clauster::http::route_scope;
using clauster::http::route_table;
using verb = boost::beast::http::verb;

namespace {

struct public_route {
    verb method;
    std::string path;  // a concrete path under the /api prefix
    std::string pattern;
};

// Spec §2.2: the 13 public routes, with a concrete path for each.
const std::vector<public_route> spec_routes{
    {verb::get, "/projects", "/projects"},
    {verb::get, "/sessions", "/sessions"},
    {verb::get, "/sessions/tracked", "/sessions/tracked"},
    {verb::get, "/sessions/adoptable", "/sessions/adoptable"},
    {verb::get, "/instances", "/instances"},
    {verb::post, "/instances", "/instances"},
    {verb::get, "/instances/abc123", "/instances/{instance_id}"},
    {verb::delete_, "/instances/abc123", "/instances/{instance_id}"},
    {verb::post, "/instances/abc123/resume", "/instances/{instance_id}/resume"},
    {verb::get, "/agents", "/agents"},
    {verb::post, "/agents", "/agents"},
    {verb::delete_, "/agents/0123abcd", "/agents/{job_id}"},
    {verb::post, "/agents/0123abcd/resume", "/agents/{job_id}/resume"},
};

boost::asio::awaitable<clauster::http::response> dummy(clauster::http::route_context) {
    co_return clauster::http::response{};
}

}  // namespace

TEST_CASE("route table: exactly the 13 public routes of spec 2.2, forget, adopt, events and /healthz", "[http]") {
    const auto table = make_route_table();
    std::size_t public_count = 0;
    std::set<std::string> names;
    for (const auto& r : table.routes()) {
        CHECK(names.insert(r.name).second);  // names are unique
        if (r.scope == route_scope::public_api) ++public_count;
    }
    CHECK(public_count == 13);
    CHECK(table.routes().size() == 17);
    CHECK(names.contains("forget_instance"));
    CHECK(names.contains("adopt_project"));
    CHECK(names.contains("list_events"));
    CHECK(names.contains("healthz"));
    CHECK(names.contains("list_projects"));
}

TEST_CASE("route table: every public route resolves under /api and /api/v1 to the same entry", "[http]") {
    const auto table = make_route_table();
    for (const auto& spec : spec_routes) {
        INFO(boost::beast::http::to_string(spec.method) << " " << spec.path);
        const auto bare = table.match(spec.method, "/api" + spec.path);
        const auto v1 = table.match(spec.method, "/api/v1" + spec.path);
        REQUIRE(bare.outcome == route_match::kind::found);
        REQUIRE(v1.outcome == route_match::kind::found);
        CHECK(bare.matched == v1.matched);
        CHECK(bare.matched->method == spec.method);
        CHECK(bare.matched->pattern == spec.pattern);
        CHECK(bare.matched->scope == route_scope::public_api);
        CHECK(bare.params == v1.params);
    }
}

TEST_CASE("route table: served_paths lists both prefixes for public routes", "[http]") {
    const auto table = make_route_table();
    for (const auto& r : table.routes()) {
        const auto paths = r.served_paths();
        if (r.scope == route_scope::public_api) {
            REQUIRE(paths.size() == 2);
            CHECK(paths[0] == "/api" + r.pattern);
            CHECK(paths[1] == "/api/v1" + r.pattern);
        } else if (r.scope == route_scope::internal_api) {
            CHECK(paths == std::vector<std::string>{"/api" + r.pattern});
        } else {
            CHECK(paths == std::vector<std::string>{"/healthz"});
        }
    }
}

TEST_CASE("route table: unknown /api/v1 paths are 404", "[http]") {
    const auto table = make_route_table();
    for (const auto* path : {"/api/v1/widget", "/api/v1/healthz", "/api/v1/", "/api/v1", "/api/v1/projects/x/trust",
                             "/api/widget", "/api/", "/api", "/api/v2/projects", "/nope", "/", "/api/v1/v1/projects",
                             "/api/instances/", "/api/instances/abc/resume/x"}) {
        INFO(path);
        CHECK(table.match(verb::get, path).outcome == route_match::kind::not_found);
        CHECK(table.match(verb::post, path).outcome == route_match::kind::not_found);
    }
}

TEST_CASE("route table: forget is internal, under /api only", "[http]") {
    const auto table = make_route_table();
    const auto m = table.match(verb::post, "/api/instances/abc/forget");
    REQUIRE(m.outcome == route_match::kind::found);
    CHECK(m.matched->name == "forget_instance");
    CHECK(m.matched->scope == route_scope::internal_api);
    CHECK(m.params.at("instance_id") == "abc");
    CHECK(table.match(verb::post, "/api/v1/instances/abc/forget").outcome == route_match::kind::not_found);
    CHECK(table.match(verb::get, "/api/instances/abc/forget").outcome == route_match::kind::method_not_allowed);
}

TEST_CASE("route table: /healthz lives at the root only", "[http]") {
    const auto table = make_route_table();
    const auto m = table.match(verb::get, "/healthz");
    REQUIRE(m.outcome == route_match::kind::found);
    CHECK(m.matched->name == "healthz");
    CHECK(table.match(verb::get, "/api/healthz").outcome == route_match::kind::not_found);
}

TEST_CASE("route table: path parameters are extracted and percent-decoded", "[http]") {
    const auto table = make_route_table();
    SECTION("instance id") {
        const auto m = table.match(verb::get, "/api/v1/instances/f2c4-9a");
        REQUIRE(m.outcome == route_match::kind::found);
        CHECK(m.matched->name == "get_instance");
        CHECK(m.params.at("instance_id") == "f2c4-9a");
    }
    SECTION("job id on a nested route") {
        const auto m = table.match(verb::post, "/api/agents/0123abcd/resume");
        REQUIRE(m.outcome == route_match::kind::found);
        CHECK(m.matched->name == "resume_agent");
        CHECK(m.params.at("job_id") == "0123abcd");
    }
    SECTION("escapes are decoded, and an encoded slash stays inside the segment") {
        const auto m = table.match(verb::delete_, "/api/instances/my%20proj%2Fx");
        REQUIRE(m.outcome == route_match::kind::found);
        CHECK(m.params.at("instance_id") == "my proj/x");
    }
    SECTION("a malformed escape matches nothing") {
        CHECK(table.match(verb::get, "/api/instances/bad%zz").outcome == route_match::kind::not_found);
    }
    SECTION("literal segments are not decoded") {
        CHECK(table.match(verb::get, "/api/proj%65cts").outcome == route_match::kind::not_found);
    }
}

TEST_CASE("route table: a known path with the wrong method is 405 with Allow", "[http]") {
    const auto table = make_route_table();
    SECTION("GET-only collection") {
        const auto m = table.match(verb::put, "/api/v1/projects");
        CHECK(m.outcome == route_match::kind::method_not_allowed);
        CHECK(m.allow_header() == "GET, HEAD");
    }
    SECTION("GET and POST") {
        const auto m = table.match(verb::patch, "/api/instances");
        CHECK(m.outcome == route_match::kind::method_not_allowed);
        CHECK(m.allow_header() == "GET, HEAD, POST");
    }
    SECTION("parameterised") {
        const auto m = table.match(verb::put, "/api/instances/xyz");
        CHECK(m.outcome == route_match::kind::method_not_allowed);
        CHECK(m.allow_header() == "GET, HEAD, DELETE");
    }
    SECTION("POST-only") {
        const auto m = table.match(verb::get, "/api/v1/agents/abc/resume");
        CHECK(m.outcome == route_match::kind::method_not_allowed);
        CHECK(m.allow_header() == "POST");
    }
}

TEST_CASE("route table: HEAD is served wherever GET is", "[http]") {
    const auto table = make_route_table();
    const auto m = table.match(verb::head, "/api/v1/projects");
    REQUIRE(m.outcome == route_match::kind::found);
    CHECK(m.matched->method == verb::get);
}

TEST_CASE("route table: a trailing slash is a different path (404, no redirect)", "[http]") {
    const auto table = make_route_table();
    CHECK(table.match(verb::get, "/api/projects/").outcome == route_match::kind::not_found);
    CHECK(table.match(verb::get, "/api/v1/projects/").outcome == route_match::kind::not_found);
    CHECK(table.match(verb::get, "/healthz/").outcome == route_match::kind::not_found);
    CHECK(table.match(verb::get, "/api//projects").outcome == route_match::kind::not_found);
}

TEST_CASE("route table: registration rejects duplicates and malformed patterns", "[http]") {
    route_table t;
    t.add(route{verb::get, route_scope::public_api, "/things/{id}", "get_thing", dummy});
    SECTION("same shape under /api, even when one is internal") {
        CHECK_THROWS_AS(t.add(route{verb::get, route_scope::internal_api, "/things/{other}", "dup", dummy}),
                        std::invalid_argument);
    }
    SECTION("another method on the same path is fine") {
        CHECK_NOTHROW(t.add(route{verb::delete_, route_scope::public_api, "/things/{id}", "del_thing", dummy}));
    }
    SECTION("the same path at the root is a different space") {
        CHECK_NOTHROW(t.add(route{verb::get, route_scope::root, "/things/{id}", "root_thing", dummy}));
    }
    SECTION("malformed") {
        CHECK_THROWS_AS(t.add(route{verb::get, route_scope::public_api, "things", "a", dummy}), std::invalid_argument);
        CHECK_THROWS_AS(t.add(route{verb::get, route_scope::public_api, "/a//b", "b", dummy}), std::invalid_argument);
        CHECK_THROWS_AS(t.add(route{verb::get, route_scope::public_api, "/a/{b", "c", dummy}), std::invalid_argument);
        CHECK_THROWS_AS(t.add(route{verb::get, route_scope::public_api, "/x", "d", nullptr}), std::invalid_argument);
    }
}

TEST_CASE("route table: internal routes are reachable under /api only", "[http]") {
    route_table t;
    t.add(route{verb::post, route_scope::internal_api, "/projects/{name}/trust", "trust_project", dummy});
    CHECK(t.match(verb::post, "/api/projects/x/trust").outcome == route_match::kind::found);
    CHECK(t.match(verb::post, "/api/v1/projects/x/trust").outcome == route_match::kind::not_found);
}
