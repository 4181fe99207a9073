// The change feed (store.hpp read_changes): every stored record after an offset, in
// offset order, so a reader that resumes from the last offset it saw misses nothing.
//
// Offsets are the `seq` column of schema v6. On SQLite writers take them from a counter
// row inside their write transaction, one writer at a time, so offsets grow in commit
// order and a read transaction's snapshot holds every offset below the counter.
//
// On PostgreSQL writers run in parallel and number rows from a sequence (nextval), so a
// row with a higher offset may commit before one with a lower. Each write transaction
// first takes a shared advisory lock keyed changes_lock_base + the sequence's value at
// that moment, which is at or below every offset it will take. The reader computes a
// horizon below which every offset belongs to a finished transaction:
//   1. V = the next value the sequence would hand out;
//   2. M = the lowest key of such a lock held now (pg_locks);
//   horizon = min(V, M), and only rows with seq < horizon are read (statements started
//   after 1 and 2, each with a fresh snapshot).
// A writer seen in 2 has all its rows at or above M. A writer not yet seen in 2 takes
// its numbers after that, so above V. A writer gone by 2 has committed (PostgreSQL
// releases locks after the commit is visible) or rolled back. Rows below the horizon are
// therefore all visible, and a later reader's horizon never uncovers an older one.
#include "store/kinds.hpp"

#include <algorithm>
#include <limits>

namespace dce::store {
namespace {

bool one_int(Db& db, const std::string& sql, std::int64_t& out, bool& null, std::string& error) {
    auto st = db.prepare(sql, error);
    if (!st) return false;
    if (st->step() != Stmt::Step::row) return error = st->error(), false;
    null = st->is_null(0);
    out = null ? 0 : st->col_int(0);
    return true;
}

// The lowest offset that may still be uncommitted: every seq below it is visible.
bool horizon(Db& db, std::int64_t& h, std::string& error) {
    bool null = false;
    if (db.dialect() == Dialect::sqlite)
        return one_int(db, "SELECT next FROM changes_counter", h, null, error);
    if (!one_int(db,
                 "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "
                 "FROM changes_seq",
                 h, null, error))
        return false;
    std::int64_t m = 0;
    std::string sql =
        "SELECT min(((classid::bigint << 32) | objid::bigint) - " +
        std::to_string(changes_lock_base) +
        ") FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND classid >= " +
        std::to_string(changes_lock_base >> 32) +
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    if (!one_int(db, sql, m, null, error)) return false;
    if (!null) h = std::min(h, m);
    return true;
}

struct Change {
    std::int64_t seq;
    Json rec;
};

bool collect(Db& db, Kind kind, std::int64_t after, std::int64_t below,
             const std::optional<std::string>& site, std::int64_t limit, std::vector<Change>& out,
             std::string& error) {
    const KindSpec& k = kind_spec(kind);
    std::string sql;
    int seq_col;
    if (kind == Kind::reading) {
        sql =
            "SELECT s.site, s.device, s.metric, s.labels, s.unit, s.source, r.ts, r.num, r.txt, "
            "r.extra, r.seq FROM readings r JOIN series s ON s.id = r.series WHERE r.seq > $1 "
            "AND r.seq < $2";
        if (site) sql += " AND s.site = $3";
        sql += " ORDER BY r.seq LIMIT " + std::to_string(limit);
        seq_col = 10;
    } else {
        sql = "SELECT site, rec";
        for (std::string_view f : k.time_fields)
            sql += ", " + std::string(f);
        sql += ", seq FROM " + std::string(k.table) + " WHERE seq > $1 AND seq < $2";
        if (site) sql += " AND site = $3";
        sql += " ORDER BY seq LIMIT " + std::to_string(limit);
        seq_col = 2 + static_cast<int>(k.time_fields.size());
    }
    auto st = db.prepare(sql, error);
    if (!st) return false;
    st->bind_int(1, after);
    st->bind_int(2, below);
    if (site) st->bind_text(3, *site);
    while (true) {
        auto r = st->step();
        if (r == Stmt::Step::done) return true;
        if (r == Stmt::Step::error) return error = st->error(), false;
        Change c{st->col_int(seq_col),
                 kind == Kind::reading ? reading_record(*st) : stored_record(k, *st)};
        c.rec["offset"] = c.seq;
        out.push_back(std::move(c));
    }
}

}  // namespace

bool read_changes(Db& db, std::int64_t after, const std::optional<std::string>& site,
                  const std::vector<Kind>& kinds, std::int64_t limit,
                  const std::function<bool(const Json&)>& emit, std::int64_t& next_after,
                  std::string& error) {
    next_after = after;
    if (limit < 1) return true;
    // SQLite: one snapshot for the counter and the rows. PostgreSQL: no transaction, so
    // each statement sees everything committed before it started (see above).
    bool txn = db.dialect() == Dialect::sqlite;
    if (txn && !db.begin_read(error)) return false;
    auto done = [&](bool ok) {
        if (txn) db.rollback();
        return ok;
    };
    std::int64_t below = 0;
    if (!horizon(db, below, error)) return done(false);
    // Read in windows of offsets, widening until a page is full or the horizon is
    // reached: each statement then touches only the rows of its window, so a reader
    // catching up from 0 over a large store costs a page's worth per page, also where the
    // index is BRIN (PostgreSQL readings), which cannot stop after LIMIT rows in order.
    std::vector<Change> all;
    std::int64_t lo = after;
    std::int64_t window = std::max<std::int64_t>(limit, 64) * 4;
    while (true) {
        std::int64_t hi = below - lo > window ? lo + window : below;
        for (Kind k : kinds)
            if (!collect(db, k, lo, hi, site, limit, all, error)) return done(false);
        if (static_cast<std::int64_t>(all.size()) >= limit || hi >= below) break;
        lo = hi - 1;  // the next window starts at hi (bounds are exclusive)
        window = window > (std::numeric_limits<std::int64_t>::max() / 8) ? window : window * 4;
    }
    done(true);
    std::sort(all.begin(), all.end(),
              [](const Change& a, const Change& b) { return a.seq < b.seq; });
    bool full = static_cast<std::int64_t>(all.size()) >= limit;
    if (full) all.resize(static_cast<std::size_t>(limit));
    for (const Change& c : all) {
        if (!emit(c.rec)) {
            next_after = c.seq;
            return true;
        }
        next_after = c.seq;
    }
    // A short page read everything below the horizon: the next call may start there.
    if (!full) next_after = std::max(after, below - 1);
    return true;
}

}  // namespace dce::store
