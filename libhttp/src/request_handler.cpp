#include "request_handler.hpp"

#include "response.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <exception>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

std::string_view header_value(const request& req, std::string_view name) {
    const auto it = req.find(name);
    if (it == req.end()) return {};
    return {it->value().data(), it->value().size()};
}

std::string normalise_root_path(std::string_view root) {
    std::string out(root);
    while (!out.empty() && out.back() == '/') out.pop_back();
    if (!out.empty() && out.front() != '/') out.insert(out.begin(), '/');
    return out;
}

}  // namespace

void request_handler::log_failure(const request& req, std::string_view request_id, std::string_view what) const {
    const auto target = req.target();
    log_.error("unhandled exception in " +
               format_request_line(req.method_string(), std::string_view(target.data(), target.size())) +
               " rid=" + std::string(request_id) + ": " + std::string(what));
}

request_handler::request_handler(core::manager& mgr, unsigned short bound_port, const logger& log,
                                 std::optional<route_table> routes)
    : mgr_(mgr),
      log_(log),
      routes_(routes ? std::move(*routes) : make_route_table(mgr.config())),
      guard_(mgr, origin_allowlist::from_config(mgr.config(), bound_port)),
      root_path_(normalise_root_path(mgr.config().root_path)) {}

std::string_view request_handler::strip_root_path(std::string_view path) const {
    // Spec §2.1: classify and route on the path without root_path, whether or
    // not the reverse proxy already stripped it.
    if (root_path_.empty() || !path.starts_with(root_path_)) return path;
    const auto rest = path.substr(root_path_.size());
    if (rest.empty()) return "/";
    if (rest.front() != '/') return path;  // `/clausterx` is not under `/clauster`
    return rest;
}

request_handler::routing request_handler::route_request(const request& req) {
    routing out;
    const auto target = req.target();
    const auto url = boost::urls::parse_origin_form(std::string_view(target.data(), target.size()));
    if (!url) {
        out.answer = bad_request_response("invalid request target");
        return out;
    }
    const auto encoded = url->encoded_path();
    const auto path = strip_root_path(std::string_view(encoded.data(), encoded.size()));

    auto decision = guard_.check(req, path);
    if (decision.rejection) {
        out.answer = std::move(*decision.rejection);
        return out;
    }

    auto match = routes_.match(req.method(), path);
    switch (match.outcome) {
        case route_match::kind::found:
            out.matched = match.matched;
            out.params = std::move(match.params);
            out.identity = std::move(decision.identity);
            return out;
        case route_match::kind::method_not_allowed:
            out.answer = method_not_allowed_response(match.allow_header());
            return out;
        case route_match::kind::not_found:
            break;
    }
    // TODO(http): an HTML 404 page for browser GETs outside /api and /ws once the UI exists.
    out.answer = not_found_response();
    return out;
}

net::awaitable<response> request_handler::handle(request req) {
    // Lifetime: `req`, `routed` and `ctx` live in this frame, which the session
    // awaits; the route handler's context refers to them across its suspensions.
    const auto request_id = choose_request_id(header_value(req, "X-Request-Id"));
    response res;
    try {
        routing routed = route_request(req);
        if (routed.answer) {
            res = std::move(*routed.answer);
        } else {
            const route_context ctx{req, routed.params, mgr_, routed.identity};
            res = co_await routed.matched->handler(ctx);
        }
    } catch (const std::exception& e) {
        // The catch-all of house style §3: log the cause, answer a generic 500.
        log_failure(req, request_id, e.what());
        res = internal_error_response();
    } catch (...) {
        log_failure(req, request_id, "exception of unknown type");
        res = internal_error_response();
    }

    res.version(req.version());
    res.keep_alive(req.keep_alive());
    apply_standard_headers(res, request_id);
    if (req.method() == beast::http::verb::head) {
        // Same headers as the GET, no body (RFC 9110 §9.3.2).
        const auto size = res.body().size();
        res.body().clear();
        res.content_length(size);
    } else {
        res.prepare_payload();
    }
    co_return res;
}

response request_handler::finish_rejection(response res, std::string_view incoming_request_id) const {
    res.keep_alive(false);
    apply_standard_headers(res, choose_request_id(incoming_request_id));
    res.prepare_payload();
    return res;
}

}  // namespace clauster::http
