#pragma once
// The store: one schema on SQLite and PostgreSQL (docs/STORE.md), versioned with
// migrations; records in, records out. Devices are upserted (first/last seen kept),
// readings are appended under a natural key (series + ts) so re-ingesting the same input
// stores nothing twice, events/certs/errors/findings are appended under a key of their
// own content, and record types this build does not know are kept whole.

#include "core/hash.hpp"
#include "core/record.hpp"
#include "store/db.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace dce::store {

inline constexpr int schema_version_current = 6;

/// 2^53: integers beyond it do not survive a double (the `num` column), so a reading's
/// value beyond it is also kept exactly in `extra`.
inline constexpr std::int64_t max_exact_integer = 9007199254740992;

/// Kinds of stored record; `other` keeps types this build does not know.
enum class Kind { device, reading, event, cert, finding, error, other };
inline constexpr Kind all_kinds[] = {Kind::device,  Kind::reading, Kind::event, Kind::cert,
                                     Kind::finding, Kind::error,   Kind::other};
std::string_view kind_name(Kind k);
std::optional<Kind> kind_from_name(std::string_view name);  ///< also plural: "devices"

/// Opens the store named by `spec`: a postgresql:// URL or a SQLite path.
struct OpenOptions {
    std::string spec;
    std::string password;  ///< PostgreSQL only, from the credentials file
    bool create = true;
    bool read_only = false;
    std::int64_t max_pages = 0;         ///< SQLite: PRAGMA max_page_count (tests: a full disk)
    std::function<bool()> interrupted;  ///< PostgreSQL: gives up connecting when true
};
std::unique_ptr<Db> open_db(const OpenOptions& opts, std::string& error);
bool is_postgres_url(std::string_view spec);

/// The schema version of a database; 0 when it has none yet.
bool read_schema_version(Db& db, int& version, std::string& error);
/// Creates the schema or upgrades it in place, one migration per transaction; refuses
/// a database newer than this build. `target` is for tests (making a v1 database).
bool migrate(Db& db, std::string& error, int target = schema_version_current);

/// One input record, flattened for its table. Made on the parsing thread so the
/// writing thread only binds values.
struct Row {
    Kind kind = Kind::other;
    std::uint64_t line = 0;
    std::string site;
    std::int64_t ts = 0;  ///< ms since the epoch
    // reading: series key and value
    std::string device, metric, labels, unit, source;
    bool has_num = false;
    double num = 0;
    bool has_txt = false;
    std::string txt;
    std::string extra;  ///< reading: other fields as a JSON object, or empty
    // device
    std::string id, dev_class, vendor, model;
    std::int64_t first_seen = 0, last_seen = 0;
    // finding / error / event / cert / other
    std::string type, tool, check, target, status, severity, name, code;
    std::int64_t hash = 0;
    std::string rec;  ///< the record as JSON, without `site` (kept in its column)
};

/// Flattens a checked record. `forced_site` (from --site) is given to records without
/// one; a record naming another site is refused with a reason.
bool to_row(const Json& record, std::string_view forced_site, Row& row, std::string& why);

struct KindCounts {
    std::uint64_t stored = 0;     ///< new rows (devices: new or updated)
    std::uint64_t duplicate = 0;  ///< already present (re-ingested input)
};
using Counts = std::map<Kind, KindCounts>;

/// Writes batches, each in one transaction: a record counts as stored only once its
/// batch committed. Lock contention is waited out and the batch retried. On PostgreSQL
/// readings (and new series) go in with binary COPY into session-private staging tables,
/// then one INSERT ... SELECT ... ON CONFLICT DO NOTHING per batch keeps the natural key.
class Writer {
  public:
    explicit Writer(Db& db) : db_(db) {}
    /// PostgreSQL: false writes readings with multi-row INSERTs as before COPY (kept for
    /// bench/store.sh's comparison: DCE_STORE_PG_INSERT=1).
    bool pg_copy = true;
    /// PostgreSQL COPY path: seconds spent per phase, summed over batches (debug log).
    struct Timings {
        double partitions = 0, series = 0, copy = 0, insert = 0, last_ts = 0, commit = 0;
    } timings;
    bool write(const std::vector<Row>& rows, Counts& counts, std::string& error);

