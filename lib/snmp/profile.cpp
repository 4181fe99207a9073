#include "snmp/profile.hpp"

#include "core/files.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace dce::snmp {
namespace {

const std::set<std::string> known_units = {
    "percent",
    "volt",
    "ampere",
    "watt",
    "kilowatt",
    "kilowatt_hour",
    "watt_hour",
    "volt_ampere",
    "kilovolt_ampere",
    "volt_ampere_reactive",
    "celsius",
    "fahrenheit",
    "hertz",
    "second",
    "ratio",
    "rpm",
    "pascal",
    "cubic_meter_per_hour",
    "cubic_foot_per_minute",
    "liter_per_second",
    "liter_per_minute",
    "octet",
    "count",
    "bit_per_second",
    "",
};
const std::set<std::string> known_classes = {"ups",     "pdu",   "ats",     "sensor",
                                             "cooling", "power", "network", "unknown"};

struct Ctx {
    const std::string& origin;
    std::vector<std::string>& errors;
    void error(const std::string& path, const std::string& what) {
        errors.push_back(origin + ":" + path + ": " + what);
    }
};

bool get_oid(Ctx& c, const Json& v, const std::string& path, Oid& out) {
    if (!v.is_string()) {
        c.error(path, "must be a numeric OID string");
        return false;
    }
    if (!parse_oid(v.get<std::string>(), out)) {
        c.error(path,
                "'" + v.get<std::string>() + "' is not a numeric OID (MIB names are not resolved)");
        return false;
    }
    return true;
}

bool get_number(Ctx& c, const Json& v, const std::string& path, double& out) {
    if (!v.is_number()) {
        c.error(path, "must be a number");
        return false;
    }
    out = v.get<double>();
    return true;
}

void check_keys(Ctx& c, const Json& obj, const std::string& path,
                std::initializer_list<const char*> allowed) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool ok = std::any_of(allowed.begin(), allowed.end(),
                              [&](const char* k) { return it.key() == k; });
        // Keys starting "_" or "x-" are comments and extensions, ignored on purpose.
        if (!ok && it.key().rfind('_', 0) != 0 && it.key().rfind("x-", 0) != 0)
            c.error(path + "." + it.key(), "unknown key (typo?)");
    }
}

