// The asynchronous engine on net-snmp's single-session API (snmp_sess_*).
//
// Why this design: each in-flight request owns one net-snmp session (one UDP socket),
// and --concurrency bounds how many exist, so sockets and memory are bounded however many
// targets are queued. One epoll loop drives them all; no thread or process per device.
// net-snmp builds, authenticates, encrypts and parses the PDUs, resends on timeout and
// recovers from notInTimeWindow by itself. Measured on bench/poll.sh (perf): after the
// loop moved from poll() to epoll and a table's columns were walked in one GETBULK, the
// socket()/close() of a session per request was under a tenth of the CPU, so the
// shared-socket alternative (one socket, net-snmp only for BER) was not worth losing
// net-snmp's v3 handling for (see bench/results/poll.md).
//
// SNMPv3: net-snmp's own engine-ID probe inside snmp_sess_open() is synchronous and
// would stall every other request for one device's timeout, so the engine discovers
// engine IDs itself with an asynchronous unauthenticated probe (RFC 3414 4.), caches
// them per endpoint, and opens the authenticated session with that engine ID, where
// net-snmp skips its probe and only creates the USM user with localized keys. A v3
// request that times out after the engine was known rediscovers it once (an agent that
// restarted or was replaced); unknownEngineID reports do the same.
#include "snmp/snmp.hpp"

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/lcd_time.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/library/transform_oids.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <sys/epoll.h>
#include <unistd.h>

// net-snmp #defines max_repetitions/non_repeaters as aliases of errindex/errstat, which
// would rewrite Request::max_repetitions: use the real PDU fields instead.
#undef max_repetitions
#undef non_repeaters

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

namespace dce::snmp {
namespace {

using Clock = std::chrono::steady_clock;

// ---- DCE_SNMP_DEBUG output, with the secrets taken out ------------------------------
//
// net-snmp's packet dumps (the dumpv_* and dumpx_* tokens, on with ALL) print every
// field of every message, the v1/v2c community among them, as text and as hex. Its
// debug output therefore goes through this handler instead of straight to stderr: the
// text of every secret a session was opened with becomes "***", and the hex dumps are
// withheld (a value's hex wraps across lines, so no search could be sure to find it;
// dumpv_* shows the same fields decoded).
struct DebugLog {
    std::mutex mu;
    bool on = false;
    std::vector<Secret> secrets;  // what a session used; no-dump memory
    std::string pending;          // net-snmp writes a line in pieces
    bool in_hex = false;          // inside a dumpx_* dump's continuation lines
};

DebugLog& debug_log() {
    static DebugLog log;
    return log;
}

bool hex_only(std::string_view line) {
    bool any = false;
    for (char c : line) {
        if (std::isxdigit(static_cast<unsigned char>(c)))
            any = true;
        else if (c != ' ' && c != '\t' && c != '\r')
            return false;
    }
    return any;
}

std::string mask_line(std::string line, const std::vector<Secret>& secrets) {
    for (const Secret& sec : secrets) {
        std::string_view v = sec.view();
        if (v.empty()) continue;
        for (auto at = line.find(v); at != std::string::npos; at = line.find(v, at + 3))
            line.replace(at, v.size(), "***");
    }
    return line;
}

void write_debug_line(DebugLog& log, std::string line) {
    std::string_view l = line;
    if (l.rfind("dumpx", 0) == 0) {
        log.in_hex = true;
        auto colon = l.find(':');
        line = std::string(l.substr(0, colon == std::string_view::npos ? l.size() : colon)) +
               ": (hex withheld)\n";
    } else if (log.in_hex && hex_only(l)) {
        return;
    } else {
        log.in_hex = false;
        line = mask_line(std::move(line), log.secrets) + "\n";
    }
    std::fputs(line.c_str(), stderr);
    explicit_bzero(line.data(), line.size());
}

int on_netsnmp_log(int, int, void* server_arg, void*) {
    const auto* m = static_cast<const snmp_log_message*>(server_arg);
    if (!m || !m->msg) return 0;
    DebugLog& log = debug_log();
    std::lock_guard<std::mutex> lock(log.mu);
    log.pending += m->msg;
    for (auto nl = log.pending.find('\n'); nl != std::string::npos; nl = log.pending.find('\n')) {
        std::string line = log.pending.substr(0, nl);
        log.pending.erase(0, nl + 1);
        write_debug_line(log, std::move(line));
    }
    return 0;
}

// Called before a session with `secret` opens, so its first debug line is masked.
void mask_in_debug_output(const Secret& secret) {
    DebugLog& log = debug_log();
    if (secret.empty()) return;
    std::lock_guard<std::mutex> lock(log.mu);
    if (!log.on) return;
    for (const Secret& known : log.secrets)
        if (known.view() == secret.view()) return;
    log.secrets.push_back(secret);
}

void init_netsnmp_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Numeric OIDs only: never read MIB files, config files or persistent state
        // from the user's home, and never write any.
        setenv("MIBS", "", 1);
        setenv("MIBDIRS", "/nonexistent-dce-mibs", 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
        netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
        // net-snmp creates its persistent dir (cert indexes) at start-up even with
        // saving off: give it a private temp dir, removed at exit.
        static std::string persist;
        char tmpl[] = "/tmp/dce-snmp.XXXXXX";
        if (const char* d = mkdtemp(tmpl)) {
            persist = d;
            // Made beforehand so net-snmp has no "Created directory" line to print.
            std::filesystem::create_directory(persist + "/cert_indexes");
            set_persistent_directory(persist.c_str());
        }
        // DCE_SNMP_DEBUG=usm,snmp_api shows net-snmp's own debug output on stderr,
        // through on_netsnmp_log (secrets masked).
        if (const char* dbg = std::getenv("DCE_SNMP_DEBUG"); dbg && *dbg) {
            debug_log().on = true;
            snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, &on_netsnmp_log,
                                   nullptr);
            snmp_enable_calllog();
            debug_register_tokens(dbg);
            snmp_set_do_debugging(1);
        } else {
            snmp_disable_log();
        }
        init_snmp("dce-tools");
        // net-snmp needs the dir only while starting (saving is off): remove it now, so
        // a process killed later leaves nothing behind in /tmp.
        if (!persist.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(persist, ec);
        }
        // The empty user of RFC 3414 engine discovery (what net-snmp's own probe adds).
        if (!usm_get_user(nullptr, 0, "")) {
            struct usmUser* u = usm_create_user();
            if (u) {
                u->name = strdup("");
                u->secName = strdup("");
                u->authProtocol = snmp_duplicate_objid(usmNoAuthProtocol, 10);
                u->authProtocolLen = 10;
                u->privProtocol = snmp_duplicate_objid(usmNoPrivProtocol, 10);
                u->privProtocolLen = 10;
                usm_add_user(u);
            }
        }
    });
}

