#pragma once
// The trap catalogue: names, severities and descriptions of notifications, as data
// files (traps/*.json beside profiles/), generated from the vendors' MIBs by
// scripts/gen-trap-catalogue.py. Users add files in ~/.config/dce/traps/ or
// --catalogue-dir without rebuilding. Format: docs/TRAPS.md.

#include "trap/message.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dce::trap {

struct TrapInfo {
    Oid oid;                     ///< the SNMPv2 notification OID (v1 traps mapped, RFC 3584)
    std::string name;            ///< upsOnBattery
    std::string mib;             ///< PowerNet-MIB
    std::string severity;        ///< info | warn | critical
    std::string summary;         ///< text, with %s/%d placeholders filled from `arguments`
    std::vector<int> arguments;  ///< varbind indexes (0-based) the placeholders take
    std::string file;            ///< catalogue file it came from
};

class Catalogue {
  public:
    /// Loads every *.json in `dir` (a missing dir is not an error); a later file's entry
    /// replaces an earlier one with the same OID. Errors name the file and what is wrong.
    void load_dir(const std::string& dir, std::vector<std::string>& errors);
    bool load_file(const std::string& path, std::string& error);
    bool load_text(std::string_view text, std::string_view origin, std::string& error);

    const TrapInfo* find(const Oid& trap_oid) const;
    /// Name of an object instance: the longest known object prefix plus the rest,
    /// "upsAdvBatteryCapacity.0", "ifIndex.3"; empty when no prefix is known.
    std::string object_name(const Oid& oid) const;
    /// The summary with its placeholders filled from the varbind values given as text;
    /// a missing argument leaves the placeholder as is.
    static std::string describe(const TrapInfo& t, const std::vector<std::string>& values);

    std::size_t trap_count() const { return traps_.size(); }
    std::size_t object_count() const { return objects_.size(); }
    /// Every entry, by OID (for listing and checks).
    const std::map<Oid, TrapInfo>& traps() const { return traps_; }

  private:
    std::map<Oid, TrapInfo> traps_;
    std::map<Oid, std::string> objects_;
};

/// Built-in (installed, or the source tree's traps/ when uninstalled; $DCE_TRAP_DIR
/// replaces it), then ~/.config/dce/traps ($XDG_CONFIG_HOME), then `extra`.
std::vector<std::string> default_catalogue_dirs(const std::vector<std::string>& extra);

/// RFC 3584 section 3.1: the SNMPv2 snmpTrapOID of an SNMPv1 trap. generic 0..5 ->
/// snmpTraps.(generic+1); 6 (enterpriseSpecific) -> enterprise.0.specific. A generic
/// value outside 0..6 has no mapping: the result is empty.
Oid v1_trap_oid(const Oid& enterprise, std::int32_t generic, std::int32_t specific);

}  // namespace dce::trap
