#pragma once
// One table per stored kind, as lsblk's infos[] drives its columns: the record type it
// holds, its SQL table and columns, how a record fills a Row and a Row binds the insert,
// its query filters and its output columns. store.cpp, query.cpp and tool.cpp read this
// table instead of each switching on the kind. The DDL stays the migration history in
// schema.cpp (a past version never changes); store_test checks that every column named
// here exists in the migrated schema.
#include "store/store.hpp"

#include <span>
#include <string_view>

namespace dce::store {

/// A column of a kind's table: filled from a Row member, which `key` (when set) fills
/// from the record's string field of that name.
struct KindColumn {
    std::string_view name;
    std::string Row::*text = nullptr;      ///< bound as text ...
    std::int64_t Row::*integer = nullptr;  ///< ... or as an integer
    bool null_if_empty = false;            ///< "" is stored as NULL
    std::string_view key = {};             ///< record field copied into `text` by to_row
};

/// A query option that filters a kind: its values must match `column` (or `alt_column`).
struct KindFilter {
    std::vector<std::string> Query::*values;
    std::string_view column;
    bool pattern = false;              ///< `*` wildcards (LIKE); otherwise IN (...)
    std::string_view alt_column = {};  ///< matches either column (events: source or device)
};

struct KindSpec {
    Kind kind;
    std::string_view name;         ///< record type ("device"); plural for the CLI
    std::string_view table;        ///< SQL table
    std::string_view time_column;  ///< --since/--until, retention, stats
    std::string_view order;        ///< ORDER BY of a query
    /// Insert columns, in $1..$n order; empty for readings (series + readings, by hand).
    std::span<const KindColumn> columns;
    /// After the column list: ON CONFLICT ... ({LEAST}/{GREATEST} per dialect).
    std::string_view on_conflict;
    /// Appended kinds are keyed by time and a hash of their content (Row::hash).
    bool hashed;
    /// Kind-specific flattening after the columns' fields are copied; nullptr: `rec`
    /// (and the hash) only.
    bool (*flatten)(const Json& rec, Row& row, std::string& why);
    std::span<const KindFilter> filters;
    /// Columns holding ms timestamps put back into the queried record (devices).
    std::span<const std::string_view> time_fields;
    /// Logs the DCE handbook asks to keep for 30 days (prune warns below that).
    bool is_log;
    /// Record fields shown by --format table/csv, space-separated.
    std::string_view output;
};

std::span<const KindSpec> kind_specs();
const KindSpec& kind_spec(Kind k);

/// A reading from a row whose columns are site, device, metric, labels, unit, source,
/// ts, num, txt, extra (query.cpp and changes.cpp select them in this order).
Json reading_record(Stmt& st);
/// A stored record of kind `k` from a row whose columns are site, rec, then the kind's
/// time_fields.
Json stored_record(const KindSpec& k, Stmt& st);

/// --format table/csv for readings bucketed with --every.
inline constexpr std::string_view bucket_output =
    "site ts device metric labels min max avg last count unit";

}  // namespace dce::store
