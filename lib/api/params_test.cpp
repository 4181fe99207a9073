// Unit tests of the API's shared query parameters (params.hpp).
#include "api/params.hpp"

#include <catch.hpp>

using namespace dce::api;

namespace {

std::optional<std::int64_t> t(std::string_view s) {
    std::string why;
    auto v = parse_time_ms(s, why);
    if (!v) CHECK(!why.empty());
    return v;
}
std::optional<std::int64_t> d(std::string_view s) {
    std::string why;
    auto v = parse_duration_ms(s, why);
    if (!v) CHECK(!why.empty());
    return v;
}
Request with(Params q) {
    Request r;
    r.method = "GET";
    r.path = "/x";
    r.query = std::move(q);
    return r;
}

}  // namespace

TEST_CASE("times: RFC 3339 and Unix seconds with a fraction") {
    CHECK(t("2026-11-30T08:00:00Z") == 1796025600000);
    CHECK(t("2026-11-30T08:00:00.250Z") == 1796025600250);
    CHECK(t("2026-11-30T09:00:00+01:00") == 1796025600000);
    CHECK(t("1796025600") == 1796025600000);
    CHECK(t("1796025600.5") == 1796025600500);
    CHECK(t("1796025600.123456") == 1796025600123);
    CHECK(t("0") == 0);
    for (const char* bad : {"", "now", "1796025600.", ".5", "1.2.3", "-5", "2026-11-30",
                            "2026-11-30T08:00:00", "2026-13-30T08:00:00Z", "1e9", "inf", "nan",
                            "99999999999999999999", "1796025600 ", "0x10"})
        CHECK_FALSE(t(bad));
    CHECK_FALSE(t("9999999999999"));  // beyond year 9999
}

TEST_CASE("durations: Prometheus units, compound, or plain seconds") {
    CHECK(d("30s") == 30000);
    CHECK(d("1m") == 60000);
    CHECK(d("5m") == 300000);
    CHECK(d("1h") == 3600000);
    CHECK(d("1d") == 86400000);
    CHECK(d("2w") == 14LL * 86400000);
    CHECK(d("1y") == 365LL * 86400000);
    CHECK(d("1500ms") == 1500);
    CHECK(d("1h30m") == 5400000);
    CHECK(d("1m30s500ms") == 90500);
    CHECK(d("60") == 60000);
    CHECK(d("0.5") == 500);
    CHECK(d("0.001") == 1);
    for (const char* bad : {"",    "0",    "0s",    "0.0001",        "-1",   "-5m",          "m",
                            "5x",  "1.5m", "30m1h", "1m1m",          "1s1m", "inf",          "nan",
                            "1e3", "5 m",  "5M",    "999999999999y", "200y", "9999999999999"})
        CHECK_FALSE(d(bad));
    CHECK(d("5") == 5000);
}

TEST_CASE("label selectors split at the first =") {
    std::string why;
    auto kv = parse_label("outlet=3", why);
    REQUIRE(kv);
    CHECK(kv->first == "outlet");
    CHECK(kv->second == "3");
    kv = parse_label("expr=a=b", why);
    REQUIRE(kv);
    CHECK(kv->second == "a=b");
    kv = parse_label("empty=", why);
    REQUIRE(kv);
    CHECK(kv->second.empty());
    CHECK_FALSE(parse_label("=v", why));
    CHECK_FALSE(parse_label("novalue", why));
}

TEST_CASE("request forms answer a 400 problem naming the parameter") {
    std::optional<std::int64_t> v;
    CHECK_FALSE(time_param(with({{"since", "1796025600"}}), "since", v));
    CHECK(v == 1796025600000);
    CHECK_FALSE(time_param(with({}), "since", v));
    CHECK_FALSE(v);
    auto bad = time_param(with({{"since", "yesterday"}}), "since", v);
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(bad->content_type == "application/problem+json");
    CHECK(bad->body.find("since") != std::string::npos);
    bad = time_param(with({{"since", "1"}, {"since", "2"}}), "since", v);
    REQUIRE(bad);
    CHECK(bad->body.find("more than once") != std::string::npos);

    CHECK_FALSE(duration_param(with({{"every", "5m"}}), "every", v));
    CHECK(v == 300000);
    CHECK(duration_param(with({{"every", "5q"}}), "every", v));

    std::vector<std::pair<std::string, std::string>> labels;
    CHECK_FALSE(label_params(with({{"label", "a=1"}, {"label", "b=2"}}), "label", labels));
    CHECK(labels.size() == 2);
    CHECK(label_params(with({{"label", "a"}}), "label", labels));

    std::optional<std::string> agg;
    CHECK_FALSE(enum_param(with({{"agg", "max"}}), "agg", {"avg", "min", "max", "last"}, agg));
    CHECK(agg == "max");
    bad = enum_param(with({{"agg", "sum"}}), "agg", {"avg", "min", "max", "last"}, agg);
    REQUIRE(bad);
    CHECK(bad->body.find("avg, min, max, last") != std::string::npos);
    CHECK_FALSE(agg);
    CHECK(enum_param(with({{"agg", "max"}, {"agg", "min"}}), "agg", {"max", "min"}, agg));
}
