#include "modbus/frame.hpp"
#include "modbus/map.hpp"
#include "modbus/plan.hpp"
#include "modbus/types.hpp"

#include <catch.hpp>

using namespace dce::modbus;
using dce::Json;

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> l) {
    std::vector<std::uint8_t> b;
    for (int x : l)
        b.push_back(static_cast<std::uint8_t>(x));
    return b;
}

Field field(Table t, std::uint16_t addr, std::uint16_t count, std::string metric = "m") {
    Field f;
    f.metric = std::move(metric);
    f.table = t;
    f.address = addr;
    f.count = count;
    f.decoding.type = is_bit_table(t) ? DataType::bit : DataType::uint16;
    return f;
}

}  // namespace

TEST_CASE("frame: read request encodes MBAP and PDU", "[modbus]") {
    auto adu = encode_adu(0x1234, 1, read_pdu(Table::holding, 130, 2));
    CHECK(adu == bytes({0x12, 0x34, 0, 0, 0, 6, 1, 3, 0, 130, 0, 2}));
    CHECK(read_pdu(Table::coil, 0, 10)[0] == 1);
    CHECK(read_pdu(Table::discrete, 0, 10)[0] == 2);
    CHECK(read_pdu(Table::input, 0, 10)[0] == 4);
    CHECK(device_id_pdu(2, 0) == bytes({0x2B, 0x0E, 2, 0}));
    CHECK(report_server_id_pdu() == bytes({0x11}));
}

TEST_CASE("frame: register and bit responses decode", "[modbus]") {
    Mbap h;
    Response r;
    std::string err;
    auto adu = bytes({0, 7, 0, 0, 0, 7, 1, 3, 4, 0x64, 0, 0xFF, 0xFF});
    REQUIRE(decode_adu(adu, h, r, err));
    CHECK(h.tid == 7);
    CHECK(h.unit == 1);
    std::vector<std::uint16_t> regs;
    REQUIRE(decode_registers(r, 2, regs, err));
    CHECK(regs == std::vector<std::uint16_t>{0x6400, 0xFFFF});
    CHECK_FALSE(decode_registers(r, 3, regs, err));
    CHECK(err.find("byte count 4") != std::string::npos);

    REQUIRE(decode_pdu(bytes({1, 2, 0b10000101, 0b1}), r, err));
    std::vector<std::uint8_t> bits;
    REQUIRE(decode_bits(r, 9, bits, err));
    CHECK(bits == std::vector<std::uint8_t>{1, 0, 1, 0, 0, 0, 0, 1, 1});
    CHECK_FALSE(decode_bits(r, 17, bits, err));
}

TEST_CASE("frame: exceptions decode and are named", "[modbus]") {
    Response r;
    std::string err;
    REQUIRE(decode_pdu(bytes({0x83, 2}), r, err));
    CHECK(r.exception);
    CHECK(r.function == 3);
    CHECK(r.exception_code == 2);
    CHECK(exception_name(1) == "illegal function");
    CHECK(exception_name(2) == "illegal data address");
    CHECK(exception_name(3) == "illegal data value");
    CHECK(exception_name(4) == "server device failure");
    CHECK(exception_name(5) == "acknowledge");
    CHECK(exception_name(6) == "server device busy");
    CHECK(exception_name(10) == "gateway path unavailable");
    CHECK(exception_name(11) == "gateway target device failed to respond");
    CHECK(exception_name(99) == "exception 99");
    CHECK_FALSE(decode_pdu(bytes({0x83, 2, 0}), r, err));
}

TEST_CASE("frame: bad headers and truncated data are refused", "[modbus]") {
    Mbap h;
    Response r;
    std::string err;
    CHECK_FALSE(decode_mbap(bytes({0, 1, 0, 0, 0}), h, err));
    CHECK(err.find("truncated") != std::string::npos);
    CHECK_FALSE(decode_mbap(bytes({0, 1, 0, 1, 0, 6, 1}), h, err));
    CHECK(err.find("protocol") != std::string::npos);
    CHECK_FALSE(decode_mbap(bytes({0, 1, 0, 0, 1, 0, 1}), h, err));
    CHECK(err.find("length") != std::string::npos);
    CHECK_FALSE(decode_adu(bytes({0, 1, 0, 0, 0, 6, 1, 3, 2, 0}), h, r, err));
}

