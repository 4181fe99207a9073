// Datagrams from anyone on the network: dce-trapd's own BER decoder (trap/message.hpp).
// An encrypted v3 message's bytes also go through the scoped-PDU decoder, as if they were
// the plaintext; a decoded v1/v2c message must encode to bytes that decode again.
#include "trap/message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> packet(data, size);
    dce::trap::Message m;
    std::string error;
    if (!dce::trap::decode_message(packet, m, error)) {
        if (error.empty()) std::abort();  // every failure must say why
        return 0;
    }
    if (m.version == dce::trap::Version::v3) {
        if (!m.has_pdu) {
            dce::trap::Message inner;
            (void)dce::trap::decode_scoped_pdu(packet, inner, error);
            (void)dce::trap::decode_scoped_pdu(
                {reinterpret_cast<const std::uint8_t*>(m.encrypted.data()), m.encrypted.size()},
                inner, error);
        }
        return 0;
    }
    for (const auto& vb : m.pdu.varbinds)
        (void)dce::trap::oid_to_string(vb.oid);
    auto again = dce::trap::encode_message(m);
    dce::trap::Message back;
    if (!dce::trap::decode_message(
            {reinterpret_cast<const std::uint8_t*>(again.data()), again.size()}, back, error))
        std::abort();
    if (back.pdu.varbinds.size() != m.pdu.varbinds.size()) std::abort();
    return 0;
}
