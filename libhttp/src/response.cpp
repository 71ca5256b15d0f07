#include "response.hpp"

#include <clauster/core/crypto.hpp>
#include <clauster/core/version.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>

namespace clauster::http {

namespace beast = boost::beast;

namespace {

constexpr std::string_view json_content_type = "application/json";

void set_if_absent(response& res, beast::http::field name, std::string_view value) {
    if (res.find(name) == res.end()) res.set(name, value);
}

void set_if_absent(response& res, std::string_view name, std::string_view value) {
    if (res.find(name) == res.end()) res.set(name, value);
}

}  // namespace

//------------------------------------------------------------------------------

response make_json_response(beast::http::status status, const boost::json::value& body) {
    response res{status, 11};
    res.set(beast::http::field::content_type, json_content_type);
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

response make_error_response(beast::http::status status, std::string_view code, std::string_view detail) {
    boost::json::object body;
    body["detail"] = detail;
    body["code"] = code;
    return make_json_response(status, std::move(body));
}

response make_error_response(const core::failure& f) {
    return make_error_response(to_status(f.code), to_code(f.code), f.message);
}

beast::http::status to_status(const boost::system::error_code& ec) {
    if (ec.category() != core::domain_category()) return beast::http::status::internal_server_error;
    switch (static_cast<core::errc>(ec.value())) {
        case core::errc::not_found: return beast::http::status::not_found;
        case core::errc::already_exists: return beast::http::status::conflict;
        case core::errc::invalid_argument: return beast::http::status::unprocessable_entity;
        case core::errc::invalid_state: return beast::http::status::conflict;
        case core::errc::conflict: return beast::http::status::conflict;
        case core::errc::unavailable: return beast::http::status::service_unavailable;
        case core::errc::forbidden: return beast::http::status::forbidden;
        case core::errc::bad_gateway: return beast::http::status::bad_gateway;
    }
    return beast::http::status::internal_server_error;
}

std::string_view to_code(const boost::system::error_code& ec) {
    if (ec.category() != core::domain_category()) return "internal";
    switch (static_cast<core::errc>(ec.value())) {
        case core::errc::not_found: return "not_found";
        case core::errc::already_exists: return "already_exists";
        case core::errc::invalid_argument: return "invalid_argument";
        case core::errc::invalid_state: return "invalid_state";
        case core::errc::conflict: return "conflict";
        case core::errc::unavailable: return "unavailable";
        case core::errc::forbidden: return "forbidden";
        case core::errc::bad_gateway: return "bad_gateway";
    }
    return "internal";
}

//------------------------------------------------------------------------------

response not_found_response() {
    return make_error_response(beast::http::status::not_found, "not_found", "Not Found");
}

response method_not_allowed_response(std::string_view allow) {
    auto res = make_error_response(beast::http::status::method_not_allowed, "method_not_allowed", "Method Not Allowed");
    res.set(beast::http::field::allow, allow);
    return res;
}


response internal_error_response() {
    return make_error_response(beast::http::status::internal_server_error, "internal", "internal server error");
}

response bad_request_response(std::string_view detail) {
    return make_error_response(beast::http::status::bad_request, "bad_request", detail);
}

response payload_too_large_response() {
    return make_error_response(beast::http::status::payload_too_large, "payload_too_large", "request body too large");
}

response header_too_large_response() {
    return make_error_response(beast::http::status::request_header_fields_too_large, "header_too_large",
                               "request header fields too large");
}

response unauthorized_response() {
    auto res = make_error_response(beast::http::status::unauthorized, "unauthorized", "authentication required");
    res.set(beast::http::field::www_authenticate, "Bearer");
    return res;
}

response origin_forbidden_response() {
    return make_error_response(beast::http::status::forbidden, "forbidden", "origin check failed");
}

//------------------------------------------------------------------------------

bool is_sane_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (const char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string make_request_id() { return core::crypto::random_urlsafe(16); }

std::string choose_request_id(std::string_view incoming) {
    return is_sane_request_id(incoming) ? std::string(incoming) : make_request_id();
}

std::string content_security_policy(std::string_view nonce) {
    // Verbatim from the reference (spec §2.1), including its space before the
    // first `;`, so a client comparing headers sees the same policy.
    std::string csp;
    csp.reserve(320);
    csp += "default-src 'self'; script-src 'self' 'nonce-";
    csp += nonce;
    csp += "' ; style-src 'self' 'nonce-";
    csp += nonce;
    csp += "'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
           "base-uri 'self'; form-action 'self'; object-src 'none'";
    return csp;
}

std::string_view server_header_value() {
    static const std::string value = "clauster/" + std::string(core::version);
    return value;
}

void apply_standard_headers(response& res, std::string_view request_id) {
    set_if_absent(res, "X-Content-Type-Options", "nosniff");
    set_if_absent(res, beast::http::field::x_frame_options, "DENY");
    set_if_absent(res, "Referrer-Policy", "same-origin");
    // A fresh nonce per response (spec §2.1); there is no HTML to carry it yet.
    if (res.find("Content-Security-Policy") == res.end())
        res.set("Content-Security-Policy", content_security_policy(core::crypto::random_urlsafe(16)));
    // HSTS only for HTTPS (spec §2.1); this server has no TLS yet, so never.
    set_if_absent(res, "X-Request-Id", request_id);
    set_if_absent(res, beast::http::field::server, server_header_value());
    const auto ct = res.find(beast::http::field::content_type);
    if (ct != res.end() && std::string_view(ct->value().data(), ct->value().size()).starts_with(json_content_type))
        set_if_absent(res, beast::http::field::cache_control, "no-store");
}

}  // namespace clauster::http
