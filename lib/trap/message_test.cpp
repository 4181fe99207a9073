#include "trap/message.hpp"

#include <catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace dce::trap;

namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string unhex(std::string_view h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
    return out;
}

// A datagram net-snmp's snmptrap sent, kept as a fuzz seed.
std::string seed(const std::string& name) {
    std::ifstream in(std::string(DCE_TEST_SOURCE_DIR) + "/fuzz/corpus/fuzz_trap_message/" + name,
                     std::ios::binary);
    REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

Oid oid(std::string_view s) {
    Oid o;
    REQUIRE(parse_oid(s, o));
    return o;
}

std::string decode_error(const std::string& packet) {
    Message m;
    std::string error;
    if (decode_message(bytes(packet), m, error)) return "";
    return error;
}

std::string tl(char tag, const std::string& content) {
    std::string out(1, tag);
    if (content.size() < 0x80) {
        out += static_cast<char>(content.size());
    } else {
        out += '\x82';
        out += static_cast<char>(content.size() >> 8);
        out += static_cast<char>(content.size() & 0xFF);
    }
    return out + content;
}

// A v2c trap around one varbind whose value is the TLV `value`; the value's first byte
// is at offset 35 while the lengths fit one byte.
std::string v2c_with_value(const std::string& value) {
    std::string list = tl('\x30', tl('\x30', "\x06\x03\x2b\x06\x01" + value));
    std::string pdu = tl('\xa7', std::string("\x02\x01\x01\x02\x01\x00\x02\x01\x00", 9) + list);
    return tl('\x30', std::string("\x02\x01\x01\x04\x06public", 11) + pdu);
}

Value decode_value(const std::string& tlv, std::string& error) {
    Message m;
    if (!decode_message(bytes(v2c_with_value(tlv)), m, error)) return {};
    REQUIRE(m.pdu.varbinds.size() == 1);
    return m.pdu.varbinds[0].value;
}

Message sample(Version v, PduType type) {
    Message m;
    m.version = v;
    m.community = "public";
    m.pdu.type = type;
    if (type != PduType::trap_v1) {
        m.pdu.request_id = -123456;
        m.pdu.error_status = 2;
        m.pdu.error_index = 1;
    } else {
        m.pdu.enterprise = {1, 3, 6, 1, 4, 1, 318};
        m.pdu.agent_addr = std::string("\x0a\x00\x00\x01", 4);
        m.pdu.generic_trap = 6;
        m.pdu.specific_trap = 5;
        m.pdu.time_stamp = 4294967295u;
    }
    auto add = [&](Oid o, Value v) { m.pdu.varbinds.push_back({std::move(o), std::move(v)}); };
    Value v1;
    v1.type = ValueType::integer;
    v1.i = -2147483648LL;
    Value v2;
    v2.type = ValueType::integer;
    v2.i = 2147483647;
    Value v3;
    v3.type = ValueType::octet_string;
    v3.bytes = std::string("a\0\xff", 3);
    Value v4;
    v4.type = ValueType::null;
    Value v5;
    v5.type = ValueType::object_id;
    v5.oid = {2, 999, 4294967295u, 0};
    Value v6;
    v6.type = ValueType::ip_address;
    v6.bytes = std::string("\xc0\xa8\x00\x01", 4);
    Value v7;
    v7.type = ValueType::counter32;
    v7.u = 4294967295u;
    Value v8;
    v8.type = ValueType::gauge32;
    v8.u = 128;
    Value v9;
    v9.type = ValueType::timeticks;
    v9.u = 0;
    Value v10;
    v10.type = ValueType::opaque;
    v10.bytes = "\x9f\x78\x04\x3f\x80\x00\x00";
    Value v11;
    v11.type = ValueType::counter64;
    v11.u = 18446744073709551615ULL;
    Value v12;
    v12.type = ValueType::no_such_object;
    Value v13;
    v13.type = ValueType::no_such_instance;
    Value v14;
    v14.type = ValueType::end_of_mib_view;
    Value v15;
    v15.type = ValueType::octet_string;
    v15.bytes = std::string(300, 'x');
    int n = 0;
    for (auto* v :
         {&v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15})
        add({1, 3, 6, 1, 4, 1, 99999, static_cast<std::uint32_t>(++n)}, *v);
    return m;
}

void check_same(const Pdu& a, const Pdu& b) {
    CHECK(a.type == b.type);
    CHECK(a.request_id == b.request_id);
    CHECK(a.error_status == b.error_status);
    CHECK(a.error_index == b.error_index);
    CHECK(a.enterprise == b.enterprise);
    CHECK(a.agent_addr == b.agent_addr);
    CHECK(a.generic_trap == b.generic_trap);
    CHECK(a.specific_trap == b.specific_trap);
    CHECK(a.time_stamp == b.time_stamp);
    REQUIRE(a.varbinds.size() == b.varbinds.size());
    for (std::size_t i = 0; i < a.varbinds.size(); ++i) {
        INFO("varbind " << i);
        const auto& x = a.varbinds[i];
        const auto& y = b.varbinds[i];
        CHECK(x.oid == y.oid);
        CHECK(x.value.type == y.value.type);
        CHECK(x.value.i == y.value.i);
        CHECK(x.value.u == y.value.u);
        CHECK(x.value.bytes == y.value.bytes);
        CHECK(x.value.oid == y.value.oid);
    }
}

}  // namespace