  private:
    bool write_once(const std::vector<Row>& rows, Counts& counts, std::string& error, bool& busy);
    bool prepare_all(std::string& error);
    bool write_row(const Row& r, Counts& counts, std::string& error, bool& busy);
    bool flush_readings(Counts& counts, std::string& error, bool& busy);
    bool write_sites(const std::vector<Row>& rows, std::string& error, bool& busy);
    // The change feed's offsets (seq): taken at the start of a write transaction and,
    // on SQLite, given back to the counter before commit.
    bool begin_changes(std::string& error, bool& busy);
    bool end_changes(std::string& error, bool& busy);
    std::int64_t* seq_ptr() { return db_.dialect() == Dialect::sqlite ? &seq_next_ : nullptr; }
    int reading_params() const { return db_.dialect() == Dialect::sqlite ? 6 : 5; }
    std::int64_t seq_next_ = 0;
    std::unique_ptr<Stmt> changes_begin_, changes_end_;
    // PostgreSQL: COPY (pg_ingest.cpp).
    bool write_once_pg(const std::vector<Row>& rows, Counts& counts, std::string& error,
                       bool& busy);
    bool prepare_pg(std::string& error);
    bool ensure_partitions(const std::vector<Row>& rows, std::string& error, bool& busy);
    bool copy_readings(const std::vector<const Row*>& readings,
                       const std::vector<std::int64_t>& ids, Counts& counts, std::string& error,
                       bool& busy);
    bool copy_direct_ = true;  // COPY straight into readings until a duplicate turns up
    // series -> last_ts this writer committed (and one in the open transaction)
    std::unordered_map<std::int64_t, std::int64_t> last_sent_, last_pending_;
    bool resolve_series_pg(const std::vector<const Row*>& readings, std::vector<std::int64_t>& ids,
                           std::string& error, bool& busy);
    Db& db_;
    bool pg_ready_ = false, partitioned_ = false, parts_loaded_ = false;
    std::vector<std::pair<std::int64_t, std::int64_t>> covered_;  // day partitions' [lo, hi)
    std::int64_t last_day_ = -1;                                  // last day found covered
    std::unique_ptr<Stmt> stage_series_insert_, stage_series_ids_, stage_readings_insert_,
        stage_last_ts_;
    // Readings go in as multi-row INSERTs: one statement per chunk instead of per row
    // is most of SQLite's per-row cost (and a round trip per row on PostgreSQL).
    static constexpr std::size_t reading_chunk = 64;
    std::unique_ptr<Stmt> reading_many_, series_get_, series_last_;
    std::unordered_map<std::int64_t, std::int64_t> batch_last_;  // series -> newest ts in batch
    std::vector<std::pair<std::int64_t, const Row*>> pending_;
    std::unique_ptr<Stmt> site_, series_, reading_;
    std::unique_ptr<Stmt> inserts_[std::size(all_kinds)];  // by Kind; readings: above
    std::unordered_map<std::string, std::int64_t> series_ids_;
};

/// Keyset pagination: the values of one row's ORDER BY columns, integers or text.
using KeyValue = std::variant<std::int64_t, std::string>;
using RowKey = std::vector<KeyValue>;

