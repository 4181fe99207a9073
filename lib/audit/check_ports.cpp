// "Attempt a connection that should be denied and check it is denied" (the handbook's
// first validation step), and the inverse for what must stay reachable. TCP tells open,
// closed (RST) and filtered (silence) apart; UDP sends what the service would answer
// (an SNMPv3 discovery probe, an NTP client request, a DNS query) and reads ICMP port
// unreachable as closed — silence is reported as silence, never as closed.
#include "audit/families.hpp"

#include <charconv>

namespace dce::audit {
namespace {

const CheckInfo checks[] = {
    {"ports.denied", "DeniedPortIsDenied", "A port the policy denies does not accept connections",
     "Close the service or block the port at the firewall in front of the device.",
     "DCE security handbook: Validate security settings (a denied connection is denied); "
     "Network Protocol and Ports",
     "high"},
    {"ports.open", "ExpectedPortIsOpen", "A port the policy expects open answers",
     "Start the service, or fix the firewall rule that blocks it; if it is not needed, take "
     "it out of the policy.",
     "DCE security handbook: Network Protocol and Ports", "medium"},
    {"ports.spec", "PortSpecValid", "The policy's port entries are valid",
     "Write ports as tcp/NUMBER or udp/NUMBER.", "dce-audit policy format", "low"},
};
const CheckInfo& denied = checks[0];
const CheckInfo& open_check = checks[1];
const CheckInfo& spec_check = checks[2];

// Probes that make a listening UDP service answer without any credential.
std::string snmpv3_discovery() {
    // SNMPv3 GET with an empty engine ID, noAuthNoPriv, reportable: every agent answers
    // with a Report carrying its engine ID (RFC 3414 4).
    static const unsigned char pkt[] = {
        0x30, 0x3a, 0x02, 0x01, 0x03, 0x30, 0x0f, 0x02, 0x02, 0x4a, 0x69, 0x02, 0x03, 0x00, 0xff,
        0xe3, 0x04, 0x01, 0x04, 0x02, 0x01, 0x03, 0x04, 0x10, 0x30, 0x0e, 0x04, 0x00, 0x02, 0x01,
        0x00, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x04, 0x00, 0x30, 0x12, 0x04, 0x00, 0x04,
        0x00, 0xa0, 0x0c, 0x02, 0x02, 0x37, 0xf0, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x00};
    return std::string(reinterpret_cast<const char*>(pkt), sizeof pkt);
}
std::string ntp_client() {
    std::string p(48, '\0');
    p[0] = 0x1b;  // LI 0, version 3, mode 3 (client)
    return p;
}
std::string dns_query() {
    // ID 0x4443, recursion desired, one question: "." NS IN.
    static const unsigned char q[] = {0x44, 0x43, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};
    return std::string(reinterpret_cast<const char*>(q), sizeof q);
}

/// The payload for a UDP port, and the protocol it speaks; empty name: unknown.
std::pair<std::string, std::string> udp_probe_for(int port) {
    switch (port) {
        case 161:
        case 162:
            return {snmpv3_discovery(), "SNMP"};
        case 123:
            return {ntp_client(), "NTP"};
        case 53:
            return {dns_query(), "DNS"};
        default:
            return {std::string(1, '\0'), ""};
    }
}

bool parse_spec(const Json& j, std::string& proto, int& port) {
    if (j.is_number_integer()) {
        proto = "tcp";
        port = j.get<int>();
        return port > 0 && port < 65536;
    }
    if (!j.is_string()) return false;
    const std::string s = j.get<std::string>();
    auto slash = s.find('/');
    proto = slash == std::string::npos ? "tcp" : s.substr(0, slash);
    std::string num = slash == std::string::npos ? s : s.substr(slash + 1);
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), port);
    return (proto == "tcp" || proto == "udp") && ec == std::errc() &&
           p == num.data() + num.size() && port > 0 && port < 65536;
}

std::vector<Finding> run(const CheckContext& ctx) {
    std::vector<Finding> out;
    const Json ports = ctx.target.policy.value("ports", Json::object());
    for (const char* kind : {"denied", "open"}) {
        const bool want_open = std::string_view(kind) == "open";
        const CheckInfo& check = want_open ? open_check : denied;
        if (!ctx.wanted(check.id)) continue;
        for (const auto& spec : ports.value(kind, Json::array())) {
            if (ctx.stop()) return out;
            std::string proto;
            int port = 0;
            if (!parse_spec(spec, proto, port)) {
                if (ctx.wanted(spec_check.id))
                    out.push_back(make_finding(spec_check, ctx.target, Status::error,
                                               "ports." + std::string(kind) + ": " + spec.dump() +
                                                   " is not tcp/NUMBER or udp/NUMBER"));
                continue;
            }
            const std::string label = proto + "/" + std::to_string(port);
            PortProbe p;
            std::string protocol;
            if (proto == "tcp") {
                p = probe_tcp(ctx.target.address, port, ctx.timeout);
            } else {
                auto [payload, name] = udp_probe_for(port);
                protocol = name;
                p = probe_udp(ctx.target.address, port, payload, ctx.timeout);
            }
            Json ev = {{"port", port},
                       {"protocol", proto},
                       {"state", to_string(p.state)},
                       {"detail", p.detail},
                       {"ms", static_cast<long long>(p.ms)}};
            if (!protocol.empty()) ev["probe"] = protocol;
            Status st;
            std::string msg;
            const bool refused = p.state == PortState::closed || p.state == PortState::filtered ||
                                 p.state == PortState::unreachable;
            if (p.state == PortState::error) {
                st = Status::error;
                msg = label + ": could not probe: " + p.detail;
            } else if (p.state == PortState::no_answer) {
                // UDP silence: a service that speaks the probe's protocol would have
                // answered, so for a known protocol silence means not served; otherwise
                // nothing can be concluded.
                if (!want_open && !protocol.empty()) {
                    st = Status::pass;
                    msg = label + " did not answer a " + protocol +
                          " probe (filtered, or nothing listening)";
                } else {
                    st = Status::warn;
                    msg = label + ": no answer" +
                          (protocol.empty() ? " (UDP cannot tell open from filtered)"
                                            : " to a " + protocol + " probe") +
                          (want_open ? "; expected open" : "; expected denied");
                }
            } else if (want_open) {
                st = p.state == PortState::open ? Status::pass : Status::fail;
                msg = p.state == PortState::open
                          ? label + " is open, as expected"
                          : label + " is " + std::string(to_string(p.state)) + " (" + p.detail +
                                "); the policy expects it open";
            } else {
                st = refused ? Status::pass : Status::fail;
                msg = refused ? label + " is denied: " + std::string(to_string(p.state)) + " (" +
                                    p.detail + ")"
                              : label + " accepts connections; the policy denies it";
            }
            Finding f = make_finding(check, ctx.target, st, msg, ev);
            f.target = ctx.target.name + " " + label;
            out.push_back(std::move(f));
        }
    }
    return out;
}

}  // namespace

Family ports_family() {
    return {"ports", checks, run};
}

}  // namespace dce::audit
