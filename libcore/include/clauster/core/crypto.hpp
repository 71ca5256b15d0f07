#pragma once

#include <clauster/core/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace clauster::core {

/// Thin, named wrappers over libsodium so no other file touches it.
///
/// @par Thread safety
/// All functions are thread-safe; libsodium is initialised once on first use.
namespace crypto {

/// @return @p n cryptographically random bytes encoded as URL-safe base64 without padding.
std::string random_urlsafe(std::size_t n);

/// @return lower-case hex SHA-256 of @p data.
std::string sha256_hex(std::string_view data);

/// Compares two strings in time independent of where they differ
/// (their lengths, which are public, may short-circuit).
bool constant_time_equal(std::string_view a, std::string_view b);

/// Hashes a password with argon2id (libsodium's interactive limits) in the
/// PHC string form `$argon2id$v=19$m=...,t=...,p=...$salt$hash`.
outcome<std::string> hash_password(std::string_view password);

/// Verifies @p password against an argon2id PHC string; false on any mismatch or malformed hash.
bool verify_password(std::string_view password, std::string_view phc_hash);

}  // namespace crypto
}  // namespace clauster::core
