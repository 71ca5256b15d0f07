// End-to-end: the instance routes of spec §2.3 on a real clausterd, with the
// fake claude (tests/fake_claude) as `claude.binary` and the real `clauster`
// as the PTY keeper.

#include "support/cli_fixture.hpp"
#include "support/http_client.hpp"
#include "support/server_fixture.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef CLAUSTER_TEST_FAKE_CLAUDE
#error "CLAUSTER_TEST_FAKE_CLAUDE must name the fake claude binary (link clauster_fake_claude_path)"
#endif

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using clauster::test::http_reply;

namespace {

//------------------------------------------------------------------------------
// Fixture: an installation with three projects and a clausterd over it.
//   alpha  trusted, not a git repository
//   beta   trusted, a git repository (a `.git` entry)
//   gamma  untrusted

class instances_fixture {
public:
    instances_fixture() {
        for (const auto* name : {"alpha", "beta", "gamma"}) fs::create_directories(inst_.projects / name);
        fs::create_directories(inst_.projects / "beta" / ".git");
        clauster::test::write_file(inst_.home / ".claude.json",
                                   R"({"projects": {")" + project_path("alpha") +
                                       R"(": {"hasTrustDialogAccepted": true}, ")" + project_path("beta") +
                                       R"(": {"hasTrustDialogAccepted": true}}})");
        inst_.env["CLAUSTER_CLAUDE_BINARY"] = CLAUSTER_TEST_FAKE_CLAUDE;
        // A backstop: a bridge a failed test left behind exits by itself.
        inst_.env["FAKE_CLAUDE_MAX_IDLE"] = "120";
    }

    ~instances_fixture() {
        // Bridges outlive clausterd by design: stop every live one we made.
        if (!server_) return;
        try {
            const auto listed = call("GET", "/api/instances");
            if (listed.status != 200) return;
            const auto instances = json::parse(listed.body);  // named: the loop must not outlive it
            for (const auto& i : instances.as_array()) {
                const auto status = i.at("status").as_string();
                if (status == "starting" || status == "running")
                    call("DELETE", "/api/instances/" + std::string(i.at("instance_id").as_string()));
            }
        } catch (...) {  // NOLINT(bugprone-empty-catch): best effort, the idle cap is the backstop
        }
    }

    instances_fixture(const instances_fixture&) = delete;
    instances_fixture& operator=(const instances_fixture&) = delete;

    std::string project_path(const std::string& name) const { return (inst_.projects / name).string(); }
    clauster::test::installation& installation() { return inst_; }

    /// Starts clausterd with the real `clauster` as keeper and @p extra argv.
    void start(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--keeper-exe", CLAUSTER_TEST_CLI};
        args.insert(args.end(), extra.begin(), extra.end());
        server_ = std::make_unique<clauster::test::running_server>(inst_, std::move(args));
    }

    /// SIGTERM, and waits for the exit status.
    int stop_server() {
        server_->process().signal(SIGTERM);
        const auto code = server_->process().wait(10s);
        REQUIRE(code);
        return *code;
    }

    std::string log() const { return server_ ? server_->log() : std::string(); }
    const std::string& url() const { return server_->url(); }

    http_reply call(const std::string& method, const std::string& target, const std::string& body = {}) const {
        std::vector<std::pair<std::string, std::string>> headers;
        if (method == "POST") headers.emplace_back("Content-Type", "application/json");
        return clauster::test::http_request(server_->url(), method, target, headers, body);
    }

    http_reply spawn(const std::string& body) const { return call("POST", "/api/instances", body); }

private:
    clauster::test::installation inst_;
    std::unique_ptr<clauster::test::running_server> server_;
};

json::value body_of(const http_reply& r) {
    INFO("body: " << r.body);
    return json::parse(r.body);
}

/// An error reply: status, `code` and the exact `detail`.
void check_error(const http_reply& r, int status, std::string_view code, std::string_view detail) {
    INFO("reply " << r.status << ": " << r.body);
    CHECK(r.status == status);
    CHECK(r.headers.at("content-type") == "application/json");
    const auto body = json::parse(r.body);
    REQUIRE(body.is_object());
    CHECK(body.as_object().size() == 2);
    CHECK(body.at("detail") == json::value(detail));
    CHECK(body.at("code") == json::value(code));
}

std::string str(const json::value& v, std::string_view key) { return std::string(v.at(key).as_string()); }