void parse_metric(Ctx& c, const Json& m, const std::string& path, MetricDef& out) {
    if (!m.is_object()) {
        c.error(path, "must be an object");
        return;
    }
    check_keys(c, m, path,
               {"metric", "unit", "help", "oid", "table", "index", "label_columns", "scale",
                "fallback", "states", "invalid", "labels", "where", "decimals_column"});
    if (!m.contains("metric") || !m["metric"].is_string() ||
        m["metric"].get<std::string>().empty()) {
        c.error(path + ".metric", "missing or not a string");
    } else {
        out.metric = m["metric"].get<std::string>();
        for (char ch : out.metric)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_'))
                c.error(path + ".metric",
                        "'" + out.metric + "' may hold only letters, digits, '.' and '_'");
    }
    if (m.contains("unit")) {
        if (!m["unit"].is_string())
            c.error(path + ".unit", "must be a string");
        else {
            out.unit = m["unit"].get<std::string>();
            if (!known_units.count(out.unit))
                c.error(path + ".unit", "unknown unit '" + out.unit + "'");
        }
    }
    if (m.contains("help")) {
        if (m["help"].is_string())
            out.help = m["help"].get<std::string>();
        else
            c.error(path + ".help", "must be a string");
    }
    bool has_oid = m.contains("oid"), has_table = m.contains("table");
    if (has_oid == has_table)
        c.error(path, "needs exactly one of 'oid' (scalar) or 'table' (column)");
    if (has_oid) get_oid(c, m["oid"], path + ".oid", out.oid);
    if (has_table) get_oid(c, m["table"], path + ".table", out.table);
    if (m.contains("index")) {
        if (!m["index"].is_array())
            c.error(path + ".index", "must be an array of label names");
        else
            for (std::size_t i = 0; i < m["index"].size(); ++i) {
                if (!m["index"][i].is_string())
                    c.error(path + ".index[" + std::to_string(i) + "]", "must be a string");
                else
                    out.index.push_back(m["index"][i].get<std::string>());
            }
        if (has_oid) c.error(path + ".index", "only a table metric has an index");
    }
    if (m.contains("label_columns")) {
        if (!m["label_columns"].is_object())
            c.error(path + ".label_columns", "must be an object name -> column OID");
        else
            for (auto it = m["label_columns"].begin(); it != m["label_columns"].end(); ++it) {
                Oid o;
                if (get_oid(c, it.value(), path + ".label_columns." + it.key(), o))
                    out.label_columns[it.key()] = o;
            }
        if (has_oid) c.error(path + ".label_columns", "only a table metric has label columns");
    }
    if (m.contains("scale")) {
        get_number(c, m["scale"], path + ".scale", out.scale);
        if (out.scale == 0) c.error(path + ".scale", "must not be 0");
    }
    if (m.contains("fallback")) {
        if (!m["fallback"].is_array())
            c.error(path + ".fallback", "must be an array");
        else
            for (std::size_t i = 0; i < m["fallback"].size(); ++i) {
                const Json& f = m["fallback"][i];
                std::string fp = path + ".fallback[" + std::to_string(i) + "]";
                if (!f.is_object() || !f.contains("oid")) {
                    c.error(fp, "must be an object with 'oid'");
                    continue;
                }
                check_keys(c, f, fp, {"oid", "scale"});
                MetricSource src;
                get_oid(c, f["oid"], fp + ".oid", src.oid);
                if (f.contains("scale")) get_number(c, f["scale"], fp + ".scale", src.scale);
                out.fallback.push_back(src);
            }
        if (has_table) c.error(path + ".fallback", "fallback is for scalar metrics");
    }
    if (m.contains("states")) {
        if (!m["states"].is_object())
            c.error(path + ".states", "must be an object raw -> state name");
        else
            for (auto it = m["states"].begin(); it != m["states"].end(); ++it) {
                char* end = nullptr;
                long long v = std::strtoll(it.key().c_str(), &end, 10);
                if (it.key().empty() || *end)
                    c.error(path + ".states." + it.key(), "key must be an integer");
                else if (!it.value().is_string())
                    c.error(path + ".states." + it.key(), "must be a string");
                else
                    out.states[v] = it.value().get<std::string>();
            }
    }
    if (m.contains("invalid")) {
        if (!m["invalid"].is_array())
            c.error(path + ".invalid", "must be an array of integers");
        else
            for (std::size_t i = 0; i < m["invalid"].size(); ++i) {
                if (!m["invalid"][i].is_number_integer())
                    c.error(path + ".invalid[" + std::to_string(i) + "]", "must be an integer");
                else
                    out.invalid.push_back(m["invalid"][i].get<std::int64_t>());
            }
    }
    if (m.contains("labels")) {
        if (!m["labels"].is_object())
            c.error(path + ".labels", "must be an object name -> text");
        else
            for (auto it = m["labels"].begin(); it != m["labels"].end(); ++it) {
                if (!it.value().is_string())
                    c.error(path + ".labels." + it.key(), "must be a string");
                else
                    out.labels[it.key()] = it.value().get<std::string>();
            }
    }
    if (m.contains("where")) {
        const Json& w = m["where"];
        std::string wp = path + ".where";
        if (!w.is_object()) {
            c.error(wp, "must be an object with 'index_arc' or 'column', and 'in'");
        } else {
            check_keys(c, w, wp, {"index_arc", "column", "in"});
            if (w.contains("index_arc") == w.contains("column"))
                c.error(wp, "needs exactly one of 'index_arc' or 'column'");
            if (w.contains("index_arc")) {
                if (!w["index_arc"].is_number_integer() || w["index_arc"].get<int>() < 1 ||
                    w["index_arc"].get<int>() > 128)
                    c.error(wp + ".index_arc", "must be an integer from 1 (the first arc)");
                else
                    out.where_arc = w["index_arc"].get<int>();
            }
            if (w.contains("column")) get_oid(c, w["column"], wp + ".column", out.where_column);
            if (!w.contains("in") || !w["in"].is_array() || w["in"].empty())
                c.error(wp + ".in", "must be a non-empty array of integers");
            else
                for (std::size_t i = 0; i < w["in"].size(); ++i) {
                    if (!w["in"][i].is_number_integer())
                        c.error(wp + ".in[" + std::to_string(i) + "]", "must be an integer");
                    else
                        out.where_in.push_back(w["in"][i].get<std::int64_t>());
                }
        }
        if (has_oid) c.error(wp, "only a table metric has rows to filter");
    }
    if (m.contains("decimals_column")) {
        get_oid(c, m["decimals_column"], path + ".decimals_column", out.decimals_column);
        if (has_oid) c.error(path + ".decimals_column", "only a table metric has rows");
    }
}

}  // namespace

