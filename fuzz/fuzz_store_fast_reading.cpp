// Differential fuzzing of dce-store's simdjson fast path: whenever it accepts a line,
// the core path (parse_record_line + check_record + to_row) must accept it too and make
// the very same row — else re-ingesting through the other path would store a duplicate
// or a different value.
#include "core/jsonl.hpp"
#include "store/fast_reading.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static dce::store::FastReadingParser fast;
    std::string_view line(reinterpret_cast<const char*>(data), size);
    if (line.find('\n') != std::string_view::npos) return 0;  // one line at a time
    dce::store::Row f, c;
    if (!fast.parse(line, "", f)) return 0;
    dce::Json j;
    std::string why;
    if (!dce::parse_record_line(line, j, why, true) || !dce::store::to_row(j, "", c, why))
        __builtin_trap();
    if (f.ts != c.ts || f.site != c.site || f.device != c.device || f.metric != c.metric ||
        f.labels != c.labels || f.unit != c.unit || f.source != c.source ||
        f.has_num != c.has_num || (f.has_num && f.num != c.num) || f.has_txt != c.has_txt ||
        f.txt != c.txt || f.extra != c.extra)
        __builtin_trap();
    return 0;
}