/// The fields every instance reply carries (spec §3.1), plus the spawn extras.
const std::set<std::string> instance_keys{
    "instance_id",  "project",      "label",          "bridge_pid",       "bridge_proc_start",
    "bridge_start_ticks", "bridge_boot_id", "bridge_id", "environment_id", "starter_session_id",
    "url",          "session_url",  "spawn_mode",     "permission_mode",  "sandbox_mode",
    "resume_mode",  "keeper_pid",   "keeper_proc_start", "keeper_start_ticks", "worktree_name",
    "status",       "intentional_stop", "started_at", "bridge_debug_log_path", "bridge_raw_log_path",
    "error_detail", "notice",       "claude_version", "channel",          "claude_session_uuid_usable",
};

std::set<std::string> keys_of(const json::value& v) {
    std::set<std::string> keys;
    for (const auto& kv : v.as_object()) keys.emplace(kv.key());
    return keys;
}

std::set<std::string> with_spawn_extras(std::set<std::string> keys) {
    keys.insert({"created", "reason", "warnings"});
    return keys;
}

/// True once no process @p pid exists (or only its zombie, about to be reaped).
bool process_gone(int pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto stat = clauster::test::read_file("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        if (stat.empty() || (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z'))
            return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

/// Sends @p raw on one connection and reads until the server closes it.
std::string exchange(const std::string& base_url, const std::string& raw) {
    const auto colon = base_url.rfind(':');
    const int port = std::stoi(base_url.substr(colon + 1));
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    timeval tv{20, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("connect failed");
    }
    (void)::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    std::string got;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return got;
}

/// Splits a stream of Content-Length framed responses into (status, body) pairs.
std::vector<std::pair<int, std::string>> split_responses(const std::string& stream) {
    std::vector<std::pair<int, std::string>> out;
    std::size_t pos = 0;
    while (pos < stream.size()) {
        const auto head_end = stream.find("\r\n\r\n", pos);
        if (head_end == std::string::npos) break;
        const auto head = stream.substr(pos, head_end - pos);
        const int status = std::stoi(head.substr(9, 3));
        std::size_t length = 0;
        for (std::size_t p = 0; p < head.size();) {
            const auto eol = head.find("\r\n", p);
            auto line = head.substr(p, eol == std::string::npos ? std::string::npos : eol - p);
            for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (line.starts_with("content-length:")) length = std::stoul(line.substr(15));
            if (eol == std::string::npos) break;
            p = eol + 2;
        }
        out.emplace_back(status, stream.substr(head_end + 4, length));
        pos = head_end + 4 + length;
    }
    return out;
}

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE_METHOD(instances_fixture, "POST /api/instances: body and option validation", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());

    SECTION("the body must be a JSON object") {
        for (const auto* body : {"", "[]", "\"alpha\"", "{not json"}) {
            INFO(body);
            check_error(spawn(body), 422, "invalid_argument", "body must be a JSON object");
        }
    }
    SECTION("project is a required non-empty string") {
        for (const auto* body : {"{}", R"({"project": ""})", R"({"project": 7})", R"({"name": "x"})"}) {
            INFO(body);
            check_error(spawn(body), 422, "invalid_argument", "body must include a 'project' string");
        }
    }
    SECTION("every other field must be a string") {
        for (const auto* field : {"channel", "spawn_mode", "permission_mode", "resume_mode", "name", "sandbox",
                                  "resume_session_id"}) {
            INFO(field);
            check_error(spawn(std::string(R"({"project": "alpha", ")") + field + R"(": 1})"), 422, "invalid_argument",
                        std::string(field) + " must be a string");
        }
    }
    SECTION("the manager's checks: 404, 422, 403, 409, 503") {
        check_error(spawn(R"({"project": "nope"})"), 404, "not_found", "project 'nope' not found");
        check_error(spawn(R"({"project": "alpha", "channel": "carrier-pigeon"})"), 422, "invalid_argument",
                    "unknown channel: 'carrier-pigeon'");
        check_error(spawn(R"({"project": "alpha", "channel": "hosted"})"), 503, "unavailable",
                    "hosted channel unavailable: claustrum daemon not connected");
        check_error(spawn(R"({"project": "alpha", "spawn_mode": "worktree"})"), 422, "invalid_argument",
                    "spawn_mode 'worktree' requires a git repository; 'alpha' is not one");
        check_error(spawn(R"({"project": "alpha", "spawn_mode": "sideways"})"), 422, "invalid_argument",
                    "invalid spawn_mode 'sideways'; expected one of (same-dir, worktree, session)");
        check_error(spawn(R"({"project": "alpha", "name": ")" + std::string(129, 'n') + R"("})"), 422,
                    "invalid_argument", "custom bridge name too long (129 chars; max 128)");
        const auto bypass = spawn(R"({"project": "alpha", "permission_mode": "bypassPermissions"})");
        CHECK(bypass.status == 403);
        CHECK(body_of(bypass).at("code") == json::value("forbidden"));
        const std::string untrusted =
            "directory not trusted: " + project_path("gamma") + ". Use the Trust action first.";
        check_error(spawn(R"({"project": "gamma"})"), 409, "conflict", untrusted);
        // `trust` is not accepted over HTTP: the Trust action is separate.
        check_error(spawn(R"({"project": "gamma", "trust": true})"), 409, "conflict", untrusted);
    }

    // Nothing was launched by any of that.
    const auto listed = call("GET", "/api/instances");
    CHECK(listed.status == 200);
    CHECK(listed.body == "[]");
}

TEST_CASE_METHOD(instances_fixture, "bypassPermissions spawns when the project allows it", "[http][slow]") {
    const auto config = installation().root / "clauster.yml";
    clauster::test::write_file(config, "projects:\n  alpha:\n    allow_bypass_permissions: true\n");
    start({"-c", config.string()});
    INFO("clausterd log:\n" << log());

    const auto allowed = spawn(R"({"project": "alpha", "permission_mode": "bypassPermissions"})");
    REQUIRE(allowed.status == 201);
    CHECK(body_of(allowed).at("permission_mode") == json::value("bypassPermissions"));
    // Other projects keep the ceiling.
    CHECK(spawn(R"({"project": "beta", "permission_mode": "bypassPermissions"})").status == 403);
}

TEST_CASE_METHOD(instances_fixture, "instance lifecycle over HTTP: spawn, get, stop, resume, forget", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());

    // Spawn: the fake becomes ready at once, so the answer is RUNNING.
    const auto first = spawn(R"({"project": "alpha"})");
    REQUIRE(first.status == 201);
    const auto created = body_of(first);
    CHECK(keys_of(created) == with_spawn_extras(instance_keys));
    const auto id = str(created, "instance_id");
    CHECK(id.size() == 36);
    CHECK(created.at("project") == json::value("alpha"));
    CHECK(created.at("label") == json::value("alpha"));
    CHECK(created.at("status") == json::value("running"));
    CHECK(created.at("channel") == json::value("remote-control"));
    CHECK(created.at("resume_mode") == json::value("standard"));
    CHECK(created.at("environment_id") == json::value("env_01TESTENVAAAAAAAAAAAAAAAA"));
    CHECK(created.at("session_url") ==
          json::value("https://claude.ai/code/session_01TESTSTARTERAAAAAAAAAA?from=cli"));
    CHECK(created.at("bridge_pid").is_int64());
    CHECK(created.at("started_at").is_string());
    CHECK(created.at("created") == json::value(true));
    CHECK(created.at("reason").is_null());
    CHECK(created.at("warnings").as_array().empty());
    const auto bridge_pid = static_cast<int>(created.at("bridge_pid").as_int64());

    // A second standard spawn hands back the live bridge: 200, created:false.
    const auto again = spawn(R"({"project": "alpha"})");
    REQUIRE(again.status == 200);
    const auto existing = body_of(again);
    CHECK(str(existing, "instance_id") == id);
    CHECK(existing.at("created") == json::value(false));
    CHECK(existing.at("reason").is_string());

    // The list: identical under /api and /api/v1, one row.
    const auto bare = call("GET", "/api/instances");
    const auto v1 = call("GET", "/api/v1/instances");
    REQUIRE(bare.status == 200);
    CHECK(v1.status == 200);
    CHECK(bare.body == v1.body);
    const auto listed = body_of(bare);
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 1);
    CHECK(str(list[0], "instance_id") == id);
    CHECK(keys_of(list[0]) == instance_keys);

    // One instance by full id, by project name, by unique prefix.
    for (const auto& ref : {id, std::string("alpha"), id.substr(0, 8)}) {
        INFO("ref " << ref);
        const auto got = call("GET", "/api/v1/instances/" + ref);
        REQUIRE(got.status == 200);
        CHECK(str(body_of(got), "instance_id") == id);
        CHECK(keys_of(body_of(got)) == instance_keys);
    }
    check_error(call("GET", "/api/instances/nope"), 404, "not_found", "no such instance: nope");
    // A project name is never a prefix: beta has no bridge.
    check_error(call("GET", "/api/instances/beta"), 404, "not_found", "no such instance: beta");

    const auto health = body_of(call("GET", "/healthz"));
    CHECK(health.at("instances_running") == json::value(1));

    // A live instance cannot be forgotten.
    const auto refused = call("POST", "/api/instances/" + id + "/forget");
    CHECK(refused.status == 409);
    CHECK(body_of(refused).at("code") == json::value("conflict"));

    // Stop.
    check_error(call("DELETE", "/api/instances/nope"), 404, "not_found", "no managed instance: 'nope'");
    const auto stopped = call("DELETE", "/api/v1/instances/" + id);
    REQUIRE(stopped.status == 200);
    const auto stopped_body = body_of(stopped);
    CHECK(str(stopped_body, "instance_id") == id);
    CHECK(stopped_body.at("status") == json::value("stopped"));
    CHECK(stopped_body.at("intentional_stop") == json::value(true));
    CHECK(keys_of(stopped_body) == instance_keys);
    CHECK(process_gone(bridge_pid, 5s));
    CHECK(body_of(call("GET", "/healthz")).at("instances_running") == json::value(0));

    // Resume of a standard bridge: a fresh bridge with a new id, answered 200.
    const auto resumed = call("POST", "/api/instances/" + id + "/resume");
    REQUIRE(resumed.status == 200);
    const auto resumed_body = body_of(resumed);
    CHECK(keys_of(resumed_body) == with_spawn_extras(instance_keys));
    CHECK(resumed_body.at("created") == json::value(true));
    CHECK(resumed_body.at("status") == json::value("running"));
    const auto new_id = str(resumed_body, "instance_id");
    CHECK(new_id != id);
    check_error(call("POST", "/api/instances/nope/resume"), 404, "not_found", "no such instance: nope");

    // Resuming the live one hands it back: 200, created:false.
    const auto live_again = call("POST", "/api/instances/" + new_id + "/resume");
    REQUIRE(live_again.status == 200);
    CHECK(body_of(live_again).at("created") == json::value(false));
    CHECK(str(body_of(live_again), "instance_id") == new_id);

    REQUIRE(call("DELETE", "/api/instances/" + new_id).status == 200);

    // Forget: internal, so not under /api/v1; the reply echoes the reference as given.
    check_error(call("POST", "/api/v1/instances/" + new_id + "/forget"), 404, "not_found", "Not Found");
    const auto prefix = new_id.substr(0, 10);
    const auto forgotten = call("POST", "/api/instances/" + prefix + "/forget");
    REQUIRE(forgotten.status == 200);
    CHECK(forgotten.body == R"({"id":")" + prefix + R"(","forgotten":true})");
    CHECK(call("POST", "/api/instances/" + new_id + "/forget").status == 404);

    // Every row is gone (the resumed card was superseded by its new bridge).
    CHECK(call("GET", "/api/instances").body == "[]");
}

