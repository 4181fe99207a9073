// Records to rows and rows to tables. Parsing and flattening happen on the reading
// thread (to_row); the Writer only binds values, so the write lock is held briefly.
#include "store/kinds.hpp"

#include "core/time.hpp"

#include <chrono>
#include <cmath>
#include <thread>

namespace dce::store {

std::string format_ms(std::int64_t ms) {
    return format_timestamp(SystemTime(std::chrono::milliseconds(ms)));
}

namespace {

const std::string* str_field(const Json& r, const char* key) {
    auto it = r.find(key);
    return it != r.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

}  // namespace

bool to_row(const Json& rec, std::string_view forced_site, Row& row, std::string& why) {
    row = Row{};
    row.type = rec["type"].get<std::string>();
    row.kind = Kind::other;  // a type this build does not know is kept whole
    for (const KindSpec& k : kind_specs())
        if (k.kind != Kind::other && k.name == row.type) row.kind = k.kind;
    auto ts = parse_timestamp(rec["ts"].get_ref<const std::string&>());
    if (!ts) return why = "field \"ts\" should be an RFC 3339 timestamp", false;
    row.ts = std::chrono::duration_cast<std::chrono::milliseconds>(ts->time_since_epoch()).count();
    if (const std::string* s = str_field(rec, "site")) row.site = *s;
    if (!forced_site.empty()) {
        if (!row.site.empty() && row.site != forced_site)
            return why = "record belongs to site \"" + row.site + "\", not \"" +
                         std::string(forced_site) + "\"",
                   false;
        row.site = forced_site;
    }
    const KindSpec& spec = kind_spec(row.kind);
    for (const KindColumn& c : spec.columns) {
        if (c.key.empty()) continue;
        const std::string* s = str_field(rec, std::string(c.key).c_str());
        row.*c.text = s ? *s : std::string();
    }
    if (spec.flatten) return spec.flatten(rec, row, why);
    // The record without `site`, which has its own column.
    if (!rec.contains("site")) {
        row.rec = rec.dump();
    } else {
        Json copy = rec;
        copy.erase("site");
        row.rec = copy.dump();
    }
    // Appended kinds are keyed by time and a hash of their content: the same line
    // ingested twice is stored once, two different events in the same ms both are.
    if (spec.hashed) row.hash = static_cast<std::int64_t>(fnv1a64(row.rec));
    return true;
}

namespace {

// INSERT INTO table (columns) VALUES ($1, ...) plus the kind's conflict clause.
std::string insert_sql(const KindSpec& k, Dialect d) {
    std::string cols, vals;
    for (std::size_t i = 0; i < k.columns.size(); ++i) {
        cols += (i ? ", " : "") + std::string(k.columns[i].name);
        vals += (i ? ", $" : "$") + std::to_string(i + 1);
    }
    // The change feed's offset: bound by the writer on SQLite, the column's default
    // (nextval) on PostgreSQL.
    if (d == Dialect::sqlite) {
        cols += ", seq";
        vals += ", $" + std::to_string(k.columns.size() + 1);
    }
    std::string conflict(k.on_conflict);
    auto swap = [&](std::string_view key, std::string_view with) {
        for (auto p = conflict.find(key); p != std::string::npos; p = conflict.find(key, p))
            conflict.replace(p, key.size(), with);
    };
    swap("{LEAST}", d == Dialect::postgres ? "LEAST" : "min");
    swap("{GREATEST}", d == Dialect::postgres ? "GREATEST" : "max");
    return "INSERT INTO " + std::string(k.table) + " (" + cols + ") VALUES (" + vals + ") " +
           conflict;
}

void bind_columns(Stmt& s, const KindSpec& k, const Row& r) {
    for (std::size_t i = 0; i < k.columns.size(); ++i) {
        const KindColumn& c = k.columns[i];
        int n = static_cast<int>(i + 1);
        if (c.integer)
            s.bind_int(n, r.*c.integer);
        else if (c.null_if_empty && (r.*c.text).empty())
            s.bind_null(n);
        else
            s.bind_text(n, r.*c.text);
    }
}

void bind_opt_text(Stmt& s, int i, const std::string& v) {
    if (v.empty())
        s.bind_null(i);
    else
        s.bind_text(i, v);
}

}  // namespace

bool Writer::prepare_all(std::string& e) {
    if (site_) return true;
    bool ok = true;
    for (const KindSpec& k : kind_specs()) {
        if (k.columns.empty()) continue;  // readings: below
        auto& st = inserts_[static_cast<std::size_t>(k.kind)];
        st = db_.prepare(insert_sql(k, db_.dialect()), e);
        if (!st) {
            ok = false;
            break;
        }
    }
    if (ok)
        series_ = db_.prepare(
            "INSERT INTO series (site, device, metric, labels, unit, source) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site, device, metric, labels) "
            "DO UPDATE SET unit = excluded.unit, source = excluded.source RETURNING id",
            e);
    const bool lite = db_.dialect() == Dialect::sqlite;
    const std::string reading_cols =
        lite ? "INSERT INTO readings (series, ts, num, txt, extra, seq) VALUES "
             : "INSERT INTO readings (series, ts, num, txt, extra) VALUES ";
    auto reading_values = [&](int b) {
        std::string v = "($" + std::to_string(b + 1);
        for (int i = 2; i <= reading_params(); ++i)
            v += ", $" + std::to_string(b + i);
        return v + ")";
    };
    if (ok && series_)
        reading_ = db_.prepare(reading_cols + reading_values(0) + " ON CONFLICT DO NOTHING", e);
    if (ok && reading_)
        series_get_ = db_.prepare(
            "SELECT id, coalesce(unit, ''), coalesce(source, '') FROM series WHERE "
            "site = $1 AND device = $2 AND metric = $3 AND labels = $4",
            e);
    if (ok && series_get_) {
        const char* last_sql =
            db_.dialect() == Dialect::postgres
                ? "UPDATE series s SET last_ts = v.ts FROM (SELECT unnest($1::bigint[]) AS id, "
                  "unnest($2::bigint[]) AS ts) v WHERE s.id = v.id AND (s.last_ts IS NULL OR "
                  "s.last_ts < v.ts)"
                : "UPDATE series SET last_ts = $2 WHERE id = $1 AND (last_ts IS NULL OR last_ts < "
                  "$2)";
        series_last_ = db_.prepare(last_sql, e);
    }
    if (ok && series_last_) {
        std::string sql = reading_cols;
        for (std::size_t i = 0; i < reading_chunk; ++i)
            sql += (i ? ", " : "") + reading_values(static_cast<int>(i) * reading_params());
        reading_many_ = db_.prepare(sql + " ON CONFLICT DO NOTHING", e);
    }
    if (ok && reading_many_)
        changes_begin_ = db_.prepare(lite ? "SELECT next FROM changes_counter"
                                          : "SELECT pg_advisory_xact_lock_shared(" +
                                                std::to_string(changes_lock_base) +
                                                " + last_value) FROM changes_seq",
                                     e);
    if (ok && changes_begin_ && lite)
        changes_end_ = db_.prepare("UPDATE changes_counter SET next = $1", e);
    // Prepared last: site_ set means every statement is ready.
    if (ok && changes_begin_ && (!lite || changes_end_))
        site_ = db_.prepare("INSERT INTO sites (name) VALUES ($1) ON CONFLICT DO NOTHING", e);
    return site_ != nullptr;
}

bool Writer::write_row(const Row& r, Counts& counts, std::string& e, bool& busy) {
    auto run = [&](Stmt& st) -> bool {
        if (st.step() == Stmt::Step::error) {
            busy = st.busy();
            e = st.error();
            st.reset();
            return false;
        }
        auto& c = counts[r.kind];
        (st.changes() > 0 ? c.stored : c.duplicate)++;
        st.reset();
        return true;
    };
    switch (r.kind) {
        case Kind::reading: {
            std::string key = r.site;
            key.append(1, '\0')
                .append(r.device)
                .append(1, '\0')
                .append(r.metric)
                .append(1, '\0')
                .append(r.labels);
            auto it = series_ids_.find(key);
            std::int64_t id;
            if (it != series_ids_.end()) {
                id = it->second;
            } else {
                // Most series exist already (a cron job starts with an empty cache): a
                // read is far cheaper than an upsert, which rewrites the row.
                Stmt& g = *series_get_;
                g.bind_text(1, r.site);
                g.bind_text(2, r.device);
                g.bind_text(3, r.metric);
                g.bind_text(4, r.labels);
                auto got = g.step();
                bool found = got == Stmt::Step::row;
                bool same = found && g.col_text(1) == r.unit && g.col_text(2) == r.source;
                id = found ? g.col_int(0) : 0;
                if (got == Stmt::Step::error) {
                    busy = g.busy();
                    e = g.error();
                    g.reset();
                    return false;
                }
                g.reset();
                if (!found || !same) {
                    Stmt& s = *series_;
                    s.bind_text(1, r.site);
                    s.bind_text(2, r.device);
                    s.bind_text(3, r.metric);
                    s.bind_text(4, r.labels);
                    bind_opt_text(s, 5, r.unit);
                    bind_opt_text(s, 6, r.source);
                    if (s.step() != Stmt::Step::row) {
                        busy = s.busy();
                        e = s.error();
                        s.reset();
                        return false;
                    }
                    id = s.col_int(0);
                    while (s.step() == Stmt::Step::row) {
                    }
                    s.reset();
                }
                series_ids_.emplace(std::move(key), id);
            }
            auto [slot, fresh] = batch_last_.try_emplace(id, r.ts);
            if (!fresh && slot->second < r.ts) slot->second = r.ts;
            pending_.emplace_back(id, &r);
            return pending_.size() < reading_chunk || flush_readings(counts, e, busy);
        }
        default: {
            Stmt& s = *inserts_[static_cast<std::size_t>(r.kind)];
            bind_columns(s, kind_spec(r.kind), r);
            if (db_.dialect() == Dialect::sqlite)
                s.bind_int(static_cast<int>(kind_spec(r.kind).columns.size() + 1), seq_next_++);
            return run(s);
        }
    }
    return true;
}

namespace {
void bind_reading(Stmt& s, int base, std::int64_t id, const Row& r, std::int64_t* seq) {
    if (seq) s.bind_int(base + 6, (*seq)++);
    s.bind_int(base + 1, id);
    s.bind_int(base + 2, r.ts);
    if (r.has_num)
        s.bind_double(base + 3, r.num);
    else
        s.bind_null(base + 3);
    if (r.has_txt)
        s.bind_text(base + 4, r.txt);
    else
        s.bind_null(base + 4);
    if (r.extra.empty())
        s.bind_null(base + 5);
    else
        s.bind_text(base + 5, r.extra);
}
}  // namespace

bool Writer::flush_readings(Counts& counts, std::string& e, bool& busy) {
    auto run = [&](Stmt& st, std::size_t n) {
        if (st.step() == Stmt::Step::error) {
            busy = st.busy();
            e = st.error();
            st.reset();
            return false;
        }
        auto stored = static_cast<std::uint64_t>(st.changes());
        counts[Kind::reading].stored += stored;
        counts[Kind::reading].duplicate += n - stored;
        st.reset();
        return true;
    };
    bool ok = true;
    if (pending_.size() == reading_chunk) {
        for (std::size_t i = 0; i < pending_.size(); ++i)
            bind_reading(*reading_many_, static_cast<int>(i) * reading_params(), pending_[i].first,
                         *pending_[i].second, seq_ptr());
        ok = run(*reading_many_, pending_.size());
    } else {
        for (std::size_t i = 0; ok && i < pending_.size(); ++i) {
            bind_reading(*reading_, 0, pending_[i].first, *pending_[i].second, seq_ptr());
            ok = run(*reading_, 1);
        }
    }
    pending_.clear();
    return ok;
}

// Sites first, once per batch: the sites table is how a query knows data is mixed.
bool Writer::write_sites(const std::vector<Row>& rows, std::string& e, bool& busy) {
    std::string last_site = "\x01";
    for (const Row& r : rows) {
        if (r.site == last_site) continue;
        last_site = r.site;
        site_->bind_text(1, r.site);
        bool ok = site_->step() != Stmt::Step::error;
        if (!ok) {
            busy = site_->busy();
            e = site_->error();
        }
        site_->reset();
        if (!ok) return false;
    }
    return true;
}

bool Writer::write_once(const std::vector<Row>& rows, Counts& counts, std::string& e, bool& busy) {
    busy = false;
    if (db_.dialect() == Dialect::postgres) {
        auto t0 = std::chrono::steady_clock::now();
        if (!prepare_pg(e) || !ensure_partitions(rows, e, busy)) return false;
        timings.partitions +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (pg_copy) return write_once_pg(rows, counts, e, busy);
    }
    if (!db_.begin_write(e)) {
        busy = true;
        return false;
    }
    bool ok = begin_changes(e, busy) && write_sites(rows, e, busy);
    pending_.clear();
    batch_last_.clear();
    for (std::size_t i = 0; ok && i < rows.size(); ++i)
        ok = write_row(rows[i], counts, e, busy);
    ok = ok && flush_readings(counts, e, busy);
    if (ok && !batch_last_.empty() && db_.dialect() == Dialect::postgres) {
        // One statement for the whole batch: a round trip per series would cost more
        // than the readings themselves.
        std::string ids = "{", tss = "{";
        for (const auto& [id, ts] : batch_last_) {
            ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
            tss += (tss.size() > 1 ? "," : "") + std::to_string(ts);
        }
        Stmt& u = *series_last_;
        u.bind_text(1, ids + "}");
        u.bind_text(2, tss + "}");
        if (u.step() == Stmt::Step::error) {
            e = u.error();
            ok = false;
        }
        u.reset();
    }
    for (auto it = batch_last_.begin();
         ok && db_.dialect() == Dialect::sqlite && it != batch_last_.end(); ++it) {
        Stmt& u = *series_last_;
        u.bind_int(1, it->first);
        u.bind_int(2, it->second);
        if (u.step() == Stmt::Step::error) {
            busy = u.busy();
            e = u.error();
            ok = false;
        }
        u.reset();
    }
    ok = ok && end_changes(e, busy);
    if (ok && db_.commit(e)) return true;
    db_.rollback();
    // Series ids made in the rolled-back transaction no longer exist.
    series_ids_.clear();
    return false;
}

// The change feed's offsets (changes.cpp). SQLite: this transaction is the only writer;
// it takes numbers from the counter row and moves the counter before commit. PostgreSQL:
// rows number themselves (nextval); first the transaction holds a shared advisory lock
// named after the sequence's current value, at or below every number it will take, so a
// reader of the feed sees it in flight and stops below it until it ends.
bool Writer::begin_changes(std::string& e, bool& busy) {
    Stmt& st = *changes_begin_;
    auto r = st.step();
    if (r != Stmt::Step::row) {
        busy = st.busy() || db_.conflict();
        e = st.error();
        st.reset();
        return false;
    }
    if (db_.dialect() == Dialect::sqlite) seq_next_ = st.col_int(0);
    while (st.step() == Stmt::Step::row) {
    }
    st.reset();
    return true;
}

bool Writer::end_changes(std::string& e, bool& busy) {
    if (db_.dialect() != Dialect::sqlite) return true;
    Stmt& st = *changes_end_;
    st.bind_int(1, seq_next_);
    bool ok = st.step() != Stmt::Step::error;
    if (!ok) {
        busy = st.busy();
        e = st.error();
    }
    st.reset();
    return ok;
}

bool Writer::write(const std::vector<Row>& rows, Counts& counts, std::string& error) {
    if (rows.empty()) return true;
    if (!prepare_all(error)) return false;
    for (int attempt = 0;; ++attempt) {
        Counts tmp;
        bool busy = false;
        if (write_once(rows, tmp, error, busy)) {
            for (auto& [k, c] : tmp) {
                counts[k].stored += c.stored;
                counts[k].duplicate += c.duplicate;
            }
            return true;
        }
        if (!busy || attempt >= 20) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
    }
}

}  // namespace dce::store
