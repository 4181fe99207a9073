#include "discover/identify.hpp"

#include <catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

using namespace dce::discover;

namespace {

// The sysDescr the lab's recordings carry, read from the file so the test and the lab
// cannot drift apart.
std::string recorded_sys_descr(const std::string& recording) {
    std::ifstream f(std::string(DCE_TEST_SOURCE_DIR) + "/lab/recordings/" + recording + ".snmprec");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("1.3.6.1.2.1.1.1.0|4|", 0) == 0) return line.substr(20);
    }
    return {};
}

}  // namespace

TEST_CASE("enterprise numbers name the data-centre vendors", "[identify]") {
    CHECK(enterprise_vendor(318) == "APC by Schneider Electric");
    CHECK(enterprise_vendor(5528) == "NetBotz (APC)");
    CHECK(enterprise_vendor(52674) == "Schneider Electric (NetBotz)");
    CHECK(enterprise_vendor(8072) == "net-snmp");
    CHECK(enterprise_vendor(9) == "Cisco");
    CHECK(enterprise_vendor(534) == "Eaton");
    CHECK(enterprise_vendor(2636) == "Juniper");
    CHECK(enterprise_vendor(11) == "HP");
    CHECK_FALSE(enterprise_vendor(0).has_value());
    CHECK_FALSE(enterprise_vendor(4294967295u).has_value());
    CHECK_FALSE(enterprise_vendor(319).has_value());
}

TEST_CASE("enterprise number of an OID", "[identify]") {
    CHECK(enterprise_of_oid("1.3.6.1.4.1.318.1.3.2.12") == 318u);
    CHECK(enterprise_of_oid(".1.3.6.1.4.1.52674.500.20.10.1") == 52674u);
    CHECK(enterprise_of_oid("1.3.6.1.4.1.9") == 9u);
    CHECK_FALSE(enterprise_of_oid("1.3.6.1.2.1.33").has_value());
    CHECK_FALSE(enterprise_of_oid("1.3.6.1.4.1.").has_value());
    CHECK_FALSE(enterprise_of_oid("1.3.6.1.4.1.31x8").has_value());
    CHECK_FALSE(enterprise_of_oid("1.3.6.1.4.1.99999999999999").has_value());
    CHECK_FALSE(enterprise_of_oid("").has_value());
}

TEST_CASE("enterprise number of an SNMPv3 engine ID", "[identify]") {
    CHECK(enterprise_of_engine_id("8000013e0300c0b7123456") == 318u);       // APC, MAC format
    CHECK(enterprise_of_engine_id("80001f8880e9630c2a6a1d3b5e") == 8072u);  // net-snmp
    CHECK(enterprise_of_engine_id("800015980300c0b7000005") == 5528u);
    CHECK(enterprise_of_engine_id("8000CDC20300C0B7000006") == 52674u);  // upper-case hex
    CHECK(enterprise_of_engine_id("0x800002160300c0b7000007") == 534u);
    // RFC 1910 format: the top bit clear, the first four octets are the enterprise.
    CHECK(enterprise_of_engine_id("000000090a0b0c0d0e0f") == 9u);
    CHECK_FALSE(enterprise_of_engine_id("8000").has_value());
    CHECK_FALSE(enterprise_of_engine_id("80zz013e03").has_value());
    CHECK_FALSE(enterprise_of_engine_id("").has_value());
}

TEST_CASE("APC management card sysDescr fields", "[identify]") {
    auto f = parse_apc_sysdescr(
        "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2 PN:apc_hw05_aos_682.bin AF1:v6.8.2 "
        "AN1:apc_hw05_sumx_682.bin MN:AP9631 HR:05 SN: ZA1234567890 MD:04/18/2022) "
        "(Embedded PowerNet SNMP Agent SW v2.2 compatible)");
    CHECK(f["MB"] == "v4.1.0");
    CHECK(f["PF"] == "v6.8.2");
    CHECK(f["PN"] == "apc_hw05_aos_682.bin");
    CHECK(f["AF1"] == "v6.8.2");
    CHECK(f["AN1"] == "apc_hw05_sumx_682.bin");
    CHECK(f["MN"] == "AP9631");
    CHECK(f["HR"] == "05");
    CHECK(f["SN"] == "ZA1234567890");  // the card writes "SN: " with a space
    CHECK(f["MD"] == "04/18/2022");
    CHECK(f.size() == 9);

    SECTION("the old AP9606 agent's comma list") {
        auto g = parse_apc_sysdescr(
            "APC Embedded PowerNet SNMP Agent (SW v2.2, HW vB2, Mod: AP9606, "
            "Mfg 08/10/99, SN: WA9932003242, Agent Loaded: v3.3.1)");
        CHECK(g["MN"] == "AP9606");
        CHECK(g["SN"] == "WA9932003242");
    }
    SECTION("text that is not a card list gives nothing") {
        CHECK(parse_apc_sysdescr("Linux host 6.1.0-13-amd64 #1 SMP (2023-09-29) x86_64").empty());
        CHECK(parse_apc_sysdescr("").empty());
        CHECK(parse_apc_sysdescr("(((((").empty());
        CHECK(parse_apc_sysdescr("APC (MN:").size() == 1);
    }
}

