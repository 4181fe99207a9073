#include "core/targets.hpp"

#include <catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace {
std::vector<std::string> expand(dce::TargetList& list) {
    std::vector<std::string> out;
    dce::Target t;
    while (list.next(t))
        out.push_back(t.to_string());
    return out;
}
}  // namespace

TEST_CASE("single addresses, ports, IPv6 and names") {
    dce::TargetList list;
    std::string e;
    REQUIRE(list.add("127.0.0.1", e));
    REQUIRE(list.add("127.0.0.2:1161", e));
    REQUIRE(list.add("::1", e));
    REQUIRE(list.add("[::1]:8443", e));
    REQUIRE(list.add("ups-01.lab.example", e));
    REQUIRE(list.add("localhost:161", e));
    CHECK(expand(list) == std::vector<std::string>{"127.0.0.1", "127.0.0.2:1161", "::1",
                                                   "[::1]:8443", "ups-01.lab.example",
                                                   "localhost:161"});
}

TEST_CASE("CIDR and ranges expand lazily and in order") {
    dce::TargetList list;
    std::string e;
    REQUIRE(list.add("127.0.0.0/30", e));
    REQUIRE(list.add("127.0.1.250-252", e));
    REQUIRE(list.add("127.0.1.255-127.0.2.1", e));
    REQUIRE(list.add("::1/127", e));
    CHECK(list.size() == 12);
    CHECK(expand(list) == std::vector<std::string>{"127.0.0.0", "127.0.0.1", "127.0.0.2",
                                                   "127.0.0.3", "127.0.1.250", "127.0.1.251",
                                                   "127.0.1.252", "127.0.1.255", "127.0.2.0",
                                                   "127.0.2.1", "::", "::1"});
}

TEST_CASE("huge ranges are refused unless the limit is raised") {
    dce::TargetList list;
    std::string e;
    CHECK(list.add("127.0.0.0/16", e));
    CHECK_FALSE(list.add("127.0.0.0/31", e));  // would pass the 65,536 limit
    CHECK(e.find("over the limit of 65,536") != std::string::npos);
    dce::TargetList big({.max_addresses = 1ULL << 24});
    CHECK(big.add("127.0.0.0/8", e));
    CHECK(big.size() == 16777216);
    CHECK_FALSE(list.add("2001:db8::/32", e));
    CHECK(e.find("2^96") != std::string::npos);
}

TEST_CASE("bad specs say what is wrong") {
    dce::TargetList list;
    std::string e;
    CHECK_FALSE(list.add("127.0.0.1/33", e));
    CHECK(e == "bad target '127.0.0.1/33': IPv4 prefix length must be 0-32");
    CHECK_FALSE(list.add("127.0.0.9-3", e));
    CHECK(e == "bad target '127.0.0.9-3': range end is before its start");
    CHECK_FALSE(list.add("127.0.0.1:99999", e));
    CHECK_FALSE(list.add("bad host!", e));
    CHECK_FALSE(list.add("[::1", e));
    CHECK_FALSE(list.add("-starts-with-dash", e));
    CHECK(list.empty());
}

TEST_CASE("@file reads one spec a line with comments and names bad lines") {
    std::string path = "/tmp/dce_targets_test.txt";
    {
        std::ofstream f(path);
        f << "# lab\n127.0.0.1\n\n127.0.0.2 # ups\n127.0.0.300\n";
    }
    dce::TargetList list;
    std::string e;
    CHECK_FALSE(list.add("@" + path, e));
    CHECK(e.find(path + ":5: bad target '127.0.0.300'") != std::string::npos);
    CHECK(list.size() == 2);
    std::remove(path.c_str());
    CHECK_FALSE(list.add("@/nonexistent/targets", e));
}

TEST_CASE("loopback detection") {
    CHECK(dce::is_loopback_address("127.1.2.3"));
    CHECK(dce::is_loopback_address("::1"));
    CHECK_FALSE(dce::is_loopback_address("128.0.0.1"));
    CHECK_FALSE(dce::is_loopback_address("::2"));
}

TEST_CASE("repeated targets are probed once (issue 9)") {
    dce::TargetList list;
    std::string e;
    REQUIRE(list.add("127.0.0.5", e));
    REQUIRE(list.add("127.0.0.4/31", e));    // .4 and .5: .5 was given already
    REQUIRE(list.add("127.0.0.5", e));       // the same spec again
    REQUIRE(list.add("127.0.0.5:1161", e));  // another port is another target
    REQUIRE(list.add("127.0.0.4", e));       // inside the /31 given before
    CHECK(expand(list) == std::vector<std::string>{"127.0.0.5", "127.0.0.4", "127.0.0.5:1161"});
    CHECK(list.duplicates() == 3);
}

TEST_CASE("a target file over the guard gets one summary line, not one per line") {
    std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                       "/dce-targets-guard-test.txt";
    {
        std::ofstream f(path);
        for (int i = 0; i < 4000; ++i)
            f << "127.1." << i / 250 << "." << i % 250 << "\n";
    }
    dce::TargetList list({.max_addresses = 10});
    std::string e;
    CHECK_FALSE(list.add("@" + path, e));
    std::remove(path.c_str());
    CHECK(std::count(e.begin(), e.end(), '\n') == 1);  // the first refusal + one summary
    CHECK(e.find(":11: '127.1.0.10' would bring the target count to 11") != std::string::npos);
    CHECK(e.find("3,989 more line(s) over the limit too (lines 12-4000)") != std::string::npos);
}
