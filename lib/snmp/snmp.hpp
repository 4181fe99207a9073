#pragma once
// The asynchronous SNMP engine (v1, v2c, v3 USM) on net-snmp. PUBLIC API: dce-poll and
// dce-discover build on it; add to it, never break it. net-snmp's headers stay in
// lib/snmp/*.cpp: nothing here includes them.
//
// Usage:
//
//     dce::snmp::Engine engine({.concurrency = 256, .rate = 500});
//     dce::snmp::Request req;
//     req.target = {"127.0.0.1", 161};
//     req.security = dce::snmp::Security::v3("dce", "SHA-256", auth_pass, "AES-256", priv_pass);
//     req.op = dce::snmp::Op::get;
//     req.oids = {"1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0"};
//     engine.submit(std::move(req), [](const dce::snmp::Response& r) {
//         if (!r.ok()) { /* r.status, r.message */ return; }
//         for (const auto& vb : r.varbinds) use(vb.oid, dce::snmp::to_json(vb.value));
//     });
//     engine.run();            // until every request has its callback; or step(ms) in a loop
//
// Callbacks run on the thread that calls run()/step(), one at a time; a callback may
// submit more requests (e.g. a fallback OID, the next table). Every request gets
// exactly one callback, whatever the agent answers (or does not).

#include "core/credentials.hpp"
#include "core/jsonl.hpp"
#include "core/oid.hpp"
#include "core/record.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dce::snmp {

// ---- OIDs ---------------------------------------------------------------------------

/// Numeric OIDs and their helpers live in core (shared with lib/trap).
using dce::Oid;
using dce::oid_starts_with;
using dce::oid_to_string;
using dce::parse_oid;

// ---- values -------------------------------------------------------------------------

enum class ValueType {
    integer,  ///< Integer32
    octet_string,
    null,
    object_id,
    ip_address,
    counter32,
    gauge32,    ///< also Unsigned32
    timeticks,  ///< hundredths of a second
    opaque,
    counter64,
    no_such_object,  ///< exceptions (v2c/v3): not errors of the whole request
    no_such_instance,
    end_of_mib_view,
};

struct Value {
    ValueType type = ValueType::null;
    std::int64_t i = 0;   ///< integer
    std::uint64_t u = 0;  ///< counter32/gauge32/timeticks/counter64
    std::string bytes;    ///< octet_string/opaque raw bytes; ip_address as dotted text
    Oid oid;              ///< object_id

    bool is_exception() const {
        return type == ValueType::no_such_object || type == ValueType::no_such_instance ||
               type == ValueType::end_of_mib_view;
    }
    bool is_numeric() const;
    /// The number a metric uses: integers as is, TimeTicks in hundredths (see seconds()).
    std::optional<double> number() const;
};

std::string_view to_string(ValueType t);  ///< "Integer32", "Counter64", "noSuchObject", ...

/// dce::octets_to_display and dce::to_hex (core/jsonl.hpp), shared with dce-trapd.
using dce::octets_to_display;
using dce::to_hex;

/// JSON for a value: numbers as numbers, TimeTicks as hundredths (integer), OctetString
/// as octets_to_display(), OID as dotted text, exceptions as null.
Json to_json(const Value& v);
/// {"oid": "...", "type": "Counter32", "value": ...}: what an event's varbinds carry.
struct VarBind;
Json to_json(const VarBind& vb);

struct VarBind {
    Oid oid;
    Value value;
};

// ---- requests -----------------------------------------------------------------------

enum class Version { v1, v2c, v3 };
std::string_view to_string(Version v);  ///< "v1", "v2c", "v3"

struct Security {
    Version version = Version::v3;
    Secret community;           ///< v1/v2c
    std::string user;           ///< v3 security name
    std::string auth_protocol;  ///< "", MD5, SHA (SHA-1), SHA-224, SHA-256, SHA-384, SHA-512
    Secret auth_pass;
    std::string priv_protocol;  ///< "", DES, AES (AES-128), AES-192, AES-256
    Secret priv_pass;
    std::string context;            ///< v3 context name
    std::string context_engine_id;  ///< hex; empty = the authoritative engine's

    static Security community_v(Version v, Secret community);
    static Security v3(std::string user, std::string auth_protocol, Secret auth_pass,
                       std::string priv_protocol, Secret priv_pass);
    /// "noAuthNoPriv", "authNoPriv", "authPriv" (v3 only).
    std::string_view level() const;
};

/// Builds Security from a credentials-file entry (kind snmpv3: user, auth_protocol,
/// auth_pass, priv_protocol, priv_pass, context; kind community: community, version).
/// `version` picks v1/v2c for a community entry. False with a message naming the entry
/// (never a secret) when it is incomplete or names an unknown protocol.
bool security_from_credential(const Credential& cred, Version version, Security& out,
                              std::string& error);

/// Protocol names this build of net-snmp offers (for --help and validation).
std::vector<std::string> auth_protocols();
std::vector<std::string> priv_protocols();

struct Endpoint {
    std::string host;  ///< numeric IPv4/IPv6 or a name
    std::uint16_t port = 161;
    std::string to_string() const;  ///< "host:port", "[v6]:port"
};

enum class Op {
    get,       ///< every OID in `oids`
    get_next,  ///< one GETNEXT of `oids`
    get_bulk,  ///< one GETBULK (non-repeaters 0, max_repetitions) of `oids`
    walk,      ///< every varbind under each of `oids`, walked side by side in one PDU per round
               ///< (columns of one table); GETBULK, GETNEXT on v1 or on fallback; results
               ///< grouped by root, in `oids` order
    discover,  ///< unauthenticated SNMPv3 engine discovery (security is ignored)
};

