// The subcommands. Ingest runs on two threads: one reads and parses JSON lines (the
// expensive part) while the other writes the previous batch, so a pipe is drained at
// the speed of the slower of the two, not their sum.
#include "storetool/storetool.hpp"

#include "core/context.hpp"
#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/time.hpp"
#include "store/fast_reading.hpp"
#include "store/kinds.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace dce::store {
namespace {

constexpr std::int64_t min_log_retention_ms = 30LL * 24 * 3600 * 1000;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::string resolve_db(const StoreOptions& o) {
    if (!o.db.empty()) return o.db;
    if (const char* e = std::getenv("DCE_DB"); e && *e) return e;
    return default_db_path();
}

// Opens the store and brings its schema up to date. Usage errors (a password in the
// URL, a missing credential) are exit 2; an unreachable server is exit 3.
std::unique_ptr<Db> open_store(ToolContext& ctx, const StoreOptions& o, Access access, int& status,
                               int* before) {
    std::string spec = resolve_db(o), error;
    bool create = access == Access::create;
    OpenOptions oo{
        .spec = spec, .create = create, .interrupted = [] { return dce::interrupted(); }};
    // Tests make a "full disk" with SQLite's page limit (same SQLITE_FULL as ENOSPC).
    if (const char* pages = std::getenv("DCE_STORE_MAX_PAGES"); pages && *pages)
        oo.max_pages = std::strtoll(pages, nullptr, 10);
    if (is_postgres_url(spec)) {
        if (url_has_password(spec)) {
            spdlog::error(
                "refusing a database URL that contains a password (visible in ps); put it in the "
                "credentials file and name the entry with --credential, or use PGPASSFILE");
            status = exit_usage;
            return nullptr;
        }
        if (!o.credential.empty()) {
            const CredentialStore* creds = ctx.credentials(error);
            const std::string& path = ctx.credentials_path();
            if (!creds || path.empty()) {
                spdlog::error(
                    "credential \"{}\": {}", o.credential,
                    creds ? "no credentials file (--credentials or DCE_CREDENTIALS)" : error);
                status = exit_usage;
                return nullptr;
            }
            const Credential* c = creds->find(o.credential);
            const Secret* pw = c ? c->secret("password") : nullptr;
            if (!c || c->kind != "password" || !pw) {
                spdlog::error(
                    "credential \"{}\" in {} is not an entry of kind password with a password",
                    o.credential, path);
                status = exit_usage;
                return nullptr;
            }
            oo.password = pw->reveal();
        }
    } else if (access == Access::read) {
        oo.read_only = true;
    } else if (create && o.db.empty() && !std::getenv("DCE_DB")) {
        // The default lives under the user's data dir, made private like the file.
        std::string dir = spec.substr(0, spec.rfind('/'));
        for (auto p = dir.find('/', 1);; p = dir.find('/', p + 1)) {
            ::mkdir(dir.substr(0, p).c_str(), 0700);
            if (p == std::string::npos) break;
        }
    }
    auto db = open_db(oo, error);
    if (!db) {
        spdlog::error("{}", error);
        // A missing SQLite file is a wrong --db (usage); a server that fails is runtime.
        status = create || is_postgres_url(spec) ? exit_runtime : exit_usage;
        return nullptr;
    }
    if (before && !read_schema_version(*db, *before, error)) {
        spdlog::error("{}: {}", db->describe(), error);
        status = exit_runtime;
        return nullptr;
    }
    if (access == Access::read && !is_postgres_url(spec)) {
        // A reader of an older schema upgrades it first, as every subcommand always did,
        // through a writable connection; then it reads through a read-only one.
        int version = 0;
        if (!read_schema_version(*db, version, error)) {
            spdlog::error("{}: {}", db->describe(), error);
            status = exit_runtime;
            return nullptr;
        }
        if (version >= schema_version_current) {
            if (!migrate(*db, error)) {  // refuses a newer schema, writes nothing
                spdlog::error("{}: {}", db->describe(), error);
                status = exit_runtime;
                return nullptr;
            }
            return db;
        }
        db.reset();
        if (!open_store(ctx, o, Access::write, status)) {
            spdlog::error(
                "{}: schema version {} must be upgraded to {} before it can be read, which needs "
                "write access; run dce-store migrate where the database is writable",
                spec, version, schema_version_current);
            status = exit_runtime;
            return nullptr;
        }
        return open_store(ctx, o, Access::read, status);
    }
    if (!migrate(*db, error)) {
        spdlog::error("{}: {}", db->describe(), error);
        status = exit_runtime;
        return nullptr;
    }
    return db;
}

namespace {

// --since/--until: RFC 3339, or a duration meaning that long ago ("1h"), or "now".
bool parse_when(const std::string& text, std::optional<std::int64_t>& out, std::string& error) {
    if (text.empty()) return true;
    if (text == "now") return out = now_ms(), true;
    if (auto t = parse_timestamp(text)) {
        out = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
        return true;
    }
    if (auto d = parse_duration(text)) return out = now_ms() - d->count(), true;
    error = "\"" + text + "\" is neither an RFC 3339 time nor a duration such as 90m or 7d";
    return false;
}

// A query without --site must not mix customers' data silently.
bool check_sites(Db& db, const StoreOptions& o, std::optional<std::string>& site, int& status) {
    if (!o.site.empty()) {
        site = o.site;
        return true;
    }
    std::vector<std::string> sites;
    std::string error;
    if (!list_sites(db, sites, error)) {
        spdlog::error("{}", error);
        status = exit_runtime;
        return false;
    }
    if (sites.size() > 1 && !o.all_sites) {
        std::string names;
        for (const auto& s : sites)
            names += (names.empty() ? "" : ", ") + (s.empty() ? "(none)" : s);
        spdlog::error(
            "the database holds {} sites ({}); name one with --site, or pass --all-sites "
            "(each record then carries its site)",
            sites.size(), names);
        status = exit_usage;
        return false;
    }
    return true;
}

// ---- ingest ------------------------------------------------------------------------

// Rows handed from the reading thread to the writing one. Bounded: the reader waits
// when the writer falls behind, so memory stays flat whatever the input size.
struct Handoff {
    std::mutex m;
    std::condition_variable to_writer, to_reader;
    std::vector<Row> rows;
    std::size_t cap = 0, wake_at = 0;
    bool eof = false;
    std::string io_error;
    std::uint64_t rejected = 0;
    std::uint64_t last_line = 0;  // last input line handed over (accepted or not)
    // After the database failed: lines are only counted, so the summary can say how
    // many were not stored (input from a file is read to its end for that).
    bool discard = false;
    std::uint64_t discarded = 0;
};

void reader_main(std::shared_ptr<Handoff> h, int fd, std::string site) {
    // Core RecordReader's loop and reasons, with the simdjson fast path for readings in
    // front of the core parser (which still decides every error).
    RecordReader lines(fd, {.max_line = 1 << 20});
    FastReadingParser fast;
    RecordLine line;
    Row row;
    Json value;
    std::string why, error;
    while (lines.next_raw(line)) {
        {
            std::lock_guard lock(h->m);
            if (h->discard) {
                ++h->discarded;
                h->last_line = line.number;
                continue;
            }
        }
        std::uint64_t number = line.number;
        bool ok = line.ok;
        if (!ok) {
            error = line.error;
        } else {
            ok = fast.parse(line.raw, site, row);
            if (!ok) {
                ok = parse_record_line(line.raw, value, why, true) && to_row(value, site, row, why);
                if (!ok) error = "line " + std::to_string(number) + ": " + why;
            }
        }
        lines.count(ok);
        std::unique_lock lock(h->m);
        h->last_line = number;
        if (!ok) {
            ++h->rejected;
            lock.unlock();
            spdlog::warn("{}", error);
            continue;
        }
        row.line = number;
        h->to_reader.wait(lock, [&] { return h->rows.size() < h->cap || h->discard; });
        if (h->discard) {
            ++h->discarded;
            continue;
        }
        h->rows.push_back(std::move(row));
        if (h->rows.size() == h->wake_at) h->to_writer.notify_one();
    }
    std::lock_guard lock(h->m);
    h->eof = true;
    h->io_error = lines.io_error();
    h->to_writer.notify_one();
}

void write_ack(int fd, std::uint64_t line, std::uint64_t total) {
    if (fd < 0) return;
    std::string s = std::to_string(line) + " " + std::to_string(total) + "\n";
    if (::write(fd, s.data(), s.size()) < 0) spdlog::debug("cannot write the ack file");
}

std::string summary(const Counts& counts) {
    std::string s;
    std::uint64_t dup = 0;
    for (Kind k : all_kinds) {
        auto it = counts.find(k);
        if (it == counts.end()) continue;
        s += (s.empty() ? "" : ", ") + std::to_string(it->second.stored) + " " +
             std::string(kind_name(k));
        dup += it->second.duplicate;
    }
    if (s.empty()) s = "nothing";
    if (dup) s += " (" + std::to_string(dup) + " already stored)";
    return s;
}

int ingest_fd(ToolContext& ctx, const StoreOptions& o, int fd) {
    auto interval = parse_duration(o.commit_interval);
    if (!interval || interval->count() <= 0) {
        spdlog::error("--commit-interval: \"{}\" is not a duration such as 1s or 500ms",
                      o.commit_interval);
        return exit_usage;
    }
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::create, status);
    if (!db) return status;
    int ack = -1;
    if (!o.ack_file.empty()) {
        ack = ::open(o.ack_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (ack < 0) {
            spdlog::error("cannot open the ack file {}: {}", o.ack_file, std::strerror(errno));
            return exit_usage;
        }
    }
    auto h = std::make_shared<Handoff>();
    std::size_t batch = std::max<std::size_t>(1, o.batch);
    h->cap = batch * 2;
    h->wake_at = batch;
    h->rows.reserve(h->cap);
    std::thread reader(reader_main, h, fd, o.site);

    Writer writer(*db);
    // bench/store.sh measures the PostgreSQL path before COPY against the COPY one.
    if (const char* v = std::getenv("DCE_STORE_PG_INSERT"); v && std::string_view(v) == "1")
        writer.pg_copy = false;
    Counts counts;
    std::uint64_t committed = 0;
    std::vector<Row> work;
    work.reserve(h->cap);
    bool eof = false, interrupted = false, failed = false;
    auto last_commit = std::chrono::steady_clock::now();
    std::uint64_t through_line = 0, not_stored = 0, read_through = 0;
    while (!eof && !failed) {
        {
            std::unique_lock lock(h->m);
            // Wake for a full batch, the end of input, a signal, or the commit interval,
            // so a slow trickle from `dce-poll --interval` is stored promptly.
            auto deadline = last_commit + *interval;
            while (!h->eof && h->rows.size() < batch && !dce::interrupted()) {
                auto now = std::chrono::steady_clock::now();
                if (now >= deadline && !h->rows.empty()) break;
                auto wait = std::min<std::chrono::steady_clock::duration>(
                    now >= deadline ? *interval : deadline - now, std::chrono::milliseconds(100));
                h->to_writer.wait_for(lock, wait);
            }
            work.swap(h->rows);
            h->rows.clear();
            eof = h->eof;
            through_line = h->last_line;
            interrupted = dce::interrupted();
            h->to_reader.notify_all();
        }
        if (!work.empty()) {
            std::string error;
            if (!writer.write(work, counts, error)) {
                // The batch is rolled back, and nothing handed over after it can be
                // stored either: every line read so far that is not committed is lost,
                // and the summary says how many (a full disk once reported "rejected 0").
                std::lock_guard lock(h->m);
                not_stored = work.size() + h->rows.size();
                spdlog::error("{}: cannot store lines {}-{}: {}", db->describe(), work.front().line,
                              h->rows.empty() ? work.back().line : h->rows.back().line, error);
                h->rows.clear();
                h->discard = true;
                h->to_reader.notify_all();
                failed = true;
                break;
            }
            committed += work.size();
            // Everything up to the last line handed over is now stored or rejected.
            write_ack(ack, eof || interrupted ? through_line : work.back().line, committed);
            spdlog::debug("committed {} records (through line {})", committed, work.back().line);
            work.clear();
        }
        last_commit = std::chrono::steady_clock::now();
        if (interrupted) break;
    }
    if (ack >= 0) ::close(ack);
    if (is_postgres_url(db->describe()) && writer.pg_copy) {
        const auto& tm = writer.timings;
        spdlog::debug(
            "PostgreSQL time: partitions {:.2f} s, series {:.2f} s, COPY {:.2f} s, INSERT ... "
            "SELECT {:.2f} s, last_ts {:.2f} s, commit {:.2f} s",
            tm.partitions, tm.series, tm.copy, tm.insert, tm.last_ts, tm.commit);
    }
    // A file ends: after a failure it is counted to its end, so the summary covers every
    // line. A pipe may never end (dce-poll --interval): report where reading stopped.
    struct stat sb {};
    bool finite = ::fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    if (failed && finite) {
        reader.join();
        eof = true;
    }
    std::uint64_t rejected;
    std::string io_error;
    {
        std::lock_guard lock(h->m);
        rejected = h->rejected;
        io_error = h->io_error;
        not_stored += h->discarded;
        read_through = h->last_line;
    }
    if (failed)
        spdlog::error("stored {}; NOT stored {} line{} (the database failed){}; rejected {} line{}",
                      summary(counts), not_stored, not_stored == 1 ? "" : "s",
                      finite ? std::string()
                             : ", input after line " + std::to_string(read_through) + " not read",
                      rejected, rejected == 1 ? "" : "s");
    else
        spdlog::info("stored {}; rejected {} line{}", summary(counts), rejected,
                     rejected == 1 ? "" : "s");
    if (!eof) {
        // The reader may be blocked reading a pipe that never ends; what was handed over
        // is committed, so leave without waiting for it.
        reader.detach();
        spdlog::default_logger()->flush();
        std::fflush(nullptr);
        ::_exit(failed ? exit_runtime : exit_interrupted);
    }
    if (reader.joinable()) reader.join();
    if (failed) return exit_runtime;
    if (!io_error.empty()) {
        spdlog::error("reading input: {}", io_error);
        return exit_runtime;
    }
    if (interrupted) return exit_interrupted;
    // Documented: rejected lines make the run "partly failed", like a target failing.
    return rejected ? exit_runtime : exit_ok;
}

// ---- output formats ----------------------------------------------------------------

// The columns --format table/csv shows: the record fields the kind's table names.
std::vector<std::string> columns_for(Kind k, bool every) {
    std::string_view list = every ? bucket_output : kind_spec(k).output;
    std::vector<std::string> out;
    while (!list.empty()) {
        auto sp = list.find(' ');
        out.emplace_back(list.substr(0, sp));
        list = sp == std::string_view::npos ? std::string_view{} : list.substr(sp + 1);
    }
    return out;
}

std::string cell(const Json& r, const std::string& key) {
    auto it = r.find(key);
    if (it == r.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_float()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", it->get<double>());
        return buf;
    }
    return it->dump();
}

std::string csv_escape(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

class Output {
  public:
    Output(std::string format, std::vector<std::string> cols)
        : format_(std::move(format)), cols_(std::move(cols)) {
        if (format_ == "csv") {
            std::string line;
            for (std::size_t i = 0; i < cols_.size(); ++i)
                line += (i ? "," : "") + cols_[i];
            write_all(1, line + "\n");
        }
    }
    void add(const Json& r) {
        ++count_;
        if (format_ == "json") return writer_.write(r);
        std::vector<std::string> row;
        for (const auto& c : cols_)
            row.push_back(cell(r, c));
        if (format_ == "csv") {
            std::string line;
            for (std::size_t i = 0; i < row.size(); ++i)
                line += (i ? "," : "") + csv_escape(row[i]);
            buf_ += line + "\n";
            if (buf_.size() > 1 << 16) write_all(1, buf_), buf_.clear();
            return;
        }
        table_.push_back(std::move(row));  // a table needs every width before the first line
    }
    void finish() {
        writer_.flush();
        if (format_ == "csv") write_all(1, buf_);
        if (format_ != "table") return;
        // Columns that are empty in every row (no sites, say) are left out.
        std::vector<std::size_t> width(cols_.size(), 0);
        for (std::size_t i = 0; i < cols_.size(); ++i)
            for (const auto& r : table_)
                width[i] = std::max(width[i], std::min<std::size_t>(r[i].size(), 48));
        std::string out;
        auto line = [&](const std::vector<std::string>& r) {
            std::string l;
            for (std::size_t i = 0; i < r.size(); ++i) {
                if (width[i] == 0) continue;
                std::string v = r[i].size() > 48 ? r[i].substr(0, 47) + "~" : r[i];
                v.resize(std::max(width[i], cols_[i].size()), ' ');
                l += (l.empty() ? "" : "  ") + v;
            }
            while (!l.empty() && l.back() == ' ')
                l.pop_back();
            out += l + "\n";
        };
        std::vector<std::string> head;
        for (const auto& c : cols_)
            head.push_back(c);
        if (!table_.empty()) line(head);
        for (const auto& r : table_)
            line(r);
        write_all(1, out);
    }
    std::uint64_t count() const { return count_; }

  private:
    std::string format_;
    std::vector<std::string> cols_;
    RecordWriter writer_{1, false};
    std::string buf_;
    std::vector<std::vector<std::string>> table_;
    std::uint64_t count_ = 0;
};

std::string pick_format(const StoreOptions& o) {
    if (!o.format.empty()) return o.format;
    return ::isatty(1) ? "table" : "json";
}

}  // namespace

std::string default_db_path() {
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
        return std::string(x) + "/dce/store.db";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.local/share/dce/store.db";
}

int run_ingest(ToolContext& ctx, const StoreOptions& o) {
    if (o.input == "-") return ingest_fd(ctx, o, ctx.input_fd());
    int fd = ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        spdlog::error("cannot open {}: {}", o.input, std::strerror(errno));
        return exit_usage;
    }
    int status = ingest_fd(ctx, o, fd);
    ::close(fd);
    return status;
}

// `query findings --changed`: the findings of the newest audit run (records carrying a
// `run` id, as dce-audit writes) against the run before it, per (tool, check, target).
// Each difference is the newer record (or, for a finding that is gone, the older one)
// with `change`: new_fail (fails now, did not before), fixed (failed before, not now),
// new, gone, or changed (any other status change), and `previous_status`.
template <class Out>
bool changed_findings(Db& db, Query q, Out& out, std::string& error) {
    q.limit = 0;
    std::map<std::string, std::int64_t> run_ts;  // run id -> its newest record's ts
    std::map<std::string, std::map<std::tuple<std::string, std::string, std::string>, Json>> runs;
    bool ok = run_query(
        db, q,
        [&](const Json& r) {
            auto run = r.find("run");
            if (run == r.end() || !run->is_string()) return true;
            const std::string id = run->get<std::string>();
            auto ts = parse_timestamp(r.value("ts", ""));
            std::int64_t ms =
                ts ? std::chrono::duration_cast<std::chrono::milliseconds>(ts->time_since_epoch())
                         .count()
                   : 0;
            run_ts[id] = std::max(run_ts[id], ms);
            runs[id][{r.value("tool", ""), r.value("check", ""), r.value("target", "")}] = r;
            return !dce::interrupted();
        },
        error);
    if (!ok) return false;
    std::vector<std::pair<std::int64_t, std::string>> order;
    for (const auto& [id, ts] : run_ts)
        order.emplace_back(ts, id);
    std::sort(order.begin(), order.end());
    if (order.empty()) {
        spdlog::info("no findings with a run id (dce-audit writes them)");
        return true;
    }
    const auto& latest = runs[order.back().second];
    static const std::map<std::tuple<std::string, std::string, std::string>, Json> none;
    const auto& previous = order.size() > 1 ? runs[order[order.size() - 2].second] : none;
    spdlog::info("run {} against {}", order.back().second,
                 order.size() > 1 ? order[order.size() - 2].second : std::string("nothing"));
    for (const auto& [key, rec] : latest) {
        const std::string now = rec.value("status", "");
        auto it = previous.find(key);
        const std::string before = it == previous.end() ? "" : it->second.value("status", "");
        if (now == before) continue;
        Json r = rec;
        r["change"] = now == "fail"      ? "new_fail"
                      : before == "fail" ? "fixed"
                      : before.empty()   ? "new"
                                         : "changed";
        if (!before.empty()) r["previous_status"] = before;
        out.add(r);
    }
    for (const auto& [key, rec] : previous) {
        if (latest.count(key)) continue;
        Json r = rec;
        r["change"] = "gone";
        r["previous_status"] = rec.value("status", "");
        out.add(r);
    }
    return true;
}

int run_query(ToolContext& ctx, const StoreOptions& o) {
    Query q;
    auto kind = kind_from_name(o.what);
    if (!kind) {
        spdlog::error("unknown record kind \"{}\"", o.what);
        return exit_usage;
    }
    q.kind = *kind;
    std::string error;
    if (!parse_when(o.since, q.since, error) || !parse_when(o.until, q.until, error)) {
        spdlog::error("{}", error);
        return exit_usage;
    }
    if (!o.every.empty()) {
        auto d = parse_duration(o.every);
        if (!d || d->count() <= 0) {
            spdlog::error("--every: \"{}\" is not a duration such as 5m", o.every);
            return exit_usage;
        }
        q.every_ms = d->count();
    }
    if ((q.last || q.every_ms) && q.kind != Kind::reading) {
        spdlog::error("--last and --every apply to readings only");
        return exit_usage;
    }
    q.last = o.last;
    if (q.last && q.every_ms) {
        spdlog::error("--last and --every cannot be combined");
        return exit_usage;
    }
    for (const auto& l : o.labels) {
        auto eq = l.find('=');
        if (eq == std::string::npos || eq == 0) {
            spdlog::error("--label: \"{}\" should be KEY=VALUE", l);
            return exit_usage;
        }
        q.labels.emplace_back(l.substr(0, eq), l.substr(eq + 1));
    }
    q.devices = o.devices;
    q.metrics = o.metrics;
    q.status = o.status;
    q.severity = o.severity;
    q.checks = o.checks;
    q.types = o.types;
    q.limit = o.limit;
    if (o.changed && q.kind != Kind::finding) {
        spdlog::error("--changed applies to findings only");
        return exit_usage;
    }
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::read, status);
    if (!db) return status;
    if (!check_sites(*db, o, q.site, status)) return status;
    auto columns = columns_for(q.kind, q.every_ms > 0);
    if (o.changed) columns.insert(columns.begin(), {"change", "previous_status"});
    Output out(pick_format(o), columns);
    bool ok;
    if (o.changed) {
        ok = changed_findings(*db, q, out, error);
    } else {
        ok = run_query(
            *db, q,
            [&](const Json& r) {
                out.add(r);
                return !dce::interrupted();
            },
            error);
    }
    out.finish();
    if (!ok) {
        spdlog::error("{}: {}", db->describe(), error);
        return exit_runtime;
    }
    spdlog::debug("{} records", out.count());
    return dce::interrupted() ? exit_interrupted : exit_ok;
}