TEST_CASE("trap OIDs parse, print and compare by arcs", "[trap][message]") {
    Oid o;
    REQUIRE(parse_oid(".1.3.6.1.4.1.318.0.5", o));
    CHECK(oid_to_string(o) == "1.3.6.1.4.1.318.0.5");
    CHECK_FALSE(parse_oid("1..3", o));
    CHECK_FALSE(parse_oid("1.3.4294967296", o));
    CHECK(parse_oid("1.3.4294967295", o));
    CHECK_FALSE(parse_oid("ifIndex", o));
    CHECK(oid_starts_with(oid("1.3.6.1.4.1.318.1"), oid("1.3.6.1.4.1.318")));
    CHECK_FALSE(oid_starts_with(oid("1.3.6.1.4.1.3181"), oid("1.3.6.1.4.1.318")));
    CHECK(type_name(ValueType::integer) == "Integer32");
    CHECK(type_name(ValueType::octet_string) == "OCTET STRING");
    CHECK(type_name(ValueType::object_id) == "OBJECT IDENTIFIER");
    CHECK(type_name(ValueType::counter64) == "Counter64");
    CHECK(type_name(ValueType::end_of_mib_view) == "endOfMibView");
}

TEST_CASE("an snmptrap v1 trap decodes field by field", "[trap][message]") {
    Message m;
    std::string error;
    auto p = seed("v1-trap");
    REQUIRE(decode_message(bytes(p), m, error));
    CHECK(m.version == Version::v1);
    CHECK(m.community == "public");
    REQUIRE(m.has_pdu);
    CHECK(m.pdu.type == PduType::trap_v1);
    CHECK(oid_to_string(m.pdu.enterprise) == "1.3.6.1.4.1.318");
    CHECK(m.pdu.agent_addr == std::string("\x7f\x00\x00\x01", 4));
    CHECK(m.pdu.generic_trap == 6);
    CHECK(m.pdu.specific_trap == 5);
    REQUIRE(m.pdu.varbinds.size() == 1);
    CHECK(oid_to_string(m.pdu.varbinds[0].oid) == "1.3.6.1.4.1.318.2.3.3.0");
    CHECK(m.pdu.varbinds[0].value.type == ValueType::octet_string);
    CHECK(m.pdu.varbinds[0].value.bytes == "hello");
    // What we encode from it is byte for byte what net-snmp sent.
    CHECK(encode_message(m) == p);
}

