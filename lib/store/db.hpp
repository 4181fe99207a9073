#pragma once
// A small SQL interface the store is written against once, with a SQLite and a
// PostgreSQL implementation behind it. Statements use PostgreSQL's $1..$n placeholders;
// the SQLite side maps them to its own named parameters. Errors are bool + message.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace dce::store {

enum class Dialect { sqlite, postgres };

class Stmt {
  public:
    virtual ~Stmt() = default;
    /// Parameters are 1-based, as in the SQL text ($1, $2, ...).
    virtual void bind_null(int i) = 0;
    virtual void bind_int(int i, std::int64_t v) = 0;
    virtual void bind_double(int i, double v) = 0;
    virtual void bind_text(int i, std::string_view v) = 0;

    enum class Step { row, done, error };
    /// Runs the statement on the first call, then moves through its rows.
    virtual Step step() = 0;
    /// Columns are 0-based.
    virtual bool is_null(int col) = 0;
    virtual std::int64_t col_int(int col) = 0;
    virtual double col_double(int col) = 0;
    virtual std::string col_text(int col) = 0;
    /// Rows inserted/updated/deleted by the statement that just finished.
    virtual std::int64_t changes() = 0;
    /// Ready for new bindings and another run.
    virtual void reset() = 0;
    virtual const std::string& error() const = 0;
    /// True when the last error was lock contention worth retrying (SQLite BUSY).
    virtual bool busy() const { return false; }
};

class Db {
  public:
    virtual ~Db() = default;
    virtual Dialect dialect() const = 0;
    virtual std::unique_ptr<Stmt> prepare(std::string_view sql, std::string& error) = 0;
    /// Runs SQL without parameters or results (may hold several statements).
    virtual bool exec(std::string_view sql, std::string& error) = 0;
    /// Starts a write transaction. SQLite takes the write lock at once (BEGIN IMMEDIATE),
    /// waiting and retrying while another writer holds it.
    virtual bool begin_write(std::string& error) = 0;
    virtual bool begin_read(std::string& error) = 0;
    virtual bool commit(std::string& error) = 0;
    virtual void rollback() = 0;
    /// Where the data lives, without any secret: a path or a URL.
    virtual std::string describe() const = 0;
    /// PostgreSQL: runs `sql` (a COPY ... FROM STDIN) and sends `data` as its input.
    /// Rows loaded go to `rows`. SQLite has no COPY: false with a message.
    virtual bool copy_in(std::string_view sql, std::string_view data, std::int64_t& rows,
                         std::string& error) {
        (void)sql, (void)data, (void)rows;
        error = "COPY is PostgreSQL's";
        return false;
    }
    /// True when the last failed statement or COPY lost a deadlock or a serialization
    /// conflict (PostgreSQL 40P01/40001): the transaction is worth retrying.
    virtual bool conflict() const { return false; }
    /// True when the last failed COPY broke a unique key (PostgreSQL 23505).
    virtual bool duplicate_key() const { return false; }
};

struct SqliteOptions {
    bool create = true;
    bool read_only = false;
    /// With read_only: the file cannot change while open (read-only media, no writer can
    /// exist), so SQLite needs no -shm or lock files (URI immutable=1).
    bool immutable = false;
    int busy_timeout_ms = 60000;
    std::int64_t max_pages = 0;  ///< 0: SQLite's default limit
};
/// Opens (and with create, makes with mode 0600) a SQLite file in WAL mode; ":memory:"
/// works for tests.
std::unique_ptr<Db> open_sqlite(const std::string& path, const SqliteOptions& opts,
                                std::string& error);

struct BackupOptions {
    std::string source;  ///< the SQLite file to copy (it may be in use)
    std::string dest;    ///< the file to make
    bool force = false;  ///< replace dest when it exists
    int pages_per_step = 256;
    /// Polled between steps: true abandons the copy (the temp file is removed).
    std::function<bool()> interrupted;
};
enum class BackupResult { ok, usage, failed, interrupted };
/// Copies a SQLite store with SQLite's online backup API, a few pages at a time, while
/// other processes may write to it: in WAL mode it copies one consistent snapshot and
/// writers go on meanwhile. Writes a temp file beside dest, fsyncs it and renames it
/// into place, so dest is either absent or complete. `error` says what went wrong.
BackupResult backup_sqlite(const BackupOptions& opts, std::string& error);

struct PostgresOptions {
    std::string url;       ///< postgresql://user@host:port/db?sslmode=verify-full
    std::string password;  ///< from the credentials file; empty: libpq's own (PGPASSFILE)
    /// Seconds to wait for the server to answer unless the URL sets connect_timeout
    /// (libpq's own default is to wait for ever: a silent port hung ingest for minutes).
    int connect_timeout_s = 10;
    /// Polled while connecting (every 100 ms at most): true gives up (SIGINT/SIGTERM).
    std::function<bool()> interrupted;
};
/// Refuses a URL that carries a password (argv is visible to every user through ps).
std::unique_ptr<Db> open_postgres(const PostgresOptions& opts, std::string& error);

/// True when `url` holds a password in its user-info part or a password= parameter.
bool url_has_password(std::string_view url);

}  // namespace dce::store
