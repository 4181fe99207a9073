#pragma once
// dce-discover --http and --tcp6000: the TCP transports beside the SNMP sweep.
//   --http: per target and port (default 443, then 80), HTTPS first, then plain HTTP
//     when the port does not speak TLS. The front page (one redirect on the same server
//     followed: a card's / points at its log-on or identity page) and the certificate
//     are matched against the identity rules of http_identify.cpp. TLS 1.2 at least;
//     the chain and name are verified (system store or --ca-file) unless --insecure.
//   --tcp6000: a TCP connect to port 6000 and whatever banner arrives within the
//     timeout; nothing else is sent. class pdu only when another transport of the same
//     run found the host to be a PDU (DiscoverSummary::pdu_hosts).

#include "core/context.hpp"
#include "core/targets.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace dce::discover {

struct WebOptions {
    std::vector<std::uint16_t> ports{443, 80};
    std::string ca_file;  ///< empty: the system trust store
    bool insecure = false;
};

struct TcpSweepCounts {
    std::uint64_t probed = 0, devices = 0, errors = 0;
};

/// Writes one device record per (target, port) that answered HTTP(S), an error record
/// for each certificate refused (and, with report_unreachable, each silent port).
/// False with `error` when the trust store cannot be loaded.
bool run_http_sweep(TargetList& targets, const WebOptions& web, int timeout_ms,
                    std::size_t concurrency, bool report_unreachable, RecordWriter& out,
                    TcpSweepCounts& counts, std::set<std::string>& pdu_hosts, std::string& error);

/// Writes one device record per target whose port `port` accepted a connection.
void run_tcp6000_sweep(TargetList& targets, std::uint16_t port, int timeout_ms,
                       std::size_t concurrency, bool report_unreachable,
                       const std::set<std::string>& pdu_hosts, RecordWriter& out,
                       TcpSweepCounts& counts);

}  // namespace dce::discover
