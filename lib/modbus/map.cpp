#include "modbus/map.hpp"

#include "core/files.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <filesystem>
#include <regex>

namespace dce::modbus {

std::string Field::source() const {
    return fmt::format("modbus:{}:{}", table_short(table), address);
}

namespace {

bool get_int(const Json& j, const char* key, std::int64_t lo, std::int64_t hi, std::int64_t& out,
             const std::string& where, std::string& error) {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) {
        error = fmt::format("{}: '{}' must be an integer {}..{}", where, key, lo, hi);
        return false;
    }
    out = it->get<std::int64_t>();
    return true;
}

bool get_string(const Json& j, const char* key, std::string& out, const std::string& where,
                std::string& error) {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_string()) {
        error = fmt::format("{}: '{}' must be a string", where, key);
        return false;
    }
    out = it->get<std::string>();
    return true;
}

bool parse_int_keyed(const Json& j, const char* key, std::int64_t lo, std::int64_t hi,
                     std::map<std::int64_t, std::string>& out, const std::string& where,
                     std::string& error) {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_object()) {
        error = fmt::format("{}: '{}' must be an object of number -> name", where, key);
        return false;
    }
    for (auto e = it->begin(); e != it->end(); ++e) {
        std::int64_t k = 0;
        try {
            std::size_t used = 0;
            k = std::stoll(e.key(), &used, 0);
            if (used != e.key().size()) throw std::invalid_argument("");
        } catch (const std::exception&) {
            error = fmt::format("{}: '{}' key '{}' is not a number", where, key, e.key());
            return false;
        }
        if (k < lo || k > hi || !e.value().is_string()) {
            error = fmt::format("{}: '{}' entry '{}' must be {}..{} -> name", where, key, e.key(),
                                lo, hi);
            return false;
        }
        out[k] = e.value().get<std::string>();
    }
    return true;
}

