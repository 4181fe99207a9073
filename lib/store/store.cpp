// Records to rows and rows to tables. Parsing and flattening happen on the reading
// thread (to_row); the Writer only binds values, so the write lock is held briefly.
#include "store/store.hpp"

#include "core/time.hpp"

#include <chrono>
#include <cmath>
#include <thread>

namespace dce::store {

std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::device:
            return "device";
        case Kind::reading:
            return "reading";
        case Kind::event:
            return "event";
        case Kind::cert:
            return "cert";
        case Kind::finding:
            return "finding";
        case Kind::error:
            return "error";
        case Kind::other:
            return "other";
    }
    return "other";
}

std::optional<Kind> kind_from_name(std::string_view name) {
    if (name.size() > 1 && name.back() == 's') name.remove_suffix(1);
    for (Kind k : all_kinds)
        if (kind_name(k) == name) return k;
    return std::nullopt;
}

std::uint64_t fnv1a64(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::string format_ms(std::int64_t ms) {
    return format_timestamp(SystemTime(std::chrono::milliseconds(ms)));
}

namespace {

std::int64_t to_ms(SystemTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

const std::string* str_field(const Json& r, const char* key) {
    auto it = r.find(key);
    return it != r.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}
std::string str_or(const Json& r, const char* key) {
    const std::string* s = str_field(r, key);
    return s ? *s : std::string();
}

// Labels are part of a reading's natural key, so they are stored in one canonical
// form: keys sorted (nlohmann::json keeps objects in a std::map), compact.
std::string canonical(const Json& v) {
    return nlohmann::json(v).dump();
}

}  // namespace

bool to_row(const Json& rec, std::string_view forced_site, Row& row, std::string& why) {
    row = Row{};
    row.type = rec["type"].get<std::string>();
    row.kind = Kind::other;  // a type this build does not know is kept whole
    for (Kind k : all_kinds)
        if (k != Kind::other && kind_name(k) == row.type) row.kind = k;
    auto ts = parse_timestamp(rec["ts"].get_ref<const std::string&>());
    if (!ts) return why = "field \"ts\" should be an RFC 3339 timestamp", false;
    row.ts = to_ms(*ts);
    if (const std::string* s = str_field(rec, "site")) row.site = *s;
    if (!forced_site.empty()) {
        if (!row.site.empty() && row.site != forced_site)
            return why = "record belongs to site \"" + row.site + "\", not \"" +
                         std::string(forced_site) + "\"",
                   false;
        row.site = forced_site;
    }
    // The record without `site`, which has its own column.
    auto without_site = [&](const Json& r) {
        if (!r.contains("site")) return r.dump();
        Json copy = r;
        copy.erase("site");
        return copy.dump();
    };
    switch (row.kind) {
        case Kind::reading: {
            row.device = rec["device"].get<std::string>();
            row.metric = rec["metric"].get<std::string>();
            const Json& v = rec["value"];
            Json extra = Json::object();
            if (v.is_number()) {
                row.has_num = true;
                row.num = v.get<double>();
                if (!std::isfinite(row.num))
                    return why = "field \"value\" is not a finite number", false;
                bool exact = true;
                if (v.is_number_unsigned())
                    exact = v.get<std::uint64_t>() <= std::uint64_t{max_exact_integer};
                else if (v.is_number_integer())
                    exact = v.get<std::int64_t>() <= max_exact_integer &&
                            v.get<std::int64_t>() >= -max_exact_integer;
                if (!exact) extra["value"] = v;  // the query gives this back, not the double
            } else if (v.is_string()) {
                row.has_txt = true;
                row.txt = v.get<std::string>();
            } else {
                extra["value"] = v;  // booleans: kept exactly, in the extra fields
            }
            row.unit = str_or(rec, "unit");
            row.source = str_or(rec, "source");
            if (auto it = rec.find("labels"); it != rec.end() && it->is_object() && !it->empty())
                row.labels = canonical(*it);
            for (auto it = rec.begin(); it != rec.end(); ++it) {
                const std::string& k = it.key();
                if (k == "type" || k == "ts" || k == "site" || k == "device" || k == "metric" ||
                    k == "value" || k == "labels" || (k == "unit" && it->is_string()) ||
                    (k == "source" && it->is_string()))
                    continue;
                extra[k] = *it;
            }
            if (!extra.empty()) row.extra = extra.dump();
            return true;
        }
        case Kind::device: {
            row.id = rec["id"].get<std::string>();
            row.dev_class = str_or(rec, "class");
            row.vendor = str_or(rec, "vendor");
            row.model = str_or(rec, "model");
            // An exported store carries first/last seen; keep them on import.
            row.first_seen = row.last_seen = row.ts;
            Json copy = rec;
            copy.erase("site");
            for (const char* k : {"first_seen", "last_seen"}) {
                if (const std::string* s = str_field(rec, k)) {
                    if (auto t = parse_timestamp(*s))
                        (k[0] == 'f' ? row.first_seen : row.last_seen) = to_ms(*t);
                }
                copy.erase(k);
            }
            row.first_seen = std::min(row.first_seen, row.ts);
            row.last_seen = std::max(row.last_seen, row.ts);
            row.rec = copy.dump();
            return true;
        }
        case Kind::finding:
            row.tool = rec["tool"].get<std::string>();
            row.check = rec["check"].get<std::string>();
            row.target = rec["target"].get<std::string>();
            row.status = rec["status"].get<std::string>();
            row.severity = str_or(rec, "severity");
            row.rec = without_site(rec);
            return true;
        case Kind::event:
            row.source = str_or(rec, "source");
            row.device = str_or(rec, "device");
            row.name = str_or(rec, "name");
            row.severity = str_or(rec, "severity");
            break;
        case Kind::cert:
            row.target = str_or(rec, "endpoint");
            break;
        case Kind::error:
            row.tool = str_or(rec, "tool");
            row.target = str_or(rec, "target");
            row.code = str_or(rec, "code");
            break;
        case Kind::other:
            break;
    }
    // Appended kinds are keyed by time and a hash of their content: the same line
    // ingested twice is stored once, two different events in the same ms both are.
    row.rec = without_site(rec);
    row.hash = static_cast<std::int64_t>(fnv1a64(row.rec));
    return true;
}

bool Writer::prepare_all(std::string& e) {
    if (site_) return true;
    bool pg = db_.dialect() == Dialect::postgres;
    std::string least = pg ? "LEAST" : "min", greatest = pg ? "GREATEST" : "max";
    site_ = db_.prepare("INSERT INTO sites (name) VALUES ($1) ON CONFLICT DO NOTHING", e);
    // A device seen again updates its inventory row when the sighting is newer, and
    // keeps the earliest first-seen and latest last-seen.
    device_ = db_.prepare(
        "INSERT INTO devices (site, id, first_seen, last_seen, class, vendor, model, rec) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (site, id) DO UPDATE SET "
        "first_seen = " +
            least +
            "(devices.first_seen, excluded.first_seen), "
            "class = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.class ELSE "
            "devices.class END, "
            "vendor = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.vendor ELSE "
            "devices.vendor END, "
            "model = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.model ELSE "
            "devices.model END, "
            "rec = CASE WHEN excluded.last_seen >= devices.last_seen THEN excluded.rec ELSE "
            "devices.rec END, "
            "last_seen = " +
            greatest + "(devices.last_seen, excluded.last_seen)",
        e);
    series_ =
        device_ ? db_.prepare(
                      "INSERT INTO series (site, device, metric, labels, unit, source) "
                      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (site, device, metric, labels) "
                      "DO UPDATE SET unit = excluded.unit, source = excluded.source RETURNING id",
                      e)
                : nullptr;
    reading_ = series_ ? db_.prepare(
                             "INSERT INTO readings (series, ts, num, txt, extra) "
                             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                             e)
                       : nullptr;
    finding_ = reading_ ? db_.prepare(
                              "INSERT INTO findings (site, ts, tool, check_id, target, status, "
                              "severity, rec) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                              "ON CONFLICT DO NOTHING",
                              e)
                        : nullptr;
    event_ = finding_ ? db_.prepare(
                            "INSERT INTO events (site, ts, hash, source, device, name, severity, "
                            "rec) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                            e)
                      : nullptr;
    cert_ = event_ ? db_.prepare(
                         "INSERT INTO certs (site, ts, hash, endpoint, rec) VALUES ($1, $2, $3, "
                         "$4, $5) ON CONFLICT DO NOTHING",
                         e)
                   : nullptr;
    error_ = cert_ ? db_.prepare(
                         "INSERT INTO errors (site, ts, hash, tool, target, code, rec) VALUES "
                         "($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                         e)
                   : nullptr;
    other_ = error_ ? db_.prepare(
                          "INSERT INTO others (site, ts, hash, type, rec) VALUES ($1, $2, $3, $4, "
                          "$5) ON CONFLICT DO NOTHING",
                          e)
                    : nullptr;
    if (other_) {
        series_get_ = db_.prepare(
            "SELECT id, coalesce(unit, ''), coalesce(source, '') FROM series WHERE "
            "site = $1 AND device = $2 AND metric = $3 AND labels = $4",
            e);
        const char* last_sql =
            db_.dialect() == Dialect::postgres
                ? "UPDATE series s SET last_ts = v.ts FROM (SELECT unnest($1::bigint[]) AS id, "
                  "unnest($2::bigint[]) AS ts) v WHERE s.id = v.id AND (s.last_ts IS NULL OR "
                  "s.last_ts < v.ts)"
                : "UPDATE series SET last_ts = $2 WHERE id = $1 AND (last_ts IS NULL OR last_ts < "
                  "$2)";
        series_last_ = series_get_ ? db_.prepare(last_sql, e) : nullptr;
        if (!series_last_) other_.reset();
    }
    if (other_) {
        std::string sql = "INSERT INTO readings (series, ts, num, txt, extra) VALUES ";
        for (std::size_t i = 0; i < reading_chunk; ++i) {
            int b = static_cast<int>(i * 5);
            sql += (i ? ", ($" : "($") + std::to_string(b + 1) + ", $" + std::to_string(b + 2) +
                   ", $" + std::to_string(b + 3) + ", $" + std::to_string(b + 4) + ", $" +
                   std::to_string(b + 5) + ")";
        }
        reading_many_ = db_.prepare(sql + " ON CONFLICT DO NOTHING", e);
        if (!reading_many_) other_.reset();
    }
    if (!other_) {
        site_.reset();
        return false;
    }
    return true;
}

namespace {
void bind_opt_text(Stmt& s, int i, const std::string& v) {
    if (v.empty())
        s.bind_null(i);
    else
        s.bind_text(i, v);
}
}  // namespace

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
        case Kind::device: {
            Stmt& s = *device_;
            s.bind_text(1, r.site);
            s.bind_text(2, r.id);
            s.bind_int(3, r.first_seen);
            s.bind_int(4, r.last_seen);
            bind_opt_text(s, 5, r.dev_class);
            bind_opt_text(s, 6, r.vendor);
            bind_opt_text(s, 7, r.model);
            s.bind_text(8, r.rec);
            return run(s);
        }
        case Kind::finding: {
            Stmt& s = *finding_;
            s.bind_text(1, r.site);
            s.bind_int(2, r.ts);
            s.bind_text(3, r.tool);
            s.bind_text(4, r.check);
            s.bind_text(5, r.target);
            s.bind_text(6, r.status);
            bind_opt_text(s, 7, r.severity);
            s.bind_text(8, r.rec);
            return run(s);
        }
        case Kind::event: {
            Stmt& s = *event_;
            s.bind_text(1, r.site);
            s.bind_int(2, r.ts);
            s.bind_int(3, r.hash);
            bind_opt_text(s, 4, r.source);
            bind_opt_text(s, 5, r.device);
            bind_opt_text(s, 6, r.name);
            bind_opt_text(s, 7, r.severity);
            s.bind_text(8, r.rec);
            return run(s);
        }
        case Kind::cert: {
            Stmt& s = *cert_;
            s.bind_text(1, r.site);
            s.bind_int(2, r.ts);
            s.bind_int(3, r.hash);
            bind_opt_text(s, 4, r.target);
            s.bind_text(5, r.rec);
            return run(s);
        }
        case Kind::error: {
            Stmt& s = *error_;
            s.bind_text(1, r.site);
            s.bind_int(2, r.ts);
            s.bind_int(3, r.hash);
            bind_opt_text(s, 4, r.tool);
            bind_opt_text(s, 5, r.target);
            bind_opt_text(s, 6, r.code);
            s.bind_text(7, r.rec);
            return run(s);
        }
        case Kind::other: {
            Stmt& s = *other_;
            s.bind_text(1, r.site);
            s.bind_int(2, r.ts);
            s.bind_int(3, r.hash);
            s.bind_text(4, r.type);
            s.bind_text(5, r.rec);
            return run(s);
        }
    }
    return true;
}

namespace {
void bind_reading(Stmt& s, int base, std::int64_t id, const Row& r) {
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
            bind_reading(*reading_many_, static_cast<int>(i * 5), pending_[i].first,
                         *pending_[i].second);
        ok = run(*reading_many_, pending_.size());
    } else {
        for (std::size_t i = 0; ok && i < pending_.size(); ++i) {
            bind_reading(*reading_, 0, pending_[i].first, *pending_[i].second);
            ok = run(*reading_, 1);
        }
    }
    pending_.clear();
    return ok;
}

bool Writer::write_once(const std::vector<Row>& rows, Counts& counts, std::string& e, bool& busy) {
    busy = false;
    if (!db_.begin_write(e)) {
        busy = true;
        return false;
    }
    bool ok = true;
    // Sites first, once per batch: the sites table is how a query knows data is mixed.
    std::string last_site = "\x01";
    for (const Row& r : rows) {
        if (r.site == last_site) continue;
        last_site = r.site;
        site_->bind_text(1, r.site);
        if (site_->step() == Stmt::Step::error) {
            busy = site_->busy();
            e = site_->error();
            ok = false;
        }
        site_->reset();
        if (!ok) break;
    }
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
    if (ok && db_.commit(e)) return true;
    db_.rollback();
    // Series ids made in the rolled-back transaction no longer exist.
    series_ids_.clear();
    return false;
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
