#include "snmp/profile.hpp"

#include "core/files.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace dce::snmp {
namespace {

const std::set<std::string> known_units = {
    "percent", "volt",   "ampere",      "watt",  "kilowatt", "kilowatt_hour",  "celsius",
    "hertz",   "second", "volt_ampere", "octet", "count",    "bit_per_second", "",
};
const std::set<std::string> known_classes = {"ups",     "pdu",     "sensor",
                                             "cooling", "network", "unknown"};

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
                "fallback", "states", "invalid"});
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
    check_keys(
        c, doc, "$",
        {"profile", "description", "class", "priority", "match", "identity", "metrics", "also"});
    if (!doc.contains("profile") || !doc["profile"].is_string() ||
        doc["profile"].get<std::string>().empty())
        c.error("$.profile", "missing or not a string");
    else
        out.name = doc["profile"].get<std::string>();
    if (doc.contains("description") && doc["description"].is_string())
        out.description = doc["description"].get<std::string>();
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
                       {"sys_object_id_prefix", "sys_descr_regex", "requires_oid"});
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
                        out.sys_descr_re.emplace(out.sys_descr_regex,
                                                 std::regex::ECMAScript | std::regex::optimize);
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
    if (doc.contains("also")) {
        if (!doc["also"].is_array())
            c.error("$.also", "must be an array of profile names");
        else
            for (const auto& a : doc["also"]) {
                if (a.is_string())
                    out.also.push_back(a.get<std::string>());
                else
                    c.error("$.also", "must hold strings");
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
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
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
    std::vector<const MetricDef*> out;
    std::set<std::string> visited, metric_names;
    std::vector<std::string> todo{std::string(name)};
    while (!todo.empty()) {
        std::string n = todo.front();
        todo.erase(todo.begin());
        if (!visited.insert(n).second) continue;
        const Profile* p = find(n);
        if (!p) continue;
        for (const auto& m : p->metrics)
            // The first profile naming a metric wins, so a specific profile overrides
            // what its `also` profile says about the same metric and labels.
            if (metric_names
                    .insert(m.metric + "\x1f" + oid_to_string(m.is_table() ? m.table : m.oid))
                    .second)
                out.push_back(&m);
        for (const auto& a : p->also)
            todo.push_back(a);
    }
    return out;
}

std::vector<std::string> default_profile_dirs(const std::vector<std::string>& extra) {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("DCE_PROFILE_DIR"); env && *env) {
        dirs.emplace_back(env);
    } else {
        std::error_code ec;
        std::string installed = std::string(DCE_DATADIR) + "/profiles";
        std::string source = std::string(DCE_SOURCE_DIR) + "/profiles";
        // An uninstalled build uses its source tree's profiles.
        if (std::filesystem::is_directory(installed, ec))
            dirs.push_back(installed);
        else
            dirs.push_back(source);
    }
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        dirs.push_back(std::string(xdg) + "/dce/profiles");
    else if (const char* home = std::getenv("HOME"); home && *home)
        dirs.push_back(std::string(home) + "/.config/dce/profiles");
    for (const auto& e : extra)
        dirs.push_back(e);
    return dirs;
}

ProfileSet load_profiles(const std::vector<std::string>& extra, std::vector<std::string>& errors) {
    ProfileSet set;
    for (const auto& d : default_profile_dirs(extra))
        set.load_dir(d, errors);
    return set;
}

std::vector<Oid> required_oids(const ProfileSet& set) {
    std::vector<Oid> out;
    for (const auto& p : set.all())
        if (p.requires_oid && std::find(out.begin(), out.end(), *p.requires_oid) == out.end())
            out.push_back(*p.requires_oid);
    return out;
}

bool profile_matches(const Profile& p, const DeviceFacts& facts) {
    if (p.sys_object_id_prefix.empty() && !p.sys_descr_re && !p.requires_oid) return false;
    if (!p.sys_object_id_prefix.empty()) {
        Oid o;
        if (!parse_oid(facts.sys_object_id, o)) return false;
        bool any = std::any_of(p.sys_object_id_prefix.begin(), p.sys_object_id_prefix.end(),
                               [&](const Oid& pre) { return oid_starts_with(o, pre); });
        if (!any) return false;
    }
    if (p.sys_descr_re && !std::regex_search(facts.sys_descr, *p.sys_descr_re)) return false;
    if (p.requires_oid && facts.requires_checked &&
        std::find(facts.present_oids.begin(), facts.present_oids.end(), *p.requires_oid) ==
            facts.present_oids.end())
        return false;
    return true;
}

const Profile* match_profile(const ProfileSet& set, const DeviceFacts& facts) {
    const Profile* best = nullptr;
    for (const auto& p : set.all()) {
        if (!profile_matches(p, facts)) continue;
        if (!best || p.priority > best->priority ||
            (p.priority == best->priority && p.name < best->name))
            best = &p;
    }
    return best;
}

}  // namespace dce::snmp