int run_prune(ToolContext& ctx, const StoreOptions& o) {
    auto all = parse_duration(o.keep);
    if (!all) {
        spdlog::error("--keep: \"{}\" is not a duration such as 30d", o.keep);
        return exit_usage;
    }
    std::map<Kind, std::int64_t> keep;
    for (Kind k : all_kinds)
        keep[k] = all->count();
    for (const auto& kv : o.keep_per_kind) {
        auto eq = kv.find('=');
        auto kind = eq == std::string::npos ? std::nullopt : kind_from_name(kv.substr(0, eq));
        auto d = eq == std::string::npos ? std::nullopt : parse_duration(kv.substr(eq + 1));
        if (!kind || !d) {
            spdlog::error("--keep-kind: \"{}\" should be KIND=DURATION, e.g. readings=90d", kv);
            return exit_usage;
        }
        keep[*kind] = d->count();
    }
    // The DCE handbook asks for at least 30 days of logs.
    for (const KindSpec& spec : kind_specs())
        if (Kind k = spec.kind; spec.is_log && keep[k] < min_log_retention_ms)
            spdlog::warn(
                "keeping {}s for less than 30 days; the DCE security handbook asks for at least 30 "
                "days "
                "of logs",
                kind_name(k));
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::write, status);
    if (!db) return status;
    std::optional<std::string> site;
    if (!o.site.empty()) site = o.site;
    std::map<Kind, std::int64_t> cutoffs;
    std::int64_t now = now_ms();
    for (auto& [k, ms] : keep)
        cutoffs[k] = now - ms;
    std::vector<PruneResult> res;
    std::string error;
    if (!prune(*db, cutoffs, site, o.dry_run, res, error)) {
        spdlog::error("{}: {}", db->describe(), error);
        return exit_runtime;
    }
    for (const auto& r : res)
        spdlog::info("{} {} {} record{} older than {}{}", o.dry_run ? "would delete" : "deleted",
                     r.deleted, kind_name(r.kind), r.deleted == 1 ? "" : "s", format_ms(r.cutoff),
                     r.partitions_dropped
                         ? " (" + std::to_string(r.partitions_dropped) + " day partition" +
                               (r.partitions_dropped == 1 ? "" : "s") + " dropped)"
                         : std::string());
    if (o.vacuum && !o.dry_run && !db->exec("VACUUM", error)) {
        spdlog::error("vacuum: {}", error);
        return exit_runtime;
    }
    return exit_ok;
}

