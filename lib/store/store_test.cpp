// Unit tests of the store on an in-memory SQLite database.
#include "store/store.hpp"

#include <catch.hpp>

#include <set>

using namespace dce;
using namespace dce::store;

namespace {

std::unique_ptr<Db> memdb() {
    std::string error;
    auto db = open_sqlite(":memory:", {}, error);
    REQUIRE(db);
    REQUIRE(migrate(*db, error));
    return db;
}

Row row_of(const std::string& line, std::string_view site = "") {
    Row r;
    std::string why;
    Json j = Json::parse(line);
    REQUIRE(check_record(j, why));
    REQUIRE(to_row(j, site, r, why));
    return r;
}

Counts store_lines(Db& db, const std::vector<std::string>& lines, std::string_view site = "") {
    Writer w(db);
    std::vector<Row> rows;
    for (const auto& l : lines)
        rows.push_back(row_of(l, site));
    Counts c;
    std::string error;
    REQUIRE(w.write(rows, c, error));
    return c;
}

std::vector<Json> query_all(Db& db, const Query& q) {
    std::vector<Json> out;
    std::string error;
    REQUIRE(run_query(
        db, q, [&](const Json& r) { return out.push_back(r), true; }, error));
    return out;
}

std::int64_t count(Db& db, const std::string& sql) {
    std::string error;
    auto st = db.prepare(sql, error);
    REQUIRE(st);
    REQUIRE(st->step() == Stmt::Step::row);
    return st->col_int(0);
}

const std::string r1 =
    R"({"type":"reading","ts":"2026-11-22T07:30:00.000Z","device":"snmp://127.0.0.1:161","metric":"ups.battery.charge","value":97,"unit":"percent","source":"1.3.6.1.4.1.318.1.1.1.2.2.1.0"})";
const std::string r2 =
    R"({"type":"reading","ts":"2026-11-22T07:31:00.000Z","device":"snmp://127.0.0.1:161","metric":"ups.battery.charge","value":95.5,"unit":"percent"})";
const std::string r3 =
    R"({"type":"reading","ts":"2026-11-22T07:31:00.000Z","device":"snmp://127.0.0.1:161","metric":"pdu.outlet.state","value":"on","labels":{"outlet":3,"bank":"A"}})";

}  // namespace

TEST_CASE("a new database gets the current schema, and migrating again changes nothing") {
    auto db = memdb();
    int v = 0;
    std::string error;
    REQUIRE(read_schema_version(*db, v, error));
    CHECK(v == schema_version_current);
    REQUIRE(migrate(*db, error));
    CHECK(count(*db, "SELECT count(*) FROM schema_version") == schema_version_current);
}

TEST_CASE("a version 1 database made by the old DDL is upgraded in place, data kept") {
    std::string error;
    auto db = open_sqlite(":memory:", {}, error);
    REQUIRE(migrate(*db, error, 1));
    REQUIRE(db->exec(
        "INSERT INTO devices (id, first_seen, last_seen, rec) VALUES "
        "('snmp://127.0.0.1:161', 1, 2, '{\"type\":\"device\",\"ts\":\"2026-11-22T07:30:00.000Z\","
        "\"id\":\"snmp://127.0.0.1:161\",\"target\":\"127.0.0.1\",\"transport\":\"snmp\"}');"
        "INSERT INTO series (device, metric, labels) VALUES ('snmp://127.0.0.1:161', 'ups.load', "
        "'');"
        "INSERT INTO readings (series, ts, num) VALUES (1, 1000, 42);",
        error));
    int v = 0;
    REQUIRE(read_schema_version(*db, v, error));
    CHECK(v == 1);
    REQUIRE(migrate(*db, error));
    REQUIRE(read_schema_version(*db, v, error));
    CHECK(v == schema_version_current);
    auto readings = query_all(*db, Query{.kind = Kind::reading});
    REQUIRE(readings.size() == 1);
    CHECK(readings[0]["value"] == 42);
    CHECK(!readings[0].contains("site"));
    // series.last_ts was filled by the upgrade: --last finds the newest value.
    auto last = query_all(*db, Query{.kind = Kind::reading, .last = true});
    REQUIRE(last.size() == 1);
    CHECK(last[0]["value"] == 42);
    std::vector<std::string> sites;
    REQUIRE(list_sites(*db, sites, error));
    CHECK(sites == std::vector<std::string>{""});
    // The new natural key includes the site: the same reading under a site is new.
    auto c = store_lines(*db, {r1}, "paris");
    CHECK(c[Kind::reading].stored == 1);
    // v6 numbered the old rows once each (no two share an offset), the new one after.
    CHECK(count(*db, "SELECT count(*) FROM devices WHERE seq IS NULL") == 0);
    CHECK(count(*db,
                "SELECT count(DISTINCT seq) FROM (SELECT seq FROM devices UNION ALL "
                "SELECT seq FROM readings)") == 3);
    CHECK(count(*db, "SELECT max(seq) FROM readings") == 3);
    CHECK(count(*db, "SELECT next FROM changes_counter") == 4);
}

