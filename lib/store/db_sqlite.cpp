// SQLite behind the Db interface. WAL mode lets readers run beside one writer; writers
// queue on the lock with busy_timeout and BEGIN IMMEDIATE (taking the lock up front means
// a transaction never fails half-way with "database is locked"), and retry when even the
// timeout runs out. Files are made with umask 077, so the db, -wal and -shm are 0600.
#include "store/db_sqlite.hpp"

#include "core/files.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

namespace dce::store {
namespace {

bool is_busy(int rc) {
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

// Always a file: URI, so a path that happens to start with "file:" is still a path.
std::string sqlite_uri(const std::string& path, const SqliteOptions& opts) {
    if (path == ":memory:") return path;
    std::string uri = "file:";
    for (unsigned char c : path) {
        if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            uri += buf;
        } else {
            uri += static_cast<char>(c);
        }
    }
    if (opts.read_only) uri += opts.immutable ? "?immutable=1" : "?mode=ro";
    return uri;
}

}  // namespace

SqliteStmt::SqliteStmt(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {
    // Map $1..$n to SQLite's parameter indexes (a name used twice shares one index).
    int n = sqlite3_bind_parameter_count(st_);
    index_.assign(static_cast<std::size_t>(n) + 2, 0);
    for (int i = 1; i <= n; ++i) {
        const char* name = sqlite3_bind_parameter_name(st_, i);
        if (!name || name[0] != '$') continue;
        int k = std::atoi(name + 1);
        if (k >= static_cast<int>(index_.size())) index_.resize(static_cast<std::size_t>(k) + 1, 0);
        if (k > 0) index_[static_cast<std::size_t>(k)] = i;
    }
}
SqliteStmt::~SqliteStmt() {
    sqlite3_finalize(st_);  // a no-op on the nullptr a move leaves behind
}
SqliteStmt::SqliteStmt(SqliteStmt&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)),
      st_(std::exchange(o.st_, nullptr)),
      index_(std::move(o.index_)),
      changes_(o.changes_),
      error_(std::move(o.error_)),
      busy_(o.busy_) {}
SqliteStmt& SqliteStmt::operator=(SqliteStmt&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(st_);
        db_ = std::exchange(o.db_, nullptr);
        st_ = std::exchange(o.st_, nullptr);
        index_ = std::move(o.index_);
        changes_ = o.changes_;
        error_ = std::move(o.error_);
        busy_ = o.busy_;
    }
    return *this;
}

int SqliteStmt::idx(int i) const {
    return i > 0 && static_cast<std::size_t>(i) < index_.size()
               ? index_[static_cast<std::size_t>(i)]
               : 0;
}
void SqliteStmt::bind_null(int i) {
    sqlite3_bind_null(st_, idx(i));
}
void SqliteStmt::bind_int(int i, std::int64_t v) {
    sqlite3_bind_int64(st_, idx(i), v);
}
void SqliteStmt::bind_double(int i, double v) {
    sqlite3_bind_double(st_, idx(i), v);
}
void SqliteStmt::bind_text(int i, std::string_view v) {
    sqlite3_bind_text(st_, idx(i), v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
Stmt::Step SqliteStmt::step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return Step::row;
    if (rc == SQLITE_DONE) {
        changes_ = sqlite3_changes64(db_);
        return Step::done;
    }
    busy_ = is_busy(rc);
    error_ = sqlite3_errmsg(db_);
    sqlite3_reset(st_);
    return Step::error;
}
bool SqliteStmt::is_null(int c) {
    return sqlite3_column_type(st_, c) == SQLITE_NULL;
}
std::int64_t SqliteStmt::col_int(int c) {
    return sqlite3_column_int64(st_, c);
}
double SqliteStmt::col_double(int c) {
    return sqlite3_column_double(st_, c);
}
std::string SqliteStmt::col_text(int c) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(st_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, c)))
             : std::string();
}
std::int64_t SqliteStmt::changes() {
    return changes_;
}
void SqliteStmt::reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    busy_ = false;
}

SqliteDb::SqliteDb(sqlite3* db, std::string path, int busy_ms)
    : db_(db), path_(std::move(path)), busy_ms_(busy_ms) {}
