// The schema and its migrations (docs/STORE.md). Version 1 is the first layout, kept
// verbatim so a v1 database can be made (tests) and upgraded; each later version is a
// migration applied in its own transaction, so a crash mid-upgrade leaves the previous
// version intact. The same SQL serves SQLite and PostgreSQL, with a few words swapped.
#include "store/store.hpp"

#include "core/time.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace dce::store {
namespace {

std::string dialect_sql(Dialect d, std::string sql) {
    auto swap = [&](std::string_view key, std::string_view lite, std::string_view pg) {
        for (auto pos = sql.find(key); pos != std::string::npos; pos = sql.find(key, pos)) {
            auto with = d == Dialect::sqlite ? lite : pg;
            sql.replace(pos, key.size(), with);
            pos += with.size();
        }
    };
    // SQLite's rowid alias must be spelled exactly INTEGER PRIMARY KEY.
    swap("{ID}", "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY");
    // Readings are keyed by (series, ts) alone: on SQLite the key is the table.
    swap("{WITHOUT_ROWID}", " WITHOUT ROWID", "");
    return sql;
}

// Version 1: no sites.
constexpr const char* ddl_v1 = R"SQL(
CREATE TABLE schema_version (version BIGINT NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE devices (
  id TEXT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,
  class TEXT, vendor TEXT, model TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX devices_key ON devices (id);
CREATE TABLE series (
  id {ID}, device TEXT NOT NULL, metric TEXT NOT NULL, labels TEXT NOT NULL,
  unit TEXT, source TEXT);
CREATE UNIQUE INDEX series_key ON series (device, metric, labels);
CREATE TABLE readings (
  series BIGINT NOT NULL, ts BIGINT NOT NULL, num DOUBLE PRECISION, txt TEXT, extra TEXT,
  PRIMARY KEY (series, ts)){WITHOUT_ROWID};
CREATE TABLE events (
  id {ID}, ts BIGINT NOT NULL, hash BIGINT NOT NULL, source TEXT, device TEXT, name TEXT,
  severity TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX events_key ON events (ts, hash);
CREATE TABLE certs (
  id {ID}, ts BIGINT NOT NULL, hash BIGINT NOT NULL, endpoint TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX certs_key ON certs (ts, hash);
CREATE TABLE findings (
  id {ID}, ts BIGINT NOT NULL, tool TEXT NOT NULL, check_id TEXT NOT NULL,
  target TEXT NOT NULL, status TEXT NOT NULL, severity TEXT, rec TEXT NOT NULL);
CREATE UNIQUE INDEX findings_key ON findings (tool, check_id, target, ts);
CREATE TABLE errors (
  id {ID}, ts BIGINT NOT NULL, hash BIGINT NOT NULL, tool TEXT, target TEXT, code TEXT,
  rec TEXT NOT NULL);
CREATE UNIQUE INDEX errors_key ON errors (ts, hash);
CREATE TABLE others (
  id {ID}, ts BIGINT NOT NULL, hash BIGINT NOT NULL, type TEXT NOT NULL, rec TEXT NOT NULL);
CREATE UNIQUE INDEX others_key ON others (type, ts, hash);
)SQL";

// Version 2: sites (tenants) in every table and every natural key, a sites table so a
// query can tell cheaply whether the data holds more than one, and time indexes for
// queries and pruning.
constexpr const char* ddl_v2 = R"SQL(
CREATE TABLE sites (name TEXT PRIMARY KEY);
ALTER TABLE devices ADD COLUMN site TEXT NOT NULL DEFAULT '';
DROP INDEX devices_key;
CREATE UNIQUE INDEX devices_key ON devices (site, id);
ALTER TABLE series ADD COLUMN site TEXT NOT NULL DEFAULT '';
DROP INDEX series_key;
CREATE UNIQUE INDEX series_key ON series (site, device, metric, labels);
ALTER TABLE events ADD COLUMN site TEXT NOT NULL DEFAULT '';
DROP INDEX events_key;
CREATE UNIQUE INDEX events_key ON events (site, ts, hash);
ALTER TABLE certs ADD COLUMN site TEXT NOT NULL DEFAULT '';
DROP INDEX certs_key;
CREATE UNIQUE INDEX certs_key ON certs (site, ts, hash);
ALTER TABLE findings ADD COLUMN site TEXT NOT NULL DEFAULT '';
DROP INDEX findings_key;
CREATE UNIQUE INDEX findings_key ON findings (site, tool, check_id, target, ts);
CREATE INDEX findings_ts ON findings (site, ts);
ALTER TABLE errors ADD COLUMN site TEXT NOT NULL DEFAULT '';
DROP INDEX errors_key;
CREATE UNIQUE INDEX errors_key ON errors (site, ts, hash);
ALTER TABLE others ADD COLUMN site TEXT NOT NULL DEFAULT '';
DROP INDEX others_key;
CREATE UNIQUE INDEX others_key ON others (site, type, ts, hash);
INSERT INTO sites (name) SELECT DISTINCT '' FROM devices;
INSERT INTO sites (name) SELECT DISTINCT '' FROM series WHERE NOT EXISTS (SELECT 1 FROM sites);
INSERT INTO sites (name) SELECT DISTINCT '' FROM events WHERE NOT EXISTS (SELECT 1 FROM sites);
INSERT INTO sites (name) SELECT DISTINCT '' FROM findings WHERE NOT EXISTS (SELECT 1 FROM sites);
INSERT INTO sites (name) SELECT DISTINCT '' FROM errors WHERE NOT EXISTS (SELECT 1 FROM sites);
INSERT INTO sites (name) SELECT DISTINCT '' FROM certs WHERE NOT EXISTS (SELECT 1 FROM sites);
)SQL";

// PostgreSQL gets a BRIN index on reading time: tiny, and pruning and time-range
// queries over years of readings skip whole blocks. SQLite would pay for a B-tree on
// every insert, so it scans instead (pruning is rare).
constexpr const char* ddl_v2_postgres = R"SQL(
CREATE INDEX readings_ts ON readings USING brin (ts);
)SQL";

// Version 3: readings keyed by (ts, series) on SQLite. Input arrives in time order (one
// poll round after another), so with ts first every batch appends to the end of the
// B-tree instead of dirtying one leaf page per series (each written whole to the WAL):
// the difference between ingest slowing down as the table grows and staying flat.
// series.last_ts keeps `query --last` one index probe per series.
constexpr const char* ddl_v3 = R"SQL(
ALTER TABLE series ADD COLUMN last_ts BIGINT;
UPDATE series SET last_ts = (SELECT max(r.ts) FROM readings r WHERE r.series = series.id);
)SQL";
constexpr const char* ddl_v3_sqlite = R"SQL(
CREATE TABLE readings_v3 (
  ts BIGINT NOT NULL, series BIGINT NOT NULL, num DOUBLE PRECISION, txt TEXT, extra TEXT,
  PRIMARY KEY (ts, series)) WITHOUT ROWID;
INSERT INTO readings_v3 (ts, series, num, txt, extra) SELECT ts, series, num, txt, extra FROM readings;
DROP TABLE readings;
ALTER TABLE readings_v3 RENAME TO readings;
)SQL";

