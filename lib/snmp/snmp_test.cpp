#include "snmp/snmp.hpp"
#include "snmp/profile.hpp"

#include <catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace dce::snmp;

TEST_CASE("OIDs parse numerically and refuse names", "[snmp]") {
    Oid o;
    REQUIRE(parse_oid("1.3.6.1.2.1.1.1.0", o));
    CHECK(o.size() == 9);
    CHECK(oid_to_string(o) == "1.3.6.1.2.1.1.1.0");
    REQUIRE(parse_oid(".1.3.6", o));
    CHECK(oid_to_string(o) == "1.3.6");
    CHECK_FALSE(parse_oid("sysDescr.0", o));
    CHECK_FALSE(parse_oid("1..3", o));
    CHECK_FALSE(parse_oid("", o));
    CHECK_FALSE(parse_oid("1.3.99999999999", o));
    Oid prefix, full;
    parse_oid("1.3.6.1.4.1.318", prefix);
    parse_oid("1.3.6.1.4.1.318.1.3.2", full);
    CHECK(oid_starts_with(full, prefix));
    parse_oid("1.3.6.1.4.1.3181", full);
    CHECK_FALSE(oid_starts_with(full, prefix));  // whole arcs, not text
}

TEST_CASE("values become JSON with their types kept", "[snmp]") {
    Value v;
    v.type = ValueType::octet_string;
    v.bytes = std::string("Smart-UPS 1500\0\0", 16);
    CHECK(to_json(v) == "Smart-UPS 1500");  // NUL padding dropped
    v.bytes = std::string("\x00\xc0\xb7\x01", 4);
    CHECK(to_json(v) == "0x00c0b701");  // not printable: hex
    v.bytes = "\xff\xfe";
    CHECK(to_json(v) == "0xfffe");  // invalid UTF-8: hex
    Value c;
    c.type = ValueType::counter64;
    c.u = 18446744073709551615ULL;
    CHECK(to_json(c).get<std::uint64_t>() == 18446744073709551615ULL);
    Value e;
    e.type = ValueType::no_such_instance;
    CHECK(e.is_exception());
    CHECK(to_json(e).is_null());
    VarBind vb{{1, 3, 6}, c};
    CHECK(to_json(vb)["type"] == "Counter64");
    Value s;
    s.type = ValueType::octet_string;
    s.bytes = "22.5";
    REQUIRE(s.number());
    CHECK(*s.number() == 22.5);
}

TEST_CASE("engine IDs name their enterprise", "[snmp]") {
    // 0x80 | 318 (APC), format 3 (MAC)
    std::string apc("\x80\x00\x01\x3e\x03\x00\xc0\xb7\x00\x00\x01", 11);
    auto info = parse_engine_id(apc);
    REQUIRE(info.enterprise);
    CHECK(*info.enterprise == 318);
    CHECK(info.engine_id_format == "mac");
    CHECK(info.engine_id == "8000013e0300c0b7000001");
    std::string netsnmp("\x80\x00\x1f\x88\x80\x01\x02\x03\x04", 9);
    CHECK(parse_engine_id(netsnmp).engine_id_format == "netsnmp");
    CHECK(*parse_engine_id(netsnmp).enterprise == 8072);
    CHECK_FALSE(parse_engine_id("ab").enterprise);  // too short: no enterprise claimed
}

TEST_CASE("credentials become security settings, never leaking secrets", "[snmp]") {
    dce::CredentialStore store;
    std::string err;
    REQUIRE(
        store.load_text("[v3]\nkind = snmpv3\nuser = dce\nauth_protocol = SHA-256\nauth_pass = "
                        "authpass1\npriv_protocol = AES-256\npriv_pass = privpass1\n"
                        "[short]\nkind = snmpv3\nuser = x\nauth_protocol = SHA\nauth_pass = abc\n"
                        "[pub]\nkind = community\ncommunity = public\n",
                        "test", err));
    Security sec;
    REQUIRE(security_from_credential(*store.find("v3"), Version::v3, sec, err));
    CHECK(sec.level() == "authPriv");
    CHECK(sec.user == "dce");
    CHECK_FALSE(security_from_credential(*store.find("short"), Version::v3, sec, err));
    CHECK(err.find("abc") == std::string::npos);
    REQUIRE(security_from_credential(*store.find("pub"), Version::v2c, sec, err));
    CHECK(sec.version == Version::v2c);
}

