#include "modbus/frame.hpp"

#include <fmt/format.h>

namespace dce::modbus {

std::uint8_t read_function(Table t) {
    switch (t) {
        case Table::coil:
            return 1;
        case Table::discrete:
            return 2;
        case Table::holding:
            return 3;
        case Table::input:
            return 4;
    }
    return 3;
}

std::string_view table_short(Table t) {
    switch (t) {
        case Table::coil:
            return "co";
        case Table::discrete:
            return "di";
        case Table::input:
            return "ir";
        case Table::holding:
            return "hr";
    }
    return "hr";
}

std::string_view table_name(Table t) {
    switch (t) {
        case Table::coil:
            return "coil";
        case Table::discrete:
            return "discrete";
        case Table::input:
            return "input";
        case Table::holding:
            return "holding";
    }
    return "holding";
}

bool parse_table(std::string_view s, Table& t) {
    for (Table x : {Table::coil, Table::discrete, Table::input, Table::holding})
        if (s == table_name(x) || s == table_short(x)) {
            t = x;
            return true;
        }
    return false;
}

namespace {

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
    return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

}  // namespace

std::vector<std::uint8_t> encode_adu(std::uint16_t tid, std::uint8_t unit,
                                     std::span<const std::uint8_t> pdu) {
    std::vector<std::uint8_t> b;
    b.reserve(mbap_size + pdu.size());
    put16(b, tid);
    put16(b, 0);
    put16(b, static_cast<std::uint16_t>(pdu.size() + 1));
    b.push_back(unit);
    b.insert(b.end(), pdu.begin(), pdu.end());
    return b;
}

std::vector<std::uint8_t> read_pdu(Table t, std::uint16_t address, std::uint16_t count) {
    std::vector<std::uint8_t> b{read_function(t)};
    put16(b, address);
    put16(b, count);
    return b;
}

std::vector<std::uint8_t> device_id_pdu(std::uint8_t read_code, std::uint8_t object_id) {
    return {fc_device_id, mei_device_id, read_code, object_id};
}

std::vector<std::uint8_t> report_server_id_pdu() {
    return {fc_report_server_id};
}

bool decode_mbap(std::span<const std::uint8_t> bytes, Mbap& h, std::string& error) {
    if (bytes.size() < mbap_size) {
        error = fmt::format("MBAP header truncated: {} of 7 bytes", bytes.size());
        return false;
    }
    h.tid = get16(bytes, 0);
    h.protocol = get16(bytes, 2);
    h.length = get16(bytes, 4);
    h.unit = bytes[6];
    if (h.protocol != 0) {
        error = fmt::format("MBAP protocol id {} is not Modbus (0)", h.protocol);
        return false;
    }
    if (h.length < 2 || h.length > max_pdu + 1) {
        error = fmt::format("MBAP length {} outside 2..254", h.length);
        return false;
    }
    return true;
}

bool decode_pdu(std::span<const std::uint8_t> pdu, Response& r, std::string& error) {
    r = {};
    if (pdu.empty()) {
        error = "empty PDU";
        return false;
    }
    if (pdu.size() > max_pdu) {
        error = fmt::format("PDU of {} bytes exceeds 253", pdu.size());
        return false;
    }
    r.function = pdu[0] & 0x7F;
    if (pdu[0] & 0x80) {
        if (pdu.size() != 2) {
            error = fmt::format("exception response of {} bytes (expected 2)", pdu.size());
            return false;
        }
        r.exception = true;
        r.exception_code = pdu[1];
        return true;
    }
    r.data.assign(pdu.begin() + 1, pdu.end());
    return true;
}

bool decode_adu(std::span<const std::uint8_t> adu, Mbap& h, Response& r, std::string& error) {
    if (!decode_mbap(adu, h, error)) return false;
    std::size_t want = mbap_size + h.length - 1;
    if (adu.size() != want) {
        error = fmt::format("ADU of {} bytes but the MBAP length says {}", adu.size(), want);
        return false;
    }
    return decode_pdu(adu.subspan(mbap_size), r, error);
}

bool decode_registers(const Response& r, std::uint16_t count, std::vector<std::uint16_t>& regs,
                      std::string& error) {
    regs.clear();
    if (r.exception) {
        error = "exception response";
        return false;
    }
    if (r.data.empty()) {
        error = "register response without a byte count";
        return false;
    }
    std::size_t n = r.data[0];
    if (n != std::size_t{count} * 2 || r.data.size() != n + 1) {
        error = fmt::format("register response: byte count {} and {} data bytes for {} registers",
                            n, r.data.size() - 1, count);
        return false;
    }
    std::span<const std::uint8_t> d(r.data);
    for (std::size_t i = 0; i < count; ++i)
        regs.push_back(get16(d, 1 + 2 * i));
    return true;
}

bool decode_bits(const Response& r, std::uint16_t count, std::vector<std::uint8_t>& bits,
                 std::string& error) {
    bits.clear();
    if (r.exception) {
        error = "exception response";
        return false;
    }
    if (r.data.empty()) {
        error = "bit response without a byte count";
        return false;
    }
    std::size_t n = r.data[0];
    std::size_t want = (std::size_t{count} + 7) / 8;
    if (n != want || r.data.size() != n + 1) {
        error = fmt::format("bit response: byte count {} and {} data bytes for {} bits", n,
                            r.data.size() - 1, count);
        return false;
    }
    for (std::size_t i = 0; i < count; ++i)
        bits.push_back((r.data[1 + i / 8] >> (i % 8)) & 1);
    return true;
}

bool decode_device_id(const Response& r, DeviceId& d, std::string& error) {
    d = {};
    if (r.exception) {
        error = "exception response";
        return false;
    }
    if (r.function != fc_device_id) {
        error = fmt::format("function {} in answer to Read Device Identification", r.function);
        return false;
    }
    const auto& b = r.data;
    // MEI type, read code, conformity, more follows, next object id, number of objects.
    if (b.size() < 6) {
        error = fmt::format("device identification truncated: {} of 6 header bytes", b.size());
        return false;
    }
    if (b[0] != mei_device_id) {
        error = fmt::format("MEI type 0x{:02X} (expected 0x0E)", b[0]);
        return false;
    }
    d.read_code = b[1];
    d.conformity = b[2];
    if (b[3] != 0x00 && b[3] != 0xFF) {
        error = fmt::format("more-follows byte 0x{:02X} (expected 0x00 or 0xFF)", b[3]);
        return false;
    }
    d.more = b[3] == 0xFF;
    d.next_object = b[4];
    std::size_t count = b[5], at = 6;
    for (std::size_t i = 0; i < count; ++i) {
        if (at + 2 > b.size()) {
            error = fmt::format("device identification object {} of {} truncated", i + 1, count);
            return false;
        }
        std::uint8_t id = b[at], len = b[at + 1];
        at += 2;
        if (at + len > b.size()) {
            error = fmt::format("device identification object 0x{:02X}: length {} past the end", id,
                                len);
            return false;
        }
        d.objects.emplace_back(id, std::string(b.begin() + static_cast<long>(at),
                                               b.begin() + static_cast<long>(at + len)));
        at += len;
    }
    if (at != b.size()) {
        error =
            fmt::format("device identification: {} stray byte(s) after the objects", b.size() - at);
        return false;
    }
    return true;
}

std::string_view device_id_object_name(std::uint8_t id) {
    switch (id) {
        case 0:
            return "VendorName";
        case 1:
            return "ProductCode";
        case 2:
            return "MajorMinorRevision";
        case 3:
            return "VendorUrl";
        case 4:
            return "ProductName";
        case 5:
            return "ModelName";
        case 6:
            return "UserApplicationName";
    }
    return "";
}

bool decode_report_server_id(const Response& r, ServerId& s, std::string& error) {
    s = {};
    if (r.exception) {
        error = "exception response";
        return false;
    }
    if (r.function != fc_report_server_id) {
        error = fmt::format("function {} in answer to Report Server ID", r.function);
        return false;
    }
    if (r.data.empty() || r.data[0] + 1u != r.data.size()) {
        error = fmt::format("Report Server ID: byte count {} for {} data bytes",
                            r.data.empty() ? 0 : r.data[0], r.data.empty() ? 0 : r.data.size() - 1);
        return false;
    }
    s.bytes.assign(r.data.begin() + 1, r.data.end());
    return true;
}

std::string device_id(const std::string& host, std::uint16_t port, std::uint8_t unit) {
    bool v6 = host.find(':') != std::string::npos;
    return fmt::format("modbus://{}{}{}:{}/{}", v6 ? "[" : "", host, v6 ? "]" : "", port, unit);
}

std::string exception_name(std::uint8_t code) {
    switch (code) {
        case 1:
            return "illegal function";
        case 2:
            return "illegal data address";
        case 3:
            return "illegal data value";
        case 4:
            return "server device failure";
        case 5:
            return "acknowledge";
        case 6:
            return "server device busy";
        case 8:
            return "memory parity error";
        case 10:
            return "gateway path unavailable";
        case 11:
            return "gateway target device failed to respond";
    }
    return fmt::format("exception {}", code);
}

}  // namespace dce::modbus
