#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace clauster::http {

/// A fully read HTTP request, as the pure handler sees it.
using request = boost::beast::http::request<boost::beast::http::string_body>;

/// What the pure handler answers; the session writes it.
using response = boost::beast::http::response<boost::beast::http::string_body>;

}  // namespace clauster::http
