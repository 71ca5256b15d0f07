#pragma once

#include <clauster/core/manager.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace clauster::http {

/// Listener settings and the limits that protect it from slow or huge requests.
struct server_options {
    std::string host = "127.0.0.1";  ///< an IP literal or a resolvable name
    unsigned short port = 7621;      ///< 0 picks an ephemeral port
    std::size_t body_limit = 1024 * 1024;   ///< larger bodies get 413
    std::size_t header_limit = 16 * 1024;   ///< larger request heads get 431
    /// Deadline for reading one request (header and body together), for
    /// writing one response, and for an idle keep-alive connection.
    std::chrono::seconds read_timeout{30};
    std::size_t max_connections = 1024;     ///< further connections are closed at once
};

/// The HTTP front-end of a @ref core::manager (Boost.Beast, coroutines).
///
/// Serves the routes of the pure request handler on one executor: per
/// connection it reads a request under a deadline and size limits, awaits its
/// answer on this executor (core is not thread-safe and lives here; a handler
/// that waits, such as a spawn, suspends only its own connection), writes the
/// answer and keeps the connection alive when the client allows. Requests on
/// one connection are answered one at a time, in order. A malformed request
/// gets a 400/413/431 JSON error and the connection closes.
/// Beast stays out of this header.
///
/// @par Thread safety
/// Not thread-safe; call from the executor's thread, which must be the thread
/// that owns the manager.
class server {
public:
    /// @param mgr must outlive every coroutine of this server (run the executor
    /// to completion after @ref stop before destroying it).
    server(boost::asio::any_io_executor ex, server_options options, core::manager& mgr);

    /// Calls @ref stop.
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds, listens and starts accepting (the accept loop runs on the executor).
    /// @return the bound port (the ephemeral one when `port` was 0), or the
    /// resolve/bind/listen error (e.g. `address_in_use`).
    boost::system::result<unsigned short> start();

    /// Stops accepting and closes every open connection; in-flight requests are
    /// abandoned. The executor runs out of work from this server once the
    /// cancelled coroutines unwind. Idempotent.
    void stop();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace clauster::http
