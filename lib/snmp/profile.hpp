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
    std::map<std::string, std::string> labels;  ///< fixed labels (e.g. a per-phase scalar)
    /// Row filter (`where`): keep rows whose index arc `where_arc` (1-based), or whose
    /// `where_column` in the same row, holds one of `where_in`.
    int where_arc = 0;
    Oid where_column;
    std::vector<std::int64_t> where_in;
    /// Per-row decimal digits: the value is multiplied by 10^-digits (then by scale).
    Oid decimals_column;
    bool is_table() const { return !table.empty(); }
    bool has_where() const { return where_arc > 0 || !where_column.empty(); }
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
    /// Subtrees that confirm the profile: it applies when a GETNEXT on any of them lands
    /// inside it (requires_oid counts as one more). Empty: the family alone decides.
    std::vector<Oid> probes;
    std::vector<std::string> replaces;  ///< profiles dropped when this one applies
    std::string mib;                    ///< the MIB module(s) the metrics come from
    bool last_resort = false;           ///< applies only when no other profile does
    /// No sysObjectID prefix and no sysDescr regex: a candidate on every device.
    bool generic() const { return sys_object_id_prefix.empty() && !sys_descr_re; }
    /// Neither match keys nor probes: used only when named (dce-poll --profile).
    bool by_name_only() const { return generic() && probes.empty() && !requires_oid; }
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
    /// The same over several profiles: the first naming a metric on an OID wins.
    std::vector<const MetricDef*> metrics_of(const std::vector<std::string>& names) const;
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

/// A `profile` record (dce-poll --list-profiles, docs/DEVICES.md): what the profile
/// matches, probes and reads.
Json profile_record(const Profile& p);

/// What discovery knows about a device when choosing its profiles.
struct DeviceFacts {
    std::string sys_object_id;  ///< numeric
    std::string sys_descr;
    /// The probe subtrees (and requires_oid scalars) that answered. When
    /// `probes_checked` is false, probes are not a condition (family alone decides).
    std::vector<Oid> present_oids;
    /// Probes whose request never came back (timeout): a profile none of whose probes
    /// answered still applies, on its family, when one of its probes is unknown.
    std::vector<Oid> unknown_oids;
    bool probes_checked = false;
    /// Optional cache: family_reasons(set, facts) for the same set (one entry per
    /// profile, in set order). Matching reuses it instead of running each profile's
    /// sysDescr regex again (profiled: a tenth of a sweep's CPU).
    std::vector<std::string> family;
};

/// family_reason() of every profile of `set`, in order (sysObjectID parsed once).
std::vector<std::string> family_reasons(const ProfileSet& set, const DeviceFacts& facts);

/// Why the family of `p` holds ("sysObjectID under X", "sysDescr matches /R/",
/// "any agent"), or empty when it does not.
std::string family_reason(const Profile& p, const DeviceFacts& facts);

/// Profiles whose family holds for the device (generic ones included): the ones to probe.
std::vector<const Profile*> candidate_profiles(const ProfileSet& set, const DeviceFacts& facts);

/// The distinct probe OIDs (probes and requires_oid) of `profiles`, in order.
std::vector<Oid> probe_oids(const std::vector<const Profile*>& profiles);

struct ProfileMatch {
    const Profile* profile = nullptr;
    std::string reason;  ///< plain words: the family and the probes that answered
};

/// True when the family holds and (when probes were checked) a probe answered.
bool profile_matches(const Profile& p, const DeviceFacts& facts, std::string* reason = nullptr);
/// Every applying profile, those named in another applying profile's `replaces`
/// dropped; the primary (highest priority, ties by name) first, then by priority.
std::vector<ProfileMatch> match_profiles(const ProfileSet& set, const DeviceFacts& facts);
/// The primary of match_profiles(), or nullptr.
const Profile* match_profile(const ProfileSet& set, const DeviceFacts& facts);

}  // namespace dce::snmp