std::string normalise(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Protocol names as operators write them -> net-snmp's usm_lookup_*_type() names.
int auth_type(const std::string& name) {
    auto n = normalise(name);
    if (n == "SHA1" || n == "SHA-1") n = "SHA";
    if (n == "SHA224") n = "SHA-224";
    if (n == "SHA256") n = "SHA-256";
    if (n == "SHA384") n = "SHA-384";
    if (n == "SHA512") n = "SHA-512";
    return usm_lookup_auth_type(n.c_str());
}
int priv_type(const std::string& name) {
    auto n = normalise(name);
    if (n == "AES128" || n == "AES-128") n = "AES";
    if (n == "AES192") n = "AES-192";
    if (n == "AES256") n = "AES-256";
    return usm_lookup_priv_type(n.c_str());
}

Value convert(const netsnmp_variable_list* v) {
    Value out;
    switch (v->type) {
        case ASN_INTEGER:
            out.type = ValueType::integer;
            out.i = v->val.integer ? static_cast<std::int32_t>(*v->val.integer) : 0;
            break;
        case ASN_OCTET_STR:
            out.type = ValueType::octet_string;
            if (v->val.string)
                out.bytes.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
            break;
        case ASN_OPAQUE:
            out.type = ValueType::opaque;
            if (v->val.string)
                out.bytes.assign(reinterpret_cast<const char*>(v->val.string), v->val_len);
            break;
        case ASN_NULL:
            out.type = ValueType::null;
            break;
        case ASN_OBJECT_ID:
            out.type = ValueType::object_id;
            if (v->val.objid)
                for (std::size_t i = 0; i < v->val_len / sizeof(oid); ++i)
                    out.oid.push_back(static_cast<std::uint32_t>(v->val.objid[i]));
            break;
        case ASN_IPADDRESS:
            out.type = ValueType::ip_address;
            if (v->val.string && v->val_len == 4) {
                const u_char* b = v->val.string;
                out.bytes = std::to_string(b[0]) + "." + std::to_string(b[1]) + "." +
                            std::to_string(b[2]) + "." + std::to_string(b[3]);
            } else if (v->val.string) {
                out.bytes = to_hex(
                    std::string_view(reinterpret_cast<const char*>(v->val.string), v->val_len));
            }
            break;
        case ASN_COUNTER:
        case ASN_GAUGE:
        case ASN_TIMETICKS:
            out.type = v->type == ASN_COUNTER ? ValueType::counter32
                       : v->type == ASN_GAUGE ? ValueType::gauge32
                                              : ValueType::timeticks;
            out.u =
                v->val.integer ? (static_cast<unsigned long>(*v->val.integer) & 0xffffffffUL) : 0;
            break;
        case ASN_COUNTER64:
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
        case ASN_OPAQUE_COUNTER64:
        case ASN_OPAQUE_U64:
#endif
            out.type = ValueType::counter64;
            if (v->val.counter64)
                out.u = (std::uint64_t(v->val.counter64->high) << 32) |
                        (v->val.counter64->low & 0xffffffffUL);
            break;
        case SNMP_NOSUCHOBJECT:
            out.type = ValueType::no_such_object;
            break;
        case SNMP_NOSUCHINSTANCE:
            out.type = ValueType::no_such_instance;
            break;
        case SNMP_ENDOFMIBVIEW:
            out.type = ValueType::end_of_mib_view;
            break;
        default:
            // Opaque-wrapped floats and anything newer: keep the bytes, typed Opaque.
            out.type = ValueType::opaque;
            break;
    }
    return out;
}

Oid to_oid(const oid* name, std::size_t len) {
    Oid o(len);
    for (std::size_t i = 0; i < len; ++i)
        o[i] = static_cast<std::uint32_t>(name[i]);
    return o;
}

std::vector<oid> to_netsnmp(const Oid& o) {
    return {o.begin(), o.end()};
}

Status report_status(netsnmp_pdu* pdu, std::string& message) {
    switch (snmpv3_get_report_type(pdu)) {
        case SNMPERR_AUTHENTICATION_FAILURE:
            message = "authentication failed (wrong digest: check auth protocol and passphrase)";
            return Status::auth_failure;
        case SNMPERR_UNKNOWN_USER_NAME:
            message = "the agent does not know this SNMPv3 user";
            return Status::unknown_user;
        case SNMPERR_UNSUPPORTED_SEC_LEVEL:
            message = "the agent does not support this security level for the user";
            return Status::unsupported_level;
        case SNMPERR_DECRYPTION_ERR:
            message =
                "the agent could not decrypt the request (check priv protocol and passphrase)";
            return Status::decryption_error;
        case SNMPERR_NOT_IN_TIME_WINDOW:
            message = "not in time window, and resending with the agent's time did not help";
            return Status::not_in_time_window;
        case SNMPERR_UNKNOWN_ENG_ID:
            message = "the agent does not know the engine ID used";
            return Status::unknown_engine_id;
        default:
            message = "the agent answered with a report PDU";
            return Status::malformed;
    }
}

struct Pending {
    Request req;
    Callback cb;
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Hex text -> bytes without exceptions (std::stoi threw out of Engine::step on "zz").
bool parse_hex(std::string_view hex, std::string& out) {
    if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
    if (hex.empty() || hex.size() % 2 != 0) return false;
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
    }
    return true;
}

}  // namespace

