// The public API contract (spec §2.2, §4.8) on a real clausterd: each of the 13
// public routes answers the same request identically under `/api` and
// `/api/v1`, nothing else is served under `/api/v1`, and every response
// validates against the OpenAPI document the same server publishes.
//
// The state is real: a Server Mode bridge spawned over HTTP (the fake claude,
// tests/fake_claude, with its SDK worker child, a TRACKED session), a flag-form
// session started by hand in another project (an EXTERNAL session) and a
// background job, all seen through the server's `claude agents --json` poll.

#include "support/api_fixture.hpp"
#include "support/json_schema.hpp"
#include "support/processes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace json = boost::json;
using namespace std::chrono_literals;
using namespace clauster::test;

namespace {

//------------------------------------------------------------------------------
// JSON helpers

std::string header(const http_reply& r, const std::string& name) {
    const auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
}

std::string kind_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "boolean";
        case json::kind::int64:
        case json::kind::uint64: return "integer";
        case json::kind::double_: return "number";
        case json::kind::string: return "string";
        case json::kind::array: return "array";
        case json::kind::object: return "object";
    }
    return "?";
}

/// The key set and the JSON type of each value of an object.
std::vector<std::pair<std::string, std::string>> shape_of(const json::value& v) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& kv : v.as_object()) out.emplace_back(kv.key(), kind_of(kv.value()));
    return out;
}

/// @p v with the values of @p keys replaced by `<type>`: what is left must match exactly.
json::value masked(json::value v, std::initializer_list<std::string_view> keys) {
    for (const auto key : keys)
        if (auto* x = v.as_object().if_contains(key)) *x = "<" + kind_of(*x) + ">";
    return v;
}

/// The fields of an Instance that name the particular bridge (or its project).
json::value instance_masked(json::value v) {
    return masked(std::move(v), {"instance_id", "project", "label", "bridge_pid", "bridge_proc_start",
                                 "bridge_start_ticks", "started_at", "bridge_debug_log_path", "bridge_raw_log_path"});
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

//------------------------------------------------------------------------------
// Fixture
//   alpha         trusted: the Server Mode bridge, the background jobs
//   beta          untrusted: the hand-started flag-form session (EXTERNAL)
//   gamma, delta  trusted: one spawn per prefix (equivalent targets)

/// One exchange, for the final schema check.
struct exchange {
    std::string method;
    /// The documented path template (`/api/v1/instances/{instance_id}`), or
    /// empty when no route serves the path (then the body is an Error).
    std::string path_template;
    std::string target;
    http_reply reply;
};

class contract_fixture : public api_server {
public:
    contract_fixture()
        : api_server({.setup = {.projects = {"alpha", "beta", "gamma", "delta"},
                                .trusted = {"alpha", "gamma", "delta"},
                                .env = {{"CLAUSTER_API_OPENAPI_ENABLED", "true"},
                                        {"CLAUSTER_CLAUDE_AGENTS_JSON_POLL_INTERVAL_SECONDS", "1"},
                                        {"FAKE_CLAUDE_BG_WORK", "0.3"}}}}) {}

    /// A session started by hand: `claude --remote-control hand` (the flag form) in beta.
    void start_hand_session() {
        hand_ = claude_by_hand(installation(), "beta", {"--remote-control", "hand"}, "hand");
    }

    /// A recorded request to `<prefix><path>`; @p pattern is the route's
    /// pattern (`/instances/{instance_id}`), empty when no route serves it.
    http_reply send(const std::string& method, const std::string& prefix, const std::string& pattern,
                    const std::string& path, const std::string& body = {}) {
        auto reply = call(method, prefix + path, body);
        recorded_.push_back({method, pattern.empty() ? std::string() : prefix + pattern, prefix + path, reply});
        return reply;
    }

    /// The same request under `/api` and `/api/v1`: the same status, Content-Type
    /// and body (only X-Request-Id and the per-response CSP nonce may differ).
    /// @return the `/api` reply.
    http_reply same(const std::string& method, const std::string& pattern, const std::string& path,
                    const std::string& body = {}) {
        const auto bare = send(method, "/api", pattern, path, body);
        const auto v1 = send(method, "/api/v1", pattern, path, body);
        INFO(method << " " << path << " " << body << "\n/api    -> " << bare.status << " " << bare.body
                    << "\n/api/v1 -> " << v1.status << " " << v1.body);
        CHECK(bare.status == v1.status);
        CHECK(header(bare, "content-type") == header(v1, "content-type"));
        CHECK(bare.body == v1.body);
        CHECK_FALSE(header(bare, "x-request-id").empty());
        return bare;
    }

    const std::vector<exchange>& recorded() const { return recorded_; }

    /// Polls @p pred (unrecorded requests) until true or @p limit passes.
    bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) const {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            if (pred()) return true;
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(100ms);
        }
    }

    /// The listed job @p id, or nullopt.
    std::optional<json::object> job(const std::string& id) const {
        const auto jobs = json::parse(call("GET", "/api/agents").body);
        for (const auto& j : jobs.as_array())
            if (j.at("id") == json::value(id)) return j.as_object();
        return std::nullopt;
    }

    bool job_is(const std::string& id, const std::function<bool(const json::object&)>& pred) const {
        const auto j = job(id);
        return j && pred(*j);
    }

