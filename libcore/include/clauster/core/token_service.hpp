#pragma once

#include <clauster/core/api_token.hpp>
#include <clauster/core/clock.hpp>
#include <clauster/core/error.hpp>
#include <clauster/core/token_store.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clauster::core {

/// A freshly minted token: the raw secret (shown once) and its stored record.
struct issued_token {
    std::string raw;
    api_token record;
};

/// Who a Bearer credential authenticated as.
struct token_identity {
    /// Label of the named token, or nullopt for the legacy `auth.api_token_hash`.
    std::optional<std::string> label;
};

/// Named API tokens (spec §4.6): minting, rotation, revocation and verification.
///
/// Raw tokens are `clauster_pat_` + 32 random bytes in URL-safe base64; only the
/// SHA-256 hex of the whole string is stored. Verification reads the store on
/// every call (no cache), so revoke and rotate apply to the very next request.
///
/// @par Thread safety
/// Not thread-safe; use from the thread that owns the store.
class token_service {
public:
    static constexpr std::string_view raw_prefix = "clauster_pat_";

    /// @param legacy_hash `auth.api_token_hash`, accepted beside named tokens.
    token_service(token_store& store, const clock& clk, std::optional<std::string> legacy_hash = std::nullopt);

    /// True when @p label is 1–64 characters of `[A-Za-z0-9_.-]`.
    static bool is_valid_label(std::string_view label);

    /// A new raw token (not stored).
    static std::string mint_raw();

    /// @par Errors
    /// `invalid_argument` (bad label), `already_exists` (duplicate label).
    outcome<issued_token> issue(std::string_view label);

    /// @par Errors `invalid_argument`, `not_found` (unknown label).
    outcome<issued_token> rotate(std::string_view label);

    /// @par Errors `invalid_argument`, `not_found`.
    outcome<void> revoke(std::string_view label);

    outcome<std::vector<api_token>> list();

    /// Checks a raw Bearer credential against the legacy hash and the store,
    /// comparing hashes in constant time, and stamps `last_used_at` on a named
    /// token (best effort). @return nullopt when it authenticates nobody.
    std::optional<token_identity> verify(std::string_view raw);

    /// True when a legacy `auth.api_token_hash` is configured.
    bool has_legacy_hash() const { return legacy_hash_.has_value(); }

private:
    token_store& store_;
    const clock& clock_;
    std::optional<std::string> legacy_hash_;
};

}  // namespace clauster::core