TEST_CASE("profile errors name the file, the JSON path and the problem", "[profile]") {
    Profile p;
    std::vector<std::string> errors;
    auto doc = dce::Json::parse(R"({"profile":"x","class":"ups","metrics":[
        {"metric":"a.b","oid":"sysDescr.0"},
        {"metric":"c","unit":"parsec","oid":"1.3.6.1.2.1.1.3.0","colour":"red"},
        {"metric":"d","oid":"1.3.6","table":"1.3.6.1"}],
        "match":{"sys_descr_regex":"("}})");
    CHECK_FALSE(parse_profile(doc, "x.json", p, errors));
    auto all = [&] {
        std::string s;
        for (auto& e : errors)
            s += e + "\n";
        return s;
    }();
    CHECK(all.find("x.json:$.metrics[0].oid: 'sysDescr.0' is not a numeric OID") !=
          std::string::npos);
    CHECK(all.find("x.json:$.metrics[1].unit: unknown unit 'parsec'") != std::string::npos);
    CHECK(all.find("x.json:$.metrics[1].colour: unknown key") != std::string::npos);
    CHECK(all.find("x.json:$.metrics[2]: needs exactly one of") != std::string::npos);
    CHECK(all.find("x.json:$.match.sys_descr_regex: bad regular expression") != std::string::npos);
}

namespace {

Profile profile_from(const char* json) {
    Profile p;
    std::vector<std::string> errors;
    bool ok = parse_profile(dce::Json::parse(json), "t.json", p, errors);
    for (const auto& e : errors)
        FAIL(e);
    REQUIRE(ok);
    return p;
}

Oid oid(const char* text) {
    Oid o;
    REQUIRE(parse_oid(text, o));
    return o;
}

std::vector<std::string> names(const std::vector<ProfileMatch>& m) {
    std::vector<std::string> out;
    for (const auto& x : m)
        out.push_back(x.profile->name);
    return out;
}

}  // namespace

