#include "child_run.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using clauster::core::environment;
using clauster::core::detail::run_child;
using namespace std::chrono_literals;

TEST_CASE("run_child reads output far beyond a pipe buffer", "[core]") {
    // A child's writes must block on a full pipe, never fail: 1 MiB arrives whole.
    const auto run = run_child({"/usr/bin/head", "-c", "1048576", "/dev/zero"}, environment{}, 10s, std::nullopt,
                               4 * 1024 * 1024);
    REQUIRE(run.ok());
    CHECK(run.out.size() == 1048576);
    CHECK(run.err.empty());
}

TEST_CASE("run_child caps what it keeps, and still lets the child finish", "[core]") {
    const auto run = run_child({"/usr/bin/head", "-c", "3000000", "/dev/zero"}, environment{}, 10s, std::nullopt,
                               100'000);
    REQUIRE(run.ok());
    CHECK(run.out.size() == 100'000);
}

TEST_CASE("run_child captures stdout and stderr apart, with the exit code", "[core]") {
    const auto run = run_child({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, environment{}, 10s);
    CHECK(run.started);
    CHECK_FALSE(run.timed_out);
    CHECK(run.exit_code == 3);
    CHECK(run.out == "out\n");
    CHECK(run.err == "err\n");
}

TEST_CASE("run_child kills a child that outlives its timeout", "[core]") {
    const auto started = std::chrono::steady_clock::now();
    const auto run = run_child({"/bin/sleep", "30"}, environment{}, 300ms);
    CHECK(run.timed_out);
    CHECK_FALSE(run.exit_code);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("run_child refuses a relative program", "[core]") {
    CHECK_FALSE(run_child({"sh", "-c", "true"}, environment{}, 1s).started);
    CHECK_FALSE(run_child({}, environment{}, 1s).started);
}