SqliteDb::~SqliteDb() {
    sqlite3_close_v2(db_);  // a no-op on the nullptr a move leaves behind
}
SqliteDb::SqliteDb(SqliteDb&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)), busy_ms_(o.busy_ms_) {}
SqliteDb& SqliteDb::operator=(SqliteDb&& o) noexcept {
    if (this != &o) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(o.db_, nullptr);
        path_ = std::move(o.path_);
        busy_ms_ = o.busy_ms_;
    }
    return *this;
}
std::unique_ptr<Stmt> SqliteDb::prepare(std::string_view sql, std::string& error) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
        error = std::string(sqlite3_errmsg(db_));
        return nullptr;
    }
    return std::make_unique<SqliteStmt>(db_, st);
}
bool SqliteDb::exec(std::string_view sql, std::string& error) {
    std::string s(sql);
    return retry([&] {
        char* msg = nullptr;
        int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg);
        if (rc != SQLITE_OK) {
            error = msg ? msg : sqlite3_errstr(rc);
            sqlite3_free(msg);
        }
        return rc;
    });
}
bool SqliteDb::begin_write(std::string& error) {
    return exec("BEGIN IMMEDIATE", error);
}
bool SqliteDb::begin_read(std::string& error) {
    return exec("BEGIN", error);
}
bool SqliteDb::commit(std::string& error) {
    return exec("COMMIT", error);
}
void SqliteDb::rollback() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

// busy_timeout already waits inside SQLite; this loop covers the cases where SQLite
// gives up early to avoid a deadlock, and an overloaded machine past the timeout.
bool SqliteDb::retry(const std::function<int()>& f) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_ms_);
    int delay = 2;
    while (true) {
        int rc = f();
        if (rc == SQLITE_OK) return true;
        if (!is_busy(rc) || std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        delay = std::min(delay * 2, 100);
    }
}

std::unique_ptr<Db> open_sqlite(const std::string& path, const SqliteOptions& opts,
                                std::string& error) {
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    flags |= opts.read_only ? SQLITE_OPEN_READONLY
                            : (SQLITE_OPEN_READWRITE | (opts.create ? SQLITE_OPEN_CREATE : 0));
    sqlite3* db = nullptr;
    // The database holds an inventory and security findings: 0600 for the file and for
    // the -wal/-shm files SQLite makes later on this connection.
    mode_t old = ::umask(077);
    int rc = sqlite3_open_v2(sqlite_uri(path, opts).c_str(), &db, flags, nullptr);
    std::string err;
    std::unique_ptr<SqliteDb> out;
    if (rc != SQLITE_OK) {
        error = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        ::umask(old);
        return nullptr;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, opts.busy_timeout_ms);
    out = std::make_unique<SqliteDb>(db, path, opts.busy_timeout_ms);
    bool ok = true;
    if (!opts.read_only && path != ":memory:") {
        // WAL: readers never block the writer; synchronous=NORMAL in WAL keeps every
        // committed transaction across a process crash (kill -9); only a power cut can
        // lose the last ones, never corrupt the file.
        ok = out->exec("PRAGMA journal_mode=WAL", err) &&
             out->exec("PRAGMA synchronous=NORMAL", err);
    }
    ok = ok &&
         out->exec("PRAGMA foreign_keys=OFF; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY",
                   err);
    if (ok && opts.max_pages > 0)
        ok = out->exec("PRAGMA max_page_count=" + std::to_string(opts.max_pages), err);
    // Touch the schema so the -wal and -shm files exist now, under the umask above.
    ok = ok && out->exec("SELECT count(*) FROM sqlite_master", err);
    ::umask(old);
    if (!ok) {
        error = "cannot open " + path + ": " + err;
        return nullptr;
    }
    return out;
}

