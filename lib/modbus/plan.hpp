#pragma once
// The request planner: the fewest reads that cover a unit's fields, within its limits,
// and what to do when the unit answers exception 2 (illegal data address).
//
// Merging rule: fields of one table are taken by address; a field joins the current
// read when the read stays within the map's limit (max_registers, default 125; max_bits,
// default 2000, for coils and discrete inputs), the gap between them is at most max_gap
// registers (default 16; 16 × max_gap bits for bit tables), and the merged range does not
// contain a range the unit already refused. A gap costs 2 bytes a register on the wire;
// a request costs a round trip on a connection that carries one request at a time, so
// reading a few unused registers is cheaper than a second request. Gaps are also where
// a unit may have no registers; exception 2 on a merged read is therefore expected and
// handled:
//   - a read of several fields that gets exception 2 is remembered as a bad range and its
//     fields are planned again (now in smaller reads, none containing the bad range);
//   - a field read alone that gets exception 2 is itself bad: it becomes an error record
//     and is left out of later plans.
// Pure functions: no I/O, unit-tested.

#include "modbus/map.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace dce::modbus {

struct Range {
    Table table = Table::holding;
    std::uint16_t start = 0;
    std::uint16_t count = 0;
    std::uint32_t end() const { return std::uint32_t{start} + count; }
    bool contains(const Range& o) const {
        return table == o.table && start <= o.start && end() >= o.end();
    }
    bool operator==(const Range&) const = default;
};

struct ReadRequest {
    Range range;
    std::vector<std::size_t> fields;  ///< indexes into the fields planned
};

struct PlanLimits {
    std::uint16_t max_registers = max_read_registers;
    std::uint16_t max_bits = max_read_bits;
    std::uint16_t max_gap = 16;  ///< registers (bits: 16 × max_gap)
};
PlanLimits limits_of(const RegisterMap& m);

/// What a unit's exceptions taught: ranges it refused, fields that are bad alone.
struct PlanMemory {
    std::vector<Range> bad_ranges;
    std::set<std::size_t> bad_fields;
    bool empty() const { return bad_ranges.empty() && bad_fields.empty(); }
};

/// Reads covering `which` (indexes into `fields`; all when empty), leaving out
/// memory.bad_fields. Requests come per table (coil, discrete, input, holding), by address.
std::vector<ReadRequest> plan_reads(const std::vector<Field>& fields, const PlanLimits& limits,
                                    const PlanMemory& memory,
                                    const std::vector<std::size_t>& which = {});

/// Exception 2 on `r`: remembers it. True when `r` was a single field, which is now bad
/// (an error record); false when its fields are to be planned again (plan_reads with
/// which = r.fields).
bool on_illegal_address(const ReadRequest& r, PlanMemory& memory);

}  // namespace dce::modbus
