#pragma once
// Numeric SNMP object identifiers, shared by the SNMP engine (lib/snmp, on net-snmp) and
// the trap receiver's own codec (lib/trap), which may not link each other.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dce {

/// A numeric OID as arcs. Numeric only: nothing here loads MIB files.
using Oid = std::vector<std::uint32_t>;

/// Parses "1.3.6.1.2.1.1.1.0" (a leading "." is accepted); false when not numeric, an arc
/// is over 2^32-1, or there are more than 128 arcs (SNMP's limit).
bool parse_oid(std::string_view text, Oid& out);
std::string oid_to_string(const Oid& oid);
/// True when `oid` lies strictly or equally under `prefix` (whole arcs).
bool oid_starts_with(const Oid& oid, const Oid& prefix);

}  // namespace dce
