// The table of stored kinds (kinds.hpp) and the flattening that is a kind's own.
#include "store/kinds.hpp"

#include "core/time.hpp"

#include <chrono>
#include <cmath>

namespace dce::store {
namespace {

std::int64_t to_ms(SystemTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

const std::string* str_field(const Json& r, const char* key) {
    auto it = r.find(key);
    return it != r.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}
std::string str_or(const Json& r, const char* key) {
    const std::string* s = str_field(r, key);
    return s ? *s : std::string();
}

// Labels are part of a reading's natural key, so they are stored in one canonical
// form: keys sorted (nlohmann::json keeps objects in a std::map), compact.
std::string canonical(const Json& v) {
    return nlohmann::json(v).dump();
}

bool flatten_reading(const Json& rec, Row& row, std::string& why) {
    row.device = rec["device"].get<std::string>();
    row.metric = rec["metric"].get<std::string>();
    const Json& v = rec["value"];
    Json extra = Json::object();
    if (v.is_number()) {
        row.has_num = true;
        row.num = v.get<double>();
        if (!std::isfinite(row.num)) return why = "field \"value\" is not a finite number", false;
        bool exact = true;
        if (v.is_number_unsigned())
            exact = v.get<std::uint64_t>() <= std::uint64_t{max_exact_integer};
        else if (v.is_number_integer())
            exact = v.get<std::int64_t>() <= max_exact_integer &&
                    v.get<std::int64_t>() >= -max_exact_integer;
        if (!exact) extra["value"] = v;  // the query gives this back, not the double
    } else if (v.is_string()) {
        row.has_txt = true;
        row.txt = v.get<std::string>();
    } else {
        extra["value"] = v;  // booleans: kept exactly, in the extra fields
    }
    row.unit = str_or(rec, "unit");
    row.source = str_or(rec, "source");
    if (auto it = rec.find("labels"); it != rec.end() && it->is_object() && !it->empty())
        row.labels = canonical(*it);
    for (auto it = rec.begin(); it != rec.end(); ++it) {
        const std::string& k = it.key();
        if (k == "type" || k == "ts" || k == "site" || k == "device" || k == "metric" ||
            k == "value" || k == "labels" || (k == "unit" && it->is_string()) ||
            (k == "source" && it->is_string()))
            continue;
        extra[k] = *it;
    }
    if (!extra.empty()) row.extra = extra.dump();
    return true;
}

bool flatten_device(const Json& rec, Row& row, std::string&) {
    // An exported store carries first/last seen; keep them on import.
    row.first_seen = row.last_seen = row.ts;
    Json copy = rec;
    copy.erase("site");
    for (const char* k : {"first_seen", "last_seen"}) {
        if (const std::string* s = str_field(rec, k)) {
            if (auto t = parse_timestamp(*s))
                (k[0] == 'f' ? row.first_seen : row.last_seen) = to_ms(*t);
        }
        copy.erase(k);
    }
    row.first_seen = std::min(row.first_seen, row.ts);
    row.last_seen = std::max(row.last_seen, row.ts);
    row.rec = copy.dump();
    return true;
}

using C = KindColumn;
using R = Row;

constexpr C device_columns[] = {
    {"site", &R::site},
    {"id", &R::id, nullptr, false, "id"},
    {"first_seen", nullptr, &R::first_seen},
    {"last_seen", nullptr, &R::last_seen},
    {"class", &R::dev_class, nullptr, true, "class"},
    {"vendor", &R::vendor, nullptr, true, "vendor"},
    {"model", &R::model, nullptr, true, "model"},
    {"rec", &R::rec},
};
constexpr C event_columns[] = {
    {"site", &R::site},
    {"ts", nullptr, &R::ts},
    {"hash", nullptr, &R::hash},
    {"source", &R::source, nullptr, true, "source"},
    {"device", &R::device, nullptr, true, "device"},
    {"name", &R::name, nullptr, true, "name"},
    {"severity", &R::severity, nullptr, true, "severity"},
    {"rec", &R::rec},
};
constexpr C cert_columns[] = {
    {"site", &R::site},
    {"ts", nullptr, &R::ts},
    {"hash", nullptr, &R::hash},
    {"endpoint", &R::target, nullptr, true, "endpoint"},
    {"rec", &R::rec},
};
constexpr C finding_columns[] = {
    {"site", &R::site},
    {"ts", nullptr, &R::ts},
    {"tool", &R::tool, nullptr, false, "tool"},
    {"check_id", &R::check, nullptr, false, "check"},
    {"target", &R::target, nullptr, false, "target"},
    {"status", &R::status, nullptr, false, "status"},
    {"severity", &R::severity, nullptr, true, "severity"},
    {"rec", &R::rec},
};
constexpr C error_columns[] = {
    {"site", &R::site},
    {"ts", nullptr, &R::ts},
    {"hash", nullptr, &R::hash},
    {"tool", &R::tool, nullptr, true, "tool"},
    {"target", &R::target, nullptr, true, "target"},
    {"code", &R::code, nullptr, true, "code"},
    {"rec", &R::rec},
};
constexpr C other_columns[] = {
    {"site", &R::site}, {"ts", nullptr, &R::ts}, {"hash", nullptr, &R::hash},
    {"type", &R::type}, {"rec", &R::rec},
};

using F = KindFilter;
using Q = Query;
constexpr F device_filters[] = {{&Q::devices, "id"}};
constexpr F event_filters[] = {{&Q::devices, "source", false, "device"},
                               {&Q::severity, "severity"}};
constexpr F cert_filters[] = {{&Q::devices, "endpoint"}};
constexpr F finding_filters[] = {{&Q::devices, "target"},
                                 {&Q::status, "status"},
                                 {&Q::severity, "severity"},
                                 {&Q::checks, "check_id", true}};
constexpr F error_filters[] = {{&Q::devices, "target"}};
constexpr F other_filters[] = {{&Q::types, "type"}};

constexpr std::string_view device_time_fields[] = {"first_seen", "last_seen"};

// A device seen again updates its inventory row when the sighting is newer, and keeps
// the earliest first-seen and latest last-seen.
constexpr std::string_view device_upsert =
    "ON CONFLICT (site, id) DO UPDATE SET "
    "first_seen = {LEAST}(devices.first_seen, excluded.first_seen), "
    "class = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.class ELSE "
    "devices.class END, "
    "vendor = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.vendor ELSE "
    "devices.vendor END, "
    "model = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.model ELSE "
    "devices.model END, "
    "rec = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.rec ELSE "
    "devices.rec END, "
    "last_seen = {GREATEST}(devices.last_seen, excluded.last_seen), "
    "seq = excluded.seq";  // an update is a change: the device moves to the feed's end
constexpr std::string_view append_only = "ON CONFLICT DO NOTHING";

// In the order of enum Kind (checked below).
constexpr KindSpec specs[] = {
    {Kind::device, "device", "devices", "last_seen", "site, id", device_columns, device_upsert,
     false, flatten_device, device_filters, device_time_fields, false,
     "site id class vendor model firmware first_seen last_seen"},
    {Kind::reading,
     "reading",
     "readings",
     "ts",
     "",
     {},
     append_only,
     false,
     flatten_reading,
     {},
     {},
     false,
     "site ts device metric labels value unit"},
    {Kind::event,
     "event",
     "events",
     "ts",
     "ts, id",
     event_columns,
     append_only,
     true,
     nullptr,
     event_filters,
     {},
     true,
     "site ts source name severity device"},
    {Kind::cert,
     "cert",
     "certs",
     "ts",
     "ts, id",
     cert_columns,
     append_only,
     true,
     nullptr,
     cert_filters,
     {},
     false,
     "site ts endpoint subject not_after fingerprint_sha256"},
    {Kind::finding,
     "finding",
     "findings",
     "ts",
     "ts, id",
     finding_columns,
     append_only,
     false,
     nullptr,
     finding_filters,
     {},
     true,
     "site ts tool check target status severity message"},
    {Kind::error,
     "error",
     "errors",
     "ts",
     "ts, id",
     error_columns,
     append_only,
     true,
     nullptr,
     error_filters,
     {},
     false,
     "site ts tool target code message"},
    {Kind::other,
     "other",
     "others",
     "ts",
     "ts, id",
     other_columns,
     append_only,
     true,
     nullptr,
     other_filters,
     {},
     false,
     "site ts type"},
};

constexpr bool in_enum_order() {
    for (std::size_t i = 0; i < std::size(specs); ++i)
        if (specs[i].kind != all_kinds[i]) return false;
    return std::size(specs) == std::size(all_kinds);
}
static_assert(in_enum_order(), "specs[] must list every Kind in enum order");

}  // namespace

std::span<const KindSpec> kind_specs() {
    return specs;
}

const KindSpec& kind_spec(Kind k) {
    return specs[static_cast<std::size_t>(k)];
}

std::string_view kind_name(Kind k) {
    return kind_spec(k).name;
}

std::optional<Kind> kind_from_name(std::string_view name) {
    if (name.size() > 1 && name.back() == 's') name.remove_suffix(1);
    for (const auto& s : specs)
        if (s.name == name) return s.kind;
    return std::nullopt;
}

}  // namespace dce::store
