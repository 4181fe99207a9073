#include "poll/shard.hpp"

#include "core/hash.hpp"

#include <catch.hpp>

#include <set>
#include <string>

using namespace dce::poll;

TEST_CASE("shard K/N is parsed and checked", "[poll][shard]") {
    std::string why;
    auto s = parse_shard("2/4", why);
    REQUIRE(s);
    CHECK(s->k == 2);
    CHECK(s->n == 4);
    CHECK(parse_shard("1/1", why));
    for (const char* bad :
         {"0/4", "5/4", "4", "/4", "1/", "1/0", "a/b", "1/4x", "-1/4", "1/70000", ""}) {
        INFO(bad);
        CHECK_FALSE(parse_shard(bad, why));
        CHECK(why.find("K/N") != std::string::npos);
    }
}

TEST_CASE("the N shards of a device list are disjoint and cover it", "[poll][shard]") {
    std::set<std::string> ids;
    for (int i = 0; i < 2000; ++i)
        ids.insert("snmp://10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) +
                   ":161");
    ids.insert("modbus://127.0.0.20:502/1");
    for (std::uint64_t n : {1, 2, 3, 4, 7}) {
        std::set<std::string> seen;
        for (std::uint64_t k = 1; k <= n; ++k) {
            std::size_t mine = 0;
            for (const auto& id : ids) {
                if (!in_shard(id, {k, n})) continue;
                ++mine;
                CHECK(seen.insert(id).second);  // in no other shard
            }
            // Roughly even: no shard empty or holding nearly everything.
            if (n > 1) CHECK(mine > ids.size() / (2 * n));
        }
        CHECK(seen == ids);
    }
}

TEST_CASE("shard membership is stable across versions and machines", "[poll][shard]") {
    // FNV-1a 64 of the id's bytes: pinned values, so a change of hash is a test failure
    // (it would move devices between pollers after an upgrade).
    CHECK(dce::fnv1a64("") == 14695981039346656037ULL);
    CHECK(dce::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(in_shard("snmp://127.0.0.1:161", {dce::fnv1a64("snmp://127.0.0.1:161") % 4 + 1, 4}));
}
