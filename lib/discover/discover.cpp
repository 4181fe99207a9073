#include "discover/discover.hpp"
#include "discover/modbus_sweep.hpp"

#include "audit/audit.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/record.hpp"
#include "core/signals.hpp"
#include "core/targets.hpp"
#include "discover/identify.hpp"
#include "snmp/profile.hpp"
#include "snmp/snmp.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

namespace dce::discover {
namespace {

namespace snmp = dce::snmp;
using Clock = std::chrono::steady_clock;

// MIB-II system group: what every agent answers and identification starts from.
constexpr const char* oid_sys_descr = "1.3.6.1.2.1.1.1.0";
constexpr const char* oid_sys_object_id = "1.3.6.1.2.1.1.2.0";
constexpr const char* oid_sys_uptime = "1.3.6.1.2.1.1.3.0";
constexpr const char* oid_sys_name = "1.3.6.1.2.1.1.5.0";

// Identity any vendor may offer besides a profile's: ENTITY-MIB's first physical entity
// (NetBotz, switches) and UPS-MIB's ident group (UPSs without a vendor profile).
struct GenericIdentity {
    const char* oid;
    const char* field;
};
constexpr GenericIdentity generic_identity[] = {
    {"1.3.6.1.2.1.47.1.1.1.1.13.1", "model"},    {"1.3.6.1.2.1.47.1.1.1.1.11.1", "serial"},
    {"1.3.6.1.2.1.47.1.1.1.1.10.1", "firmware"}, {"1.3.6.1.2.1.47.1.1.1.1.12.1", "vendor"},
    {"1.3.6.1.2.1.33.1.1.1.0", "vendor"},        {"1.3.6.1.2.1.33.1.1.2.0", "model"},
    {"1.3.6.1.2.1.33.1.1.3.0", "firmware"},
};
constexpr const char* oid_ups_ident_model = "1.3.6.1.2.1.33.1.1.2.0";

// snmpsim and many embedded agents cap the varbinds of one request near 64.
constexpr std::size_t max_oids_per_get = 60;

snmp::Oid oid_of(const char* text) {
    snmp::Oid o;
    snmp::parse_oid(text, o);
    return o;
}

std::string text_of(const snmp::Value& v) {
    std::string s;
    switch (v.type) {
        case snmp::ValueType::octet_string:
            s = snmp::octets_to_display(v.bytes);
            break;
        case snmp::ValueType::object_id:
            s = snmp::oid_to_string(v.oid);
            break;
        case snmp::ValueType::integer:
            s = std::to_string(v.i);
            break;
        case snmp::ValueType::gauge32:
        case snmp::ValueType::counter32:
        case snmp::ValueType::counter64:
        case snmp::ValueType::timeticks:
            s = std::to_string(v.u);
            break;
        case snmp::ValueType::ip_address:
            s = v.bytes;
            break;
        default:
            break;
    }
    auto b = s.find_first_not_of(" \t\r\n");
    auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

// True when the status means the agent sent something back (it refused us, or erred),
// as opposed to silence, a local failure or our own cancellation.
bool agent_spoke(snmp::Status s) {
    switch (s) {
        case snmp::Status::auth_failure:
        case snmp::Status::unknown_user:
        case snmp::Status::unsupported_level:
        case snmp::Status::decryption_error:
        case snmp::Status::not_in_time_window:
        case snmp::Status::unknown_engine_id:
        case snmp::Status::agent_error:
        case snmp::Status::malformed:
            return true;
        default:
            return false;
    }
}

// One way in to an agent: a credential entry, turned into the engine's Security.
struct Way {
    std::string name;  // credential entry name
    snmp::Security security;
};

struct Probe {
    Target target;
    snmp::Endpoint endpoint;
    std::optional<snmp::EngineInfo> engine;
    std::size_t v3_next = 0, community_next = 0;
    const Way* way = nullptr;
    std::map<std::string, snmp::Value> values;  // by dotted OID
    bool answered = false;
    std::set<snmp::Oid> present;      // probed subtrees that have something
    std::set<snmp::Oid> unknown;      // probed subtrees whose request never came back
    bool probes_checked = false;      // every probe request came back
    bool first_probed = false;        // the first GETNEXT answered the generic probes
    std::vector<std::string> family;  // family_reasons(), once per device
    snmp::Status last_status = snmp::Status::timeout;
    std::string last_message;
};

class Sweep {
  public:
    Sweep(const DiscoverOptions& o, RecordWriter& out, DiscoverSummary& sum)
        : opts_(o),
          out_(out),
          sum_(sum),
          engine_({.concurrency = std::max<std::size_t>(o.concurrency, 1), .rate = 0}) {}

    // Ended early (stdout closed): the requests the engine cancels now end their probes
    // without writing or starting anything.
    ~Sweep() { stopping_ = true; }
    Sweep(const Sweep&) = delete;
    Sweep& operator=(const Sweep&) = delete;

    bool prepare(const CredentialStore& creds, std::string& error);
    int run(TargetList& targets);

  private:
    void start(std::shared_ptr<Probe> p);
    void try_v3(std::shared_ptr<Probe> p);
    void try_community(std::shared_ptr<Probe> p);
    void request_identity(std::shared_ptr<Probe> p, const Way& way, bool minimal,
                          std::function<void(std::shared_ptr<Probe>)> next);
    void identified(std::shared_ptr<Probe> p);
    void probe_profiles(std::shared_ptr<Probe> p);
    void conclude(const std::shared_ptr<Probe>& p);
    void ask(std::shared_ptr<Probe> p, snmp::Op op, std::vector<snmp::Oid> oids,
             std::shared_ptr<std::size_t> pending, int attempt = 0);
    void emit_device(const Probe& p, const std::vector<snmp::ProfileMatch>& matches);
    void emit_engine_only(const Probe& p);
    void finish(const Probe& p);
    void submit(snmp::Request req, snmp::Callback cb, int timeout_factor = 1);
    void progress(bool final);

    const DiscoverOptions& opts_;
    RecordWriter& out_;
    DiscoverSummary& sum_;
    snmp::ProfileSet profiles_;
    std::vector<snmp::Oid> first_oids_;    // one GET: system group + generic identity
    std::vector<snmp::Oid> minimal_oids_;  // the system group alone (v1, fussy agents)
    // The generic profiles' probes, asked with one GETNEXT beside the first GET.
    std::vector<snmp::Oid> first_next_;
    std::set<snmp::Oid> first_probes_;
    std::vector<Way> v3_ways_, v2c_ways_, v1_ways_;
    std::size_t in_flight_ = 0;
    Clock::time_point started_ = Clock::now(), last_progress_{};
    bool show_progress_ = false;
    std::uint64_t total_ = 0;
    bool stopping_ = false;  // interrupted: callbacks end their probe, start nothing new
    // Last, so it is destroyed first: requests it cancels then still see the ways and
    // profiles their callbacks refer to.
    snmp::Engine engine_;
};

bool Sweep::prepare(const CredentialStore& creds, std::string& error) {
    for (const auto* c : creds.of_kind("snmpv3")) {
        Way w{c->name, {}};
        if (!snmp::security_from_credential(*c, snmp::Version::v3, w.security, error)) return false;
        v3_ways_.push_back(std::move(w));
    }
    auto communities = creds.of_kind("community");
    for (auto [use, version, ways] : {std::tuple{opts_.use_v2c, snmp::Version::v2c, &v2c_ways_},
                                      std::tuple{opts_.use_v1, snmp::Version::v1, &v1_ways_}}) {
        if (!use) continue;
        for (const auto* c : communities) {
            Way w{c->name, {}};
            if (!snmp::security_from_credential(*c, version, w.security, error)) return false;
            ways->push_back(std::move(w));
        }
        if (communities.empty()) {
            // The community every agent ships with, as sweeps have always tried; named
            // so the record says where it came from.
            ways->push_back({"default-public",
                             snmp::Security::community_v(version, Secret(std::string("public")))});
        }
    }

    std::vector<std::string> errors;
    profiles_ = snmp::load_profiles(opts_.profile_dirs, errors);
    for (const auto& e : errors)
        spdlog::warn("profile: {}", e);
    if (profiles_.empty()) spdlog::warn("no device profiles found: devices get no profile");

    // The first GET asks for the system group and the identity any vendor may offer;
    // missing ones answer noSuchObject. The profiles' probes and identity OIDs follow
    // in one more round trip, once sysObjectID and sysDescr say which are candidates.
    std::set<snmp::Oid> seen;
    auto add = [&](const snmp::Oid& o) {
        if (!o.empty() && first_oids_.size() < max_oids_per_get && seen.insert(o).second)
            first_oids_.push_back(o);
    };
    for (const char* o : {oid_sys_descr, oid_sys_object_id, oid_sys_uptime, oid_sys_name}) {
        minimal_oids_.push_back(oid_of(o));
        add(oid_of(o));
    }
    for (const auto& g : generic_identity)
        add(oid_of(g.oid));
    auto generic = snmp::candidate_profiles(profiles_, snmp::DeviceFacts{});
    for (const auto* g : generic)
        for (const auto& [field, o] : g->identity)
            add(o);
    for (auto& o : snmp::probe_oids(generic)) {
        if (first_next_.size() >= max_oids_per_get) break;
        first_probes_.insert(o);
        first_next_.push_back(std::move(o));
    }
    return true;
}

void Sweep::submit(snmp::Request req, snmp::Callback cb, int timeout_factor) {
    req.timeout = std::chrono::milliseconds(opts_.timeout_ms) * timeout_factor;
    req.retries = opts_.retries;
    engine_.submit(std::move(req), std::move(cb));
}

void Sweep::start(std::shared_ptr<Probe> p) {
    ++in_flight_;
    ++sum_.probed;
    if (!opts_.use_v3) {
        try_community(std::move(p));
        return;
    }
    snmp::Request req;
    req.target = p->endpoint;
    req.op = snmp::Op::discover;
    submit(std::move(req), [this, p](const snmp::Response& r) {
        spdlog::debug("{}: SNMPv3 engine discovery: {}", p->endpoint.to_string(),
                      r.ok() && r.engine ? "engine " + r.engine->engine_id
                                         : std::string(snmp::to_string(r.status)));
        if (r.ok() && r.engine) {
            p->engine = r.engine;
            p->answered = true;
            try_v3(p);
            return;
        }
        p->last_status = r.status;
        p->last_message = r.message;
        try_community(p);
    });
}

// A GETNEXT on `root` found something there only when its answer lies inside the
// subtree; otherwise the agent has nothing there and answered whatever comes next.
bool lands_inside(const snmp::VarBind& vb, const snmp::Oid& root) {
    return !vb.value.is_exception() && vb.oid.size() > root.size() &&
           snmp::oid_starts_with(vb.oid, root);
}

// Answers of a GETNEXT of `roots`, in request order: the roots that have something.
void keep_present(Probe& p, const std::vector<snmp::Oid>& roots, const snmp::Response& r) {
    for (std::size_t i = 0; i < roots.size() && i < r.varbinds.size(); ++i)
        if (lands_inside(r.varbinds[i], roots[i])) p.present.insert(roots[i]);
}

void Sweep::request_identity(std::shared_ptr<Probe> p, const Way& way, bool minimal,
                             std::function<void(std::shared_ptr<Probe>)> next) {
    snmp::Request req;
    req.target = p->endpoint;
    req.security = way.security;
    req.op = snmp::Op::get;
    req.oids = minimal ? minimal_oids_ : first_oids_;
    spdlog::trace("{}: GET of {} identity OID(s) with credential {}", p->endpoint.to_string(),
                  req.oids.size(), way.name);
    // With the GET goes, at the same time, one GETNEXT of the generic profiles' probes
    // (SNMPv1 fails a whole GETNEXT at the end of the MIB: not there). An agent without
    // a vendor family is then identified in one round trip. The GET's answer decides
    // what happens next; it is handled once both have come back.
    bool with_probes =
        !minimal && way.security.version != snmp::Version::v1 && !first_next_.empty();
    auto pending = std::make_shared<int>(with_probes ? 2 : 1);
    auto get_answer = std::make_shared<snmp::Response>();
    auto done = [this, p, &way, minimal, next, pending, get_answer]() {
        if (--*pending > 0) return;
        const snmp::Response& r = *get_answer;
        spdlog::debug("{}: credential {} ({}): {}{}", p->endpoint.to_string(), way.name,
                      snmp::to_string(way.security.version),
                      r.ok() ? "answered" : snmp::to_string(r.status),
                      r.ok() || r.message.empty() ? "" : " (" + r.message + ")");
        if (r.ok()) {
            p->answered = true;
            p->way = &way;
            for (const auto& vb : r.varbinds)
                p->values[snmp::oid_to_string(vb.oid)] = vb.value;
            identified(p);
            return;
        }
        if (r.status == snmp::Status::agent_error && !minimal) {
            // tooBig or an agent that rejects a long GET: ask for the system group alone.
            p->answered = true;
            request_identity(p, way, true, next);
            return;
        }
        if (agent_spoke(r.status)) p->answered = true;
        p->last_status = r.status;
        p->last_message = r.message;
        next(p);
    };
    submit(std::move(req), [get_answer, done](const snmp::Response& r) {
        *get_answer = r;
        done();
    });
    if (!with_probes) return;
    snmp::Request probe;
    probe.target = p->endpoint;
    probe.security = way.security;
    probe.op = snmp::Op::get_next;
    probe.oids = first_next_;
    submit(std::move(probe), [this, p, done](const snmp::Response& r) {
        if (r.ok()) {
            keep_present(*p, first_next_, r);
            p->first_probed = r.varbinds.size() >= first_next_.size();
        }
        done();
    });
}

void Sweep::try_v3(std::shared_ptr<Probe> p) {
    if (stopping_) {
        finish(*p);
        return;
    }
    if (p->v3_next >= v3_ways_.size()) {
        try_community(p);
        return;
    }
    const Way& way = v3_ways_[p->v3_next++];
    request_identity(p, way, false, [this](std::shared_ptr<Probe> q) { try_v3(std::move(q)); });
}

void Sweep::try_community(std::shared_ptr<Probe> p) {
    if (stopping_) {
        finish(*p);
        return;
    }
    // v2c ways first, then v1: the index runs over both lists.
    std::size_t i = p->community_next++;
    if (i < v2c_ways_.size()) {
        request_identity(p, v2c_ways_[i], false,
                         [this](std::shared_ptr<Probe> q) { try_community(std::move(q)); });
        return;
    }
    i -= v2c_ways_.size();
    if (i < v1_ways_.size()) {
        // SNMPv1 fails a whole GET on one missing OID: ask for the system group only.
        request_identity(p, v1_ways_[i], true,
                         [this](std::shared_ptr<Probe> q) { try_community(std::move(q)); });
        return;
    }
    // Every way tried.
    if (p->engine)
        emit_engine_only(*p);
    else if (opts_.report_unreachable) {
        auto code = std::string(snmp::to_string(p->last_status));
        std::string msg = p->answered ? "the agent answered but refused every credential tried"
                                      : "no SNMP answer";
        if (!p->last_message.empty()) msg += " (" + p->last_message + ")";
        out_.write(make_error_record(
            "dce-discover",
            p->target.to_string().empty() ? p->endpoint.host : p->endpoint.to_string(), code, msg));
        ++sum_.errors;
    }
    finish(*p);
}

snmp::DeviceFacts facts_of(const Probe& p) {
    snmp::DeviceFacts facts;
    auto get = [&](const char* o) -> const snmp::Value* {
        auto it = p.values.find(o);
        return it == p.values.end() || it->second.is_exception() ? nullptr : &it->second;
    };
    if (const auto* v = get(oid_sys_object_id)) facts.sys_object_id = text_of(*v);
    if (const auto* v = get(oid_sys_descr)) facts.sys_descr = text_of(*v);
    facts.probes_checked = p.probes_checked;
    facts.present_oids.assign(p.present.begin(), p.present.end());
    facts.unknown_oids.assign(p.unknown.begin(), p.unknown.end());
    facts.family = p.family;
    return facts;
}

void Sweep::identified(std::shared_ptr<Probe> p) {
    if (stopping_) {
        finish(*p);
        return;
    }
    probe_profiles(std::move(p));
}

// The second round trip: a GETNEXT on each candidate profile's probe subtrees (a table
// answers when the next OID is still inside it) and a GET of their identity OIDs, in
// PDUs of a few dozen varbinds sent at once. Agents answer what their firmware has, so
// no single scalar decides; a probe round that times out leaves the family to decide.
void Sweep::probe_profiles(std::shared_ptr<Probe> p) {
    auto facts = facts_of(*p);
    p->family = facts.family = snmp::family_reasons(profiles_, facts);
    auto candidates = snmp::candidate_profiles(profiles_, facts);
    // A probe subtree that already answered in the first GET (the system group for
    // mib2) is not asked again.
    std::vector<snmp::Oid> answered;
    for (const auto& [text, v] : p->values) {
        snmp::Oid got;
        if (!v.is_exception() && snmp::parse_oid(text, got)) answered.push_back(std::move(got));
    }
    std::vector<snmp::Oid> probes;
    for (auto& o : snmp::probe_oids(candidates)) {
        bool known = std::any_of(answered.begin(), answered.end(), [&](const snmp::Oid& got) {
            return got.size() > o.size() && snmp::oid_starts_with(got, o);
        });
        if (known)
            p->present.insert(o);
        else if (!(p->first_probed && first_probes_.count(o)))
            probes.push_back(std::move(o));
    }
    std::vector<snmp::Oid> identity;
    for (const auto* c : candidates)
        for (const auto& [field, o] : c->identity)
            if (!p->values.count(snmp::oid_to_string(o)) &&
                std::find(identity.begin(), identity.end(), o) == identity.end())
                identity.push_back(o);
    constexpr std::size_t probes_per_pdu = 24;
    auto pending = std::make_shared<std::size_t>(0);
    std::vector<std::pair<snmp::Op, std::vector<snmp::Oid>>> batches;
    auto chunk = [&](snmp::Op op, const std::vector<snmp::Oid>& oids, std::size_t per_pdu) {
        for (auto it = oids.begin(); it != oids.end();) {
            auto end = it + static_cast<long>(std::min<std::size_t>(per_pdu, oids.end() - it));
            batches.push_back({op, {it, end}});
            it = end;
        }
    };
    chunk(snmp::Op::get_next, probes, probes_per_pdu);
    chunk(snmp::Op::get, identity, max_oids_per_get);
    spdlog::debug("{}: {} candidate profile(s), {} probe(s), {} identity OID(s)",
                  p->endpoint.to_string(), candidates.size(), probes.size(), identity.size());
    if (batches.empty()) {
        conclude(p);  // every probe was answered by the first round, or there are none
        return;
    }
    *pending = batches.size();
    for (auto& [op, oids] : batches)
        ask(p, op, std::move(oids), pending);
}

// Every probe and identity request has come back: choose the profiles, write the record.
void Sweep::conclude(const std::shared_ptr<Probe>& p) {
    if (stopping_) {
        finish(*p);
        return;
    }
    p->probes_checked = true;
    auto matches = snmp::match_profiles(profiles_, facts_of(*p));
    for (const auto& m : matches)
        spdlog::debug("{}: profile {}: {}", p->endpoint.to_string(), m.profile->name, m.reason);
    emit_device(*p, matches);
    finish(*p);
}

void Sweep::ask(std::shared_ptr<Probe> p, snmp::Op op, std::vector<snmp::Oid> oids,
                std::shared_ptr<std::size_t> pending, int attempt) {
    snmp::Request req;
    req.target = p->endpoint;
    req.security = p->way->security;
    req.op = op;
    req.oids = oids;
    auto cb = [this, p, op, oids, pending, attempt](const snmp::Response& r) {
        if (r.ok()) {
            if (op == snmp::Op::get_next)
                keep_present(*p, oids, r);
            else
                for (const auto& vb : r.varbinds)
                    p->values[snmp::oid_to_string(vb.oid)] = vb.value;
        } else if (r.status == snmp::Status::agent_error && r.error_status == 2 &&
                   r.error_index >= 1 && static_cast<std::size_t>(r.error_index) <= oids.size()) {
            // SNMPv1 noSuchName fails the whole PDU (a GET of a missing OID, a GETNEXT
            // past the last one): that one has nothing, ask again for the rest.
            auto rest = oids;
            rest.erase(rest.begin() + (r.error_index - 1));
            if (!rest.empty()) {
                ++*pending;
                ask(p, op, std::move(rest), pending, attempt);
            }
        } else if (attempt == 0 && !stopping_) {
            // Embedded agents answer one request at a time: a probe PDU that timed out
            // behind the others is asked once more, alone and with a longer wait.
            spdlog::debug("{}: probe request failed ({}), asking once more",
                          p->endpoint.to_string(), snmp::to_string(r.status));
            ++*pending;
            ask(p, op, oids, pending, 1);
        } else {
            if (op == snmp::Op::get_next) p->unknown.insert(oids.begin(), oids.end());
            spdlog::debug("{}: probe request failed: {} {}", p->endpoint.to_string(),
                          snmp::to_string(r.status), r.message);
        }
        if (--*pending == 0) conclude(p);
    };
    submit(std::move(req), std::move(cb), attempt == 0 ? 1 : 3);
}

void Sweep::emit_device(const Probe& p, const std::vector<snmp::ProfileMatch>& matches) {
    const snmp::Profile* profile = matches.empty() ? nullptr : matches.front().profile;
    auto value = [&](const std::string& o) -> std::string {
        auto it = p.values.find(o);
        return it == p.values.end() || it->second.is_exception() ? std::string{}
                                                                 : text_of(it->second);
    };
    const auto& sec = p.way->security;
    std::string sys_object_id = value(oid_sys_object_id), sys_descr = value(oid_sys_descr);
    std::optional<std::uint32_t> engine_ent;
    if (p.engine)
        engine_ent = p.engine->enterprise ? p.engine->enterprise
                                          : enterprise_of_engine_id(p.engine->engine_id);
    Identity id = identify_from_system(sys_object_id, sys_descr, engine_ent);
    // Identity OIDs the device answered: generic ones first, the profile's win.
    for (const auto& g : generic_identity) {
        std::string v = value(g.oid);
        if (v.empty()) continue;
        std::string_view f = g.field;
        if (f == "vendor" && id.vendor.empty()) id.vendor = v;
        if (f == "model") id.model = v;
        if (f == "serial") id.serial = v;
        if (f == "firmware") id.firmware = v;
    }
    // Identity from every applying profile, the primary's last so it wins.
    for (auto m = matches.rbegin(); m != matches.rend(); ++m) {
        for (const auto& [field, o] : m->profile->identity) {
            std::string v = value(snmp::oid_to_string(o));
            if (v.empty()) continue;
            if (field == "model")
                id.model = v;
            else if (field == "serial")
                id.serial = v;
            else if (field == "firmware")
                id.firmware = v;
            else if (field == "vendor")
                id.vendor = v;
        }
    }
    std::string device_class =
        profile && !profile->device_class.empty()
            ? profile->device_class
            : guess_class(sys_object_id, sys_descr, !value(oid_ups_ident_model).empty());

    Json r = new_record("device");
    r["id"] = "snmp://" + p.endpoint.to_string();
    r["target"] = p.endpoint.host;
    r["transport"] = "snmp";
    r["port"] = p.endpoint.port;
    Json s = Json::object();
    s["version"] = std::string(snmp::to_string(sec.version));
    if (p.engine) {
        s["engine_id"] = p.engine->engine_id;
        s["engine_boots"] = p.engine->boots;
        if (engine_ent) s["enterprise"] = *engine_ent;
    }
    if (sec.version == snmp::Version::v3) s["security_level"] = std::string(sec.level());
    r["snmp"] = s;
    if (sec.version != snmp::Version::v3) r["insecure"] = true;
    r["identified"] = true;
    auto set = [&](const char* k, const std::string& v) {
        if (!v.empty()) r[k] = v;
    };
    set("sys_name", value(oid_sys_name));
    set("sys_descr", sys_descr);
    set("sys_object_id", sys_object_id);
    auto up = p.values.find(oid_sys_uptime);
    if (up != p.values.end() && up->second.type == snmp::ValueType::timeticks)
        r["uptime"] = static_cast<double>(up->second.u) / 100.0;
    set("vendor", id.vendor);
    set("model", id.model);
    set("serial", id.serial);
    set("firmware", id.firmware);
    if (!id.card_model.empty() || !id.card_serial.empty()) {
        Json card = Json::object();
        if (!id.card_model.empty()) card["model"] = id.card_model;
        if (!id.card_serial.empty()) card["serial"] = id.card_serial;
        if (!id.card_firmware.empty()) card["firmware"] = id.card_firmware;
        r["card"] = card;
    }
    r["class"] = device_class;
    if (profile) {
        r["profile"] = profile->name;
        Json list = Json::array();
        for (const auto& m : matches)
            list.push_back(Json{{"name", m.profile->name}, {"reason", m.reason}});
        r["profiles"] = list;
    }
    r["credential"] = p.way->name;
    if (device_class == "pdu") sum_.pdu_hosts.insert(p.endpoint.host);
    out_.write(r);
    ++sum_.devices;
    ++sum_.identified;
    if (sec.version == snmp::Version::v3)
        ++sum_.by_v3;
    else if (sec.version == snmp::Version::v2c)
        ++sum_.by_v2c;
    else
        ++sum_.by_v1;
}

void Sweep::emit_engine_only(const Probe& p) {
    Json r = new_record("device");
    r["id"] = "snmp://" + p.endpoint.to_string();
    r["target"] = p.endpoint.host;
    r["transport"] = "snmp";
    r["port"] = p.endpoint.port;
    Json s = Json::object();
    s["version"] = "v3";
    s["engine_id"] = p.engine->engine_id;
    s["engine_boots"] = p.engine->boots;
    auto ent =
        p.engine->enterprise ? p.engine->enterprise : enterprise_of_engine_id(p.engine->engine_id);
    if (ent) s["enterprise"] = *ent;
    r["snmp"] = s;
    r["identified"] = false;
    if (ent) {
        if (auto v = enterprise_vendor(*ent)) r["vendor"] = std::string(*v);
    }
    r["class"] = "unknown";
    out_.write(r);
    ++sum_.devices;
    ++sum_.engine_only;
    spdlog::debug("{}: SNMPv3 engine {} answered, but no credential let us in ({})",
                  p.endpoint.to_string(), p.engine->engine_id, snmp::to_string(p.last_status));
}

void Sweep::finish(const Probe& p) {
    if (p.answered || p.engine) ++sum_.answered;
    --in_flight_;
}

void Sweep::progress(bool final) {
    if (!show_progress_) return;
    auto now = Clock::now();
    if (!final && now - last_progress_ < std::chrono::milliseconds(100)) return;
    last_progress_ = now;
    double frac =
        total_ ? static_cast<double>(sum_.probed - in_flight_) / static_cast<double>(total_) : 1.0;
    int width = 30, filled = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%.*s%*s] %llu/%llu probed, %llu devices", filled,
                 "##############################", width - filled, "",
                 static_cast<unsigned long long>(sum_.probed - in_flight_),
                 static_cast<unsigned long long>(total_),
                 static_cast<unsigned long long>(sum_.devices));
    if (final) std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
}

int Sweep::run(TargetList& targets) {
    total_ = targets.size();
    show_progress_ = opts_.progress == 1 || (opts_.progress < 0 && log::stderr_is_tty());
    engine_.set_stop_check([] { return interrupted(); });
    started_ = Clock::now();
    std::uint64_t started_targets = 0;
    Target t;
    bool more = targets.next(t);
    while (more || in_flight_ > 0) {
        if (interrupted()) {
            stopping_ = true;
            engine_.cancel_all();
            break;
        }
        // Start targets within --concurrency and --rate (a token bucket from the start
        // of the sweep, so a slow turn does not lose the rate it was owed).
        double allowed =
            opts_.rate > 0
                ? opts_.rate * std::chrono::duration<double>(Clock::now() - started_).count() + 1
                : 1e18;
        while (more && in_flight_ < opts_.concurrency &&
               static_cast<double>(started_targets) < allowed) {
            auto p = std::make_shared<Probe>();
            p->target = t;
            p->endpoint = {t.host, t.port.value_or(opts_.port)};
            ++started_targets;
            start(std::move(p));
            more = targets.next(t);
        }
        auto wait = std::chrono::milliseconds(in_flight_ ? 20 : 0);
        if (more && opts_.rate > 0 && in_flight_ < opts_.concurrency) {
            // Wake for the next token rather than sleeping a whole turn.
            auto ms = static_cast<long>(std::ceil(1000.0 / opts_.rate));
            wait = std::chrono::milliseconds(std::clamp(ms, 1L, 20L));
        }
        if (in_flight_ > 0)
            engine_.step(wait);
        else if (more)
            std::this_thread::sleep_for(wait);
        progress(false);
    }
    progress(true);
    sum_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    out_.flush();
    return interrupted() ? exit_interrupted : exit_ok;
}

}  // namespace

