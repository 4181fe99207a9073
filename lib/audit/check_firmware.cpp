// Two of the handbook's device checks that need no login: the firmware is at least the
// site's minimum ("keep firmware current"), and Modbus TCP — which has no authentication
// at all — is reachable only on the devices meant to serve it.
//
// Policy keys:
//   "firmware_minimum": {"AP9631": "6.8.0", "AP96*": "6.9.6", "Smart-UPS*": "UPS 09.3"}
//       (top level) the lowest firmware allowed per model. A key is a model name or an
//       fnmatch glob, matched without regard to case against the device's model and, for
//       the management card (an APC NMC in front of a UPS or PDU), against card.model. An
//       exact key wins over globs; among globs the first in the file wins.
//   "firmware": {"version": "v6.9.6", "model": "AP9631", "minimum": "6.9.6"}
//       (per target or role) version and model: for a target dce-discover has not seen
//       (a device record, `dce-audit -` reading `dce-discover` output, wins over them);
//       minimum: this target's own minimum, over firmware_minimum, for the device's
//       firmware (not the card's).
//   "modbus": {"expected": false, "port": 502, "unit_id": 1}
//       expected: whether the target serves Modbus TCP (a gateway, a BMS-facing device).
//       Open and not expected fails; expected and closed fails; expected and open passes
//       once the port answers a Modbus request (Read Device Identification, else Read
//       Holding Registers 1 at 0) with unit_id — an exception reply proves Modbus too.
//
// Versions are compared by compare_versions(): the version word of each side ("APP
// v7.0.4" -> 7.0.4, "UPS 09.3 / ID=18" -> 09.3), numbers numerically, a letter suffix
// after the plain number ("6.8.2a" > "6.8.2").
#include "audit/families.hpp"
#include "modbus/frame.hpp"

#include <fnmatch.h>
#include <strings.h>

#include <array>
#include <cctype>
#include <span>

