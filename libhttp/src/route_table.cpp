#include "route_table.hpp"

#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <stdexcept>

namespace clauster::http {

namespace beast = boost::beast;

namespace {

constexpr std::string_view api_prefix = "/api";
constexpr std::string_view v1_prefix = "/api/v1";

/// Splits `/a/b/c` into {"a","b","c"}; `/` gives {""}; a path not starting
/// with `/` (including the empty path) gives nothing.
std::optional<std::vector<std::string_view>> split_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return std::nullopt;
    std::vector<std::string_view> out;
    std::size_t start = 1;
    for (;;) {
        const auto slash = path.find('/', start);
        if (slash == std::string_view::npos) {
            out.push_back(path.substr(start));
            return out;
        }
        out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
}

bool is_param(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

/// `/instances/{instance_id}` → `/instances/{}`: two patterns with the same
/// shape would shadow each other.
std::string shape_of(std::string_view pattern) {
    std::string shape;
    const auto segments = split_path(pattern);  // named: `*temporary` in a range-for would dangle
    if (!segments) return shape;
    for (const auto seg : *segments) {
        shape += '/';
        if (is_param(seg)) shape += "{}";
        else shape += seg;
    }
    return shape;
}

/// Routes under `/api` (public or internal) share one path space.
bool same_space(route_scope a, route_scope b) { return (a == route_scope::root) == (b == route_scope::root); }

bool method_matches(beast::http::verb route_method, beast::http::verb method) {
    return route_method == method || (method == beast::http::verb::head && route_method == beast::http::verb::get);
}

/// Matches @p segments against @p pattern, filling @p params.
bool segments_match(std::string_view pattern, const std::vector<std::string_view>& segments, path_params& params) {
    const auto pat = split_path(pattern);
    if (!pat || pat->size() != segments.size()) return false;
    path_params found;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto p = (*pat)[i];
        const auto s = segments[i];
        if (is_param(p)) {
            if (s.empty()) return false;
            const auto encoded = boost::urls::make_pct_string_view(s);
            if (!encoded) return false;  // malformed %-escape: no route
            found.emplace(std::string(p.substr(1, p.size() - 2)), encoded->decode());
        } else if (p != s) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

//------------------------------------------------------------------------------

std::vector<std::string> route::served_paths() const {
    switch (scope) {
        case route_scope::public_api:
            return {std::string(api_prefix) + pattern, std::string(v1_prefix) + pattern};
        case route_scope::internal_api:
            return {std::string(api_prefix) + pattern};
        case route_scope::root:
            return {pattern};
    }
    return {};
}

std::string route_match::allow_header() const {
    std::string out;
    for (const auto m : allowed) {
        if (!out.empty()) out += ", ";
        const auto s = beast::http::to_string(m);
        out.append(s.data(), s.size());
    }
    return out;
}

//------------------------------------------------------------------------------

void route_table::add(route r) {
    const auto segments = split_path(r.pattern);
    if (!segments) throw std::invalid_argument("route pattern must start with '/': " + r.pattern);
    const bool root_index = r.scope == route_scope::root && r.pattern == "/";
    for (const auto seg : *segments) {
        if (seg.empty() && !root_index) throw std::invalid_argument("empty segment in route pattern: " + r.pattern);
        const bool has_brace = seg.find_first_of("{}") != std::string_view::npos;
        if (has_brace && !is_param(seg)) throw std::invalid_argument("bad {param} segment in route pattern: " + r.pattern);
    }
    if (!r.handler) throw std::invalid_argument("route without handler: " + r.name);
    const auto shape = shape_of(r.pattern);
    for (const auto& other : routes_) {
        if (other.method == r.method && same_space(other.scope, r.scope) && shape_of(other.pattern) == shape)
            throw std::invalid_argument("duplicate route: " + r.name + " and " + other.name);
    }
    routes_.push_back(std::move(r));
}

route_match route_table::match(beast::http::verb method, std::string_view path) const {
    // Choose the path space first: /api/v1 reaches public routes only.
    bool want_public = false;
    bool want_internal = false;
    bool want_root = false;
    std::string_view rest;
    const auto under = [&](std::string_view prefix) {
        return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
    };
    if (under(v1_prefix)) {
        want_public = true;
        rest = path.substr(v1_prefix.size());
    } else if (under(api_prefix)) {
        want_public = want_internal = true;
        rest = path.substr(api_prefix.size());
    } else {
        want_root = true;
        rest = path;
    }

    route_match result;
    const auto segments = split_path(rest);
    if (!segments) return result;  // `/api` or `/api/v1` alone

    for (const auto& r : routes_) {
        const bool in_space = (r.scope == route_scope::public_api && want_public) ||
                              (r.scope == route_scope::internal_api && want_internal) ||
                              (r.scope == route_scope::root && want_root);
        if (!in_space) continue;
        path_params params;
        if (!segments_match(r.pattern, *segments, params)) continue;
        if (method_matches(r.method, method) && result.outcome != route_match::kind::found) {
            result.outcome = route_match::kind::found;
            result.matched = &r;
            result.params = std::move(params);
        }
        const auto add_allowed = [&](beast::http::verb v) {
            if (std::find(result.allowed.begin(), result.allowed.end(), v) == result.allowed.end())
                result.allowed.push_back(v);
        };
        add_allowed(r.method);
        if (r.method == beast::http::verb::get) add_allowed(beast::http::verb::head);
    }
    if (result.outcome != route_match::kind::found && !result.allowed.empty())
        result.outcome = route_match::kind::method_not_allowed;
    return result;
}

}  // namespace clauster::http
