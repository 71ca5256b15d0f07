#include <clauster/core/environment.hpp>

#include <catch2/catch.hpp>

using namespace clauster::core;

TEST_CASE("secret CLAUSTER_* names are scrubbed from child environments", "[core]") {
    const environment env{{"PATH", "/bin"},
                          {"CLAUSTER_AUTH_API_TOKEN_HASH", "x"},
                          {"CLAUSTER_SESSION_SECRET", "x"},
                          {"CLAUSTER_AUTH_PASSWORD_HASH_FILE", "x"},
                          {"CLAUSTER_AUTH_REVERSE_PROXY_SHARED_SECRET", "x"},
                          {"CLAUSTER_PORT", "7621"},
                          {"MY_TOKEN", "kept: not ours"}};
    const auto scrubbed = scrub_secrets(env);
    CHECK(scrubbed.size() == 3);
    CHECK(scrubbed.count("PATH") == 1);
    CHECK(scrubbed.count("CLAUSTER_PORT") == 1);
    CHECK(scrubbed.count("MY_TOKEN") == 1);
}

TEST_CASE("current_environment sees this process's variables", "[core]") {
    ::setenv("CLAUSTER_TEST_PROBE", "a=b", 1);
    const auto env = current_environment();
    CHECK(get_env(env, "CLAUSTER_TEST_PROBE") == std::optional<std::string>("a=b"));
    CHECK_FALSE(get_env(env, "CLAUSTER_TEST_SURELY_UNSET"));
    ::unsetenv("CLAUSTER_TEST_PROBE");
}
