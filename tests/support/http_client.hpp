#pragma once

#include <chrono>
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
/// reads the whole reply; throws on connection failure, or when no whole reply
/// came within @p timeout (10 s unless told).
http_reply http_request(const std::string& base_url, const std::string& method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers = {},
                        const std::string& body = {},
                        std::chrono::seconds timeout = std::chrono::seconds(10));

/// Sends @p raw bytes as they are on one fresh loopback connection and reads
/// until the server closes it (or nothing comes for @p timeout); for what
/// http_request cannot say (pipelining, malformed requests). Throws on
/// connection failure.
std::string http_exchange(const std::string& base_url, const std::string& raw,
                          std::chrono::seconds timeout = std::chrono::seconds(10));

}  // namespace clauster::test
