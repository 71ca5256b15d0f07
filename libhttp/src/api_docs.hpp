#pragma once

#include "message.hpp"
#include "route_table.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

namespace clauster::http {

/// The `/docs` page: self-contained HTML (no external assets, works offline)
/// whose inline script fetches `openapi.json` relative to the page and renders
/// each operation (method, path, summary, parameters, request and response
/// schemas) with plain DOM calls.
///
/// The inline `<script>` and `<style>` carry @p nonce; the response's
/// Content-Security-Policy must use the same nonce (@ref serve_api_docs does).
std::string api_docs_page(std::string_view nonce);

/// `GET /docs` (spec §4.8): 200 `text/html`, `Cache-Control: no-store`, with
/// its own CSP whose nonce matches the page's inline script and style.
boost::asio::awaitable<response> serve_api_docs(route_context ctx);

}  // namespace clauster::http
