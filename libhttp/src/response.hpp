#pragma once

#include "message.hpp"

#include <clauster/core/error.hpp>

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace clauster::http {

//------------------------------------------------------------------------------
// Response builders. Every error body is `{"detail": <human>, "code": <stable>}`
// with `Content-Type: application/json` (house style §3).

/// A JSON response with @p status and @p body (serialised compactly).
response make_json_response(boost::beast::http::status status, const boost::json::value& body);

/// A JSON error response `{"detail": detail, "code": code}`.
response make_error_response(boost::beast::http::status status, std::string_view code, std::string_view detail);

/// A JSON error response for a domain failure: status from @ref to_status,
/// `code` from @ref to_code, `detail` the failure's message.
response make_error_response(const core::failure& f);

/// The single mapping of error codes to HTTP statuses: `core::errc` values
/// `not_found` 404, `already_exists` 409, `invalid_argument` 422,
/// `invalid_state` 409, `conflict` 409, `unavailable` 503, `forbidden` 403;
/// anything else (another category) is 500.
boost::beast::http::status to_status(const boost::system::error_code& ec);

/// The stable machine-readable name of @p ec for the `code` field
/// (`not_found`, `already_exists`, ...); `internal` outside `core::errc`.
std::string_view to_code(const boost::system::error_code& ec);

//------------------------------------------------------------------------------
// The canonical error replies, so the same condition always gets the same bytes.

response not_found_response();
response method_not_allowed_response(std::string_view allow);
response internal_error_response();
response bad_request_response(std::string_view detail);
response payload_too_large_response();
response header_too_large_response();
response unauthorized_response();
response origin_forbidden_response();

//------------------------------------------------------------------------------
// Headers every response carries.

/// True when an incoming `X-Request-Id` may be echoed: 1–128 characters of
/// `[A-Za-z0-9._:-]` (nothing that could split a log line or a header).
bool is_sane_request_id(std::string_view id);

/// A fresh request id (16 random bytes, URL-safe base64).
std::string make_request_id();

/// The request id to use: @p incoming when sane, else a fresh one.
std::string choose_request_id(std::string_view incoming);

/// The spec §2.1 Content-Security-Policy with @p nonce in script-src and style-src.
std::string content_security_policy(std::string_view nonce);

/// The `Server` header value, `clauster/<version>`.
std::string_view server_header_value();

/// Adds the headers of spec §2.1 (security headers with a fresh CSP nonce),
/// `X-Request-Id`, `Server`, and `Cache-Control: no-store` on JSON bodies.
/// Each is set only when the response does not carry it already.
void apply_standard_headers(response& res, std::string_view request_id);

}  // namespace clauster::http