bool parse_profile(const Json& doc, const std::string& origin, Profile& out,
                   std::vector<std::string>& errors) {
    std::size_t before = errors.size();
    Ctx c{origin, errors};
    out = Profile{};
    out.path = origin;
    if (!doc.is_object()) {
        c.error("$", "a profile is a JSON object");
        return false;
    }
    check_keys(c, doc, "$",
               {"profile", "description", "class", "priority", "match", "identity", "metrics",
                "also", "replaces", "mib", "last_resort"});
    if (!doc.contains("profile") || !doc["profile"].is_string() ||
        doc["profile"].get<std::string>().empty())
        c.error("$.profile", "missing or not a string");
    else
        out.name = doc["profile"].get<std::string>();
    if (doc.contains("description") && doc["description"].is_string())
        out.description = doc["description"].get<std::string>();
    if (doc.contains("last_resort")) {
        if (doc["last_resort"].is_boolean())
            out.last_resort = doc["last_resort"].get<bool>();
        else
            c.error("$.last_resort", "must be true or false");
    }
    if (doc.contains("mib")) {
        if (doc["mib"].is_string())
            out.mib = doc["mib"].get<std::string>();
        else
            c.error("$.mib", "must be a string (the MIB module names)");
    }
    out.device_class = "unknown";
    if (doc.contains("class")) {
        if (!doc["class"].is_string() || !known_classes.count(doc["class"].get<std::string>()))
            c.error("$.class", "must be one of ups, pdu, sensor, cooling, network, unknown");
        else
            out.device_class = doc["class"].get<std::string>();
    }
    if (doc.contains("priority")) {
        if (!doc["priority"].is_number_integer())
            c.error("$.priority", "must be an integer");
        else
            out.priority = doc["priority"].get<int>();
    }
    if (doc.contains("match")) {
        const Json& m = doc["match"];
        if (!m.is_object())
            c.error("$.match", "must be an object");
        else {
            check_keys(c, m, "$.match",
                       {"sys_object_id_prefix", "sys_descr_regex", "requires_oid", "probe"});
            if (m.contains("sys_object_id_prefix")) {
                const Json& p = m["sys_object_id_prefix"];
                if (p.is_string()) {
                    Oid o;
                    if (get_oid(c, p, "$.match.sys_object_id_prefix", o))
                        out.sys_object_id_prefix.push_back(o);
                } else if (p.is_array()) {
                    for (std::size_t i = 0; i < p.size(); ++i) {
                        Oid o;
                        if (get_oid(c, p[i],
                                    "$.match.sys_object_id_prefix[" + std::to_string(i) + "]", o))
                            out.sys_object_id_prefix.push_back(o);
                    }
                } else
                    c.error("$.match.sys_object_id_prefix",
                            "must be an OID string or an array of them");
            }
            if (m.contains("sys_descr_regex")) {
                if (!m["sys_descr_regex"].is_string())
                    c.error("$.match.sys_descr_regex", "must be a string");
                else {
                    out.sys_descr_regex = m["sys_descr_regex"].get<std::string>();
                    try {
                        out.sys_descr_re.emplace(out.sys_descr_regex, std::regex::ECMAScript |
                                                                          std::regex::optimize |
                                                                          std::regex::nosubs);
                    } catch (const std::regex_error& e) {
                        c.error("$.match.sys_descr_regex",
                                std::string("bad regular expression: ") + e.what());
                    }
                }
            }
            if (m.contains("requires_oid")) {
                Oid o;
                if (get_oid(c, m["requires_oid"], "$.match.requires_oid", o)) out.requires_oid = o;
            }
            if (m.contains("probe")) {
                const Json& p = m["probe"];
                if (!p.is_array() || p.empty())
                    c.error("$.match.probe", "must be a non-empty array of subtree OIDs");
                else
                    for (std::size_t i = 0; i < p.size(); ++i) {
                        Oid o;
                        if (get_oid(c, p[i], "$.match.probe[" + std::to_string(i) + "]", o))
                            out.probes.push_back(o);
                    }
            }
        }
    }
    if (doc.contains("identity")) {
        if (!doc["identity"].is_object())
            c.error("$.identity", "must be an object field -> OID");
        else
            for (auto it = doc["identity"].begin(); it != doc["identity"].end(); ++it) {
                Oid o;
                if (get_oid(c, it.value(), "$.identity." + it.key(), o)) out.identity[it.key()] = o;
            }
    }
    for (auto [key, list] : {std::pair{"replaces", &out.replaces}, std::pair{"also", &out.also}}) {
        if (!doc.contains(key)) continue;
        std::string path = std::string("$.") + key;
        if (!doc[key].is_array())
            c.error(path, "must be an array of profile names");
        else
            for (const auto& a : doc[key]) {
                if (a.is_string())
                    list->push_back(a.get<std::string>());
                else
                    c.error(path, "must hold strings");
            }
    }
    if (!doc.contains("metrics") || !doc["metrics"].is_array()) {
        c.error("$.metrics", "missing or not an array");
    } else {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < doc["metrics"].size(); ++i) {
            MetricDef m;
            std::string path = "$.metrics[" + std::to_string(i) + "]";
            parse_metric(c, doc["metrics"][i], path, m);
            out.metrics.push_back(std::move(m));
        }
    }
    return errors.size() == before;
}

