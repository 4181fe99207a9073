#pragma once
// Register values: how the 16-bit registers (or bits) a read returns become a number, a
// string or named states, by a field's type, word/byte order, scale and states.
//
// Order names the layout of the value's bytes as they arrive, A being the most
// significant byte of the value, for a value of 2 registers (4 bytes, "ABCD"):
//   ABCD  big-endian: most significant register first, high byte first in each register
//         (the Modbus convention, and APC's);
//   CDAB  registers swapped (least significant register first), high byte first in each;
//   BADC  most significant register first, bytes swapped inside each register;
//   DCBA  little-endian: least significant register first, low byte first in each.
// The same rule holds for 4 registers (64-bit types): CDAB reverses the order of the
// registers, BADC swaps the two bytes of each register, DCBA does both. For a 1-register
// type only the byte rule applies (ABCD = CDAB = high byte first; BADC = DCBA = swapped).
// Strings are 2 characters a register, high byte first (BADC/DCBA: low byte first);
// trailing NUL and space are trimmed.

#include "core/record.hpp"
#include "modbus/frame.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dce::modbus {

enum class DataType : std::uint8_t {
    bit,
    int16,
    uint16,
    int32,
    uint32,
    int64,
    uint64,
    float32,
    float64,
    string
};
enum class Order : std::uint8_t { abcd, cdab, badc, dcba };

bool parse_type(std::string_view s, DataType& t);
std::string_view type_name(DataType t);
bool parse_order(std::string_view s, Order& o);
std::string_view order_name(Order o);
/// Registers a value of `t` takes (string: `string_registers`; bit: 1 bit).
std::uint16_t register_count(DataType t, std::uint16_t string_registers = 1);

/// How one field's raw value becomes its reading.
struct Decoding {
    DataType type = DataType::uint16;
    Order order = Order::abcd;
    double scale = 1.0;  ///< factor
    int scale_pow2 = 0;  ///< and 2^scale_pow2 (-9: divide by 512)
    /// Raw values that mean "not available" (compared with the value as its type reads it
    /// and with the unsigned bits, so 65535 and -1 both match 0xFFFF of an int16).
    std::vector<std::int64_t> invalid;
    std::map<std::int64_t, std::string> states;  ///< enumeration: raw value -> state name
    std::map<int, std::string> bits;             ///< bit field: bit number (0 = LSB) -> name
};

/// Raw value of registers `regs` (register_count(type) of them) as its type and order
/// read it: an integer (int64 or uint64), a double or a string Json. Null for a float
/// that is NaN or infinite.
Json raw_value(const Decoding& d, std::span<const std::uint16_t> regs);

/// The reading's value: scaled number, state name or string. False when the value is one
/// of `invalid` (or not a number): no reading. `raw` is set to the raw integer when the
/// value is a state, else null.
bool decode_value(const Decoding& d, std::span<const std::uint16_t> regs, Json& value, Json& raw);
bool decode_bit(const Decoding& d, bool bit, Json& value, Json& raw);

/// The unsigned integer of up to 4 registers after applying `order` (for bit fields).
std::uint64_t ordered_bits(Order o, std::span<const std::uint16_t> regs);

}  // namespace dce::modbus
