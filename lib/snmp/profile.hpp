#pragma once
// Device profiles (docs/PROFILES.md): data files saying how to recognise a device and
// what to read from it. Loaded from the built-in dir, ~/.config/dce/profiles and any
// --profile-dir, later dirs overriding earlier ones by profile name. PUBLIC API:
// dce-discover calls load_profiles() and match_profile().

#include "core/record.hpp"
#include "snmp/snmp.hpp"

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace dce::snmp {

struct MetricSource {
    Oid oid;  ///< scalar OID (for the primary: empty when a table column)
    double scale = 1.0;
};

struct MetricDef {
    std::string metric;              ///< dotted name, e.g. ups.battery.charge
    std::string unit;                ///< one of PROFILES.md's units, or empty
    std::string help;                ///< optional description (OpenMetrics # HELP)
    Oid oid;                         ///< scalar; or
    Oid table;                       ///< table column, walked
    std::vector<std::string> index;  ///< names of the row index arcs (labels)
    std::map<std::string, Oid> label_columns;
    double scale = 1.0;
    std::vector<MetricSource> fallback;
    std::map<std::int64_t, std::string> states;
    std::vector<std::int64_t> invalid;
    bool is_table() const { return !table.empty(); }
};

struct Profile {
    std::string name;
    std::string description;
    std::string device_class;  ///< ups, pdu, sensor, cooling, network, unknown
    int priority = 0;
    // match
    std::vector<Oid> sys_object_id_prefix;
    std::string sys_descr_regex;
    std::optional<std::regex> sys_descr_re;
    std::optional<Oid> requires_oid;
    // identity: field name (model, firmware, serial, ...) -> OID
    std::map<std::string, Oid> identity;
    std::vector<std::string> also;  ///< other profiles whose metrics are polled too
    std::vector<MetricDef> metrics;
    std::string path;  ///< file it came from
};

/// Parses one profile document; errors read "FILE:JSON-PATH: what is wrong", one per
/// entry of `errors`. False when any error was found (the profile is then unusable).
bool parse_profile(const Json& doc, const std::string& origin, Profile& out,
                   std::vector<std::string>& errors);
bool load_profile_file(const std::string& path, Profile& out, std::vector<std::string>& errors);

class ProfileSet {
  public:
    /// Loads every *.json in `dir` (a missing dir is not an error); a later load of the
    /// same profile name replaces the earlier. Bad files add errors and are skipped.
    void load_dir(const std::string& dir, std::vector<std::string>& errors);
    void add(Profile p);
    const Profile* find(std::string_view name) const;
    const std::vector<Profile>& all() const { return profiles_; }
    /// The metrics of `name` plus those of its `also` profiles (once each, no cycles).
    std::vector<const MetricDef*> metrics_of(std::string_view name) const;
    bool empty() const { return profiles_.empty(); }

  private:
    std::vector<Profile> profiles_;
};

/// The directories searched, in order: DCE_PROFILE_DIR env or the source tree's
/// profiles/ (for uninstalled builds) or the install dir, then
/// $XDG_CONFIG_HOME/dce/profiles (~/.config/dce/profiles), then `extra` (--profile-dir).
std::vector<std::string> default_profile_dirs(const std::vector<std::string>& extra);
/// load_dir() over default_profile_dirs(extra).
ProfileSet load_profiles(const std::vector<std::string>& extra, std::vector<std::string>& errors);

/// What discovery knows about a device when choosing a profile.
struct DeviceFacts {
    std::string sys_object_id;  ///< numeric
    std::string sys_descr;
    /// OIDs a profile's `requires_oid` names that answered with a value. Discovery can
    /// GET every profile's requires_oid (see required_oids()) and fill this in; when
    /// `requires_checked` is false, requires_oid is not a condition.
    std::vector<Oid> present_oids;
    bool requires_checked = false;
};

/// Distinct requires_oid of all profiles, to GET in one request during discovery.
std::vector<Oid> required_oids(const ProfileSet& set);

/// True when every `match` key of `p` holds for `facts`.
bool profile_matches(const Profile& p, const DeviceFacts& facts);
/// The matching profile with the highest priority (ties: name order), or nullptr.
const Profile* match_profile(const ProfileSet& set, const DeviceFacts& facts);

}  // namespace dce::snmp