private:
    std::unique_ptr<hand_process> hand_;
    std::vector<exchange> recorded_;
};

/// An error reply: the status and the `code`.
void check_error(const http_reply& r, int status, std::string_view code) {
    INFO("reply " << r.status << ": " << r.body);
    CHECK(r.status == status);
    CHECK(header(r, "content-type") == "application/json");
    CHECK(body_of(r).at("code") == json::value(code));
}

bool done(const json::object& j) { return j.at("state") == json::value("done"); }
bool ended(const json::object& j) { return j.at("worker_alive") == json::value(false); }

std::string created_job_id(const http_reply& r) {
    INFO("reply " << r.status << ": " << r.body);
    REQUIRE(r.status == 201);
    return str(body_of(r), "id");
}

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE_METHOD(contract_fixture, "the public API answers identically under /api and /api/v1", "[http][contract]") {
    start_hand_session();
    start();
    INFO("clausterd log:\n" << log());

    //--------------------------------------------------------------------------
    // Real state: a bridge (TRACKED session), a hand-started session (EXTERNAL),
    // a finished background job.

    const auto spawned = send("POST", "/api", "/instances", "/instances", R"({"project": "alpha"})");
    REQUIRE(spawned.status == 201);
    const auto bridge = str(body_of(spawned), "instance_id");
    const auto first_job = created_job_id(
        send("POST", "/api", "/agents", "/agents", R"({"project": "alpha", "prompt": "tidy the README"})"));

    const bool observed = wait_until(
        [&] {
            const auto external = json::parse(call("GET", "/api/sessions").body);
            const auto tracked = json::parse(call("GET", "/api/sessions/tracked").body);
            const auto* beta = external.as_object().if_contains("beta");
            return beta && beta->as_array().size() == 1 && tracked.as_object().contains(bridge) &&
                   job_is(first_job, done);
        },
        10s);
    INFO("GET /api/sessions: " << call("GET", "/api/sessions").body
                               << "\nGET /api/sessions/tracked: " << call("GET", "/api/sessions/tracked").body
                               << "\nGET /api/agents: " << call("GET", "/api/agents").body);
    REQUIRE(observed);
    {
        const auto external = json::parse(call("GET", "/api/sessions").body);
        const auto& hand = external.at("beta").at(0);
        CHECK(hand.at("attribution") == json::value("external"));
        CHECK(hand.at("kind") == json::value("interactive"));
        CHECK(hand.at("parent_instance").is_null());
        const auto tracked = json::parse(call("GET", "/api/sessions/tracked").body);
        CHECK(tracked.at(bridge).at(0).at("attribution") == json::value("tracked"));
        CHECK(tracked.at(bridge).at(0).at("parent_instance") == json::value(bridge));
    }

    //--------------------------------------------------------------------------
    // The 13 routes, identical requests: identical answers.

    {
        // GET /projects, /sessions, /sessions/tracked, /sessions/adoptable
        const auto projects = same("GET", "/projects", "/projects");
        REQUIRE(projects.status == 200);
        CHECK(body_of(projects).as_array().size() == 4);
        const auto sessions = same("GET", "/sessions", "/sessions");
        REQUIRE(sessions.status == 200);
        CHECK(body_of(sessions).as_object().size() == 1);
        const auto tracked = same("GET", "/sessions/tracked", "/sessions/tracked");
        REQUIRE(tracked.status == 200);
        CHECK(body_of(tracked).as_object().contains(bridge));
        const auto adoptable = same("GET", "/sessions/adoptable", "/sessions/adoptable");
        REQUIRE(adoptable.status == 200);
        CHECK(adoptable.body == "[]");  // a flag-form (pty) external session is never adoptable

        // GET /instances, GET /instances/{id} (by id, by name, unknown)
        const auto instances = same("GET", "/instances", "/instances");
        REQUIRE(instances.status == 200);
        CHECK(body_of(instances).as_array().size() == 1);
        CHECK(same("GET", "/instances/{instance_id}", "/instances/" + bridge).status == 200);
        CHECK(same("GET", "/instances/{instance_id}", "/instances/alpha").status == 200);
        check_error(same("GET", "/instances/{instance_id}", "/instances/nope"), 404, "not_found");

        // POST /instances: bad bodies, an unknown project, the live bridge again.
        check_error(same("POST", "/instances", "/instances", R"({"project": 7})"), 422, "invalid_argument");
        check_error(same("POST", "/instances", "/instances", "not json"), 422, "invalid_argument");
        check_error(same("POST", "/instances", "/instances", R"({"project": "alpha", "spawn_mode": "sideways"})"),
                    422, "invalid_argument");
        check_error(same("POST", "/instances", "/instances", R"({"project": "nope"})"), 404, "not_found");
        check_error(same("POST", "/instances", "/instances", R"({"project": "beta"})"), 409, "conflict");
        const auto again = same("POST", "/instances", "/instances", R"({"project": "alpha"})");
        REQUIRE(again.status == 200);
        CHECK(body_of(again).at("created") == json::value(false));
        CHECK(str(body_of(again), "instance_id") == bridge);

        // DELETE /instances/{id}: unknown.
        check_error(same("DELETE", "/instances/{instance_id}", "/instances/nope"), 404, "not_found");

        // POST /instances/{id}/resume: a live bridge comes back (created:false); unknown.
        const auto live = same("POST", "/instances/{instance_id}/resume", "/instances/" + bridge + "/resume");
        REQUIRE(live.status == 200);
        CHECK(body_of(live).at("created") == json::value(false));
        CHECK(str(body_of(live), "instance_id") == bridge);
        check_error(same("POST", "/instances/{instance_id}/resume", "/instances/nope/resume"), 404, "not_found");

        // GET /agents
        const auto agents = same("GET", "/agents", "/agents");
        REQUIRE(agents.status == 200);
        CHECK(body_of(agents).as_array().size() == 1);

        // POST /agents: bad fields, an unknown project.
        check_error(same("POST", "/agents", "/agents", R"({"project": 7})"), 422, "invalid_argument");
        check_error(same("POST", "/agents", "/agents", R"({"project": "alpha", "prompt": "x", "model": ""})"), 422,
                    "invalid_argument");
        check_error(same("POST", "/agents", "/agents", R"({"project": "alpha"})"), 422, "invalid_argument");
        check_error(same("POST", "/agents", "/agents", R"({"project": "nope", "prompt": "x"})"), 404, "not_found");

        // DELETE /agents/{job_id}: an invalid id; an unknown one (`claude rm` refuses it:
        // 200, neither settled nor removed).
        check_error(same("DELETE", "/agents/{job_id}", "/agents/zzzz"), 422, "invalid_argument");
        const std::string unknown_job = first_job == "0badc0de" ? "0badc0df" : "0badc0de";
        const auto unknown_stop = same("DELETE", "/agents/{job_id}", "/agents/" + unknown_job);
        CHECK(unknown_stop.status == 200);
        if (unknown_stop.status == 200) {
            CHECK(body_of(unknown_stop).at("settled") == json::value(false));
            CHECK(body_of(unknown_stop).at("removed") == json::value(false));
        }

        // POST /agents/{job_id}/resume: invalid, unknown, still live.
        check_error(same("POST", "/agents/{job_id}/resume", "/agents/zzzz/resume"), 422, "invalid_argument");
        check_error(same("POST", "/agents/{job_id}/resume", "/agents/" + unknown_job + "/resume"), 409, "conflict");
        check_error(same("POST", "/agents/{job_id}/resume", "/agents/" + first_job + "/resume"), 409, "conflict");

        // Nothing above changed anything.
        CHECK(call("GET", "/api/instances").body == instances.body);
        CHECK(call("GET", "/api/agents").body == agents.body);

        //----------------------------------------------------------------------
        // Only the public routes are under /api/v1.

        const std::string not_found = R"({"detail":"Not Found","code":"not_found"})";
        const auto widget = send("GET", "/api/v1", "", "/widget");
        CHECK(widget.status == 404);
        CHECK(widget.body == not_found);
        const auto forget_v1 = send("POST", "/api/v1", "", "/instances/" + bridge + "/forget");
        CHECK(forget_v1.status == 404);
        CHECK(forget_v1.body == not_found);
        // Routed under /api: a live bridge is not forgotten (409), and nothing was.
        check_error(send("POST", "/api", "/instances/{instance_id}/forget", "/instances/" + bridge + "/forget"), 409,
                    "conflict");
        const auto adopt_v1 = send("POST", "/api/v1", "", "/projects/alpha/adopt");
        CHECK(adopt_v1.status == 404);
        CHECK(adopt_v1.body == not_found);
        const auto adopt = send("POST", "/api", "/projects/{name}/adopt", "/projects/alpha/adopt");
        CHECK(adopt.status != 404);
        CHECK(adopt.status == 409);  // alpha's bridge is managed already
        CHECK(call("GET", "/api/instances").body == instances.body);
    }

    //--------------------------------------------------------------------------
    // State-changing happy paths: once per prefix, on equivalent targets.

    {
        // Spawn: 201 under both; the bodies differ only in what names the bridge.
        const auto g = send("POST", "/api", "/instances", "/instances", R"({"project": "gamma"})");
        const auto d = send("POST", "/api/v1", "/instances", "/instances", R"({"project": "delta"})");
        REQUIRE(g.status == 201);
        REQUIRE(d.status == 201);
        CHECK(header(g, "content-type") == header(d, "content-type"));
        CHECK(shape_of(body_of(g)) == shape_of(body_of(d)));
        CHECK(instance_masked(body_of(g)) == instance_masked(body_of(d)));
        CHECK(body_of(g).at("created") == json::value(true));
        const auto gamma = str(body_of(g), "instance_id");
        const auto delta = str(body_of(d), "instance_id");

        // Stop: 200 under both, the same apart from the bridge's own fields.
        const auto gs = send("DELETE", "/api", "/instances/{instance_id}", "/instances/" + gamma);
        const auto ds = send("DELETE", "/api/v1", "/instances/{instance_id}", "/instances/" + delta);
        REQUIRE(gs.status == 200);
        REQUIRE(ds.status == 200);
        CHECK(shape_of(body_of(gs)) == shape_of(body_of(ds)));
        CHECK(instance_masked(body_of(gs)) == instance_masked(body_of(ds)));
        CHECK(body_of(gs).at("status") == json::value("stopped"));

        // Stopping a stopped instance changes nothing, so the repeat is identical.
        const auto repeat = same("DELETE", "/instances/{instance_id}", "/instances/" + gamma);
        CHECK(repeat.status == 200);
        CHECK(body_of(repeat).at("status") == json::value("stopped"));
        CHECK(same("GET", "/instances/{instance_id}", "/instances/" + gamma).status == 200);

        // Resume a stopped bridge: 200 created:true (a new bridge) under both.
        const auto gr = send("POST", "/api", "/instances/{instance_id}/resume", "/instances/" + gamma + "/resume");
        const auto dr = send("POST", "/api/v1", "/instances/{instance_id}/resume", "/instances/" + delta + "/resume");
        REQUIRE(gr.status == 200);
        REQUIRE(dr.status == 200);
        CHECK(shape_of(body_of(gr)) == shape_of(body_of(dr)));
        CHECK(instance_masked(body_of(gr)) == instance_masked(body_of(dr)));
        CHECK(body_of(gr).at("created") == json::value(true));
        const auto gamma2 = str(body_of(gr), "instance_id");
        const auto delta2 = str(body_of(dr), "instance_id");
        CHECK(gamma2 != gamma);
        REQUIRE(send("DELETE", "/api", "/instances/{instance_id}", "/instances/" + gamma2).status == 200);
        REQUIRE(send("DELETE", "/api/v1", "/instances/{instance_id}", "/instances/" + delta2).status == 200);

        // Dispatch under /api/v1 (the fixture dispatched under /api): the same 201 {"id"}.
        const auto second = send("POST", "/api/v1", "/agents", "/agents",
                                 R"({"project": "alpha", "prompt": "tidy the README"})");
        const auto second_job = created_job_id(second);
        CHECK(second_job != first_job);
        REQUIRE(wait_until([&] { return job_is(second_job, done); }, 10s));

        // Resume needs an ended worker: end both as the idle cap would (no `claude rm`).
        for (const auto& id : {first_job, second_job})
            terminate_if_ours(static_cast<int>(job(id)->at("worker_pid").as_int64()));
        REQUIRE(wait_until([&] { return job_is(first_job, ended) && job_is(second_job, ended); }, 10s));
        const auto r1 = send("POST", "/api", "/agents/{job_id}/resume", "/agents/" + first_job + "/resume");
        const auto r2 = send("POST", "/api/v1", "/agents/{job_id}/resume", "/agents/" + second_job + "/resume");
        const auto resumed1 = created_job_id(r1);
        const auto resumed2 = created_job_id(r2);
        CHECK(masked(body_of(r1), {"id"}) == masked(body_of(r2), {"id"}));
        REQUIRE(wait_until([&] { return job_is(resumed1, done) && job_is(resumed2, done); }, 10s));

        // Stop a live job under each prefix: the same answer for its own id.
        const auto s1 = send("DELETE", "/api", "/agents/{job_id}", "/agents/" + resumed1);
        const auto s2 = send("DELETE", "/api/v1", "/agents/{job_id}", "/agents/" + resumed2);
        REQUIRE(s1.status == 200);
        REQUIRE(s2.status == 200);
        CHECK(str(body_of(s1), "id") == resumed1);
        CHECK(str(body_of(s2), "id") == resumed2);
        CHECK(masked(body_of(s1), {"id"}) == masked(body_of(s2), {"id"}));
        CHECK(body_of(s1).at("detail") == json::value("stopped and removed"));

        // Remove the ended originals, one under each prefix.
        const auto e1 = send("DELETE", "/api", "/agents/{job_id}", "/agents/" + first_job);
        const auto e2 = send("DELETE", "/api/v1", "/agents/{job_id}", "/agents/" + second_job);
        REQUIRE(e1.status == 200);
        REQUIRE(e2.status == 200);
        CHECK(masked(body_of(e1), {"id"}) == masked(body_of(e2), {"id"}));
        CHECK(body_of(e1).at("detail") == json::value("removed"));

        // The end state reads the same under both prefixes.
        CHECK(same("GET", "/agents", "/agents").body == "[]");
        CHECK(same("GET", "/instances", "/instances").status == 200);
        CHECK(same("GET", "/sessions/tracked", "/sessions/tracked").status == 200);
    }

    //--------------------------------------------------------------------------
    // Every recorded response validates against the schema the served document
    // declares for its path, method and status.

    const auto served = call("GET", "/openapi.json");
    REQUIRE(served.status == 200);
    const auto doc = json::parse(served.body);
    const schema_validator validator(doc.at("components").at("schemas").as_object());
    const auto error_schema = json::value(json::object{{"$ref", "#/components/schemas/Error"}});
    std::set<std::string> routes_seen;
    for (const auto& x : recorded()) {
        INFO(x.method << " " << x.target << " -> " << x.reply.status << " " << x.reply.body);
        const auto content_type = header(x.reply, "content-type");
        CHECK(content_type == "application/json");
        const auto body = json::parse(x.reply.body);
        if (x.path_template.empty()) {  // unrouted: the router's Error
            const auto errors = validator.validate(error_schema, body);
            for (const auto& e : errors) UNSCOPED_INFO(e);
            CHECK(errors.empty());
            continue;
        }
        const auto* item = doc.at("paths").as_object().if_contains(x.path_template);
        REQUIRE(item);
        const auto* op = item->as_object().if_contains(lower(x.method));
        REQUIRE(op);
        if (x.path_template.starts_with("/api/v1/"))
            routes_seen.insert(x.method + " " + x.path_template.substr(std::string("/api/v1").size()));
        const auto* documented = op->at("responses").as_object().if_contains(std::to_string(x.reply.status));
        CHECK(documented);  // every status we saw is documented for its operation
        if (!documented) continue;
        const auto* schema = documented->at("content").as_object().if_contains(content_type);
        REQUIRE(schema);
        const auto errors = validator.validate(schema->at("schema"), body);
        for (const auto& e : errors) UNSCOPED_INFO(e);
        CHECK(errors.empty());
    }
    // The walk reached every public route, and the document has no other.
    const std::set<std::string> all_public{
        "GET /projects",         "GET /sessions",         "GET /sessions/tracked",
        "GET /sessions/adoptable", "GET /instances",      "POST /instances",
        "GET /instances/{instance_id}", "DELETE /instances/{instance_id}",
        "POST /instances/{instance_id}/resume", "GET /agents", "POST /agents",
        "DELETE /agents/{job_id}", "POST /agents/{job_id}/resume"};
    CHECK(routes_seen == all_public);
    std::size_t public_in_doc = 0;
    for (const auto& [path, methods] : doc.at("paths").as_object())
        if (path.starts_with("/api/v1/")) public_in_doc += methods.as_object().size();
    CHECK(public_in_doc == all_public.size());
}
