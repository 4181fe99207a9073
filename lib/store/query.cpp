// Reading the store back: records in the contract's shape, so `dce-store query | tool`
// works; pruning by age; statistics.
#include "store/kinds.hpp"
#include "store/partitions.hpp"

#include <sys/stat.h>

#include <cmath>
#include <limits>
#include <variant>

namespace dce::store {
namespace {

using Param = std::variant<std::int64_t, double, std::string>;

// WHERE clauses with their parameters, numbered as they are added.
struct Where {
    std::vector<std::string> clauses;
    std::vector<Param> params;
    std::string add(Param p) {
        params.push_back(std::move(p));
        return "$" + std::to_string(params.size());
    }
    void in(const std::string& column, const std::vector<std::string>& values) {
        if (values.empty()) return;
        std::string c = column + " IN (";
        for (std::size_t i = 0; i < values.size(); ++i)
            c += (i ? ", " : "") + add(values[i]);
        clauses.push_back(c + ")");
    }
    // Names with `*` match as patterns; others exactly (and can use the index).
    void like_any(const std::string& column, const std::vector<std::string>& values) {
        if (values.empty()) return;
        std::string c = "(";
        for (std::size_t i = 0; i < values.size(); ++i) {
            const std::string& v = values[i];
            if (i) c += " OR ";
            if (v.find('*') == std::string::npos) {
                c += column + " = " + add(v);
            } else {
                std::string pat;
                for (char ch : v) {
                    if (ch == '%' || ch == '_' || ch == '\\') pat += '\\';
                    pat += ch == '*' ? '%' : ch;
                }
                c += column + " LIKE " + add(pat) + " ESCAPE '\\'";
            }
        }
        clauses.push_back(c + ")");
    }
    // Keyset pagination: (columns) > (key), or >= with `inclusive`.
    void after(const std::string& columns, const RowKey& key, bool inclusive = false) {
        if (key.empty()) return;
        std::string c = "(" + columns + ") " + (inclusive ? ">=" : ">") + " (";
        for (std::size_t i = 0; i < key.size(); ++i) {
            c += i ? ", " : "";
            if (auto* n = std::get_if<std::int64_t>(&key[i]))
                c += add(*n);
            else
                c += add(std::get<std::string>(key[i]));
        }
        clauses.push_back(c + ")");
    }
    std::string sql() const {
        std::string s;
        for (std::size_t i = 0; i < clauses.size(); ++i)
            s += (i ? " AND " : " WHERE ") + clauses[i];
        return s;
    }
    void bind(Stmt& st) const {
        for (std::size_t i = 0; i < params.size(); ++i) {
            int n = static_cast<int>(i + 1);
            if (auto* v = std::get_if<std::int64_t>(&params[i]))
                st.bind_int(n, *v);
            else if (auto* d = std::get_if<double>(&params[i]))
                st.bind_double(n, *d);
            else
                st.bind_text(n, std::get<std::string>(params[i]));
        }
    }
};

// The stored record with `site` put back after `type` and `ts`.
Json with_site(const std::string& rec_text, const std::string& site) {
    Json rec = Json::parse(rec_text, nullptr, false);
    if (rec.is_discarded() || !rec.is_object()) rec = Json::object();
    if (site.empty()) return rec;
    Json out = Json::object();
    for (auto it = rec.begin(); it != rec.end(); ++it) {
        out[it.key()] = *it;
        if (it.key() == "ts") out["site"] = site;
    }
    if (!out.contains("site")) out["site"] = site;
    return out;
}

Json number_json(double v) {
    // Integral values come back as integers: 42 went in, 42 comes out.
    if (std::floor(v) == v && std::fabs(v) <= static_cast<double>(max_exact_integer))
        return static_cast<std::int64_t>(v);
    return v;
}

bool run_stmt(Db& db, const std::string& sql, const Where& w, const std::function<bool(Stmt&)>& row,
              std::string& error) {
    auto st = db.prepare(sql, error);
    if (!st) return false;
    w.bind(*st);
    while (true) {
        auto r = st->step();
        if (r == Stmt::Step::done) return true;
        if (r == Stmt::Step::error) return error = st->error(), false;
        if (!row(*st)) return true;
    }
}

using KeyedEmit = std::function<bool(const Json&, const RowKey&)>;

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? std::numeric_limits<std::int64_t>::max()
                     : std::numeric_limits<std::int64_t>::min();
    return r;
}

bool query_readings(Db& db, const Query& q, const KeyedEmit& emit, std::string& error) {
    Where w;
    if (q.site) w.clauses.push_back("s.site = " + w.add(*q.site));
    w.in("s.device", q.devices);
    w.like_any("s.metric", q.metrics);
    for (const auto& [k, v] : q.labels) {
        std::string path = w.add(k);
        std::string val = w.add(v);
        if (db.dialect() == Dialect::sqlite)
            w.clauses.push_back(
                "(CASE WHEN s.labels = '' THEN NULL ELSE CAST(json_extract(s.labels, "
                "'$.\"' || " +
                path + " || '\"') AS TEXT) END) = " + val);
        else
            w.clauses.push_back("(CASE WHEN s.labels = '' THEN NULL ELSE s.labels::jsonb ->> " +
                                path + " END) = " + val);
    }
    if (q.last) {
        w.after("s.site, s.device, s.metric, s.labels", q.after);
    } else if (q.every_ms > 0 && q.after.size() == 2) {
        // Buckets go on at the next bucket of the series the last page ended in.
        w.after("s.id, r.ts",
                RowKey{q.after[0], saturating_add(std::get<std::int64_t>(q.after[1]), q.every_ms)},
                true);
    } else if (!q.after.empty()) {
        // The plain bound on ts lets both databases use their time index (and PostgreSQL
        // prune partitions); the row value decides within one ts.
        w.clauses.push_back("r.ts >= " + w.add(std::get<std::int64_t>(q.after[0])));
        w.after("r.ts, s.site, s.device, s.metric, s.labels", q.after);
    }
    std::string time;
    if (q.since) time += " AND r.ts >= " + w.add(*q.since);
    if (q.until) time += " AND r.ts < " + w.add(*q.until);
    const std::string cols =
        "SELECT s.site, s.device, s.metric, s.labels, s.unit, s.source, r.ts, r.num, r.txt, "
        "r.extra, s.id";
    std::string sql;
    if (q.last) {
        // One index probe per series for its newest ts (within the range, if any):
        // fast for every device at once.
        std::string t2 = time;
        for (auto p = t2.find("r.ts"); p != std::string::npos; p = t2.find("r.ts", p + 5))
            t2.replace(p, 4, "r2.ts");
        // Without a range, series.last_ts names the newest row: one probe per series.
        // On PostgreSQL last_ts is a lower bound within a day (pg_ingest.cpp): the newest
        // row at or after it, which reads only the partitions from that day on.
        if (t2.empty() && db.dialect() == Dialect::postgres)
            sql =
                "SELECT s.site, s.device, s.metric, s.labels, s.unit, s.source, r.ts, r.num, "
                "r.txt, r.extra FROM series s CROSS JOIN LATERAL (SELECT * FROM readings r "
                "WHERE r.series = s.id AND r.ts >= s.last_ts ORDER BY r.ts DESC LIMIT 1) r";
        else if (t2.empty())
            sql = cols + " FROM series s JOIN readings r ON r.ts = s.last_ts AND r.series = s.id";
        else
            sql = cols +
                  " FROM series s JOIN readings r ON r.series = s.id AND r.ts = "
                  "(SELECT max(r2.ts) FROM readings r2 WHERE r2.series = s.id" +
                  t2 + ")";
        sql += w.sql() + " ORDER BY s.site, s.device, s.metric, s.labels";
    } else {
        std::string where = w.sql();
        if (!time.empty()) where += (where.empty() ? " WHERE " : " AND ") + time.substr(5);
        sql = cols + " FROM readings r JOIN series s ON s.id = r.series" + where;
        if (q.every_ms > 0)
            sql += " ORDER BY s.id, r.ts";  // buckets are folded below, series by series
        else if (q.ordered)
            sql += " ORDER BY r.ts, s.site, s.device, s.metric, s.labels";
    }
    if (q.limit > 0 && q.every_ms == 0) sql += " LIMIT " + std::to_string(q.limit);

    auto make = [](Stmt& st) { return reading_record(st); };
    if (q.every_ms <= 0)
        return run_stmt(
            db, sql, w,
            [&](Stmt& st) {
                RowKey key;
                if (!q.last) key.emplace_back(st.col_int(6));
                for (int c = 0; c < 4; ++c)
                    key.emplace_back(st.col_text(c));
                return emit(make(st), key);
            },
            error);

    // Buckets: min/max/avg/last of numeric values, emitted as readings whose value is
    // the average, so the output still pipes into anything that reads readings.
    struct Bucket {
        Json first;
        std::int64_t series = 0, start = 0;
        double min = 0, max = 0, sum = 0, last = 0;
        std::int64_t count = 0;
    } b;
    std::string cur_key;
    std::int64_t emitted = 0;
    bool stop = false;
    auto flush = [&] {
        if (b.count == 0 || stop) return;
        Json r = b.first;
        r["ts"] = format_ms(b.start);
        r["value"] = number_json(b.sum / static_cast<double>(b.count));
        r["min"] = number_json(b.min);
        r["max"] = number_json(b.max);
        r["avg"] = b.sum / static_cast<double>(b.count);
        r["last"] = number_json(b.last);
        r["count"] = b.count;
        r["bucket_ms"] = q.every_ms;
        b.count = 0;
        if (!emit(r, RowKey{b.series, b.start}) || (q.limit > 0 && ++emitted >= q.limit))
            stop = true;
    };
    bool ok = run_stmt(
        db, sql, w,
        [&](Stmt& st) {
            if (st.is_null(7)) return true;  // states have no average
            std::int64_t ts = st.col_int(6);
            std::int64_t start = ts - ((ts % q.every_ms) + q.every_ms) % q.every_ms;
            std::string key = st.col_text(0) + '\0' + st.col_text(1) + '\0' + st.col_text(2) +
                              '\0' + st.col_text(3);
            double v = st.col_double(7);
            if (key != cur_key || start != b.start) {
                flush();
                cur_key = key;
                b = Bucket{};
                b.first = make(st);
                b.first.erase("source");
                b.series = st.col_int(10);
                b.start = start;
                b.min = b.max = v;
            }
            b.min = std::min(b.min, v);
            b.max = std::max(b.max, v);
            b.sum += v;
            b.last = v;
            ++b.count;
            return !stop;
        },
        error);
    flush();
    return ok;
}

}  // namespace

