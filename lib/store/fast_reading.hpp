#pragma once
// The hot ingest path: a `reading` line of the common shape is flattened straight from
// simdjson into a Row, skipping the nlohmann::ordered_json tree (its allocations were
// most of ingest's CPU). Anything unusual (another type, extra fields, labels that are
// not plain strings or integers, a bad value) returns false, and the caller takes the
// core path (parse_record_line + check_record + to_row), which also produces every error
// message; so the two paths store identical rows and report identical reasons.

#include "store/store.hpp"

#include <memory>
#include <string_view>

namespace dce::store {

class FastReadingParser {
  public:
    FastReadingParser();
    ~FastReadingParser();
    FastReadingParser(const FastReadingParser&) = delete;
    FastReadingParser& operator=(const FastReadingParser&) = delete;
    /// True when `line` is a valid reading of the common shape, flattened into `row`.
    bool parse(std::string_view line, std::string_view forced_site, Row& row);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dce::store