bool load_profile_file(const std::string& path, Profile& out, std::vector<std::string>& errors) {
    std::string text, why;
    if (!read_file_capped(path, max_list_file, text, why)) {
        errors.push_back(why);
        return false;
    }
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        // Re-parse with exceptions on for the byte position of the error.
        try {
            Json again = Json::parse(text);
            (void)again;
        } catch (const nlohmann::json::parse_error& e) {
            errors.push_back(path + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
            return false;
        } catch (const nlohmann::json::exception&) {
            // e.g. out_of_range for a number too large for a double (see jsonl.cpp).
            errors.push_back(path + ": not valid JSON (a number is too large)");
            return false;
        }
        errors.push_back(path + ": not valid JSON");
        return false;
    }
    return parse_profile(doc, path, out, errors);
}

void ProfileSet::add(Profile p) {
    for (auto& q : profiles_)
        if (q.name == p.name) {
            q = std::move(p);
            return;
        }
    profiles_.push_back(std::move(p));
}

void ProfileSet::load_dir(const std::string& dir, std::vector<std::string>& errors) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return;
    for (const auto& f : json_files_in(dir, ec)) {
        Profile p;
        if (load_profile_file(f, p, errors)) add(std::move(p));
    }
}

const Profile* ProfileSet::find(std::string_view name) const {
    for (const auto& p : profiles_)
        if (p.name == name) return &p;
    return nullptr;
}

std::vector<const MetricDef*> ProfileSet::metrics_of(std::string_view name) const {
    return metrics_of(std::vector<std::string>{std::string(name)});
}

std::vector<const MetricDef*> ProfileSet::metrics_of(const std::vector<std::string>& names) const {
    std::vector<const MetricDef*> out;
    std::set<std::string> visited;
    // What a metric reads: its name, OID and row filter.
    using Key = std::tuple<std::string, Oid, Oid, int, std::vector<std::int64_t>>;
    std::set<Key> seen;
    std::vector<std::string> todo = names;
    while (!todo.empty()) {
        std::string n = todo.front();
        todo.erase(todo.begin());
        if (!visited.insert(n).second) continue;
        const Profile* p = find(n);
        if (!p) continue;
        for (const auto& m : p->metrics)
            // The first profile naming a metric wins, so a specific profile overrides
            // what its `also` profile says about the same metric and labels.
            if (seen.insert({m.metric, m.is_table() ? m.table : m.oid, m.where_column, m.where_arc,
                             m.where_in})
                    .second)
                out.push_back(&m);
        for (const auto& a : p->also)
            todo.push_back(a);
    }
    return out;
}