int run_export(ToolContext& ctx, const StoreOptions& o) {
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::read, status);
    if (!db) return status;
    int fd = 1;
    if (o.output != "-") {
        mode_t old = ::umask(077);
        fd = ::open(o.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::umask(old);
        if (fd < 0) {
            spdlog::error("cannot create {}: {}", o.output, std::strerror(errno));
            return exit_usage;
        }
    }
    std::optional<std::string> site;
    if (!o.site.empty()) site = o.site;
    // One read transaction: the export is a consistent snapshot while ingest goes on.
    std::string error;
    if (!db->begin_read(error)) {
        spdlog::error("{}", error);
        return exit_runtime;
    }
    RecordWriter w(fd, false);
    std::uint64_t n = 0;
    for (Kind k : all_kinds) {
        Query q;
        q.kind = k;
        q.site = site;
        q.ordered = false;
        if (!run_query(
                *db, q,
                [&](const Json& r) {
                    w.write(r);
                    ++n;
                    return !dce::interrupted();
                },
                error)) {
            spdlog::error("{}: {}", db->describe(), error);
            return exit_runtime;
        }
    }
    w.flush();
    db->rollback();
    if (fd != 1 && ::close(fd) != 0) {
        spdlog::error("cannot write {}: {}", o.output, std::strerror(errno));
        return exit_runtime;
    }
    spdlog::info("exported {} records", n);
    return dce::interrupted() ? exit_interrupted : exit_ok;
}

