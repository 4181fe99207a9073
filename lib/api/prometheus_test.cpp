// Unit tests of the Prometheus subset: the selector parser, number-literal arithmetic,
// name and label mapping, step evaluation with lookback over known samples in an
// in-memory store, and the routes' envelopes, without sockets.
#include "api/prometheus.hpp"

#include <catch.hpp>

using namespace dce::api;
using namespace dce::api::prom;
using dce::Json;

namespace {

// t0 = 2026-11-30T00:00:00Z
constexpr std::int64_t t0 = 1795996800000;

std::string at(std::int64_t ms) {
    return dce::store::format_ms(ms);
}

std::unique_ptr<dce::store::Db> store_with(const std::vector<Json>& recs) {
    std::string error;
    auto db = dce::store::open_sqlite(":memory:", {}, error);
    REQUIRE(db);
    REQUIRE(dce::store::migrate(*db, error));
    std::vector<dce::store::Row> rows(recs.size());
    for (std::size_t i = 0; i < recs.size(); ++i)
        REQUIRE(dce::store::to_row(recs[i], "", rows[i], error));
    dce::store::Counts counts;
    dce::store::Writer w(*db);
    REQUIRE(w.write(rows, counts, error));
    return db;
}

Json reading(std::int64_t ms, std::string device, std::string metric, Json value,
             std::string site = "paris", Json labels = nullptr) {
    Json r = {{"type", "reading"},
              {"ts", at(ms)},
              {"device", device},
              {"metric", metric},
              {"value", value}};
    if (!site.empty()) r["site"] = site;
    if (!labels.is_null()) r["labels"] = labels;
    return r;
}

Selector sel(std::string_view text) {
    Selector s;
    std::string error;
    INFO(text);
    REQUIRE(parse_selector(text, s, error));
    return s;
}

std::string refusal(std::string_view text) {
    Selector s;
    std::string error;
    INFO(text);
    CHECK_FALSE(parse_selector(text, s, error));
    CHECK_FALSE(error.empty());
    return error;
}

struct Bound : Authenticator {
    std::optional<std::string> site = "paris";
    bool authenticate(std::string_view, Principal& who) override {
        who.client = "grafana";
        who.scopes = {"read:readings"};
        who.site = site;
        return true;
    }
};

Response call(Router& r, Authenticator& auth, std::string method, std::string target,
              std::string body = {}) {
    Request req;
    req.method = method;
    req.target = target;
    std::string error;
    REQUIRE(parse_target(target, req.path, req.query, error));
    req.headers["authorization"] = "Bearer x";
    req.body = body;
    return r.dispatch(req, auth);
}

}  // namespace

TEST_CASE("prometheus selectors: the four matchers and __name__", "[prometheus]") {
    auto s = sel(R"(dce_ups_load{device="a",site!="lyon",ifName=~"eth.*",x!~"lo|dummy"})");
    REQUIRE(s.matchers.size() == 5);
    CHECK(s.matchers[0].name == "__name__");
    CHECK(s.matchers[0].value == "dce_ups_load");
    CHECK(s.matchers[1].op == MatchOp::eq);
    CHECK(s.matchers[2].op == MatchOp::ne);
    CHECK(s.matchers[3].op == MatchOp::re);
    CHECK(s.matchers[4].op == MatchOp::nre);
    LabelSet l{
        {"__name__", "dce_ups_load"}, {"device", "a"}, {"site", "paris"}, {"ifName", "eth0"}};
    CHECK(s.matches(l));
    l["ifName"] = "xeth0";  // regular expressions are anchored
    CHECK_FALSE(s.matches(l));
    l["ifName"] = "eth1";
    l["x"] = "lo";
    CHECK_FALSE(s.matches(l));

    auto n = sel(R"({__name__="dce_a", device=~"d.*",})");  // trailing comma, spaces
    CHECK(n.matchers.size() == 2);
    CHECK(sel("  dce_a  ").matchers.size() == 1);
    CHECK(sel("dce_a{}").matchers.size() == 1);
    CHECK(sel("dce_a # a comment\n").matchers.size() == 1);
    CHECK(sel("ns:rule_a").matchers[0].value == "ns:rule_a");
}

