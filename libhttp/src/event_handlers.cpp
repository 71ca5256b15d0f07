// `GET /api/events` (internal): the event journal, resumable by sequence number.

#include "handlers.hpp"

#include "response.hpp"

#include <clauster/core/json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value_from.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

namespace clauster::http {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr std::size_t events_page_max = 1000;

/// A query parameter as a non-negative integer: nullopt when absent, an error
/// message when malformed.
struct number_param {
    std::optional<std::uint64_t> value;
    std::optional<std::string> error;
};

number_param query_number(const route_context& ctx, std::string_view name) {
    number_param out;
    const auto url = boost::urls::parse_origin_form(std::string_view(ctx.req.target()));
    if (!url) return out;
    const auto params = url->params();
    const auto it = params.find(name);
    if (it == params.end()) return out;
    const std::string text = (*it).value;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        out.error = std::string(name) + " must be a non-negative integer";
    else
        out.value = v;
    return out;
}

}  // namespace

namespace handlers {

net::awaitable<response> list_events(route_context ctx) {
    const auto since = query_number(ctx, "since");
    const auto limit = query_number(ctx, "limit");
    for (const auto* p : {&since, &limit})
        if (p->error) co_return make_error_response(beast::http::status::unprocessable_entity, "invalid_argument",
                                                    *p->error);
    const std::size_t page_size =
        limit.value ? static_cast<std::size_t>(std::clamp<std::uint64_t>(*limit.value, 1, events_page_max))
                    : events_page_max;
    const auto page = ctx.mgr.events().since(since.value.value_or(0), page_size);
    boost::json::array events;
    events.reserve(page.events.size());
    for (const auto& e : page.events) events.push_back(boost::json::value_from(e));
    boost::json::object body;
    body["events"] = std::move(events);
    body["last_seq"] = page.last_seq;
    body["gap"] = page.gap;
    co_return make_json_response(beast::http::status::ok, std::move(body));
}

}  // namespace handlers

}  // namespace clauster::http