int run_stats(ToolContext& ctx, const StoreOptions& o) {
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::read, status);
    if (!db) return status;
    std::optional<std::string> site;
    if (!o.site.empty()) site = o.site;
    Stats s;
    std::string error;
    if (!collect_stats(*db, site, s, error)) {
        spdlog::error("{}: {}", db->describe(), error);
        return exit_runtime;
    }
    std::string format = pick_format(o);
    if (format == "json") {
        Json j = Json::object();
        j["database"] = db->describe();
        j["schema_version"] = s.schema_version;
        if (s.bytes) j["bytes"] = *s.bytes;
        j["sites"] = s.sites;
        j["series"] = s.series;
        Json kinds = Json::object();
        for (const auto& [k, ks] : s.kinds) {
            Json e = {{"rows", ks.rows}};
            if (ks.first_ts) e["first"] = format_ms(*ks.first_ts);
            if (ks.last_ts) e["last"] = format_ms(*ks.last_ts);
            kinds[std::string(kind_name(k))] = e;
        }
        j["kinds"] = kinds;
        write_all(1, j.dump() + "\n");
        return exit_ok;
    }
    std::string out;
    char buf[256];
    out += "database        " + db->describe() + "\n";
    out += "schema version  " + std::to_string(s.schema_version) + "\n";
    if (s.bytes) out += "size            " + std::to_string(*s.bytes) + " bytes\n";
    std::string sites;
    for (const auto& x : s.sites)
        sites += (sites.empty() ? "" : ", ") + (x.empty() ? "(none)" : x);
    out += "sites           " + (sites.empty() ? std::string("-") : sites) + "\n";
    out += "series          " + std::to_string(s.series) + "\n\n";
    std::snprintf(buf, sizeof buf, "%-8s  %12s  %-24s  %-24s\n", "kind", "rows", "first", "last");
    out += buf;
    for (const auto& [k, ks] : s.kinds) {
        std::snprintf(buf, sizeof buf, "%-8s  %12lld  %-24s  %-24s\n",
                      std::string(kind_name(k)).c_str(), static_cast<long long>(ks.rows),
                      ks.first_ts ? format_ms(*ks.first_ts).c_str() : "-",
                      ks.last_ts ? format_ms(*ks.last_ts).c_str() : "-");
        out += buf;
    }
    write_all(1, out);
    return exit_ok;
}