TEST_CASE("frame: device identification with more-follows", "[modbus]") {
    Response r;
    std::string err;
    // basic objects 0 and 1, more follows from object 2
    auto pdu = bytes({0x2B, 0x0E, 1, 0x81, 0xFF, 2, 2, 0, 3, 'A', 'P', 'C', 1, 2, 'S', 'R'});
    REQUIRE(decode_pdu(pdu, r, err));
    DeviceId d;
    REQUIRE(decode_device_id(r, d, err));
    CHECK(d.more);
    CHECK(d.next_object == 2);
    REQUIRE(d.objects.size() == 2);
    CHECK(d.objects[0].second == "APC");
    CHECK(d.objects[1].second == "SR");
    CHECK(device_id_object_name(5) == "ModelName");
    // object length past the end
    REQUIRE(decode_pdu(bytes({0x2B, 0x0E, 1, 0x81, 0, 0, 1, 0, 9, 'A'}), r, err));
    CHECK_FALSE(decode_device_id(r, d, err));
    CHECK(err.find("past the end") != std::string::npos);
    // declared 2 objects, one present
    REQUIRE(decode_pdu(bytes({0x2B, 0x0E, 1, 0x81, 0, 0, 2, 0, 1, 'A'}), r, err));
    CHECK_FALSE(decode_device_id(r, d, err));

    REQUIRE(decode_pdu(bytes({0x11, 3, 0x42, 0xFF, 'x'}), r, err));
    ServerId s;
    REQUIRE(decode_report_server_id(r, s, err));
    CHECK(s.bytes.size() == 3);
    REQUIRE(decode_pdu(bytes({0x11, 5, 0x42}), r, err));
    CHECK_FALSE(decode_report_server_id(r, s, err));
}

namespace {

Json decode(DataType t, Order o, std::vector<std::uint16_t> regs, double scale = 1, int pow2 = 0) {
    Decoding d;
    d.type = t;
    d.order = o;
    d.scale = scale;
    d.scale_pow2 = pow2;
    Json v, raw;
    if (!decode_value(d, regs, v, raw)) return nullptr;
    return v;
}

}  // namespace

TEST_CASE("types: every integer type and order", "[modbus]") {
    // 0x12345678 in each order
    CHECK(decode(DataType::uint32, Order::abcd, {0x1234, 0x5678}) == 0x12345678);
    CHECK(decode(DataType::uint32, Order::cdab, {0x5678, 0x1234}) == 0x12345678);
    CHECK(decode(DataType::uint32, Order::badc, {0x3412, 0x7856}) == 0x12345678);
    CHECK(decode(DataType::uint32, Order::dcba, {0x7856, 0x3412}) == 0x12345678);
    CHECK(decode(DataType::int32, Order::abcd, {0xFFFF, 0xFFFE}) == -2);
    CHECK(decode(DataType::int32, Order::cdab, {0xFFFE, 0xFFFF}) == -2);
    CHECK(decode(DataType::uint16, Order::abcd, {0xFFFE}) == 65534);
    CHECK(decode(DataType::int16, Order::abcd, {0xFFFE}) == -2);
    CHECK(decode(DataType::int16, Order::badc, {0xFEFF}) == -2);
    CHECK(decode(DataType::uint16, Order::dcba, {0x3412}) == 0x1234);
    CHECK(decode(DataType::uint16, Order::cdab, {0x1234}) == 0x1234);
    // 0x0102030405060708
    std::uint64_t want = 0x0102030405060708ULL;
    CHECK(decode(DataType::uint64, Order::abcd, {0x0102, 0x0304, 0x0506, 0x0708}) == want);
    CHECK(decode(DataType::uint64, Order::cdab, {0x0708, 0x0506, 0x0304, 0x0102}) == want);
    CHECK(decode(DataType::uint64, Order::badc, {0x0201, 0x0403, 0x0605, 0x0807}) == want);
    CHECK(decode(DataType::uint64, Order::dcba, {0x0807, 0x0605, 0x0403, 0x0201}) == want);
    CHECK(decode(DataType::int64, Order::abcd, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFD}) == -3);
    CHECK(decode(DataType::uint64, Order::abcd, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF}) ==
          0xFFFFFFFFFFFFFFFFULL);
}

