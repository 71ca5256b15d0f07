#include <clauster/core/event.hpp>
#include <clauster/core/json.hpp>

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using clauster::core::event;
using clauster::core::event_journal;

namespace {

event typed(std::string type) {
    event e;
    e.type = std::move(type);
    e.subject = "s";
    e.project = "p";
    return e;
}

}  // namespace

TEST_CASE("event journal: numbers events and resumes after a sequence number", "[core][events]") {
    event_journal j(8);
    CHECK(j.since(0).last_seq == 0);
    CHECK(j.since(0).events.empty());
    CHECK_FALSE(j.since(0).gap);

    for (int i = 0; i < 5; ++i) j.publish(typed("t" + std::to_string(i)));
    const auto all = j.since(0);
    REQUIRE(all.events.size() == 5);
    CHECK(all.last_seq == 5);
    for (std::size_t i = 0; i < 5; ++i) CHECK(all.events[i].seq == i + 1);
    CHECK(all.events.front().at != std::chrono::system_clock::time_point{});  // stamped when left empty

    const auto after3 = j.since(3);
    REQUIRE(after3.events.size() == 2);
    CHECK(after3.events[0].type == "t3");
    CHECK_FALSE(after3.gap);
    CHECK(j.since(5).events.empty());
    CHECK(j.since(0, 2).events.size() == 2);  // limit
    CHECK(j.since(0, 2).events.back().seq == 2);
}

TEST_CASE("event journal: a reader that fell behind, or comes from an earlier run, sees a gap", "[core][events]") {
    event_journal j(3);
    for (int i = 0; i < 10; ++i) j.publish(typed("t"));
    const auto behind = j.since(2);
    CHECK(behind.gap);  // 3..7 were evicted
    REQUIRE(behind.events.size() == 3);
    CHECK(behind.events.front().seq == 8);
    CHECK_FALSE(j.since(7).gap);  // 8, 9, 10 are all kept
    CHECK(j.since(42).gap);      // numbering restarted: a seq from another run
    CHECK(j.since(42).events.empty());
}

TEST_CASE("event journal: subscribers see each numbered event once", "[core][events]") {
    event_journal j;
    std::vector<std::uint64_t> seen;
    j.subscribe([&](const event& e) { seen.push_back(e.seq); });
    j.publish(typed("a"));
    j.publish(typed("b"));
    CHECK(seen == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("an event's JSON", "[core][events]") {
    event e = typed("instance.crashed");
    e.seq = 7;
    e.at = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours{4};
    e.detail = "exit 1";
    CHECK(boost::json::serialize(boost::json::value_from(e)) ==
          R"({"seq":7,"at":"2026-11-23T04:00:00.000000+00:00","type":"instance.crashed","subject":"s",)"
          R"("project":"p","detail":"exit 1"})");
    e.detail.reset();
    CHECK(boost::json::value_from(e).at("detail").is_null());
}