TEST_CASE("matching: family first, then the tables that answer", "[profile][match]") {
    ProfileSet set;
    // rPDU2 PDU: family APC, confirmed by the phase or device status table.
    set.add(profile_from(R"({"profile":"pdu","class":"pdu","priority":50,
        "match":{"sys_object_id_prefix":["1.3.6.1.4.1.318"],
                 "probe":["1.3.6.1.4.1.318.1.1.26.6.3","1.3.6.1.4.1.318.1.1.26.4.3"]},
        "metrics":[{"metric":"pdu.phase.current","table":"1.3.6.1.4.1.318.1.1.26.6.3.1.5"}]})"));
    // Sensors that any APC device may carry.
    set.add(profile_from(R"({"profile":"uio","class":"sensor","priority":20,
        "match":{"sys_object_id_prefix":["1.3.6.1.4.1.318"],"probe":["1.3.6.1.4.1.318.1.1.25.1.2"]},
        "metrics":[{"metric":"env.temperature","table":"1.3.6.1.4.1.318.1.1.25.1.2.1.6"}]})"));
    // A generic UPS-MIB profile, replaced by the vendor's.
    set.add(profile_from(R"({"profile":"upsmib","class":"ups","priority":10,
        "match":{"probe":["1.3.6.1.2.1.33.1.2"]},
        "metrics":[{"metric":"ups.battery.charge","oid":"1.3.6.1.2.1.33.1.2.4.0"}]})"));
    set.add(profile_from(R"({"profile":"apcups","class":"ups","priority":50,"replaces":["upsmib"],
        "match":{"sys_object_id_prefix":["1.3.6.1.4.1.318"],"probe":["1.3.6.1.4.1.318.1.1.1.2"]},
        "metrics":[{"metric":"ups.battery.charge","oid":"1.3.6.1.4.1.318.1.1.1.2.2.1.0"}]})"));
    set.add(profile_from(R"({"profile":"any","class":"network","priority":1,"last_resort":true,
        "match":{"probe":["1.3.6.1.2.1.1"]},
        "metrics":[{"metric":"system.uptime","oid":"1.3.6.1.2.1.1.3.0"}]})"));
    // Only by name: no match keys at all.
    set.add(profile_from(
        R"({"profile":"byname","metrics":[{"metric":"x","oid":"1.3.6.1.2.1.1.3.0"}]})"));

    SECTION("candidates come from the family; generic ones are always candidates") {
        DeviceFacts apc{.sys_object_id = "1.3.6.1.4.1.318.1.3.4.8"};
        auto c = candidate_profiles(set, apc);
        std::vector<std::string> n;
        for (const auto* p : c)
            n.push_back(p->name);
        CHECK(n == std::vector<std::string>{"pdu", "uio", "upsmib", "apcups", "any"});
        CHECK(probe_oids(c).size() == 6);
        DeviceFacts other{.sys_object_id = "1.3.6.1.4.1.534.6.6.7"};
        CHECK(candidate_profiles(set, other).size() == 2);  // upsmib, any
    }
    SECTION("an AP7900B without ident rows is a PDU because its phase table answers") {
        DeviceFacts f{.sys_object_id = "1.3.6.1.4.1.318.1.3.4.8",
                      .present_oids = {oid("1.3.6.1.4.1.318.1.1.26.6.3"), oid("1.3.6.1.2.1.1")},
                      .probes_checked = true};
        auto m = match_profiles(set, f);
        CHECK(names(m) == std::vector<std::string>{"pdu"});
        CHECK(m[0].reason ==
              "sysObjectID under 1.3.6.1.4.1.318; answers 1.3.6.1.4.1.318.1.1.26.6.3");
    }
    SECTION("several functions: a UPS with a universal-I/O probe gets both, UPS first") {
        DeviceFacts f{
            .sys_object_id = "1.3.6.1.4.1.318.1.3.27",
            .present_oids = {oid("1.3.6.1.4.1.318.1.1.1.2"), oid("1.3.6.1.4.1.318.1.1.25.1.2"),
                             oid("1.3.6.1.2.1.33.1.2"), oid("1.3.6.1.2.1.1")},
            .probes_checked = true};
        // upsmib answered too, but apcups replaces it; `any` is only a last resort.
        CHECK(names(match_profiles(set, f)) == std::vector<std::string>{"apcups", "uio"});
        CHECK(match_profile(set, f)->name == "apcups");
    }
    SECTION("another vendor's UPS gets the generic UPS-MIB profile") {
        DeviceFacts f{.sys_object_id = "1.3.6.1.4.1.534.1",
                      .present_oids = {oid("1.3.6.1.2.1.33.1.2"), oid("1.3.6.1.2.1.1")},
                      .probes_checked = true};
        CHECK(names(match_profiles(set, f)) == std::vector<std::string>{"upsmib"});
    }
    SECTION("an agent that answers none of the tables falls back to the last resort") {
        DeviceFacts f{.sys_object_id = "1.3.6.1.4.1.318.1.3.4.8",
                      .present_oids = {oid("1.3.6.1.2.1.1")},
                      .probes_checked = true};
        CHECK(names(match_profiles(set, f)) == std::vector<std::string>{"any"});
        DeviceFacts silent{.sys_object_id = "1.3.6.1.4.1.318.1.3.4.8", .probes_checked = true};
        CHECK(match_profiles(set, silent).empty());
    }
    SECTION("when the probe round got no answer, the family alone decides") {
        DeviceFacts f{.sys_object_id = "1.3.6.1.4.1.318.1.3.4.8", .probes_checked = false};
        auto n = names(match_profiles(set, f));
        CHECK(std::find(n.begin(), n.end(), "pdu") != n.end());
        CHECK(std::find(n.begin(), n.end(), "byname") == n.end());
    }
    SECTION("a probe whose request timed out leaves that profile to its family") {
        DeviceFacts f{
            .sys_object_id = "1.3.6.1.4.1.318.1.3.4.8",
            .present_oids = {oid("1.3.6.1.2.1.1")},
            .unknown_oids = {oid("1.3.6.1.4.1.318.1.1.26.6.3"), oid("1.3.6.1.4.1.318.1.1.26.4.3")},
            .probes_checked = true};
        auto m = match_profiles(set, f);
        // pdu could not be probed, so it applies; uio and apcups answered "nothing here".
        CHECK(names(m) == std::vector<std::string>{"pdu"});
        CHECK(m[0].reason.find("could not be probed") != std::string::npos);
        // The family cache gives the same answer as computing each reason afresh.
        f.family = family_reasons(set, f);
        CHECK(names(match_profiles(set, f)) == std::vector<std::string>{"pdu"});
    }
    SECTION("sysDescr can make the family too") {
        set.add(profile_from(R"({"profile":"descr","priority":5,
            "match":{"sys_object_id_prefix":["1.3.6.1.4.1.99999"],"sys_descr_regex":"^Acme PDU",
                     "probe":["1.3.6.1.4.1.99999.1"]},
            "metrics":[{"metric":"x","oid":"1.3.6.1.4.1.99999.1.1.0"}]})"));
        DeviceFacts f{.sys_object_id = "1.3.6.1.4.1.8072.3.2.10",
                      .sys_descr = "Acme PDU 2000",
                      .present_oids = {oid("1.3.6.1.4.1.99999.1")},
                      .probes_checked = true};
        auto m = match_profiles(set, f);
        REQUIRE(!m.empty());
        CHECK(m[0].profile->name == "descr");
        CHECK(m[0].reason.rfind("sysDescr matches", 0) == 0);
    }
    SECTION("metrics of several profiles: each metric once") {
        auto ms = set.metrics_of(std::vector<std::string>{"apcups", "uio", "apcups"});
        CHECK(ms.size() == 2);
    }
}

