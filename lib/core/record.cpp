#include "core/record.hpp"

#include "core/time.hpp"

namespace dce {
namespace {

using F = FieldType;

constexpr FieldSpec common_fields[] = {
    {"type", F::string, true, "Record type."},
    {"ts", F::timestamp, true, "When the record was made, RFC 3339 UTC with milliseconds."},
    {"site", F::string, false, "Site or tenant the record belongs to, when one was given."},
};

constexpr FieldSpec device_fields[] = {
    {"id", F::string, true,
     "Stable key TRANSPORT://HOST:PORT[/UNIT-OR-CONTEXT]; other records refer to the device by "
     "it."},
    {"target", F::string, true, "Address the device answered on."},
    {"transport", F::string, true, "Protocol it was found with.", "snmp|modbus|http|https|tcp"},
    {"port", F::integer, false, "Port it answered on.", {}, 1, 65535},
    {"snmp", F::object, false, "SNMP details."},
    {"snmp.version", F::string, false, "SNMP version that worked.", "v1|v2c|v3"},
    {"snmp.engine_id", F::string, false, "SNMPv3 authoritative engine ID, hex."},
    {"snmp.engine_boots", F::integer, false, "SNMPv3 engine boots."},
    {"snmp.enterprise", F::integer, false, "Enterprise number from the engine ID."},
    {"snmp.context", F::string, false, "SNMPv3 context name used."},
    {"snmp.security_level", F::string, false, "SNMPv3 security level.",
     "noAuthNoPriv|authNoPriv|authPriv"},
    {"modbus", F::object, false, "Modbus TCP details."},
    {"modbus.unit_id", F::integer, false, "Modbus unit identifier."},
    {"http", F::object, false, "HTTP(S) details (dce-discover --http)."},
    {"http.url", F::string, false,
     "The page the identity came from (the front page, or where it redirected on the same "
     "server)."},
    {"http.status", F::integer, false, "HTTP status of that page."},
    {"http.server", F::string, false, "The Server header."},
    {"http.title", F::string, false, "The page's <title>."},
    {"http.evidence", F::array, false,
     "Which identity rules matched (Server header, page title or text, certificate)."},
    {"tls", F::object, false, "TLS facts of an https device."},
    {"tls.version", F::string, false, "Negotiated protocol, e.g. TLSv1.3 (1.2 is the minimum)."},
    {"tls.verified", F::boolean, false,
     "True when the chain verified (system store or --ca-file) and the certificate names the "
     "host; false only with --insecure."},
    {"tls.subject", F::string, false, "Leaf certificate subject, RFC 2253."},
    {"tls.issuer", F::string, false, "Leaf certificate issuer, RFC 2253."},
    {"tls.fingerprint_sha256", F::string, false, "SHA-256 of the leaf certificate, lowercase hex."},
    {"tcp", F::object, false, "TCP details (dce-discover --tcp6000)."},
    {"tcp.open", F::boolean, false, "The port accepted a connection."},
    {"tcp.banner", F::string, false,
     "What the device sent first, unprompted: as text when printable, else \"hex:\" and its "
     "bytes."},
    {"insecure", F::boolean, false,
     "True when found over a protocol without authentication (SNMPv1/v2c, HTTP, HTTPS whose "
     "certificate did not verify)."},
    {"sys_name", F::string, false, "sysName."},
    {"sys_descr", F::string, false, "sysDescr."},
    {"sys_object_id", F::string, false, "sysObjectID, numeric."},
    {"uptime", F::number, false, "Agent uptime in seconds."},
    {"vendor", F::string, false, "Vendor name."},
    {"model", F::string, false, "Model."},
    {"serial", F::string, false, "Serial number."},
    {"firmware", F::string, false, "Firmware version."},
    {"class", F::string, false, "Device class.",
     "ups|pdu|ats|sensor|cooling|power|network|unknown"},
    {"profile", F::string, false,
     "The device's primary profile (the applying one of highest priority)."},
    {"profiles", F::array, false,
     "Every profile that applies, primary first, each {\"name\", \"reason\"}: the family "
     "(sysObjectID, sysDescr) and the probed tables that answered. dce-poll reads them all."},
    {"credential", F::string, false, "NAME of the credential entry that worked, never the secret."},
    {"first_seen", F::timestamp, false, "When dce-store first stored the device (store queries)."},
    {"last_seen", F::timestamp, false, "When dce-store last stored the device (store queries)."},
    {"identified", F::boolean, false,
     "False when only SNMPv3 engine discovery answered: no credential let dce-discover read the "
     "identity."},
    {"card", F::object, false,
     "The network management card the device answers through (APC NMC), from its sysDescr."},
    {"card.model", F::string, false, "Management card model, e.g. AP9631."},
    {"card.serial", F::string, false, "Management card serial number."},
    {"card.firmware", F::string, false, "Management card application firmware version."},
};

constexpr FieldSpec reading_fields[] = {
    {"device", F::string, true, "The device's id."},
    {"metric", F::string, true, "Dotted metric name, e.g. ups.battery.charge."},
    {"value", F::scalar, true, "Number, or string for states."},
    {"unit", F::string, false, "percent, volt, ampere, watt, celsius, second, hertz, ..."},
    {"labels", F::object, false, "Labels such as an outlet or phase index."},
    {"source", F::string, false, "Where the value came from: OID or register."},
    {"raw", F::scalar, false, "The raw value when `value` is a state name (e.g. 2 for \"on\")."},
    {"snmp_type", F::string, false,
     "SNMP type of the value read (Integer32, Gauge32, Counter64, TimeTicks, ...)."},
};

constexpr FieldSpec event_fields[] = {
    {"source", F::string, true, "Address the event came from (IP address, no port)."},
    {"source_port", F::integer, false, "Port it came from.", {}, 0, 65535},
    {"transport", F::string, true, "How it arrived.", "snmp|http|https"},
    {"listen", F::string, false, "Local address it arrived on (ADDR:PORT)."},
    {"snmp", F::object, false, "SNMP details."},
    {"snmp.version", F::string, false, "SNMP version.", "v1|v2c|v3"},
    {"snmp.pdu", F::string, false, "trap, or inform (acknowledged).", "trap|inform"},
    {"snmp.credential", F::string, false,
     "Credential entry whose community or user matched (never the secret)."},
    {"snmp.user", F::string, false, "SNMPv3 user."},
    {"snmp.engine_id", F::string, false, "SNMPv3 sender engine ID, hex."},
    {"snmp.security_level", F::string, false, "SNMPv3 security level.",
     "noAuthNoPriv|authNoPriv|authPriv"},
    {"snmp.context", F::string, false, "SNMPv3 context name, when not empty."},
    {"snmp.enterprise", F::string, false, "SNMPv1 trap enterprise OID."},
    {"snmp.agent_addr", F::string, false, "SNMPv1 trap agent-addr."},
    {"snmp.generic_trap", F::integer, false, "SNMPv1 generic-trap (6: enterprise-specific)."},
    {"snmp.specific_trap", F::integer, false, "SNMPv1 specific-trap."},
    {"insecure", F::boolean, false, "True when it came over SNMPv1/v2c (no authentication)."},
    {"trap_oid", F::string, false,
     "Notification OID, numeric (SNMPv1 traps in their v2 form, RFC 3584)."},
    {"resolved", F::boolean, false, "False when the trap catalogue does not know trap_oid."},
    {"name", F::string, false, "Event name from the trap catalogue, e.g. upsOnBattery."},
    {"mib", F::string, false, "MIB module that defines it."},
    {"severity", F::string, false,
     "Severity from the trap catalogue: info, warn, critical, or unknown when unresolved "
     "(low, medium and high stay valid: the contract never removes a value).",
     "info|warn|critical|unknown|low|medium|high"},
    {"description", F::string, false, "What happened, from the MIB's summary and the varbinds."},
    {"uptime", F::number, false, "Sender's uptime in seconds (sysUpTime.0 or v1 time-stamp)."},
    {"device", F::string, false, "The device's id, when known."},
    {"varbinds", F::array, false, "Variable bindings: oid, name (when known), type, value."},
    {"count", F::integer, false,
     "With --dedup: how many identical traps were folded into this event."},
    {"folded", F::boolean, false, "With --dedup: this event repeats an earlier one with a count."},
    {"rejected", F::object, false,
     "dce-trapd --report-rejected: the cause and how many were rejected."},
};

constexpr FieldSpec stats_fields[] = {
    {"tool", F::string, true, "Tool that counted."},
    {"final", F::boolean, false, "True for the last stats record, written at exit."},
    {"uptime", F::number, false, "Seconds since the tool started."},
    {"received", F::integer, false, "Datagrams received."},
    {"decoded", F::integer, false, "Datagrams decoded as SNMP messages."},
    {"delivered", F::integer, false, "Events written for traps and informs."},
    {"malformed", F::integer, false, "Datagrams that are not valid SNMP."},
    {"rejected", F::object, false, "Rejected messages by cause."},
    {"rejected_total", F::integer, false, "Sum of rejected."},
    {"rate_limited", F::integer, false, "Traps over --rate-limit."},
    {"deduplicated", F::integer, false, "Traps folded by --dedup."},
    {"dropped_queue", F::integer, false, "Datagrams dropped because the decode queue was full."},
    {"dropped_kernel", F::integer, false,
     "Datagrams the kernel dropped (receive buffer full, SO_RXQ_OVFL)."},
    {"informs_acknowledged", F::integer, false, "Informs answered with a Response."},
};

constexpr FieldSpec cert_fields[] = {
    {"endpoint", F::string, true, "host:port inspected, or the file read."},
    {"sni", F::string, false, "Server name sent."},
    {"subject", F::string, false, "Leaf subject, RFC 2253."},
    {"issuer", F::string, false, "Leaf issuer, RFC 2253."},
    {"sans", F::array, false, "Subject alternative names."},
    {"not_before", F::timestamp, false, "Validity start."},
    {"not_after", F::timestamp, false, "Validity end."},
    {"key", F::object, false, "Key: type, bits, curve."},
    {"signature_algorithm", F::string, false, "Leaf signature algorithm."},
    {"fingerprint_sha256", F::string, false, "SHA-256 of the leaf, hex."},
    {"serial", F::string, false, "Leaf serial number, hex."},
    {"chain", F::array, false, "Certificates the server sent, leaf first."},
    {"protocol", F::string, false, "Negotiated protocol version."},
    {"cipher", F::string, false, "Negotiated cipher suite."},
    {"protocols", F::object, false, "Which protocol versions the server accepts."},
    {"signature_hash", F::string, false,
     "Hash of the leaf's signature: SHA256, SHA1, ...; intrinsic for EdDSA."},
    {"self_signed", F::boolean, false, "True when the leaf is signed by its own key."},
    {"is_ca", F::boolean, false, "True when the leaf is a CA certificate."},
    {"ocsp", F::array, false, "OCSP responder URLs of the leaf."},
    {"crl", F::array, false, "CRL distribution point URLs of the leaf."},
    {"trusted", F::boolean, false,
     "True when the chain leads to a trusted CA (system store or --ca-file)."},
    {"verify_error", F::string, false, "Why the chain is not trusted."},
    {"hostname_match", F::boolean, false, "True when the leaf names the host or SNI name."},
    {"vendor_default", F::boolean, false,
     "True when the leaf looks like a management card's factory default."},
    {"device", F::string, false, "Id of the device record the endpoint came from."},
    {"address", F::string, false, "Address connected to."},
    {"source", F::string, false, "Where the certificate came from.", "network|file"},
    {"starttls", F::string, false, "Plaintext protocol upgraded before the handshake.",
     "smtp|imap|pop3|ftp|ldap|postgres"},
    {"forward_secret", F::boolean, false,
     "True when the negotiated key exchange is forward-secret."},
    {"protocols_note", F::string, false, "Which protocol versions could not be probed, and why."},
    {"weak_ciphers", F::object, false,
     "Whether weak suites are accepted: accepted, cipher, classes_probed, classes_not_probed."},
    {"non_forward_secret", F::object, false,
     "Whether static RSA key exchange is accepted: accepted, cipher."},
    {"elapsed_ms", F::integer, false, "Time spent on the endpoint, milliseconds."},
};

constexpr FieldSpec finding_fields[] = {
    {"tool", F::string, true, "Tool that made the finding."},
    {"check", F::string, true, "Stable check id."},
    {"target", F::string, true, "What was checked: file, host:port, device id."},
    {"status", F::string, true, "Verdict.", "pass|fail|warn|error|skip"},
    {"severity", F::string, true, "Severity.", "info|low|medium|high|critical"},
    {"message", F::string, true, "One plain sentence saying what was found."},
    {"evidence", F::object, false, "Values the verdict rests on."},
    {"reference", F::string, false, "Handbook or standard the check comes from."},
    {"run", F::string, false,
     "Run id (dce-audit): dce-store query findings --changed compares the last two runs."},
    {"change", F::string, false,
     "dce-store query findings --changed: what changed since the previous run.",
     "new_fail|fixed|new|gone|changed"},
    {"previous_status", F::string, false,
     "dce-store query findings --changed: the status in the previous run."},
};

constexpr FieldSpec error_fields[] = {
    {"tool", F::string, true, "Tool that failed."},
    {"target", F::string, false, "Target that failed."},
    {"code", F::string, true, "Stable error code, e.g. timeout, auth, unreachable, io."},
    {"message", F::string, true, "What went wrong, plainly."},
};

constexpr FieldSpec profile_fields[] = {
    {"name", F::string, true, "Profile name (profiles/NAME.json)."},
    {"description", F::string, false, "The devices it is for."},
    {"class", F::string, false, "Device class it gives.",
     "ups|pdu|ats|sensor|cooling|power|network|unknown"},
    {"priority", F::integer, false, "Among applying profiles the highest names the device."},
    {"mib", F::string, false, "MIB module(s) its metrics come from."},
    {"family", F::array, false,
     "sysObjectID prefixes and sysDescr regex that make a device a "
     "candidate; empty for generic profiles."},
    {"probe", F::array, false, "Subtrees probed: the profile applies when one answers."},
    {"replaces", F::array, false, "Profiles it drops when it applies."},
    {"also", F::array, false, "Profiles whose metrics are always read with it."},
    {"metrics", F::array, false, "What it reads: {metric, unit, oid or table, index, states}."},
    {"path", F::string, false, "File it was loaded from."},
};

constexpr FieldSpec check_fields[] = {
    {"id", F::string, true, "Stable check id, e.g. ports.denied."},
    {"family", F::string, false, "Family of checks it belongs to."},
    {"title", F::string, false, "What it checks, in one line."},
    {"severity", F::string, false, "Severity of a failure.", "info|low|medium|high|critical"},
    {"reference", F::string, false, "Handbook section or standard it comes from."},
    {"help", F::string, false, "What to do when it fails."},
};

constexpr FieldSpec plan_fields[] = {
    {"device", F::string, true, "Device id the read is for (modbus://HOST:PORT/UNIT)."},
    {"profile", F::string, false, "Register map the read comes from."},
    {"unit_id", F::integer, false, "Modbus unit identifier.", {}, 0, 255},
    {"table", F::string, true, "Modbus table read.", "coil|discrete|input|holding"},
    {"function", F::integer, true, "Modbus function code (1-4).", {}, 1, 4},
    {"address", F::integer, true, "First register (or bit), zero-based.", {}, 0, 65535},
    {"count", F::integer, true, "Registers (or bits) read.", {}, 1, 2000},
    {"fields", F::array, false, "Metrics the read carries, by address."},
};

constexpr RecordSpec specs[] = {
    {"device", "A device found on the network.", device_fields},
    {"reading", "One value read from a device.", reading_fields},
    {"event", "A trap, inform or alert received.", event_fields},
    {"cert", "A TLS endpoint's certificate and protocols.", cert_fields},
    {"finding", "The verdict of one check on one target.", finding_fields},
    {"error", "One target failing; the run goes on.", error_fields},
    {"profile", "A device profile (dce-poll --list-profiles).", profile_fields},
    {"stats", "Counters of a long-running tool (dce-trapd).", stats_fields},
    {"check", "A check dce-audit can run (dce-audit --list-checks).", check_fields},
    {"plan", "One planned Modbus read (dce-poll --plan); nothing is sent.", plan_fields},
};

std::string_view json_type_name(FieldType t) {
    switch (t) {
        case F::string:
        case F::timestamp:
            return "string";
        case F::integer:
            return "integer";
        case F::number:
            return "number";
        case F::boolean:
            return "boolean";
        case F::object:
            return "object";
        case F::array:
            return "array";
        case F::scalar:
            return "scalar";
    }
    return "string";
}

bool type_matches(const Json& v, FieldType t) {
    switch (t) {
        case F::string:
            return v.is_string();
        case F::timestamp:
            return v.is_string() && parse_timestamp(v.get_ref<const std::string&>());
        case F::integer:
            return v.is_number_integer();
        case F::number:
            return v.is_number();
        case F::boolean:
            return v.is_boolean();
        case F::object:
            return v.is_object();
        case F::array:
            return v.is_array();
        case F::scalar:
            return v.is_number() || v.is_string() || v.is_boolean();
    }
    return false;
}

bool has_range(const FieldSpec& f) {
    return f.minimum != 0 || f.maximum != 0;
}

// A value outside its field's range is refused, never narrowed: port 70000 must not
// become 4464 in whatever casts it to 16 bits later.
bool in_range(const Json& v, const FieldSpec& f) {
    if (!has_range(f)) return true;
    if (v.is_number_unsigned())
        return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(f.maximum) &&
               static_cast<long long>(v.get<std::uint64_t>()) >= f.minimum;
    auto i = v.get<std::int64_t>();
    return i >= f.minimum && i <= f.maximum;
}

Json field_schema(const FieldSpec& f) {
    Json s = Json::object();
    if (f.type == F::scalar) {
        s["type"] = Json::array({"number", "string", "boolean"});
    } else {
        s["type"] = json_type_name(f.type);
    }
    if (f.type == F::timestamp)
        s["pattern"] = R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)";
    if (!f.choices.empty()) {
        Json e = Json::array();
        std::string_view c = f.choices;
        while (!c.empty()) {
            auto bar = c.find('|');
            e.push_back(std::string(c.substr(0, bar)));
            c = bar == std::string_view::npos ? std::string_view{} : c.substr(bar + 1);
        }
        s["enum"] = e;
    }
    if (has_range(f)) {
        s["minimum"] = f.minimum;
        s["maximum"] = f.maximum;
    }
    s["description"] = f.help;
    return s;
}

// Finds the member for a dotted path, or nullptr.
const Json* lookup(const Json& obj, std::string_view dotted) {
    const Json* cur = &obj;
    while (true) {
        auto dot = dotted.find('.');
        auto key = dotted.substr(0, dot);
        if (!cur->is_object()) return nullptr;
        auto it = cur->find(key);
        if (it == cur->end()) return nullptr;
        cur = &*it;
        if (dot == std::string_view::npos) return cur;
        dotted.remove_prefix(dot + 1);
    }
}

}  // namespace

