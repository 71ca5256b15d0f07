#include "guard.hpp"

#include "response.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace clauster::http {

namespace beast = boost::beast;

namespace {

std::string to_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && to_lower(a) == to_lower(b); }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string_view header_value(const request& req, beast::http::field f) {
    const auto it = req.find(f);
    if (it == req.end()) return {};
    return {it->value().data(), it->value().size()};
}

/// Paths any caller may reach (spec §4.4 step 3). `/login` and `/static/`
/// have no route yet; keeping them public means an anonymous browser gets a
/// 404 there rather than a redirect loop to the login page.
bool is_public_path(std::string_view path) {
    return path == "/healthz" || path == "/login" || path.starts_with("/static/");
}

bool is_docs_path(std::string_view path) { return path == "/docs" || path == "/openapi.json"; }

bool is_api_path(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

response redirect_to_login(std::string_view root_path) {
    response res{beast::http::status::see_other, 11};
    std::string location(root_path);
    while (!location.empty() && location.back() == '/') location.pop_back();
    if (!location.empty() && location.front() != '/') location.insert(location.begin(), '/');
    location += "/login";
    res.set(beast::http::field::location, location);
    res.prepare_payload();
    return res;
}

}  // namespace

//------------------------------------------------------------------------------

std::optional<std::string> normalize_origin(std::string_view origin) {
    const auto parsed = boost::urls::parse_uri(origin);
    if (!parsed) return std::nullopt;
    const auto& u = *parsed;
    if (!u.has_authority() || u.has_userinfo() || u.has_query() || u.has_fragment()) return std::nullopt;
    const auto path = u.encoded_path();
    if (!path.empty() && path != "/") return std::nullopt;

    const auto scheme = to_lower(std::string_view(u.scheme().data(), u.scheme().size()));
    std::string host;
    switch (u.host_type()) {
        case boost::urls::host_type::ipv6:
            host = "[" + u.host_ipv6_address().to_string() + "]";
            break;
        case boost::urls::host_type::ipv4:
        case boost::urls::host_type::name: {
            const auto h = u.host();  // percent-decoded
            host = to_lower(h);
            break;
        }
        default:
            return std::nullopt;
    }
    if (host.empty()) return std::nullopt;

    std::string out = scheme + "://" + host;
    if (u.has_port() && !u.port().empty()) {
        // Boost.URL accepts any digit string as a port; an origin's is 0-65535.
        const auto digits = u.port();
        unsigned long port = 0;
        for (const char c : digits) {
            port = port * 10 + static_cast<unsigned long>(c - '0');
            if (port > 65535) return std::nullopt;
        }
        const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
        if (!default_port) out += ":" + std::to_string(port);
    }
    return out;
}

origin_allowlist origin_allowlist::from_config(const core::config& cfg, unsigned short port) {
    origin_allowlist list;
    if (cfg.is_loopback_bind()) {
        static constexpr std::array<std::string_view, 3> hosts{"127.0.0.1", "localhost", "[::1]"};
        for (const auto scheme : {std::string_view("http"), std::string_view("https")}) {
            for (const auto host : hosts)
                list.add(std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port));
        }
    }
    for (const auto& o : cfg.auth.allowed_origins) list.add(o);
    return list;
}

void origin_allowlist::add(std::string_view origin) {
    if (auto n = normalize_origin(origin)) entries_.insert(std::move(*n));
}

bool origin_allowlist::allows(std::string_view origin) const {
    const auto n = normalize_origin(origin);
    return n && entries_.contains(*n);
}

bool is_unsafe_method(beast::http::verb method) {
    return method == beast::http::verb::post || method == beast::http::verb::put ||
           method == beast::http::verb::patch || method == beast::http::verb::delete_;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    authorization = trim(authorization);
    const auto space = authorization.find_first_of(" \t");
    if (space == std::string_view::npos) return std::nullopt;
    if (!iequals(authorization.substr(0, space), "bearer")) return std::nullopt;
    const auto token = trim(authorization.substr(space + 1));
    if (token.empty()) return std::nullopt;
    return token;
}

//------------------------------------------------------------------------------

guard::guard(core::manager& mgr, origin_allowlist origins) : mgr_(mgr), origins_(std::move(origins)) {}

std::optional<authenticated_as> guard::authenticate(const request& req) {
    // Spec §4.1 order: trusted proxy, Bearer token, session cookie.
    // TODO(http): trusted reverse proxy (via_proxy) and the session cookie.
    return authenticate_bearer(req);
}

std::optional<authenticated_as> guard::authenticate_bearer(const request& req) {
    const auto header = req.find(beast::http::field::authorization);
    if (header == req.end()) return std::nullopt;
    const auto token = bearer_token({header->value().data(), header->value().size()});
    if (!token) return std::nullopt;
    // Checks the legacy hash and the named tokens in constant time, every call.
    auto who = mgr_.tokens().verify(*token);
    if (!who) return std::nullopt;
    authenticated_as id;
    id.via_token = true;
    id.token_label = std::move(who->label);
    return id;
}

guard_result guard::check(const request& req, std::string_view path) {
    const auto& cfg = mgr_.config();
    const bool unsafe = is_unsafe_method(req.method());
    const bool has_origin = req.find(beast::http::field::origin) != req.end();
    const bool origin_ok = has_origin && origins_.allows(header_value(req, beast::http::field::origin));

    guard_result result;
    if (!cfg.auth.enabled) {
        // Auth off: only cross-site writes from a browser are refused; no Origin
        // (curl, the CLI) passes.
        if (unsafe && has_origin && !origin_ok) result.rejection = origin_forbidden_response();
        return result;
    }

    // 1. Authenticate.
    result.identity = authenticate(req);
    const bool exempt = result.identity && (result.identity->via_token || result.identity->via_proxy);

    // 2. CSRF: unsafe methods need an allowlisted Origin unless the credential
    //    cannot be ambient (a token or the proxy). Referer is never consulted.
    if (unsafe && !exempt && !origin_ok) {
        result.rejection = origin_forbidden_response();
        return result;
    }

    // 3. Public paths.
    if (is_public_path(path)) return result;

    // 4. API docs (spec §4.4 step 4, §4.8). Disabled: fall through, and the router
    //    answers its plain 404 (make_route_table registers neither route). Enabled:
    //    anonymous callers get the 401 JSON of /api, never the login redirect.
    if (is_docs_path(path)) {
        if (cfg.api.openapi_enabled && !result.identity) result.rejection = unauthorized_response();
        return result;
    }

    // 5. Anonymous callers: 401 for the API, a redirect to the login page elsewhere.
    //    TODO(http): /metrics with the scrape token once /metrics exists.
    if (!result.identity) {
        if (is_api_path(path)) result.rejection = unauthorized_response();
        else result.rejection = redirect_to_login(cfg.root_path);
    }
    return result;
}

}  // namespace clauster::http
