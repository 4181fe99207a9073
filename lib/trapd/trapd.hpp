#pragma once
// dce-trapd: receives SNMP traps and informs and writes one `event` record per
// notification. tools/dce-trapd/main.cpp fills TrapdOptions; run_trapd does the rest.
//
// Two threads. The receive thread does nothing but recvmmsg() on every socket and copy
// datagrams into a bounded queue (ring.hpp), so it never waits on decoding or on stdout;
// a datagram that finds the queue full is counted (dropped_queue), and the kernel's own
// drops (receive buffer full) are read from SO_RXQ_OVFL and /proc/net/udp
// (dropped_kernel). The calling thread decodes, authenticates (USM), answers informs,
// names the trap from the catalogue and writes the events. So at any moment:
//   sent = received + dropped_kernel
//   received = dropped_queue + malformed + decoded
//   decoded = delivered + rejected + rate_limited + deduplicated + handshakes

#include "core/context.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dce::trapd {

struct TrapdOptions {
    std::vector<std::string> listen;  ///< none: socket activation, else 0.0.0.0:162 + [::]:162
    std::vector<std::string> catalogue_dirs;
    std::vector<std::string> allow_engine_ids;  ///< hex; empty: any
    bool any_community = false;                 ///< accept v1/v2c with any community
    bool report_rejected = false;
    std::size_t rcvbuf = 8u << 20;
    std::size_t queue_bytes = 32u << 20;
    std::int64_t stats_interval_ms = 60'000;  ///< 0: only at exit
    std::int64_t report_interval_ms = 60'000;
    double rate_limit = 0;      ///< events per second per source; 0: none
    std::int64_t dedup_ms = 0;  ///< fold identical traps within this window; 0: off
    std::uint64_t count = 0;    ///< exit after this many events; 0: run until signalled
    std::string state_dir;      ///< empty: default_state_dir()
    std::string engine_id;      ///< hex; empty: generated once and kept
    std::string site;
    std::string metrics_file;  ///< --metrics-file: own counters every --stats-interval, at exit
};

int run_trapd(ToolContext& ctx, const TrapdOptions& options);

/// "8M", "512K", "1G", "65536": bytes; false when malformed.
bool parse_size(const std::string& text, std::size_t& out);

}  // namespace dce::trapd
