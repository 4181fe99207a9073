// PostgreSQL behind the Db interface, through libpq. The password comes from the
// credentials file (passed to libpq as a keyword, never through argv) or from libpq's own
// PGPASSFILE; a URL carrying a password is refused, since argv is visible through ps.
// TLS is libpq's: sslmode=verify-full with sslrootcert= in the URL verifies the server.
#include "store/db.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

namespace dce::store {
namespace {

std::string_view sqlstate(const PGresult* r) {
    const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    return code ? code : "";
}
// A deadlock or serialization failure: the whole transaction can simply be run again.
bool retryable(const PGresult* r) {
    return sqlstate(r) == "40P01" || sqlstate(r) == "40001";
}

class PgStmt final : public Stmt {
  public:
    PgStmt(PGconn* conn, std::string name, int nparams)
        : conn_(conn), name_(std::move(name)), params_(static_cast<std::size_t>(nparams)) {}
    ~PgStmt() override { clear(); }

    void set(int i, std::optional<std::string> v) {
        if (i < 1) return;
        if (static_cast<std::size_t>(i) > params_.size())
            params_.resize(static_cast<std::size_t>(i));
        params_[static_cast<std::size_t>(i) - 1] = std::move(v);
    }
    void bind_null(int i) override { set(i, std::nullopt); }
    void bind_int(int i, std::int64_t v) override { set(i, std::to_string(v)); }
    void bind_double(int i, double v) override {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v);
        set(i, std::string(buf));
    }
    void bind_text(int i, std::string_view v) override { set(i, std::string(v)); }

    Step step() override {
        if (!res_) {
            std::vector<const char*> values(params_.size());
            for (std::size_t i = 0; i < params_.size(); ++i)
                values[i] = params_[i] ? params_[i]->c_str() : nullptr;
            res_ = PQexecPrepared(conn_, name_.c_str(), static_cast<int>(values.size()),
                                  values.data(), nullptr, nullptr, 0);
            auto st = PQresultStatus(res_);
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                busy_ = retryable(res_);
                error_ = PQresultErrorMessage(res_);
                while (!error_.empty() && error_.back() == '\n')
                    error_.pop_back();
                return Step::error;
            }
            const char* n = PQcmdTuples(res_);
            changes_ = n && *n ? std::atoll(n) : 0;
            row_ = -1;
        }
        busy_ = false;
        if (++row_ < PQntuples(res_)) return Step::row;
        return Step::done;
    }
    bool is_null(int c) override { return PQgetisnull(res_, row_, c); }
    std::int64_t col_int(int c) override { return std::atoll(PQgetvalue(res_, row_, c)); }
    double col_double(int c) override { return std::strtod(PQgetvalue(res_, row_, c), nullptr); }
    std::string col_text(int c) override {
        return std::string(PQgetvalue(res_, row_, c),
                           static_cast<std::size_t>(PQgetlength(res_, row_, c)));
    }
    std::int64_t changes() override { return changes_; }
    void reset() override {
        clear();
        for (auto& p : params_)
            p.reset();
    }
    const std::string& error() const override { return error_; }
    bool busy() const override { return busy_; }

  private:
    void clear() {
        if (res_) PQclear(res_);
        res_ = nullptr;
    }
    PGconn* conn_;
    std::string name_;
    std::vector<std::optional<std::string>> params_;
    PGresult* res_ = nullptr;
    int row_ = -1;
    std::int64_t changes_ = 0;
    std::string error_;
    bool busy_ = false;
};

class PgDb final : public Db {
  public:
    PgDb(PGconn* c, std::string url) : conn_(c), url_(std::move(url)) {}
    ~PgDb() override { PQfinish(conn_); }
    Dialect dialect() const override { return Dialect::postgres; }
    std::unique_ptr<Stmt> prepare(std::string_view sql, std::string& error) override {
        std::string name = "dce_s" + std::to_string(++counter_);
        std::string text(sql);
        PGresult* r = PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) error = trim(PQresultErrorMessage(r));
        PQclear(r);
        if (!ok) return nullptr;
        // Count the placeholders so unbound trailing ones are sent as NULL.
        int n = 0;
        for (std::size_t i = 0; i + 1 < text.size(); ++i)
            if (text[i] == '$' && std::isdigit(static_cast<unsigned char>(text[i + 1])))
                n = std::max(n, std::atoi(text.c_str() + i + 1));
        return std::make_unique<PgStmt>(conn_, name, n);
    }
    bool exec(std::string_view sql, std::string& error) override {
        std::string text(sql);
        PGresult* r = PQexec(conn_, text.c_str());
        auto st = PQresultStatus(r);
        bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (!ok) error = trim(PQresultErrorMessage(r));
        PQclear(r);
        return ok;
    }
    bool begin_write(std::string& error) override { return exec("BEGIN", error); }
    bool begin_read(std::string& error) override { return exec("BEGIN READ ONLY", error); }
    bool commit(std::string& error) override { return exec("COMMIT", error); }
    void rollback() override {
        if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
            PGresult* r = PQexec(conn_, "ROLLBACK");
            PQclear(r);
        }
    }
    std::string describe() const override { return url_; }

    bool copy_in(std::string_view sql, std::string_view data, std::int64_t& rows,
                 std::string& error) override {
        conflict_ = duplicate_ = false;
        std::string text(sql);
        PGresult* r = PQexec(conn_, text.c_str());
        bool ok = PQresultStatus(r) == PGRES_COPY_IN;
        if (!ok) {
            conflict_ = retryable(r);
            error = trim(PQresultErrorMessage(r));
        }
        PQclear(r);
        if (!ok) return false;
        // libpq buffers what it is given; large chunks keep the number of calls small.
        constexpr std::size_t chunk = 1 << 20;
        for (std::size_t off = 0; ok && off < data.size(); off += chunk) {
            auto n = std::min(chunk, data.size() - off);
            ok = PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) == 1;
        }
        if (PQputCopyEnd(conn_, ok ? nullptr : "dce-store: sending failed") != 1) ok = false;
        if (!ok) error = trim(PQerrorMessage(conn_));
        while (PGresult* res = PQgetResult(conn_)) {
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                if (ok) {
                    conflict_ = retryable(res);
                    duplicate_ = sqlstate(res) == "23505";
                    error = trim(PQresultErrorMessage(res));
                }
                ok = false;
            } else {
                const char* n = PQcmdTuples(res);
                rows = n && *n ? std::atoll(n) : 0;
            }
            PQclear(res);
        }
        return ok;
    }
    bool conflict() const override { return conflict_; }
    bool duplicate_key() const override { return duplicate_; }

  private:
    static std::string trim(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
            s.pop_back();
        return s;
    }
    PGconn* conn_;
    std::string url_;
    int counter_ = 0;
    bool conflict_ = false, duplicate_ = false;
};