TEST_CASE("identity from the lab's recordings", "[identify]") {
    SECTION("Smart-UPS on AP9631") {
        auto d = recorded_sys_descr("apc-smartups");
        REQUIRE_FALSE(d.empty());
        auto id = identify_from_system("1.3.6.1.4.1.318.1.3.2.12", d, std::nullopt);
        CHECK(id.vendor == "APC by Schneider Electric");
        CHECK(id.card_model == "AP9631");
        CHECK(id.card_serial == "ZA1234567890");
        CHECK(id.card_firmware == "v6.8.2");
        CHECK(id.device_class == "ups");
    }
    SECTION("rPDU2 AP8941 and legacy AP7900 are PDUs") {
        auto id = identify_from_system("1.3.6.1.4.1.318.1.3.4.6", recorded_sys_descr("apc-rpdu2"),
                                       std::nullopt);
        CHECK(id.card_model == "AP8941");
        CHECK(id.serial == "5A1234E56789");
        CHECK(id.device_class == "pdu");
        auto old = identify_from_system("1.3.6.1.4.1.318.1.3.4.5",
                                        recorded_sys_descr("apc-rpdu-legacy"), std::nullopt);
        CHECK(old.card_model == "AP7900");
        CHECK(old.device_class == "pdu");
    }
    SECTION("NetBotz 450 and 750 are sensors") {
        auto nb = identify_from_system("1.3.6.1.4.1.5528.100.20.10.2013",
                                       recorded_sys_descr("netbotz-450"), std::nullopt);
        CHECK(nb.vendor == "NetBotz (APC)");
        CHECK(nb.model == "NetBotz 450");
        CHECK(nb.firmware == "4.7.0");
        CHECK(nb.device_class == "sensor");
        auto nb7 = identify_from_system("1.3.6.1.4.1.52674.500.20.10.1",
                                        recorded_sys_descr("netbotz-750"), std::nullopt);
        CHECK(nb7.vendor == "Schneider Electric (NetBotz)");
        CHECK(nb7.model == "NetBotz 750");
        CHECK(nb7.device_class == "sensor");
    }
    SECTION("Juniper switch") {
        auto id = identify_from_system("1.3.6.1.4.1.2636.1.1.1.2.132", recorded_sys_descr("switch"),
                                       std::nullopt);
        CHECK(id.vendor == "Juniper");
        CHECK(id.model == "ex2300-24t");
        CHECK(id.firmware == "JUNOS 21.4R3-S4.9");
        CHECK(id.device_class == "network");
    }
    SECTION("Eaton on UPS-MIB") {
        auto id = identify_from_system("1.3.6.1.4.1.534.1", recorded_sys_descr("eaton-ups"),
                                       std::nullopt);
        CHECK(id.vendor == "Eaton");
        CHECK(id.model == "Eaton 5PX 1500");
        CHECK(guess_class("1.3.6.1.4.1.534.1", "", true) == "ups");
        CHECK(guess_class("1.3.6.1.4.1.534.1", "", false) == "unknown");
    }
    SECTION("the engine ID names the vendor when sysObjectID does not") {
        auto id = identify_from_system("", "", 8072u);
        CHECK(id.vendor == "net-snmp");
        CHECK(id.device_class == "unknown");
    }
    SECTION("net-snmp on Linux") {
        auto id = identify_from_system(
            "1.3.6.1.4.1.8072.3.2.10",
            "Linux lab 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 x86_64", std::nullopt);
        CHECK(id.vendor == "net-snmp");
        CHECK(id.model == "Linux");
        CHECK(id.firmware == "6.1.0-13-amd64");
    }
}

TEST_CASE("hostile sysDescr is bounded", "[identify]") {
    std::string big(1 << 20, 'A');
    big.insert(0, "APC Web/SNMP Management Card (MN:");
    auto id = identify_from_system("1.3.6.1.4.1.318", big, std::nullopt);
    CHECK(id.card_model.size() <= 2048);
    std::string nb = "NetBotz " + std::string(100000, '9');
    CHECK_NOTHROW(identify_from_system("", nb, std::nullopt));
}
