#pragma once

#include "support/cli_fixture.hpp"
#include "support/fake_claude_setup.hpp"
#include "support/http_client.hpp"
#include "support/server_fixture.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::test {

/// What an api_server fixture sets up.
struct api_server_options {
    /// The projects and environment of the installation (the fake claude).
    fake_claude_setup setup{};
    /// Start clausterd with the real `clauster` as PTY keeper (`--keeper-exe`).
    bool keeper = true;
};

/// A test fixture: an installation whose `claude` is the fake, and a real
/// clausterd over it once the test calls @ref start (the test may first
/// change the environment through @ref installation).
///
/// Bridges and background workers outlive clausterd by design, so the
/// destructor stops every starting or running instance and ends every live
/// worker `GET /api/agents` lists; best effort, the fake's idle cap is the
/// backstop.
class api_server {
public:
    explicit api_server(api_server_options options);
    ~api_server();
    api_server(const api_server&) = delete;
    api_server& operator=(const api_server&) = delete;

    test::installation& installation() { return inst_; }
    const test::installation& installation() const { return inst_; }
    std::filesystem::path project_dir(const std::string& name) const { return inst_.projects / name; }
    std::string project_path(const std::string& name) const { return project_dir(name).string(); }

    /// Starts (or starts again) clausterd with @p extra argv and waits until it listens.
    void start(std::vector<std::string> extra = {});

    /// SIGTERM, and waits for the exit status (REQUIREd within 10 s).
    int stop_server();

    /// Everything clausterd printed so far ("" before @ref start).
    std::string log() const;
    const std::string& url() const { return server_->url(); }
    running_server& server() { return *server_; }

    /// One request; POSTs carry `Content-Type: application/json`.
    http_reply call(const std::string& method, const std::string& target, const std::string& body = {}) const;

private:
    test::installation inst_;
    bool keeper_;
    std::unique_ptr<running_server> server_;
};

//------------------------------------------------------------------------------
// Replies

/// The parsed body of @p r (the body is INFO when it does not parse).
boost::json::value body_of(const http_reply& r);

/// An error reply: @p status, JSON, exactly `{"detail": @p detail, "code": @p code}`.
void check_error(const http_reply& r, int status, std::string_view code, std::string_view detail);

/// The string member @p key of an object.
std::string str(const boost::json::value& v, std::string_view key);
std::string str(const boost::json::object& o, std::string_view key);

/// Spec §3.3 WorkingSession (HTTP and `clauster sessions --json`): exactly
/// these fields, with these types.
void check_session_shape(const boost::json::value& s);

}  // namespace clauster::test