int run_discover(ToolContext& ctx, const DiscoverOptions& opts, DiscoverSummary* summary_out) {
    if (opts.use_snmp && !opts.use_v3 && !opts.use_v2c && !opts.use_v1) {
        spdlog::error("no SNMP version to try");
        return exit_usage;
    }
    if (!opts.use_snmp && !opts.modbus && !opts.http && !opts.tcp6000) {
        spdlog::error("--no-snmp leaves nothing to probe: add --modbus, --http or --tcp6000");
        return exit_usage;
    }
    std::string error;
    const CredentialStore* creds = nullptr;
    if (opts.use_snmp) {
        creds = ctx.credentials(error);
        if (!creds) {
            spdlog::error("{}", error);
            return exit_usage;
        }
        if (opts.use_v3 && creds->of_kind("snmpv3").empty())
            spdlog::warn(
                "no snmpv3 credentials: SNMPv3 devices are found but not identified "
                "(give --credentials or DCE_CREDENTIALS)");
    }
    TargetList targets({.max_addresses = opts.max_targets, .allow_ports = true});
    std::vector<std::string> errors;
    if (!targets.add_all(opts.targets, errors)) {
        for (const auto& e : errors)
            spdlog::error("{}", e);
        return exit_usage;
    }
    if (targets.empty()) {
        spdlog::error("no targets: give addresses, CIDR ranges, @FILE or - for stdin");
        return exit_usage;
    }
    DiscoverSummary local;
    DiscoverSummary& summary = summary_out ? *summary_out : local;
    int rc = exit_ok;
    if (opts.use_snmp) {
        Sweep sweep(opts, ctx.out(), summary);
        if (!sweep.prepare(*creds, error)) {
            spdlog::error("credentials: {}", error);
            return exit_usage;
        }
        rc = sweep.run(targets);
        if (rc == exit_ok || rc == exit_interrupted) {
            const auto& s = summary;
            spdlog::info(
                "probed {}, answered {}, devices {} (v3 {}, v2c {}, v1 {}, engine only {}), "
                "errors {}, {:.2f} s",
                s.probed, s.answered, s.devices, s.by_v3, s.by_v2c, s.by_v1, s.engine_only,
                s.errors, s.seconds);
        }
    }
    // Modbus TCP, then the other TCP transports, after SNMP so TCP 6000 knows which hosts
    // SNMP (or HTTP) found to be PDUs. Targets are walked again (TargetList keeps what
    // stdin gave).
    if (opts.modbus && rc == exit_ok) {
        targets.rewind();
        rc = run_modbus_sweep(opts, targets, ctx.out(), summary);
    }
    audit::set_rate(opts.rate);
    if (opts.http && rc == exit_ok) {
        targets.rewind();
        if (!run_http_sweep(targets, opts.web, opts.timeout_ms, opts.concurrency,
                            opts.report_unreachable, ctx.out(), summary.http, summary.pdu_hosts,
                            error)) {
            spdlog::error("--http: trust store: {}", error);
            return exit_usage;
        }
        spdlog::info("http: probed {}, devices {}, errors {}", summary.http.probed,
                     summary.http.devices, summary.http.errors);
        summary.devices += summary.http.devices;
        summary.errors += summary.http.errors;
        if (interrupted()) rc = exit_interrupted;
    }
    if (opts.tcp6000 && rc == exit_ok) {
        targets.rewind();
        run_tcp6000_sweep(targets, opts.tcp6000_port, opts.timeout_ms, opts.concurrency,
                          opts.report_unreachable, summary.pdu_hosts, ctx.out(), summary.tcp6000);
        spdlog::info("tcp {}: probed {}, open {}, errors {}", opts.tcp6000_port,
                     summary.tcp6000.probed, summary.tcp6000.devices, summary.tcp6000.errors);
        summary.devices += summary.tcp6000.devices;
        summary.errors += summary.tcp6000.errors;
        if (interrupted()) rc = exit_interrupted;
    }
    ctx.out().flush();
    // Targets that got an error record failed: 3, as in every tool (DESIGN.md).
    if (rc == exit_ok && summary.errors > 0) rc = exit_runtime;
    return rc;
}

}  // namespace dce::discover