TEST_CASE("a database newer than this build is refused") {
    auto db = memdb();
    std::string error;
    REQUIRE(db->exec("INSERT INTO schema_version VALUES (99, 'later')", error));
    CHECK_FALSE(migrate(*db, error));
    CHECK(error.find("newer") != std::string::npos);
}

TEST_CASE("re-ingesting the same readings stores nothing twice") {
    auto db = memdb();
    auto c = store_lines(*db, {r1, r2, r3});
    CHECK(c[Kind::reading].stored == 3);
    c = store_lines(*db, {r1, r2, r3});
    CHECK(c[Kind::reading].stored == 0);
    CHECK(c[Kind::reading].duplicate == 3);
    CHECK(count(*db, "SELECT count(*) FROM readings") == 3);
    CHECK(count(*db, "SELECT count(*) FROM series") == 2);
}

TEST_CASE("labels are a canonical part of the key, whatever their order") {
    Row a = row_of(
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"labels":{"b":"2","a":1}})");
    Row b = row_of(
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"labels":{"a":1,"b":"2"}})");
    CHECK(a.labels == b.labels);
    CHECK(a.labels == R"({"a":1,"b":"2"})");
}

TEST_CASE("readings come back in the contract's shape, values of every kind exact") {
    auto db = memdb();
    store_lines(
        *db,
        {r1, r3,
         R"({"type":"reading","ts":"2026-11-22T07:32:00.000Z","device":"d","metric":"ok","value":true,"poller":"p1"})"});
    auto out = query_all(*db, Query{.kind = Kind::reading});
    REQUIRE(out.size() == 3);
    CHECK(out[0].dump() == Json::parse(r1).dump());
    CHECK(out[1]["value"] == "on");
    CHECK(out[1]["labels"]["outlet"] == 3);
    CHECK(out[2]["value"] == true);
    CHECK(out[2]["poller"] == "p1");
    for (const auto& r : out) {
        std::string why;
        CHECK(check_record(r, why));
    }
}