TEST_CASE("an snmptrap v2c trap with every value type decodes", "[trap][message]") {
    Message m;
    std::string error;
    auto p = seed("v2c-trap");
    REQUIRE(decode_message(bytes(p), m, error));
    CHECK(m.version == Version::v2c);
    CHECK(m.pdu.type == PduType::trap_v2);
    const auto& vb = m.pdu.varbinds;
    REQUIRE(vb.size() == 11);
    CHECK(vb[0].value.type == ValueType::timeticks);
    CHECK(oid_to_string(vb[1].value.oid) == "1.3.6.1.4.1.318.0.5");
    CHECK(vb[2].value.bytes == "hello");
    CHECK(vb[3].value.type == ValueType::integer);
    CHECK(vb[3].value.i == -7);
    CHECK(vb[4].value.type == ValueType::counter64);
    CHECK(vb[4].value.u == 18446744073709551615ULL);
    CHECK(vb[5].value.type == ValueType::ip_address);
    CHECK(vb[5].value.bytes == std::string("\x0a\x00\x00\x01", 4));
    CHECK(oid_to_string(vb[6].value.oid) == "1.3.6.1.4.1.8072.3.2.10");
    CHECK(vb[7].value.type == ValueType::counter32);
    CHECK(vb[7].value.u == 4294967295u);
    CHECK(vb[8].value.type == ValueType::gauge32);
    CHECK(vb[8].value.u == 1000000000u);
    CHECK(vb[9].value.type == ValueType::timeticks);
    CHECK(vb[9].value.u == 12345);
    CHECK(vb[10].value.bytes == std::string("\x00\xff\x80", 3));
    CHECK(encode_message(m) == p);
}

TEST_CASE("v3 messages decode their header and USM parameters", "[trap][message]") {
    Message m;
    std::string error;
    auto p = seed("v3-noauth");
    REQUIRE(decode_message(bytes(p), m, error));
    CHECK(m.version == Version::v3);
    CHECK(m.flags == 0);
    CHECK(m.security_model == 3);
    CHECK(m.usm.engine_id == unhex("8000000001020304"));
    CHECK(m.usm.user == "bob");
    REQUIRE(m.has_pdu);
    CHECK(m.pdu.type == PduType::trap_v2);
    CHECK(m.pdu.varbinds.size() == 3);
    CHECK(encode_message(m) == p);

    p = seed("v3-sha256-aes256");
    REQUIRE(decode_message(bytes(p), m, error));
    CHECK(m.flags == (flag_auth | flag_priv));
    CHECK(m.usm.user == "alice");
    CHECK(m.usm.auth_params.size() == 24);
    CHECK(m.usm.priv_params.size() == 8);
    CHECK_FALSE(m.has_pdu);
    CHECK_FALSE(m.encrypted.empty());
    CHECK(p.substr(m.usm.auth_params_offset, 24) == m.usm.auth_params);
    // Re-encoded with the same parameters, the message and its digest position agree.
    std::size_t off = 0;
    CHECK(encode_message_encrypted(m, m.encrypted, &off) == p);
    CHECK(off == m.usm.auth_params_offset);
}

TEST_CASE("every PDU type and value type survives encode and decode", "[trap][message]") {
    for (auto v : {Version::v1, Version::v2c}) {
        for (auto t :
             {PduType::get, PduType::get_next, PduType::response, PduType::set, PduType::trap_v1,
              PduType::get_bulk, PduType::inform, PduType::trap_v2, PduType::report}) {
            INFO("version " << static_cast<int>(v) << " pdu " << static_cast<int>(t));
            auto m = sample(v, t);
            auto wire = encode_message(m);
            Message back;
            std::string error;
            REQUIRE(decode_message(bytes(wire), back, error));
            CHECK(back.version == v);
            CHECK(back.community == "public");
            check_same(m.pdu, back.pdu);
            CHECK(encode_message(back) == wire);
        }
    }
}