TEST_CASE("profile format: where, decimals_column, labels, probe, replaces", "[profile]") {
    Profile p = profile_from(R"({"profile":"x","mib":"PDU2-MIB","replaces":["y"],
        "match":{"sys_object_id_prefix":"1.3.6.1.4.1.13742","probe":["1.3.6.1.4.1.13742.6.5"]},
        "metrics":[
          {"metric":"pdu.inlet.voltage","unit":"volt","table":"1.3.6.1.4.1.13742.6.5.2.3.1.4",
           "index":["pdu","inlet","sensor_type"],"where":{"index_arc":3,"in":[4]},
           "decimals_column":"1.3.6.1.4.1.13742.6.3.3.4.1.7"},
          {"metric":"ups.output.voltage","unit":"volt","oid":"1.3.6.1.4.1.1.0","labels":{"phase":"1"}},
          {"metric":"env.temperature","unit":"celsius","table":"1.3.6.1.4.1.1.2.1.3",
           "where":{"column":"1.3.6.1.4.1.1.2.1.2","in":[1,2]}}]})");
    CHECK(p.mib == "PDU2-MIB");
    CHECK(p.replaces == std::vector<std::string>{"y"});
    CHECK(p.probes.size() == 1);
    CHECK(p.metrics[0].where_arc == 3);
    CHECK(p.metrics[0].where_in == std::vector<std::int64_t>{4});
    CHECK(!p.metrics[0].decimals_column.empty());
    CHECK(p.metrics[1].labels.at("phase") == "1");
    CHECK(p.metrics[2].has_where());
    auto rec = profile_record(p);
    CHECK(rec["type"] == "profile");
    CHECK(rec["mib"] == "PDU2-MIB");
    CHECK(rec["metrics"].size() == 3);

    std::vector<std::string> errors;
    Profile bad;
    CHECK_FALSE(parse_profile(dce::Json::parse(R"({"profile":"b","match":{"probe":[]},
        "metrics":[{"metric":"m","oid":"1.3.6.1.2.1.1.3.0","where":{"index_arc":1,"in":[1]}},
                   {"metric":"n","table":"1.3.6.1.2.1.2.2.1.8","where":{"index_arc":0,"column":"1.3","in":"x"}}]})"),
                              "b.json", bad, errors));
    std::string all;
    for (const auto& e : errors)
        all += e + "\n";
    CHECK(all.find("$.match.probe: must be a non-empty array") != std::string::npos);
    CHECK(all.find("$.metrics[0].where: only a table metric") != std::string::npos);
    CHECK(all.find("$.metrics[1].where: needs exactly one of") != std::string::npos);
    CHECK(all.find("$.metrics[1].where.in: must be a non-empty array") != std::string::npos);
}