TEST_CASE_METHOD(instances_fixture, "a project name with several bridges is ambiguous (409)", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());
    const auto a = spawn(R"({"project": "alpha"})");
    REQUIRE(a.status == 201);
    const auto first = str(body_of(a), "instance_id");
    REQUIRE(call("DELETE", "/api/instances/" + first).status == 200);
    const auto b = spawn(R"({"project": "alpha", "name": "second"})");
    REQUIRE(b.status == 201);
    const auto second = str(body_of(b), "instance_id");
    CHECK(body_of(b).at("label") == json::value("second"));

    const auto ambiguous = call("GET", "/api/instances/alpha");
    INFO(ambiguous.body);
    CHECK(ambiguous.status == 409);
    const auto detail = str(body_of(ambiguous), "detail");
    CHECK(detail.starts_with("ambiguous 'alpha' \u2014 matches "));
    CHECK(detail.find(first) != std::string::npos);
    CHECK(detail.find(second) != std::string::npos);
    CHECK(detail.ends_with("; use an instance id directly"));
    CHECK(call("DELETE", "/api/instances/alpha").status == 409);

    // Registration order.
    const auto listed = body_of(call("GET", "/api/instances"));
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 2);
    CHECK(str(list[0], "instance_id") == first);
    CHECK(str(list[1], "instance_id") == second);
}