// A reading from the columns site, device, metric, labels, unit, source, ts, num, txt,
// extra (query.cpp's and changes.cpp's SELECTs).
Json reading_record(Stmt& st) {
    Json r = Json::object();
    Json extra = st.is_null(9) ? Json::object() : Json::parse(st.col_text(9), nullptr, false);
    if (!extra.is_object()) extra = Json::object();
    r["type"] = "reading";
    r["ts"] = format_ms(st.col_int(6));
    std::string site = st.col_text(0);
    if (!site.empty()) r["site"] = site;
    r["device"] = st.col_text(1);
    r["metric"] = st.col_text(2);
    if (extra.contains("value"))  // booleans, and integers beyond 2^53 exactly
        r["value"] = extra["value"];
    else if (!st.is_null(7))
        r["value"] = number_json(st.col_double(7));
    else if (!st.is_null(8))
        r["value"] = st.col_text(8);
    else
        r["value"] = nullptr;
    if (!st.is_null(4)) r["unit"] = st.col_text(4);
    std::string labels = st.col_text(3);
    if (!labels.empty()) r["labels"] = Json::parse(labels, nullptr, false);
    if (!st.is_null(5)) r["source"] = st.col_text(5);
    for (auto it = extra.begin(); it != extra.end(); ++it)
        if (it.key() != "value") r[it.key()] = *it;
    return r;
}