TEST_CASE("types: floats, strings, scales", "[modbus]") {
    // 230.5f = 0x43668000
    CHECK(decode(DataType::float32, Order::abcd, {0x4366, 0x8000}) == 230.5);
    CHECK(decode(DataType::float32, Order::cdab, {0x8000, 0x4366}) == 230.5);
    CHECK(decode(DataType::float32, Order::badc, {0x6643, 0x0080}) == 230.5);
    CHECK(decode(DataType::float32, Order::dcba, {0x0080, 0x6643}) == 230.5);
    // -1.5 = 0xBFF8000000000000
    CHECK(decode(DataType::float64, Order::abcd, {0xBFF8, 0, 0, 0}) == -1.5);
    CHECK(decode(DataType::float64, Order::cdab, {0, 0, 0, 0xBFF8}) == -1.5);
    CHECK(decode(DataType::float64, Order::badc, {0xF8BF, 0, 0, 0}) == -1.5);
    CHECK(decode(DataType::float64, Order::dcba, {0, 0, 0, 0xF8BF}) == -1.5);
    CHECK(decode(DataType::float32, Order::abcd, {0x7FC0, 0}).is_null());  // NaN
    CHECK(decode(DataType::string, Order::abcd, {0x5352, 0x5420, 0x3330, 0x0000}) == "SRT 30");
    CHECK(decode(DataType::string, Order::badc, {0x5253, 0x2054, 0x2020}) == "SRT");
    CHECK(decode(DataType::string, Order::abcd, {0x2020, 0}).is_null());  // empty: no reading
    // binary point: 25600 / 512 = 50; 7392/32 = 231; scale factor rounds
    CHECK(decode(DataType::uint16, Order::abcd, {25600}, 1, -9) == 50);
    CHECK(decode(DataType::uint16, Order::abcd, {25856}, 1, -9) == 50.5);
    CHECK(decode(DataType::int16, Order::abcd, {0xFFC0}, 1, -5) == -2);
    CHECK(decode(DataType::uint16, Order::abcd, {2301}, 0.1) == 230.1);
}

TEST_CASE("types: invalid values, states, bits", "[modbus]") {
    Decoding d;
    d.type = DataType::uint16;
    d.invalid = {65535};
    Json v, raw;
    std::vector<std::uint16_t> na{0xFFFF};
    CHECK_FALSE(decode_value(d, na, v, raw));
    d.type = DataType::int16;
    CHECK_FALSE(decode_value(d, na, v, raw));  // -1 matches by its bits
    d.invalid = {-1};
    CHECK_FALSE(decode_value(d, na, v, raw));
    d.invalid.clear();
    d.type = DataType::uint16;
    d.states = {{1, "on"}, {2, "off"}};
    std::vector<std::uint16_t> two{2};
    REQUIRE(decode_value(d, two, v, raw));
    CHECK(v == "off");
    CHECK(raw == 2);
    std::vector<std::uint16_t> nine{9};
    REQUIRE(decode_value(d, nine, v, raw));
    CHECK(v == "unknown");
    CHECK(ordered_bits(Order::abcd, std::vector<std::uint16_t>{0x0001, 0x0004}) == 0x10004);
    REQUIRE(decode_bit(d, true, v, raw));
    CHECK(v == "on");
}

TEST_CASE("plan: merges fields, respects the gap and the 125 limit", "[modbus]") {
    std::vector<Field> f{field(Table::holding, 130, 1), field(Table::holding, 0, 2),
                         field(Table::holding, 128, 2), field(Table::holding, 140, 1),
                         field(Table::holding, 300, 1), field(Table::input, 5, 1),
                         field(Table::coil, 0, 1),      field(Table::coil, 100, 1)};
    PlanMemory mem;
    auto p = plan_reads(f, {}, mem);
    REQUIRE(p.size() == 5);
    CHECK(p[0].range == Range{Table::coil, 0, 101});  // bits: gap up to 256
    CHECK(p[1].range == Range{Table::input, 5, 1});
    CHECK(p[2].range == Range{Table::holding, 0, 2});
    CHECK(p[3].range == Range{Table::holding, 128, 13});
    CHECK(p[3].fields == std::vector<std::size_t>{2, 0, 3});
    CHECK(p[4].range == Range{Table::holding, 300, 1});

    // 125 registers at most in one read
    std::vector<Field> wide;
    for (std::uint16_t a = 0; a < 200; a += 2)
        wide.push_back(field(Table::holding, a, 2));
    auto w = plan_reads(wide, {}, mem);
    REQUIRE(w.size() == 2);
    CHECK(w[0].range == Range{Table::holding, 0, 124});
    CHECK(w[1].range == Range{Table::holding, 124, 76});
    auto small = plan_reads(wide, {.max_registers = 10, .max_bits = 2000, .max_gap = 16}, mem);
    CHECK(small.size() == 20);
    auto nogap = plan_reads(f, {.max_registers = 125, .max_bits = 2000, .max_gap = 0}, mem);
    CHECK(nogap.size() == 7);
}

