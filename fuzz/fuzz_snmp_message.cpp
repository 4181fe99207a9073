// Answers from the network: arbitrary bytes through net-snmp's BER parser and the
// engine's value conversion (decode_community_message), then to JSON as dce-poll does.
#include "snmp/snmp.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dce::snmp::DecodedMessage m;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (dce::snmp::decode_community_message(bytes, m))
        for (const auto& vb : m.varbinds)
            (void)dce::snmp::to_json(vb).dump();
    (void)dce::snmp::parse_engine_id(bytes);
    (void)dce::snmp::octets_to_display(bytes);
    return 0;
}