Json stored_record(const KindSpec& k, Stmt& st) {
    Json r = with_site(st.col_text(1), st.col_text(0));
    for (std::size_t i = 0; i < k.time_fields.size(); ++i)
        r[std::string(k.time_fields[i])] = format_ms(st.col_int(static_cast<int>(i) + 2));
    return r;
}

bool list_sites(Db& db, std::vector<std::string>& sites, std::string& error) {
    sites.clear();
    return run_stmt(
        db, "SELECT name FROM sites ORDER BY name", Where{},
        [&](Stmt& st) {
            sites.push_back(st.col_text(0));
            return true;
        },
        error);
}

bool list_metrics(Db& db, const std::optional<std::string>& site, std::vector<std::string>& metrics,
                  std::string& error) {
    metrics.clear();
    Where w;
    if (site) w.clauses.push_back("site = " + w.add(*site));
    return run_stmt(
        db, "SELECT DISTINCT metric FROM series" + w.sql() + " ORDER BY metric", w,
        [&](Stmt& st) {
            metrics.push_back(st.col_text(0));
            return true;
        },
        error);
}

std::vector<bool> query_key_shape(const Query& q) {
    if (q.kind == Kind::device) return {false, false};  // site, id
    if (q.kind != Kind::reading) return {true, true};   // ts, id
    if (q.last) return {false, false, false, false};
    if (q.every_ms > 0) return {true, true};
    return {true, false, false, false, false};
}