TEST_CASE("query filters: metric wildcard, label, time range, last, buckets") {
    auto db = memdb();
    std::vector<std::string> lines;
    for (int i = 0; i < 10; ++i) {
        char buf[400];
        std::snprintf(
            buf, sizeof buf,
            R"({"type":"reading","ts":"2026-11-22T07:%02d:00.000Z","device":"snmp://127.0.0.%d:161","metric":"ups.load","value":%d,"labels":{"phase":"%d"}})",
            i, 1 + i % 2, i * 10, i % 2);
        lines.push_back(buf);
    }
    lines.push_back(r3);
    store_lines(*db, lines);
    CHECK(query_all(*db, Query{.kind = Kind::reading, .metrics = {"ups.*"}}).size() == 10);
    CHECK(query_all(*db, Query{.kind = Kind::reading, .metrics = {"ups"}}).empty());
    CHECK(query_all(*db, Query{.kind = Kind::reading, .labels = {{"phase", "1"}}}).size() == 5);
    CHECK(query_all(*db, Query{.kind = Kind::reading, .labels = {{"outlet", "3"}}}).size() == 1);
    auto since = query_all(*db, Query{.kind = Kind::reading,
                                      .metrics = {"ups.load"},
                                      .since = 1795330800000 + 5 * 60000});  // 07:05
    CHECK(since.size() == 5);
    auto last = query_all(*db, Query{.kind = Kind::reading, .metrics = {"ups.load"}, .last = true});
    REQUIRE(last.size() == 2);
    CHECK(last[0]["value"] == 80);
    CHECK(last[1]["value"] == 90);
    auto buckets = query_all(
        *db,
        Query{.kind = Kind::reading, .devices = {"snmp://127.0.0.1:161"}, .every_ms = 5 * 60000});
    REQUIRE(buckets.size() == 2);
    CHECK(buckets[0]["min"] == 0);
    CHECK(buckets[0]["max"] == 40);
    CHECK(buckets[0]["avg"] == 20.0);
    CHECK(buckets[0]["last"] == 40);
    CHECK(buckets[0]["count"] == 3);
    CHECK(buckets[1]["count"] == 2);
    CHECK(buckets[1]["ts"] == "2026-11-22T07:05:00.000Z");
}

TEST_CASE("a device seen again is updated and keeps first and last seen") {
    auto db = memdb();
    auto dev = [](const char* ts, const char* fw) {
        return std::string(R"({"type":"device","ts":")") + ts +
               R"(","id":"snmp://127.0.0.1:161","target":"127.0.0.1","transport":"snmp","firmware":")" +
               fw + "\"}";
    };
    store_lines(*db, {dev("2026-11-22T07:30:00.000Z", "v1")});
    auto c = store_lines(
        *db, {dev("2026-11-22T08:30:00.000Z", "v2"), dev("2026-11-22T06:30:00.000Z", "v0")});
    CHECK(c[Kind::device].stored == 2);
    auto out = query_all(*db, Query{.kind = Kind::device});
    REQUIRE(out.size() == 1);
    CHECK(out[0]["firmware"] == "v2");
    CHECK(out[0]["first_seen"] == "2026-11-22T06:30:00.000Z");
    CHECK(out[0]["last_seen"] == "2026-11-22T08:30:00.000Z");
}

TEST_CASE("events, findings, errors, certs and unknown types are appended once each") {
    auto db = memdb();
    std::vector<std::string> lines = {
        R"({"type":"event","ts":"2026-11-22T07:30:00.000Z","source":"127.0.0.1","transport":"snmp","name":"upsOnBattery","severity":"high"})",
        R"({"type":"event","ts":"2026-11-22T07:30:00.000Z","source":"127.0.0.1","transport":"snmp","name":"upsOnLine","severity":"info"})",
        R"({"type":"finding","ts":"2026-11-22T07:30:00.000Z","tool":"dce-audit","check":"snmp.v1-disabled","target":"127.0.0.1","status":"fail","severity":"high","message":"SNMPv1 answers"})",
        R"({"type":"error","ts":"2026-11-22T07:30:00.000Z","tool":"dce-poll","target":"127.0.0.2","code":"timeout","message":"no answer"})",
        R"({"type":"cert","ts":"2026-11-22T07:30:00.000Z","endpoint":"127.0.0.1:443"})",
        R"({"type":"flow","ts":"2026-11-22T07:30:00.000Z","bytes":12})",
    };
    auto c = store_lines(*db, lines);
    CHECK(c[Kind::event].stored == 2);
    CHECK(c[Kind::finding].stored == 1);
    CHECK(c[Kind::error].stored == 1);
    CHECK(c[Kind::cert].stored == 1);
    CHECK(c[Kind::other].stored == 1);
    c = store_lines(*db, lines);
    CHECK(c[Kind::event].duplicate == 2);
    CHECK(c[Kind::other].duplicate == 1);
    auto ev = query_all(*db, Query{.kind = Kind::event, .severity = {"high"}});
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].dump() == Json::parse(lines[0]).dump());
    CHECK(query_all(*db, Query{.kind = Kind::finding, .status = {"fail"}}).size() == 1);
    CHECK(query_all(*db, Query{.kind = Kind::finding, .status = {"pass"}}).empty());
    auto other = query_all(*db, Query{.kind = Kind::other, .types = {"flow"}});
    REQUIRE(other.size() == 1);
    CHECK(other[0]["bytes"] == 12);
}

