#include "discover/identify.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>
#include <utility>
#include <vector>

namespace dce::discover {
namespace {

struct EnterpriseEntry {
    std::uint32_t number;
    std::string_view vendor;
    bool network;  // a vendor whose devices are network gear (class "network")
};

// IANA private enterprise numbers seen in data centres: power, environment, network and
// the SNMP stacks embedded in them. Sorted by number (binary search).
constexpr EnterpriseEntry enterprises[] = {
    {2, "IBM", false},
    {9, "Cisco", true},
    {11, "HP", false},
    {43, "3Com", true},
    {232, "HPE (Compaq)", false},
    {311, "Microsoft", false},
    {318, "APC by Schneider Electric", false},
    {476, "Vertiv (Liebert)", false},
    {534, "Eaton", false},
    {674, "Dell", false},
    {705, "Eaton (MGE)", false},
    {850, "Tripp Lite", false},
    {1588, "Brocade", true},
    {1718, "Server Technology", false},
    {1916, "Extreme Networks", true},
    {1991, "Brocade (Foundry)", true},
    {2011, "Huawei", true},
    {2021, "net-snmp (UC Davis)", false},
    {2636, "Juniper", true},
    {3375, "F5", true},
    {3808, "CyberPower", false},
    {4526, "Netgear", true},
    {5528, "NetBotz (APC)", false},
    {6027, "Force10 (Dell)", true},
    {6527, "Nokia (Alcatel-Lucent)", true},
    {6574, "Synology", false},
    {6876, "VMware", false},
    {8072, "net-snmp", false},
    {12356, "Fortinet", true},
    {13742, "Raritan", false},
    {14988, "MikroTik", true},
    {17163, "Riverbed", true},
    {25461, "Palo Alto Networks", true},
    {30065, "Arista", true},
    {41112, "Ubiquiti", true},
    {52674, "Schneider Electric (NetBotz)", false},
};

const EnterpriseEntry* find_enterprise(std::uint32_t n) {
    auto end = std::end(enterprises);
    auto it =
        std::lower_bound(std::begin(enterprises), end, n,
                         [](const EnterpriseEntry& e, std::uint32_t v) { return e.number < v; });
    if (it == end || it->number != n) return nullptr;
    return &*it;
}

bool starts_with_arcs(std::string_view oid, std::string_view prefix) {
    if (!oid.empty() && oid.front() == '.') oid.remove_prefix(1);
    if (oid.size() < prefix.size() || oid.substr(0, prefix.size()) != prefix) return false;
    return oid.size() == prefix.size() || oid[prefix.size()] == '.';
}

std::string trim(std::string_view s) {
    auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!s.empty() && (is_space(s.front()) || s.front() == ','))
        s.remove_prefix(1);
    while (!s.empty() && (is_space(s.back()) || s.back() == ','))
        s.remove_suffix(1);
    return std::string(s);
}

// A key of the card's list: a letter, then letters or digits, at most 9, before ':'.
bool is_key(std::string_view k) {
    if (k.empty() || k.size() > 9 || !std::isalpha(static_cast<unsigned char>(k[0]))) return false;
    return std::all_of(k.begin(), k.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

bool icontains(std::string_view hay, std::string_view needle) {
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

// sysDescr can be anything an agent sends: regexes run on a bounded prefix so a
// hostile multi-megabyte string costs nothing much.
std::string bounded(std::string_view s) {
    return std::string(s.substr(0, 512));
}

std::string first_match(const std::string& text, const std::regex& re, std::size_t group = 1) {
    std::smatch m;
    if (std::regex_search(text, m, re) && m.size() > group) return m[group].str();
    return {};
}

}  // namespace

std::optional<std::string_view> enterprise_vendor(std::uint32_t enterprise) {
    if (const auto* e = find_enterprise(enterprise)) return e->vendor;
    return std::nullopt;
}

std::optional<std::uint32_t> enterprise_of_oid(std::string_view oid) {
    constexpr std::string_view prefix = "1.3.6.1.4.1.";
    if (!oid.empty() && oid.front() == '.') oid.remove_prefix(1);
    if (oid.substr(0, prefix.size()) != prefix) return std::nullopt;
    oid.remove_prefix(prefix.size());
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(oid.data(), oid.data() + oid.size(), n);
    if (ec != std::errc{} || end == oid.data()) return std::nullopt;
    if (end != oid.data() + oid.size() && *end != '.') return std::nullopt;
    return n;
}

std::optional<std::uint32_t> enterprise_of_engine_id(std::string_view hex) {
    if (hex.substr(0, 2) == "0x" || hex.substr(0, 2) == "0X") hex.remove_prefix(2);
    if (hex.size() < 8) return std::nullopt;
    std::uint32_t v = 0;
    for (char c : hex.substr(0, 8)) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return std::nullopt;
        v = v << 4 | static_cast<std::uint32_t>(d);
    }
    // RFC 3411: top bit set means the new format (enterprise in the low 31 bits);
    // clear means RFC 1910's, whose first four octets are the enterprise number.
    return v & 0x7fffffffu;
}

std::map<std::string, std::string> parse_apc_sysdescr(std::string_view descr) {
    std::map<std::string, std::string> out;
    descr = descr.substr(0, 2048);
    auto open = descr.find('(');
    if (open == std::string_view::npos) return out;
    auto close = descr.find(')', open + 1);
    std::string_view group = descr.substr(
        open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
    // The NMC list separates fields by spaces; the older AP9606 agent by commas
    // ("Mod: AP9606, Mfg 08/10/99, SN: WA9932003242"). Split on both, then let a
    // token "KEY:" start a field and other tokens continue the current one.
    std::string current;
    std::size_t pos = 0;
    while (pos < group.size()) {
        auto next = group.find_first_of(" \t,", pos);
        std::string_view tok =
            group.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        bool comma = next != std::string_view::npos && group[next] == ',';
        pos = next == std::string_view::npos ? group.size() : next + 1;
        if (tok.empty()) {
            if (comma) current.clear();
            continue;
        }
        auto colon = tok.find(':');
        if (colon != std::string_view::npos && is_key(tok.substr(0, colon))) {
            current = std::string(tok.substr(0, colon));
            if (current == "Mod") current = "MN";  // the old agent's spelling
            out[current] = trim(tok.substr(colon + 1));
        } else if (!current.empty()) {
            auto& v = out[current];
            v = trim(v.empty() ? std::string(tok) : v + " " + std::string(tok));
        }
        if (comma) current.clear();
    }
    // Only a list that names the card's model, serial or firmware counts: a sysDescr
    // such as "Linux host (x86_64): ..." must not turn into fields.
    if (!out.count("MN") && !out.count("SN") && !out.count("PF")) out.clear();
    return out;
}

std::string guess_class(std::string_view oid, std::string_view descr, bool has_ups_mib) {
    auto ent = enterprise_of_oid(oid);
    if (ent == 318u) {
        // PowerNet-MIB products: 1.3.6.1.4.1.318.1.3.2 UPSs, .3.4 MasterSwitch/rack PDUs,
        // .3.8 environmental monitors, .3.14 and .3.27 InRow/air (cooling).
        if (starts_with_arcs(oid, "1.3.6.1.4.1.318.1.3.2")) return "ups";
        if (starts_with_arcs(oid, "1.3.6.1.4.1.318.1.3.4")) return "pdu";
        if (starts_with_arcs(oid, "1.3.6.1.4.1.318.1.3.8")) return "sensor";
        if (starts_with_arcs(oid, "1.3.6.1.4.1.318.1.3.14")) return "cooling";
        auto f = parse_apc_sysdescr(descr);
        const auto& an = f["AN1"];
        if (contains(an, "rpdu")) return "pdu";
        if (contains(an, "_su") || contains(an, "_sy") || contains(an, "_sumx")) return "ups";
        if (contains(an, "_ac")) return "cooling";
    }
    if (ent == 5528u || ent == 52674u || icontains(descr, "netbotz")) return "sensor";
    if (has_ups_mib) return "ups";
    if (ent) {
        if (const auto* e = find_enterprise(*ent); e && e->network) return "network";
    }
    return "unknown";
}

Identity identify_from_system(std::string_view oid, std::string_view descr_view,
                              std::optional<std::uint32_t> engine_enterprise) {
    Identity id;
    auto ent = enterprise_of_oid(oid);
    if (!ent) ent = engine_enterprise;
    if (ent) {
        if (auto v = enterprise_vendor(*ent)) id.vendor = std::string(*v);
    }
    const std::string descr = bounded(descr_view);

    auto card = parse_apc_sysdescr(descr);
    if (!card.empty() && (contains(descr, "APC") || ent == 318u)) {
        if (id.vendor.empty()) id.vendor = "APC by Schneider Electric";
        id.card_model = card["MN"];
        id.card_serial = card["SN"];
        id.card_firmware = !card["AF1"].empty() ? card["AF1"] : card["PF"];
        // Until an identity OID says otherwise, the card is what we know.
        id.model = id.card_model;
        id.serial = id.card_serial;
        id.firmware = id.card_firmware;
    } else if (icontains(descr, "netbotz")) {
        static const std::regex model_re(R"((NetBotz\s+\d+\w*))", std::regex::icase);
        static const std::regex ver_re(R"(\bv?(\d+\.\d+(\.\d+)*)\b)");
        if (id.vendor.empty()) id.vendor = "NetBotz (APC)";
        id.model = first_match(descr, model_re);
        auto after = descr.find(id.model);
        if (!id.model.empty() && after != std::string::npos)
            id.firmware = first_match(descr.substr(after + id.model.size()), ver_re);
    } else if (descr.rfind("Juniper Networks", 0) == 0) {
        static const std::regex re(R"(Juniper Networks, Inc\.\s+(\S+).*?\b(JUNOS\s+[^,\s]+))");
        std::smatch m;
        if (std::regex_search(descr, m, re)) {
            id.model = m[1].str();
            id.firmware = m[2].str();
        }
    } else if (contains(descr, "Cisco")) {
        static const std::regex re(R"(Version\s+([^,\s]+))");
        id.firmware = first_match(descr, re);
    } else if (descr.rfind("Eaton", 0) == 0) {
        static const std::regex re(R"(^(Eaton[^-]*?)\s*(-|$))");
        id.model = first_match(descr, re);
        if (id.vendor.empty()) id.vendor = "Eaton";
    } else if (descr.rfind("Linux ", 0) == 0) {
        // net-snmp on Linux: "Linux HOST RELEASE #BUILD SMP ... ARCH"
        static const std::regex re(R"(^Linux\s+\S+\s+(\S+))");
        id.model = "Linux";
        id.firmware = first_match(descr, re);
    }
    id.device_class = guess_class(oid, descr, false);
    return id;
}

}  // namespace dce::discover
