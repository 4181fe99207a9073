#include "audit/families.hpp"

#include <vector>

namespace dce::audit {

std::span<const Family> families() {
    // The order a target is checked in: reachability first, then each service.
    static const std::vector<Family> all = {
        ports_family(), web_family(),   cert_family(),     ssh_family(),    cleartext_family(),
        snmp_family(),  login_family(), firmware_family(), modbus_family(),
    };
    return all;
}

const CheckInfo* find_check(std::string_view id) {
    for (const auto& f : families())
        for (const auto& c : f.checks)
            if (c.id == id) return &c;
    return nullptr;
}

Finding make_finding(const CheckInfo& check, const Target& target, Status status,
                     std::string message, Json evidence) {
    Finding f;
    f.tool = "dce-audit";
    f.check = std::string(check.id);
    f.target = target.name;
    f.status = status;
    // A pass or skip is information; a failure carries the check's severity.
    f.severity = Severity::info;
    if (status == Status::fail || status == Status::warn) {
        const std::string_view s = check.severity;
        f.severity = s == "critical" ? Severity::critical
                     : s == "high"   ? Severity::high
                     : s == "medium" ? Severity::medium
                     : s == "low"    ? Severity::low
                                     : Severity::info;
    }
    f.message = std::move(message);
    f.evidence = evidence.is_object() ? std::move(evidence) : Json::object();
    f.reference = std::string(check.reference);
    return f;
}

}  // namespace dce::audit
