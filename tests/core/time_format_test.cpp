#include <clauster/core/time_format.hpp>

#include <catch2/catch.hpp>

using namespace clauster::core;
using namespace std::chrono;

TEST_CASE("ISO timestamps format and parse back", "[core]") {
    const auto t = sys_days{year{2026} / 11 / 23} + hours{4} + minutes{40} + seconds{40} + microseconds{123456};
    CHECK(format_iso_seconds(t) == "2026-11-23T04:40:40Z");
    CHECK(format_iso_micros(t) == "2026-11-23T04:40:40.123456+00:00");
    CHECK(parse_iso(format_iso_micros(t)) == t);
    CHECK(parse_iso("2026-11-23T04:40:40Z") == floor<seconds>(t));
    for (const char* bad : {"", "yesterday", "2026-13-01T00:00:00Z", "2026-11-23T04:40:40", "2026-11-23T04:40:40+02:00",
                            "2026-11-23T04:40:40.Z"})
        CHECK_FALSE(parse_iso(bad));
}
