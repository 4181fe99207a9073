#include "store/partitions.hpp"

#include "store/store.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>

namespace dce::store {
namespace {

// One bound of "FOR VALUES FROM (x) TO (y)": a number (quoted or not), MINVALUE or
// MAXVALUE.
std::int64_t bound_after(const std::string& text, const char* key) {
    auto p = text.find(key);
    if (p == std::string::npos) return 0;
    p += std::char_traits<char>::length(key);
    while (p < text.size() && (text[p] == ' ' || text[p] == '(' || text[p] == '\''))
        ++p;
    if (text.compare(p, 8, "MINVALUE") == 0) return std::numeric_limits<std::int64_t>::min();
    if (text.compare(p, 8, "MAXVALUE") == 0) return std::numeric_limits<std::int64_t>::max();
    return std::strtoll(text.c_str() + p, nullptr, 10);
}

}  // namespace

bool readings_partitioned(Db& db, bool& yes, std::string& error) {
    yes = false;
    if (db.dialect() != Dialect::postgres) return true;
    auto st = db.prepare(
        "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.oid = to_regclass('readings')",
        error);
    if (!st) return false;
    if (st->step() != Stmt::Step::row) return error = st->error(), false;
    yes = st->col_int(0) > 0;
    return true;
}

bool list_partitions(Db& db, std::vector<Partition>& out, std::string& error) {
    out.clear();
    auto st = db.prepare(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('readings') "
        "ORDER BY c.relname",
        error);
    if (!st) return false;
    while (true) {
        auto r = st->step();
        if (r == Stmt::Step::done) return true;
        if (r == Stmt::Step::error) return error = st->error(), false;
        Partition p;
        p.name = st->col_text(0);
        std::string bound = st->col_text(1);
        p.is_default = bound == "DEFAULT";
        if (!p.is_default) {
            p.lo = bound_after(bound, "FROM");
            p.hi = bound_after(bound, " TO");
        }
        out.push_back(std::move(p));
    }
}

std::string partition_name(std::int64_t start) {
    std::time_t t = static_cast<std::time_t>(start / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "readings_p%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday);
    return buf;
}

bool create_partition(Db& db, std::int64_t start, std::string& error) {
    std::string name = partition_name(start);
    std::string lo = std::to_string(start), hi = std::to_string(start + partition_ms);
    std::string range = "ts >= " + lo + " AND ts < " + hi;
    // Rows the default partition took for this day before it existed move with it;
    // ATTACH would refuse to leave them there.
    return db.exec("CREATE TABLE " + name + " (LIKE readings INCLUDING DEFAULTS)", error) &&
           db.exec("WITH moved AS (DELETE FROM readings_default WHERE " + range +
                       " RETURNING *) INSERT INTO " + name + " SELECT * FROM moved",
                   error) &&
           db.exec("ALTER TABLE readings ATTACH PARTITION " + name + " FOR VALUES FROM (" + lo +
                       ") TO (" + hi + ")",
                   error);
}

}  // namespace dce::store
