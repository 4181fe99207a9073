#pragma once
// Modbus TCP framing: the MBAP header and the PDUs dce-tools sends and reads (read coils,
// discrete inputs, holding and input registers; Read Device Identification 0x2B/0x0E;
// Report Server ID 0x11; exception responses). Encoding is for our own requests; decoding
// takes untrusted bytes from the network: every length is checked against the buffer and
// against what the request asked for, and a failure says what was wrong.
//
// Why not libmodbus for the client: its API is blocking, one device (one modbus_t) at a
// time, and it has no Read Device Identification (0x2B/0x0E). dce-poll polls thousands of
// units behind hundreds of gateways from one process, so the client is asynchronous on
// Boost.Asio (client.hpp) and this framing is kept small, pure and fuzzed
// (fuzz/fuzz_modbus_frame.cpp).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dce::modbus {

/// The four data tables of the Modbus data model.
enum class Table : std::uint8_t { coil, discrete, input, holding };

/// Function code that reads `t`: 1 coils, 2 discrete inputs, 3 holding, 4 input registers.
std::uint8_t read_function(Table t);
/// Short name used in `source` (modbus:hr:130): co, di, ir, hr.
std::string_view table_short(Table t);
/// Profile spelling: coil, discrete, input, holding.
std::string_view table_name(Table t);
bool parse_table(std::string_view s, Table& t);
inline bool is_bit_table(Table t) {
    return t == Table::coil || t == Table::discrete;
}

inline constexpr std::size_t mbap_size = 7;
/// Largest PDU (Modbus application protocol spec: 253 bytes).
inline constexpr std::size_t max_pdu = 253;
/// Most registers one read may ask for (FC 3/4), and bits (FC 1/2).
inline constexpr std::uint16_t max_read_registers = 125;
inline constexpr std::uint16_t max_read_bits = 2000;

inline constexpr std::uint8_t fc_device_id = 0x2B;
inline constexpr std::uint8_t mei_device_id = 0x0E;
inline constexpr std::uint8_t fc_report_server_id = 0x11;

struct Mbap {
    std::uint16_t tid = 0;
    std::uint16_t protocol = 0;
    std::uint16_t length = 0;  ///< unit id + PDU
    std::uint8_t unit = 0;
};

/// An ADU: MBAP header then `pdu`.
std::vector<std::uint8_t> encode_adu(std::uint16_t tid, std::uint8_t unit,
                                     std::span<const std::uint8_t> pdu);
/// PDU of a read of `count` registers or bits of `t` from `address`.
std::vector<std::uint8_t> read_pdu(Table t, std::uint16_t address, std::uint16_t count);
/// PDU of Read Device Identification: read code 1 basic, 2 regular, 3 extended, 4 one.
std::vector<std::uint8_t> device_id_pdu(std::uint8_t read_code, std::uint8_t object_id);
std::vector<std::uint8_t> report_server_id_pdu();

/// Checks the 7 header bytes: protocol 0 and a length that holds a unit id and a PDU of
/// 1..253 bytes. `bytes` may be longer; only the first 7 are read.
bool decode_mbap(std::span<const std::uint8_t> bytes, Mbap& h, std::string& error);

/// A response PDU: its function code (without the exception bit), and either the
/// exception code or the bytes after the function code.
struct Response {
    std::uint8_t function = 0;
    bool exception = false;
    std::uint8_t exception_code = 0;
    std::vector<std::uint8_t> data;
};

bool decode_pdu(std::span<const std::uint8_t> pdu, Response& r, std::string& error);
/// A whole ADU (header and PDU, nothing after it).
bool decode_adu(std::span<const std::uint8_t> adu, Mbap& h, Response& r, std::string& error);

/// Registers of an FC 3/4 response that asked for `count`.
bool decode_registers(const Response& r, std::uint16_t count, std::vector<std::uint16_t>& regs,
                      std::string& error);
/// Bits of an FC 1/2 response that asked for `count` (LSB of the first byte first).
bool decode_bits(const Response& r, std::uint16_t count, std::vector<std::uint8_t>& bits,
                 std::string& error);

struct DeviceId {
    std::uint8_t read_code = 0, conformity = 0;
    bool more = false;  ///< "more follows": ask again from next_object
    std::uint8_t next_object = 0;
    std::vector<std::pair<std::uint8_t, std::string>> objects;
};
bool decode_device_id(const Response& r, DeviceId& d, std::string& error);
/// Object names of the basic and regular categories (0 VendorName .. 6 UserApplicationName).
std::string_view device_id_object_name(std::uint8_t id);

struct ServerId {
    /// Server id, run indicator and additional data: the layout is device-specific.
    std::vector<std::uint8_t> bytes;
};
bool decode_report_server_id(const Response& r, ServerId& s, std::string& error);

/// A unit's device id, modbus://HOST:PORT/UNIT (an IPv6 HOST in brackets).
std::string device_id(const std::string& host, std::uint16_t port, std::uint8_t unit);

/// "illegal data address" for 2, ... ; "exception N" for codes the spec does not name.
std::string exception_name(std::uint8_t code);

}  // namespace dce::modbus