TEST_CASE("every shipped profile loads and says where it comes from", "[profile]") {
    ProfileSet set;
    std::vector<std::string> errors;
    set.load_dir(std::string(DCE_TEST_SOURCE_DIR) + "/profiles", errors);
    for (const auto& e : errors)
        FAIL(e);
    CHECK(set.all().size() >= 8);
    for (const auto& p : set.all()) {
        INFO(p.name);
        CHECK(!p.mib.empty());
        // Never one scalar: profiles are confirmed by the tables that answer.
        CHECK(!p.requires_oid);
    }
    // One vocabulary: these metrics have the same state names on every vendor's device
    // (docs/DEVICES.md), so one query shows a mixed fleet.
    const std::map<std::string, std::set<std::string>> vocabulary = {
        {"ups.output.source",
         {"online", "battery", "bypass", "off", "boost", "trim", "other", "unknown"}},
        {"ups.battery.status", {"normal", "low", "depleted", "unknown", "fault", "not_present"}},
        {"ats.source.selected", {"a", "b", "none", "other", "unknown"}},
    };
    std::set<std::string> vendors_with_source;
    for (const auto& p : set.all())
        for (const auto& m : p.metrics) {
            auto v = vocabulary.find(m.metric);
            if (v == vocabulary.end()) continue;
            INFO(p.name << " " << m.metric);
            CHECK(!m.states.empty());
            for (const auto& [raw, name] : m.states)
                CHECK(v->second.count(name) == 1);
            if (m.metric == "ups.output.source") vendors_with_source.insert(p.name);
        }
    for (const char* name : {"apc-ups", "eaton-xups", "ups-mib", "cyberpower-ups"})
        CHECK(vendors_with_source.count(name) == 1);
    // A device that answers nothing but the system group is still polled (mib2).
    DeviceFacts sw{.sys_object_id = "1.3.6.1.4.1.2636.1.1.1.2.132",
                   .present_oids = {oid("1.3.6.1.2.1.1")},
                   .probes_checked = true};
    REQUIRE(match_profile(set, sw));
    CHECK(match_profile(set, sw)->name == "mib2");
}

TEST_CASE("a profile directory added later overrides by name", "[profile]") {
    auto dir = std::filesystem::temp_directory_path() / "dce-profile-test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream f(dir / "mib2.json");
        f << R"({"profile":"mib2","class":"network","metrics":[{"metric":"x","oid":"1.3.6.1.2.1.1.3.0"}]})";
        std::ofstream g(dir / "broken.json");
        g << "{ not json";
    }
    ProfileSet set;
    std::vector<std::string> errors;
    set.load_dir(std::string(DCE_TEST_SOURCE_DIR) + "/profiles", errors);
    set.load_dir(dir.string(), errors);
    CHECK(set.find("mib2")->metrics.size() == 1);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("broken.json: not valid JSON") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("answers from the network decode, garbage is refused", "[snmp]") {
    std::ifstream f(
        std::string(DCE_TEST_SOURCE_DIR) + "/fuzz/corpus/fuzz_snmp_message/counter64-endofmib",
        std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    DecodedMessage m;
    REQUIRE(decode_community_message(bytes, m));
    CHECK(m.version == 1);
    CHECK(m.pdu_type == 0xa2);
    REQUIRE(m.varbinds.size() == 2);
    CHECK(m.varbinds[0].value.type == ValueType::counter64);
    CHECK(m.varbinds[0].value.u == 0xffffffffffffffffULL);
    CHECK(m.varbinds[1].value.type == ValueType::end_of_mib_view);
    CHECK_FALSE(decode_community_message(bytes.substr(0, bytes.size() / 2), m));
    CHECK_FALSE(decode_community_message("\x30\x03\x02\x01", m));
    CHECK_FALSE(decode_community_message("", m));
}