// Version 4: readings on PostgreSQL partitioned by UTC day (store/partitions.hpp), so
// retention drops whole tables and a time-range query reads only its days. The old
// table is not copied: it becomes the partition readings_legacy for every time before
// the day after its newest row (one scan to check the bound, no rewrite), and later days
// get partitions of their own as ingest needs them. series gets fillfactor 50: every
// batch moves series.last_ts, and room on the page makes that a HOT update (no new index
// entries). SQLite is unchanged.
constexpr const char* ddl_v4_postgres = R"SQL(
ALTER TABLE readings RENAME TO readings_legacy;
ALTER INDEX readings_pkey RENAME TO readings_legacy_pkey;
ALTER INDEX readings_ts RENAME TO readings_legacy_ts;
CREATE TABLE readings (
  series BIGINT NOT NULL, ts BIGINT NOT NULL, num DOUBLE PRECISION, txt TEXT, extra TEXT,
  PRIMARY KEY (series, ts)) PARTITION BY RANGE (ts);
CREATE INDEX readings_ts ON readings USING brin (ts);
CREATE TABLE readings_default PARTITION OF readings DEFAULT;
ALTER TABLE series SET (fillfactor = 50);
DO $$
DECLARE hi BIGINT;
BEGIN
  SELECT (floor(max(ts) / 86400000.0) + 1)::bigint * 86400000 INTO hi FROM readings_legacy;
  IF hi IS NULL THEN
    DROP TABLE readings_legacy;
  ELSE
    EXECUTE format('ALTER TABLE readings ATTACH PARTITION readings_legacy '
                   'FOR VALUES FROM (MINVALUE) TO (%s)', hi);
  END IF;
