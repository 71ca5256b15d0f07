#include "request_handler.hpp"

#include "response.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <exception>

namespace clauster::http {

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

request_handler::request_handler(core::manager& mgr, unsigned short bound_port, const logger& log, route_table routes)
    : mgr_(mgr),
      log_(log),
      routes_(std::move(routes)),
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

response request_handler::dispatch(const request& req) {
    const auto target = req.target();
    const auto url = boost::urls::parse_origin_form(std::string_view(target.data(), target.size()));
    if (!url) return bad_request_response("invalid request target");
    const auto encoded = url->encoded_path();
    const auto path = strip_root_path(std::string_view(encoded.data(), encoded.size()));

    auto decision = guard_.check(req, path);
    if (decision.rejection) return std::move(*decision.rejection);

    auto match = routes_.match(req.method(), path);
    switch (match.outcome) {
        case route_match::kind::found: {
            const route_context ctx{req, match.params, mgr_, decision.identity};
            return match.matched->handler(ctx);
        }
        case route_match::kind::method_not_allowed:
            return method_not_allowed_response(match.allow_header());
        case route_match::kind::not_found:
            break;
    }
    // TODO(http): an HTML 404 page for browser GETs outside /api and /ws once the UI exists.
    return not_found_response();
}

response request_handler::handle(request&& req) {
    const auto request_id = choose_request_id(header_value(req, "X-Request-Id"));
    response res;
    try {
        res = dispatch(req);
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
    return res;
}

response request_handler::finish_rejection(response res, std::string_view incoming_request_id) const {
    res.keep_alive(false);
    apply_standard_headers(res, choose_request_id(incoming_request_id));
    res.prepare_payload();
    return res;
}

}  // namespace clauster::http
