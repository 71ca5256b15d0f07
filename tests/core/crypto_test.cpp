#include <clauster/core/crypto.hpp>

#include <catch2/catch.hpp>

using namespace clauster::core;

TEST_CASE("sha256_hex matches known vectors", "[core]") {
    CHECK(crypto::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("constant_time_equal compares whole strings", "[core]") {
    CHECK(crypto::constant_time_equal("abc", "abc"));
    CHECK(crypto::constant_time_equal("", ""));
    CHECK_FALSE(crypto::constant_time_equal("abc", "abd"));
    CHECK_FALSE(crypto::constant_time_equal("abc", "abcd"));
}

TEST_CASE("random_urlsafe has the requested entropy and alphabet", "[core]") {
    const auto a = crypto::random_urlsafe(32);
    CHECK(a.size() == 43);
    CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
    CHECK(a != crypto::random_urlsafe(32));
    CHECK(crypto::random_urlsafe(16).size() == 22);
}

TEST_CASE("argon2id password hashes verify and reject", "[core]") {
    const auto hash = crypto::hash_password("hunter2").value();
    CHECK(hash.rfind("$argon2id$", 0) == 0);
    CHECK(crypto::verify_password("hunter2", hash));
    CHECK_FALSE(crypto::verify_password("hunter3", hash));
    CHECK_FALSE(crypto::verify_password("hunter2", "not a hash"));
    CHECK_FALSE(crypto::verify_password("hunter2", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$xxxx"));
    CHECK_FALSE(crypto::verify_password("hunter2", std::string(500, '$')));
}