struct Request {
    Endpoint target;
    Security security;
    Op op = Op::get;
    std::vector<Oid> oids;
    int max_repetitions = 10;           ///< GETBULK / walk
    bool bulk = true;                   ///< walk: false forces GETNEXT (agents with broken GETBULK)
    std::size_t max_varbinds = 100000;  ///< walk: stop (status ok, truncated=true) after this many
    std::chrono::milliseconds timeout{2000};  ///< per attempt
    int retries = 1;
    std::uint64_t tag = 0;  ///< caller's, returned in the Response
};

// ---- responses ----------------------------------------------------------------------

enum class Status {
    ok,
    timeout,             ///< no answer after every retry
    auth_failure,        ///< wrong digest / authentication failed
    unknown_user,        ///< usmStatsUnknownUserNames
    unsupported_level,   ///< usmStatsUnsupportedSecLevels
    decryption_error,    ///< usmStatsDecryptionErrors (wrong priv passphrase or protocol)
    not_in_time_window,  ///< only if automatic recovery failed
    unknown_engine_id,
    agent_error,      ///< error-status from the agent (error_status/error_index set)
    malformed,        ///< the agent answered bytes that do not parse
    unreachable,      ///< name does not resolve, socket error, ICMP unreachable
    invalid_request,  ///< bad OID, unknown protocol name, ...
    cancelled,        ///< engine shut down before the request finished
};
std::string_view to_string(Status s);  ///< stable codes for `error` records: "timeout", "auth", ...

struct EngineInfo {
    std::string engine_id;  ///< hex, lower case
    std::uint32_t boots = 0;
    std::uint32_t time = 0;                   ///< seconds since boots last changed
    std::optional<std::uint32_t> enterprise;  ///< from the engine ID (RFC 3411 format)
    std::string
        engine_id_format;  ///< "ipv4", "ipv6", "mac", "text", "octets", "enterprise", "netsnmp"
};

/// Parses an engine ID (raw bytes) per RFC 3411 SnmpEngineID.
EngineInfo parse_engine_id(std::string_view raw);

struct Response {
    Status status = Status::ok;
    std::string message;   ///< plain words; never a secret
    int error_status = 0;  ///< agent_error: SNMP error-status
    int error_index = 0;
    std::vector<VarBind> varbinds;
    /// When the agent answered with a Report PDU (status auth_failure, unknown_user,
    /// unsupported_level, ...): its varbinds, the usmStats counter that names the reason
    /// (e.g. usmStatsUnsupportedSecLevels.0) and its value. Evidence that the agent itself
    /// refused the request, not the network. Empty otherwise.
    std::vector<VarBind> report;
    bool truncated = false;            ///< walk stopped at max_varbinds
    bool bulk_fell_back = false;       ///< walk switched to GETNEXT after GETBULK failed
    std::optional<EngineInfo> engine;  ///< discover; and v3 requests once known
    std::chrono::milliseconds elapsed{0};
    std::uint64_t tag = 0;
    bool ok() const { return status == Status::ok; }
};

using Callback = std::function<void(const Response&)>;

// ---- the engine ---------------------------------------------------------------------

struct EngineOptions {
    std::size_t concurrency = 64;  ///< requests (and so sockets) in flight at most
    double rate = 0;               ///< new requests started per second; 0 = no limit
    /// Pending (not yet started) requests are kept in a queue; submit() never blocks.
};

struct EngineStats {
    std::uint64_t submitted = 0, completed = 0, failed = 0;
    std::uint64_t packets_sent = 0, varbinds = 0;
    std::size_t in_flight = 0, queued = 0, peak_in_flight = 0;
};

class Engine {
  public:
    explicit Engine(EngineOptions opts = {});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    void submit(Request req, Callback cb);
    /// Runs until nothing is queued or in flight, or until `stop()` / interrupted().
    void run();
    /// One turn: waits at most `max_wait` for I/O, handles answers and timeouts, starts
    /// queued requests within the limits. False when nothing is left to do.
    bool step(std::chrono::milliseconds max_wait);
    /// Fails everything queued or in flight with Status::cancelled (callbacks run).
    void cancel_all();
    bool idle() const;
    EngineStats stats() const;
    /// When set and it returns true, run() returns early (e.g. dce::interrupted).
    void set_stop_check(std::function<bool()> check);
    /// Watches another descriptor (e.g. stdin) in the same epoll wait: `on_ready` runs on
    /// the thread in step() when `fd` is readable (or hung up). False when epoll cannot
    /// watch it (a regular file or /dev/null: read those directly, they never block).
    /// A watched fd does not keep run() going; step() keeps waiting on it even when no
    /// request is in flight, so a caller waiting for input sleeps instead of spinning.
    bool watch_fd(int fd, std::function<void()> on_ready);
    void unwatch_fd(int fd);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Blocking convenience for tests and one-off lookups: runs one request on its own engine.
Response run_one(Request req);

}  // namespace dce::snmp

namespace dce::snmp {

/// Decodes one SNMPv1/v2c message (what an agent sends back) with net-snmp's BER
/// parser and the engine's value conversion: version, community length, PDU type,
/// error-status and varbinds. False for bytes that are not such a message. This is the
/// path every answer from the network takes; the fuzzer drives it with arbitrary bytes.
struct DecodedMessage {
    int version = -1;  ///< 0 = v1, 1 = v2c
    int pdu_type = 0;  ///< e.g. 0xa2 GetResponse
    int error_status = 0, error_index = 0;
    std::vector<VarBind> varbinds;
};
bool decode_community_message(std::string_view bytes, DecodedMessage& out);

}  // namespace dce::snmp