// The effective connect_timeout: ours, or the URL's.
int connect_timeout_of(PGconn* c, int fallback) {
    int seconds = fallback;
    if (PQconninfoOption* info = PQconninfo(c)) {
        for (auto* o = info; o->keyword; ++o)
            if (std::string_view(o->keyword) == "connect_timeout" && o->val && *o->val)
                seconds = std::atoi(o->val);
        PQconninfoFree(info);
    }
    return seconds;
}

// PQconnectdb would block in poll() until the server answers or connect_timeout ends,
// retrying after a signal: a port that accepts and stays silent held ingest past SIGTERM.
// Polled here instead, in short waits, so a signal is seen within 100 ms. Returns why
// it gave up, or "" (then PQstatus says how the connection ended).
std::string connect_wait(PGconn* c, const PostgresOptions& opts) {
    if (!c || PQstatus(c) == CONNECTION_BAD) return "";
    using clock = std::chrono::steady_clock;
    int seconds = connect_timeout_of(c, opts.connect_timeout_s);
    // libpq: 0 or less waits for ever; below 2 s it uses 2 s.
    auto deadline = seconds > 0 ? clock::now() + std::chrono::seconds(std::max(seconds, 2))
                                : clock::time_point::max();
    auto state = PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
        pollfd p{PQsocket(c), static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT),
                 0};
        while (true) {
            if (opts.interrupted && opts.interrupted()) return "interrupted while connecting";
            auto now = clock::now();
            if (now >= deadline)
                return "no answer within " + std::to_string(std::max(seconds, 2)) +
                       " s (connect_timeout)";
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
            int rc = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count() + 1, 100)));
            if (rc > 0 || (rc < 0 && errno != EINTR)) break;
        }
        state = PQconnectPoll(c);
    }
    return "";
}

}  // namespace

bool url_has_password(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme != std::string_view::npos) {
        auto rest = url.substr(scheme + 3);
        auto end = rest.find_first_of("/?");
        auto authority = rest.substr(0, end);
        auto at = authority.rfind('@');
        if (at != std::string_view::npos &&
            authority.substr(0, at).find(':') != std::string_view::npos)
            return true;
    }
    auto q = url.find('?');
    if (q != std::string_view::npos) {
        std::string_view query = url.substr(q + 1);
        while (!query.empty()) {
            auto amp = query.find('&');
            auto kv = query.substr(0, amp);
            if (kv.substr(0, 9) == "password=") return true;
            query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        }
    }
    return false;
}

std::unique_ptr<Db> open_postgres(const PostgresOptions& opts, std::string& error) {
    if (url_has_password(opts.url)) {
        error =
            "refusing a database URL that contains a password (it would be visible in ps); "
            "put the password in the credentials file (--credential NAME) or PGPASSFILE";
        return nullptr;
    }
    // connect_timeout before dbname: a connect_timeout in the URL overrides it.
    std::string timeout = std::to_string(opts.connect_timeout_s);
    std::vector<const char*> keys{"connect_timeout", "dbname"};
    std::vector<const char*> vals{timeout.c_str(), opts.url.c_str()};
    if (!opts.password.empty()) {
        keys.push_back("password");
        vals.push_back(opts.password.c_str());
    }
    keys.push_back("application_name");
    vals.push_back("dce-store");
    keys.push_back(nullptr);
    vals.push_back(nullptr);
    // expand_dbname=1: the URL is parsed as a connection string; later keys override.
    PGconn* c = PQconnectStartParams(keys.data(), vals.data(), 1);
    std::string why = connect_wait(c, opts);
    if (!why.empty() || !c || PQstatus(c) != CONNECTION_OK) {
        std::string msg = !why.empty() ? why : c ? PQerrorMessage(c) : "out of memory";
        while (!msg.empty() && msg.back() == '\n')
            msg.pop_back();
        error = "cannot connect to " + opts.url + ": " + msg;
        PQfinish(c);
        return nullptr;
    }
    auto db = std::make_unique<PgDb>(c, opts.url);
    std::string err;
    // Quiet "relation already exists, skipping" notices from the migrations.
    if (!db->exec("SET client_min_messages = warning", err)) {
        error = err;
        return nullptr;
    }
    return db;
}

}  // namespace dce::store