TEST_CASE("sites keep data apart") {
    auto db = memdb();
    store_lines(*db, {r1}, "paris");
    store_lines(*db, {r1}, "lyon");
    std::vector<std::string> sites;
    std::string error;
    REQUIRE(list_sites(*db, sites, error));
    CHECK(sites == std::vector<std::string>{"lyon", "paris"});
    auto paris = query_all(*db, Query{.kind = Kind::reading, .site = "paris"});
    REQUIRE(paris.size() == 1);
    CHECK(paris[0]["site"] == "paris");
    CHECK(query_all(*db, Query{.kind = Kind::reading}).size() == 2);
    Row r;
    std::string why;
    Json j = Json::parse(r1);
    j["site"] = "lyon";
    CHECK_FALSE(to_row(j, "paris", r, why));
    CHECK(why.find("lyon") != std::string::npos);
}

TEST_CASE("prune deletes what is older than the cutoff, per kind") {
    auto db = memdb();
    store_lines(
        *db,
        {r1, r2, r3,
         R"({"type":"event","ts":"2026-11-22T07:30:00.000Z","source":"127.0.0.1","transport":"snmp"})"});
    std::vector<PruneResult> res;
    std::string error;
    std::int64_t cutoff = 1795330800000 + 31 * 60000;  // 07:31
    REQUIRE(prune(*db, {{Kind::reading, cutoff}}, std::nullopt, true, res, error));
    REQUIRE(res.size() == 1);
    CHECK(res[0].deleted == 1);
    CHECK(count(*db, "SELECT count(*) FROM readings") == 3);
    res.clear();
    REQUIRE(prune(*db, {{Kind::reading, cutoff}, {Kind::event, cutoff}}, std::nullopt, false, res,
                  error));
    CHECK(count(*db, "SELECT count(*) FROM readings") == 2);
    CHECK(count(*db, "SELECT count(*) FROM events") == 0);
    Stats s;
    REQUIRE(collect_stats(*db, std::nullopt, s, error));
    CHECK(s.kinds[Kind::reading].rows == 2);
    CHECK(s.series == 2);
}

TEST_CASE("a URL carrying a password is recognised") {
    CHECK(url_has_password("postgresql://dce:secret@127.0.0.1:5432/dce"));
    CHECK(url_has_password("postgresql://127.0.0.1/dce?user=dce&password=secret"));
    CHECK_FALSE(url_has_password("postgresql://dce@127.0.0.1:5432/dce?sslmode=verify-full"));
    CHECK_FALSE(url_has_password("postgresql://[::1]:5432/dce"));
}

TEST_CASE("fnv1a64 is the published FNV-1a") {
    CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
    CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
}

#include "core/jsonl.hpp"
#include "store/fast_reading.hpp"

