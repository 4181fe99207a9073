#pragma once
// dce-discover --modbus: for each target, connect TCP to its Modbus port and ask each
// --unit-ids unit who it is: Read Device Identification (0x2B/0x0E, regular objects,
// following "more follows"), falling back to Report Server ID (0x11); pick a register map
// by the identification's vendor/product; read the map's identity registers (APC: model,
// serial, firmware); write one `device` record per answering unit.

#include "core/jsonl.hpp"
#include "core/targets.hpp"
#include "discover/discover.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dce::discover {

/// "1,255,0", "1-10", "0-3,17": unit ids in the order given, each once.
bool parse_unit_ids(const std::string& text, std::vector<std::uint8_t>& ids, std::string& error);

/// Sweeps `targets` over Modbus TCP; adds to `summary`. An exit code.
int run_modbus_sweep(const DiscoverOptions& opts, TargetList& targets, RecordWriter& out,
                     DiscoverSummary& summary);

}  // namespace dce::discover
