#pragma once
// Naming what answered: the vendor behind an enterprise number, the fields an APC
// network management card packs into its sysDescr, and a device class when no profile
// says one. Pure functions over strings, so the fuzzer and the unit tests reach them
// without a network.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dce::discover {

/// The vendor an IANA private enterprise number belongs to (the numbers found in
/// sysObjectID and SNMPv3 engine IDs of the devices a data centre has), or nullopt.
std::optional<std::string_view> enterprise_vendor(std::uint32_t enterprise);

/// The enterprise number of an OID under 1.3.6.1.4.1 ("1.3.6.1.4.1.318.1.3.2.12" → 318).
std::optional<std::uint32_t> enterprise_of_oid(std::string_view dotted_oid);

/// The enterprise number in an SNMPv3 engine ID given as hex (RFC 3411: the first four
/// octets with the top bit set carry it; without that bit, the SNMPv1-era format whose
/// first four octets are the enterprise number itself). Nullopt when the ID is too
/// short or not hex.
std::optional<std::uint32_t> enterprise_of_engine_id(std::string_view hex);

/// The fields of an APC network management card's sysDescr:
///   APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2 PN:apc_hw05_aos_682.bin AF1:v6.8.2
///   AN1:apc_hw05_sumx_682.bin MN:AP9631 HR:05 SN: ZA1234567890 MD:04/18/2022) (...)
/// Keys as the card writes them (MB, PF, PN, AF1, AN1, MN, HR, SN, MD); a key's value is
/// the text up to the next key or the closing parenthesis, trimmed (the card puts a space
/// after "SN:"). Empty when the text holds no such list.
std::map<std::string, std::string> parse_apc_sysdescr(std::string_view sys_descr);

/// What identification found; empty strings are unknown.
struct Identity {
    std::string vendor, model, serial, firmware, device_class;
    /// The management card itself (APC NMC): model, serial, firmware from sysDescr.
    std::string card_model, card_serial, card_firmware;
};

/// Vendor, model, serial, firmware and class from what every SNMP agent has
/// (sysObjectID, sysDescr) and the engine ID's enterprise. Values read from a device's
/// identity OIDs (a profile's, ENTITY-MIB, UPS-MIB) override these later.
Identity identify_from_system(std::string_view sys_object_id, std::string_view sys_descr,
                              std::optional<std::uint32_t> engine_enterprise);

/// A device class for when no profile matched: APC product branches, NetBotz, UPS-MIB
/// answering, network vendors. "unknown" when nothing says.
std::string guess_class(std::string_view sys_object_id, std::string_view sys_descr,
                        bool has_ups_mib);

}  // namespace dce::discover