std::span<const RecordSpec> record_specs() {
    return specs;
}

const RecordSpec* find_record_spec(std::string_view type) {
    for (const auto& s : specs)
        if (s.type == type) return &s;
    return nullptr;
}

Json new_record(std::string_view type) {
    Json r = Json::object();
    r["type"] = type;
    r["ts"] = now_timestamp();
    return r;
}

Json record_schema(const RecordSpec& spec) {
    Json schema = Json::object();
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
    schema["$id"] = "https://dce-tools.invalid/schemas/" + std::string(spec.type) + ".schema.json";
    schema["title"] = "dce-tools " + std::string(spec.type) + " record (contract v1)";
    schema["description"] = spec.help;
    schema["type"] = "object";
    Json props = Json::object();
    Json required = Json::array();
    auto add = [&](const FieldSpec& f) {
        // Nested fields ("snmp.version") become properties of their parent object.
        Json* parent = &props;
        std::string_view name = f.name;
        for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.')) {
            Json& obj = (*parent)[std::string(name.substr(0, dot))];
            if (!obj.contains("properties")) obj["properties"] = Json::object();
            parent = &obj["properties"];
            name.remove_prefix(dot + 1);
        }
        Json fs = field_schema(f);
        Json& slot = (*parent)[std::string(name)];
        if (slot.is_object() && slot.contains("properties")) fs["properties"] = slot["properties"];
        slot = fs;
        if (f.required && f.name.find('.') == std::string_view::npos)
            required.push_back(std::string(f.name));
    };
    for (const auto& f : common_fields)
        add(f);
    for (const auto& f : spec.fields)
        add(f);
    props["type"]["const"] = spec.type;
    schema["properties"] = props;
    schema["required"] = required;
    schema["additionalProperties"] = true;
    return schema;
}