std::vector<std::string> auth_protocols() {
    std::vector<std::string> out;
    for (const char* n : {"MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"}) {
        init_netsnmp_once();
        if (auth_type(n) >= 0) out.emplace_back(n);
    }
    return out;
}

std::vector<std::string> priv_protocols() {
    std::vector<std::string> out;
    for (const char* n : {"DES", "AES", "AES-192", "AES-256"}) {
        init_netsnmp_once();
        if (priv_type(n) >= 0) out.emplace_back(n);
    }
    return out;
}

struct Engine::Impl {
    enum class Phase { start, discovery, reopen, wait_user, main, done };

    // What an epoll event points at: a request's socket or a watched descriptor.
    struct Polled {
        bool is_watch = false;
    };
    struct Watch : Polled {
        int fd = -1;
        std::function<void()> on_ready;
    };

    struct Active : Polled {
        Impl* impl = nullptr;
        Request req;
        Callback cb;
        Response resp;
        Phase phase = Phase::start;
        void* sess = nullptr;
        int fd = -1;
        bool rediscovered = false;
        std::string user_key;  // engine ID + user while this request holds the USM user
        bool use_bulk = true;
        // walk: one entry per root OID (columns of one table go in one PDU)
        std::vector<Oid> walk_root, walk_last;
        std::vector<std::vector<VarBind>> walk_rows;
        std::vector<bool> walk_done;
        std::vector<std::size_t> walk_sent;  // roots in the last PDU, in varbind order
        std::size_t walk_count = 0;
        Clock::time_point started;
    };

    EngineOptions opts;
    std::deque<Pending> queue;
    std::vector<std::unique_ptr<Active>> active;
    std::map<std::string, std::string> engine_ids;    // endpoint -> raw engine ID
    std::map<std::string, std::size_t> users;         // engineID+user -> key signature
    std::map<std::string, std::size_t> users_in_use;  // engineID+user -> requests using it
    struct KuEntry {
        std::string proto;
        Secret pass, ku;
    };
    std::deque<KuEntry> ku_cache;  // proto+pass -> Ku (memory only; a deque keeps views valid)
    EngineStats stats;
    std::function<bool()> stop_check;
    std::map<int, std::unique_ptr<Watch>> watches;
    double tokens = 1;
    Clock::time_point last_refill = Clock::now();
    Clock::time_point next_timeout_scan = Clock::now();
    netsnmp_large_fd_set fdset{};
    int fdset_size = 0;
    int epfd = -1;
    bool changed = false;

    Impl() {
        init_netsnmp_once();
        netsnmp_large_fd_set_init(&fdset, FD_SETSIZE);
        fdset_size = FD_SETSIZE;
        epfd = epoll_create1(EPOLL_CLOEXEC);
    }
    ~Impl() {
        // A destructor must not throw: a callback that fails now (its output is gone, the
        // reason this engine is being destroyed early) has nobody left to report to.
        try {
            cancel_all();
        } catch (...) {
        }
        netsnmp_large_fd_set_cleanup(&fdset);
        if (epfd >= 0) ::close(epfd);
    }

    void cancel_all() {
        for (auto& a : active) {
            close_session(*a);
            a->resp.status = Status::cancelled;
            a->resp.message = "cancelled";
            a->phase = Phase::done;
        }
        auto done = std::move(active);
        active.clear();
        for (auto& a : done)
            finish_callback(*a);
        while (!queue.empty()) {
            Pending p = std::move(queue.front());
            queue.pop_front();
            Response r;
            r.status = Status::cancelled;
            r.message = "cancelled";
            r.tag = p.req.tag;
            ++stats.completed;
            ++stats.failed;
            if (p.cb) p.cb(r);
        }
    }

    static std::string endpoint_key(const Endpoint& e) { return e.to_string(); }

    // ---- sessions ------------------------------------------------------------------

    // Passphrases and the keys made from them stay Secrets (no-dump memory, wiped when
    // the engine goes); a map keyed by the passphrase text kept it on the plain heap.
    std::string_view ku_for(const oid* proto, std::size_t proto_len, const Secret& pass,
                            const std::string& proto_name) {
        for (const auto& k : ku_cache)
            if (k.proto == proto_name && k.pass.view() == pass.view()) return k.ku.view();
        u_char ku[USM_AUTH_KU_LEN];
        size_t ku_len = sizeof(ku);
        std::string out;
        if (generate_Ku(proto, static_cast<u_int>(proto_len),
                        reinterpret_cast<const u_char*>(pass.view().data()), pass.view().size(), ku,
                        &ku_len) == SNMPERR_SUCCESS)
            out.assign(reinterpret_cast<char*>(ku), ku_len);
        OPENSSL_cleanse_like(ku, sizeof(ku));
        ku_cache.push_back({proto_name, pass, Secret(std::move(out))});
        return ku_cache.back().ku.view();
    }