bool run_query(Db& db, const Query& q, const std::function<bool(const Json&)>& emit,
               std::string& error) {
    return run_query_keyed(
        db, q, [&](const Json& rec, const RowKey&) { return emit(rec); }, error);
}

bool run_query_keyed(Db& db, const Query& q, const KeyedEmit& emit, std::string& error) {
    if (!q.after.empty()) {
        auto shape = query_key_shape(q);
        bool fits = shape.size() == q.after.size();
        for (std::size_t i = 0; fits && i < shape.size(); ++i)
            fits = shape[i] == std::holds_alternative<std::int64_t>(q.after[i]);
        if (!fits) return error = "a key of another shape than the query's order", false;
    }
    if (q.kind == Kind::reading) return query_readings(db, q, emit, error);
    const KindSpec& k = kind_spec(q.kind);
    const std::vector<bool> shape = query_key_shape(q);
    Where w;
    if (q.site) w.clauses.push_back("site = " + w.add(*q.site));
    w.after(std::string(k.order), q.after);
    for (const KindFilter& f : k.filters) {
        const auto& values = q.*f.values;
        if (f.pattern) {
            w.like_any(std::string(f.column), values);
        } else if (!f.alt_column.empty() && !values.empty()) {
            std::string c = "(";
            for (std::size_t i = 0; i < values.size(); ++i) {
                std::string p = w.add(values[i]);
                c += (i ? " OR " : "") + std::string(f.column) + " = " + p + " OR " +
                     std::string(f.alt_column) + " = " + p;
            }
            w.clauses.push_back(c + ")");
        } else {
            w.in(std::string(f.column), values);
        }
    }
    std::string time_col(k.time_column);
    if (q.since) w.clauses.push_back(time_col + " >= " + w.add(*q.since));
    if (q.until) w.clauses.push_back(time_col + " < " + w.add(*q.until));
    std::string sql = "SELECT site, rec";
    for (std::string_view f : k.time_fields)
        sql += ", " + std::string(f);
    const int key_col = 2 + static_cast<int>(k.time_fields.size());
    sql += ", " + std::string(k.order);
    sql += " FROM " + std::string(k.table) + w.sql();
    if (q.ordered) sql += " ORDER BY " + std::string(k.order);
    if (q.limit > 0) sql += " LIMIT " + std::to_string(q.limit);
    return run_stmt(
        db, sql, w,
        [&](Stmt& st) {
            Json r = stored_record(k, st);
            RowKey key;
            for (std::size_t i = 0; i < shape.size(); ++i) {
                int c = key_col + static_cast<int>(i);
                if (shape[i])
                    key.emplace_back(st.col_int(c));
                else
                    key.emplace_back(st.col_text(c));
            }
            return emit(r, key);
        },
        error);
}