namespace dce::audit {
namespace {

const CheckInfo firmware_checks[] = {
    {"firmware.minimum", "FirmwareAtMinimum",
     "The device's firmware is at least the policy's minimum for its model",
     "Upgrade the firmware (the vendor's release for the model, verified with "
     "dce-upgrade-verify before it is loaded); if the minimum is wrong, fix firmware_minimum.",
     "DCE security handbook: keep device firmware current", "medium"},
};

const CheckInfo modbus_checks[] = {
    {"modbus.exposure", "ModbusOnlyWhereExpected",
     "Modbus TCP is reachable only on targets the policy expects to serve it",
     "Disable Modbus TCP on the device (or block tcp/502 in front of it): Modbus has no "
     "authentication, anyone who reaches the port can read and write registers. Where it is "
     "needed, set modbus.expected and allow only the BMS/gateway to reach it.",
     "DCE security handbook: Network Protocol and Ports (Modbus TCP 502)", "high"},
};

// ---- firmware.minimum ------------------------------------------------------------------

std::string str_at(const Json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
    return j[key].get<std::string>();
}

/// The policy's minimum for `model`, and the key it came from. Exact (case-insensitive)
/// key first, then the first glob that matches.
bool minimum_for(const Json& table, const std::string& model, std::string& minimum,
                 std::string& key) {
    if (model.empty() || !table.is_object()) return false;
    for (auto it = table.begin(); it != table.end(); ++it)
        if (it.value().is_string() && strcasecmp(it.key().c_str(), model.c_str()) == 0) {
            minimum = it.value().get<std::string>();
            key = it.key();
            return true;
        }
    for (auto it = table.begin(); it != table.end(); ++it)
        if (it.value().is_string() && fnmatch(it.key().c_str(), model.c_str(), FNM_CASEFOLD) == 0) {
            minimum = it.value().get<std::string>();
            key = it.key();
            return true;
        }
    return false;
}

/// What has firmware on a target: the device itself, and the management card it
/// answers through when that is a separate thing with its own firmware.
struct Part {
    std::string what;  ///< "device" or "card"
    std::string model, firmware, source;
    std::string minimum, minimum_from;
};

std::vector<Finding> run_firmware(const CheckContext& ctx) {
    std::vector<Finding> out;
    const CheckInfo& check = firmware_checks[0];
    if (!ctx.wanted(check.id)) return out;
    const Json& dev = ctx.target.device;
    const Json fw = ctx.target.policy.value("firmware", Json::object());
    const Json table = ctx.policy.doc.value("firmware_minimum", Json::object());

    Part device{"device", str_at(dev, "model"), str_at(dev, "firmware"), "device record"};
    if (device.model.empty()) device.model = str_at(fw, "model");
    if (device.firmware.empty()) {
        device.firmware = str_at(fw, "version");
        device.source = "policy firmware.version";
    }
    if (!str_at(fw, "minimum").empty()) {
        device.minimum = str_at(fw, "minimum");
        device.minimum_from = "firmware.minimum";
    } else if (std::string key; minimum_for(table, device.model, device.minimum, key)) {
        device.minimum_from = "firmware_minimum[\"" + key + "\"]";
    }
    std::vector<Part> parts{device};
    const Json card = dev.is_object() ? dev.value("card", Json::object()) : Json::object();
    Part c{"card", str_at(card, "model"), str_at(card, "firmware"), "device record card"};
    // dce-discover copies the card's identity into model/firmware when the device itself
    // says nothing more: then the card is the device, checked once.
    if ((!c.model.empty() || !c.firmware.empty()) &&
        !(c.model == device.model && c.firmware == device.firmware)) {
        if (std::string key; minimum_for(table, c.model, c.minimum, key))
            c.minimum_from = "firmware_minimum[\"" + key + "\"]";
        parts.push_back(c);
    }

    bool any_firmware = false;
    std::vector<std::string> models;
    for (const auto& p : parts) {
        any_firmware = any_firmware || !p.firmware.empty();
        if (!p.model.empty()) models.push_back(p.model);
        if (p.minimum.empty()) continue;
        Json ev = {{"part", p.what}, {"minimum", p.minimum}, {"minimum_from", p.minimum_from}};
        if (!p.model.empty()) ev["model"] = p.model;
        const std::string name = p.what == "card" ? ctx.target.name + " card" : ctx.target.name;
        const std::string label = (p.what == "card" ? "management card " : "firmware ") +
                                  (p.model.empty() ? std::string() : p.model + " ");
        Status st;
        std::string msg;
        if (p.firmware.empty()) {
            st = Status::skip;
            msg = "no firmware known: run dce-discover first or give firmware.version";
        } else {
            ev["firmware"] = p.firmware;
            ev["source"] = p.source;
            const std::string_view have = version_token(p.firmware);
            const std::string_view want = version_token(p.minimum);
            ev["version"] = std::string(have);
            if (want.empty()) {
                st = Status::error;
                msg = p.minimum_from + ": \"" + p.minimum + "\" holds no version number";
            } else if (have.empty()) {
                st = Status::error;
                msg = label + "reports \"" + p.firmware + "\": no version number in it";
            } else if (compare_versions(have, want) < 0) {
                st = Status::fail;
                msg = label + p.firmware + " is below the minimum " + p.minimum + " (" +
                      p.minimum_from + "): upgrade it to " + p.minimum + " or later";
            } else {
                st = Status::pass;
                msg = label + p.firmware + " is at or above the minimum " + p.minimum;
            }
        }
        Finding f = make_finding(check, ctx.target, st, msg, ev);
        f.target = name;
        out.push_back(std::move(f));
    }
    if (out.empty()) {
        Json ev = Json::object();
        if (!models.empty()) ev["model"] = models.front();
        if (!device.firmware.empty()) ev["firmware"] = device.firmware;
        std::string msg;
        if (!any_firmware) {
            msg = "no firmware known: run dce-discover first or give firmware.version";
        } else if (models.empty()) {
            msg =
                "no model known to find a minimum for: give firmware.model or "
                "firmware.minimum";
        } else {
            msg = "no minimum for model " + models.front() +
                  (models.size() > 1 ? " or " + models.back() : std::string()) +
                  " in firmware_minimum (or firmware.minimum)";
        }
        out.push_back(make_finding(check, ctx.target, Status::skip, msg, ev));
    }
    return out;
}

// ---- modbus.exposure -------------------------------------------------------------------

/// Printable ASCII of a device-supplied string, bounded.
std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64))
        out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    return out;
}