    bool open_session(Active& a, bool discovery) {
        const Request& rq = a.req;
        netsnmp_session s;
        snmp_sess_init(&s);
        bool v6 = rq.target.host.find(':') != std::string::npos;
        std::string peer = (v6 ? "udp6:[" + rq.target.host + "]" : "udp:" + rq.target.host) + ":" +
                           std::to_string(rq.target.port);
        s.peername = peer.data();
        s.timeout = static_cast<long>(rq.timeout.count()) * 1000L;
        s.retries = rq.retries;
        s.callback = &Impl::on_pdu;
        s.callback_magic = &a;
        // Discovery sessions must not probe (they are the probe); authenticated ones
        // get the engine ID found asynchronously, so net-snmp skips its blocking probe
        // and only creates the USM user with localized keys.
        if (discovery) s.flags |= SNMP_FLAGS_DONT_PROBE;
        std::string community, user, context, engine_id, ctx_engine;
        if (discovery) {
            // RFC 3414 4.: an empty noAuthNoPriv request gets a usmStatsUnknownEngineIDs
            // report carrying the authoritative engine ID, boots and time.
            s.version = SNMP_VERSION_3;
            s.securityModel = SNMP_SEC_MODEL_USM;
            s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
            s.securityName = user.data();
            s.securityNameLen = 0;
        } else if (rq.security.version != Version::v3) {
            s.version = rq.security.version == Version::v1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
            mask_in_debug_output(rq.security.community);
            community = rq.security.community.view();
            s.community = reinterpret_cast<u_char*>(community.data());
            s.community_len = community.size();
        } else {
            const Security& sec = rq.security;
            s.version = SNMP_VERSION_3;
            s.securityModel = SNMP_SEC_MODEL_USM;
            user = sec.user;
            s.securityName = user.data();
            s.securityNameLen = user.size();
            context = sec.context;
            s.contextName = context.data();
            s.contextNameLen = context.size();
            engine_id = engine_ids[endpoint_key(rq.target)];
            s.securityEngineID = reinterpret_cast<u_char*>(engine_id.data());
            s.securityEngineIDLen = engine_id.size();
            if (!sec.context_engine_id.empty()) {
                // Parsed here, inside step(): a bad value fails this request, never throws.
                if (!parse_hex(sec.context_engine_id, ctx_engine)) {
                    fail(a, Status::invalid_request,
                         "context engine ID '" + sec.context_engine_id +
                             "' is not an even number of hex digits");
                    return false;
                }
            } else {
                ctx_engine = engine_id;
            }
            s.contextEngineID = reinterpret_cast<u_char*>(ctx_engine.data());
            s.contextEngineIDLen = ctx_engine.size();
            s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
            if (!sec.auth_protocol.empty()) {
                int at = auth_type(sec.auth_protocol);
                size_t len = 0;
                const oid* ao = at >= 0 ? sc_get_auth_oid(at, &len) : nullptr;
                if (!ao) {
                    fail(a, Status::invalid_request,
                         "unknown auth protocol '" + sec.auth_protocol + "'");
                    return false;
                }
                s.securityAuthProto = snmp_duplicate_objid(ao, len);
                s.securityAuthProtoLen = len;
                mask_in_debug_output(sec.auth_pass);
                std::string_view ku = ku_for(ao, len, sec.auth_pass, "a" + sec.auth_protocol);
                std::copy(ku.begin(), ku.end(), s.securityAuthKey);
                s.securityAuthKeyLen = ku.size();
                s.securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
                if (!sec.priv_protocol.empty()) {
                    int pt = priv_type(sec.priv_protocol);
                    size_t plen = 0;
                    const oid* po = pt >= 0 ? sc_get_priv_oid(pt, &plen) : nullptr;
                    if (!po) {
                        SNMP_FREE(s.securityAuthProto);
                        fail(a, Status::invalid_request,
                             "unknown priv protocol '" + sec.priv_protocol + "'");
                        return false;
                    }
                    s.securityPrivProto = snmp_duplicate_objid(po, plen);
                    s.securityPrivProtoLen = plen;
                    // The privacy key is derived with the authentication hash (RFC 3414).
                    mask_in_debug_output(sec.priv_pass);
                    std::string_view pku = ku_for(ao, len, sec.priv_pass, "p" + sec.auth_protocol);
                    std::copy(pku.begin(), pku.end(), s.securityPrivKey);
                    s.securityPrivKeyLen = pku.size();
                    s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
                }
            }
        }
        if (!discovery && rq.security.version == Version::v3) forget_stale_user(a, engine_id);
        a.sess = snmp_sess_open(&s);
        SNMP_FREE(s.securityAuthProto);
        SNMP_FREE(s.securityPrivProto);
        OPENSSL_cleanse_like(s.securityAuthKey, sizeof(s.securityAuthKey));
        OPENSSL_cleanse_like(s.securityPrivKey, sizeof(s.securityPrivKey));
        explicit_bzero(community.data(), community.size());  // the session has its copy
        if (!a.sess) {
            fail(a, Status::unreachable,
                 std::string("cannot open a session to ") + rq.target.to_string() + ": " +
                     snmp_api_errstring(s.s_snmp_errno));
            return false;
        }
        if (discovery) snmp_sess_session(a.sess)->flags |= SNMP_FLAGS_DONT_PROBE;
        netsnmp_transport* t = snmp_sess_transport(a.sess);
        a.fd = t ? t->sock : -1;
        if (a.fd >= 0) {
            // epoll, not poll(): with hundreds of sockets in flight poll() spent a third
            // of the run scanning sockets that had nothing to read.
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = static_cast<Polled*>(&a);
            epoll_ctl(epfd, EPOLL_CTL_ADD, a.fd, &ev);
        }
        if (a.fd >= fdset_size) {
            fdset_size = a.fd + 1024;
            netsnmp_large_fd_set_resize(&fdset, fdset_size);
        }
        return true;
    }

