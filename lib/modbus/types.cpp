#include "modbus/types.hpp"

#include <bit>
#include <cmath>
#include <cstring>

namespace dce::modbus {

namespace {

constexpr std::pair<std::string_view, DataType> type_names[] = {
    {"bit", DataType::bit},       {"int16", DataType::int16},     {"uint16", DataType::uint16},
    {"int32", DataType::int32},   {"uint32", DataType::uint32},   {"int64", DataType::int64},
    {"uint64", DataType::uint64}, {"float32", DataType::float32}, {"float64", DataType::float64},
    {"string", DataType::string},
};
constexpr std::pair<std::string_view, Order> order_names[] = {
    {"ABCD", Order::abcd}, {"CDAB", Order::cdab}, {"BADC", Order::badc}, {"DCBA", Order::dcba}};

// The value's bytes, most significant first, after undoing `o`.
std::vector<std::uint8_t> ordered_bytes(Order o, std::span<const std::uint16_t> regs) {
    std::vector<std::uint16_t> r(regs.begin(), regs.end());
    if (o == Order::cdab || o == Order::dcba) std::reverse(r.begin(), r.end());
    std::vector<std::uint8_t> b;
    b.reserve(r.size() * 2);
    bool swap = o == Order::badc || o == Order::dcba;
    for (auto w : r) {
        auto hi = static_cast<std::uint8_t>(w >> 8), lo = static_cast<std::uint8_t>(w & 0xFF);
        b.push_back(swap ? lo : hi);
        b.push_back(swap ? hi : lo);
    }
    return b;
}

}  // namespace

bool parse_type(std::string_view s, DataType& t) {
    for (auto [n, v] : type_names)
        if (n == s) {
            t = v;
            return true;
        }
    return false;
}

std::string_view type_name(DataType t) {
    for (auto [n, v] : type_names)
        if (v == t) return n;
    return "?";
}

bool parse_order(std::string_view s, Order& o) {
    for (auto [n, v] : order_names)
        if (n == s) {
            o = v;
            return true;
        }
    return false;
}

std::string_view order_name(Order o) {
    for (auto [n, v] : order_names)
        if (v == o) return n;
    return "?";
}

std::uint16_t register_count(DataType t, std::uint16_t string_registers) {
    switch (t) {
        case DataType::bit:
        case DataType::int16:
        case DataType::uint16:
            return 1;
        case DataType::int32:
        case DataType::uint32:
        case DataType::float32:
            return 2;
        case DataType::int64:
        case DataType::uint64:
        case DataType::float64:
            return 4;
        case DataType::string:
            return string_registers;
    }
    return 1;
}

std::uint64_t ordered_bits(Order o, std::span<const std::uint16_t> regs) {
    std::uint64_t u = 0;
    for (auto b : ordered_bytes(o, regs.first(std::min<std::size_t>(regs.size(), 4))))
        u = (u << 8) | b;
    return u;
}

Json raw_value(const Decoding& d, std::span<const std::uint16_t> regs) {
    if (d.type == DataType::string) {
        auto b = ordered_bytes(
            d.order == Order::badc || d.order == Order::dcba ? Order::badc : Order::abcd, regs);
        std::string s(b.begin(), b.end());
        // A NUL ends the text; trailing spaces are padding.
        if (auto z = s.find('\0'); z != std::string::npos) s.resize(z);
        while (!s.empty() && s.back() == ' ')
            s.pop_back();
        return s;
    }
    std::size_t n = register_count(d.type);
    if (regs.size() < n) return nullptr;
    std::uint64_t u = ordered_bits(d.order, regs.first(n));
    switch (d.type) {
        case DataType::int16:
            return static_cast<std::int64_t>(static_cast<std::int16_t>(u));
        case DataType::int32:
            return static_cast<std::int64_t>(static_cast<std::int32_t>(u));
        case DataType::int64:
            return static_cast<std::int64_t>(u);
        case DataType::float32: {
            float f = std::bit_cast<float>(static_cast<std::uint32_t>(u));
            if (!std::isfinite(f)) return nullptr;
            return static_cast<double>(f);
        }
        case DataType::float64: {
            double f = std::bit_cast<double>(u);
            if (!std::isfinite(f)) return nullptr;
            return f;
        }
        default:
            return u;
    }
}

namespace {

bool finish_number(const Decoding& d, const Json& raw_num, std::uint64_t bits_pattern, Json& value,
                   Json& raw) {
    raw = nullptr;
    if (raw_num.is_null()) return false;
    if (raw_num.is_number_integer()) {
        std::int64_t as_int = raw_num.is_number_unsigned()
                                  ? static_cast<std::int64_t>(raw_num.get<std::uint64_t>())
                                  : raw_num.get<std::int64_t>();
        for (auto inv : d.invalid)
            if (inv == as_int || static_cast<std::uint64_t>(inv) == bits_pattern) return false;
        if (!d.states.empty()) {
            raw = raw_num;
            auto it = d.states.find(as_int);
            value = it != d.states.end() ? it->second : "unknown";
            return true;
        }
        if (d.scale == 1.0 && d.scale_pow2 == 0) {
            value = raw_num;
            return true;
        }
    }
    double x = raw_num.is_number_unsigned()  ? static_cast<double>(raw_num.get<std::uint64_t>())
               : raw_num.is_number_integer() ? static_cast<double>(raw_num.get<std::int64_t>())
                                             : raw_num.get<double>();
    // A power of two scales exactly; a decimal factor is rounded to what the device meant
    // (2301 * 0.1 is 230.10000000000002 in binary).
    x = std::ldexp(x, d.scale_pow2);
    if (d.scale != 1.0) x = std::round(x * d.scale * 1e6) / 1e6;
    if (x == std::floor(x) && std::fabs(x) < 9.0e15 && !raw_num.is_number_float())
        value = static_cast<std::int64_t>(x);
    else
        value = x;
    return true;
}

}  // namespace

bool decode_value(const Decoding& d, std::span<const std::uint16_t> regs, Json& value, Json& raw) {
    raw = nullptr;
    if (d.type == DataType::string) {
        value = raw_value(d, regs);
        return value.is_string() && !value.get_ref<const std::string&>().empty();
    }
    std::size_t n = register_count(d.type);
    if (regs.size() < n) return false;
    Json r = raw_value(d, regs);
    std::uint64_t pattern = ordered_bits(d.order, regs.first(n));
    return finish_number(d, r, pattern, value, raw);
}

bool decode_bit(const Decoding& d, bool bit, Json& value, Json& raw) {
    Json r = static_cast<std::int64_t>(bit ? 1 : 0);
    return finish_number(d, r, bit ? 1 : 0, value, raw);
}

}  // namespace dce::modbus
