#include <clauster/http/server.hpp>

#include "logger.hpp"
#include "request_handler.hpp"
#include "response.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <set>
#include <string>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

/// After an error response we stop reading requests but keep draining what
/// the client still sends for a moment, so closing does not reset the
/// connection before the client has read our answer (a "lingering close").
constexpr auto linger_timeout = std::chrono::seconds(2);
constexpr std::size_t linger_max_bytes = 4 * 1024 * 1024;

using tcp = net::ip::tcp;
using request_parser = beast::http::request_parser<beast::http::string_body>;

/// Errors that end a session without a word (Beast's `fail()`): the peer left,
/// the deadline passed, or we are shutting down.
bool is_quiet_error(const boost::system::error_code& ec) {
    return ec == beast::http::error::end_of_stream || ec == beast::http::error::partial_message ||
           ec == beast::http::error::short_read || ec == net::error::operation_aborted ||
           ec == beast::error::timeout || ec == net::error::eof || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe || ec == net::error::not_connected || ec == net::error::bad_descriptor;
}

/// The error response for a request the parser refused; nullopt when the
/// failure is not the client's malformed request (the socket failed instead).
std::optional<response> rejection_for(const boost::system::error_code& ec) {
    if (ec == beast::http::error::body_limit) return payload_too_large_response();
    if (ec == beast::http::error::header_limit || ec == beast::http::error::buffer_overflow)
        return header_too_large_response();
    if (ec.category() == beast::http::make_error_code(beast::http::error::bad_target).category())
        return bad_request_response("malformed HTTP request");
    return std::nullopt;
}

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

bool expects_continue(const request& req) {
    const auto it = req.find(beast::http::field::expect);
    if (it == req.end()) return false;
    std::string v(sv(it->value()));
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v == "100-continue";
}

/// Resolves the listening endpoint: an IP literal, or a name such as
/// `localhost` (IPv4 preferred, as the loopback origins assume either).
boost::system::result<tcp::endpoint> resolve_listen_endpoint(const net::any_io_executor& ex, const std::string& host,
                                                             unsigned short port) {
    boost::system::error_code ec;
    const auto addr = net::ip::make_address(host, ec);
    if (!ec) return tcp::endpoint{addr, port};
    tcp::resolver resolver{ex};
    const auto results =
        resolver.resolve(host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec) return ec;
    std::optional<tcp::endpoint> chosen;
    for (const auto& entry : results) {
        if (!chosen || (entry.endpoint().address().is_v4() && !chosen->address().is_v4())) chosen = entry.endpoint();
    }
    if (!chosen) return net::error::host_not_found;
    return *chosen;
}

}  // namespace

//------------------------------------------------------------------------------

struct server::impl {
    impl(net::any_io_executor executor, server_options opts, core::manager& m)
        : ex(std::move(executor)),
          options(std::move(opts)),
          mgr(m),
          log(m.config().log_level),
          acceptor(ex) {}

    net::any_io_executor ex;
    server_options options;
    core::manager& mgr;
    logger log;
    tcp::acceptor acceptor;
    std::optional<request_handler> handler;  ///< built once the port is known
    std::set<beast::tcp_stream*> sessions;   ///< open connections, for stop()
    std::size_t connections = 0;             ///< accepted and not yet finished
    bool stopped = false;

    /// co_spawn completion: logs what escaped a coroutine (house style §4).
    struct log_exceptions {
        std::shared_ptr<impl> self;
        const char* what;
        void operator()(std::exception_ptr ep) const {
            if (!ep) return;
            try {
                std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                self->log.error(std::string(what) + " failed: " + e.what());
            } catch (...) {
                self->log.error(std::string(what) + " failed with an unknown exception");
            }
        }
    };

    /// Keeps a session visible to stop() and counted against max_connections
    /// for exactly the lifetime of its coroutine frame.
    class session_slot {
    public:
        session_slot(impl& s, beast::tcp_stream& stream) : owner_(s), stream_(&stream) { owner_.sessions.insert(stream_); }
        ~session_slot() {
            owner_.sessions.erase(stream_);
            --owner_.connections;
        }
        session_slot(const session_slot&) = delete;
        session_slot& operator=(const session_slot&) = delete;

    private:
        impl& owner_;
        beast::tcp_stream* stream_;
    };

    static net::awaitable<void> accept_loop(std::shared_ptr<impl> self);
    static net::awaitable<void> run_session(std::shared_ptr<impl> self, tcp::socket socket);
};

//------------------------------------------------------------------------------

