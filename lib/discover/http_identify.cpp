// The HTTP(S) identity rules: one table of markers per family, one of labels the pages
// show, one of device classes an NMC page names. Markers come from what the vendor's
// public documentation says the products show (the "NetBotz" product name in the
// appliance's pages, the NMC web UI's log-on page /logon.htm, the NMC's default
// self-signed certificate: CN = serial, OU "Internally Generated Certificate" —
// ../shared/REFERENCE.md); they are data, so a firmware that shows something else
// is one line more here, not a code change.
#include "discover/http_identify.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <regex>

namespace dce::discover {
namespace {

enum class Where { server, title, text, location, cert_subject, cert_ou, cert_issuer };

const char* where_name(Where w) {
    switch (w) {
        case Where::server:
            return "Server header";
        case Where::title:
            return "page title";
        case Where::text:
            return "page text";
        case Where::location:
            return "redirect";
        case Where::cert_subject:
            return "certificate subject";
        case Where::cert_ou:
            return "certificate OU";
        case Where::cert_issuer:
            return "certificate issuer";
    }
    return "";
}

// A family is named when its markers weigh 2 or more: one strong marker (2), or two
// weak ones (1 each: things other products show too, like a "Log On" title).
struct Marker {
    const char* family;
    Where where;
    const char* pattern;  // ECMAScript, case-insensitive
    int weight;
};

constexpr Marker markers[] = {
    // NetBotz appliances (450/455/550/570, 750/755 and the Rack Monitor 250): the
    // product name is in the page title and text of their web client.
    {"netbotz", Where::title, R"(\bnetbotz\b)", 2},
    {"netbotz", Where::server, R"(\bnetbotz\b)", 2},
    {"netbotz", Where::cert_subject, R"(\bnetbotz\b)", 2},
    {"netbotz", Where::text, R"(\bnetbotz\b)", 1},
    {"netbotz", Where::location, R"(/nbPages/)", 1},
    // APC / Schneider Electric network management cards (NMC, NMC2, NMC3).
    {"apc-nmc", Where::cert_ou, R"(^Internally Generated Certificate$)", 2},
    {"apc-nmc", Where::title, R"(network management card)", 2},
    {"apc-nmc", Where::text, R"(network management card)", 1},
    {"apc-nmc", Where::text, R"(american power conversion|schneider electric|\bAPC\b)", 1},
    {"apc-nmc", Where::location, R"(/logon\.htm\b)", 1},
    {"apc-nmc", Where::title, R"(^\s*log ?on\s*$)", 1},
};

struct FamilyInfo {
    const char* family;
    const char* vendor;
    const char* device_class;  // "" = what the page says (class_words), else unknown
};
constexpr FamilyInfo families[] = {
    {"netbotz", "APC", "sensor"},
    {"apc-nmc", "APC", ""},
};

// Models as the titles and pages write them; group 1 is the model.
struct ModelPattern {
    const char* family;
    const char* pattern;
    const char* prefix;  // put before group 1
};
constexpr ModelPattern models[] = {
    {"netbotz", R"(\bNetBotz\s+(?:Rack\s+Monitor\s+|Room\s+Monitor\s+|Appliance\s+)?(\d{3})\b)",
     "NetBotz "},
    {"apc-nmc", R"(\b(AP9\d{3}[A-Z]*)\b)", ""},
};

// "Label: value" lines the pages show (an about or identity page).
struct Label {
    const char* pattern;  // the label, matched at a line start
    const char* field;
};
constexpr Label labels[] = {
    {"serial number", "serial"},         {"serial", "serial"},
    {"model number", "model"},           {"model", "model"},
    {"firmware version", "firmware"},    {"firmware", "firmware"},
    {"application version", "firmware"}, {"app version", "firmware"},
    {"manufacturer", "vendor"},
};

// What an NMC page says it manages; first match wins, title before text.
struct ClassWord {
    const char* pattern;
    const char* device_class;
};
constexpr ClassWord class_words[] = {
    {R"(\b(rack|switched|metered)\s+pdu\b|\bpdu\b)", "pdu"},
    {R"(automatic transfer switch|\bATS\b)", "ats"},
    {R"(\bsmart-ups\b|\bsymmetra\b|\bgalaxy\b|\bUPS\b)", "ups"},
    {R"(\binrow\b|\bcooling\b|\bair conditioner\b)", "cooling"},
    {R"(environmental monitoring)", "sensor"},
};

// Each pattern compiled once (the sweep's workers share them: searching a const regex
// from several threads is safe).
const std::regex& compiled(const std::string& pattern) {
    static std::mutex mu;
    static std::map<std::string, std::regex> cache;
    std::lock_guard lock(mu);
    auto it = cache.find(pattern);
    if (it == cache.end())
        it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript | std::regex::icase))
                 .first;
    return it->second;
}

bool search(const std::string& s, const std::string& pattern, std::smatch* m = nullptr) {
    if (s.empty()) return false;
    const std::regex& re = compiled(pattern);
    std::smatch local;
    return std::regex_search(s, m ? *m : local, re);
}

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string_view::npos ? std::string{} : std::string(s.substr(b, e - b + 1));
}

}  // namespace

