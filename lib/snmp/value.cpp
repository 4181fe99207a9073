// OIDs, values and engine IDs: pure functions with no net-snmp, so the fuzzer and the
// unit tests reach them without an agent.
#include "core/jsonl.hpp"
#include "snmp/snmp.hpp"

#include <charconv>

namespace dce::snmp {

bool Value::is_numeric() const {
    switch (type) {
        case ValueType::integer:
        case ValueType::counter32:
        case ValueType::gauge32:
        case ValueType::timeticks:
        case ValueType::counter64:
            return true;
        default:
            return false;
    }
}

std::optional<double> Value::number() const {
    if (type == ValueType::integer) return static_cast<double>(i);
    if (is_numeric()) return static_cast<double>(u);
    if (type == ValueType::octet_string) {
        // Some agents (NetBotz, older cards) give numbers as strings: "21.5".
        double d = 0;
        auto s = std::string_view(bytes);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\0'))
            s.remove_suffix(1);
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (!s.empty() && ec == std::errc{} && p == s.data() + s.size()) return d;
    }
    return std::nullopt;
}

std::string_view to_string(ValueType t) {
    switch (t) {
        case ValueType::integer:
            return "Integer32";
        case ValueType::octet_string:
            return "OctetString";
        case ValueType::null:
            return "Null";
        case ValueType::object_id:
            return "ObjectIdentifier";
        case ValueType::ip_address:
            return "IpAddress";
        case ValueType::counter32:
            return "Counter32";
        case ValueType::gauge32:
            return "Gauge32";
        case ValueType::timeticks:
            return "TimeTicks";
        case ValueType::opaque:
            return "Opaque";
        case ValueType::counter64:
            return "Counter64";
        case ValueType::no_such_object:
            return "noSuchObject";
        case ValueType::no_such_instance:
            return "noSuchInstance";
        case ValueType::end_of_mib_view:
            return "endOfMibView";
    }
    return "unknown";
}

Json to_json(const Value& v) {
    switch (v.type) {
        case ValueType::integer:
            return v.i;
        case ValueType::counter32:
        case ValueType::gauge32:
        case ValueType::timeticks:
        case ValueType::counter64:
            return v.u;
        case ValueType::octet_string:
            return octets_to_display(v.bytes);
        case ValueType::opaque:
            return to_hex(v.bytes);
        case ValueType::ip_address:
            return v.bytes;
        case ValueType::object_id:
            return oid_to_string(v.oid);
        default:
            return nullptr;
    }
}

Json to_json(const VarBind& vb) {
    Json j = Json::object();
    j["oid"] = oid_to_string(vb.oid);
    j["type"] = std::string(to_string(vb.value.type));
    j["value"] = to_json(vb.value);
    return j;
}

std::string_view to_string(Version v) {
    switch (v) {
        case Version::v1:
            return "v1";
        case Version::v2c:
            return "v2c";
        case Version::v3:
            return "v3";
    }
    return "v3";
}

std::string_view to_string(Status s) {
    switch (s) {
        case Status::ok:
            return "ok";
        case Status::timeout:
            return "timeout";
        case Status::auth_failure:
            return "auth";
        case Status::unknown_user:
            return "unknown_user";
        case Status::unsupported_level:
            return "unsupported_security_level";
        case Status::decryption_error:
            return "decryption";
        case Status::not_in_time_window:
            return "not_in_time_window";
        case Status::unknown_engine_id:
            return "unknown_engine_id";
        case Status::agent_error:
            return "agent_error";
        case Status::malformed:
            return "malformed";
        case Status::unreachable:
            return "unreachable";
        case Status::invalid_request:
            return "invalid_request";
        case Status::cancelled:
            return "cancelled";
    }
    return "unknown";
}

std::string Endpoint::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

Security Security::community_v(Version v, Secret community) {
    Security s;
    s.version = v;
    s.community = std::move(community);
    return s;
}

Security Security::v3(std::string user, std::string auth_protocol, Secret auth_pass,
                      std::string priv_protocol, Secret priv_pass) {
    Security s;
    s.version = Version::v3;
    s.user = std::move(user);
    s.auth_protocol = std::move(auth_protocol);
    s.auth_pass = std::move(auth_pass);
    s.priv_protocol = std::move(priv_protocol);
    s.priv_pass = std::move(priv_pass);
    return s;
}

std::string_view Security::level() const {
    if (auth_protocol.empty()) return "noAuthNoPriv";
    if (priv_protocol.empty()) return "authNoPriv";
    return "authPriv";
}

EngineInfo parse_engine_id(std::string_view raw) {
    EngineInfo info;
    info.engine_id = to_hex(raw).substr(2);
    if (raw.size() < 5) {
        info.engine_id_format = "octets";
        return info;
    }
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(raw[i]); };
    std::uint32_t ent = (std::uint32_t(b(0) & 0x7f) << 24) | (std::uint32_t(b(1)) << 16) |
                        (std::uint32_t(b(2)) << 8) | b(3);
    info.enterprise = ent;
    if (!(b(0) & 0x80)) {
        // RFC 1910 (SNMPv1-era) format: 12 octets, enterprise then anything.
        info.engine_id_format = "enterprise";
        return info;
    }
    switch (b(4)) {
        case 1:
            info.engine_id_format = "ipv4";
            break;
        case 2:
            info.engine_id_format = "ipv6";
            break;
        case 3:
            info.engine_id_format = "mac";
            break;
        case 4:
            info.engine_id_format = "text";
            break;
        case 5:
            info.engine_id_format = "octets";
            break;
        case 128:
            info.engine_id_format = ent == 8072 ? "netsnmp" : "enterprise";
            break;
        default:
            info.engine_id_format = "enterprise";
            break;
    }
    return info;
}