TEST_CASE("the simdjson fast path stores exactly what the core path stores, or declines") {
    FastReadingParser fast;
    const std::vector<std::string> accepted = {
        r1,
        r2,
        r3,
        R"({"type":"reading","ts":"2026-11-22T07:30:00+02:00","device":"d","metric":"m","value":-1.25e3,"site":"s1"})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00.5Z","device":"d\u00e9","metric":"m","value":"a\"b","labels":{}})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"labels":{"z":"1","a":-7}})",
    };
    for (const auto& line : accepted) {
        Row f, c;
        INFO(line);
        REQUIRE(fast.parse(line, "", f));
        std::string why;
        Json j = Json::parse(line);
        REQUIRE(to_row(j, "", c, why));
        CHECK(f.ts == c.ts);
        CHECK(f.site == c.site);
        CHECK(f.device == c.device);
        CHECK(f.metric == c.metric);
        CHECK(f.labels == c.labels);
        CHECK(f.unit == c.unit);
        CHECK(f.source == c.source);
        CHECK(f.has_num == c.has_num);
        CHECK(f.num == c.num);
        CHECK(f.has_txt == c.has_txt);
        CHECK(f.txt == c.txt);
        CHECK(f.extra == c.extra);
    }
    const std::vector<std::string> declined = {
        R"({"type":"event","ts":"2026-11-22T07:30:00Z","source":"s","transport":"snmp"})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":true})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"poller":"p"})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"labels":{"a":1.5}})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"labels":{"a":"x\ny"}})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1} {"x":1})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"value":2})",
        R"({"type":"reading","ts":"yesterday","device":"d","metric":"m","value":1})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","metric":"m","value":1})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1,"unit":5})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1)",
        "{\"type\":\"reading\",\"ts\":\"2026-11-22T07:30:00Z\",\"device\":\"\xff\",\"metric\":"
        "\"m\",\"value\":1}",
    };
    for (const auto& line : declined) {
        Row f;
        INFO(line);
        CHECK_FALSE(fast.parse(line, "", f));
    }
    Row f;
    CHECK_FALSE(fast.parse(
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","site":"a","device":"d","metric":"m","value":1})",
        "b", f));
    REQUIRE(fast.parse(
        R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m","value":1})",
        "b", f));
    CHECK(f.site == "b");
}

TEST_CASE("integers beyond 2^53 keep their exact value through ingest and query") {
    auto db = memdb();
    FastReadingParser fast;
    const std::vector<std::string> big = {
        R"({"type":"reading","ts":"2026-11-22T07:30:00.000Z","device":"d","metric":"a","value":9007199254740993})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00.000Z","device":"d","metric":"b","value":-9007199254740993})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00.000Z","device":"d","metric":"c","value":18446744073709551615})",
        R"({"type":"reading","ts":"2026-11-22T07:30:00.000Z","device":"d","metric":"d","value":9007199254740992})",
    };
    for (const auto& line : big) {
        Row f;
        INFO(line);
        if (line.find("740992") == std::string::npos) CHECK_FALSE(fast.parse(line, "", f));
    }
    store_lines(*db, big);
    auto out = query_all(*db, Query{.kind = Kind::reading});
    REQUIRE(out.size() == 4);
    for (std::size_t i = 0; i < out.size(); ++i)
        CHECK(out[i].dump() == Json::parse(big[i]).dump());
}

TEST_CASE("the fast path refuses nesting deeper than the core limit") {
    FastReadingParser fast;
    Row f;
    std::string deep = R"({"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","metric":"m",)"
                       R"("labels":)" +
                       std::string(53000, '[') + std::string(53000, ']') + R"(,"value":1})";
    CHECK_FALSE(fast.parse(deep, "", f));
    Json j;
    std::string why;
    CHECK_FALSE(parse_record_line(deep, j, why, true));
    CHECK(why == "nested deeper than 64 levels");
}

#include "store/db_sqlite.hpp"

#include <type_traits>

