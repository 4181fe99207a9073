#include "poll/poll.hpp"

#include <catch.hpp>

using namespace dce;
using namespace dce::poll;

namespace {
snmp::Value integer(std::int64_t i) {
    snmp::Value v;
    v.type = snmp::ValueType::integer;
    v.i = i;
    return v;
}
snmp::Value gauge(std::uint64_t u, snmp::ValueType t = snmp::ValueType::gauge32) {
    snmp::Value v;
    v.type = t;
    v.u = u;
    return v;
}
}  // namespace

TEST_CASE("values are scaled, TimeTicks become seconds, states map", "[poll]") {
    snmp::MetricDef m;
    Json value, raw;
    REQUIRE(convert_value(m, 0.1, gauge(2301), value, raw));
    CHECK(value.get<double>() == 230.1);  // rounded, not 230.10000000000002
    REQUIRE(convert_value(m, 1.0, gauge(270000, snmp::ValueType::timeticks), value, raw));
    CHECK(value == 2700);
    REQUIRE(convert_value(m, 0.1, gauge(150, snmp::ValueType::timeticks), value, raw));
    CHECK(value.get<double>() == 1.5);  // the profile's scale does not apply to TimeTicks
    m.states = {{1, "on"}, {2, "off"}};
    REQUIRE(convert_value(m, 1.0, integer(1), value, raw));
    CHECK(value == "on");
    CHECK(raw == 1);
    REQUIRE(convert_value(m, 1.0, integer(7), value, raw));
    CHECK(value == "unknown");
    m.states.clear();
    m.invalid = {-1};
    CHECK_FALSE(convert_value(m, 1.0, integer(-1), value, raw));
    snmp::Value missing;
    missing.type = snmp::ValueType::no_such_object;
    CHECK_FALSE(convert_value(m, 1.0, missing, value, raw));
}

TEST_CASE("the fast reading serializer writes what to_record does", "[poll]") {
    Reading r;
    r.device = "snmp://127.0.0.1:161";
    r.metric = "pdu.outlet.state";
    r.value = "on";
    r.raw = 2;
    r.unit = "";
    r.labels = {{"outlet", "1"}, {"name", "db \"01\"\n\x01"}};
    r.source = "1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.1";
    r.snmp_type = "Integer32";
    Json rec = to_record(r, "paris");
    std::string fast;
    append_reading_json(fast, r, rec["ts"].get<std::string>(), "paris");
    CHECK(Json::parse(fast) == rec);
    r.value = 230.1;
    r.raw = nullptr;
    r.unit = "volt";
    rec = to_record(r, "");
    fast.clear();
    append_reading_json(fast, r, rec["ts"].get<std::string>(), "");
    CHECK(Json::parse(fast) == rec);
}

TEST_CASE("OpenMetrics groups families, escapes labels and ends with # EOF", "[poll]") {
    Reading a{.device = "snmp://h:161",
              .metric = "ups.input.voltage",
              .unit = "volt",
              .source = "1",
              .snmp_type = "Gauge32",
              .value = 230.1};
    Reading b{.device = "snmp://h:161",
              .metric = "net.if.in_octets",
              .unit = "octet",
              .source = "2",
              .snmp_type = "Counter64",
              .value = 12345};
    b.labels = {{"name", "ge-0/0/0 \"uplink\"\\"}};
    Reading c = a;
    c.device = "snmp://g:161";
    Reading s{.device = "snmp://h:161",
              .metric = "ups.output.status",
              .source = "3",
              .snmp_type = "Integer32",
              .value = "onLine",
              .raw = 2};
    auto text = to_openmetrics({a, b, c, s});
    CHECK(text.find("# TYPE dce_ups_input_voltage gauge\n") != std::string::npos);
    CHECK(text.find("# TYPE dce_net_if_in_octets counter\n") != std::string::npos);
    CHECK(text.find("dce_net_if_in_octets_total{device=\"snmp://h:161\",name=\"ge-0/0/0 "
                    "\\\"uplink\\\"\\\\\"} 12345\n") != std::string::npos);
    CHECK(text.find("dce_ups_output_status{device=\"snmp://h:161\",state=\"onLine\"} 2\n") !=
          std::string::npos);
    // both voltage samples under the one TYPE line, before the next family
    auto t1 = text.find("# TYPE dce_ups_input_voltage");
    auto g = text.find("dce_ups_input_voltage{device=\"snmp://g:161\"}");
    auto t2 = text.find("# TYPE dce_net_if_in_octets");
    CHECK((t1 < g && g < t2));
    CHECK(text.size() >= 6);
    CHECK(text.substr(text.size() - 6) == "# EOF\n");
}

TEST_CASE("InfluxDB line protocol escapes tags and strings", "[poll]") {
    Reading r{.device = "snmp://h:161",
              .metric = "pdu.outlet.state",
              .source = "1",
              .snmp_type = "Integer32",
              .value = "on \"x\"",
              .raw = 2};
    r.labels = {{"name", "db-01 PSU1,a=b"}, {"empty", ""}};
    auto line = to_influx({r}, 1700000000000000000);
    CHECK(line ==
          "pdu.outlet.state,device=snmp://h:161,name=db-01\\ PSU1\\,a\\=b value=\"on "
          "\\\"x\\\"\",raw=2i "
          "1700000000000000000\n");
    Reading v{.device = "d",
              .metric = "ups.input.voltage",
              .unit = "volt",
              .source = "1",
              .value = 230.5};
    CHECK(to_influx({v}, 1) == "ups.input.voltage,device=d,unit=volt value=230.5 1\n");
}