    static void OPENSSL_cleanse_like(u_char* p, std::size_t n) {
        volatile u_char* v = p;
        while (n--)
            *v++ = 0;
    }

    // net-snmp keeps one USM user per (engine ID, name) and reuses its keys: when the
    // same user name comes with another credential, drop the old keys first.
    void forget_stale_user(Active& a, const std::string& engine_id) {
        const Security& sec = a.req.security;
        std::string key = engine_id + '\0' + sec.user;
        std::size_t sig = key_signature(sec);
        auto it = users.find(key);
        if (it != users.end() && it->second == sig) return;
        if (struct usmUser* old = usm_get_user(reinterpret_cast<const u_char*>(engine_id.data()),
                                               engine_id.size(), sec.user.c_str())) {
            usm_remove_user(old);
            usm_free_user(old);
        }
        users[key] = sig;
    }

    void close_session(Active& a) {
        if (!a.user_key.empty()) {
            if (--users_in_use[a.user_key] == 0) users_in_use.erase(a.user_key);
            a.user_key.clear();
            changed = true;  // a request waiting for this user may go now
        }
        if (a.fd >= 0) epoll_ctl(epfd, EPOLL_CTL_DEL, a.fd, nullptr);
        if (a.sess) snmp_sess_close(a.sess);
        a.sess = nullptr;
        a.fd = -1;
    }

    // ---- requests ------------------------------------------------------------------

    void fail(Active& a, Status st, std::string message) {
        a.resp.status = st;
        a.resp.message = std::move(message);
        a.phase = Phase::done;
    }

    void start(Active& a) {
        a.started = Clock::now();
        a.resp.tag = a.req.tag;
        a.use_bulk = a.req.bulk && a.req.security.version != Version::v1;
        if (a.req.op != Op::discover && a.req.oids.empty()) {
            fail(a, Status::invalid_request, "no OID given");
            return;
        }
        if (a.req.op == Op::walk) {
            a.walk_root = a.walk_last = a.req.oids;
            a.walk_rows.assign(a.req.oids.size(), {});
            a.walk_done.assign(a.req.oids.size(), false);
        }
        bool needs_discovery =
            a.req.op == Op::discover || (a.req.security.version == Version::v3 &&
                                         !engine_ids.count(endpoint_key(a.req.target)));
        if (needs_discovery) {
            if (!open_session(a, true)) return;
            a.phase = Phase::discovery;
            netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
            pdu->version = SNMP_VERSION_3;
            pdu->securityName = strdup("");
            pdu->securityNameLen = 0;
            pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
            pdu->securityModel = SNMP_SEC_MODEL_USM;
            send(a, pdu);
            return;
        }
        begin_main(a);
    }

    static std::size_t key_signature(const Security& sec) {
        // Hashed piece by piece: a concatenation would leave the passphrases on the heap.
        std::hash<std::string_view> h;
        std::size_t sig = 0;
        for (std::string_view part : {std::string_view(sec.auth_protocol), sec.auth_pass.view(),
                                      std::string_view(sec.priv_protocol), sec.priv_pass.view()})
            sig = (sig ^ h(part)) * 1099511628211ULL + part.size();
        return sig;
    }

    void begin_main(Active& a) {
        if (a.req.security.version == Version::v3) {
            // net-snmp keeps one set of keys per (engine, user): a request with other
            // keys for the same user (dce-discover trying passphrases) waits until the
            // requests using the current keys are done, instead of swapping them under
            // their feet.
            std::string key = engine_ids[endpoint_key(a.req.target)] + '\0' + a.req.security.user;
            auto used = users_in_use.find(key);
            auto known = users.find(key);
            if (used != users_in_use.end() && used->second > 0 && known != users.end() &&
                known->second != key_signature(a.req.security)) {
                a.phase = Phase::wait_user;
                return;
            }
            ++users_in_use[key];
            a.user_key = key;
        }
        if (!open_session(a, false)) return;
        a.phase = Phase::main;
        send_main(a);
    }

    void send_main(Active& a) {
        netsnmp_pdu* pdu = nullptr;
        switch (a.req.op) {
            case Op::get:
                pdu = snmp_pdu_create(SNMP_MSG_GET);
                break;
            case Op::get_next:
                pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
                break;
            case Op::get_bulk:
                pdu = snmp_pdu_create(a.req.security.version == Version::v1 ? SNMP_MSG_GETNEXT
                                                                            : SNMP_MSG_GETBULK);
                pdu->errstat = 0;  // non-repeaters
                pdu->errindex = a.req.max_repetitions;
                break;
            case Op::walk:
                send_walk(a);
                return;
            case Op::discover:
                return;
        }
        for (const Oid& o : a.req.oids) {
            auto n = to_netsnmp(o);
            snmp_add_null_var(pdu, n.data(), n.size());
        }
        send(a, pdu);
    }

    void send_walk(Active& a) {
        netsnmp_pdu* pdu = snmp_pdu_create(a.use_bulk ? SNMP_MSG_GETBULK : SNMP_MSG_GETNEXT);
        if (a.use_bulk) {
            pdu->errstat = 0;  // non-repeaters
            pdu->errindex = std::max(1, a.req.max_repetitions);
        }
        a.walk_sent.clear();
        for (std::size_t i = 0; i < a.walk_root.size(); ++i) {
            if (a.walk_done[i]) continue;
            auto n = to_netsnmp(a.walk_last[i]);
            snmp_add_null_var(pdu, n.data(), n.size());
            a.walk_sent.push_back(i);
        }
        send(a, pdu);
    }

