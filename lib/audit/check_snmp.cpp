// SNMP as the handbook wants it: SNMPv3 with authentication and privacy, v1/v2c off, the
// vendor's default communities refused, and a refused request logged (an SNMP
// authenticationFailure trap that reaches the site's dce-trapd). Every probe goes
// through lib/snmp's engine, the one dce-poll uses.
//
// Policy keys (the target's "snmp" object; a target without one is not checked):
//   port         UDP port of the agent (161).
//   expected     false: the target serves no SNMP and every check is skipped (default:
//                true when the target or its role has an "snmp" object).
//   v1v2c        true when the site allows SNMPv1/v2c at all (default false). A default
//                community that answers is a failure either way.
//   communities  the well-known communities to try with v1 and v2c
//                (["public", "private"]). Only the policy's own names are ever tried or
//                printed; a community from the credentials file never is.
//   credential   name of a credentials-file entry of kind snmpv3 whose authPriv must
//                work. Its user is also the one sent at noAuthNoPriv and authNoPriv,
//                which the agent must refuse. Without it the SNMPv3 checks are skipped.
//   trap_log     {"events": "/var/lib/dce/events.jsonl", "window": "30s"}: dce-trapd's
//                output (JSON lines) and how long to wait, after a GET with a wrong
//                community, for the agent's authenticationFailure trap to appear in it.
//                Without it snmp.refused-and-logged is skipped.
//
// Probes are datagrams, not connections: the v1 and v2c probes of one check go out
// together (a handful of small GETs), each with one retry so a lost datagram is not
// read as a refusal. Silence is a pass only where a refusal is the expected answer, and
// the message then says that no answer came, which proves less than an explicit refusal.
#include "audit/families.hpp"
#include "core/time.hpp"
#include "snmp/snmp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <atomic>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace dce::audit {
namespace {

namespace snmp = dce::snmp;

const CheckInfo checks[] = {
    {"snmp.default-community", "DefaultCommunityRefused",
     "The agent does not answer the default SNMP communities (v1/v2c)",
     "Remove the default read and write communities from the agent; turn SNMPv1/v2c off and "
     "use SNMPv3 with authentication and privacy.",
     "DCE security handbook: Validate security settings; SNMP (use SNMPv3, change default "
     "communities)",
     "critical"},
    {"snmp.v3-noauth-refused", "SnmpV3NoAuthRefused",
     "The agent refuses SNMPv3 requests without authentication (noAuthNoPriv)",
     "Configure the agent's SNMPv3 users (access rules) to require authPriv.",
     "DCE security handbook: SNMP (SNMPv3 with authentication and privacy); RFC 3414", "high"},
    {"snmp.v3-authnopriv-refused", "SnmpV3AuthNoPrivRefused",
     "The agent refuses SNMPv3 requests without privacy (authNoPriv)",
     "Configure the agent's SNMPv3 users (access rules) to require authPriv, so nothing it "
     "answers crosses the network in clear text.",
     "DCE security handbook: SNMP (SNMPv3 with authentication and privacy); RFC 3414", "high"},
    {"snmp.v3-authpriv", "SnmpV3AuthPrivWorks", "The site's SNMPv3 authPriv credential works",
     "Check the user, protocols and passphrases of the credential against the agent's SNMPv3 "
     "user; dce-poll needs them to read the device.",
     "DCE security handbook: SNMP (SNMPv3 with authentication and privacy)", "medium"},
    {"snmp.refused-and-logged", "SnmpRefusalLogged",
     "A request with a wrong community is refused and logged (authenticationFailure trap)",
     "Enable authentication traps on the agent (snmp authtrapenable / the card's \"authentication "
     "traps\" setting) and send traps to the site's dce-trapd.",
     "DCE security handbook: Validate security settings (a denied connection is denied and "
     "logged)",
     "medium"},
};
const CheckInfo& community_check = checks[0];
const CheckInfo& noauth_check = checks[1];
const CheckInfo& authnopriv_check = checks[2];
const CheckInfo& authpriv_check = checks[3];
const CheckInfo& logged_check = checks[4];

const snmp::Oid sys_descr = {1, 3, 6, 1, 2, 1, 1, 1, 0};
const char* const auth_failure_trap = "1.3.6.1.6.3.1.1.5.5";  // SNMPv2-MIB authenticationFailure
constexpr int authorization_error = 16;                       // RFC 3416 error-status

struct Settings {
    int port = 161;
    bool v1v2c = false;
    std::vector<std::string> communities{"public", "private"};
    std::string credential;
    Json trap_log;  ///< null when absent
};

Settings read_settings(const Json& snmp_policy) {
    Settings s;
    s.port = snmp_policy.value("port", 161);
    if (s.port <= 0 || s.port > 65535) throw std::runtime_error("snmp.port is not a UDP port");
    s.v1v2c = snmp_policy.value("v1v2c", false);
    if (snmp_policy.contains("communities")) {
        s.communities.clear();
        for (const auto& c : snmp_policy.at("communities")) {
            if (!c.is_string()) throw std::runtime_error("snmp.communities holds a non-string");
            s.communities.push_back(c.get<std::string>());
        }
    }
    s.credential = snmp_policy.value("credential", std::string());
    if (snmp_policy.contains("trap_log") && !snmp_policy.at("trap_log").is_null())
        s.trap_log = snmp_policy.at("trap_log");
    return s;
}

/// One SNMP engine for the whole run, on a thread of its own. net-snmp keeps its SNMPv3
/// users and engine times in process-wide lists, so engines must not run on several
/// threads at once; the driver checks targets on threads side by side. Each target's
/// thread hands its requests over and waits: every target's probes are in flight
/// together, and a silent agent costs its own timeout, not everyone's.
class SnmpService {
  public:
    static SnmpService& instance() {
        static SnmpService service;
        return service;
    }
    /// Runs the requests side by side; one response per request, in order.
    std::vector<snmp::Response> run(std::vector<snmp::Request> reqs) {
        if (reqs.empty()) return {};
        auto batch = std::make_shared<Batch>();
        batch->out.resize(reqs.size());
        batch->left = reqs.size();
        std::future<void> done = batch->done.get_future();
        {
            std::lock_guard lock(mu_);
            for (std::size_t i = 0; i < reqs.size(); ++i)
                queue_.push_back({std::move(reqs[i]), batch, i});
        }
        wake();
        done.wait();
        return std::move(batch->out);
    }
    ~SnmpService() {
        stopping_ = true;
        wake();
        if (thread_.joinable()) thread_.join();
        close(wake_fd_[0]);
        close(wake_fd_[1]);
    }