TEST_CASE_METHOD(instances_fixture, "pipelined requests on one connection are answered in order", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());
    const std::string body = R"({"project": "beta"})";
    const std::string raw = "POST /api/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
                            "GET /api/v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    const auto replies = split_responses(exchange(url(), raw));
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].first == 201);
    const auto spawned = json::parse(replies[0].second);
    CHECK(replies[1].first == 200);
    // The listing ran after the spawn finished: it already holds the bridge.
    const auto listed = json::parse(replies[1].second);
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 1);
    CHECK(list[0].at("instance_id") == spawned.at("instance_id"));
    CHECK(list[0].at("status") == json::value("running"));
}

TEST_CASE_METHOD(instances_fixture, "a slow spawn blocks only its own connection", "[http][slow]") {
    installation().env["FAKE_CLAUDE_MODE"] = "slow";
    installation().env["FAKE_CLAUDE_SLOW"] = "2.5";
    start();
    INFO("clausterd log:\n" << log());

    std::atomic<bool> done{false};
    http_reply slow;
    std::thread spawner{[&] {
        slow = spawn(R"({"project": "alpha"})");
        done = true;
    }};
    // Wait until the bridge was launched (its debug log exists), then ask others.
    const auto logs = installation().state / "logs";
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool launched = false;
    while (!launched && std::chrono::steady_clock::now() < deadline) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(logs, ec))
            if (e.path().filename().string().starts_with("alpha-")) launched = true;
        if (!launched) std::this_thread::sleep_for(20ms);
    }
    CHECK(launched);
    const auto t0 = std::chrono::steady_clock::now();
    const auto health = call("GET", "/healthz");
    const auto projects = call("GET", "/api/projects");
    const auto waited = std::chrono::steady_clock::now() - t0;
    const bool spawn_still_pending = !done;
    spawner.join();

    CHECK(health.status == 200);
    CHECK(projects.status == 200);
    CHECK(spawn_still_pending);
    CHECK(waited < 1500ms);
    REQUIRE(slow.status == 201);
    CHECK(body_of(slow).at("status") == json::value("running"));
}

