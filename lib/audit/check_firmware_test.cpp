#include "audit/families.hpp"
#include "audit/policy.hpp"

#include <catch.hpp>

using namespace dce;
using namespace dce::audit;

TEST_CASE("version_token finds the version in firmware strings as devices report them") {
    CHECK(version_token("v6.9.6") == "6.9.6");
    CHECK(version_token("APP v7.0.4") == "7.0.4");
    CHECK(version_token("6.8.2a") == "6.8.2a");
    CHECK(version_token("UPS 09.3 / ID=18") == "09.3");
    CHECK(version_token("ID=18 UPS 09.3") == "09.3");
    CHECK(version_token("UPS 09.3 (ID18)") == "09.3");  // the lab's Smart-UPS
    CHECK(version_token("JUNOS 21.4R3-S4.9") == "21.4R3-S4.9");
    CHECK(version_token("sumx v6.8.2.") == "6.8.2");
    CHECK(version_token("(v6.1.0)") == "6.1.0");
    CHECK(version_token("Rev 12") == "12");  // no dotted word: the first number
    CHECK(version_token("unknown") == "");
    CHECK(version_token("") == "");
    CHECK(version_token("10:30 v2") == "2");  // "10:30" is not a version
}

TEST_CASE("compare_versions orders APC's formats") {
    CHECK(compare_versions("v6.9.6", "6.8.0") > 0);
    CHECK(compare_versions("APP v7.0.4", "v7.0.4") == 0);
    CHECK(compare_versions("6.10.2", "6.9.0") > 0);
    CHECK(compare_versions("6.8.2a", "6.8.2") > 0);
    CHECK(compare_versions("6.8.2a", "6.8.2b") < 0);
    CHECK(compare_versions("6.8.2", "6.8.2a") < 0);
    CHECK(compare_versions("UPS 09.3 / ID=18", "9.3") == 0);  // ID=18 is not part of it
    CHECK(compare_versions("UPS 09.3 / ID=18", "UPS 10.0") < 0);
    CHECK(compare_versions("6.8", "6.8.0") < 0);  // a shorter version is an older one
    CHECK(compare_versions("JUNOS 21.4R3-S4.9", "21.4R3-S3") > 0);
    CHECK(compare_versions("OpenSSH_9.2p1", "OpenSSH_8.4p1") > 0);  // no word: first digit on
}

namespace {

std::vector<Finding> firmware_of(const std::string& policy_json, const Json& device,
                                 const Json& target_keys = Json::object()) {
    Policy p;
    p.doc = Json::parse(policy_json);
    p.doc["roles"] = {{"device", target_keys}};  // the target's keys through its role
    std::string error;
    REQUIRE(add_target(p, "127.0.0.1", "device", device, error));
    p.targets.back().name = "ups-1";
    CheckContext ctx{p.targets.back(), p};
    for (const auto& f : families())
        if (f.name == "firmware") return f.run(ctx);
    FAIL("no firmware family");
    return {};
}

}  // namespace

TEST_CASE("firmware.minimum: the model's minimum from the policy") {
    const std::string policy = R"({"firmware_minimum": {"AP9631": "6.8.0", "AP96*": "7.0.0",
                                                        "Smart-UPS*": "UPS 10.0"}})";
    SECTION("below fails with both versions and what to do") {
        auto fs = firmware_of(policy, {{"model", "AP9631"}, {"firmware", "v6.4.6"}});
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].status == Status::fail);
        CHECK(fs[0].severity == Severity::medium);
        CHECK(fs[0].message.find("v6.4.6") != std::string::npos);
        CHECK(fs[0].message.find("6.8.0") != std::string::npos);
        CHECK(fs[0].message.find("upgrade") != std::string::npos);
        CHECK(fs[0].evidence["minimum_from"] == "firmware_minimum[\"AP9631\"]");  // exact wins
    }
    SECTION("equal and above pass") {
        CHECK(firmware_of(policy, {{"model", "AP9631"}, {"firmware", "v6.8.0"}})[0].status ==
              Status::pass);
        CHECK(firmware_of(policy, {{"model", "ap9631"}, {"firmware", "6.8.2a"}})[0].status ==
              Status::pass);
    }
    SECTION("a glob matches other models") {
        auto fs = firmware_of(policy, {{"model", "AP9641"}, {"firmware", "APP v6.9.9"}});
        CHECK(fs[0].status == Status::fail);
        CHECK(fs[0].evidence["minimum_from"] == "firmware_minimum[\"AP96*\"]");
    }
    SECTION("the device and its management card each against their own minimum") {
        Json dev = {{"model", "Smart-UPS 1500"},
                    {"firmware", "UPS 09.3 / ID=18"},
                    {"card", {{"model", "AP9631"}, {"firmware", "v6.9.6"}}}};
        auto fs = firmware_of(policy, dev);
        REQUIRE(fs.size() == 2);
        CHECK(fs[0].target == "ups-1");
        CHECK(fs[0].status == Status::fail);
        CHECK(fs[0].evidence["version"] == "09.3");
        CHECK(fs[1].target == "ups-1 card");
        CHECK(fs[1].status == Status::pass);
    }
    SECTION("unknown firmware skips and says how to know it") {
        auto fs = firmware_of(policy, {{"model", "AP9631"}});
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].status == Status::skip);
        CHECK(fs[0].message.find("dce-discover") != std::string::npos);
        CHECK(firmware_of(policy, nullptr)[0].status == Status::skip);
    }
    SECTION("no minimum for the model skips") {
        auto fs = firmware_of(policy, {{"model", "NetBotz 750"}, {"firmware", "5.3.1"}});
        REQUIRE(fs.size() == 1);
        CHECK(fs[0].status == Status::skip);
        CHECK(fs[0].message.find("no minimum for model NetBotz 750") != std::string::npos);
    }
    SECTION("a firmware string without a version is an error, not a pass") {
        CHECK(firmware_of(policy, {{"model", "AP9631"}, {"firmware", "unknown"}})[0].status ==
              Status::error);
    }
}

TEST_CASE("firmware.minimum: a target's own version and minimum") {
    const std::string policy = R"({"firmware_minimum": {"AP9631": "6.8.0"}})";
    // Without discovery: firmware.version and firmware.model from the policy.
    CHECK(firmware_of(policy, nullptr,
                      {{"firmware", {{"version", "v6.7.0"}, {"model", "AP9631"}}}})[0]
              .status == Status::fail);
    // The target's minimum wins over the table.
    auto fs = firmware_of(policy, {{"model", "AP9631"}, {"firmware", "v6.9.0"}},
                          {{"firmware", {{"minimum", "7.0.4"}}}});
    CHECK(fs[0].status == Status::fail);
    CHECK(fs[0].evidence["minimum_from"] == "firmware.minimum");
    // A device record's firmware wins over the policy's version.
    CHECK(firmware_of(policy, {{"model", "AP9631"}, {"firmware", "v6.9.0"}},
                      {{"firmware", {{"version", "v1.0"}}}})[0]
              .status == Status::pass);
}
