#include "snmp/snmp.hpp"
#include "snmp/profile.hpp"

#include <catch.hpp>

#include <filesystem>
#include <fstream>

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

TEST_CASE("every shipped profile loads, and matching picks the right one", "[profile]") {
    ProfileSet set;
    std::vector<std::string> errors;
    set.load_dir(std::string(DCE_TEST_SOURCE_DIR) + "/profiles", errors);
    for (const auto& e : errors)
        FAIL(e);
    for (const char* name : {"apc-ups", "apc-pdu", "apc-pdu-legacy", "apc-env", "netbotz",
                             "netbotz-750", "ups-mib", "mib2"})
        CHECK(set.find(name));
    CHECK(set.metrics_of("apc-ups").size() > set.find("apc-ups")->metrics.size());  // also: apc-env

    DeviceFacts ups{.sys_object_id = "1.3.6.1.4.1.318.1.3.2.12",
                    .sys_descr = "APC Web/SNMP Management Card (MN:AP9631)"};
    Oid model, rpdu2, legacy, upsmib, sysoid;
    parse_oid("1.3.6.1.4.1.318.1.1.1.1.1.1.0", model);
    parse_oid("1.3.6.1.4.1.318.1.1.26.2.1.1.1.1", rpdu2);
    parse_oid("1.3.6.1.4.1.318.1.1.12.1.1.0", legacy);
    parse_oid("1.3.6.1.2.1.33.1.1.1.0", upsmib);
    parse_oid("1.3.6.1.2.1.1.2.0", sysoid);
    ups.requires_checked = true;
    ups.present_oids = {model, upsmib, sysoid};
    REQUIRE(match_profile(set, ups));
    CHECK(match_profile(set, ups)->name == "apc-ups");

    DeviceFacts pdu{.sys_object_id = "1.3.6.1.4.1.318.1.3.4.6",
                    .present_oids = {rpdu2, sysoid},
                    .requires_checked = true};
    CHECK(match_profile(set, pdu)->name == "apc-pdu");
    DeviceFacts old{.sys_object_id = "1.3.6.1.4.1.318.1.3.4.5",
                    .present_oids = {legacy, sysoid},
                    .requires_checked = true};
    CHECK(match_profile(set, old)->name == "apc-pdu-legacy");
    DeviceFacts eaton{.sys_object_id = "1.3.6.1.4.1.534.1",
                      .present_oids = {upsmib, sysoid},
                      .requires_checked = true};
    CHECK(match_profile(set, eaton)->name == "ups-mib");
    DeviceFacts nb{.sys_object_id = "1.3.6.1.4.1.5528.100.20.10.2013",
                   .present_oids = {sysoid},
                   .requires_checked = true};
    CHECK(match_profile(set, nb)->name == "netbotz");
    DeviceFacts sw{.sys_object_id = "1.3.6.1.4.1.2636.1.1.1.2.132",
                   .present_oids = {sysoid},
                   .requires_checked = true};
    CHECK(match_profile(set, sw)->name == "mib2");
    CHECK(required_oids(set).size() >= 5);
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
