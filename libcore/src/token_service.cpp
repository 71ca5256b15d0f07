#include <clauster/core/token_service.hpp>

#include <clauster/core/crypto.hpp>

#include <algorithm>

namespace clauster::core {
namespace {

std::string quoted(std::string_view label) { return "'" + std::string(label) + "'"; }

failure invalid_label(std::string_view label) {
    // The label is echoed only when it is printable ASCII of sane length.
    const bool printable = label.size() <= 64 &&
                           std::all_of(label.begin(), label.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    return make_failure(errc::invalid_argument,
                        "invalid label " + (printable ? quoted(label) : std::string("(unprintable)")) +
                            ": use 1-64 characters of A-Z a-z 0-9 _ . -");
}

}  // namespace

token_service::token_service(token_store& store, const clock& clk, std::optional<std::string> legacy_hash)
    : store_(store), clock_(clk) {
    if (legacy_hash && !legacy_hash->empty()) {
        std::string lowered = *legacy_hash;
        std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        legacy_hash_ = std::move(lowered);
    }
}

bool token_service::is_valid_label(std::string_view label) {
    if (label.empty() || label.size() > 64) return false;
    return std::all_of(label.begin(), label.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '-';
    });
}

std::string token_service::mint_raw() { return std::string(raw_prefix) + crypto::random_urlsafe(32); }

outcome<issued_token> token_service::issue(std::string_view label) {
    if (!is_valid_label(label)) return invalid_label(label);
    std::string raw = mint_raw();
    auto stored = store_.insert(label, crypto::sha256_hex(raw), clock_.now());
    if (stored) return issued_token{std::move(raw), std::move(*stored)};
    if (stored.error() == errc::already_exists)
        return make_failure(errc::already_exists, "a token labeled " + quoted(label) + " already exists");
    return failure{stored.error(), "api-token issue failed: " + stored.error().message()};
}

outcome<issued_token> token_service::rotate(std::string_view label) {
    if (!is_valid_label(label)) return invalid_label(label);
    std::string raw = mint_raw();
    auto stored = store_.replace_hash(label, crypto::sha256_hex(raw), clock_.now());
    if (stored) return issued_token{std::move(raw), std::move(*stored)};
    if (stored.error() == errc::not_found)
        return make_failure(errc::not_found, "no token labeled " + quoted(label));
    return failure{stored.error(), "api-token rotate failed: " + stored.error().message()};
}

outcome<void> token_service::revoke(std::string_view label) {
    if (!is_valid_label(label)) return invalid_label(label);
    auto removed = store_.remove(label);
    if (removed) return {};
    if (removed.error() == errc::not_found) return make_failure(errc::not_found, "no token labeled " + quoted(label));
    return failure{removed.error(), "api-token revoke failed: " + removed.error().message()};
}

outcome<std::vector<api_token>> token_service::list() {
    auto rows = store_.list();
    if (rows) return std::move(*rows);
    return failure{rows.error(), "api-token list failed: " + rows.error().message()};
}

std::optional<token_identity> token_service::verify(std::string_view raw) {
    // Bounded input: a real token is ~56 bytes; refuse absurd lengths before hashing.
    if (raw.empty() || raw.size() > 512) return std::nullopt;
    const std::string hash = crypto::sha256_hex(raw);
    if (legacy_hash_ && crypto::constant_time_equal(hash, *legacy_hash_)) return token_identity{};
    if (!raw.starts_with(raw_prefix)) return std::nullopt;
    auto found = store_.find_by_hash(hash);
    if (!found || !*found) return std::nullopt;
    // The lookup is by an index on the hash; compare again in constant time so a
    // store that matched loosely (collation, prefix) can never admit a caller.
    if (!crypto::constant_time_equal(hash, (*found)->token_hash)) return std::nullopt;
    // Best effort (a busy db must not reject a valid token), and at most once a
    // second per token: last_used_at is shown to the second, and a write per
    // request would serialise every API call on the database.
    const auto now = clock_.now();
    if (!(*found)->last_used_at || now - *(*found)->last_used_at >= std::chrono::seconds(1))
        (void)store_.touch((*found)->id, now);
    return token_identity{(*found)->label};
}

}  // namespace clauster::core