END $$;
)SQL";

// Version 5: the API's OAuth2 clients and access tokens (lib/api, docs/API.md). A client's
// secret is kept only as an scrypt hash with its own salt; an access token only as an
// HMAC-SHA256 under the server's key file, so a copy of the database yields neither.
// `site` NULL: the client sees every site; otherwise only that one ('' = records without
// a site). Removing a client removes its tokens in the same transaction.
constexpr const char* ddl_v5 = R"SQL(
CREATE TABLE api_clients (
  name TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, scopes TEXT NOT NULL, site TEXT,
  created BIGINT NOT NULL);
CREATE TABLE api_tokens (
  hash TEXT PRIMARY KEY, client TEXT NOT NULL, scopes TEXT NOT NULL, site TEXT,
  expires BIGINT NOT NULL);
CREATE INDEX api_tokens_client ON api_tokens (client);
CREATE INDEX api_tokens_expires ON api_tokens (expires);
)SQL";

// Version 6: an insertion sequence `seq` in every stored kind's table, for the API's
// change feed (store/changes.cpp, docs/STORE.md "Change feed"). Offsets never repeat
// across tables. Existing rows are numbered once here, table by table (a rewrite of each
// table: the migration's cost grows with the store).
//
// SQLite has one writer at a time, so a one-row counter read and moved by each write
// transaction makes numbers increase in commit order.
constexpr const char* v6_tables[] = {"devices", "events", "certs",   "findings",
                                     "errors",  "others", "readings"};
std::string ddl_v6_sqlite() {
    std::string sql =
        "CREATE TABLE changes_counter (next BIGINT NOT NULL);\n"
        "INSERT INTO changes_counter (next) VALUES (1);\n";
    for (std::string t : v6_tables) {
        // readings is WITHOUT ROWID, keyed (ts, series); the others number by rowid.
        bool rowid = t != "readings";
        std::string key = rowid ? "rowid" : "ts, series";
        std::string cols = rowid ? "rowid AS rid" : key;
        std::string join =
            rowid ? t + ".rowid = x.rid" : t + ".ts = x.ts AND " + t + ".series = x.series";
        sql += "ALTER TABLE " + t + " ADD COLUMN seq BIGINT;\n";
        sql += "UPDATE " + t + " SET seq = (SELECT next FROM changes_counter) + x.n - 1 FROM " +
               "(SELECT " + cols + ", row_number() OVER (ORDER BY " + key + ") AS n FROM " + t +
               ") x WHERE " + join + ";\n";
        sql += "UPDATE changes_counter SET next = next + (SELECT count(*) FROM " + t + ");\n";
        sql += "CREATE INDEX " + t + "_seq ON " + t + " (seq);\n";
    }
    return sql;
}
// PostgreSQL numbers rows from a sequence (CACHE 1: values are handed out in call order
// across sessions), each table's column defaulting to nextval; ADD COLUMN with that
// default numbers existing rows while it rewrites the table (readings: every partition).
// Writers run in parallel; the reader's horizon (changes.cpp) keeps the feed gap-free.
std::string ddl_v6_postgres() {
    // readings: a BRIN index, not a B-tree. seq grows with the insertion order, so block
    // ranges summarise it well, and a B-tree entry per reading cost ingest about a third
    // more server time per COPY (measured: 1M rows 4.2 s without, 5.8 s with a B-tree,
    // 3.9 s with BRIN). The feed reads it in bounded windows (changes.cpp).
    std::string sql = "CREATE SEQUENCE changes_seq;\n";
    for (std::string t : v6_tables)
        sql += "ALTER TABLE " + t +
               " ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('changes_seq');\n"
               "CREATE INDEX " +
               t + "_seq ON " + t + (t == "readings" ? " USING brin (seq)" : " (seq)") + ";\n";
    return sql;
}

}  // namespace