/// Sends one Modbus request (PDU) with `unit` and reads the reply, framed and decoded by
/// lib/modbus. True when a well-formed Modbus TCP reply came back; `ev` gets what it
/// said, `why` why not.
bool modbus_request(const CheckContext& ctx, int port, int unit,
                    const std::vector<std::uint8_t>& pdu, Json& ev, std::string& why) {
    Connection conn;
    if (!conn.open(ctx.target.address, port, ctx.timeout, why)) return false;
    const std::uint16_t tid = 0x4443;
    const auto adu = modbus::encode_adu(tid, static_cast<std::uint8_t>(unit), pdu);
    if (!conn.send(std::string(adu.begin(), adu.end()))) {
        why = "could not send the request";
        return false;
    }
    auto bytes = [](const std::string& s) {
        return std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    const std::string head = conn.read_until({}, 7);
    if (head.size() < 7) {
        why =
            head.empty() ? "no reply" : "a short reply (" + std::to_string(head.size()) + " bytes)";
        return false;
    }
    modbus::Mbap h;
    std::string error;
    if (!modbus::decode_mbap(bytes(head), h, error) || h.tid != tid) {
        why = "a reply that is not Modbus TCP";
        return false;
    }
    const std::string body = conn.read_until({}, h.length - 1u);
    modbus::Response r;
    if (body.size() != h.length - 1u || !modbus::decode_pdu(bytes(body), r, error)) {
        why = "a truncated Modbus reply";
        return false;
    }
    ev["function"] = r.function;
    ev["unit_id"] = h.unit;
    if (r.exception) {
        ev["exception"] = r.exception_code;
        ev["exception_name"] = modbus::exception_name(r.exception_code);
        return true;
    }
    modbus::DeviceId id;
    if (r.function == modbus::fc_device_id && modbus::decode_device_id(r, id, error)) {
        // Read Device Identification: objects 0 VendorName, 1 ProductCode, 2 Revision.
        static constexpr std::array<const char*, 3> names = {"vendor", "product_code", "revision"};
        for (const auto& [object, text] : id.objects)
            if (object < names.size()) ev[names[object]] = printable(text);
    } else if (r.function == 0x03 && !r.data.empty()) {
        ev["registers"] = r.data[0] / 2;
    }
    return true;
}

/// Whether the open port speaks Modbus; evidence under "modbus".
bool speaks_modbus(const CheckContext& ctx, int port, int unit, Json& ev) {
    const auto read_device_id = modbus::device_id_pdu(1, 0);
    const auto read_holding = modbus::read_pdu(modbus::Table::holding, 0, 1);
    Json m = Json::object();
    std::string why;
    bool ok = modbus_request(ctx, port, unit, read_device_id, m, why);
    m["request"] = "read device identification";
    if (!ok && !ctx.stop()) {
        // A device that drops the connection on a function it does not know may still
        // answer the one every Modbus device has.
        m = Json::object();
        ok = modbus_request(ctx, port, unit, read_holding, m, why);
        m["request"] = "read holding registers";
    }
    if (!ok) m["error"] = why;
    m["answered"] = ok;
    ev["modbus"] = m;
    return ok;
}

std::vector<Finding> run_modbus(const CheckContext& ctx) {
    std::vector<Finding> out;
    const CheckInfo& check = modbus_checks[0];
    if (!ctx.wanted(check.id)) return out;
    const Json mb = ctx.target.policy.value("modbus", Json::object());
    const bool expected = mb.value("expected", false);
    const int port = mb.value("port", 502);
    const int unit = mb.value("unit_id", 1);
    const std::string label = "tcp/" + std::to_string(port);
    if (port <= 0 || port > 65535 || unit < 0 || unit > 255) {
        out.push_back(make_finding(check, ctx.target, Status::error,
                                   "modbus.port must be 1-65535 and modbus.unit_id 0-255"));
        return out;
    }
    const PortProbe p = probe_tcp(ctx.target.address, port, ctx.timeout);
    Json ev = {{"port", port},         {"protocol", "tcp"},
               {"expected", expected}, {"state", to_string(p.state)},
               {"detail", p.detail},   {"ms", static_cast<long long>(p.ms)}};
    Status st;
    std::string msg;
    if (p.state == PortState::error) {
        st = Status::error;
        msg = label + ": could not probe: " + p.detail;
    } else if (p.state == PortState::open) {
        // Ask in both cases: for an unexpected port the reply shows what is exposed.
        const bool modbus = speaks_modbus(ctx, port, unit, ev);
        if (!expected) {
            st = Status::fail;
            msg = label + " is open" + (modbus ? " and answers Modbus" : std::string()) +
                  "; Modbus TCP has no authentication and the policy does not expect it here";
        } else if (modbus) {
            st = Status::pass;
            msg = label + " answers Modbus, as expected";
        } else {
            st = Status::warn;
            msg = label + " is open but did not answer Modbus (" +
                  ev["modbus"].value("error", std::string()) + ")";
        }
    } else if (!expected) {
        st = Status::pass;
        msg =
            label + " is not reachable: " + std::string(to_string(p.state)) + " (" + p.detail + ")";
    } else {
        st = Status::fail;
        msg = label + " is " + std::string(to_string(p.state)) + " (" + p.detail +
              "); the policy expects Modbus TCP here";
    }
    Finding f = make_finding(check, ctx.target, st, msg, ev);
    if (st == Status::fail && expected) f.severity = Severity::medium;  // unavailable, not exposed
    f.target = ctx.target.name + " " + label;
    out.push_back(std::move(f));
    return out;
}

}  // namespace

Family firmware_family() {
    return {"firmware", firmware_checks, run_firmware};
}

Family modbus_family() {
    return {"modbus", modbus_checks, run_modbus};
}

}  // namespace dce::audit
