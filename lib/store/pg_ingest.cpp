// PostgreSQL ingest. A batch is one transaction: its new series and its readings are
// sent with binary COPY into temporary staging tables (private to the session, emptied
// at commit), then one INSERT ... SELECT ... ON CONFLICT moves them into the real tables,
// so the natural-key deduplication is the same as row by row and a batch is either all
// committed or not at all. Before the transaction, the day partitions the batch needs
// are made in a short transaction of their own (store/partitions.hpp).
#include "store/kinds.hpp"
#include "store/partitions.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <set>

namespace dce::store {
namespace {

// PostgreSQL's binary COPY format: a header, then per row a field count and each field
// as a length (-1: NULL) and its bytes, integers big-endian; a -1 count ends it.
class BinaryCopy {
  public:
    BinaryCopy() { buf_.append("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19); }
    void row(std::int16_t fields) { be(static_cast<std::uint16_t>(fields)); }
    void null() { be(static_cast<std::uint32_t>(0xffffffffu)); }
    void i64(std::int64_t v) {
        be(std::uint32_t{8});
        be(static_cast<std::uint64_t>(v));
    }
    void f64(double v) {
        be(std::uint32_t{8});
        be(std::bit_cast<std::uint64_t>(v));
    }
    void text(std::string_view s) {
        be(static_cast<std::uint32_t>(s.size()));
        buf_.append(s);
    }
    void opt_text(std::string_view s) { s.empty() ? null() : text(s); }
    std::string_view finish() {
        be(std::uint16_t{0xffff});
        return buf_;
    }
    void reserve(std::size_t n) { buf_.reserve(n); }

  private:
    template <class U>
    void be(U v) {
        char b[sizeof v];
        for (std::size_t i = 0; i < sizeof v; ++i)
            b[i] = static_cast<char>(v >> (8 * (sizeof v - 1 - i)));
        buf_.append(b, sizeof v);
    }
    std::string buf_;
};

std::string series_key(const Row& r) {
    std::string key = r.site;
    key.append(1, '\0').append(r.device).append(1, '\0').append(r.metric).append(1, '\0').append(
        r.labels);
    return key;
}

bool fail(Stmt& st, std::string& e, bool& busy) {
    busy = st.busy();
    e = st.error();
    st.reset();
    return false;
}

// Adds the seconds since `t` to `sum` and restarts `t`.
void lap(std::chrono::steady_clock::time_point& t, double& sum) {
    auto now = std::chrono::steady_clock::now();
    sum += std::chrono::duration<double>(now - t).count();
    t = now;
}

}  // namespace

bool Writer::prepare_pg(std::string& e) {
    if (pg_ready_) return true;
    // Staging tables live as long as the session; ON COMMIT DELETE ROWS empties them at
    // every commit, and a rolled-back batch leaves nothing behind either.
    if (!db_.exec("CREATE TEMP TABLE IF NOT EXISTS dce_stage_series (k BIGINT, site TEXT, "
                  "device TEXT, metric TEXT, labels TEXT, unit TEXT, source TEXT) "
                  "ON COMMIT DELETE ROWS",
                  e) ||
        !db_.exec("CREATE TEMP TABLE IF NOT EXISTS dce_stage_readings (series BIGINT, ts BIGINT, "
                  "num DOUBLE PRECISION, txt TEXT, extra TEXT) ON COMMIT DELETE ROWS",
                  e) ||
        !db_.exec("CREATE TEMP TABLE IF NOT EXISTS dce_stage_last (series BIGINT, ts BIGINT) "
                  "ON COMMIT DELETE ROWS",
                  e))
        return false;
    // Series whose unit or source changed are updated, as the row-by-row path does; the
    // ORDER BY takes row locks in one order, so two writers cannot deadlock on them.
    stage_series_insert_ = db_.prepare(
        "INSERT INTO series (site, device, metric, labels, unit, source) "
        "SELECT site, device, metric, labels, unit, source FROM dce_stage_series "
        "ORDER BY site, device, metric, labels "
        "ON CONFLICT (site, device, metric, labels) DO UPDATE SET unit = excluded.unit, "
        "source = excluded.source WHERE series.unit IS DISTINCT FROM excluded.unit OR "
        "series.source IS DISTINCT FROM excluded.source",
        e);
    if (stage_series_insert_)
        stage_series_ids_ = db_.prepare(
            "SELECT t.k, s.id FROM dce_stage_series t JOIN series s ON s.site = t.site AND "
            "s.device = t.device AND s.metric = t.metric AND s.labels = t.labels",
            e);
    if (stage_series_ids_)
        stage_readings_insert_ = db_.prepare(
            "INSERT INTO readings (series, ts, num, txt, extra) "
            "SELECT series, ts, num, txt, extra FROM dce_stage_readings ON CONFLICT DO NOTHING",
            e);
    if (stage_readings_insert_)
        stage_last_ts_ = db_.prepare(
            "UPDATE series s SET last_ts = v.ts FROM dce_stage_last v WHERE s.id = v.series AND "
            "(s.last_ts IS NULL OR s.last_ts < v.ts)",
            e);
    if (!stage_last_ts_ || !readings_partitioned(db_, partitioned_, e)) return false;
    pg_ready_ = true;
    return true;
}

bool Writer::ensure_partitions(const std::vector<Row>& rows, std::string& e, bool& busy) {
    if (!partitioned_) return true;
    auto covered = [&](std::int64_t day) {
        for (const auto& [lo, hi] : covered_)
            if (day >= lo && day < hi) return true;
        return false;
    };
    std::int64_t limit = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         partition_ahead_ms;
    std::set<std::int64_t> missing;
    for (const Row& r : rows) {
        if (r.kind != Kind::reading) continue;
        std::int64_t day = partition_start(r.ts);
        if (day == last_day_) continue;
        // Also the next day: a poller crossing midnight finds it made.
        for (std::int64_t d : {day, day + partition_ms})
            if (d <= limit && !covered(d)) missing.insert(d);
        if (covered(day)) last_day_ = day;
    }
    if (missing.empty() && parts_loaded_) return true;
    // One creator at a time across every writer (advisory lock 4202, held to commit); the
    // list is read again under it, since another writer may have made these already.
    if (!db_.begin_write(e)) return false;
    bool ok = db_.exec("SELECT pg_advisory_xact_lock(4202)", e);
    std::vector<Partition> parts;
    ok = ok && list_partitions(db_, parts, e);
    if (ok) {
        covered_.clear();
        for (const Partition& p : parts)
            if (!p.is_default) covered_.emplace_back(p.lo, p.hi);
        parts_loaded_ = true;
    }
    for (auto it = missing.begin(); ok && it != missing.end(); ++it) {
        if (covered(*it)) continue;
        ok = create_partition(db_, *it, e);
        if (ok) covered_.emplace_back(*it, *it + partition_ms);
    }
    if (ok && db_.commit(e)) return true;
    busy = db_.conflict();
    db_.rollback();
    covered_.clear();
    parts_loaded_ = false;
    last_day_ = -1;
    return false;
}

bool Writer::resolve_series_pg(const std::vector<const Row*>& readings,
                               std::vector<std::int64_t>& ids, std::string& e, bool& busy) {
    ids.assign(readings.size(), 0);
    // Series this process has not seen: each sent once (its first row's unit and source,
    // as the row-by-row path keeps), in one COPY, then upserted and looked up together.
    std::vector<std::size_t> slot(readings.size(), 0);  // 1 + index into `fresh`
    std::vector<std::pair<std::string, const Row*>> fresh;
    std::unordered_map<std::string, std::size_t> fresh_index;
    for (std::size_t i = 0; i < readings.size(); ++i) {
        std::string key = series_key(*readings[i]);
        if (auto it = series_ids_.find(key); it != series_ids_.end()) {
            ids[i] = it->second;
            continue;
        }
        auto [it, added] = fresh_index.try_emplace(std::move(key), fresh.size());
        if (added) fresh.emplace_back(it->first, readings[i]);
        slot[i] = it->second + 1;
    }
    if (fresh.empty()) return true;
    BinaryCopy c;
    for (std::size_t k = 0; k < fresh.size(); ++k) {
        const Row& r = *fresh[k].second;
        c.row(7);
        c.i64(static_cast<std::int64_t>(k));
        c.text(r.site);
        c.text(r.device);
        c.text(r.metric);
        c.text(r.labels);
        c.opt_text(r.unit);
        c.opt_text(r.source);
    }
    std::int64_t n = 0;
    if (!db_.copy_in("COPY dce_stage_series FROM STDIN (FORMAT binary)", c.finish(), n, e))
        return busy = db_.conflict(), false;
    if (stage_series_insert_->step() == Stmt::Step::error)
        return fail(*stage_series_insert_, e, busy);
    stage_series_insert_->reset();
    std::vector<std::int64_t> fresh_ids(fresh.size(), 0);
    Stmt& g = *stage_series_ids_;
    Stmt::Step st;
    while ((st = g.step()) == Stmt::Step::row) {
        auto k = static_cast<std::size_t>(g.col_int(0));
        if (k < fresh_ids.size()) fresh_ids[k] = g.col_int(1);
    }
    if (st == Stmt::Step::error) return fail(g, e, busy);
    g.reset();
    for (std::size_t k = 0; k < fresh.size(); ++k) {
        if (fresh_ids[k] == 0) return e = "series of a reading not found after insert", false;
        series_ids_.emplace(std::move(fresh[k].first), fresh_ids[k]);
    }
    for (std::size_t i = 0; i < readings.size(); ++i)
        if (slot[i]) ids[i] = fresh_ids[slot[i] - 1];
    return true;
}

// The readings of a batch. While no duplicates turn up, COPY goes straight into
// `readings` inside a savepoint: the primary key (series, ts) refuses the whole COPY if
// any row is already stored (or is being stored by another writer), proving there was no
// duplicate when it succeeds. On such a refusal the savepoint is rolled back and the
// batch goes through the staging table and INSERT ... ON CONFLICT DO NOTHING, as do the
// following batches until one of them finds no duplicate (re-ingesting a file is
// duplicates from start to end). Either way series.last_ts then moves once per series.
bool Writer::copy_readings(const std::vector<const Row*>& readings,
                           const std::vector<std::int64_t>& ids, Counts& counts, std::string& e,
                           bool& busy) {
    auto t = std::chrono::steady_clock::now();
    BinaryCopy c;
    c.reserve(readings.size() * 48);
    batch_last_.clear();
    for (std::size_t i = 0; i < readings.size(); ++i) {
        const Row& r = *readings[i];
        c.row(5);
        c.i64(ids[i]);
        c.i64(r.ts);
        r.has_num ? c.f64(r.num) : c.null();
        r.has_txt ? c.text(r.txt) : c.null();
        c.opt_text(r.extra);
        auto [slot, fresh] = batch_last_.try_emplace(ids[i], r.ts);
        if (!fresh && slot->second < r.ts) slot->second = r.ts;
    }
    std::string_view data = c.finish();
    std::int64_t n = 0;
    bool staged = !copy_direct_;
    if (copy_direct_) {
        if (!db_.exec("SAVEPOINT dce_copy", e)) return false;
        if (db_.copy_in("COPY readings (series, ts, num, txt, extra) FROM STDIN (FORMAT binary)",
                        data, n, e)) {
            if (!db_.exec("RELEASE SAVEPOINT dce_copy", e)) return false;
            counts[Kind::reading].stored += static_cast<std::uint64_t>(n);
        } else if (db_.duplicate_key()) {
            if (!db_.exec("ROLLBACK TO SAVEPOINT dce_copy", e)) return false;
            copy_direct_ = false;
            staged = true;
        } else {
            return busy = db_.conflict(), false;
        }
    }
    lap(t, timings.copy);
    if (staged) {
        if (!db_.copy_in("COPY dce_stage_readings FROM STDIN (FORMAT binary)", data, n, e))
            return busy = db_.conflict(), false;
        lap(t, timings.copy);
        Stmt& ins = *stage_readings_insert_;
        if (ins.step() == Stmt::Step::error) return fail(ins, e, busy);
        auto stored = static_cast<std::uint64_t>(ins.changes());
        ins.reset();
        counts[Kind::reading].stored += stored;
        counts[Kind::reading].duplicate += readings.size() - stored;
        if (stored == readings.size()) copy_direct_ = true;  // back to COPY straight in
        lap(t, timings.insert);
    }
    // On PostgreSQL series.last_ts is a lower bound of the newest reading's time, kept
    // within a day of it: `query --last` reads from that day's partition onward. Moving
    // it once per series and day instead of once per batch saves an UPDATE per reading
    // when batches are smaller than a poll round.
    BinaryCopy last;
    std::size_t moved = 0;
    for (const auto& [id, ts] : batch_last_) {
        auto it = last_sent_.find(id);
        if (it != last_sent_.end() && ts < it->second + partition_ms) continue;
        last.row(2);
        last.i64(id);
        last.i64(ts);
        ++moved;
    }
    if (moved == 0) return lap(t, timings.last_ts), true;
    if (!db_.copy_in("COPY dce_stage_last FROM STDIN (FORMAT binary)", last.finish(), n, e))
        return busy = db_.conflict(), false;
    Stmt& u = *stage_last_ts_;
    if (u.step() == Stmt::Step::error) return fail(u, e, busy);
    u.reset();
    // Known only once committed: write_once_pg moves these into last_sent_.
    for (const auto& [id, ts] : batch_last_) {
        auto it = last_sent_.find(id);
        if (it == last_sent_.end() || ts >= it->second + partition_ms) last_pending_[id] = ts;
    }
    lap(t, timings.last_ts);
    return true;
}

bool Writer::write_once_pg(const std::vector<Row>& rows, Counts& counts, std::string& e,
                           bool& busy) {
    auto t = std::chrono::steady_clock::now();
    if (!db_.begin_write(e)) return false;
    bool ok = begin_changes(e, busy) && write_sites(rows, e, busy);
    std::vector<const Row*> readings;
    readings.reserve(rows.size());
    for (std::size_t i = 0; ok && i < rows.size(); ++i) {
        if (rows[i].kind == Kind::reading)
            readings.push_back(&rows[i]);
        else
            ok = write_row(rows[i], counts, e, busy);
    }
    std::vector<std::int64_t> ids;
    ok = ok && resolve_series_pg(readings, ids, e, busy);
    lap(t, timings.series);
    if (ok && !readings.empty()) ok = copy_readings(readings, ids, counts, e, busy);
    t = std::chrono::steady_clock::now();
    if (ok && db_.commit(e)) {
        for (const auto& [id, ts] : last_pending_)
            last_sent_[id] = ts;
        last_pending_.clear();
        return lap(t, timings.commit), true;
    }
    last_pending_.clear();
    if (!busy) busy = db_.conflict();
    db_.rollback();
    // Series ids made in the rolled-back transaction no longer exist.
    series_ids_.clear();
    return false;
}

}  // namespace dce::store
