#pragma once

#include <clauster/core/manager.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace clauster::http {

/// Listener settings and the limits that protect it from slow or huge requests.
struct server_options {
    std::string host = "127.0.0.1";
    unsigned short port = 7621;  ///< 0 picks an ephemeral port
    std::size_t body_limit = 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::seconds read_timeout{30};
    std::size_t max_connections = 1024;
};

/// The HTTP front-end of a @ref core::manager (Boost.Beast, coroutines).
///
/// Runs on the executor it is given (one io thread); Beast stays out of this
/// header. @ref stop closes the acceptor and every open connection.
///
/// @par Thread safety
/// Not thread-safe; call from the executor's thread.
class server {
public:
    server(boost::asio::any_io_executor ex, server_options options, core::manager& mgr);
    ~server();

    /// Binds and starts accepting.
    /// @return the bound port, or the bind error.
    boost::system::result<unsigned short> start();

    /// Stops accepting and closes open connections.
    void stop();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace clauster::http
