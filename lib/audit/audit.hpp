#pragma once
// dce-audit: the DCE security handbook's "validate security settings" as checks. A
// policy (JSON; policy.cpp) names the site's targets and what each must look like;
// each check family (check_*.cpp) looks at one target and returns findings. The driver
// (audit.cpp) runs the families of a target one after another — one connection at a
// time per fragile management card — and targets side by side (--concurrency).
//
// A check family is a plain function over a CheckContext. It never throws for what the
// network does (a timeout, a refusal): those are findings (fail/warn) or, when the check
// could not run at all, a finding with status `error` or `skip` that says why.

#include "core/context.hpp"
#include "core/credentials.hpp"
#include "core/record.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dce::audit {

/// One host the policy names, its policy object with the policy's "defaults" merged in
/// (a key of the target wins), and the device record it came from, if any.
struct Target {
    std::string name;     ///< what findings name as `target`: the address unless named
    std::string address;  ///< IP literal (127.0.0.1, ::1) or host name
    Json policy = Json::object();
    Json device;   ///< a `device` record (firmware, model, sys_object_id), or null
    int line = 0;  ///< line in the policy file where the target is (SARIF)
};

struct Policy {
    std::string path;  ///< file it was read from; empty for the built-in default
    Json doc = Json::object();
    std::vector<Target> targets;
};

/// What a check family gets: the target, the whole policy, the credentials (loaded
/// once, may be null when there is no file), and the per-connection timeout.
struct CheckContext {
    const Target& target;
    const Policy& policy;
    const CredentialStore* credentials = nullptr;
    std::chrono::milliseconds timeout{2000};
    /// True for a check id the user kept (--only/--skip applied). A family asks before
    /// each of its checks, so a skipped check sends nothing.
    std::function<bool(std::string_view check_id)> wanted = [](std::string_view) { return true; };
    /// True once the run is interrupted: a family stops between checks.
    std::function<bool()> stop = [] { return false; };
};

/// One check a family can produce: its stable id and what the report says about it.
struct CheckInfo {
    std::string_view id;         ///< "web.hsts", "ports.denied", ...
    std::string_view name;       ///< CamelCase for SARIF: "HstsPresent"
    std::string_view title;      ///< one line
    std::string_view help;       ///< what to do when it fails
    std::string_view reference;  ///< handbook section or standard
    std::string_view severity;   ///< info|low|medium|high|critical when it fails
};

/// A check family: which checks it makes, and the function that makes them.
struct Family {
    std::string_view name;  ///< "ports", "web", "ssh", "snmp", ...
    std::span<const CheckInfo> checks;
    std::vector<Finding> (*run)(const CheckContext& ctx);
};

/// Every family, in the order a target is checked.
std::span<const Family> families();
/// The CheckInfo of an id, or null.
const CheckInfo* find_check(std::string_view id);

/// A finding of `check` about `target` with the CheckInfo's severity and reference;
/// `status` pass/fail/warn/error/skip; evidence filled by the caller.
Finding make_finding(const CheckInfo& check, const Target& target, Status status,
                     std::string message, Json evidence = Json::object());

// ---- shared probes every family may use (probe.cpp) ----------------------------------

enum class PortState { open, closed, filtered, no_answer, unreachable, error };
std::string_view to_string(PortState s);

struct PortProbe {
    PortState state = PortState::error;
    std::string detail;  ///< "connection refused (RST)", "no answer in 2s", errno text
    double ms = 0;       ///< how long it took
};

/// TCP: connect with a timeout. open = handshake done; closed = RST (ECONNREFUSED);
/// filtered = no answer within the timeout; unreachable = ICMP unreachable / prohibited.
PortProbe probe_tcp(const std::string& address, int port, std::chrono::milliseconds timeout);
/// UDP: sends `payload` (a protocol-appropriate probe) on a connected socket. open = an
/// answer; closed = ICMP port unreachable (ECONNREFUSED); no_answer = nothing within the
/// timeout (open|filtered: never reported as closed).
PortProbe probe_udp(const std::string& address, int port, std::string_view payload,
                    std::chrono::milliseconds timeout, std::string* answer = nullptr);

/// A TCP connection with a timeout for line protocols (SSH banner, FTP, Telnet, HTTP).
class Connection {
  public:
    Connection() = default;
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    /// False with `error` set when it cannot connect in time; `state` (optional) says
    /// open, closed (RST), filtered (silence) or unreachable, as probe_tcp does.
    bool open(const std::string& address, int port, std::chrono::milliseconds timeout,
              std::string& error, PortState* state = nullptr);
    bool send(std::string_view data);
    /// Reads until `delim` is seen (kept), `max` bytes, EOF or the timeout; returns what
    /// was read (possibly partial).
    std::string read_until(std::string_view delim, std::size_t max = 65536);
    /// Reads until EOF, `max` bytes or the timeout.
    std::string read_all(std::size_t max = 1 << 20);
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    std::chrono::milliseconds timeout_{2000};
};

/// --rate: connections and datagram probes started per second across the whole run (0:
/// no limit). Every probe, connection, SNMP request and TLS handshake waits its turn in
/// pace(), so a site's fragile cards see a bounded rate whatever --concurrency is.
void set_rate(double per_second);
void pace(std::size_t n = 1);

/// The version in a firmware string as devices report it: "APP v7.0.4" -> "7.0.4",
/// "UPS 09.3 / ID=18" -> "09.3", "v6.8.2a" -> "6.8.2a". The first word (split at spaces,
/// '/', ',', ';', parentheses) that is a digit, or v and a digit, followed by letters,
/// digits, '.', '-', '_', preferring one with a dot; empty when there is none.
std::string_view version_token(std::string_view s);

/// Numeric version comparison of the version_token()s ("APP v6.10.2" > "6.9.0"; a string
/// without one compares from its first digit): letters sort after digits ("v6.8.2a" >
/// "v6.8.2"), leading zeros do not count ("09.3" == "9.3").
int compare_versions(std::string_view a, std::string_view b);

}  // namespace dce::audit