bool parse_field(const Json& j, const RegisterMap& m, const std::string& where, bool identity,
                 Field& f, std::string& error) {
    if (!j.is_object()) {
        error = where + ": must be an object";
        return false;
    }
    if (!identity) {
        if (!get_string(j, "metric", f.metric, where, error)) return false;
        if (f.metric.empty()) {
            error = where + ": 'metric' is required";
            return false;
        }
    }
    if (!get_string(j, "unit", f.unit, where, error) ||
        !get_string(j, "description", f.description, where, error))
        return false;
    std::string s = identity ? "holding" : "holding";
    if (!get_string(j, "table", s, where, error)) return false;
    if (!parse_table(s, f.table)) {
        error = fmt::format("{}: table '{}' is not coil, discrete, input or holding", where, s);
        return false;
    }
    std::int64_t addr = -1;
    if (!get_int(j, "address", 0, 65535, addr, where, error)) return false;
    if (addr < 0) {
        error = where + ": 'address' (0..65535) is required";
        return false;
    }
    f.address = static_cast<std::uint16_t>(addr);
    s = is_bit_table(f.table) ? "bit" : (identity ? "string" : "uint16");
    if (!get_string(j, "type", s, where, error)) return false;
    if (!parse_type(s, f.decoding.type)) {
        error = fmt::format(
            "{}: type '{}' is not bit, int16, uint16, int32, uint32, int64, uint64, float32, "
            "float64 or string",
            where, s);
        return false;
    }
    if (is_bit_table(f.table) != (f.decoding.type == DataType::bit)) {
        error = fmt::format("{}: type bit goes with tables coil and discrete, and only it", where);
        return false;
    }
    if (identity && f.decoding.type != DataType::string) {
        error = where + ": identity registers must be of type string";
        return false;
    }
    s = "ABCD";
    if (!get_string(j, "order", s, where, error)) return false;
    if (!parse_order(s, f.decoding.order)) {
        error = fmt::format("{}: order '{}' is not ABCD, CDAB, BADC or DCBA", where, s);
        return false;
    }
    std::int64_t count = 1;
    if (f.decoding.type == DataType::string) {
        if (!get_int(j, "count", 1, 125, count, where, error)) return false;
        if (!j.contains("count")) {
            error = where + ": a string needs 'count' (registers, 2 characters each)";
            return false;
        }
    }
    f.count = register_count(f.decoding.type, static_cast<std::uint16_t>(count));
    if (f.end() > 65536) {
        error = where + ": runs past register 65535";
        return false;
    }
    if (auto it = j.find("scale"); it != j.end()) {
        if (!it->is_number() || it->get<double>() == 0) {
            error = where + ": 'scale' must be a non-zero number";
            return false;
        }
        f.decoding.scale = it->get<double>();
    }
    std::int64_t p2 = 0;
    if (!get_int(j, "scale_pow2", -64, 64, p2, where, error)) return false;
    f.decoding.scale_pow2 = static_cast<int>(p2);
    if (auto it = j.find("invalid"); it != j.end()) {
        if (!it->is_array()) {
            error = where + ": 'invalid' must be an array of integers";
            return false;
        }
        for (const auto& v : *it) {
            if (!v.is_number_integer()) {
                error = where + ": 'invalid' must be an array of integers";
                return false;
            }
            f.decoding.invalid.push_back(v.is_number_unsigned()
                                             ? static_cast<std::int64_t>(v.get<std::uint64_t>())
                                             : v.get<std::int64_t>());
        }
    }
    if (!parse_int_keyed(j, "states", INT64_MIN, INT64_MAX, f.decoding.states, where, error))
        return false;
    std::map<std::int64_t, std::string> bits;
    int width = f.decoding.type == DataType::bit ? 1 : 16 * std::min<int>(f.count, 4);
    if (!parse_int_keyed(j, "bits", 0, width - 1, bits, where, error)) return false;
    for (auto& [k, v] : bits)
        f.decoding.bits[static_cast<int>(k)] = v;
    if (!f.decoding.bits.empty() &&
        (f.decoding.type == DataType::string || f.decoding.type == DataType::float32 ||
         f.decoding.type == DataType::float64)) {
        error = where + ": 'bits' needs an integer type";
        return false;
    }
    if (!f.decoding.bits.empty() && !f.decoding.states.empty()) {
        error = where + ": 'bits' and 'states' exclude each other";
        return false;
    }
    if (auto it = j.find("labels"); it != j.end()) {
        if (!it->is_object()) {
            error = where + ": 'labels' must be an object of strings";
            return false;
        }
        for (auto e = it->begin(); e != it->end(); ++e) {
            if (!e.value().is_string()) {
                error = where + ": 'labels' must be an object of strings";
                return false;
            }
            f.labels[e.key()] = e.value().get<std::string>();
        }
    }
    (void)m;
    return true;
}

}  // namespace