bool security_from_credential(const Credential& cred, Version version, Security& out,
                              std::string& error) {
    out = Security{};
    if (cred.kind == "community") {
        const Secret* c = cred.secret("community");
        if (!c || c->empty()) {
            error = "credential '" + cred.name + "' has no community";
            return false;
        }
        if (const std::string* v = cred.field("version")) {
            if (*v == "v1" || *v == "1")
                version = Version::v1;
            else if (*v == "v2c" || *v == "2c")
                version = Version::v2c;
        }
        if (version == Version::v3) version = Version::v2c;
        out = Security::community_v(version, *c);
        return true;
    }
    if (cred.kind != "snmpv3") {
        error = "credential '" + cred.name + "' is of kind '" + cred.kind +
                "', not snmpv3 or community";
        return false;
    }
    const std::string* user = cred.field("user");
    if (!user || user->empty()) {
        error = "credential '" + cred.name + "' has no user";
        return false;
    }
    out.version = Version::v3;
    out.user = *user;
    if (const std::string* a = cred.field("auth_protocol")) out.auth_protocol = *a;
    if (const std::string* p = cred.field("priv_protocol")) out.priv_protocol = *p;
    if (const std::string* c = cred.field("context")) out.context = *c;
    if (const Secret* s = cred.secret("auth_pass")) out.auth_pass = *s;
    if (const Secret* s = cred.secret("priv_pass")) out.priv_pass = *s;
    if (!out.auth_protocol.empty() && out.auth_pass.empty()) {
        error = "credential '" + cred.name + "' names auth_protocol but has no auth_pass";
        return false;
    }
    if (!out.priv_protocol.empty() && out.priv_pass.empty()) {
        error = "credential '" + cred.name + "' names priv_protocol but has no priv_pass";
        return false;
    }
    if (!out.priv_protocol.empty() && out.auth_protocol.empty()) {
        error = "credential '" + cred.name + "': privacy needs authentication (auth_protocol)";
        return false;
    }
    if (!out.auth_pass.empty() && out.auth_pass.view().size() < 8) {
        error = "credential '" + cred.name + "': auth_pass is shorter than 8 characters";
        return false;
    }
    if (!out.priv_pass.empty() && out.priv_pass.view().size() < 8) {
        error = "credential '" + cred.name + "': priv_pass is shorter than 8 characters";
        return false;
    }
    return true;
}

}  // namespace dce::snmp