std::vector<std::string> default_profile_dirs(const std::vector<std::string>& extra) {
    return data_dirs("profiles", "DCE_PROFILE_DIR", extra);
}

ProfileSet load_profiles(const std::vector<std::string>& extra, std::vector<std::string>& errors) {
    ProfileSet set;
    for (const auto& d : default_profile_dirs(extra))
        set.load_dir(d, errors);
    return set;
}

namespace {

bool holds(const std::vector<Oid>& list, const Oid& o) {
    return std::find(list.begin(), list.end(), o) != list.end();
}

}  // namespace

Json profile_record(const Profile& p) {
    Json r = new_record("profile");
    r["name"] = p.name;
    if (!p.description.empty()) r["description"] = p.description;
    r["class"] = p.device_class;
    r["priority"] = p.priority;
    if (!p.mib.empty()) r["mib"] = p.mib;
    Json family = Json::array();
    for (const auto& o : p.sys_object_id_prefix)
        family.push_back("sysObjectID " + oid_to_string(o));
    if (p.sys_descr_re) family.push_back("sysDescr /" + p.sys_descr_regex + "/");
    r["family"] = family;
    Json probes = Json::array();
    for (const auto& o : p.probes)
        probes.push_back(oid_to_string(o));
    if (p.requires_oid) probes.push_back(oid_to_string(*p.requires_oid));
    r["probe"] = probes;
    if (!p.replaces.empty()) r["replaces"] = p.replaces;
    Json metrics = Json::array();
    for (const auto& m : p.metrics) {
        Json j = Json::object();
        j["metric"] = m.metric;
        if (!m.unit.empty()) j["unit"] = m.unit;
        if (m.is_table()) {
            j["table"] = oid_to_string(m.table);
            if (!m.index.empty()) j["index"] = m.index;
        } else {
            j["oid"] = oid_to_string(m.oid);
        }
        if (m.scale != 1.0) j["scale"] = m.scale;
        if (!m.states.empty()) {
            Json st = Json::object();
            for (const auto& [k, v] : m.states)
                st[std::to_string(k)] = v;
            j["states"] = st;
        }
        if (!m.labels.empty()) j["labels"] = m.labels;
        metrics.push_back(std::move(j));
    }
    r["metrics"] = metrics;
    if (!p.also.empty()) r["also"] = p.also;
    r["path"] = p.path;
    return r;
}

namespace {

std::string family_reason(const Profile& p, const std::optional<Oid>& object_id,
                          const std::string& descr) {
    if (p.generic()) return "any agent";
    if (object_id)
        for (const auto& pre : p.sys_object_id_prefix)
            if (oid_starts_with(*object_id, pre)) return "sysObjectID under " + oid_to_string(pre);
    // sysDescr is the agent's text: bound the regex's work.
    if (p.sys_descr_re && std::regex_search(descr.substr(0, 1024), *p.sys_descr_re))
        return "sysDescr matches /" + p.sys_descr_regex + "/";
    return {};
}

std::optional<Oid> object_id_of(const DeviceFacts& facts) {
    Oid o;
    if (!parse_oid(facts.sys_object_id, o)) return std::nullopt;
    return o;
}

// Whether a profile whose family holds (`why` says how) is confirmed by its probes.
bool confirmed(const Profile& p, std::string why, const DeviceFacts& facts, std::string* reason) {
    if (p.by_name_only() || why.empty()) return false;
    if (facts.probes_checked && (!p.probes.empty() || p.requires_oid)) {
        std::vector<std::string> hits;
        for (const auto& o : p.probes)
            if (holds(facts.present_oids, o)) hits.push_back(oid_to_string(o));
        if (p.requires_oid && holds(facts.present_oids, *p.requires_oid))
            hits.push_back(oid_to_string(*p.requires_oid));
        if (!hits.empty()) {
            why += hits.size() == 1 ? "; answers " : "; answer ";
            for (std::size_t i = 0; i < hits.size(); ++i)
                why += (i ? ", " : "") + hits[i];
        } else if (std::any_of(p.probes.begin(), p.probes.end(),
                               [&](const Oid& o) { return holds(facts.unknown_oids, o); })) {
            why += "; its tables could not be probed (no answer in time)";
        } else {
            return false;
        }
    }
    if (reason) *reason = std::move(why);
    return true;
}

}  // namespace