bool parse_map(const Json& j, const std::string& name, RegisterMap& m, std::string& error) {
    m = {};
    if (!j.is_object()) {
        error = "a register map must be a JSON object";
        return false;
    }
    m.name = name;
    if (!get_string(j, "name", m.name, "map", error) ||
        !get_string(j, "description", m.description, "map", error) ||
        !get_string(j, "class", m.device_class, "map", error) ||
        !get_string(j, "vendor", m.vendor, "map", error))
        return false;
    if (auto it = j.find("match"); it != j.end()) {
        if (!it->is_object() || !get_string(*it, "vendor", m.match_vendor, "match", error) ||
            !get_string(*it, "product", m.match_product, "match", error)) {
            if (error.empty()) error = "'match' must be an object {vendor, product}";
            return false;
        }
        for (const auto* re : {&m.match_vendor, &m.match_product}) {
            try {
                std::regex check(*re, std::regex::icase);
            } catch (const std::regex_error& e) {
                error = fmt::format("match: bad regex '{}': {}", *re, e.what());
                return false;
            }
        }
    }
    if (auto it = j.find("limits"); it != j.end()) {
        if (!it->is_object()) {
            error = "'limits' must be an object";
            return false;
        }
        std::int64_t regs = m.max_registers, bits = m.max_bits, gap = m.max_gap;
        if (!get_int(*it, "max_registers", 1, max_read_registers, regs, "limits", error) ||
            !get_int(*it, "max_bits", 1, max_read_bits, bits, "limits", error) ||
            !get_int(*it, "max_gap", 0, max_read_registers, gap, "limits", error))
            return false;
        m.max_registers = static_cast<std::uint16_t>(regs);
        m.max_bits = static_cast<std::uint16_t>(bits);
        m.max_gap = static_cast<std::uint16_t>(gap);
    }
    if (auto it = j.find("identity"); it != j.end()) {
        if (!it->is_object()) {
            error = "'identity' must be an object of model/serial/firmware registers";
            return false;
        }
        for (auto e = it->begin(); e != it->end(); ++e) {
            if (e.key() != "model" && e.key() != "serial" && e.key() != "firmware") {
                error = fmt::format("identity: '{}' is not model, serial or firmware", e.key());
                return false;
            }
            Field f;
            if (!parse_field(e.value(), m, "identity." + e.key(), true, f, error)) return false;
            if (f.count > m.max_registers) {
                error = fmt::format("identity.{}: {} registers exceed max_registers {}", e.key(),
                                    f.count, m.max_registers);
                return false;
            }
            f.metric = e.key();
            m.identity[e.key()] = std::move(f);
        }
    }
    auto it = j.find("metrics");
    if (it == j.end() || !it->is_array() || it->empty()) {
        error = "'metrics' must be a non-empty array";
        return false;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
        Field f;
        std::string where = fmt::format("metrics[{}]", i);
        if (!parse_field((*it)[i], m, where, false, f, error)) return false;
        std::uint16_t limit = is_bit_table(f.table) ? m.max_bits : m.max_registers;
        if (f.count > limit) {
            error =
                fmt::format("{}: {} registers exceed the map's limit {}", where, f.count, limit);
            return false;
        }
        m.metrics.push_back(std::move(f));
    }
    return true;
}

bool load_map_file(const std::string& path, RegisterMap& m, std::string& error) {
    std::string text;
    if (!read_file_capped(path, max_list_file, text, error)) return false;
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded()) {
        error = path + ": not valid JSON";
        return false;
    }
    if (!parse_map(j, std::filesystem::path(path).stem().string(), m, error)) {
        error = path + ": " + error;
        return false;
    }
    m.path = path;
    return true;
}

void MapSet::load_dir(const std::string& dir, std::vector<std::string>& errors) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return;
    for (const auto& f : json_files_in(dir, ec)) {
        RegisterMap m;
        std::string err;
        if (load_map_file(f, m, err))
            add(std::move(m));
        else
            errors.push_back(err);
    }
}

void MapSet::add(RegisterMap m) {
    for (auto& x : maps_)
        if (x.name == m.name) {
            x = std::move(m);
            return;
        }
    maps_.push_back(std::move(m));
}

const RegisterMap* MapSet::find(std::string_view name) const {
    for (const auto& m : maps_)
        if (m.name == name) return &m;
    return nullptr;
}

const RegisterMap* MapSet::match(const std::string& vendor, const std::string& product) const {
    std::vector<const RegisterMap*> sorted;
    for (const auto& m : maps_)
        sorted.push_back(&m);
    std::sort(sorted.begin(), sorted.end(),
              [](const RegisterMap* a, const RegisterMap* b) { return a->name < b->name; });
    for (const auto* m : sorted) {
        if (m->match_vendor.empty() && m->match_product.empty()) continue;
        auto ok = [](const std::string& re, const std::string& s) {
            return re.empty() || std::regex_search(s, std::regex(re, std::regex::icase));
        };
        if (ok(m->match_vendor, vendor) && ok(m->match_product, product)) return m;
    }
    return nullptr;
}

std::vector<std::string> default_map_dirs(const std::vector<std::string>& extra) {
    auto dirs = data_dirs("profiles", "DCE_PROFILE_DIR", extra);
    for (auto& d : dirs)
        d += "/modbus";
    return dirs;
}

MapSet load_maps(const std::vector<std::string>& extra, std::vector<std::string>& errors) {
    MapSet set;
    for (const auto& d : default_map_dirs(extra))
        set.load_dir(d, errors);
    return set;
}

}  // namespace dce::modbus