TEST_CASE("prometheus selectors: PromQL string escapes", "[prometheus]") {
    CHECK(sel(R"({a="x\"y\\z\n"})").matchers[0].value == "x\"y\\z\n");
    CHECK(sel(R"({a='it\'s'})").matchers[0].value == "it's");
    CHECK(sel(R"({a="\x41\101\u00e9\U0001F600"})").matchers[0].value ==
          "AA\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(sel("{a=`raw\\n\"`}").matchers[0].value == "raw\\n\"");
    CHECK_THAT(refusal(R"({a="\q"})"), Catch::Contains("unknown escape"));
    CHECK_THAT(refusal(R"({a="\xZZ"})"), Catch::Contains("hexadecimal"));
    CHECK_THAT(refusal(R"({a="\uD800"})"), Catch::Contains("Unicode"));
    CHECK_THAT(refusal(R"({a="\400"})"), Catch::Contains("octal"));
    CHECK_THAT(refusal(R"({a='x\"'})"), Catch::Contains("unknown escape"));
    CHECK_THAT(refusal(R"({a="open})"), Catch::Contains("unterminated"));
    CHECK_THAT(refusal("{a=\"new\nline\"}"), Catch::Contains("newline"));
}

TEST_CASE("prometheus selectors: what is refused, and why", "[prometheus]") {
    CHECK_THAT(refusal(""), Catch::Contains("empty"));
    CHECK_THAT(refusal("rate(dce_a[5m])"), Catch::Contains("only series selectors"));
    CHECK_THAT(refusal("dce_a[5m]"), Catch::Contains("range vector"));
    CHECK_THAT(refusal("dce_a + dce_b"), Catch::Contains("only series selectors"));
    CHECK_THAT(refusal("dce_a offset 5m"), Catch::Contains("only series selectors"));
    CHECK_THAT(refusal("sum(dce_a)"), Catch::Contains("only series selectors"));
    CHECK_THAT(refusal(R"({a=""})"), Catch::Contains("non-empty matcher"));
    CHECK_THAT(refusal(R"({a=~".*"})"), Catch::Contains("non-empty matcher"));
    CHECK_THAT(refusal(R"(dce_a{__name__="dce_b"})"), Catch::Contains("twice"));
    CHECK_THAT(refusal(R"({a=~"("})"), Catch::Contains("invalid regular expression"));
    CHECK_THAT(refusal(R"({a=="x"})"), Catch::Contains("quoted"));
    CHECK_THAT(refusal(R"({a="x" b="y"})"), Catch::Contains("expected , or }"));
    CHECK_THAT(refusal(R"({="x"})"), Catch::Contains("label name"));
    CHECK_THAT(refusal(R"({a<"x"})"), Catch::Contains("expected =, !=, =~ or !~"));
    CHECK_THAT(refusal(std::string(max_query_bytes + 1, 'a')), Catch::Contains("longer"));
    CHECK_THAT(refusal("{a=~\"" + std::string(max_regex_bytes + 1, 'a') + "\"}"),
               Catch::Contains("longer"));
    CHECK_THAT(refusal(R"({a=~"x{1000}{1000}"})"), Catch::Contains("invalid regular expression"));
    CHECK(sel(R"({a=~"[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}"})").matchers[0].matches("10.1.22"));
    std::string many = "dce_a{";
    for (std::size_t i = 0; i <= max_matchers; ++i)
        many += "l" + std::to_string(i) + "=\"v\",";
    CHECK_THAT(refusal(many + "}"), Catch::Contains("more than"));
}

TEST_CASE("prometheus: number-literal arithmetic (Grafana's 1+1)", "[prometheus]") {
    CHECK(parse_scalar("1+1") == 2.0);
    CHECK(parse_scalar(" 2 * 3 + 1 ") == 7.0);
    CHECK(parse_scalar("-(2*3.5)/7") == -1.0);
    CHECK(parse_scalar("7 % 4") == 3.0);
    CHECK_FALSE(parse_scalar("dce_a"));
    CHECK_FALSE(parse_scalar("1 + dce_a"));
    CHECK_FALSE(parse_scalar("(1"));
    CHECK_FALSE(parse_scalar(std::string(200, '(') + "1" + std::string(200, ')')));
}

TEST_CASE("prometheus: names and labels as dce-poll --format prometheus", "[prometheus]") {
    CHECK(metric_name("ups.battery.charge") == "dce_ups_battery_charge");
    CHECK(metric_name("if-in.octets") == "dce_if_in_octets");
    Json r = reading(t0, "snmp://10.1.0.1:161", "if.in", 5, "paris",
                     {{"ifName", "eth0"}, {"if.index", 3}, {"device", "clash"}, {"9x", "y"}});
    LabelSet l = labels_of(r);
    CHECK(l == LabelSet{{"__name__", "dce_if_in"},
                        {"device", "snmp://10.1.0.1:161"},
                        {"site", "paris"},
                        {"ifName", "eth0"},
                        {"if_index", "3"},
                        {"exported_device", "clash"},
                        {"_9x", "y"}});
    CHECK_FALSE(labels_of(reading(t0, "d", "m", 1, "")).count("site"));
    Json state = reading(t0, "d", "ups.status", "online");
    state["raw"] = 2;
    CHECK(labels_of(state).at("state") == "online");
    CHECK(value_of(state) == 2.0);
    CHECK(value_of(reading(t0, "d", "m", true)) == 1.0);
    CHECK_FALSE(value_of(reading(t0, "d", "m", "text")));
}

TEST_CASE("prometheus: times, steps and numbers as Prometheus writes them", "[prometheus]") {
    CHECK(parse_time("1795996800") == t0);
    CHECK(parse_time("1795996800.5") == t0 + 500);
    CHECK(parse_time("2026-11-30T00:00:00Z") == t0);
    CHECK(parse_time("2026-11-30T01:00:00+01:00") == t0);
    CHECK_FALSE(parse_time("yesterday"));
    CHECK_FALSE(parse_time("1e300"));
    CHECK(parse_step("15") == 15000);
    CHECK(parse_step("0.5") == 500);
    CHECK(parse_step("30s") == 30000);
    CHECK(parse_step("1h30m") == 5400000);
    CHECK(parse_step("1d") == 86400000);
    CHECK_FALSE(parse_step("5x"));
    CHECK_FALSE(parse_step("-1"));
    CHECK_FALSE(parse_step(""));
    CHECK(format_time(t0) == "1795996800");
    CHECK(format_time(t0 + 250) == "1795996800.25");
    CHECK(format_time(-1500) == "-1.5");
    CHECK(format_value(17) == "17");
    CHECK(format_value(0.1) == "0.1");
    CHECK(format_value(1e21) == "1000000000000000000000");
    CHECK(format_value(std::nan("")) == "NaN");
    CHECK(format_value(-HUGE_VAL) == "-Inf");
}

TEST_CASE("prometheus: step evaluation takes the newest sample within the lookback",
          "[prometheus]") {
    auto db = store_with(
        {reading(t0, "d1", "ups.load", 1), reading(t0 + 60000, "d1", "ups.load", 2),
         reading(t0 + 120000, "d1", "ups.load", 3), reading(t0, "d2", "ups.load", 7, "lyon"),
         reading(t0 + 60000, "d1", "ups.temp", 30)});
    std::vector<Series> out;
    EvalError err;
    EvalOptions o;
    // Steps every 30 s from 30 s before the first sample to 8 minutes after it.
    REQUIRE(evaluate(*db, std::string("paris"), sel("dce_ups_load"), t0 - 30000, t0 + 480000, 30000,
                     o, out, err));
    REQUIRE(out.size() == 1);
    CHECK(out[0].labels ==
          LabelSet{{"__name__", "dce_ups_load"}, {"device", "d1"}, {"site", "paris"}});
    const auto& p = out[0].points;
    // t0 .. t0+420 s (the last sample, 3 at +120 s, stays for 5 minutes); nothing before t0.
    REQUIRE(p.size() == 15);
    CHECK(p.front().ts == t0);
    CHECK(p[0].value == 1);
    CHECK(p[1].value == 1);  // +30 s
    CHECK(p[2].value == 2);  // +60 s: a sample exactly at the step counts
    CHECK(p[4].value == 3);  // +120 s
    CHECK(p.back().ts == t0 + 420000);
    CHECK(p.back().value == 3);

    SECTION("a shorter lookback leaves gaps") {
        o.lookback_ms = 30000;
        REQUIRE(evaluate(*db, std::string("paris"), sel("dce_ups_load"), t0, t0 + 240000, 60000, o,
                         out, err));
        REQUIRE(out.size() == 1);
        CHECK(out[0].points.size() == 3);  // t0, +60, +120; +180 and +240 are too old
    }
    SECTION("instant evaluation: one step") {
        REQUIRE(evaluate(*db, std::nullopt, sel("dce_ups_load"), t0 + 90000, t0 + 90000, 1, o, out,
                         err));
        REQUIRE(out.size() == 2);  // unbound: both sites, sorted by labels (d1 before d2)
        CHECK(out[0].points.at(0).value == 2);
        CHECK(out[1].labels.at("site") == "lyon");
        CHECK(out[1].points.at(0).value == 7);
    }
    SECTION("site isolation: a site matcher cannot reach another site") {
        REQUIRE(evaluate(*db, std::string("paris"), sel(R"(dce_ups_load{site="lyon"})"), t0,
                         t0 + 60000, 60000, o, out, err));
        CHECK(out.empty());
    }
    SECTION("regex on the name and device") {
        REQUIRE(evaluate(*db, std::string("paris"), sel(R"({__name__=~"dce_ups_.*",device="d1"})"),
                         t0 + 60000, t0 + 60000, 1, o, out, err));
        REQUIRE(out.size() == 2);
        CHECK(out[0].labels.at("__name__") == "dce_ups_load");
        CHECK(out[1].points.at(0).value == 30);
    }
    SECTION("limits: 11,000 steps and the points budget") {
        CHECK_FALSE(
            evaluate(*db, std::nullopt, sel("dce_ups_load"), t0, t0 + 11001000, 1000, o, out, err));
        CHECK(err.status == 400);
        CHECK_THAT(err.message, Catch::Contains("11000 points per timeseries"));
        CHECK_FALSE(
            evaluate(*db, std::nullopt, sel("dce_ups_load"), t0 + 1, t0, 1000, o, out, err));
        CHECK_FALSE(evaluate(*db, std::nullopt, sel("dce_ups_load"), t0, t0, 0, o, out, err));
        o.max_points = 5;
        CHECK_FALSE(
            evaluate(*db, std::nullopt, sel("dce_ups_load"), t0, t0 + 600000, 1000, o, out, err));
        CHECK(err.status == 422);
        CHECK(err.type == "execution");
    }
}

TEST_CASE("prometheus: metrics that map to one name are told apart", "[prometheus]") {
    auto db = store_with(
        {reading(t0, "d1", "a.b", 1), reading(t0, "d1", "a_b", 2), reading(t0, "d2", "a.b", 3)});
    std::vector<Series> out;
    EvalError err;
    REQUIRE(evaluate(*db, std::nullopt, sel("dce_a_b"), t0, t0, 1, {}, out, err));
    REQUIRE(out.size() == 3);
    CHECK(out[0].labels.at("dce_metric") == "a.b");
    CHECK(out[0].points.at(0).value == 1);
    CHECK(out[1].labels.at("dce_metric") == "a_b");
    CHECK(out[1].points.at(0).value == 2);
    CHECK_FALSE(out[2].labels.count("dce_metric"));  // d2 has no twin
    REQUIRE(
        evaluate(*db, std::nullopt, sel(R"(dce_a_b{dce_metric="a_b"})"), t0, t0, 1, {}, out, err));
    CHECK(out.size() == 1);
}

TEST_CASE("prometheus routes: envelopes, GET and POST, site from the token", "[prometheus]") {
    auto db =
        store_with({reading(t0, "d1", "ups.load", 17), reading(t0 + 60000, "d1", "ups.load", 18),
                    reading(t0, "d2", "ups.load", 42, "lyon")});
    Router router;
    add_prometheus_routes(router, *db);
    Bound auth;
    std::string range = "query=dce_ups_load&start=1795996800&end=1795996920&step=60";

    auto get = call(router, auth, "GET", "/api/v1/query_range?" + range);
    REQUIRE(get.status == 200);
    Json j = Json::parse(get.body);
    CHECK(j["status"] == "success");
    CHECK(j["data"]["resultType"] == "matrix");
    REQUIRE(j["data"]["result"].size() == 1);
    CHECK(j["data"]["result"][0]["metric"]["site"] == "paris");
    CHECK(j["data"]["result"][0]["values"].dump() ==
          R"([[1795996800,"17"],[1795996860,"18"],[1795996920,"18"]])");
    auto post = call(router, auth, "POST", "/api/v1/query_range", range);
    CHECK(post.status == 200);
    CHECK(post.body == get.body);

    auto inst = call(router, auth, "POST", "/api/v1/query", "query=dce_ups_load&time=1795996830");
    REQUIRE(inst.status == 200);
    j = Json::parse(inst.body);
    CHECK(j["data"]["resultType"] == "vector");
    CHECK(j["data"]["result"][0]["value"].dump() == R"([1795996830,"17"])");

    auto scalar = call(router, auth, "GET", "/api/v1/query?query=1%2B1&time=4");
    CHECK(scalar.body == R"({"status":"success","data":{"resultType":"scalar","result":[4,"2"]}})");

    auto bad = call(router, auth, "GET", "/api/v1/query?query=rate(dce_ups_load[5m])");
    CHECK(bad.status == 400);
    j = Json::parse(bad.body);
    CHECK(j["status"] == "error");
    CHECK(j["errorType"] == "bad_data");
    CHECK_THAT(j["error"].get<std::string>(), Catch::Contains("only series selectors"));
    CHECK(call(router, auth, "GET", "/api/v1/query?query=x&bogus=1").status == 400);
    CHECK(call(router, auth, "GET", "/api/v1/query?query=x&query=y").status == 400);
    CHECK(call(router, auth, "GET", "/api/v1/query_range?query=x&start=1&end=2").status == 400);
    CHECK(call(router, auth, "GET", "/api/v1/query?query=x&time=soon").status == 400);
    CHECK(
        call(router, auth, "GET", "/api/v1/query_range?query=x&start=0&end=20000&step=1").status ==
        400);

    auto series = call(router, auth, "GET", "/api/v1/series?match[]=%7Bsite%3D%22lyon%22%7D");
    CHECK(series.body == R"({"status":"success","data":[]})");
    series = call(router, auth, "POST", "/api/v1/series", "match[]=dce_ups_load");
    CHECK(
        series.body ==
        R"({"status":"success","data":[{"__name__":"dce_ups_load","device":"d1","site":"paris"}]})");
    CHECK(call(router, auth, "GET", "/api/v1/series").status == 400);
    CHECK(call(router, auth, "GET", "/api/v1/labels?limit=2").body ==
          R"({"status":"success","data":["__name__","device"]})");
    CHECK(call(router, auth, "GET", "/api/v1/series?match[]=dce_ups_load&limit=0").status == 200);
    CHECK(call(router, auth, "GET", "/api/v1/labels?limit=x").status == 400);
    CHECK(call(router, auth, "GET", "/api/v1/labels").body ==
          R"({"status":"success","data":["__name__","device","site"]})");
    CHECK(call(router, auth, "GET", "/api/v1/label/__name__/values").body ==
          R"({"status":"success","data":["dce_ups_load"]})");
    auto info = call(router, auth, "GET", "/api/v1/status/buildinfo");
    CHECK(Json::parse(info.body)["data"]["version"] == DCE_VERSION);

    auth.site.reset();  // an unbound client sees both sites
    j = Json::parse(
        call(router, auth, "GET", "/api/v1/query?query=dce_ups_load&time=1795996800").body);
    CHECK(j["data"]["result"].size() == 2);
}