bool read_schema_version(Db& db, int& version, std::string& error) {
    std::string sql =
        db.dialect() == Dialect::sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'"
            : "SELECT count(*) FROM information_schema.tables WHERE "
              "table_schema = current_schema() AND table_name = 'schema_version'";
    auto st = db.prepare(sql, error);
    if (!st) return false;
    if (st->step() != Stmt::Step::row) return error = st->error(), false;
    if (st->col_int(0) == 0) return version = 0, true;
    auto v = db.prepare("SELECT max(version) FROM schema_version", error);
    if (!v) return false;
    if (v->step() != Stmt::Step::row) return error = v->error(), false;
    version = v->is_null(0) ? 0 : static_cast<int>(v->col_int(0));
    return true;
}

bool migrate(Db& db, std::string& error, int target) {
    int version = 0;
    if (!read_schema_version(db, version, error)) return false;
    if (version > schema_version_current) {
        error = "database schema version " + std::to_string(version) +
                " is newer than this dce-store (" + std::to_string(schema_version_current) +
                "); upgrade dce-store";
        return false;
    }
    while (version < target) {
        // One transaction per step; re-read the version inside it, since another process
        // may have migrated while this one waited for the lock.
        if (!db.begin_write(error)) return false;
        std::string err;
        bool ok =
            db.dialect() != Dialect::postgres || db.exec("SELECT pg_advisory_xact_lock(4201)", err);
        int now = 0;
        ok = ok && read_schema_version(db, now, err);
        if (ok && now > version) {
            db.commit(err);
            version = now;
            continue;
        }
        int next = version + 1;
        if (ok) {
            if (next == 1) ok = db.exec(dialect_sql(db.dialect(), ddl_v1), err);
            if (next == 2) {
                ok = db.exec(dialect_sql(db.dialect(), ddl_v2), err);
                if (ok && db.dialect() == Dialect::postgres) ok = db.exec(ddl_v2_postgres, err);
            }
            if (next == 3) {
                ok = db.exec(ddl_v3, err);
                if (ok && db.dialect() == Dialect::sqlite) ok = db.exec(ddl_v3_sqlite, err);
            }
            if (next == 4 && db.dialect() == Dialect::postgres) ok = db.exec(ddl_v4_postgres, err);
            if (next == 5) ok = db.exec(ddl_v5, err);
            if (next == 6)
                ok = db.exec(db.dialect() == Dialect::sqlite ? ddl_v6_sqlite() : ddl_v6_postgres(),
                             err);
        }
        if (ok) {
            auto st =
                db.prepare("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", err);
            ok = st != nullptr;
            if (ok) {
                st->bind_int(1, next);
                st->bind_text(2, now_timestamp());
                ok = st->step() == Stmt::Step::done;
                if (!ok) err = st->error();
            }
        }
        if (!ok || !db.commit(err)) {
            db.rollback();
            error = "migration to schema version " + std::to_string(next) + " failed: " + err;
            return false;
        }
        version = next;
    }
    return true;
}

bool is_postgres_url(std::string_view spec) {
    return spec.starts_with("postgresql://") || spec.starts_with("postgres://");
}

std::unique_ptr<Db> open_db(const OpenOptions& opts, std::string& error) {
    if (is_postgres_url(opts.spec))
        return open_postgres(
            {.url = opts.spec, .password = opts.password, .interrupted = opts.interrupted}, error);
    if (!opts.create && opts.spec != ":memory:") {
        struct stat sb {};
        if (::stat(opts.spec.c_str(), &sb) != 0) {
            error = "no database at " + opts.spec + " (ingest something first, or give --db)";
            return nullptr;
        }
    }
    // Read-only in a directory this process cannot write (read-only media, a snapshot):
    // no writer can exist there, and SQLite could not make the -shm file a WAL database
    // needs, so the file is opened as immutable.
    bool immutable = false;
    if (opts.read_only && opts.spec != ":memory:") {
        auto slash = opts.spec.rfind('/');
        std::string dir = slash == std::string::npos ? "." : opts.spec.substr(0, slash + 1);
        immutable = ::access(dir.c_str(), W_OK) != 0;
    }
    return open_sqlite(opts.spec,
                       {.create = opts.create,
                        .read_only = opts.read_only,
                        .immutable = immutable,
                        .max_pages = opts.max_pages},
                       error);
}

}  // namespace dce::store