  private:
    struct Batch {
        std::vector<snmp::Response> out;
        std::size_t left = 0;
        std::promise<void> done;
    };
    struct Item {
        snmp::Request req;
        std::shared_ptr<Batch> batch;
        std::size_t index;
    };
    SnmpService() {
        if (pipe2(wake_fd_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2");
        thread_ = std::thread([this] { loop(); });
    }
    void wake() {
        char c = 1;
        [[maybe_unused]] auto n = write(wake_fd_[1], &c, 1);
    }
    void loop() {
        snmp::Engine engine({.concurrency = 1024, .rate = 0});
        engine.watch_fd(wake_fd_[0], [this] {
            char buf[64];
            while (read(wake_fd_[0], buf, sizeof buf) > 0) {
            }
        });
        while (!stopping_) {
            std::deque<Item> items;
            {
                std::lock_guard lock(mu_);
                items.swap(queue_);
            }
            for (auto& it : items) {
                auto batch = it.batch;
                std::size_t i = it.index;
                engine.submit(std::move(it.req), [batch, i](const snmp::Response& r) {
                    batch->out[i] = r;
                    if (--batch->left == 0) batch->done.set_value();
                });
            }
            engine.step(std::chrono::milliseconds(200));
        }
        engine.cancel_all();
    }

    std::mutex mu_;
    std::deque<Item> queue_;
    int wake_fd_[2] = {-1, -1};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

std::vector<snmp::Response> run_requests(const CheckContext&, std::vector<snmp::Request> reqs) {
    pace(reqs.size());
    return SnmpService::instance().run(std::move(reqs));
}

snmp::Request get_request(const CheckContext& ctx, const Settings& s, snmp::Security sec,
                          int retries = 1) {
    snmp::Request r;
    r.target = {ctx.target.address, static_cast<std::uint16_t>(s.port)};
    r.security = std::move(sec);
    r.op = snmp::Op::get;
    r.oids = {sys_descr};
    r.timeout = ctx.timeout;
    r.retries = retries;
    return r;
}

/// sysDescr from an answer, or null when the agent did not give it (an exception).
Json descr_of(const snmp::Response& r) {
    for (const auto& vb : r.varbinds)
        if (vb.oid == sys_descr && !vb.value.is_exception()) return snmp::to_json(vb.value);
    return nullptr;
}

std::string label(const CheckContext& ctx, const Settings& s) {
    return ctx.target.name + " udp/" + std::to_string(s.port);
}

// ---- snmp.default-community ---------------------------------------------------------

Finding default_communities(const CheckContext& ctx, const Settings& s) {
    std::vector<snmp::Request> reqs;
    std::vector<std::pair<snmp::Version, std::string>> tried;
    for (const auto& c : s.communities)
        for (auto v : {snmp::Version::v2c, snmp::Version::v1}) {
            reqs.push_back(get_request(ctx, s, snmp::Security::community_v(v, Secret(c))));
            tried.emplace_back(v, c);
        }
    auto resps = run_requests(ctx, std::move(reqs));
    Json answered = Json::array(), silent = Json::array(), other = Json::array();
    for (std::size_t i = 0; i < resps.size(); ++i) {
        const auto& r = resps[i];
        Json e = {{"version", snmp::to_string(tried[i].first)}, {"community", tried[i].second}};
        if (r.ok() || r.status == snmp::Status::agent_error) {
            // Any answer, even an error-status, means the community was accepted: an
            // agent drops a request whose community it does not know.
            e["sysDescr"] = descr_of(r);
            if (!r.ok()) e["error_status"] = r.error_status;
            answered.push_back(std::move(e));
        } else if (r.status == snmp::Status::timeout) {
            silent.push_back(std::move(e));
        } else {
            e["status"] = snmp::to_string(r.status);
            e["detail"] = r.message;
            other.push_back(std::move(e));
        }
    }
    Json ev = {{"port", s.port},
               {"v1v2c_allowed", s.v1v2c},
               {"answered", answered},
               {"no_answer", silent},
               {"other", other}};
    Status st;
    std::string msg;
    if (!answered.empty()) {
        st = Status::fail;
        std::string names;
        for (const auto& a : answered)
            names += (names.empty() ? "" : ", ") + a["version"].get<std::string>() + " \"" +
                     a["community"].get<std::string>() + "\"";
        msg = "the agent answers the default communit" +
              std::string(answered.size() == 1 ? "y " : "ies ") + names +
              (s.v1v2c ? "" : "; the policy also wants SNMPv1/v2c off (snmp.v1v2c is false)");
    } else if (!other.empty()) {
        st = Status::error;
        msg = "could not probe every default community: " + other[0]["detail"].get<std::string>();
    } else {
        st = Status::pass;
        msg = "no answer to v1/v2c GETs with the default communities (" +
              std::to_string(s.communities.size()) + " tried): refused or not served";
    }
    Finding f = make_finding(community_check, ctx.target, st, msg, ev);
    f.target = label(ctx, s);
    return f;
}

// ---- the SNMPv3 checks ----------------------------------------------------------------

/// The credential's security settings, or a finding (skip/error) saying why there are none.
std::optional<Finding> v3_security(const CheckContext& ctx, const Settings& s,
                                   const CheckInfo& check, snmp::Security& sec) {
    auto finding = [&](Status st, std::string msg) {
        Finding f = make_finding(check, ctx.target, st, std::move(msg));
        f.target = label(ctx, s);
        return std::optional<Finding>(std::move(f));
    };
    if (s.credential.empty())
        return finding(Status::skip,
                       "no SNMPv3 credential to test with: add \"credential\": \"NAME\" to the "
                       "target's \"snmp\" policy, NAME an entry of kind snmpv3 in the "
                       "credentials file (--credentials)");
    const Credential* cred = ctx.credentials ? ctx.credentials->find(s.credential) : nullptr;
    if (!cred)
        return finding(Status::error, "credential '" + s.credential + "' (snmp.credential) is " +
                                          (ctx.credentials ? "not in the credentials file"
                                                           : "needed but no credentials file "
                                                             "was given (--credentials)"));
    if (cred->kind != "snmpv3")
        return finding(Status::error, "credential '" + s.credential + "' is of kind '" +
                                          cred->kind + "', not snmpv3");
    std::string error;
    if (!snmp::security_from_credential(*cred, snmp::Version::v3, sec, error))
        return finding(Status::error, error);
    return std::nullopt;
}

/// A request at a level below authPriv: the agent must refuse it.
Finding lower_level(const CheckContext& ctx, const Settings& s, const CheckInfo& check,
                    const snmp::Security& full, bool with_auth) {
    if (with_auth && full.auth_protocol.empty()) {
        Finding f = make_finding(
            check, ctx.target, Status::error,
            "credential '" + s.credential + "' has no auth_protocol: it cannot test authNoPriv");
        f.target = label(ctx, s);
        return f;
    }
    snmp::Security sec =
        with_auth ? snmp::Security::v3(full.user, full.auth_protocol, full.auth_pass, "", Secret())
                  : snmp::Security::v3(full.user, "", Secret(), "", Secret());
    sec.context = full.context;
    const std::string level(sec.level());
    std::vector<snmp::Request> reqs;
    reqs.push_back(get_request(ctx, s, sec));
    const snmp::Response r = run_requests(ctx, std::move(reqs)).front();
    Json ev = {{"port", s.port},
               {"level", level},
               {"user", sec.user},
               {"credential", s.credential},
               {"status", snmp::to_string(r.status)}};
    if (r.engine) ev["engine_id"] = r.engine->engine_id;
    if (!r.report.empty()) {
        ev["report_oid"] = oid_to_string(r.report.front().oid);
        ev["report_value"] = snmp::to_json(r.report.front().value);
    }
    Status st;
    std::string msg;
    switch (r.status) {
        case snmp::Status::ok: {
            st = Status::fail;
            Json d = descr_of(r);
            ev["sysDescr"] = d;
            msg = "the agent answers user " + sec.user + " at " + level +
                  (d.is_null() ? " (sysDescr not in its view, but the request was accepted)"
                               : ": " + (d.is_string() ? d.get<std::string>() : d.dump()));
            break;
        }
        case snmp::Status::unsupported_level:
            st = Status::pass;
            msg = level + " refused: the agent reported usmStatsUnsupportedSecLevels";
            break;
        case snmp::Status::agent_error:
            ev["error_status"] = r.error_status;
            if (r.error_status == authorization_error) {
                // net-snmp's snmpd (and VACM agents in general) refuse a level below the
                // access rule's with authorizationError rather than a USM report.
                st = Status::pass;
                msg = level +
                      " refused: the agent answered authorizationError (no access at "
                      "this level)";
            } else {
                st = Status::warn;
                msg = "the agent accepted the " + level + " request but answered: " + r.message;
            }
            break;
        case snmp::Status::unknown_user:
            st = Status::pass;
            msg = level + " refused: the agent does not know user " + sec.user +
                  " (snmp.v3-authpriv tells whether the credential works)";
            break;
        case snmp::Status::timeout:
            st = Status::pass;
            msg = "no answer to a " + level + " GET as user " + sec.user +
                  ": refused silently or not served (weaker proof than a refusal the agent "
                  "reports)";
            break;
        case snmp::Status::auth_failure:
            st = Status::error;
            msg = "could not test " + level +
                  ": the agent refused the credential's "
                  "authentication key (" +
                  r.message + ")";
            break;
        default:
            st = Status::error;
            msg = "could not test " + level + ": " + r.message;
            break;
    }
    Finding f = make_finding(check, ctx.target, st, msg, ev);
    f.target = label(ctx, s);
    return f;
}

Finding auth_priv(const CheckContext& ctx, const Settings& s, const snmp::Security& sec) {
    if (sec.level() != "authPriv") {
        Finding f =
            make_finding(authpriv_check, ctx.target, Status::error,
                         "credential '" + s.credential + "' is " + std::string(sec.level()) +
                             ", not authPriv: add auth_protocol/auth_pass and "
                             "priv_protocol/priv_pass");
        f.target = label(ctx, s);
        return f;
    }
    std::vector<snmp::Request> reqs;
    reqs.push_back(get_request(ctx, s, sec));
    const snmp::Response r = run_requests(ctx, std::move(reqs)).front();
    Json ev = {{"port", s.port},
               {"level", sec.level()},
               {"user", sec.user},
               {"credential", s.credential},
               {"auth_protocol", sec.auth_protocol},
               {"priv_protocol", sec.priv_protocol},
               {"status", snmp::to_string(r.status)}};
    if (r.engine) ev["engine_id"] = r.engine->engine_id;
    Status st;
    std::string msg;
    if (r.ok()) {
        st = Status::pass;
        Json d = descr_of(r);
        ev["sysDescr"] = d;
        msg = "authPriv as " + sec.user + " answers" +
              (d.is_string() ? ": " + d.get<std::string>() : " (sysDescr is not in its view)");
    } else if (r.status == snmp::Status::invalid_request || r.status == snmp::Status::cancelled) {
        st = Status::error;
        msg = "could not test authPriv: " + r.message;
    } else {
        st = Status::fail;
        if (r.status == snmp::Status::agent_error) ev["error_status"] = r.error_status;
        msg = "authPriv as " + sec.user + " (credential " + s.credential +
              ") does not work: " + r.message;
    }
    Finding f = make_finding(authpriv_check, ctx.target, st, msg, ev);
    f.target = label(ctx, s);
    return f;
}

// ---- snmp.refused-and-logged --------------------------------------------------------

/// An address in one spelling: IPv4-mapped IPv6 as IPv4, IPv6 compressed.
std::string canonical_address(const std::string& text) {
    in6_addr a6{};
    in_addr a4{};
    char buf[INET6_ADDRSTRLEN] = {};
    if (inet_pton(AF_INET, text.c_str(), &a4) == 1) return inet_ntop(AF_INET, &a4, buf, sizeof buf);
    if (inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            std::memcpy(&a4, &a6.s6_addr[12], 4);
            return inet_ntop(AF_INET, &a4, buf, sizeof buf);
        }
        return inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    }
    return text;
}

/// The addresses a trap from the target can come from: the literal, or what its name
/// resolves to.
std::set<std::string> target_addresses(const std::string& address) {
    std::set<std::string> out{canonical_address(address)};
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(address.c_str(), nullptr, &hints, &res) == 0) {
        for (auto* p = res; p; p = p->ai_next) {
            char host[NI_MAXHOST];
            if (getnameinfo(p->ai_addr, p->ai_addrlen, host, sizeof host, nullptr, 0,
                            NI_NUMERICHOST) == 0)
                out.insert(canonical_address(host));
        }
        freeaddrinfo(res);
    }
    return out;
}

/// Reads what was appended to `path` since `offset` (complete lines only; `offset` moves
/// past them). A file that shrank was rotated: read it from the start.
std::vector<std::string> new_lines(const std::string& path, off_t& offset) {
    std::vector<std::string> lines;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lines;
    struct stat st {};
    if (fstat(fd, &st) == 0 && st.st_size < offset) offset = 0;
    std::string data;
    char buf[65536];
    ssize_t n;
    while ((n = pread(fd, buf, sizeof buf, offset + static_cast<off_t>(data.size()))) > 0)
        data.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    std::size_t start = 0, nl;
    while ((nl = data.find('\n', start)) != std::string::npos) {
        lines.push_back(data.substr(start, nl - start));
        start = nl + 1;
    }
    offset += static_cast<off_t>(start);
    return lines;
}

std::string probe_community() {
    std::random_device rd;
    static const char hex[] = "0123456789abcdef";
    std::string s = "dce-audit-probe-";
    for (int i = 0; i < 12; ++i)
        s += hex[rd() % 16];
    return s;
}

Finding refused_and_logged(const CheckContext& ctx, const Settings& s) {
    auto finding = [&](Status st, std::string msg, Json ev = Json::object()) {
        Finding f = make_finding(logged_check, ctx.target, st, std::move(msg), std::move(ev));
        f.target = label(ctx, s);
        return f;
    };
    if (s.trap_log.is_null())
        return finding(Status::skip,
                       "no trap log to look in: add \"trap_log\": {\"events\": "
                       "\"/path/to/dce-trapd/events.jsonl\", \"window\": \"30s\"} to the target's "
                       "\"snmp\" policy");
    if (!s.trap_log.is_object() || !s.trap_log.contains("events") ||
        !s.trap_log.at("events").is_string())
        return finding(Status::error,
                       "snmp.trap_log needs \"events\": the path of dce-trapd's "
                       "output");
    const std::string events = s.trap_log.at("events").get<std::string>();
    const std::string window_text = s.trap_log.value("window", std::string("30s"));
    const auto window = parse_duration(window_text);
    if (!window)
        return finding(Status::error,
                       "snmp.trap_log.window: '" + window_text + "' is not a duration (e.g. 30s)");
    struct stat st {};
    if (::stat(events.c_str(), &st) != 0 || access(events.c_str(), R_OK) != 0)
        return finding(Status::error,
                       "cannot read the trap log " + events + ": " + std::strerror(errno));
    off_t offset = st.st_size;  // only what arrives after the probe counts

    const std::string community = probe_community();
    Json ev = {{"port", s.port},   {"version", "v2c"},      {"community", community},
               {"events", events}, {"window", window_text}, {"trap_oid", auth_failure_trap}};
    const auto sent = std::chrono::steady_clock::now();
    std::vector<snmp::Request> reqs;
    // One datagram: each attempt makes the agent send one more trap.
    reqs.push_back(
        get_request(ctx, s, snmp::Security::community_v(snmp::Version::v2c, Secret(community)), 0));
    const snmp::Response r = run_requests(ctx, std::move(reqs)).front();
    ev["answer"] = snmp::to_string(r.status);
    if (r.ok() || r.status == snmp::Status::agent_error)
        return finding(Status::fail, "the agent answered a GET with a wrong community", ev);
    if (r.status != snmp::Status::timeout && r.status != snmp::Status::unreachable)
        return finding(Status::error, "could not send the probe: " + r.message, ev);

    const auto sources = target_addresses(ctx.target.address);
    std::size_t seen = 0;
    for (;;) {
        for (const auto& line : new_lines(events, offset)) {
            ++seen;
            Json j = Json::parse(line, nullptr, false);
            if (!j.is_object() || j.value("type", "") != "event" ||
                j.value("trap_oid", "") != auth_failure_trap)
                continue;
            if (!sources.count(canonical_address(j.value("source", std::string())))) continue;
            ev["event_ts"] = j.value("ts", "");
            ev["source"] = j.value("source", "");
            return finding(Status::pass,
                           "a wrong community was refused and the agent's authenticationFailure "
                           "trap reached the trap log",
                           ev);
        }
        if (std::chrono::steady_clock::now() - sent >= *window || ctx.stop()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ev["lines_read"] = seen;
    return finding(Status::fail,
                   "refused but not logged: no authenticationFailure trap from " +
                       ctx.target.address + " in " + events + " within " + window_text,
                   ev);
}

std::vector<Finding> run(const CheckContext& ctx) {
    std::vector<Finding> out;
    const Json& policy = ctx.target.policy;
    if (!policy.contains("snmp") || !policy.at("snmp").is_object()) return out;
    const Json& sp = policy.at("snmp");
    const Settings s = read_settings(sp);
    if (!sp.value("expected", true)) {
        for (const auto& c : checks)
            if (ctx.wanted(c.id)) {
                Finding f = make_finding(c, ctx.target, Status::skip,
                                         "snmp.expected is false: SNMP is not served here");
                f.target = label(ctx, s);
                out.push_back(std::move(f));
            }
        return out;
    }
    // The refusal that must be logged goes first: a later probe's own refusals (a
    // default community the agent does not know) would send authenticationFailure
    // traps that could be taken for this one's.
    if (ctx.wanted(logged_check.id)) {
        out.push_back(refused_and_logged(ctx, s));
    }
    // The other checks' probes are datagrams to one agent, not connections: they go out
    // together (on the shared engine), so a silent agent costs one timeout, not four.
    std::vector<std::future<Finding>> pending;
    if (ctx.wanted(community_check.id) && !ctx.stop())
        pending.push_back(
            std::async(std::launch::async, [&] { return default_communities(ctx, s); }));
    for (const CheckInfo* c : {&noauth_check, &authnopriv_check, &authpriv_check}) {
        if (!ctx.wanted(c->id) || ctx.stop()) continue;
        snmp::Security sec;
        if (auto why = v3_security(ctx, s, *c, sec)) {
            std::promise<Finding> ready;
            ready.set_value(std::move(*why));
            pending.push_back(ready.get_future());
            continue;
        }
        pending.push_back(std::async(std::launch::async, [&ctx, &s, c, sec] {
            if (c == &noauth_check) return lower_level(ctx, s, *c, sec, false);
            if (c == &authnopriv_check) return lower_level(ctx, s, *c, sec, true);
            return auth_priv(ctx, s, sec);
        }));
    }
    for (auto& f : pending)
        out.push_back(f.get());
    return out;
}

}  // namespace

Family snmp_family() {
    return {"snmp", checks, run};
}

}  // namespace dce::audit
