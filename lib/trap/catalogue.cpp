#include "trap/catalogue.hpp"

#include "core/files.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <utility>

namespace dce::trap {

namespace {

void append_arcs(std::string& s, const Oid& oid, std::size_t from) {
    for (std::size_t i = from; i < oid.size(); ++i) {
        s += '.';
        s += std::to_string(oid[i]);
    }
}

bool is_severity(const std::string& s) {
    return s == "info" || s == "warn" || s == "critical";
}

using nlohmann::json;

std::string where(std::string_view origin, const std::string& path) {
    return std::string(origin) + ": " + path + ": ";
}

// Reads one trap entry; false with `error` naming the file and the JSON path.
bool read_trap(const json& j, const std::string& path, std::string_view origin,
               const std::string& mib, TrapInfo& t, std::string& error) {
    if (!j.is_object()) {
        error = where(origin, path) + "not an object";
        return false;
    }
    auto oid = j.find("oid");
    if (oid == j.end() || !oid->is_string() ||
        !parse_oid(oid->get_ref<const std::string&>(), t.oid)) {
        error = where(origin, path + ".oid") + "missing, or not a numeric OID in a string";
        return false;
    }
    auto name = j.find("name");
    if (name == j.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
        error = where(origin, path + ".name") + "missing, or not a non-empty string";
        return false;
    }
    t.name = name->get<std::string>();
    auto sev = j.find("severity");
    if (sev == j.end() || !sev->is_string() || !is_severity(sev->get_ref<const std::string&>())) {
        error = where(origin, path + ".severity") + "missing, or not info, warn or critical";
        return false;
    }
    t.severity = sev->get<std::string>();
    t.summary.clear();
    if (auto s = j.find("summary"); s != j.end()) {
        if (!s->is_string()) {
            error = where(origin, path + ".summary") + "not a string";
            return false;
        }
        t.summary = s->get<std::string>();
    }
    t.arguments.clear();
    if (auto a = j.find("arguments"); a != j.end()) {
        if (!a->is_array()) {
            error = where(origin, path + ".arguments") + "not an array";
            return false;
        }
        for (std::size_t k = 0; k < a->size(); ++k) {
            const auto& v = (*a)[k];
            if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
                v.get<std::int64_t>() > 10000) {
                error = where(origin, path + ".arguments[" + std::to_string(k) + "]") +
                        "not a varbind index (0..10000)";
                return false;
            }
            t.arguments.push_back(static_cast<int>(v.get<std::int64_t>()));
        }
    }
    t.mib = mib;
    if (auto m = j.find("mib"); m != j.end() && m->is_string()) t.mib = m->get<std::string>();
    t.file = std::string(origin);
    return true;
}

}  // namespace

bool Catalogue::load_text(std::string_view text, std::string_view origin, std::string& error) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        // Parse again with exceptions for the byte position of the error.
        try {
            json again = json::parse(text);
            (void)again;
        } catch (const json::parse_error& e) {
            error = std::string(origin) + ": not valid JSON (byte " + std::to_string(e.byte) + ")";
            return false;
        } catch (const json::exception&) {
            error = std::string(origin) + ": not valid JSON (a number is too large)";
            return false;
        }
        error = std::string(origin) + ": not valid JSON";
        return false;
    }
    if (!doc.is_object()) {
        error = std::string(origin) + ": not a JSON object";
        return false;
    }
    std::string mib;
    if (auto m = doc.find("mib"); m != doc.end()) {
        if (!m->is_string()) {
            error = where(origin, "$.mib") + "not a string";
            return false;
        }
        mib = m->get<std::string>();
    }
    // The whole file is checked before any of it is taken: a bad file changes nothing.
    std::vector<TrapInfo> traps;
    if (auto ts = doc.find("traps"); ts != doc.end()) {
        if (!ts->is_array()) {
            error = where(origin, "$.traps") + "not an array";
            return false;
        }
        traps.reserve(ts->size());
        for (std::size_t i = 0; i < ts->size(); ++i) {
            TrapInfo t;
            if (!read_trap((*ts)[i], "$.traps[" + std::to_string(i) + "]", origin, mib, t, error))
                return false;
            traps.push_back(std::move(t));
        }
    }
    std::vector<std::pair<Oid, std::string>> objects;
    if (auto os = doc.find("objects"); os != doc.end()) {
        if (!os->is_object()) {
            error = where(origin, "$.objects") + "not an object";
            return false;
        }
        for (const auto& [key, value] : os->items()) {
            Oid o;
            if (!parse_oid(key, o)) {
                error = where(origin, "$.objects") + "key \"" + key + "\" is not a numeric OID";
                return false;
            }
            if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
                error = where(origin, "$.objects[\"" + key + "\"]") + "not a non-empty string";
                return false;
            }
            objects.emplace_back(std::move(o), value.get<std::string>());
        }
    }
    if (!doc.contains("traps") && !doc.contains("objects")) {
        error = std::string(origin) + ": neither \"traps\" nor \"objects\"";
        return false;
    }
    for (auto& t : traps) {
        Oid key = t.oid;
        traps_.insert_or_assign(std::move(key), std::move(t));
    }
    for (auto& [o, n] : objects)
        objects_.insert_or_assign(std::move(o), std::move(n));
    return true;
}