bool prune(Db& db, const std::map<Kind, std::int64_t>& cutoffs,
           const std::optional<std::string>& site, bool dry_run, std::vector<PruneResult>& out,
           std::string& error) {
    bool partitioned = false;
    if (!readings_partitioned(db, partitioned, error)) return false;
    if (!db.begin_write(error)) return false;
    // Partitions are made and dropped by one writer at a time (ingest takes this lock too).
    if (partitioned && !db.exec("SELECT pg_advisory_xact_lock(4202)", error))
        return db.rollback(), false;
    for (const auto& [kind, cutoff] : cutoffs) {
        // Partitioned readings: day partitions wholly before the cutoff are dropped (their
        // rows counted first), and only rows of the partition holding the cutoff (and the
        // default one) are deleted below. With --site, other sites share those tables, so
        // rows are deleted one by one as before.
        std::int64_t dropped = 0, tables = 0;
        // (A dry run counts them with the rest below.)
        if (kind == Kind::reading && partitioned && !site && !dry_run) {
            std::vector<Partition> parts;
            if (!list_partitions(db, parts, error)) return db.rollback(), false;
            for (const Partition& p : parts) {
                if (p.is_default || p.hi > cutoff) continue;
                auto st = db.prepare("SELECT count(*) FROM " + p.name, error);
                if (!st) return db.rollback(), false;
                if (st->step() != Stmt::Step::row) return error = st->error(), db.rollback(), false;
                dropped += st->col_int(0);
                if (!db.exec("DROP TABLE " + p.name, error)) return db.rollback(), false;
                ++tables;
            }
        }
        Where w;
        std::string t(kind_spec(kind).table);
        std::string col(kind_spec(kind).time_column);
        w.clauses.push_back(col + " < " + w.add(cutoff));
        if (site) {
            if (kind == Kind::reading)
                w.clauses.push_back(
                    "series IN (SELECT id FROM series WHERE site = " + w.add(*site) + ")");
            else
                w.clauses.push_back("site = " + w.add(*site));
        }
        std::string sql = (dry_run ? "SELECT count(*) FROM " : "DELETE FROM ") + t + w.sql();
        std::int64_t n = 0;
        auto st = db.prepare(sql, error);
        if (!st) return db.rollback(), false;
        w.bind(*st);
        auto r = st->step();
        if (r == Stmt::Step::error) {
            error = st->error();
            db.rollback();
            return false;
        }
        n = dry_run ? st->col_int(0) : st->changes();
        out.push_back({kind, cutoff, n + dropped, tables});
    }
    if (dry_run) {
        db.rollback();
        return true;
    }
    return db.commit(error) || (db.rollback(), false);
}

bool collect_stats(Db& db, const std::optional<std::string>& site, Stats& out, std::string& error) {
    if (!read_schema_version(db, out.schema_version, error)) return false;
    if (!list_sites(db, out.sites, error)) return false;
    for (Kind k : all_kinds) {
        Where w;
        std::string sql;
        if (k == Kind::reading) {
            sql = "SELECT count(*), min(r.ts), max(r.ts) FROM readings r";
            if (site) sql += " JOIN series s ON s.id = r.series WHERE s.site = " + w.add(*site);
        } else {
            std::string col(kind_spec(k).time_column);
            sql = "SELECT count(*), min(" + col + "), max(" + col + ") FROM " +
                  std::string(kind_spec(k).table);
            if (site) sql += " WHERE site = " + w.add(*site);
        }
        KindStats ks;
        if (!run_stmt(
                db, sql, w,
                [&](Stmt& st) {
                    ks.rows = st.col_int(0);
                    if (!st.is_null(1)) ks.first_ts = st.col_int(1);
                    if (!st.is_null(2)) ks.last_ts = st.col_int(2);
                    return false;
                },
                error))
            return false;
        out.kinds[k] = ks;
    }
    Where w;
    std::string sql = "SELECT count(*) FROM series";
    if (site) sql += " WHERE site = " + w.add(*site);
    if (!run_stmt(
            db, sql, w, [&](Stmt& st) { return out.series = st.col_int(0), false; }, error))
        return false;
    if (db.dialect() == Dialect::sqlite) {
        std::string path = db.describe();
        struct stat sb {};
        std::int64_t total = 0;
        bool any = false;
        for (const std::string& p : {path, path + "-wal"}) {
            if (::stat(p.c_str(), &sb) == 0) total += sb.st_size, any = true;
        }
        if (any) out.bytes = total;
    } else {
        Where none;
        run_stmt(
            db, "SELECT pg_database_size(current_database())", none,
            [&](Stmt& st) { return out.bytes = st.col_int(0), false; }, error);
    }
    return true;
}

}  // namespace dce::store