net::awaitable<void> server::impl::accept_loop(std::shared_ptr<impl> self) {
    for (;;) {
        auto [ec, socket] = co_await self->acceptor.async_accept(use_nothrow);
        if (self->stopped || ec == net::error::operation_aborted) co_return;
        if (ec) {
            // Typically EMFILE: back off briefly instead of spinning on the error.
            self->log.warning("accept failed: " + ec.message());
            net::steady_timer pause{self->ex, std::chrono::milliseconds(100)};
            auto [wait_ec] = co_await pause.async_wait(use_nothrow);
            (void)wait_ec;
            continue;
        }
        if (self->connections >= self->options.max_connections) {
            self->log.warning("connection limit reached (" + std::to_string(self->options.max_connections) +
                              "); closing a new connection");
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        ++self->connections;
        net::co_spawn(self->ex, run_session(self, std::move(socket)), log_exceptions{self, "http session"});
    }
}

net::awaitable<void> server::impl::run_session(std::shared_ptr<impl> self, tcp::socket socket) {
    beast::tcp_stream stream{std::move(socket)};
    session_slot slot{*self, stream};
    // Persists across reads: it may hold the start of the next pipelined request.
    beast::flat_buffer buffer;
    bool linger = false;

    while (!self->stopped) {
        request_parser parser;
        parser.body_limit(self->options.body_limit);
        parser.header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(self->options.header_limit, std::numeric_limits<std::uint32_t>::max())));

        // Step 1: the header. One deadline covers header and body, so a slow
        // client cannot hold the connection past read_timeout per request.
        stream.expires_after(self->options.read_timeout);
        auto [header_ec, header_n] = co_await beast::http::async_read_header(stream, buffer, parser, use_nothrow);
        (void)header_n;
        boost::system::error_code ec = header_ec;
        const auto started = std::chrono::steady_clock::now();

        // Step 2: a client sending `Expect: 100-continue` waits for a go-ahead
        // before the body (curl does for bodies over 1 KiB).
        if (!ec && !parser.is_done() && expects_continue(parser.get())) {
            beast::http::response<beast::http::empty_body> go_ahead{beast::http::status::continue_,
                                                                     parser.get().version()};
            auto [continue_ec, continue_n] = co_await beast::http::async_write(stream, go_ahead, use_nothrow);
            (void)continue_n;
            ec = continue_ec;
        }

        // Step 3: the body, under the same deadline.
        if (!ec && !parser.is_done()) {
            auto [body_ec, body_n] = co_await beast::http::async_read(stream, buffer, parser, use_nothrow);
            (void)body_n;
            ec = body_ec;
        }

        if (ec) {
            auto rejection = is_quiet_error(ec) ? std::nullopt : rejection_for(ec);
            if (!rejection) break;  // the peer left, timed out, or we are stopping
            // A malformed request: answer it, then close (its framing is unknown).
            // A body_limit error is raised once every header field was read,
            // before the parser calls its header done; the fields are complete.
            const bool header_done = parser.is_header_done() || ec == beast::http::error::body_limit;
            std::string method = header_done ? std::string(sv(parser.get().method_string())) : std::string("-");
            std::string target = header_done ? std::string(sv(parser.get().target())) : std::string("-");
            const auto incoming_id = header_done ? sv(parser.get()["X-Request-Id"]) : std::string_view{};
            response res = self->handler->finish_rejection(std::move(*rejection), incoming_id);
            stream.expires_after(self->options.read_timeout);
            auto [write_ec, write_n] = co_await beast::http::async_write(stream, res, use_nothrow);
            (void)write_n;
            self->log.info(format_access_line(method, target, res.result_int(), std::chrono::steady_clock::now() - started,
                                              sv(res["X-Request-Id"])));
            linger = !write_ec;
            break;
        }

        // Step 4: the pure handler. It never throws and never touches the socket.
        // It may suspend (a spawn waits for readiness) while other sessions run;
        // this session reads nothing more until it is answered, so pipelined
        // requests are handled one at a time, in order (the next one waits in
        // `buffer`). No deadline runs meanwhile: no operation is pending on the
        // stream, and each read and write below arms its own.
        request req = parser.release();
        std::string method(sv(req.method_string()));
        std::string target(sv(req.target()));
        response res = co_await self->handler->handle(std::move(req));
        const bool keep_alive = res.keep_alive();

        // Step 5: write under a deadline, so a client that stops reading is dropped.
        stream.expires_after(self->options.read_timeout);
        auto [write_ec, write_n] = co_await beast::http::async_write(stream, res, use_nothrow);
        (void)write_n;
        self->log.info(format_access_line(method, target, res.result_int(), std::chrono::steady_clock::now() - started,
                                          sv(res["X-Request-Id"])));
        if (write_ec || !keep_alive) break;
    }

    // Send a TCP FIN; the stream's destructor closes the socket.
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);

    if (linger && !self->stopped) {
        std::array<char, 16 * 1024> scratch{};
        std::size_t drained = 0;
        stream.expires_after(linger_timeout);
        while (drained < linger_max_bytes) {
            auto [drain_ec, drain_n] = co_await stream.async_read_some(net::buffer(scratch), use_nothrow);
            if (drain_ec) break;
            drained += drain_n;
        }
    }
}

//------------------------------------------------------------------------------

server::server(net::any_io_executor ex, server_options options, core::manager& mgr)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(options), mgr)) {}

server::~server() { stop(); }

boost::system::result<unsigned short> server::start() {
    auto& s = *impl_;
    if (s.acceptor.is_open() || s.stopped) return core::make_error_code(core::errc::invalid_state);

    auto endpoint = resolve_listen_endpoint(s.ex, s.options.host, s.options.port);
    if (!endpoint) return endpoint.error();

    boost::system::error_code ec;
    s.acceptor.open(endpoint->protocol(), ec);
    if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(*endpoint, ec);
    if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        boost::system::error_code ignored;
        s.acceptor.close(ignored);
        return ec;
    }
    const auto port = s.acceptor.local_endpoint(ec).port();
    if (ec) return ec;

    s.handler.emplace(s.mgr, port, s.log);
    net::co_spawn(s.ex, impl::accept_loop(impl_), impl::log_exceptions{impl_, "http acceptor"});
    return port;
}

void server::stop() {
    if (!impl_ || impl_->stopped) return;
    impl_->stopped = true;
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    // Closing cancels each session's pending read or write; its coroutine then
    // sees operation_aborted and unwinds, deregistering itself.
    for (auto* stream : impl_->sessions) {
        stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream->close();
    }
}

}  // namespace clauster::http
