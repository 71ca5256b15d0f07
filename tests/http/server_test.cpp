// End-to-end: a real clausterd process on loopback, spoken to over TCP.

#include <clauster/http/server.hpp>

#include <clauster/core/clock.hpp>
#include <clauster/core/config.hpp>
#include <clauster/core/manager.hpp>
#include <clauster/store/database.hpp>
#include <clauster/store/sqlite_token_store.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLAUSTER_TEST_CLAUSTERD
#error "CLAUSTER_TEST_CLAUSTERD must name the clausterd binary"
#endif

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
using namespace std::chrono_literals;

namespace {

using clauster::test::temp_dir;

//------------------------------------------------------------------------------
// Local helpers: a temp dir, a spawned child, and a tiny client.


std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A child process started with posix_spawn (argv list, no shell); killed and
/// reaped on destruction if still running.
class child_process {
public:
    child_process(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& cwd,
                  const fs::path& stdout_path, const fs::path& stderr_path) {
        std::vector<char*> c_argv;
        for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
        c_argv.push_back(nullptr);
        std::vector<char*> c_env;
        for (const auto& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
        c_env.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
        const int rc = ::posix_spawn(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("posix_spawn failed: " + std::to_string(rc));
    }

    ~child_process() {
        if (!status_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    void signal(int signo) const { ::kill(pid_, signo); }

    /// The wait status once the child exited, polling until @p timeout.
    std::optional<int> wait_for(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!status_) {
            int st = 0;
            const pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                status_ = st;
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(10ms);
        }
        return status_;
    }

    bool exited() { return wait_for(0ms).has_value(); }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

/// A synchronous facade over Beast's async operations, so every step has a
/// deadline (blocking Asio calls would ignore SO_RCVTIMEO).
class raw_client {
public:
    using response = beast::http::response<beast::http::string_body>;

    explicit raw_client(unsigned short port) : stream_(ioc_) {
        stream_.expires_after(5s);
        stream_.async_connect(net::ip::tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
                              [this](beast::error_code ec) { ec_ = ec; });
        run();
        if (ec_) throw std::runtime_error("connect failed: " + ec_.message());
    }

    beast::error_code send(std::string data) {
        out_ = std::move(data);
        stream_.expires_after(5s);
        net::async_write(stream_, net::buffer(out_), [this](beast::error_code ec, std::size_t) { ec_ = ec; });
        run();
        return ec_;
    }

    std::optional<response> read() {
        beast::http::response_parser<beast::http::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        stream_.expires_after(5s);
        beast::http::async_read(stream_, buffer_, parser, [this](beast::error_code ec, std::size_t) { ec_ = ec; });
        run();
        if (ec_) return std::nullopt;
        return parser.release();
    }

    /// True when the server closes the connection (EOF or reset) within the deadline.
    bool peer_closes() {
        if (buffer_.size() > 0) return false;
        std::array<char, 256> scratch{};
        stream_.expires_after(5s);
        stream_.async_read_some(net::buffer(scratch), [this](beast::error_code ec, std::size_t) { ec_ = ec; });
        run();
        return ec_ == net::error::eof || ec_ == net::error::connection_reset;
    }

    beast::error_code last_error() const { return ec_; }

private:
    void run() {
        ioc_.restart();
        ioc_.run();
    }

    net::io_context ioc_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::string out_;
    beast::error_code ec_;
};

std::string get_request(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra_headers) + "\r\n";
}

/// A clausterd with a private HOME, state_dir and projects_root, no config file
/// and a claude binary that does not exist.
class daemon_fixture {
public:
    daemon_fixture() {
        fs::create_directories(dir() / "home");
        fs::create_directories(dir() / "projects" / "demo");
    }

    const fs::path& dir() const { return tmp_.path(); }

    std::vector<std::string> environment() const {
        return {
            "HOME=" + (dir() / "home").string(),
            "PATH=/usr/bin:/bin",
            "CLAUSTER_HOME=" + (dir() / "home").string(),
            "CLAUSTER_STATE_DIR=" + (dir() / "state").string(),
            "CLAUSTER_PROJECTS_ROOT=" + (dir() / "projects").string(),
            "CLAUSTER_CLAUDE_BINARY=" + (dir() / "no-such-claude").string(),
        };
    }

    std::unique_ptr<child_process> spawn(std::vector<std::string> args, const std::string& tag) {
        args.insert(args.begin(), CLAUSTER_TEST_CLAUSTERD);
        return std::make_unique<child_process>(args, environment(), dir(), dir() / (tag + ".out"),
                                               dir() / (tag + ".err"));
    }

    std::string stderr_of(const std::string& tag) const { return read_file(dir() / (tag + ".err")); }
    std::string stdout_of(const std::string& tag) const { return read_file(dir() / (tag + ".out")); }

    /// Starts the daemon on an ephemeral port and waits for its ready file.
    unsigned short start() {
        const auto ready = dir() / "ready";
        daemon_ = spawn({"--port", "0", "--ready-file", ready.string()}, "daemon");
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!fs::exists(ready)) {
            if (daemon_->exited()) FAIL("clausterd exited early:\n" << stderr_of("daemon"));
            if (std::chrono::steady_clock::now() > deadline) FAIL("no ready file:\n" << stderr_of("daemon"));
            std::this_thread::sleep_for(20ms);
        }
        const auto url = read_file(ready);
        INFO("ready file: " << url);
        REQUIRE(url.starts_with("http://127.0.0.1:"));
        REQUIRE(url.ends_with("\n"));
        port_ = static_cast<unsigned short>(std::stoi(url.substr(17)));
        REQUIRE(port_ != 0);
        return port_;
    }

    child_process& daemon() { return *daemon_; }
    unsigned short port() const { return port_; }

private:
    temp_dir tmp_;
    std::unique_ptr<child_process> daemon_;
    unsigned short port_ = 0;
};

}  // namespace

//------------------------------------------------------------------------------

TEST_CASE_METHOD(daemon_fixture, "clausterd serves, refuses bad requests and stops on SIGTERM", "[http][slow]") {
    const auto port = start();
    INFO("daemon stderr:\n" << stderr_of("daemon"));

    // The startup banner names the versions, projects_root and the URL.
    const auto banner = stderr_of("daemon");
    CHECK(banner.find("clauster ") != std::string::npos);
    CHECK(banner.find("| claude missing |") != std::string::npos);
    CHECK(banner.find("projects_root=" + (dir() / "projects").string()) != std::string::npos);
    CHECK(banner.find("http://127.0.0.1:" + std::to_string(port)) != std::string::npos);

    {  // healthz works without claude, and keep-alive serves a second request.
        raw_client c{port};
        REQUIRE_FALSE(c.send(get_request("/healthz")));
        const auto res = c.read();
        REQUIRE(res);
        CHECK(res->result_int() == 200);
        const auto body = boost::json::parse(res->body());
        CHECK(body.at("status") == boost::json::value("ok"));
        CHECK(body.at("claude_ok") == boost::json::value(false));
        CHECK(res->find("X-Request-Id") != res->end());
        CHECK(res->keep_alive());

        REQUIRE_FALSE(c.send(get_request("/api/v1/projects", "X-Request-Id: e2e-1\r\n")));
        const auto projects = c.read();
        REQUIRE(projects);
        CHECK(projects->result_int() == 200);
        CHECK((*projects)["X-Request-Id"] == "e2e-1");
        const auto list = boost::json::parse(projects->body());
        REQUIRE(list.is_array());
        REQUIRE(list.as_array().size() == 1);
        CHECK(list.as_array()[0].at("name") == boost::json::value("demo"));
    }

    {  // Oversized body: 413 as soon as the header announces it, then close.
        raw_client c{port};
        REQUIRE_FALSE(c.send("POST /api/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             "Content-Length: 5000000\r\n\r\n"));
        const auto res = c.read();
        REQUIRE(res);
        CHECK(res->result_int() == 413);
        CHECK((*res)[beast::http::field::content_type] == "application/json");
        CHECK(res->find("X-Content-Type-Options") != res->end());
        CHECK(boost::json::parse(res->body()).at("code") == boost::json::value("payload_too_large"));
        CHECK_FALSE(res->keep_alive());
        CHECK(c.peer_closes());
    }

    {  // Oversized header: 431.
        raw_client c{port};
        c.send(get_request("/healthz", "X-Padding: " + std::string(64 * 1024, 'a') + "\r\n"));
        const auto res = c.read();
        REQUIRE(res);
        CHECK(res->result_int() == 431);
        CHECK(res->find("X-Request-Id") != res->end());
        CHECK(c.peer_closes());
    }

    {  // Garbage: 400 JSON, then close; the server lives on.
        raw_client c{port};
        REQUIRE_FALSE(c.send("THIS IS NOT HTTP\r\n\r\n"));
        const auto res = c.read();
        REQUIRE(res);
        CHECK(res->result_int() == 400);
        CHECK(boost::json::parse(res->body()).at("code") == boost::json::value("bad_request"));
        CHECK(res->find("Content-Security-Policy") != res->end());
        CHECK(c.peer_closes());
    }

    {  // A second daemon on the same port fails to listen: exit 1, one line.
        auto second = spawn({"--port", std::to_string(port)}, "second");
        const auto st = second->wait_for(20s);
        REQUIRE(st);
        CHECK(WIFEXITED(*st));
        CHECK(WEXITSTATUS(*st) == 1);
        CHECK(stderr_of("second").find("clauster: cannot listen on 127.0.0.1:" + std::to_string(port) + ": ") !=
              std::string::npos);
    }

    {  // Still healthy after all of that.
        raw_client c{port};
        REQUIRE_FALSE(c.send(get_request("/healthz", "Connection: close\r\n")));
        const auto res = c.read();
        REQUIRE(res);
        CHECK(res->result_int() == 200);
        CHECK(c.peer_closes());
    }

    // An idle keep-alive connection must not hold up shutdown.
    raw_client idle{port};
    const auto t0 = std::chrono::steady_clock::now();
    daemon().signal(SIGTERM);
    const auto st = daemon().wait_for(10s);
    REQUIRE(st);
    CHECK(WIFEXITED(*st));
    CHECK(WEXITSTATUS(*st) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK(idle.peer_closes());

    // One access line per request; never the query or a credential.
    const auto log = stderr_of("daemon");
    CHECK(log.find("GET /healthz 200") != std::string::npos);
    CHECK(log.find("POST /api/instances 413") != std::string::npos);
    CHECK(log.find("rid=e2e-1") != std::string::npos);
}

TEST_CASE_METHOD(daemon_fixture, "clausterd command line", "[http][slow]") {
    SECTION("--version") {
        auto p = spawn({"--version"}, "version");
        const auto st = p->wait_for(20s);
        REQUIRE(st);
        CHECK(WEXITSTATUS(*st) == 0);
        CHECK(stdout_of("version").starts_with("clausterd "));
    }
    SECTION("--help documents every flag") {
        auto p = spawn({"--help"}, "help");
        const auto st = p->wait_for(20s);
        REQUIRE(st);
        CHECK(WEXITSTATUS(*st) == 0);
        for (const auto* flag : {"--config", "--host", "--port", "--ready-file", "--keeper-exe", "--version"})
            CHECK(stdout_of("help").find(flag) != std::string::npos);
    }
    SECTION("--keeper-exe needs a path") {
        auto p = spawn({"--keeper-exe="}, "nokeeper");
        const auto st = p->wait_for(20s);
        REQUIRE(st);
        CHECK(WEXITSTATUS(*st) == 2);
        CHECK(stderr_of("nokeeper").starts_with("clausterd: --keeper-exe needs a path"));
    }
    SECTION("an unknown flag prints usage and exits 2") {
        auto p = spawn({"--frobnicate"}, "bad");
        const auto st = p->wait_for(20s);
        REQUIRE(st);
        CHECK(WEXITSTATUS(*st) == 2);
        CHECK(stderr_of("bad").find("usage: clausterd") != std::string::npos);
    }
    SECTION("a bad port exits 2") {
        auto p = spawn({"--port", "70000"}, "badport");
        const auto st = p->wait_for(20s);
        REQUIRE(st);
        CHECK(WEXITSTATUS(*st) == 2);
    }
    SECTION("a missing config file is a config error, exit 2") {
        auto p = spawn({"-c", (dir() / "nope.yml").string()}, "nocfg");
        const auto st = p->wait_for(20s);
        REQUIRE(st);
        CHECK(WEXITSTATUS(*st) == 2);
        CHECK(stderr_of("nocfg").starts_with("clauster: config error: "));
    }
}

//------------------------------------------------------------------------------
// In process: the limits that would take too long to reach through clausterd.

TEST_CASE("server: read timeout, connection limit and stop", "[http][slow]") {
    using namespace clauster;
    temp_dir tmp;
    fs::create_directories(tmp.path() / "projects");
    core::config cfg;
    cfg.projects_root = tmp.path() / "projects";
    cfg.state_dir = tmp.path() / "state";
    cfg.log_level = core::log_level::error;  // keep the test output quiet
    auto db = store::database::open(cfg.state_dir);
    REQUIRE(db.has_value());
    store::sqlite_token_store tokens{*db};
    core::system_clock clock;
    core::manager mgr{cfg, tokens, clock, core::environment{{"HOME", (tmp.path() / "home").string()}}};

    net::io_context ioc{1};
    http::server_options options;
    options.port = 0;
    options.read_timeout = std::chrono::seconds(1);
    options.max_connections = 1;
    http::server srv{ioc.get_executor(), options, mgr};
    const auto port = srv.start();
    REQUIRE(port.has_value());
    CHECK(!srv.start().has_value());  // already started
    std::thread io{[&ioc] { ioc.run(); }};

    {
        raw_client first{*port};
        // The only slot is taken: a second connection is closed at once.
        raw_client second{*port};
        CHECK(second.peer_closes());
        // A client that never sends a request is dropped after read_timeout.
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(first.peer_closes());
        const auto waited = std::chrono::steady_clock::now() - t0;
        CHECK(waited >= 900ms);
        CHECK(waited < 4s);
    }
    {   // The slot is free again (the server side of `first` has unwound by now
        // or shortly after; poll with a deadline).
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        std::optional<raw_client::response> res;
        while (!res && std::chrono::steady_clock::now() < deadline) {
            raw_client c{*port};
            c.send(get_request("/healthz"));
            res = c.read();
        }
        REQUIRE(res);
        CHECK(res->result_int() == 200);
    }

    // stop() from the io thread: the acceptor and every connection close, and
    // run() returns because no work is left.
    raw_client idle{*port};
    net::post(ioc, [&srv] { srv.stop(); });
    io.join();
    CHECK(idle.peer_closes());
}
