#include "report/report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>

namespace dce::report {
namespace {

std::string str_field(const Json& r, const char* key) {
    auto it = r.find(key);
    return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A fingerprint that stays the same from run to run for the same target and check, so
// code-scanning services track one alert over time instead of opening a new one.
std::string stable_hash(std::string_view a, std::string_view b) {
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s)
            h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;  // separator, so ("ab","c") != ("a","bc")
    };
    mix(a);
    mix(b);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string camel_name(std::string_view id) {
    std::string out;
    bool up = true;
    for (char c : id) {
        if (c == '.' || c == '-' || c == '_' || c == '/') {
            up = true;
            continue;
        }
        out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        up = false;
    }
    return out.empty() ? "Check" : out;
}

std::string truncate_cell(std::string s, std::size_t width) {
    if (s.size() <= width) return s;
    s.resize(width > 1 ? width - 1 : width);
    // Do not cut a UTF-8 sequence in half.
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80)
        s.pop_back();
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
    return s + "~";
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
    if (name == "json") return Format::json;
    if (name == "text") return Format::text;
    if (name == "junit") return Format::junit;
    if (name == "sarif") return Format::sarif;
    return std::nullopt;
}

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                // XML 1.0 forbids most control characters even as references.
                if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                    out += "?";
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

std::string_view sarif_level(std::string_view status, std::string_view severity) {
    if (status == "fail") return severity == "low" || severity == "info" ? "warning" : "error";
    if (status == "error") return "error";
    if (status == "warn") return "warning";
    return "none";
}

void Report::add_rule(RuleInfo rule) {
    for (auto& r : rules_)
        if (r.id == rule.id) {
            r = std::move(rule);
            return;
        }
    rules_.push_back(std::move(rule));
}

void Report::set_origin(const std::string& target, TargetOrigin origin) {
    origins_.emplace(target, std::move(origin));
}

const RuleInfo* Report::rule(const std::string& id) const {
    for (const auto& r : rules_)
        if (r.id == id) return &r;
    return nullptr;
}

bool Report::add(const Json& record) {
    if (!record.is_object()) return false;
    std::string type = str_field(record, "type");
    Item it;
    if (type == "finding") {
        it.target = str_field(record, "target");
        it.check = str_field(record, "check");
        it.status = str_field(record, "status");
        it.severity = str_field(record, "severity");
        it.message = str_field(record, "message");
        it.reference = str_field(record, "reference");
        if (auto e = record.find("evidence"); e != record.end()) it.evidence = *e;
    } else if (type == "error") {
        it.target = str_field(record, "target");
        std::string code = str_field(record, "code");
        it.check = "error." + (code.empty() ? std::string("unknown") : code);
        it.status = "error";
        it.severity = "high";
        it.message = str_field(record, "message");
        it.is_error = true;
    } else {
        return false;
    }
    // JUnit needs a non-empty classname and SARIF a location: name the unnamed.
    if (it.target.empty()) it.target = "(no target)";
    if (it.check.empty()) it.check = "unnamed";
    if (!rule(it.check)) {
        RuleInfo r;
        r.id = it.check;
        r.name = camel_name(it.check);
        r.short_description = it.is_error ? "The target could not be checked (" + it.check + ")."
                                          : "Check " + it.check + ".";
        r.reference = it.reference;
        r.default_severity = it.severity.empty() ? "medium" : it.severity;
        rules_.push_back(std::move(r));
    }
    items_.push_back(std::move(it));
    return true;
}

bool Report::any_fail() const {
    return std::any_of(items_.begin(), items_.end(),
                       [](const Item& i) { return i.status == "fail"; });
}

std::string Report::render(Format format) const {
    switch (format) {
        case Format::text:
            return render_text();
        case Format::junit:
            return render_junit();
        case Format::sarif:
            return render_sarif();
        case Format::json:
            break;
    }
    // JSON lines are written by the tool as records arrive; nothing to add at the end.
    return {};
}

std::string Report::render_text() const {
    // Worst first, so the line an operator must act on is at the top of the screen.
    auto rank = [](const std::string& s) {
        if (s == "fail") return 0;
        if (s == "error") return 1;
        if (s == "warn") return 2;
        if (s == "skip") return 3;
        return 4;
    };
    std::vector<const Item*> rows;
    for (const auto& i : items_)
        rows.push_back(&i);
    std::stable_sort(rows.begin(), rows.end(), [&](const Item* a, const Item* b) {
        if (rank(a->status) != rank(b->status)) return rank(a->status) < rank(b->status);
        return a->target < b->target;
    });
    std::size_t wt = 6, wc = 5;
    for (const auto* r : rows) {
        wt = std::max(wt, std::min<std::size_t>(r->target.size(), 40));
        wc = std::max(wc, std::min<std::size_t>(r->check.size(), 28));
    }
    std::string out;
    auto pad = [](std::string s, std::size_t w) {
        s = truncate_cell(std::move(s), w);
        if (s.size() < w) s.append(w - s.size(), ' ');
        return s;
    };
    out += pad("STATUS", 6) + "  " + pad("SEVERITY", 8) + "  " + pad("TARGET", wt) + "  " +
           pad("CHECK", wc) + "  MESSAGE\n";
    std::map<std::string, int> counts;
    for (const auto* r : rows) {
        std::string status = r->status;
        std::transform(status.begin(), status.end(), status.begin(), ::toupper);
        out += pad(status, 6) + "  " + pad(r->severity, 8) + "  " + pad(r->target, wt) + "  " +
               pad(r->check, wc) + "  " + r->message + "\n";
        ++counts[r->status];
    }
    std::set<std::string> targets;
    for (const auto& i : items_)
        targets.insert(i.target);
    out += "\n" + std::to_string(targets.size()) + " target(s), " + std::to_string(items_.size()) +
           " result(s): ";
    bool first = true;
    for (const char* s : {"fail", "error", "warn", "pass", "skip"}) {
        if (!first) out += ", ";
        out += std::to_string(counts[s]) + " " + s;
        first = false;
    }
    out += "\n";
    return out;
}

std::string Report::render_junit() const {
    // One testsuite per target keeps CI views grouped by endpoint.
    std::vector<std::string> order;
    std::map<std::string, std::vector<const Item*>> by_target;
    for (const auto& i : items_) {
        if (!by_target.count(i.target)) order.push_back(i.target);
        by_target[i.target].push_back(&i);
    }
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    std::string suites;
    for (const auto& t : order) {
        int f = 0, e = 0, s = 0;
        std::string cases;
        for (const Item* i : by_target[t]) {
            cases += "    <testcase classname=\"" + xml_escape(t) + "\" name=\"" +
                     xml_escape(i->check) + "\" time=\"0\"";
            std::string msg = xml_escape(i->message);
            std::string body;
            if (!i->reference.empty()) body += "reference: " + i->reference + "\n";
            if (!i->evidence.is_null() && !i->evidence.empty())
                body += "evidence: " + i->evidence.dump() + "\n";
            if (i->status == "fail" || i->status == "warn") {
                // A warning is shown as a failure of type "warning": JUnit has no
                // warning state, and CI's exit code (not this file) decides pass/fail.
                ++f;
                cases += ">\n      <failure message=\"" + msg + "\" type=\"" +
                         xml_escape(i->status + "/" + i->severity) + "\">" + xml_escape(body) +
                         "</failure>\n    </testcase>\n";
            } else if (i->status == "error") {
                ++e;
                cases += ">\n      <error message=\"" + msg + "\" type=\"" + xml_escape(i->check) +
                         "\">" + xml_escape(body) + "</error>\n    </testcase>\n";
            } else if (i->status == "skip") {
                ++s;
                cases += ">\n      <skipped message=\"" + msg + "\"/>\n    </testcase>\n";
            } else {
                cases += ">\n      <system-out>" + msg + "</system-out>\n    </testcase>\n";
            }
        }
        int n = static_cast<int>(by_target[t].size());
        suites += "  <testsuite name=\"" + xml_escape(t) + "\" tests=\"" + std::to_string(n) +
                  "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) +
                  "\" skipped=\"" + std::to_string(s) + "\" time=\"0\">\n" + cases +
                  "  </testsuite>\n";
        tests += n, failures += f, errors += e, skipped += s;
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" +
           xml_escape(tool_.name) + "\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
           std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" +
           std::to_string(skipped) + "\" time=\"0\">\n" + suites + "</testsuites>\n";
}

std::string Report::render_sarif() const {
    Json rules = Json::array();
    std::map<std::string, int> index;
    for (const auto& r : rules_) {
        index[r.id] = static_cast<int>(rules.size());
        Json rule = {{"id", r.id},
                     {"name", r.name.empty() ? camel_name(r.id) : r.name},
                     {"shortDescription",
                      {{"text", r.short_description.empty() ? r.id : r.short_description}}}};
        if (!r.help.empty()) rule["help"] = {{"text", r.help}};
        rule["defaultConfiguration"] = {{"level", sarif_level("fail", r.default_severity)}};
        Json props = {{"tags", Json::array({"security"})}, {"severity", r.default_severity}};
        if (!r.reference.empty()) props["reference"] = r.reference;
        rule["properties"] = props;
        rules.push_back(rule);
    }
    Json results = Json::array();
    for (const auto& i : items_) {
        Json res = Json::object();
        res["ruleId"] = i.check;
        res["ruleIndex"] = index[i.check];
        res["level"] = sarif_level(i.status, i.severity);
        if (i.status == "pass")
            res["kind"] = "pass";
        else if (i.status == "skip")
            res["kind"] = "notApplicable";
        else
            res["kind"] = "fail";
        res["message"] = {{"text", i.message.empty() ? i.check + ": " + i.status : i.message}};
        Json loc = Json::object();
        if (auto o = origins_.find(i.target); o != origins_.end()) {
            loc["physicalLocation"] = {{"artifactLocation", {{"uri", o->second.uri}}},
                                       {"region", {{"startLine", std::max(1, o->second.line)}}}};
        }
        loc["logicalLocations"] =
            Json::array({{{"fullyQualifiedName", i.target}, {"kind", "resource"}}});
        res["locations"] = Json::array({loc});
        res["partialFingerprints"] = {{"dceTargetCheck/v1", stable_hash(i.target, i.check)}};
        Json props = {{"target", i.target}, {"status", i.status}, {"severity", i.severity}};
        if (!i.evidence.is_null() && !i.evidence.empty()) props["evidence"] = i.evidence;
        if (!i.reference.empty()) props["reference"] = i.reference;
        res["properties"] = props;
        results.push_back(res);
    }
    Json driver = {{"name", tool_.name}, {"version", tool_.version}, {"rules", rules}};
    if (!tool_.information_uri.empty()) driver["informationUri"] = tool_.information_uri;
    Json run = {{"tool", {{"driver", driver}}},
                {"invocations", Json::array({{{"executionSuccessful", true}}})},
                {"results", results}};
    Json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                {"version", "2.1.0"},
                {"runs", Json::array({run})}};
    return doc.dump(2) + "\n";
}

}  // namespace dce::report
