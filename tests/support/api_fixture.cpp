#include "support/api_fixture.hpp"

#include "support/processes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <utility>

namespace clauster::test {

namespace json = boost::json;

api_server::api_server(api_server_options options) : keeper_(options.keeper) {
    use_fake_claude(inst_, options.setup);
}

api_server::~api_server() {
    if (!server_) return;
    try {
        const auto listed = call("GET", "/api/instances");
        if (listed.status == 200) {
            const auto instances = json::parse(listed.body);  // named: the loop must not outlive it
            for (const auto& i : instances.as_array()) {
                const auto status = i.at("status").as_string();
                if (status == "starting" || status == "running")
                    call("DELETE", "/api/instances/" + std::string(i.at("instance_id").as_string()));
            }
        }
    } catch (...) {  // NOLINT(bugprone-empty-catch): best effort, the idle cap is the backstop
    }
    try {
        const auto listed = call("GET", "/api/agents");
        if (listed.status == 200) {
            const auto jobs = json::parse(listed.body);
            for (const auto& j : jobs.as_array())
                if (const auto* pid = j.as_object().if_contains("worker_pid"); pid && pid->is_int64())
                    terminate_if_ours(static_cast<int>(pid->as_int64()));
        }
    } catch (...) {  // NOLINT(bugprone-empty-catch): best effort, the idle cap is the backstop
    }
}

void api_server::start(std::vector<std::string> extra) {
    std::vector<std::string> args;
    if (keeper_) args = {"--keeper-exe", CLAUSTER_TEST_CLI};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<running_server>(inst_, std::move(args));
}

int api_server::stop_server() {
    server_->process().signal(SIGTERM);
    const auto code = server_->process().wait(std::chrono::seconds(10));
    REQUIRE(code);
    return *code;
}

std::string api_server::log() const { return server_ ? server_->log() : std::string(); }

http_reply api_server::call(const std::string& method, const std::string& target, const std::string& body) const {
    std::vector<std::pair<std::string, std::string>> headers;
    if (method == "POST") headers.emplace_back("Content-Type", "application/json");
    return http_request(server_->url(), method, target, headers, body);
}

//------------------------------------------------------------------------------

json::value body_of(const http_reply& r) {
    INFO("body: " << r.body);
    return json::parse(r.body);
}

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
std::string str(const json::object& o, std::string_view key) { return std::string(o.at(key).as_string()); }

void check_session_shape(const json::value& s) {
    INFO("session: " << json::serialize(s));
    REQUIRE(s.is_object());
    std::set<std::string> keys;
    for (const auto& kv : s.as_object()) keys.emplace(kv.key());
    CHECK(keys == std::set<std::string>{"pid", "cwd", "kind", "state", "started_at", "local_uuid", "parent_instance",
                                        "attribution"});
    CHECK(s.at("pid").is_int64());
    CHECK(s.at("cwd").is_string());
    CHECK(s.at("kind").is_string());
    CHECK(s.at("state").is_string());
    CHECK(s.at("started_at").is_int64());
    CHECK(s.at("local_uuid").is_string());
    CHECK((s.at("parent_instance").is_string() || s.at("parent_instance").is_null()));
    CHECK(s.at("attribution").is_string());
}

}  // namespace clauster::test
