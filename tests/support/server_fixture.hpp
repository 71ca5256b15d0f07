#pragma once

#include "support/child_process.hpp"
#include "support/cli_fixture.hpp"
#include "support/http_client.hpp"

#include <memory>
#include <string>

namespace clauster::test {

/// A real `clausterd` on an ephemeral loopback port for one test.
class running_server {
public:
    /// Starts clausterd for @p inst (extra argv appended) and waits until it listens.
    explicit running_server(const installation& inst, std::vector<std::string> extra_args = {});

    const std::string& url() const { return url_; }
    child_process& process() { return *process_; }
    /// Everything the server printed so far.
    std::string log() const;

    http_reply get(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {}) const {
        return http_request(url_, "GET", target, headers);
    }

private:
    std::filesystem::path log_file_;
    std::unique_ptr<child_process> process_;
    std::string url_;
};

}  // namespace clauster::test