std::string family_reason(const Profile& p, const DeviceFacts& facts) {
    return family_reason(p, object_id_of(facts), facts.sys_descr);
}

std::vector<std::string> family_reasons(const ProfileSet& set, const DeviceFacts& facts) {
    auto object_id = object_id_of(facts);
    std::vector<std::string> out;
    out.reserve(set.all().size());
    for (const auto& p : set.all())
        out.push_back(family_reason(p, object_id, facts.sys_descr));
    return out;
}

namespace {

// facts.family when it was computed for this set, else the reasons computed into `storage`.
const std::vector<std::string>& family_of(const ProfileSet& set, const DeviceFacts& facts,
                                          std::vector<std::string>& storage) {
    if (facts.family.size() == set.all().size()) return facts.family;
    return storage = family_reasons(set, facts);
}

}  // namespace

std::vector<const Profile*> candidate_profiles(const ProfileSet& set, const DeviceFacts& facts) {
    std::vector<const Profile*> out;
    std::vector<std::string> computed;
    const auto& reasons = family_of(set, facts, computed);
    for (std::size_t i = 0; i < set.all().size(); ++i)
        if (!set.all()[i].by_name_only() && !reasons[i].empty()) out.push_back(&set.all()[i]);
    return out;
}

std::vector<Oid> probe_oids(const std::vector<const Profile*>& profiles) {
    std::vector<Oid> out;
    auto add = [&](const Oid& o) {
        if (std::find(out.begin(), out.end(), o) == out.end()) out.push_back(o);
    };
    for (const auto* p : profiles) {
        for (const auto& o : p->probes)
            add(o);
        if (p->requires_oid) add(*p->requires_oid);
    }
    return out;
}

bool profile_matches(const Profile& p, const DeviceFacts& facts, std::string* reason) {
    return confirmed(p, family_reason(p, facts), facts, reason);
}

std::vector<ProfileMatch> match_profiles(const ProfileSet& set, const DeviceFacts& facts) {
    std::vector<std::string> computed;
    const auto& reasons = family_of(set, facts, computed);
    std::vector<ProfileMatch> all;
    for (std::size_t i = 0; i < set.all().size(); ++i) {
        std::string why;
        if (confirmed(set.all()[i], reasons[i], facts, &why))
            all.push_back({&set.all()[i], std::move(why)});
    }
    std::set<std::string> dropped;
    for (const auto& m : all)
        for (const auto& r : m.profile->replaces)
            if (r != m.profile->name) dropped.insert(r);
    bool any_specific = std::any_of(all.begin(), all.end(), [&](const ProfileMatch& m) {
        return !m.profile->last_resort && !dropped.count(m.profile->name);
    });
    std::vector<ProfileMatch> out;
    for (auto& m : all)
        if (!dropped.count(m.profile->name) && !(any_specific && m.profile->last_resort))
            out.push_back(std::move(m));
    std::stable_sort(out.begin(), out.end(), [](const ProfileMatch& a, const ProfileMatch& b) {
        if (a.profile->priority != b.profile->priority)
            return a.profile->priority > b.profile->priority;
        return a.profile->name < b.profile->name;
    });
    return out;
}

const Profile* match_profile(const ProfileSet& set, const DeviceFacts& facts) {
    auto all = match_profiles(set, facts);
    return all.empty() ? nullptr : all.front().profile;
}

}  // namespace dce::snmp