// Each owns a SQLite handle: a copy would finalize (or close) it twice.
static_assert(!std::is_copy_constructible_v<SqliteStmt> && !std::is_copy_assignable_v<SqliteStmt>);
static_assert(!std::is_copy_constructible_v<SqliteDb> && !std::is_copy_assignable_v<SqliteDb>);
static_assert(std::is_nothrow_move_constructible_v<SqliteStmt> &&
              std::is_nothrow_move_assignable_v<SqliteStmt>);
static_assert(std::is_nothrow_move_constructible_v<SqliteDb> &&
              std::is_nothrow_move_assignable_v<SqliteDb>);

TEST_CASE("SQLite handles are move-only: a moved-from statement is inert") {
    auto db = memdb();
    std::string error;
    auto st = db->prepare("SELECT $1 + 1", error);
    REQUIRE(st);
    auto& sq = dynamic_cast<SqliteStmt&>(*st);
    SqliteStmt moved(std::move(sq));
    moved.bind_int(1, 41);
    REQUIRE(moved.step() == Stmt::Step::row);
    CHECK(moved.col_int(0) == 42);
    moved.reset();
}  // `sq` (moved from) and `moved` are destroyed here: one finalize, not two

#include "store/kinds.hpp"

TEST_CASE("the kinds table names only columns the migrated schema has") {
    // The DDL is migration history (schema.cpp); the table drives inserts, binders,
    // queries, retention and stats. A column added to one and not the other fails here.
    auto db = memdb();
    std::set<std::string> kinds_seen;
    for (const KindSpec& k : kind_specs()) {
        INFO(k.name);
        kinds_seen.insert(std::string(k.name));
        CHECK(kind_from_name(k.name) == k.kind);
        CHECK(kind_from_name(std::string(k.name) + "s") == k.kind);
        std::vector<std::string_view> names;
        for (const KindColumn& c : k.columns) {
            names.push_back(c.name);
            CHECK((c.text == nullptr) != (c.integer == nullptr));
        }
        for (const KindFilter& f : k.filters) {
            names.push_back(f.column);
            if (!f.alt_column.empty()) names.push_back(f.alt_column);
        }
        for (std::string_view f : k.time_fields)
            names.push_back(f);
        names.push_back(k.time_column);
        for (std::string_view c : names) {
            INFO(c);
            CHECK(count(*db, "SELECT count(*) FROM pragma_table_info('" + std::string(k.table) +
                                 "') WHERE name = '" + std::string(c) + "'") == 1);
        }
    }
    CHECK(kinds_seen.size() == std::size(all_kinds));
}

namespace {

// Reads every page of `q` with keyset pagination (q.limit per page): the records in order.
std::vector<std::string> walk_pages(Db& db, Query q, int& pages) {
    std::vector<std::string> out;
    pages = 0;
    while (true) {
        std::string error;
        RowKey last;
        std::int64_t n = 0;
        REQUIRE(run_query_keyed(
            db, q,
            [&](const Json& r, const RowKey& key) {
                out.push_back(r.dump());
                last = key;
                return ++n < q.limit;
            },
            error));
        ++pages;
        REQUIRE(pages < 100);
        if (n < q.limit) return out;
        q.after = last;
    }
}

std::vector<std::string> dumps(const std::vector<Json>& v) {
    std::vector<std::string> out;
    for (const auto& j : v)
        out.push_back(j.dump());
    return out;
}

struct Feed {
    std::vector<Json> records;
    std::int64_t next_after = 0;
};

Feed changes(Db& db, std::int64_t after, std::int64_t limit,
             std::vector<Kind> kinds = {Kind::device, Kind::reading, Kind::event, Kind::other,
                                        Kind::finding},
             std::optional<std::string> site = std::nullopt) {
    Feed f;
    std::string error;
    REQUIRE(read_changes(
        db, after, site, kinds, limit, [&](const Json& r) { return f.records.push_back(r), true; },
        f.next_after, error));
    return f;
}

const std::string ev1 =
    R"({"type":"event","ts":"2026-11-22T07:30:00.000Z","source":"127.0.0.1","transport":"snmp","name":"upsOnBattery","severity":"high"})";
const std::string fd1 =
    R"({"type":"finding","ts":"2026-11-22T07:30:00.000Z","tool":"dce-audit","check":"snmp.v1-disabled","target":"127.0.0.1","status":"fail","severity":"high","message":"SNMPv1 answers"})";
std::string device_at(const char* ts) {
    return std::string(R"({"type":"device","ts":")") + ts +
           R"(","id":"snmp://127.0.0.1:161","target":"127.0.0.1","transport":"snmp"})";
}

}  // namespace