// The online backup API copies pages through two connections. In WAL mode the source
// connection holds one read transaction for the whole copy: the copy is one consistent
// snapshot, it is not restarted by other processes' commits, and those writers are not
// blocked (WAL readers never block the writer; only checkpoints wait past the snapshot).
// Without WAL a held read lock would block writers for the whole copy, so each step
// takes and drops its own lock and SQLite restarts the copy when a writer got in; after
// a few restarts the rest is copied in one step. Pages go in small steps either way.
BackupResult backup_sqlite(const BackupOptions& o, std::string& error) {
    struct stat st {};
    if (::stat(o.source.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        error = "no SQLite store at " + o.source;
        return BackupResult::usage;
    }
    if (::stat(o.dest.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            error = o.dest + " is a directory; name the backup file, e.g. " + o.dest + "/store.db";
            return BackupResult::usage;
        }
        if (!o.force) {
            error = o.dest + " exists; give --force to replace it";
            return BackupResult::usage;
        }
    }
    sqlite3* src = nullptr;
    SqliteOptions ro{.create = false, .read_only = true};
    int rc = sqlite3_open_v2(sqlite_uri(o.source, ro).c_str(), &src,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        error = "cannot open " + o.source + ": " + (src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
        sqlite3_close_v2(src);
        return BackupResult::failed;
    }
    sqlite3_busy_timeout(src, 60000);
    std::string tmp = make_temp_beside(o.dest, 0600, error);
    if (tmp.empty()) {
        sqlite3_close_v2(src);
        return BackupResult::failed;
    }
    sqlite3* dst = nullptr;
    auto finish = [&](BackupResult r, std::string why) {
        if (r != BackupResult::ok) error = std::move(why);
        sqlite3_close_v2(dst);
        sqlite3_close_v2(src);
        if (r != BackupResult::ok) {
            ::unlink(tmp.c_str());
            ::unlink((tmp + "-journal").c_str());
        }
        return r;
    };
    rc = sqlite3_open_v2(tmp.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK)
        return finish(BackupResult::failed, "cannot open " + tmp + ": " +
                                                (dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc)));
    std::string mode;
    {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(src, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            if (auto* t = sqlite3_column_text(st, 0)) mode = reinterpret_cast<const char*>(t);
        sqlite3_finalize(st);
    }
    const bool wal = mode == "wal";
    if (wal) {
        char* msg = nullptr;
        rc = sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master", nullptr, nullptr, &msg);
        if (rc != SQLITE_OK) {
            std::string m = msg ? msg : sqlite3_errstr(rc);
            sqlite3_free(msg);
            return finish(BackupResult::failed, "cannot read " + o.source + ": " + m);
        }
    }
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        return finish(BackupResult::failed,
                      "cannot start the backup: " + std::string(sqlite3_errmsg(dst)));
    int restarts = 0, last_remaining = -1;
    while (true) {
        if (o.interrupted && o.interrupted()) {
            sqlite3_backup_finish(b);
            return finish(BackupResult::interrupted, "interrupted; " + o.dest + " was not made");
        }
        int pages = !wal && restarts >= 5 ? -1 : std::max(1, o.pages_per_step);
        rc = sqlite3_backup_step(b, pages);
        if (rc == SQLITE_DONE) break;
        if (rc == SQLITE_OK || is_busy(rc)) {
            int remaining = sqlite3_backup_remaining(b);
            if (last_remaining >= 0 && remaining > last_remaining) ++restarts;
            last_remaining = remaining;
            // Room for writers between steps (they wait on the lock without WAL).
            sqlite3_sleep(is_busy(rc) ? 20 : 1);
            continue;
        }
        std::string m = sqlite3_errstr(rc);
        sqlite3_backup_finish(b);
        return finish(BackupResult::failed, "backup of " + o.source + " failed: " + m);
    }
    rc = sqlite3_backup_finish(b);
    if (rc != SQLITE_OK)
        return finish(BackupResult::failed,
                      "backup of " + o.source + " failed: " + std::string(sqlite3_errmsg(dst)));
    if (wal) sqlite3_exec(src, "COMMIT", nullptr, nullptr, nullptr);
    // The copy carries the source's WAL flag; fold anything the copy left in a -wal into
    // the file so the one file is the whole backup.
    sqlite3_exec(dst, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close_v2(dst);
    dst = nullptr;
    ::unlink((tmp + "-wal").c_str());
    ::unlink((tmp + "-shm").c_str());
    if (!commit_temp(tmp, o.dest, o.force, error)) {
        sqlite3_close_v2(src);
        return errno == EEXIST ? BackupResult::usage : BackupResult::failed;
    }
    sqlite3_close_v2(src);
    return BackupResult::ok;
}

}  // namespace dce::store