HttpIdentity identify_http(const HttpFacts& f) {
    HttpIdentity id;
    auto field = [&](Where w) -> std::vector<std::string> {
        switch (w) {
            case Where::server:
                return {f.server};
            case Where::title:
                return {f.title};
            case Where::text:
                return {f.text};
            case Where::location:
                return {f.location};
            case Where::cert_subject:
                return {f.cert_subject};
            case Where::cert_issuer:
                return {f.cert_issuer};
            case Where::cert_ou:
                return f.cert_subject_ou;
        }
        return {};
    };
    // Weigh each family's markers; the heaviest family of weight >= 2 names the device.
    int best = 0;
    for (const auto& fam : families) {
        int weight = 0;
        std::vector<std::string> why;
        for (const auto& m : markers) {
            if (std::string_view(m.family) != fam.family) continue;
            for (const auto& v : field(m.where)) {
                if (!search(v, m.pattern)) continue;
                weight += m.weight;
                why.push_back(std::string(where_name(m.where)) + " matches /" + m.pattern + "/");
                break;
            }
        }
        if (weight >= 2 && weight > best) {
            best = weight;
            id.family = fam.family;
            id.vendor = fam.vendor;
            id.device_class = *fam.device_class ? fam.device_class : "unknown";
            id.reasons = std::move(why);
        }
    }
    if (id.family.empty()) return id;

    // Labelled values on the pages ("Serial Number: ZA1234").
    for (const auto& l : labels) {
        std::string pat =
            std::string(R"((?:^|\n)[ \t]*)") + l.pattern + R"([ \t]*:[ \t]*([^\n]{1,80}))";
        std::smatch m;
        if (!search(f.text, pat, &m)) continue;
        std::string v = trim(m[1].str());
        std::string_view fld = l.field;
        std::string* dst = fld == "serial"     ? &id.serial
                           : fld == "model"    ? &id.model
                           : fld == "firmware" ? &id.firmware
                                               : &id.vendor;
        if (!v.empty() && (dst->empty() || dst == &id.vendor)) *dst = v;
    }
    // A model in the title or text.
    if (id.model.empty()) {
        for (const auto& mp : models) {
            if (id.family != mp.family) continue;
            std::smatch m;
            if (search(f.title, mp.pattern, &m) || search(f.text, mp.pattern, &m)) {
                id.model = std::string(mp.prefix) + m[1].str();
                break;
            }
        }
    }
    // The NMC's own certificate names its serial (CN) when it is the one the card made.
    bool internal_cert =
        std::any_of(f.cert_subject_ou.begin(), f.cert_subject_ou.end(),
                    [](const std::string& ou) { return ou == "Internally Generated Certificate"; });
    if (internal_cert && id.serial.empty() && !f.cert_subject_cn.empty()) {
        id.serial = f.cert_subject_cn;
        id.reasons.push_back("serial from the certificate CN (the card's own certificate)");
    }
    if (id.family == "apc-nmc") {
        for (const auto& cw : class_words) {
            if (search(f.title, cw.pattern) || search(f.text, cw.pattern)) {
                id.device_class = cw.device_class;
                break;
            }
        }
        if (search(f.text, "schneider electric")) id.vendor = "Schneider Electric";
    }
    return id;
}

std::string html_title(std::string_view html) {
    std::string lower(html.substr(0, 65536));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto open = lower.find("<title");
    if (open == std::string::npos) return {};
    auto start = lower.find('>', open);
    if (start == std::string::npos) return {};
    auto end = lower.find("</title", start);
    if (end == std::string::npos) end = std::min(lower.size(), start + 256);
    std::string raw(html.substr(start + 1, std::min<std::size_t>(end - start - 1, 256)));
    std::string out;
    for (char c : raw) {
        if (c == '\r' || c == '\n' || c == '\t') c = ' ';
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += c;
    }
    for (auto [ent, ch] : {std::pair{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "}})
        for (auto p = out.find(ent); p != std::string::npos; p = out.find(ent, p + 1))
            out.replace(p, std::string_view(ent).size(), ch);
    return trim(out);
}

std::string html_text(std::string_view html, std::size_t cap) {
    std::string out;
    std::size_t i = 0;
    auto starts = [&](std::size_t at, std::string_view word) {
        if (at + word.size() > html.size()) return false;
        for (std::size_t k = 0; k < word.size(); ++k)
            if (std::tolower(static_cast<unsigned char>(html[at + k])) != word[k]) return false;
        return true;
    };
    while (i < html.size() && out.size() < cap) {
        char c = html[i];
        if (c == '<') {
            // Script and style bodies are not text.
            for (std::string_view tag : {"script", "style"}) {
                if (starts(i + 1, tag)) {
                    std::string close = "</" + std::string(tag);
                    std::size_t j = i + 1;
                    while (j < html.size() && !starts(j, close))
                        ++j;
                    i = j;
                    break;
                }
            }
            auto gt = html.find('>', i);
            i = gt == std::string_view::npos ? html.size() : gt + 1;
            if (!out.empty() && out.back() != '\n') out += '\n';
            continue;
        }
        if (c == '\r') c = '\n';
        if (c == '\t') c = ' ';
        if (c == '\n' && (out.empty() || out.back() == '\n')) {
            ++i;
            continue;
        }
        out += c;
        ++i;
    }
    return out;
}

}  // namespace dce::discover
