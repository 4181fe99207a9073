#include "modbus/plan.hpp"

#include <algorithm>
#include <numeric>

namespace dce::modbus {

PlanLimits limits_of(const RegisterMap& m) {
    return {.max_registers = m.max_registers, .max_bits = m.max_bits, .max_gap = m.max_gap};
}

std::vector<ReadRequest> plan_reads(const std::vector<Field>& fields, const PlanLimits& limits,
                                    const PlanMemory& memory,
                                    const std::vector<std::size_t>& which) {
    std::vector<std::size_t> idx = which;
    if (idx.empty()) {
        idx.resize(fields.size());
        std::iota(idx.begin(), idx.end(), 0);
    }
    std::erase_if(idx,
                  [&](std::size_t i) { return i >= fields.size() || memory.bad_fields.count(i); });
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        const Field& x = fields[a];
        const Field& y = fields[b];
        if (x.table != y.table) return x.table < y.table;
        if (x.address != y.address) return x.address < y.address;
        return x.end() < y.end();
    });
    auto refused = [&](Table t, std::uint32_t start, std::uint32_t end) {
        Range r{t, static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(end - start)};
        return std::any_of(memory.bad_ranges.begin(), memory.bad_ranges.end(),
                           [&](const Range& b) { return r.contains(b); });
    };
    std::vector<ReadRequest> out;
    for (std::size_t i : idx) {
        const Field& f = fields[i];
        bool bits = is_bit_table(f.table);
        std::uint32_t limit = bits ? limits.max_bits : limits.max_registers;
        std::uint32_t gap_limit = bits ? std::uint32_t{limits.max_gap} * 16 : limits.max_gap;
        if (!out.empty()) {
            ReadRequest& cur = out.back();
            std::uint32_t cur_end = cur.range.end();
            std::uint32_t new_end = std::max(cur_end, f.end());
            std::uint32_t gap = f.address > cur_end ? f.address - cur_end : 0;
            if (cur.range.table == f.table && gap <= gap_limit &&
                new_end - cur.range.start <= limit && !refused(f.table, cur.range.start, new_end)) {
                cur.range.count = static_cast<std::uint16_t>(new_end - cur.range.start);
                cur.fields.push_back(i);
                continue;
            }
        }
        out.push_back({{f.table, f.address, f.count}, {i}});
    }
    return out;
}

bool on_illegal_address(const ReadRequest& r, PlanMemory& memory) {
    if (r.fields.size() == 1) {
        memory.bad_fields.insert(r.fields.front());
        return true;
    }
    if (std::find(memory.bad_ranges.begin(), memory.bad_ranges.end(), r.range) ==
        memory.bad_ranges.end())
        memory.bad_ranges.push_back(r.range);
    return false;
}

}  // namespace dce::modbus
