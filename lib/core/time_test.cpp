#include "core/time.hpp"

#include <catch.hpp>

using namespace std::chrono;

TEST_CASE("timestamps format and parse round-trip") {
    auto t = dce::parse_timestamp("2026-11-22T07:30:00.123Z");
    REQUIRE(t);
    CHECK(dce::format_timestamp(*t) == "2026-11-22T07:30:00.123Z");
    auto offset = dce::parse_timestamp("2026-11-22T08:30:00.123+01:00");
    REQUIRE(offset);
    CHECK(*offset == *t);
    CHECK(dce::format_timestamp(dce::SystemTime{}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("malformed timestamps are refused") {
    for (auto bad : {"", "2026-11-22", "2026-11-22T07:30:00", "2026-13-22T07:30:00Z",
                     "2026-11-22T07:30:00.Z", "2026-11-22T07:30:00Zjunk", "x026-11-22T07:30:00Z"})
        CHECK_FALSE(dce::parse_timestamp(bad));
}

TEST_CASE("dates that do not exist and times out of range are refused, never wrapped") {
    for (auto bad : {"2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2025-02-29T00:00:00Z",
                     "1900-02-29T00:00:00Z", "9999-12-31T23:59:59.999Z", "2263-01-01T00:00:00Z",
                     "0001-01-01T00:00:00Z", "1600-01-01T00:00:00Z"})
        CHECK_FALSE(dce::parse_timestamp(bad));
    for (auto good : {"2024-02-29T00:00:00.000Z", "2000-02-29T00:00:00.000Z",
                      "2262-01-01T00:00:00.000Z", "1700-01-01T00:00:00.000Z"}) {
        auto t = dce::parse_timestamp(good);
        REQUIRE(t);
        CHECK(dce::format_timestamp(*t) == good);
    }
}

TEST_CASE("durations") {
    CHECK(dce::parse_duration("30d") == milliseconds(30LL * 86400 * 1000));
    CHECK(dce::parse_duration("5m") == milliseconds(300000));
    CHECK(dce::parse_duration("1.5s") == milliseconds(1500));
    CHECK(dce::parse_duration("250ms") == milliseconds(250));
    CHECK(dce::parse_duration("10") == milliseconds(10000));
    CHECK_FALSE(dce::parse_duration("10y"));
    CHECK_FALSE(dce::parse_duration("-5s"));
    CHECK_FALSE(dce::parse_duration(""));
}
