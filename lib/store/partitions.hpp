#pragma once
// Readings on PostgreSQL are partitioned by UTC day (schema version 4, docs/STORE.md):
// one table per day named readings_pYYYYMMDD, a default partition for anything no day
// partition covers (so no row is ever refused), and, in a database upgraded from an
// older version, readings_legacy holding every earlier row. Ingest creates the day
// partitions it needs (and the next day's) before each batch; prune drops partitions
// wholly older than the cutoff instead of deleting their rows.

#include "store/db.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dce::store {

inline constexpr std::int64_t partition_ms = 24LL * 3600 * 1000;
/// Day partitions are made no further than this ahead of the clock; later readings (a
/// device with a wrong clock) go to the default partition instead of making tables.
inline constexpr std::int64_t partition_ahead_ms = 7 * partition_ms;

/// Start of the UTC day holding `ts` (ms since the epoch), also before 1970.
inline std::int64_t partition_start(std::int64_t ts) {
    std::int64_t q = ts / partition_ms;
    if (ts % partition_ms != 0 && ts < 0) --q;
    return q * partition_ms;
}

struct Partition {
    std::string name;
    std::int64_t lo = 0, hi = 0;  ///< [lo, hi); INT64_MIN for MINVALUE
    bool is_default = false;
};

/// True when `readings` is a partitioned table (PostgreSQL, schema version 4).
bool readings_partitioned(Db& db, bool& yes, std::string& error);
/// The partitions of `readings` with their bounds.
bool list_partitions(Db& db, std::vector<Partition>& out, std::string& error);
/// "readings_p20261130" for the day starting at `start`.
std::string partition_name(std::int64_t start);
/// Makes the day partition starting at `start` inside the caller's transaction without
/// blocking concurrent writers (CREATE TABLE ... LIKE, then ATTACH PARTITION, which takes
/// only SHARE UPDATE EXCLUSIVE on `readings`), first moving any of its rows out of the
/// default partition.
bool create_partition(Db& db, std::int64_t start, std::string& error);

}  // namespace dce::store