    void finish_walk(Active& a) {
        for (auto& rows : a.walk_rows)
            for (auto& vb : rows)
                a.resp.varbinds.push_back(std::move(vb));
        a.walk_rows.clear();
        a.resp.status = Status::ok;
        a.phase = Phase::done;
    }

    void send(Active& a, netsnmp_pdu* pdu) {
        if (snmp_sess_async_send(a.sess, pdu, &Impl::on_pdu, &a) == 0) {
            snmp_free_pdu(pdu);
            int lib = 0, sys = 0;
            char* why = nullptr;
            snmp_sess_error(a.sess, &lib, &sys, &why);
            fail(a, Status::unreachable,
                 std::string("cannot send to ") + a.req.target.to_string() + ": " +
                     (why ? why : "?"));
            free(why);
            return;
        }
        ++stats.packets_sent;
    }

    static int on_pdu(int op, netsnmp_session*, int, netsnmp_pdu* pdu, void* magic) {
        auto* a = static_cast<Active*>(magic);
        a->impl->changed = true;
        // Only a request waiting on the wire takes answers: one being reopened or
        // finished ignores what net-snmp reports while its old session closes.
        if (a->phase != Phase::discovery && a->phase != Phase::main) return 1;
        if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
            a->impl->on_timeout(*a);
        } else if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu) {
            a->impl->on_message(*a, pdu);
        } else if (op == NETSNMP_CALLBACK_OP_SEND_FAILED || op == NETSNMP_CALLBACK_OP_DISCONNECT) {
            a->impl->fail(*a, Status::unreachable, "cannot reach " + a->req.target.to_string());
        }
        return 1;
    }

    void on_timeout(Active& a) {
        // Agents with a broken GETBULK (or replies too big for a datagram) answer
        // GETNEXT: retry the rest of the walk that way once it is clear the agent is there.
        if (a.phase == Phase::main && a.req.op == Op::walk && a.use_bulk && a.walk_count > 0) {
            a.use_bulk = false;
            a.resp.bulk_fell_back = true;
            send_walk(a);
            return;
        }
        if (a.phase == Phase::main && a.req.security.version == Version::v3 && !a.rediscovered) {
            // An agent that restarted may keep silent to our old engine time instead of
            // sending notInTimeWindow: forget its engine and time, discover it again once.
            auto key = endpoint_key(a.req.target);
            auto it = engine_ids.find(key);
            if (it != engine_ids.end()) {
                std::string raw = it->second;
                engine_ids.erase(it);
                free_enginetime(reinterpret_cast<unsigned char*>(raw.data()), raw.size());
            }
            a.rediscovered = true;
            a.phase = Phase::start;
            return;
        }
        std::string msg = "no answer from " + a.req.target.to_string() + " after " +
                          std::to_string(a.req.retries + 1) + " attempt(s) of " +
                          std::to_string(a.req.timeout.count()) + " ms";
        // An agent that answered discovery but not the encrypted request most often
        // could not decrypt it: net-snmp's snmpd drops those without a report.
        if (a.phase == Phase::main && a.req.security.version == Version::v3 &&
            !a.req.security.priv_protocol.empty())
            msg += " (the engine answered discovery: check the priv protocol and passphrase)";
        fail(a, Status::timeout, msg);
    }

    void on_message(Active& a, netsnmp_pdu* pdu) {
        if (a.phase == Phase::discovery) {
            if (pdu->securityEngineIDLen == 0 || !pdu->securityEngineID) {
                fail(a, Status::malformed, "the discovery answer carried no engine ID");
                return;
            }
            std::string raw(reinterpret_cast<const char*>(pdu->securityEngineID),
                            pdu->securityEngineIDLen);
            EngineInfo info = parse_engine_id(raw);
            u_int boots = 0, etime = 0;
            if (get_enginetime(pdu->securityEngineID, pdu->securityEngineIDLen, &boots, &etime,
                               FALSE) == SNMPERR_SUCCESS) {
                info.boots = boots;
                info.time = etime;
            }
            engine_ids[endpoint_key(a.req.target)] = raw;
            a.resp.engine = info;
            if (a.req.op == Op::discover) {
                a.resp.status = Status::ok;
                a.phase = Phase::done;
            } else {
                a.phase =
                    Phase::reopen;  // the main loop closes this session and opens the real one
            }
            return;
        }
        if (pdu->command == SNMP_MSG_REPORT) {
            std::string msg;
            Status st = report_status(pdu, msg);
            if (st == Status::unknown_engine_id && !a.rediscovered) {
                // The agent got a new engine ID (replaced card, reset config): find it again.
                engine_ids.erase(endpoint_key(a.req.target));
                a.rediscovered = true;
                a.phase = Phase::start;
                return;
            }
            for (auto* v = pdu->variables; v; v = v->next_variable)
                a.resp.report.push_back({to_oid(v->name, v->name_length), convert(v)});
            fail(a, st, msg);
            return;
        }
        if (pdu->errstat != SNMP_ERR_NOERROR) {
            if (a.req.op == Op::walk && pdu->errstat == SNMP_ERR_NOSUCHNAME) {
                // v1's end of the MIB view, for the root at error-index.
                auto k = static_cast<std::size_t>(pdu->errindex);
                if (k >= 1 && k <= a.walk_sent.size())
                    a.walk_done[a.walk_sent[k - 1]] = true;
                else
                    std::fill(a.walk_done.begin(), a.walk_done.end(), true);
                if (std::find(a.walk_done.begin(), a.walk_done.end(), false) != a.walk_done.end())
                    send_walk(a);
                else
                    finish_walk(a);
                return;
            }
            if (a.req.op == Op::walk && a.use_bulk) {
                a.use_bulk = false;
                a.resp.bulk_fell_back = true;
                send_walk(a);
                return;
            }
            a.resp.error_status = static_cast<int>(pdu->errstat);
            a.resp.error_index = static_cast<int>(pdu->errindex);
            fail(a, Status::agent_error,
                 std::string("the agent answered error-status ") +
                     snmp_errstring(static_cast<int>(pdu->errstat)) + " (" +
                     std::to_string(pdu->errstat) + ") at index " + std::to_string(pdu->errindex));
            return;
        }
        if (a.req.op != Op::walk) {
            for (auto* v = pdu->variables; v; v = v->next_variable)
                a.resp.varbinds.push_back({to_oid(v->name, v->name_length), convert(v)});
            stats.varbinds += a.resp.varbinds.size();
            a.resp.status = Status::ok;
            a.phase = Phase::done;
            return;
        }
        // GETBULK answers row by row: varbind i belongs to root walk_sent[i % n].
        std::size_t n = a.walk_sent.size(), i = 0;
        std::vector<bool> advanced(a.walk_root.size(), false);
        for (auto* v = pdu->variables; v && n; v = v->next_variable, ++i) {
            std::size_t r = a.walk_sent[i % n];
            if (a.walk_done[r]) continue;
            Oid o = to_oid(v->name, v->name_length);
            if (v->type == SNMP_ENDOFMIBVIEW || !oid_starts_with(o, a.walk_root[r]) ||
                o.size() == a.walk_root[r].size()) {
                a.walk_done[r] = true;
                continue;
            }
            if (!std::lexicographical_compare(a.walk_last[r].begin(), a.walk_last[r].end(),
                                              o.begin(), o.end())) {
                // A buggy agent going backwards would make the walk loop for ever.
                a.resp.message = "the agent returned OIDs out of order; walk stopped";
                a.walk_done[r] = true;
                continue;
            }
            a.walk_last[r] = o;
            advanced[r] = true;
            a.walk_rows[r].push_back({std::move(o), convert(v)});
            ++stats.varbinds;
            if (++a.walk_count >= a.req.max_varbinds) {
                a.resp.truncated = true;
                std::fill(a.walk_done.begin(), a.walk_done.end(), true);
                break;
            }
        }
        // A root the answer's first row did not move forward is finished; an answer cut
        // short before a full row (the agent's size limit) finishes none, and an empty
        // one finishes all, so the walk always ends.
        if (i == 0 || i >= n)
            for (std::size_t r : a.walk_sent)
                if (!advanced[r]) a.walk_done[r] = true;
        if (std::find(a.walk_done.begin(), a.walk_done.end(), false) != a.walk_done.end()) {
            send_walk(a);
            return;
        }
        finish_walk(a);
    }

    // ---- the loop ------------------------------------------------------------------

    void finish_callback(Active& a) {
        a.resp.elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - a.started);
        ++stats.completed;
        if (!a.resp.ok()) ++stats.failed;
        if (a.req.security.version == Version::v3 && !a.resp.engine) {
            auto it = engine_ids.find(endpoint_key(a.req.target));
            if (it != engine_ids.end()) a.resp.engine = parse_engine_id(it->second);
        }
        if (a.cb) a.cb(a.resp);
    }

    // Moves requests between phases outside net-snmp's callbacks (closing a session
    // inside its own callback is not allowed) and hands finished ones to their callers.
    void settle() {
        // Only after a callback or a start changed some request's phase: a loop turn
        // that read nothing costs no walk over every request in flight.
        if (!changed) return;
        changed = false;
        std::vector<std::unique_ptr<Active>> finished;
        for (std::size_t i = 0; i < active.size();) {
            Active& a = *active[i];
            if (a.phase == Phase::reopen) {
                close_session(a);
                begin_main(a);
            } else if (a.phase == Phase::wait_user) {
                begin_main(a);
            } else if (a.phase == Phase::start) {
                close_session(a);
                start(a);
            }
            if (a.phase == Phase::done) {
                close_session(a);
                finished.push_back(std::move(active[i]));
                active[i] = std::move(active.back());
                active.pop_back();
                continue;
            }
            ++i;
        }
        for (auto& a : finished)
            finish_callback(*a);
    }

    std::chrono::milliseconds launch() {
        auto now = Clock::now();
        if (opts.rate > 0) {
            double burst = std::max(1.0, opts.rate / 20);
            tokens = std::min(
                burst,
                tokens + opts.rate * std::chrono::duration<double>(now - last_refill).count());
            last_refill = now;
        }
        bool launched = false;
        while (!queue.empty() && active.size() < std::max<std::size_t>(1, opts.concurrency)) {
            if (opts.rate > 0) {
                if (tokens < 1) break;
                tokens -= 1;
            }
            auto a = std::make_unique<Active>();
            a->impl = this;
            a->req = std::move(queue.front().req);
            a->cb = std::move(queue.front().cb);
            queue.pop_front();
            start(*a);
            changed = true;
            active.push_back(std::move(a));
            launched = true;
        }
        stats.peak_in_flight = std::max(stats.peak_in_flight, active.size());
        if (launched) settle();
        if (opts.rate > 0 && !queue.empty() && active.size() < opts.concurrency && tokens < 1)
            return std::chrono::milliseconds(
                static_cast<long>(std::ceil((1 - tokens) * 1000 / opts.rate)));
        return std::chrono::milliseconds(1000);
    }

    bool step(std::chrono::milliseconds max_wait) {
        auto token_wait = launch();
        auto wait = std::max(std::chrono::milliseconds(0), std::min(max_wait, token_wait));
        if (!active.empty()) {
            auto to_scan = std::chrono::duration_cast<std::chrono::milliseconds>(next_timeout_scan -
                                                                                 Clock::now());
            wait = std::max(std::chrono::milliseconds(0), std::min(wait, to_scan));
        }
        // Waits in epoll even with nothing in flight: a caller waiting for its next round,
        // for a rate token or for input sleeps here (returning at once made dce-poll spin).
        // A signal ends the wait early (EINTR), so the caller sees it promptly.
        epoll_event events[256];
        int n = epoll_wait(epfd, events, 256, static_cast<int>(wait.count()));
        std::vector<int> ready;
        for (int i = 0; i < n; ++i) {
            auto* p = static_cast<Polled*>(events[i].data.ptr);
            if (p->is_watch) {
                ready.push_back(static_cast<Watch*>(p)->fd);
                continue;
            }
            auto* a = static_cast<Active*>(p);
            if (!a->sess || a->fd < 0) continue;
            NETSNMP_LARGE_FD_SET(a->fd, &fdset);
            snmp_sess_read2(a->sess, &fdset);
            NETSNMP_LARGE_FD_CLR(a->fd, &fdset);
        }
        auto now = Clock::now();
        if (!active.empty() && now >= next_timeout_scan) {
            // net-snmp resends and times out requests in snmp_sess_timeout(); a 20 ms
            // scan keeps that cheap with thousands in flight and precise enough.
            next_timeout_scan = now + std::chrono::milliseconds(20);
            for (auto& a : active)
                if (a->sess && a->phase != Phase::done) snmp_sess_timeout(a->sess);
        }
        settle();
        // Watch callbacks last, outside net-snmp's: they may submit or unwatch.
        for (int fd : ready) {
            auto it = watches.find(fd);
            if (it == watches.end()) continue;
            auto cb = it->second->on_ready;  // a copy: the callback may unwatch itself
            cb();
        }
        stats.in_flight = active.size();
        stats.queued = queue.size();
        return !active.empty() || !queue.empty();
    }

    bool watch_fd(int fd, std::function<void()> on_ready) {
        auto w = std::make_unique<Watch>();
        w->is_watch = true;
        w->fd = fd;
        w->on_ready = std::move(on_ready);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = static_cast<Polled*>(w.get());
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
        watches[fd] = std::move(w);
        return true;
    }

    void unwatch_fd(int fd) {
        if (watches.erase(fd)) epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
    }
};

