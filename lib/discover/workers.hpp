#pragma once
// A bounded pool for the sweeps that speak blocking, deadline-bounded TCP (HTTP(S) and
// TCP 6000 through lib/audit's client): up to `threads` targets in flight, each worker
// turns one target into records, and only the calling thread writes them (RecordWriter
// is single-threaded, and an EPIPE there ends the run as in every tool). The pace of new
// connections is lib/audit's pace() (--rate), shared by every worker.

#include "core/jsonl.hpp"
#include "core/record.hpp"
#include "core/targets.hpp"

#include <functional>
#include <vector>

namespace dce::discover {

/// Runs `probe` for every target on up to `threads` threads and writes what each
/// returns to `out`, in completion order. Stops taking targets when interrupted().
/// Returns the number of targets probed.
std::uint64_t for_each_target(TargetList& targets, std::size_t threads,
                              const std::function<std::vector<Json>(const Target&)>& probe,
                              RecordWriter& out);

}  // namespace dce::discover