bool check_record(const Json& record, std::string& why) {
    if (!record.is_object()) return why = "not a JSON object", false;
    auto type_it = record.find("type");
    if (type_it == record.end() || !type_it->is_string())
        return why = "missing string field \"type\"", false;
    const RecordSpec* spec = find_record_spec(type_it->get_ref<const std::string&>());
    auto check = [&](const FieldSpec& f) {
        const Json* v = lookup(record, f.name);
        if (!v) {
            if (f.required) why = "missing field \"" + std::string(f.name) + "\"";
            return !f.required;
        }
        if (!type_matches(*v, f.type)) {
            why = "field \"" + std::string(f.name) + "\" should be " +
                  (f.type == F::timestamp ? std::string("an RFC 3339 timestamp")
                                          : "of type " + std::string(json_type_name(f.type)));
            return false;
        }
        if (f.type == F::integer && !in_range(*v, f)) {
            why = "field \"" + std::string(f.name) + "\" should be from " +
                  std::to_string(f.minimum) + " to " + std::to_string(f.maximum);
            return false;
        }
        return true;
    };
    for (const auto& f : common_fields)
        if (!check(f)) return false;
    if (!spec) return true;
    for (const auto& f : spec->fields)
        if (!check(f)) return false;
    return true;
}

Json make_error_record(std::string_view tool, std::string_view target, std::string_view code,
                       std::string_view message) {
    Json r = new_record("error");
    r["tool"] = tool;
    r["target"] = target;
    r["code"] = code;
    r["message"] = message;
    return r;
}

std::string_view to_string(Status s) {
    switch (s) {
        case Status::pass:
            return "pass";
        case Status::fail:
            return "fail";
        case Status::warn:
            return "warn";
        case Status::error:
            return "error";
        case Status::skip:
            return "skip";
    }
    return "error";
}

std::string_view to_string(Severity s) {
    switch (s) {
        case Severity::info:
            return "info";
        case Severity::low:
            return "low";
        case Severity::medium:
            return "medium";
        case Severity::high:
            return "high";
        case Severity::critical:
            return "critical";
    }
    return "info";
}

Json to_record(const Finding& f) {
    Json r = new_record("finding");
    r["tool"] = f.tool;
    r["check"] = f.check;
    r["target"] = f.target;
    r["status"] = to_string(f.status);
    r["severity"] = to_string(f.severity);
    r["message"] = f.message;
    r["evidence"] = f.evidence;
    if (!f.reference.empty()) r["reference"] = f.reference;
    return r;
}

}  // namespace dce
