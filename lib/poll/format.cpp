// Output formats besides JSON lines: OpenMetrics text (for node_exporter's textfile
// collector and Prometheus) and InfluxDB line protocol.
#include "poll/poll.hpp"

#include "core/jsonl.hpp"
#include "core/metrics.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

namespace dce::poll {

namespace {
std::string number_text(const Json& v) {
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    double d = v.get<double>();
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    return v.dump();
}
}  // namespace

std::string openmetrics_name(const std::string& metric) {
    return "dce_" + metrics::sanitize_name(metric);
}

std::string to_openmetrics(const std::vector<Reading>& readings) {
    // Families must be contiguous in the exposition: group by name, keep first-seen order.
    std::vector<std::string> order;
    std::map<std::string, std::vector<const Reading*>> families;
    for (const auto& r : readings) {
        auto name = openmetrics_name(r.metric);
        if (!families.count(name)) order.push_back(name);
        families[name].push_back(&r);
    }
    std::string out;
    for (const auto& name : order) {
        const auto& rs = families[name];
        bool counter = rs.front()->snmp_type == "Counter32" || rs.front()->snmp_type == "Counter64";
        out += "# TYPE " + name + (counter ? " counter\n" : " gauge\n");
        std::string help = "dce-tools reading " + rs.front()->metric;
        if (!rs.front()->unit.empty()) help += " (" + rs.front()->unit + ")";
        out += "# HELP " + name + " " + help + "\n";
        for (const Reading* r : rs) {
            const Json& num = r->value.is_number() ? r->value : r->raw;
            if (!num.is_number()) continue;  // a string that is no state has no sample
            std::string labels = "device=\"" + escape_label_value(r->device) + "\"";
            for (auto it = r->labels.begin(); it != r->labels.end(); ++it) {
                std::string key = metrics::sanitize_name(it.key());
                if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])))
                    key = "_" + key;
                std::string val =
                    it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
                labels += "," + key + "=\"" + escape_label_value(val) + "\"";
            }
            if (r->value.is_string())
                labels += ",state=\"" + escape_label_value(r->value.get<std::string>()) + "\"";
            out += name + (counter ? "_total" : "") + "{" + labels + "} " + number_text(num) + "\n";
        }
    }
    out += "# EOF\n";
    return out;
}

namespace {
std::string influx_escape(const std::string& s, bool measurement) {
    std::string out;
    for (char c : s) {
        if (c == ',' || c == ' ' || (!measurement && c == '=')) out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}
std::string influx_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}
}  // namespace

std::string to_influx(const std::vector<Reading>& readings, std::int64_t ts_ns) {
    std::string out;
    for (const auto& r : readings) {
        std::string line =
            influx_escape(r.metric, true) + ",device=" + influx_escape(r.device, false);
        for (auto it = r.labels.begin(); it != r.labels.end(); ++it) {
            std::string val =
                it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
            if (val.empty()) continue;  // line protocol has no empty tag values
            line += "," + influx_escape(it.key(), false) + "=" + influx_escape(val, false);
        }
        if (!r.unit.empty()) line += ",unit=" + influx_escape(r.unit, false);
        line += " value=";
        if (r.value.is_string()) {
            line += influx_string(r.value.get<std::string>());
            if (r.raw.is_number_integer())
                line += ",raw=" + std::to_string(r.raw.get<std::int64_t>()) + "i";
        } else if (r.value.is_number_integer()) {
            line += std::to_string(r.value.get<std::int64_t>()) + "i";
        } else if (r.value.is_number_unsigned()) {
            // InfluxDB 1.x knows no unsigned type: integers that fit are written as such.
            auto u = r.value.get<std::uint64_t>();
            line += std::to_string(u) + (u <= static_cast<std::uint64_t>(INT64_MAX) ? "i" : "u");
        } else {
            line += r.value.dump();
        }
        line += " " + std::to_string(ts_ns) + "\n";
        out += line;
    }
    return out;
}

void TextRounds::begin() {
    std::lock_guard lock(mutex_);
    ++running_;
}

void TextRounds::end(std::vector<Reading> readings) {
    std::lock_guard lock(mutex_);
    if (running_ > 0) --running_;
    if (format_ == "json") return;
    pending_.insert(pending_.end(), std::make_move_iterator(readings.begin()),
                    std::make_move_iterator(readings.end()));
}

void TextRounds::flush(bool final) {
    std::lock_guard lock(mutex_);
    if (format_ == "json" || pending_.empty()) return;
    if (!final && (once_ || running_ > 0)) return;
    std::string text;
    if (format_ == "openmetrics") {
        text = to_openmetrics(pending_);
    } else {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
        text = to_influx(pending_, ns);
    }
    pending_.clear();
    write_all(1, text);
}

}  // namespace dce::poll
