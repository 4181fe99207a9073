#pragma once
// dce-discover's work: sweep targets over SNMP and write one `device` record for each
// device that answers. Per target, in order, stopping at the first that identifies it:
//   1. unauthenticated SNMPv3 engine discovery (finds v3-only agents; the engine ID's
//      enterprise number names the vendor),
//   2. SNMPv3 GET of the system group and identity OIDs with each snmpv3 credential,
//   3. only when asked for: SNMPv2c, then SNMPv1, with each community credential
//      (the record then says insecure: true).
// A device that answered step 1 but let none of our credentials in is still reported
// (identified: false) so an operator sees what they cannot manage yet.

#include "core/context.hpp"
#include "discover/http_sweep.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace dce::discover {

struct DiscoverOptions {
    std::vector<std::string> targets;  ///< specs as TargetList takes them
    std::uint16_t port = 161;          ///< when a target names none
    std::uint64_t max_targets = 65536;
    bool use_v3 = true;
    bool use_v2c = false;  ///< insecure: only when asked for
    bool use_v1 = false;
    double rate = 500;              ///< new targets probed per second; 0 = no limit
    std::size_t concurrency = 256;  ///< targets in flight at most
    int timeout_ms = 1000;          ///< per attempt
    int retries = 1;
    bool report_unreachable = false;        ///< an `error` record for each silent target
    std::vector<std::string> profile_dirs;  ///< --profile-dir, after the default dirs
    int progress = -1;                      ///< 1 on, 0 off, -1 when stderr is a terminal
    // Modbus TCP (modbus_sweep.hpp), after the SNMP sweep, only with --modbus.
    bool modbus = false;
    std::uint16_t modbus_port = 502;
    std::vector<std::uint8_t> unit_ids = {1, 255, 0};
    bool use_snmp = true;               ///< --no-snmp: only the other transports
    bool http = false;                  ///< --http (http_sweep.hpp)
    WebOptions web;                     ///< --http-ports, --ca-file, --insecure
    bool tcp6000 = false;               ///< --tcp6000
    std::uint16_t tcp6000_port = 6000;  ///< --tcp6000-port (tests)
};

/// What the sweep did, for the summary line and the tests.
struct DiscoverSummary {
    std::uint64_t probed = 0, answered = 0, devices = 0, identified = 0, errors = 0;
    std::uint64_t by_v3 = 0, by_v2c = 0, by_v1 = 0, engine_only = 0;
    TcpSweepCounts http, tcp6000;
    /// Hosts a transport of this run found to be a PDU: TCP 6000 says class pdu only
    /// for these.
    std::set<std::string> pdu_hosts;
    double seconds = 0;
};

/// Runs the sweep with ctx's credentials, writing records to ctx.out(). Returns an exit
/// code (exit_codes.hpp): 0 when the sweep ran (whether or not anything answered), 2 for
/// unusable targets or credentials, 3 when the SNMP engine fails or a target got an
/// `error` record (--report-unreachable), 130 when interrupted. The summary line is
/// logged; `summary` (optional) receives the counts.
int run_discover(ToolContext& ctx, const DiscoverOptions& opts, DiscoverSummary* summary = nullptr);

}  // namespace dce::discover