/// What to read back.
struct Query {
    Kind kind = Kind::reading;
    std::optional<std::string> site;   ///< nullopt: every site (after the mixing check)
    std::vector<std::string> devices;  ///< device ids (events: source or device)
    std::vector<std::string> metrics;  ///< readings: names, `*` as a wildcard
    std::vector<std::pair<std::string, std::string>> labels;  ///< readings: key=value
    std::optional<std::int64_t> since, until;  ///< ms since the epoch, inclusive / exclusive
    bool last = false;                         ///< readings: last value per series
    std::int64_t every_ms = 0;                 ///< readings: min/max/avg/last per bucket
    std::vector<std::string> status;           ///< findings
    std::vector<std::string> severity;         ///< events, findings
    std::vector<std::string> checks;           ///< findings
    std::vector<std::string> types;            ///< other: record types
    std::int64_t limit = 0;                    ///< 0: no limit
    bool ordered = true;                       ///< false for export: storage order
    /// Keyset pagination: only rows after this key (a key run_query_keyed gave), compared
    /// as a row value with the ORDER BY columns; empty: from the start. Its shape must be
    /// query_key_shape(q)'s.
    RowKey after;
};

/// Advisory lock keys at and above this name a PostgreSQL write transaction in flight
/// for the change feed: the base plus a number at or below every offset it takes.
inline constexpr std::int64_t changes_lock_base = std::int64_t{1} << 62;

/// The change feed: records of `kinds` stored after offset `after` (the insertion
/// sequence, schema v6), in offset order, each with an added "offset"; at most `limit`.
/// `next_after` is where the next call resumes: the last offset given, or when fewer than
/// `limit` came, the highest offset known committed (every record at or below it was
/// already visible, so nothing committed later can fall behind it).
bool read_changes(Db& db, std::int64_t after, const std::optional<std::string>& site,
                  const std::vector<Kind>& kinds, std::int64_t limit,
                  const std::function<bool(const Json&)>& emit, std::int64_t& next_after,
                  std::string& error);

/// Every site present (records without a site count as ""), sorted.
bool list_sites(Db& db, std::vector<std::string>& sites, std::string& error);

/// Every distinct reading metric stored (of one site, or of all), sorted.
bool list_metrics(Db& db, const std::optional<std::string>& site, std::vector<std::string>& metrics,
                  std::string& error);

/// Streams records in the contract's shape (with `site` when set) to `emit`; stops
/// early when emit returns false.
bool run_query(Db& db, const Query& q, const std::function<bool(const Json&)>& emit,
               std::string& error);

/// As run_query, and gives each record's key: put it in Query::after to go on after that
/// record. Keys: devices (site, id); last readings (site, device, metric, labels);
/// readings (ts, site, device, metric, labels); readings with every_ms (series, start of
/// the bucket); the other kinds (ts, id).
bool run_query_keyed(Db& db, const Query& q,
                     const std::function<bool(const Json&, const RowKey&)>& emit,
                     std::string& error);
/// The shape of a key for `q`: true where the value is an integer, false for text.
std::vector<bool> query_key_shape(const Query& q);

struct PruneResult {
    Kind kind;
    std::int64_t cutoff;
    std::int64_t deleted;
    std::int64_t partitions_dropped = 0;  ///< PostgreSQL readings: whole days dropped
};
/// Deletes rows older than the cutoff of each kind given (devices: by last seen).
bool prune(Db& db, const std::map<Kind, std::int64_t>& cutoffs,
           const std::optional<std::string>& site, bool dry_run, std::vector<PruneResult>& out,
           std::string& error);

struct KindStats {
    std::int64_t rows = 0;
    std::optional<std::int64_t> first_ts, last_ts;
};
struct Stats {
    int schema_version = 0;
    std::map<Kind, KindStats> kinds;
    std::int64_t series = 0;
    std::vector<std::string> sites;
    std::optional<std::int64_t> bytes;  ///< SQLite: file + WAL size
};
bool collect_stats(Db& db, const std::optional<std::string>& site, Stats& out, std::string& error);

/// FNV-1a, 64 bits: stable across builds and machines (std::hash is not).
using ::dce::fnv1a64;
/// ms since the epoch <-> the contract's RFC 3339 form.
std::string format_ms(std::int64_t ms);

}  // namespace dce::store
