#pragma once
// The SQLite implementation of the Db interface. Declared here (sqlite3.h stays in the
// .cpp) so tests can check what the types allow: each owns a SQLite handle, so they
// are move-only (a copy would finalize or close the same handle twice).
#include "store/db.hpp"

#include <functional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace dce::store {

class SqliteStmt final : public Stmt {
  public:
    SqliteStmt(sqlite3* db, sqlite3_stmt* st);
    ~SqliteStmt() override;
    SqliteStmt(const SqliteStmt&) = delete;
    SqliteStmt& operator=(const SqliteStmt&) = delete;
    SqliteStmt(SqliteStmt&& other) noexcept;
    SqliteStmt& operator=(SqliteStmt&& other) noexcept;

    void bind_null(int i) override;
    void bind_int(int i, std::int64_t v) override;
    void bind_double(int i, double v) override;
    void bind_text(int i, std::string_view v) override;
    Step step() override;
    bool is_null(int c) override;
    std::int64_t col_int(int c) override;
    double col_double(int c) override;
    std::string col_text(int c) override;
    std::int64_t changes() override;
    void reset() override;
    const std::string& error() const override { return error_; }
    bool busy() const override { return busy_; }

  private:
    int idx(int i) const;
    sqlite3* db_;
    sqlite3_stmt* st_;
    std::vector<int> index_;
    std::int64_t changes_ = 0;
    std::string error_;
    bool busy_ = false;
};

class SqliteDb final : public Db {
  public:
    SqliteDb(sqlite3* db, std::string path, int busy_ms);
    ~SqliteDb() override;
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;
    SqliteDb(SqliteDb&& other) noexcept;
    SqliteDb& operator=(SqliteDb&& other) noexcept;

    Dialect dialect() const override { return Dialect::sqlite; }
    std::unique_ptr<Stmt> prepare(std::string_view sql, std::string& error) override;
    bool exec(std::string_view sql, std::string& error) override;
    bool begin_write(std::string& error) override;
    bool begin_read(std::string& error) override;
    bool commit(std::string& error) override;
    void rollback() override;
    std::string describe() const override { return path_; }

  private:
    bool retry(const std::function<int()>& f);
    sqlite3* db_;
    std::string path_;
    int busy_ms_;
};

}  // namespace dce::store
