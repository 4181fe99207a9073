#pragma once
// SNMP messages as bytes on the wire (BER, RFC 3416/3417, RFC 3412 for v3): what the
// trap receiver decodes and the few messages it answers with (inform Response, v3
// Report). Our own decoder, not net-snmp's snmp_parse: the receive path decodes
// 100,000 traps/s on one core, and net-snmp's parser allocates a netsnmp_pdu, copies
// every varbind and takes its library lock per packet. Depends on nothing but the
// standard library; fuzzed by fuzz/fuzz_trap_message.cpp.
//
// Every decode function checks lengths against the bytes it was given and never reads
// past them; nesting is limited; an error says what and at which byte offset.

#include "core/oid.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dce::trap {

using dce::Oid;  // numeric OIDs and their helpers: core/oid.hpp
using dce::oid_starts_with;
using dce::oid_to_string;
using dce::parse_oid;

enum class ValueType : std::uint8_t {
    integer,
    octet_string,
    null,
    object_id,
    ip_address,
    counter32,
    gauge32,
    timeticks,
    opaque,
    counter64,
    no_such_object,
    no_such_instance,
    end_of_mib_view,
};
/// "Integer32", "OCTET STRING", "Counter64", ... (the SMI names, as dce-poll's snmp_type).
std::string_view type_name(ValueType t);

struct Value {
    ValueType type = ValueType::null;
    std::int64_t i = 0;   ///< integer
    std::uint64_t u = 0;  ///< counter32, gauge32, timeticks, counter64
    std::string bytes;    ///< octet_string, opaque: raw; ip_address: 4 raw bytes
    Oid oid;              ///< object_id
};

struct VarBind {
    Oid oid;
    Value value;
};

enum class PduType : std::uint8_t {
    get = 0xA0,
    get_next = 0xA1,
    response = 0xA2,
    set = 0xA3,
    trap_v1 = 0xA4,
    get_bulk = 0xA5,
    inform = 0xA6,
    trap_v2 = 0xA7,
    report = 0xA8,
};

struct Pdu {
    PduType type = PduType::trap_v2;
    std::int32_t request_id = 0;
    std::int32_t error_status = 0;
    std::int32_t error_index = 0;
    // SNMPv1 Trap-PDU only (RFC 1157)
    Oid enterprise;
    std::string agent_addr;  ///< 4 raw bytes
    std::int32_t generic_trap = 0;
    std::int32_t specific_trap = 0;
    std::uint32_t time_stamp = 0;
    std::vector<VarBind> varbinds;
};

enum class Version : std::int32_t { v1 = 0, v2c = 1, v3 = 3 };

/// RFC 3414 UsmSecurityParameters.
struct Usm {
    std::string engine_id;
    std::uint32_t boots = 0;
    std::uint32_t time = 0;
    std::string user;
    std::string auth_params;
    std::string priv_params;
    /// Where auth_params' bytes sit in the whole message (for HMAC check: zero them).
    std::size_t auth_params_offset = 0;
};

inline constexpr std::uint8_t flag_auth = 0x01, flag_priv = 0x02, flag_reportable = 0x04;

struct Message {
    Version version = Version::v2c;
    std::string community;  ///< v1/v2c
    // v3 (RFC 3412 HeaderData)
    std::int32_t msg_id = 0;
    std::int32_t max_size = 65507;
    std::uint8_t flags = 0;
    std::int32_t security_model = 3;
    Usm usm;
    std::string context_engine_id;
    std::string context_name;
    /// v3 with flag_priv: the encryptedPDU octets, still encrypted; decode_scoped_pdu()
    /// takes the plaintext once USM decrypted it. Empty otherwise.
    std::string encrypted;
    bool has_pdu = false;  ///< false only for an encrypted v3 message not yet decrypted
    Pdu pdu;
};

/// Decodes one datagram. For v3 with the priv flag the scoped PDU is left in
/// m.encrypted (has_pdu false). False with `error` ("truncated length at byte 12").
bool decode_message(std::span<const std::uint8_t> packet, Message& m, std::string& error);
/// Decodes a decrypted ScopedPDU (trailing padding after it is allowed, as DES leaves).
bool decode_scoped_pdu(std::span<const std::uint8_t> plaintext, Message& m, std::string& error);

/// Encodes a whole v1/v2c message, or a v3 message whose scoped PDU is sent in clear.
/// For v3 with flag_auth, m.usm.auth_params must already hold the right number of zero
/// bytes; the returned auth_offset tells where to write the digest (usm.hpp sign()).
std::string encode_message(const Message& m, std::size_t* auth_offset = nullptr);
/// The ScopedPDU alone (contextEngineID, contextName, PDU): what v3 privacy encrypts.
std::string encode_scoped_pdu(const Message& m);
/// A v3 message whose msgData is `encrypted` (an encryptedPDU OCTET STRING).
std::string encode_message_encrypted(const Message& m, std::string_view encrypted,
                                     std::size_t* auth_offset = nullptr);

}  // namespace dce::trap
