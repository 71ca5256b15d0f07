#pragma once

#include <map>
#include <string>
#include <vector>

namespace clauster::test {

/// A parsed HTTP/1.1 response (header names lower-cased).
struct http_reply {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
};

/// Sends one request over a fresh loopback connection (`Connection: close`) and
/// reads the whole reply; throws on connection failure or a 10 s timeout.
http_reply http_request(const std::string& base_url, const std::string& method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers = {},
                        const std::string& body = {});

}  // namespace clauster::test