Engine::Engine(EngineOptions opts) : impl_(std::make_unique<Impl>()) {
    impl_->opts = opts;
}
Engine::~Engine() = default;

void Engine::submit(Request req, Callback cb) {
    ++impl_->stats.submitted;
    impl_->queue.push_back({std::move(req), std::move(cb)});
}

void Engine::run() {
    while (!idle()) {
        if (impl_->stop_check && impl_->stop_check()) return;
        if (!impl_->step(std::chrono::milliseconds(100))) return;
    }
}

bool Engine::step(std::chrono::milliseconds max_wait) {
    return impl_->step(max_wait);
}
void Engine::cancel_all() {
    impl_->cancel_all();
}
bool Engine::idle() const {
    return impl_->active.empty() && impl_->queue.empty();
}
EngineStats Engine::stats() const {
    auto s = impl_->stats;
    s.in_flight = impl_->active.size();
    s.queued = impl_->queue.size();
    return s;
}
void Engine::set_stop_check(std::function<bool()> check) {
    impl_->stop_check = std::move(check);
}
bool Engine::watch_fd(int fd, std::function<void()> on_ready) {
    return impl_->watch_fd(fd, std::move(on_ready));
}
void Engine::unwatch_fd(int fd) {
    impl_->unwatch_fd(fd);
}