TEST_CASE("v3 messages encode with the digest's place and decode back", "[trap][message]") {
    auto m = sample(Version::v3, PduType::report);
    m.msg_id = 77;
    m.max_size = 1500;
    m.flags = flag_auth;
    m.usm.engine_id = unhex("80001f8880c8975735cbd80c6b00000000");
    m.usm.boots = 3;
    m.usm.time = 2147483647;
    m.usm.user = "alice";
    m.usm.auth_params = std::string(12, '\0');
    m.context_engine_id = m.usm.engine_id;
    m.context_name = "ctx";
    std::size_t off = 0;
    auto wire = encode_message(m, &off);
    Message back;
    std::string error;
    REQUIRE(decode_message(bytes(wire), back, error));
    CHECK(back.usm.auth_params_offset == off);
    CHECK(back.msg_id == 77);
    CHECK(back.max_size == 1500);
    CHECK(back.flags == flag_auth);
    CHECK(back.usm.boots == 3);
    CHECK(back.usm.time == 2147483647u);
    CHECK(back.context_name == "ctx");
    CHECK(back.context_engine_id == m.usm.engine_id);
    check_same(m.pdu, back.pdu);

    // Privacy: the scoped PDU alone, then inside an encryptedPDU.
    m.flags = flag_auth | flag_priv;
    m.usm.priv_params = "12345678";
    auto scoped = encode_scoped_pdu(m);
    wire = encode_message_encrypted(m, scoped, &off);
    REQUIRE(decode_message(bytes(wire), back, error));
    CHECK_FALSE(back.has_pdu);
    CHECK(back.encrypted == scoped);
    CHECK(back.usm.auth_params_offset == off);
    // DES leaves padding after the ScopedPDU: allowed.
    auto padded = back.encrypted + std::string(5, '\0');
    REQUIRE(decode_scoped_pdu(bytes(padded), back, error));
    CHECK(back.has_pdu);
    CHECK(back.context_name == "ctx");
    check_same(m.pdu, back.pdu);
}

TEST_CASE("integers are held to their types' ranges", "[trap][message]") {
    std::string error;
    CHECK(decode_value(std::string("\x02\x04\x7f\xff\xff\xff", 6), error).i == 2147483647);
    CHECK(decode_value(std::string("\x02\x04\x80\x00\x00\x00", 6), error).i == -2147483648LL);
    CHECK(decode_value(std::string("\x02\x05\x00\x00\x00\x00\x01", 7), error).i == 1);
    decode_value(std::string("\x02\x05\x00\x80\x00\x00\x00", 7), error);
    CHECK(error == "Integer32 out of range at byte 35");
    error.clear();
    decode_value(std::string("\x02\x00", 2), error);
    CHECK(error.find("Integer32 with no bytes") == 0);
    // Unsigned: a leading 0x00 is how 2^32-1 is written; a set top bit is negative.
    CHECK(decode_value(std::string("\x41\x05\x00\xff\xff\xff\xff", 7), error).u == 4294967295u);
    error.clear();
    decode_value(std::string("\x41\x01\xff", 3), error);
    CHECK(error.find("negative Counter32") == 0);
    error.clear();
    decode_value(std::string("\x42\x05\x01\x00\x00\x00\x00", 7), error);
    CHECK(error.find("Gauge32 out of range") == 0);
    error.clear();
    decode_value(std::string("\x46\x0a\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00", 12), error);
    CHECK(error.find("Counter64 out of range") == 0);
    error.clear();
    decode_value(std::string("\x40\x03\x01\x02\x03", 5), error);
    CHECK(error.find("IpAddress not 4 bytes long") == 0);
    error.clear();
    decode_value(std::string("\x05\x01\x00", 3), error);
    CHECK(error.find("NULL value with content") == 0);
    error.clear();
    decode_value(std::string("\x47\x00", 2), error);
    CHECK(error.find("unexpected tag 0x47 for value") == 0);
}

