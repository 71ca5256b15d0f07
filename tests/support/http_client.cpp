#include "support/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace clauster::test {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// The host and port of @p base_url (http://127.0.0.1:<port>).
std::pair<std::string, int> host_port(const std::string& base_url) {
    const auto colon = base_url.rfind(':');
    if (base_url.rfind("http://", 0) != 0 || colon == std::string::npos) throw std::runtime_error("bad url " + base_url);
    return {base_url.substr(7, colon - 7), std::stoi(base_url.substr(colon + 1))};
}

}  // namespace

std::string http_exchange(const std::string& base_url, const std::string& raw, std::chrono::seconds timeout) {
    const auto [host, port] = host_port(base_url);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("connect failed to " + base_url);
    }
    std::size_t sent = 0;
    while (sent < raw.size()) {
        const ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
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

http_reply http_request(const std::string& base_url, const std::string& method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                        std::chrono::seconds timeout) {
    const auto [host, port] = host_port(base_url);
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                          "\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers) request += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT")
        request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    const std::string raw = http_exchange(base_url, request, timeout);

    http_reply reply;
    const auto head_end = raw.find("\r\n\r\n");
    if (raw.size() < 12 || head_end == std::string::npos) throw std::runtime_error("incomplete reply: " + raw);
    reply.status = std::stoi(raw.substr(9, 3));
    std::size_t pos = raw.find("\r\n") + 2;
    while (pos < head_end) {
        const auto eol = raw.find("\r\n", pos);
        const std::string line = raw.substr(pos, eol - pos);
        if (const auto c = line.find(':'); c != std::string::npos) {
            std::string value = line.substr(c + 1);
            value.erase(0, value.find_first_not_of(' '));
            reply.headers[lower(line.substr(0, c))] = value;
        }
        pos = eol + 2;
    }
    reply.body = raw.substr(head_end + 4);
    // Connection: close replies are plain or chunked; decode chunked bodies.
    if (lower(reply.headers["transfer-encoding"]) == "chunked") {
        std::string decoded;
        std::size_t p = 0;
        while (p < reply.body.size()) {
            const auto eol = reply.body.find("\r\n", p);
            const std::size_t len = std::stoul(reply.body.substr(p, eol - p), nullptr, 16);
            if (len == 0) break;
            decoded += reply.body.substr(eol + 2, len);
            p = eol + 2 + len + 2;
        }
        reply.body = decoded;
    }
    return reply;
}

}  // namespace clauster::test