Response run_one(Request req) {
    Engine e({.concurrency = 1});
    Response out;
    out.status = Status::cancelled;
    e.submit(std::move(req), [&](const Response& r) { out = r; });
    e.run();
    return out;
}

}  // namespace dce::snmp

namespace dce::snmp {

bool decode_community_message(std::string_view bytes, DecodedMessage& out) {
    init_netsnmp_once();
    out = DecodedMessage{};
    // net-snmp's parsers take non-const buffers; parse a copy.
    std::vector<u_char> buf(bytes.begin(), bytes.end());
    if (buf.empty()) return false;
    u_char community[256];
    size_t community_len = sizeof(community);
    size_t len = buf.size();
    long version = -1;
    u_char* data = snmp_comstr_parse(buf.data(), &len, community, &community_len, &version);
    if (!data || (version != SNMP_VERSION_1 && version != SNMP_VERSION_2c)) return false;
    netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
    if (!pdu) return false;
    pdu->version = version;
    bool ok = snmp_pdu_parse(pdu, data, &len) == 0;
    if (ok) {
        out.version = static_cast<int>(version);
        out.pdu_type = pdu->command;
        out.error_status = static_cast<int>(pdu->errstat);
        out.error_index = static_cast<int>(pdu->errindex);
        for (auto* v = pdu->variables; v; v = v->next_variable)
            out.varbinds.push_back({to_oid(v->name, v->name_length), convert(v)});
    }
    snmp_free_pdu(pdu);
    return ok;
}

}  // namespace dce::snmp