int run_sites(ToolContext& ctx, const StoreOptions& o) {
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::read, status);
    if (!db) return status;
    std::vector<std::string> sites;
    std::string error;
    if (!list_sites(*db, sites, error)) {
        spdlog::error("{}", error);
        return exit_runtime;
    }
    std::string out;
    for (const auto& s : sites)
        out += (s.empty() ? "(none)" : s) + "\n";
    write_all(1, out);
    return exit_ok;
}

int run_migrate(ToolContext& ctx, const StoreOptions& o) {
    int before = 0, status = exit_ok;
    auto db = open_store(ctx, o, Access::write, status, &before);
    if (!db) return status;
    if (before == schema_version_current)
        spdlog::info("{}: schema version {} is current", db->describe(), before);
    else
        spdlog::info("{}: schema version {} -> {}", db->describe(), before, schema_version_current);
    return exit_ok;
}

int run_backup(ToolContext&, const StoreOptions& o) {
    const std::string spec = resolve_db(o);
    if (is_postgres_url(spec)) {
        spdlog::error(
            "dce-store backup copies SQLite stores; for PostgreSQL use pg_dump (e.g. pg_dump "
            "--format=custom --file=dce.dump DBNAME) and pg_restore");
        return exit_usage;
    }
    BackupOptions bo{.source = spec, .dest = o.backup_dest, .force = o.force, .interrupted = [] {
                         return dce::interrupted();
                     }};
    std::string error;
    auto start = std::chrono::steady_clock::now();
    switch (backup_sqlite(bo, error)) {
        case BackupResult::ok:
            break;
        case BackupResult::usage:
            spdlog::error("{}", error);
            return exit_usage;
        case BackupResult::interrupted:
            spdlog::error("{}", error);
            return exit_interrupted;
        case BackupResult::failed:
            spdlog::error("{}", error);
            return exit_runtime;
    }
    struct stat st {};
    ::stat(o.backup_dest.c_str(), &st);
    spdlog::info("{} backed up to {} ({} bytes, {:.2f} s)", spec, o.backup_dest,
                 static_cast<long long>(st.st_size),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return exit_ok;
}

}  // namespace dce::store