TEST_CASE("keyset pages give every record once, in order, for every query shape") {
    auto db = memdb();
    std::vector<std::string> lines;
    // Two sites, three series, readings with equal timestamps across series (ties on ts).
    for (int i = 0; i < 7; ++i) {
        std::string ts = "2026-11-22T07:3" + std::to_string(i) + ":00.000Z";
        for (const char* site : {"paris", "lyon"}) {
            lines.push_back(R"({"type":"reading","ts":")" + ts +
                            R"(","device":"d1","metric":"m","value":)" + std::to_string(i) +
                            R"(,"site":")" + site + "\"}");
            lines.push_back(R"({"type":"reading","ts":")" + ts +
                            R"(","device":"d1","metric":"m","labels":{"k":"b"},"value":)" +
                            std::to_string(10 + i) + R"(,"site":")" + site + "\"}");
        }
        lines.push_back(
            R"({"type":"event","ts":")" + ts +
            R"(","source":"d1","transport":"snmp","name":"e","severity":"info","site":"paris"})");
        lines.push_back(
            R"({"type":"event","ts":")" + ts +
            R"(","source":"d2","transport":"snmp","name":"e","severity":"info","site":"paris"})");
        lines.push_back(R"({"type":"device","ts":")" + ts + R"(","id":"dev)" + std::to_string(i) +
                        R"(","target":"x","transport":"snmp","site":"paris"})");
    }
    store_lines(*db, lines);

    std::vector<Query> shapes(5);
    shapes[0].kind = Kind::reading;
    shapes[1].kind = Kind::reading;
    shapes[1].last = true;
    shapes[2].kind = Kind::reading;
    shapes[2].every_ms = 120000;
    shapes[3].kind = Kind::event;
    shapes[4].kind = Kind::device;
    for (Query q : shapes) {
        for (std::int64_t limit : {1, 2, 3, 5}) {
            q.limit = 0;
            auto all = dumps(query_all(*db, q));
            REQUIRE(!all.empty());
            q.limit = limit;
            int pages = 0;
            auto paged = walk_pages(*db, q, pages);
            CHECK(paged == all);
            CHECK(pages == static_cast<int>(all.size()) / limit + 1);
            // The site filter holds on every page, whatever the key says.
            q.site = "lyon";
            auto lyon = walk_pages(*db, q, pages);
            for (const auto& r : lyon)
                CHECK(r.find("\"paris\"") == std::string::npos);
            q.site.reset();
        }
    }
}

TEST_CASE("a key of another shape is an error, not a query") {
    auto db = memdb();
    Query q;
    q.kind = Kind::event;
    q.after = {std::string("x"), std::int64_t{1}};
    std::string error;
    CHECK_FALSE(run_query_keyed(
        *db, q, [](const Json&, const RowKey&) { return true; }, error));
    CHECK(query_key_shape(q) == std::vector<bool>{true, true});
    q.kind = Kind::device;
    CHECK(query_key_shape(q) == std::vector<bool>{false, false});
}

