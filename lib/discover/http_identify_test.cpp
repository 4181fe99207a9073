#include "discover/http_identify.hpp"

#include <catch.hpp>

using namespace dce::discover;

TEST_CASE("http identity: a NetBotz page is a sensor with its model", "[http]") {
    HttpFacts f;
    f.title = "NetBotz 750 - Rack Monitor";
    f.server = "nginx";
    f.text = "Welcome\nSerial Number: QA1234567890\nFirmware Version: 5.3.1\n";
    auto id = identify_http(f);
    CHECK(id.family == "netbotz");
    CHECK(id.device_class == "sensor");
    CHECK(id.vendor == "APC");
    CHECK(id.model == "NetBotz 750");
    CHECK(id.serial == "QA1234567890");
    CHECK(id.firmware == "5.3.1");
    CHECK_FALSE(id.reasons.empty());
}

TEST_CASE("http identity: an NMC's own certificate names the card and its serial", "[http]") {
    HttpFacts f;
    f.title = "Log On";
    f.location = "/logon.htm";
    f.text = "Schneider Electric\nNetwork Management Card\nSmart-UPS SRT 3000\n";
    f.cert_subject_cn = "ZA1234567890";
    f.cert_subject_ou = {"Internally Generated Certificate"};
    auto id = identify_http(f);
    CHECK(id.family == "apc-nmc");
    CHECK(id.serial == "ZA1234567890");
    CHECK(id.vendor == "Schneider Electric");
    CHECK(id.device_class == "ups");
}

TEST_CASE("http identity: a PDU card says pdu, an unknown page stays unknown", "[http]") {
    HttpFacts pdu;
    pdu.title = "Network Management Card";
    pdu.text = "Rack PDU AP8941\n";
    CHECK(identify_http(pdu).device_class == "pdu");

    HttpFacts plain;
    plain.title = "Log On";  // weak alone: many products have a log-on page
    plain.server = "nginx";
    plain.text = "Welcome to nginx!";
    auto id = identify_http(plain);
    CHECK(id.family.empty());
    CHECK(id.device_class == "unknown");
    CHECK(id.vendor.empty());
}

TEST_CASE("html_title and html_text", "[http]") {
    CHECK(html_title("<html><head><TITLE>\n  NetBotz &amp; Co\n</TITLE>") == "NetBotz & Co");
    CHECK(html_title("no title here").empty());
    auto t = html_text("<p>Model: X</p><script>var a='<b>';</script><p>Serial: 1</p>");
    CHECK(t.find("Model: X") != std::string::npos);
    CHECK(t.find("var a") == std::string::npos);
    CHECK(t.find("Serial: 1") != std::string::npos);
}