TEST_CASE("OIDs on the wire are limited", "[trap][message]") {
    std::string error;
    // 2^32-1 is the largest arc; 2^32 is refused.
    auto v = decode_value(std::string("\x06\x06\x2b\x8f\xff\xff\xff\x7f", 8), error);
    CHECK(oid_to_string(v.oid) == "1.3.4294967295");
    decode_value(std::string("\x06\x06\x2b\x90\x80\x80\x80\x00", 8), error);
    CHECK(error.find("OBJECT IDENTIFIER arc overflow") == 0);
    error.clear();
    decode_value(std::string("\x06\x03\x2b\x80\x01", 5), error);
    CHECK(error.find("leading 0x80") != std::string::npos);
    error.clear();
    decode_value(std::string("\x06\x02\x2b\x81", 4), error);
    CHECK(error.find("truncated OBJECT IDENTIFIER") == 0);
    error.clear();
    decode_value(std::string("\x06\x00", 2), error);
    CHECK(error.find("empty OBJECT IDENTIFIER") == 0);
    // 128 arcs pass, 129 do not.
    std::string arcs(127, '\x01');
    v = decode_value("\x06\x7f" + arcs, error);
    CHECK(v.oid.size() == 128);
    error.clear();
    decode_value("\x06\x81\x80" + std::string(128, '\x01'), error);
    CHECK(error.find("more than 128 arcs") != std::string::npos);
}

TEST_CASE("lengths are checked against the bytes there are", "[trap][message]") {
    auto p = seed("v2c-trap");
    CHECK(decode_error(p) == "");
    // Long-form with 5 length bytes, indefinite form, and one byte more than there is.
    CHECK(decode_error(std::string("\x30\x85\x00\x00\x00\x00\x05", 7)) ==
          "length of more than 4 bytes at byte 1");
    CHECK(decode_error(std::string("\x30\x80\x02\x01\x01\x00\x00", 7)) ==
          "indefinite length at byte 1");
    std::string longer = p;
    longer[2] = static_cast<char>(0xFF);
    CHECK(decode_error(longer) == "message longer than the data at byte 0");
    CHECK(decode_error(p + "x") == "trailing bytes after the message at byte 257");
    CHECK(decode_error(std::string("\x30\x03\x02\x01\x02", 5)) ==
          "unsupported SNMP version 2 at byte 2");
    CHECK(decode_error("") == "missing message at byte 0");
}

TEST_CASE("every truncation of a real datagram fails cleanly", "[trap][message]") {
    for (auto name : {"v1-trap", "v2c-trap", "v2c-inform", "v3-noauth", "v3-sha256-aes256",
                      "v3-md5-des", "v3-sha-authnopriv", "v3-sha-aes256"}) {
        auto p = seed(name);
        for (std::size_t n = 0; n < p.size(); ++n) {
            INFO(name << " cut to " << n << " bytes");
            auto cut = p.substr(0, n);
            Message m;
            std::string error;
            CHECK_FALSE(decode_message(bytes(cut), m, error));
            CHECK(error.find(" at byte ") != std::string::npos);
            // And with the outer length patched to fit, so the inner checks are reached.
            if (n > 3 && static_cast<unsigned char>(cut[1]) == 0x81) {
                cut[2] = static_cast<char>(n - 3);
                CHECK_FALSE(decode_message(bytes(cut), m, error));
            }
        }
        // Every single flipped byte either decodes or fails with a message; never crashes.
        for (std::size_t i = 0; i < p.size(); ++i) {
            auto bad = p;
            bad[i] = static_cast<char>(bad[i] ^ 0xA5);
            Message m;
            std::string error;
            if (!decode_message(bytes(bad), m, error)) CHECK_FALSE(error.empty());
        }
    }
}
