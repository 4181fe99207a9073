#include "core/metrics.hpp"

#include "core/files.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace dce::metrics {

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string sanitize_name(std::string_view text) {
    std::string n;
    n.reserve(text.size());
    for (char c : text)
        n += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    return n;
}

namespace {
std::string label_text(const Labels& labels) {
    if (labels.empty()) return {};
    std::string s = "{";
    for (const auto& [k, v] : labels) {
        if (s.size() > 1) s += ',';
        s += sanitize_name(k) + "=\"" + escape_label_value(v) + "\"";
    }
    return s + "}";
}
}  // namespace

void Exposition::add(std::string_view name, std::string_view type, std::string_view help,
                     std::string sample_value, const Labels& labels) {
    std::string n = sanitize_name(name);
    Family* f = nullptr;
    for (auto& fam : families_)
        if (fam.name == n) f = &fam;
    if (!f) {
        families_.push_back({n, std::string(type), std::string(help), {}});
        f = &families_.back();
    }
    f->samples.push_back(n + label_text(labels) + " " + sample_value);
}

void Exposition::counter(std::string_view name, std::string_view help, std::uint64_t value,
                         const Labels& labels) {
    add(name, "counter", help, std::to_string(value), labels);
}

void Exposition::gauge(std::string_view name, std::string_view help, double value,
                       const Labels& labels) {
    std::string v;
    if (std::isnan(value))
        v = "NaN";
    else if (std::isinf(value))
        v = value > 0 ? "+Inf" : "-Inf";
    else if (value == std::floor(value) && std::fabs(value) < 1e15)
        v = std::to_string(static_cast<long long>(value));
    else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", value);
        v = buf;
    }
    add(name, "gauge", help, v, labels);
}

std::string Exposition::text() const {
    std::string out;
    for (const auto& f : families_) {
        out += "# HELP " + f.name + " ";
        for (char c : f.help)
            out += c == '\n'   ? std::string("\\n")
                   : c == '\\' ? std::string("\\\\")
                               : std::string(1, c);
        out += "\n# TYPE " + f.name + " " + f.type + "\n";
        for (const auto& s : f.samples)
            out += s + "\n";
    }
    out += "# EOF\n";
    return out;
}

bool write_metrics_file(const std::string& path, const std::string& text, std::string& error) {
    if (write_file_atomic(path, text, 0644, error)) return true;
    error = "--metrics-file " + path + ": " + error;
    return false;
}

}  // namespace dce::metrics
