#include "store/fast_reading.hpp"

#include "core/jsonl.hpp"
#include "core/time.hpp"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace dce::store {

namespace sj = simdjson::ondemand;

struct FastReadingParser::Impl {
    Impl() {
        // The core parser's depth limit here too: simdjson's default is 1024, and a
        // reading needs two levels (the record, its labels).
        if (parser.allocate(1 << 16, max_json_depth) != simdjson::SUCCESS) throw std::bad_alloc();
    }
    sj::parser parser;
    std::vector<char> buf;  // the line plus simdjson's padding
    std::vector<std::pair<std::string, std::string>> labels;
};

FastReadingParser::FastReadingParser() : impl_(std::make_unique<Impl>()) {}
FastReadingParser::~FastReadingParser() = default;

namespace {

// Strings nlohmann::json::dump() writes back byte for byte: no quote, backslash or
// control character to escape.
bool plain(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == '"' || c == '\\') return false;
    return true;
}

bool get_str(sj::value v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out.assign(s);
    return true;
}

}  // namespace

bool FastReadingParser::parse(std::string_view line, std::string_view forced_site, Row& row) {
    Impl& m = *impl_;
    if (line.find("\"reading\"") == std::string_view::npos) return false;  // cheap pre-filter
    m.buf.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::copy(line.begin(), line.end(), m.buf.begin());
    sj::document doc;
    if (m.parser.iterate(m.buf.data(), line.size(), m.buf.size()).get(doc)) return false;
    sj::object obj;
    if (doc.get_object().get(obj)) return false;
    row.kind = Kind::reading;
    row.type = "reading";
    row.site.clear();
    row.labels.clear();
    row.unit.clear();
    row.source.clear();
    row.extra.clear();
    row.has_num = row.has_txt = false;
    unsigned seen = 0;
    enum : unsigned {
        k_type = 1,
        k_ts = 2,
        k_site = 4,
        k_device = 8,
        k_metric = 16,
        k_value = 32,
        k_unit = 64,
        k_source = 128,
        k_labels = 256
    };
    auto once = [&](unsigned bit) {
        if (seen & bit) return false;  // a repeated key: leave it to the core parser
        seen |= bit;
        return true;
    };
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return false;
        sj::value v;
        if (field.value().get(v)) return false;
        if (key == "type") {
            std::string_view s;
            if (!once(k_type) || v.get_string().get(s) || s != "reading") return false;
        } else if (key == "ts") {
            std::string_view s;
            if (!once(k_ts) || v.get_string().get(s)) return false;
            auto t = parse_timestamp(s);
            if (!t) return false;
            row.ts = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch())
                         .count();
        } else if (key == "site") {
            if (!once(k_site) || !get_str(v, row.site)) return false;
        } else if (key == "device") {
            if (!once(k_device) || !get_str(v, row.device)) return false;
        } else if (key == "metric") {
            if (!once(k_metric) || !get_str(v, row.metric)) return false;
        } else if (key == "unit") {
            if (!once(k_unit) || !get_str(v, row.unit)) return false;
        } else if (key == "source") {
            if (!once(k_source) || !get_str(v, row.source)) return false;
        } else if (key == "value") {
            if (!once(k_value)) return false;
            sj::json_type t;
            if (v.type().get(t)) return false;
            if (t == sj::json_type::number) {
                // An integer a double cannot hold exactly is kept whole in `extra`: the
                // core path's job.
                sj::number_type nt;
                if (v.get_number_type().get(nt))  // beyond 64 bits: an error
                    return false;
                if (nt == sj::number_type::signed_integer) {
                    std::int64_t i;
                    if (v.get_int64().get(i) || i > max_exact_integer || i < -max_exact_integer)
                        return false;
                } else if (nt == sj::number_type::unsigned_integer) {
                    return false;  // above INT64_MAX
                }
                if (v.get_double().get(row.num) || !std::isfinite(row.num)) return false;
                row.has_num = true;
            } else if (t == sj::json_type::string) {
                if (!get_str(v, row.txt)) return false;
                row.has_txt = true;
            } else {
                return false;
            }
        } else if (key == "labels") {
            if (!once(k_labels)) return false;
            sj::object lo;
            if (v.get_object().get(lo)) return false;
            m.labels.clear();
            for (auto lf : lo) {
                std::string_view lk;
                if (lf.unescaped_key().get(lk) || !plain(lk)) return false;
                sj::value lv;
                if (lf.value().get(lv)) return false;
                sj::json_type lt;
                if (lv.type().get(lt)) return false;
                std::string text;
                if (lt == sj::json_type::string) {
                    std::string_view s;
                    if (lv.get_string().get(s) || !plain(s)) return false;
                    text.reserve(s.size() + 2);
                    text.append(1, '"').append(s).append(1, '"');
                } else if (lt == sj::json_type::number) {
                    std::int64_t i;  // 1.5 or 1e3: nlohmann's float format decides, so core path
                    if (lv.get_int64().get(i)) return false;
                    text = std::to_string(i);
                } else {
                    return false;
                }
                m.labels.emplace_back(std::string(lk), std::move(text));
            }
            // The canonical form to_row makes: keys sorted, compact.
            std::sort(m.labels.begin(), m.labels.end());
            for (std::size_t i = 1; i < m.labels.size(); ++i)
                if (m.labels[i].first == m.labels[i - 1].first) return false;
            if (!m.labels.empty()) {
                row.labels = "{";
                for (std::size_t i = 0; i < m.labels.size(); ++i) {
                    if (i) row.labels += ',';
                    row.labels.append(1, '"')
                        .append(m.labels[i].first)
                        .append("\":")
                        .append(m.labels[i].second);
                }
                row.labels += '}';
            }
        } else {
            return false;  // other fields go to `extra`: the core path keeps them exactly
        }
    }
    // Anything after the object (a second value) is the core parser's to reject.
    const char* rest = nullptr;
    if (!doc.current_location().get(rest)) return false;
    if ((seen & (k_type | k_ts | k_device | k_metric | k_value)) !=
        (k_type | k_ts | k_device | k_metric | k_value))
        return false;
    if (!forced_site.empty()) {
        if (!row.site.empty() && row.site != forced_site) return false;
        row.site = forced_site;
    }
    return true;
}

}  // namespace dce::store
