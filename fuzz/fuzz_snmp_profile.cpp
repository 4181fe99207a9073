// Profile files are user input (~/.config/dce/profiles, --profile-dir): any bytes must
// give a profile or errors, never a crash, and a parsed profile must survive matching.
#include "snmp/profile.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto doc = dce::Json::parse(text, nullptr, false);
    if (doc.is_discarded()) return 0;
    dce::snmp::Profile p;
    std::vector<std::string> errors;
    if (!dce::snmp::parse_profile(doc, "fuzz.json", p, errors)) return 0;
    dce::snmp::ProfileSet set;
    set.add(p);
    dce::snmp::DeviceFacts facts{.sys_object_id = "1.3.6.1.4.1.318.1.3.2.12",
                                 .sys_descr = text.substr(0, 64)};
    (void)dce::snmp::match_profile(set, facts);
    // The probe round: every probe answered, then none, then unknown.
    auto candidates = dce::snmp::candidate_profiles(set, facts);
    facts.present_oids = dce::snmp::probe_oids(candidates);
    facts.probes_checked = true;
    (void)dce::snmp::match_profiles(set, facts);
    facts.unknown_oids = facts.present_oids;
    facts.present_oids.clear();
    facts.family = dce::snmp::family_reasons(set, facts);
    (void)dce::snmp::match_profiles(set, facts);
    (void)dce::snmp::profile_record(p).dump();
    (void)set.metrics_of(p.name);
    return 0;
}
