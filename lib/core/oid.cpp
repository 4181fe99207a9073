#include "core/oid.hpp"

#include <algorithm>
#include <charconv>

namespace dce {

bool parse_oid(std::string_view text, Oid& out) {
    out.clear();
    if (!text.empty() && text.front() == '.') text.remove_prefix(1);
    if (text.empty()) return false;
    while (true) {
        auto dot = text.find('.');
        auto arc = text.substr(0, dot);
        std::uint32_t v = 0;
        auto [p, ec] = std::from_chars(arc.data(), arc.data() + arc.size(), v);
        if (arc.empty() || ec != std::errc{} || p != arc.data() + arc.size()) return false;
        out.push_back(v);
        if (out.size() > 128) return false;  // SNMP's limit on sub-identifiers
        if (dot == std::string_view::npos) break;
        text.remove_prefix(dot + 1);
    }
    return true;
}

std::string oid_to_string(const Oid& oid) {
    // On dce-trapd's hot path (every varbind of every trap): to_chars, no temporaries.
    std::string s;
    s.reserve(oid.size() * 4);
    char buf[16];
    for (std::size_t i = 0; i < oid.size(); ++i) {
        if (i) s += '.';
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, oid[i]);
        s.append(buf, p);
    }
    return s;
}

bool oid_starts_with(const Oid& oid, const Oid& prefix) {
    return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

}  // namespace dce