TEST_CASE("plan: exception 2 splits a read and remembers the bad range", "[modbus]") {
    std::vector<Field> f{field(Table::holding, 0, 2), field(Table::holding, 10, 1),
                         field(Table::holding, 12, 1), field(Table::holding, 20, 1)};
    PlanMemory mem;
    auto p = plan_reads(f, {}, mem);
    REQUIRE(p.size() == 1);
    CHECK(p[0].range == Range{Table::holding, 0, 21});
    CHECK_FALSE(on_illegal_address(p[0], mem));
    auto again = plan_reads(f, {}, mem, p[0].fields);
    REQUIRE(again.size() == 2);
    CHECK(again[0].range == Range{Table::holding, 0, 13});
    CHECK(again[1].range == Range{Table::holding, 20, 1});
    // the first half is refused too: it splits again
    CHECK_FALSE(on_illegal_address(again[0], mem));
    auto third = plan_reads(f, {}, mem, again[0].fields);
    REQUIRE(third.size() == 2);
    CHECK(third[0].range == Range{Table::holding, 0, 11});
    CHECK(third[1].range == Range{Table::holding, 12, 1});
    CHECK_FALSE(on_illegal_address(third[0], mem));
    auto fourth = plan_reads(f, {}, mem, third[0].fields);
    REQUIRE(fourth.size() == 2);
    // field 1 alone is refused: it is bad from now on
    CHECK(on_illegal_address(fourth[1], mem));
    CHECK(mem.bad_fields.count(1));
    // a later round avoids every refused range and the bad field
    auto later = plan_reads(f, {}, mem);
    std::vector<Range> got;
    for (const auto& r : later)
        got.push_back(r.range);
    CHECK(got == std::vector<Range>{{Table::holding, 0, 2}, {Table::holding, 12, 9}});
}

TEST_CASE("map: the shipped maps load, bad maps are refused with the field", "[modbus]") {
    std::vector<std::string> errors;
    MapSet set;
    set.load_dir(std::string(DCE_TEST_SOURCE_DIR) + "/profiles/modbus", errors);
    CHECK(errors.empty());
    const RegisterMap* apc = set.find("apc-smartups-modbus");
    REQUIRE(apc);
    CHECK(apc->device_class == "ups");
    CHECK(apc->identity.at("model").address == 532);
    CHECK(apc->identity.at("model").count == 16);
    CHECK(set.match("Schneider Electric", "SRT3000XLI") == apc);
    CHECK(set.match("Acme", "X") == nullptr);
    REQUIRE(set.find("generic-modbus-example"));
    auto p = plan_reads(apc->metrics, limits_of(*apc), {});
    CHECK(p.size() == 3);

    RegisterMap m;
    std::string err;
    CHECK_FALSE(parse_map(Json::parse(R"({"metrics":[{"metric":"x","address":1,"type":"int7"}]})"),
                          "t", m, err));
    CHECK(err.find("metrics[0]: type 'int7'") != std::string::npos);
    CHECK_FALSE(parse_map(
        Json::parse(R"({"metrics":[{"metric":"x","address":1,"type":"string"}]})"), "t", m, err));
    CHECK(err.find("count") != std::string::npos);
    CHECK_FALSE(parse_map(Json::parse(R"({"metrics":[{"metric":"x","table":"coil","address":1,
        "type":"uint16"}]})"),
                          "t", m, err));
    CHECK_FALSE(parse_map(Json::parse(R"({"metrics":[{"metric":"x","address":1,"order":"ACBD"}]})"),
                          "t", m, err));
    CHECK_FALSE(
        parse_map(Json::parse(R"({"metrics":[{"metric":"x","address":65535,"type":"uint32"}]})"),
                  "t", m, err));
    REQUIRE(parse_map(
        Json::parse(R"({"metrics":[{"metric":"x","address":1,"bits":{"0":"a","15":"b"}}]})"), "t",
        m, err));
    CHECK(m.metrics[0].decoding.bits.at(15) == "b");
    CHECK_FALSE(parse_map(
        Json::parse(R"({"metrics":[{"metric":"x","address":1,"bits":{"16":"a"}}]})"), "t", m, err));
}