TEST_CASE_METHOD(instances_fixture, "a restarted clausterd lists every running bridge exactly once", "[http][slow]") {
    start();
    const auto a = spawn(R"({"project": "alpha"})");
    REQUIRE(a.status == 201);
    const auto b = spawn(R"({"project": "beta"})");
    REQUIRE(b.status == 201);
    const auto id_a = str(body_of(a), "instance_id");
    const auto id_b = str(body_of(b), "instance_id");
    const auto pid_a = body_of(a).at("bridge_pid");

    CHECK(stop_server() == 0);
    // The bridges outlived the server.
    CHECK_FALSE(process_gone(static_cast<int>(pid_a.as_int64()), 0ms));

    start();
    INFO("clausterd log:\n" << log());
    const auto listed = body_of(call("GET", "/api/instances"));
    const auto& list = listed.as_array();
    REQUIRE(list.size() == 2);
    CHECK(str(list[0], "instance_id") == id_a);
    CHECK(str(list[1], "instance_id") == id_b);
    CHECK(list[0].at("bridge_pid") == pid_a);
    // A spawn for the project still finds the reattached bridge.
    const auto again = spawn(R"({"project": "alpha"})");
    CHECK(again.status == 200);
    CHECK(str(body_of(again), "instance_id") == id_a);
}

TEST_CASE_METHOD(instances_fixture, "an Interactive Session (pty) resumes as the same instance", "[http][slow]") {
    start();
    INFO("clausterd log:\n" << log());

    const auto spawned = spawn(R"({"project": "beta", "resume_mode": "pty", "spawn_mode": "worktree"})");
    REQUIRE(spawned.status == 201);
    const auto body = body_of(spawned);
    const auto id = str(body, "instance_id");
    CHECK(body.at("resume_mode") == json::value("pty"));
    CHECK(body.at("status") == json::value("running"));
    CHECK(body.at("keeper_pid").is_int64());
    CHECK(body.at("warnings").as_array().empty());  // a worktree: no concurrent-edit warning

    // A second pty spawn is another instance, not the same one (only standard is idempotent).
    const auto second = spawn(R"({"project": "beta", "resume_mode": "pty"})");
    REQUIRE(second.status == 201);
    const auto second_body = body_of(second);
    CHECK(str(second_body, "instance_id") != id);
    CHECK_FALSE(second_body.at("warnings").as_array().empty());  // same-dir pty: a warning
    REQUIRE(call("DELETE", "/api/instances/" + str(second_body, "instance_id")).status == 200);

    const auto stopped = call("DELETE", "/api/instances/" + id);
    REQUIRE(stopped.status == 200);
    CHECK(body_of(stopped).at("status") == json::value("stopped"));

    const auto resumed = call("POST", "/api/v1/instances/" + id + "/resume");
    REQUIRE(resumed.status == 200);
    const auto resumed_body = body_of(resumed);
    CHECK(str(resumed_body, "instance_id") == id);
    CHECK(resumed_body.at("created") == json::value(true));
    CHECK(resumed_body.at("status") == json::value("running"));

    // Resuming a live Interactive Session hands it back.
    const auto again = call("POST", "/api/instances/" + id + "/resume");
    REQUIRE(again.status == 200);
    CHECK(body_of(again).at("created") == json::value(false));
}
