#pragma once

#include "identity.hpp"
#include "message.hpp"

#include <clauster/core/config.hpp>
#include <clauster/core/manager.hpp>

#include <boost/beast/http/verb.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace clauster::http {

/// Normalises an origin for comparison (spec §4.4): lower-cased
/// `scheme://host[:port]`, the scheme's default port dropped (80 for http,
/// 443 for https), no trailing slash, IPv6 hosts bracketed in canonical form.
/// @return nullopt for anything that is not an origin (`null`, a path, userinfo,
/// a query, no host).
std::optional<std::string> normalize_origin(std::string_view origin);

/// The set of origins an unsafe request may come from (spec §4.4).
class origin_allowlist {
public:
    origin_allowlist() = default;

    /// Loopback binds auto-allow `http(s)://{127.0.0.1,localhost,[::1]}:<port>`
    /// (@p port is the port actually bound); `auth.allowed_origins` is always
    /// added. Entries that do not normalise are ignored.
    static origin_allowlist from_config(const core::config& cfg, unsigned short port);

    /// Adds @p origin (normalised); ignored when it is not an origin.
    void add(std::string_view origin);

    /// True when @p origin normalises to an allowed entry.
    bool allows(std::string_view origin) const;

    const std::set<std::string, std::less<>>& entries() const { return entries_; }

private:
    std::set<std::string, std::less<>> entries_;
};

/// POST, PUT, PATCH and DELETE.
bool is_unsafe_method(boost::beast::http::verb method);

/// What the guard decided for one request.
struct guard_result {
    /// Who the request authenticated as; nullopt when anonymous or auth is off.
    std::optional<authenticated_as> identity;
    /// When set, answer this instead of routing.
    std::optional<response> rejection;
};

/// Authentication and CSRF middleware (spec §4.4), as a pure decision over a request.
///
/// Reads the credential stores through @ref core::manager on every request (no
/// cache), so a revoked token fails on the very next request.
///
/// @par Thread safety
/// Not thread-safe; use from the io thread that owns the manager.
class guard {
public:
    guard(core::manager& mgr, origin_allowlist origins);

    /// Decides @p req, whose @p path has `root_path` removed and no query.
    guard_result check(const request& req, std::string_view path);

    /// The credential paths of spec §4.1 in order. Only Bearer tokens exist for
    /// now; the trusted proxy (`via_proxy`) and the session cookie slot in here.
    std::optional<authenticated_as> authenticate(const request& req);

    const origin_allowlist& origins() const { return origins_; }

private:
    std::optional<authenticated_as> authenticate_bearer(const request& req);

    core::manager& mgr_;
    origin_allowlist origins_;
};

/// The token of an `Authorization: Bearer <token>` value (scheme
/// case-insensitive); nullopt for another scheme or an empty token.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace clauster::http