TEST_CASE("the change feed gives every record once in insertion order page by page") {
    auto db = memdb();
    store_lines(*db, {device_at("2026-11-22T07:30:00.000Z"), r1, r2, ev1, fd1});
    auto all = changes(*db, 0, 100);
    REQUIRE(all.records.size() == 5);
    std::multiset<std::string> types;
    for (const Json& r : all.records)
        types.insert(r["type"].get<std::string>());
    CHECK(types == std::multiset<std::string>{"device", "reading", "reading", "event", "finding"});
    for (std::size_t i = 1; i < all.records.size(); ++i)
        CHECK(all.records[i]["offset"].get<std::int64_t>() >
              all.records[i - 1]["offset"].get<std::int64_t>());
    for (const Json& r : all.records)  // the contract's shape, plus "offset"
        if (r["type"] == "reading" && r["ts"] == "2026-11-22T07:30:00.000Z")
            CHECK(r["value"] == 97);
    CHECK(all.next_after == all.records.back()["offset"].get<std::int64_t>());

    // Two at a time: the same five, none twice.
    std::vector<std::int64_t> seen;
    std::int64_t after = 0;
    for (int page = 0; page < 10; ++page) {
        auto f = changes(*db, after, 2);
        for (const Json& r : f.records)
            seen.push_back(r["offset"]);
        if (f.records.empty()) break;
        after = f.next_after;
    }
    REQUIRE(seen.size() == 5);
    CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == 5);

    // Resuming from next_after: only what was stored since; a duplicate reading is not
    // new, a device seen again is (it moves to the end).
    auto c = store_lines(*db, {r1, r3, device_at("2026-11-22T08:30:00.000Z")});
    CHECK(c[Kind::reading].duplicate == 1);
    auto more = changes(*db, all.next_after, 100);
    REQUIRE(more.records.size() == 2);
    for (const Json& r : more.records) {
        if (r["type"] == "reading") CHECK(r["metric"] == "pdu.outlet.state");
        if (r["type"] == "device") CHECK(r["last_seen"] == "2026-11-22T08:30:00.000Z");
    }
    CHECK(more.records[0]["type"] != more.records[1]["type"]);
    CHECK(changes(*db, more.next_after, 100).records.empty());
    CHECK(changes(*db, more.next_after, 100).next_after == more.next_after);
    // The device's old offset is gone: from 0 it appears once.
    CHECK(changes(*db, 0, 100).records.size() == 6);
}

TEST_CASE("the change feed reads across gaps in the offsets, window by window") {
    auto db = memdb();
    store_lines(*db, {r1, ev1});
    // A gap far wider than the first window (offsets may skip: duplicates, rollbacks).
    std::string error;
    REQUIRE(db->exec("UPDATE changes_counter SET next = next + 1000000", error));
    store_lines(*db, {r2, fd1});
    auto all = changes(*db, 0, 100);
    REQUIRE(all.records.size() == 4);
    CHECK(all.records.back()["offset"].get<std::int64_t>() > 1000000);
    // A full page that ends across the gap, then the rest.
    auto first = changes(*db, 0, 3);
    REQUIRE(first.records.size() == 3);
    CHECK(first.next_after == first.records.back()["offset"].get<std::int64_t>());
    auto rest = changes(*db, first.next_after, 3);
    REQUIRE(rest.records.size() == 1);
    CHECK(rest.records[0]["offset"] == all.records.back()["offset"]);
    CHECK(changes(*db, rest.next_after, 3).records.empty());
}

TEST_CASE("the change feed filters by kind and site") {
    auto db = memdb();
    store_lines(*db, {r1, ev1}, "paris");
    store_lines(*db, {r2, fd1}, "lyon");
    auto readings = changes(*db, 0, 100, {Kind::reading});
    REQUIRE(readings.records.size() == 2);
    // Skipped kinds still move next_after past them: nothing is read twice.
    CHECK(readings.next_after == 4);
    auto paris = changes(*db, 0, 100, {Kind::reading, Kind::event, Kind::finding}, "paris");
    REQUIRE(paris.records.size() == 2);
    for (const Json& r : paris.records)
        CHECK(r["site"] == "paris");
    CHECK(changes(*db, 0, 100, {}).records.empty());
}
