#include "core/record.hpp"

#include <catch.hpp>

using dce::Json;

namespace {
Json minimal_device() {
    Json d = dce::new_record("device");
    d["id"] = "snmp://127.0.0.1:161";
    d["target"] = "127.0.0.1";
    d["transport"] = "snmp";
    return d;
}
}  // namespace

TEST_CASE("new_record carries type and a millisecond UTC timestamp") {
    Json r = dce::new_record("reading");
    CHECK(r["type"] == "reading");
    std::string ts = r["ts"];
    REQUIRE(ts.size() == 24);
    CHECK(ts.back() == 'Z');
    CHECK(ts[19] == '.');
}

TEST_CASE("check_record enforces required fields and types") {
    std::string why;
    Json r = dce::new_record("reading");
    CHECK_FALSE(dce::check_record(r, why));
    CHECK(why == "missing field \"device\"");
    r["device"] = "snmp://127.0.0.1:161";
    r["metric"] = "ups.battery.charge";
    r["value"] = 97;
    CHECK(dce::check_record(r, why));
    r["labels"] = "not an object";
    CHECK_FALSE(dce::check_record(r, why));
    CHECK(why.find("labels") != std::string::npos);
    r.erase("labels");
    r["ts"] = "yesterday";
    CHECK_FALSE(dce::check_record(r, why));
    CHECK(why.find("RFC 3339") != std::string::npos);
}

TEST_CASE("check_record lets unknown types through but not non-objects") {
    std::string why;
    Json future = {{"type", "metric-v2"}, {"ts", "2026-11-22T07:30:00.123Z"}};
    CHECK(dce::check_record(future, why));
    CHECK_FALSE(dce::check_record(Json::array(), why));
    CHECK_FALSE(dce::check_record(Json{{"ts", "2026-11-22T07:30:00.123Z"}}, why));
}

TEST_CASE("nested fields are checked and appear nested in the schema") {
    std::string why;
    Json d = minimal_device();
    d["snmp"] = {{"version", 3}};
    CHECK_FALSE(dce::check_record(d, why));
    CHECK(why == "field \"snmp.version\" should be of type string");
    d["snmp"]["version"] = "v3";
    CHECK(dce::check_record(d, why));

    Json schema = dce::record_schema(*dce::find_record_spec("device"));
    CHECK(schema["properties"]["snmp"]["type"] == "object");
    CHECK(schema["properties"]["snmp"]["properties"]["version"]["enum"] ==
          Json({"v1", "v2c", "v3"}));
    CHECK(schema["required"] == Json({"type", "ts", "id", "target", "transport"}));
}

TEST_CASE("findings serialize with their enums as strings") {
    dce::Finding f{.tool = "dce-upgrade-verify",
                   .check = "digest-match",
                   .target = "fw.bin",
                   .status = dce::Status::fail,
                   .severity = dce::Severity::high,
                   .message = "mismatch"};
    Json r = dce::to_record(f);
    std::string why;
    CHECK(dce::check_record(r, why));
    CHECK(r["status"] == "fail");
    CHECK(r["severity"] == "high");
}

TEST_CASE("a device port outside 1-65535 is refused, never wrapped") {
    std::string why;
    Json d = minimal_device();
    for (long long good : {1LL, 161LL, 65535LL}) {
        d["port"] = good;
        CHECK(dce::check_record(d, why));
    }
    for (long long bad : {0LL, -1LL, 65536LL, 70000LL}) {
        d["port"] = bad;
        CHECK_FALSE(dce::check_record(d, why));
        CHECK(why == "field \"port\" should be from 1 to 65535");
    }
    d["port"] = 18446744073709551615ULL;
    CHECK_FALSE(dce::check_record(d, why));
    CHECK(dce::record_schema(*dce::find_record_spec("device"))["properties"]["port"]["maximum"] ==
          65535);
}