bool Catalogue::load_file(const std::string& path, std::string& error) {
    std::string text;
    if (!read_file_capped(path, max_list_file, text, error)) return false;
    return load_text(text, path, error);
}

void Catalogue::load_dir(const std::string& dir, std::vector<std::string>& errors) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return;
    if (!std::filesystem::is_directory(dir, ec)) {
        errors.push_back(dir + ": not a directory");
        return;
    }
    auto files = json_files_in(dir, ec);
    if (ec) errors.push_back(dir + ": " + ec.message());
    for (const auto& f : files) {
        std::string error;
        if (!load_file(f, error)) errors.push_back(error);
    }
}

const TrapInfo* Catalogue::find(const Oid& trap_oid) const {
    auto it = traps_.find(trap_oid);
    return it == traps_.end() ? nullptr : &it->second;
}

std::string Catalogue::object_name(const Oid& oid) const {
    if (objects_.empty() || oid.empty()) return {};
    // Longest known prefix first: drop one arc at a time from the whole OID.
    Oid key(oid);
    while (!key.empty()) {
        if (auto it = objects_.find(key); it != objects_.end()) {
            std::string s = it->second;
            append_arcs(s, oid, key.size());
            return s;
        }
        key.pop_back();
    }
    return {};
}

std::string Catalogue::describe(const TrapInfo& t, const std::vector<std::string>& values) {
    const std::string& f = t.summary;
    std::string out;
    out.reserve(f.size() + 32);
    std::size_t k = 0;  // which placeholder
    for (std::size_t i = 0; i < f.size(); ++i) {
        char c = f[i];
        if (c != '%' || i + 1 >= f.size()) {
            out += c;
            continue;
        }
        char n = f[i + 1];
        if (n == '%') {
            out += '%';
            ++i;
        } else if (n == 's' || n == 'd' || n == 'u' || n == 'i') {
            bool filled = false;
            if (k < t.arguments.size()) {
                int a = t.arguments[k];
                if (a >= 0 && static_cast<std::size_t>(a) < values.size()) {
                    out += values[static_cast<std::size_t>(a)];
                    filled = true;
                }
            }
            if (!filled) {
                out += '%';
                out += n;
            }
            ++k;
            ++i;
        } else {
            out += c;
        }
    }
    return out;
}

std::vector<std::string> default_catalogue_dirs(const std::vector<std::string>& extra) {
    return data_dirs("traps", "DCE_TRAP_DIR", extra);
}

Oid v1_trap_oid(const Oid& enterprise, std::int32_t generic, std::int32_t specific) {
    if (generic >= 0 && generic <= 5)
        return Oid{1, 3, 6, 1, 6, 3, 1, 1, 5, static_cast<std::uint32_t>(generic + 1)};
    if (generic != 6) return {};
    Oid o = enterprise;
    o.push_back(0);
    o.push_back(static_cast<std::uint32_t>(specific));
    return o;
}

}  // namespace dce::trap
