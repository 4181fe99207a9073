// Answers from the network: arbitrary bytes through the Modbus TCP decoder (MBAP header,
// PDU, register/bit/device-identification/server-id payloads) and the register-value
// decoding of every type and order, as dce-poll and dce-discover use them.
#include "modbus/frame.hpp"
#include "modbus/types.hpp"

#include <cstddef>
#include <cstdint>

using namespace dce::modbus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> bytes(data, size);
    Mbap h;
    Response r;
    std::string err;
    (void)decode_mbap(bytes, h, err);
    if (!decode_adu(bytes, h, r, err) &&
        !(size > mbap_size && decode_pdu(bytes.subspan(mbap_size), r, err)))
        return 0;
    std::uint16_t count = size > 1 ? static_cast<std::uint16_t>(data[0] | (data[1] << 8)) : 1;
    std::vector<std::uint16_t> regs;
    std::vector<std::uint8_t> bits;
    (void)decode_registers(r, count % 126, regs, err);
    (void)decode_bits(r, count % 2001, bits, err);
    DeviceId d;
    if (decode_device_id(r, d, err))
        for (auto& [id, v] : d.objects)
            (void)device_id_object_name(id);
    ServerId s;
    (void)decode_report_server_id(r, s, err);
    (void)exception_name(r.exception_code);
    for (int t = 0; t <= static_cast<int>(DataType::string); ++t)
        for (int o = 0; o <= static_cast<int>(Order::dcba); ++o) {
            Decoding dec;
            dec.type = static_cast<DataType>(t);
            dec.order = static_cast<Order>(o);
            dec.scale_pow2 = -9;
            dec.invalid = {65535};
            dce::Json v, raw;
            (void)decode_value(dec, regs, v, raw);
        }
    return 0;
}
