#include <clauster/core/crypto.hpp>

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace clauster::core::crypto {
namespace {

void ensure_sodium() {
    // sodium_init is idempotent and thread-safe; a failure means no usable RNG.
    static const int rc = sodium_init();
    if (rc < 0) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

std::string random_urlsafe(std::size_t n) {
    ensure_sodium();
    std::vector<unsigned char> bytes(n);
    randombytes_buf(bytes.data(), bytes.size());
    std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bytes.data(), bytes.size());
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
}

std::string sha256_hex(std::string_view data) {
    ensure_sodium();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    std::string hex(crypto_hash_sha256_BYTES * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
    hex.pop_back();
    return hex;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    ensure_sodium();
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

outcome<std::string> hash_password(std::string_view password) {
    ensure_sodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return make_failure(errc::unavailable, "argon2id hashing ran out of memory");
    return std::string(out);
}

bool verify_password(std::string_view password, std::string_view phc_hash) {
    ensure_sodium();
    if (!phc_hash.starts_with("$argon2id$") || phc_hash.size() >= crypto_pwhash_STRBYTES) return false;
    const std::string hash(phc_hash);  // NUL-terminated copy for libsodium
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace clauster::core::crypto
