#include "poll/poll.hpp"

#include "poll/modbus_poll.hpp"

#include "core/credentials.hpp"
#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/targets.hpp"
#include "core/time.hpp"
#include "poll/shard.hpp"

#include <unistd.h>

#include <cmath>

#include <fmt/format.h>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>

namespace dce::poll {

using namespace dce::snmp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// An integer-typed value (INTEGER, Gauge32, Counter, ...) as a signed number.
std::optional<std::int64_t> integer_value(const Value& v) {
    if (v.type == ValueType::integer) return v.i;
    if (v.is_numeric()) return static_cast<std::int64_t>(v.u);
    return std::nullopt;
}

// The same, or a whole number an agent wrote as text ("2"): row filters and digit
// columns of agents that answer numbers as strings.
std::optional<std::int64_t> integer_of(const Value& v) {
    if (auto n = integer_value(v)) return n;
    if (auto n = v.number(); n && std::floor(*n) == *n) return static_cast<std::int64_t>(*n);
    return std::nullopt;
}

}  // namespace

bool convert_value(const MetricDef& m, double scale, const Value& v, Json& value, Json& raw) {
    raw = nullptr;
    if (v.is_exception() || v.type == ValueType::null) return false;
    if (v.type == ValueType::integer &&
        std::find(m.invalid.begin(), m.invalid.end(), v.i) != m.invalid.end())
        return false;
    if (!m.states.empty()) {
        auto n = integer_value(v);
        if (!n) return false;
        raw = *n;
        auto it = m.states.find(*n);
        value = it != m.states.end() ? it->second : "unknown";
        return true;
    }
    if (v.type == ValueType::timeticks) {
        // TimeTicks are hundredths of a second whatever the profile's scale says.
        value = static_cast<double>(v.u) / 100.0;
        if (v.u % 100 == 0) value = v.u / 100;
        return true;
    }
    auto num = v.number();
    if (!num) {
        if (v.type == ValueType::octet_string || v.type == ValueType::ip_address ||
            v.type == ValueType::object_id) {
            value = to_json(v);
            return true;
        }
        return false;
    }
    if (scale == 1.0 && v.is_numeric()) {
        if (v.type == ValueType::integer)
            value = v.i;
        else
            value = v.u;
        return true;
    }
    double x = *num * scale;
    // 2301 * 0.1 is 230.10000000000002 in binary: round to what the agent meant.
    x = std::round(x * 1e6) / 1e6;
    value = x;
    return true;
}

Json to_record(const Reading& r, const std::string& site) {
    Json rec = new_record("reading");
    if (!site.empty()) rec["site"] = site;
    rec["device"] = r.device;
    rec["metric"] = r.metric;
    rec["value"] = r.value;
    if (!r.unit.empty()) rec["unit"] = r.unit;
    if (!r.labels.empty()) rec["labels"] = r.labels;
    rec["source"] = r.source;
    if (!r.raw.is_null()) rec["raw"] = r.raw;
    if (!r.snmp_type.empty()) rec["snmp_type"] = r.snmp_type;
    return rec;
}

namespace {

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

void append_json_value(std::string& out, const Json& v) {
    if (v.is_string())
        append_json_string(out, v.get_ref<const std::string&>());
    else
        out += v.dump();
}

}  // namespace

// The same record as to_record(r).dump(), field for field, without building a Json tree
// (the hot path of a large poll; unit-tested against to_record).
void append_reading_json(std::string& out, const Reading& r, const std::string& ts,
                         const std::string& site) {
    out += R"({"type":"reading","ts":)";
    append_json_string(out, ts);
    if (!site.empty()) {
        out += R"(,"site":)";
        append_json_string(out, site);
    }
    out += R"(,"device":)";
    append_json_string(out, r.device);
    out += R"(,"metric":)";
    append_json_string(out, r.metric);
    out += R"(,"value":)";
    append_json_value(out, r.value);
    if (!r.unit.empty()) {
        out += R"(,"unit":)";
        append_json_string(out, r.unit);
    }
    if (!r.labels.empty()) {
        out += R"(,"labels":{)";
        bool first = true;
        for (auto it = r.labels.begin(); it != r.labels.end(); ++it) {
            if (!first) out += ',';
            first = false;
            append_json_string(out, it.key());
            out += ':';
            append_json_value(out, it.value());
        }
        out += '}';
    }
    out += R"(,"source":)";
    append_json_string(out, r.source);
    if (!r.raw.is_null()) {
        out += R"(,"raw":)";
        append_json_value(out, r.raw);
    }
    if (!r.snmp_type.empty()) {
        out += R"(,"snmp_type":)";
        append_json_string(out, r.snmp_type);
    }
    out += '}';
}

namespace {

struct Device {
    std::string id, credential_name;
    std::vector<std::string> profiles;
    Endpoint endpoint;
    Security security;
    std::vector<const MetricDef*> metrics;
    // scheduling
    SteadyClock::time_point next_due;
    bool busy = false;
    std::uint64_t overruns = 0, rounds_started = 0;
};

// One poll of one device: a GET of every scalar (in PDUs of at most 40 varbinds), the
// fallbacks of those that answered noSuch*, and a walk per table column. Readings are
// emitted when every request has answered, in profile order.
struct DevicePoll {
    Device* dev = nullptr;
    std::map<std::size_t, int> level;                     // metric index -> fallback level in use
    std::map<std::string, Value> scalars;                 // OID text -> value
    std::map<std::string, std::vector<VarBind>> columns;  // column OID text -> rows
    std::vector<std::string> errors;                      // "code: message"
    std::string first_code;
    int outstanding = 0;
    bool any_answer = false;
};

// Device records read from stdin while polling, so polling starts with the first record
// of a live pipe (`dce-discover ... | dce-poll --interval 60`) instead of at its EOF.
struct Input {
    RecordReader* reader = nullptr;
    std::function<void(const RecordLine&)> on_record;
};

class Poller {
  public:
    Poller(const PollOptions& o, RecordWriter& out, TextRounds& text)
        : opts_(o),
          out_(out),
          text_(text),
          engine_({.concurrency = o.concurrency, .rate = o.rate}) {}
    // Requests still in the engine when the run ends early (stdout closed, an exception)
    // are cancelled now, while the devices their callbacks name still exist; the
    // callbacks see closing_ and write nothing.
    ~Poller() {
        closing_ = true;
        engine_.cancel_all();
    }
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    void add(Device d) {
        devices_.push_back(std::make_unique<Device>(std::move(d)));
        if (running_) schedule(devices_.size() - 1, SteadyClock::now());
    }
    std::size_t size() const { return devices_.size(); }

    int run(Input input = {}) {
        auto start = SteadyClock::now();
        running_ = true;
        for (std::size_t i = 0; i < devices_.size(); ++i)
            schedule(i, start);
        bool progress = log::stderr_is_tty();
        if (input.reader) start_input(input);
        // Starting every device at once would queue all their requests in memory; keep
        // just enough queued to keep the engine's --concurrency busy.
        const std::size_t max_queued = std::max<std::size_t>(64, opts_.concurrency * 4);
        auto& due = due_;
        const std::uint64_t round_target = round_target_;
        while (!interrupted()) {
            auto now = SteadyClock::now();
            auto next_wake = now + std::chrono::milliseconds(200);
            while (!due.empty() && due.top().first <= now && engine_.stats().queued < max_queued) {
                Device& d = *devices_[due.top().second];
                std::size_t idx = due.top().second;
                due.pop();
                log::Scope scope(d.id);
                if (d.busy) {
                    // A slow device skips this round instead of delaying the others.
                    ++d.overruns;
                    ++overruns_;
                    spdlog::warn("{}: still polling when the next round was due (overrun)", d.id);
                } else {
                    start_poll(d);
                }
                ++d.rounds_started;
                if (round_target == 0 || d.rounds_started < round_target) {
                    d.next_due += std::chrono::duration_cast<SteadyClock::duration>(
                        std::chrono::duration<double>(opts_.interval));
                    due.push({d.next_due, idx});
                }
            }
            if (due.empty() && busy_ == 0 && !input_open_) break;
            // Devices held back by the queue bound start when answers free the engine,
            // which wakes the step below: waiting for their due time would spin.
            if (!due.empty() && engine_.stats().queued < max_queued)
                next_wake = std::min(next_wake, std::max(now, due.top().first));
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_wake -
                                                                              SteadyClock::now());
            engine_.step(
                std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(200)));
            // Text formats are written per round: only when nothing runs and nothing is due.
            if (busy_ == 0 && (due.empty() || due.top().first > SteadyClock::now())) {
                text_.flush();
                write_metrics();
            }
            // A terminal redraw at most ten times a second: every turn wrote megabytes.
            if (progress && SteadyClock::now() - last_progress_ >= std::chrono::milliseconds(100)) {
                last_progress_ = SteadyClock::now();
                auto s = engine_.stats();
                fprintf(stderr, "\r%llu readings, %llu errors, %zu in flight, %zu queued   ",
                        static_cast<unsigned long long>(readings_),
                        static_cast<unsigned long long>(failed_), s.in_flight, s.queued);
            }
        }
        if (input_open_) engine_.unwatch_fd(input_fd_);
        if (interrupted()) engine_.cancel_all();
        write_metrics(true);
        if (progress) fprintf(stderr, "\n");
        seconds_ = std::chrono::duration<double>(SteadyClock::now() - start).count();
        return failed_ ? exit_runtime : exit_ok;
    }

    /// The SNMP side's summary line (run_poll leaves it out of a Modbus-only run).
    void log_summary() const {
        spdlog::info(
            "{} device(s), {} poll(s), {} reading(s), {} varbind(s), {} failed, {} overrun(s), "
            "{} metric(s) absent (not answered by the agent), {:.2f} s",
            devices_.size(), polls_, readings_, engine_.stats().varbinds, failed_, overruns_,
            absent_, seconds_);
    }

  private:
    // Devices wait in a min-heap by due time, so a loop turn costs O(log n) per due device
    // rather than a scan of every device. A device's first round falls at a random point
    // in the first --jitter of the interval after it arrives.
    void schedule(std::size_t idx, SteadyClock::time_point from) {
        double spread =
            opts_.interval > 0 ? opts_.interval * std::clamp(opts_.jitter, 0.0, 1.0) : 0;
        auto off = spread > 0 ? std::uniform_real_distribution<double>(0, spread)(rng_) : 0.0;
        Device& d = *devices_[idx];
        d.next_due = from + std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(off));
        due_.push({d.next_due, idx});
    }

    // Reads what stdin has now, from the engine's epoll wait; a file is read whole.
    void start_input(const Input& input) {
        input_ = input;
        input_open_ = true;
        read_input();
        if (input_open_ && !engine_.watch_fd(input_fd_, [this] { read_input(); })) {
            // Not pollable (a regular file, /dev/null): reading it never blocks for long.
            while (input_open_)
                read_input();
        }
    }

    void read_input() {
        RecordLine line;
        while (input_.reader->next(line))
            input_.on_record(line);
        if (!input_.reader->ended()) return;
        if (!input_.reader->io_error().empty())
            spdlog::error("stdin: {}", input_.reader->io_error());
        engine_.unwatch_fd(input_fd_);
        input_open_ = false;
        spdlog::debug("end of input: {} device(s) to poll", devices_.size());
    }

    void start_poll(Device& d) {
        d.busy = true;
        ++busy_;
        ++polls_;
        text_.begin();
        spdlog::debug("{}: polling {} metric(s) of profile {} with credential {} ({})", d.id,
                      d.metrics.size(), fmt::join(d.profiles, ","), d.credential_name,
                      to_string(d.security.version));
        auto p = std::make_shared<DevicePoll>();
        p->dev = &d;
        std::vector<Oid> scalars;
        std::set<std::string> cols;
        for (std::size_t i = 0; i < d.metrics.size(); ++i) {
            const MetricDef& m = *d.metrics[i];
            if (m.is_table()) {
                cols.insert(oid_to_string(m.table));
                for (const auto& [name, col] : m.label_columns)
                    cols.insert(oid_to_string(col));
                if (!m.where_column.empty()) cols.insert(oid_to_string(m.where_column));
                if (!m.decimals_column.empty()) cols.insert(oid_to_string(m.decimals_column));
            } else {
                p->level[i] = 0;
                scalars.push_back(m.oid);
            }
        }
        submit_gets(p, std::move(scalars));
        // Columns of one table (same OID but the last arc) are walked together: one
        // GETBULK per round carries them all, instead of one walk per column.
        std::map<std::string, std::vector<Oid>> tables;
        for (const auto& c : cols) {
            Oid o;
            parse_oid(c, o);
            Oid table(o.begin(), o.end() - 1);
            tables[oid_to_string(table)].push_back(std::move(o));
        }
        for (auto& [table, columns] : tables) {
            Request r = base_request(d);
            r.op = Op::walk;
            r.oids = columns;
            ++p->outstanding;
            // A copy by name: clang 14 cannot capture a structured binding.
            engine_.submit(std::move(r), [this, p, columns = columns](const Response& resp) {
                if (closing_) return;
                log_response(*p->dev, "walk", resp);
                if (resp.ok()) {
                    p->any_answer = true;
                    // Name each column once per answer, not once per varbind (profiled:
                    // oid_to_string and the map lookup were a sixth of dce-poll's CPU).
                    std::vector<std::vector<VarBind>*> slots;
                    slots.reserve(columns.size());
                    for (const auto& col : columns)
                        slots.push_back(&p->columns[oid_to_string(col)]);
                    for (const auto& vb : resp.varbinds)
                        for (std::size_t i = 0; i < columns.size(); ++i)
                            if (oid_starts_with(vb.oid, columns[i])) {
                                slots[i]->push_back(vb);
                                break;
                            }
                } else {
                    note_error(*p, resp);
                }
                done_one(p);
            });
        }
        if (p->outstanding == 0) finish(p);
    }

    Request base_request(const Device& d) const {
        Request r;
        r.target = d.endpoint;
        r.security = d.security;
        r.timeout = std::chrono::milliseconds(opts_.timeout_ms);
        r.retries = opts_.retries;
        r.max_repetitions = opts_.max_repetitions;
        return r;
    }

    void submit_gets(const std::shared_ptr<DevicePoll>& p, std::vector<Oid> oids) {
        constexpr std::size_t per_pdu = 40;
        for (std::size_t i = 0; i < oids.size(); i += per_pdu) {
            Request r = base_request(*p->dev);
            r.op = Op::get;
            r.oids.assign(oids.begin() + i, oids.begin() + std::min(oids.size(), i + per_pdu));
            submit_get(p, std::move(r));
        }
    }

    void submit_get(const std::shared_ptr<DevicePoll>& p, Request r) {
        ++p->outstanding;
        auto oids = r.oids;
        engine_.submit(std::move(r), [this, p, oids](const Response& resp) {
            if (closing_) return;
            log_response(*p->dev, "get", resp);
            if (resp.ok()) {
                p->any_answer = true;
                for (const auto& vb : resp.varbinds)
                    p->scalars[oid_to_string(vb.oid)] = vb.value;
                // An OID the agent does not have comes back as the exception for the
                // requested OID; record it so the fallback logic sees it.
                for (const auto& o : oids)
                    if (!p->scalars.count(oid_to_string(o)))
                        p->scalars[oid_to_string(o)].type = ValueType::no_such_object;
                queue_fallbacks(p);
            } else if (resp.status == snmp::Status::agent_error && resp.error_status == 2 &&
                       resp.error_index >= 1 &&
                       static_cast<std::size_t>(resp.error_index) <= oids.size()) {
                // SNMPv1 noSuchName fails the whole PDU: mark that OID missing, ask again.
                p->any_answer = true;
                auto rest = oids;
                p->scalars[oid_to_string(rest[resp.error_index - 1])].type =
                    ValueType::no_such_object;
                rest.erase(rest.begin() + (resp.error_index - 1));
                if (!rest.empty()) {
                    Request again = base_request(*p->dev);
                    again.oids = std::move(rest);
                    submit_get(p, std::move(again));
                } else {
                    queue_fallbacks(p);
                }
            } else {
                note_error(*p, resp);
            }
            done_one(p);
        });
    }

    void queue_fallbacks(const std::shared_ptr<DevicePoll>& p) {
        std::vector<Oid> next;
        for (auto& [i, lvl] : p->level) {
            const MetricDef& m = *p->dev->metrics[i];
            const Oid& cur = lvl == 0 ? m.oid : m.fallback[lvl - 1].oid;
            auto it = p->scalars.find(oid_to_string(cur));
            if (it == p->scalars.end() || !it->second.is_exception()) continue;
            if (static_cast<std::size_t>(lvl) < m.fallback.size()) {
                ++lvl;
                const Oid& nx = m.fallback[lvl - 1].oid;
                if (!p->scalars.count(oid_to_string(nx))) next.push_back(nx);
            }
        }
        if (!next.empty()) submit_gets(p, std::move(next));
    }

    // --log-level trace: what happened to each request of each device.
    static void log_response(const Device& d, const char* what, const Response& r) {
        if (!spdlog::should_log(spdlog::level::trace)) return;
        log::Scope scope(d.id);
        if (r.ok())
            spdlog::trace("{}: {} answered: {} varbind(s) in {} ms{}{}", d.id, what,
                          r.varbinds.size(), r.elapsed.count(),
                          r.bulk_fell_back ? " (GETBULK failed, walked with GETNEXT)" : "",
                          r.truncated ? " (truncated)" : "");
        else
            spdlog::trace("{}: {} failed: {}: {}", d.id, what, to_string(r.status), r.message);
    }

    void note_error(DevicePoll& p, const Response& r) {
        if (p.first_code.empty()) p.first_code = std::string(to_string(r.status));
        if (p.errors.size() < 3) p.errors.push_back(r.message);
    }

    void done_one(const std::shared_ptr<DevicePoll>& p) {
        if (--p->outstanding != 0) return;
        log::Scope scope(p->dev->id);
        spdlog::debug("{}: poll done: {} scalar value(s), {} table column(s){}{}", p->dev->id,
                      p->scalars.size(), p->columns.size(),
                      p->first_code.empty() ? "" : ", failed: ", p->first_code);
        finish(p);
    }

    // The row of `column` with index `suffix`; `hint` is the row's position in the
    // metric's own column, where it usually is (columns of one table walk in step).
    static const VarBind* row_of(const DevicePoll& p, const Oid& column, const Oid& suffix,
                                 std::size_t hint) {
        auto col = p.columns.find(oid_to_string(column));
        if (col == p.columns.end()) return nullptr;
        Oid want = column;
        want.insert(want.end(), suffix.begin(), suffix.end());
        const auto& rows = col->second;
        if (hint < rows.size() && rows[hint].oid == want) return &rows[hint];
        for (const auto& vb : rows)
            if (vb.oid == want) return &vb;
        return nullptr;
    }

    void table_readings(const DevicePoll& p, const MetricDef& m, std::vector<Reading>& out) {
        const Device& d = *p.dev;
        auto col = p.columns.find(oid_to_string(m.table));
        if (col == p.columns.end()) return;
        for (std::size_t k = 0; k < col->second.size(); ++k) {
            const VarBind& vb = col->second[k];
            Oid suffix(vb.oid.begin() + static_cast<long>(m.table.size()), vb.oid.end());
            if (m.has_where()) {
                std::optional<std::int64_t> key;
                if (m.where_arc > 0) {
                    if (static_cast<std::size_t>(m.where_arc) <= suffix.size())
                        key = static_cast<std::int64_t>(suffix[m.where_arc - 1]);
                } else if (const VarBind* w = row_of(p, m.where_column, suffix, k)) {
                    key = integer_of(w->value);
                }
                if (!key ||
                    std::find(m.where_in.begin(), m.where_in.end(), *key) == m.where_in.end())
                    continue;
            }
            double scale = m.scale;
            if (!m.decimals_column.empty()) {
                const VarBind* dc = row_of(p, m.decimals_column, suffix, k);
                auto digits = dc ? integer_of(dc->value) : std::nullopt;
                // A row whose precision is unknown or absurd is skipped, not guessed.
                if (!digits || *digits < 0 || *digits > 9) continue;
                scale *= std::pow(10.0, -static_cast<double>(*digits));
            }
            Reading r;
            if (!convert_value(m, scale, vb.value, r.value, r.raw)) continue;
            r.device = d.id;
            r.metric = m.metric;
            r.unit = m.unit;
            r.source = oid_to_string(vb.oid);
            r.snmp_type = std::string(to_string(vb.value.type));
            if (m.index.size() == suffix.size()) {
                for (std::size_t a = 0; a < suffix.size(); ++a)
                    r.labels[m.index[a]] = std::to_string(suffix[a]);
            } else {
                r.labels[m.index.empty() ? "index" : m.index.front()] = oid_to_string(suffix);
            }
            for (const auto& [k2, v] : m.labels)
                r.labels[k2] = v;
            for (const auto& [name, lc] : m.label_columns) {
                const VarBind* l = row_of(p, lc, suffix, k);
                if (!l) continue;
                Json lv = to_json(l->value);
                r.labels[name] = lv.is_string() ? lv.get<std::string>() : lv.dump();
            }
            out.push_back(std::move(r));
        }
    }

    void finish(const std::shared_ptr<DevicePoll>& p) {
        Device& d = *p->dev;
        log::Scope scope(d.id);
        d.busy = false;
        --busy_;
        std::vector<Reading> readings;
        for (std::size_t i = 0; i < d.metrics.size(); ++i) {
            const MetricDef& m = *d.metrics[i];
            std::size_t before = readings.size();
            if (!m.is_table()) {
                int lvl = p->level.count(i) ? p->level[i] : 0;
                const Oid& o = lvl == 0 ? m.oid : m.fallback[lvl - 1].oid;
                double scale = lvl == 0 ? m.scale : m.fallback[lvl - 1].scale;
                auto it = p->scalars.find(oid_to_string(o));
                Reading r;
                if (it != p->scalars.end() && convert_value(m, scale, it->second, r.value, r.raw)) {
                    r.device = d.id;
                    r.metric = m.metric;
                    r.unit = m.unit;
                    r.source = oid_to_string(o);
                    r.snmp_type = std::string(to_string(it->second.type));
                    for (const auto& [k, v] : m.labels)
                        r.labels[k] = v;
                    readings.push_back(std::move(r));
                }
            } else {
                table_readings(*p, m, readings);
            }
            if (readings.size() == before) ++absent_;
        }
        readings_ += readings.size();
        emit(readings);
        text_.end(std::move(readings));
        if (!p->first_code.empty()) {
            ++failed_;
            std::string msg = p->errors.empty() ? "poll failed" : p->errors.front();
            if (p->any_answer) msg = "partly polled: " + msg;
            Json err = make_error_record("dce-poll", d.id, p->first_code, msg);
            if (!opts_.site.empty()) err["site"] = opts_.site;
            if (opts_.format == "json") {
                std::lock_guard lock(output_mutex());
                out_.write(err);
            } else {
                spdlog::error("{}: {}: {}", d.id, p->first_code, msg);
            }
        }
    }

    // JSON lines are written as each device's poll ends; the text formats through text_.
    void emit(const std::vector<Reading>& readings) {
        if (opts_.format != "json" || readings.empty()) return;
        // One write per device, not per reading: the records of one poll are whole
        // lines written together, and the serializer skips building a Json tree.
        std::string ts = now_timestamp(), buf;
        for (const auto& r : readings) {
            append_reading_json(buf, r, ts, opts_.site);
            buf += '\n';
        }
        buf.pop_back();
        std::lock_guard lock(output_mutex());
        out_.write_raw(buf);
    }

    // --metrics-file: after each round (when nothing is in flight and the counters moved)
    // and at exit. A write that fails is logged once, and polling goes on.
    void write_metrics(bool final = false) {
        if (opts_.metrics_file.empty()) return;
        if (!final && polls_ == metrics_polls_ && overruns_ == metrics_overruns_) return;
        metrics_polls_ = polls_;
        metrics_overruns_ = overruns_;
        metrics::Exposition m;
        m.counter("dce_poll_polls_total", "Device polls started.", polls_);
        m.counter("dce_poll_poll_failures_total",
                  "Device polls that ended in an error record (no answer, refused, ...).", failed_);
        m.counter("dce_poll_overruns_total",
                  "Rounds a device skipped because its previous poll had not finished when the "
                  "next was due.",
                  overruns_);
        m.counter("dce_poll_readings_total", "Reading records written.", readings_);
        m.counter("dce_poll_absent_total", "Metric polls the agent had no value for.", absent_);
        m.gauge("dce_poll_devices", "Devices being polled.", static_cast<double>(devices_.size()));
        m.gauge("dce_poll_in_flight", "Device polls in progress when the file was written.",
                static_cast<double>(busy_));
        m.gauge("dce_poll_last_write_timestamp_seconds",
                "When dce-poll wrote this file (Unix time).",
                std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                    .count());
        std::string error;
        if (!metrics::write_metrics_file(opts_.metrics_file, m.text(), error)) {
            if (!metrics_error_logged_) spdlog::error("{}", error);
            metrics_error_logged_ = true;
        }
    }

    using Due = std::pair<SteadyClock::time_point, std::size_t>;

    const PollOptions& opts_;
    RecordWriter& out_;
    TextRounds& text_;
    Engine engine_;
    std::vector<std::unique_ptr<Device>> devices_;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
    std::mt19937_64 rng_{std::random_device{}()};
    const std::uint64_t round_target_ = opts_.interval > 0 ? opts_.rounds : 1;
    Input input_;
    const int input_fd_ = 0;
    bool input_open_ = false, running_ = false, closing_ = false;
    SteadyClock::time_point last_progress_{};
    std::size_t busy_ = 0;
    std::uint64_t readings_ = 0, failed_ = 0, overruns_ = 0, polls_ = 0;
    std::uint64_t absent_ = 0;  // metric polls the agent had nothing for
    std::uint64_t metrics_polls_ = ~std::uint64_t{0}, metrics_overruns_ = 0;
    bool metrics_error_logged_ = false;
    double seconds_ = 0;
};

std::vector<std::string> split_names(const std::string& list) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        auto comma = list.find(',', pos);
        std::string name =
            list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!name.empty()) out.push_back(name);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return out;
}

// A device record's profiles: `profiles` (every applying one, as dce-discover writes
// it), else `profile`, else --profile.
std::vector<std::string> profiles_of_record(const Json& r, const std::string& fallback) {
    std::vector<std::string> out;
    if (auto it = r.find("profiles"); it != r.end() && it->is_array())
        for (const auto& e : *it) {
            if (e.is_string())
                out.push_back(e.get<std::string>());
            else if (e.is_object() && e.contains("name") && e["name"].is_string())
                out.push_back(e["name"].get<std::string>());
        }
    if (out.empty()) {
        if (auto it = r.find("profile"); it != r.end() && it->is_string())
            out.push_back(it->get<std::string>());
    }
    if (out.empty()) out = split_names(fallback);
    return out;
}

std::string profile_names(const ProfileSet& set) {
    std::vector<std::string> names;
    for (const auto& p : set.all())
        names.push_back(p.name);
    std::sort(names.begin(), names.end());
    return fmt::format("{}", fmt::join(names, ", "));
}

bool parse_version(const std::string& s, Version& v) {
    if (s == "v1" || s == "1")
        v = Version::v1;
    else if (s == "v2c" || s == "2c" || s == "2")
        v = Version::v2c;
    else if (s == "v3" || s == "3")
        v = Version::v3;
    else
        return false;
    return true;
}

}  // namespace

int run_poll(ToolContext& ctx, const PollOptions& opts) {
    if (opts.format != "json" && opts.format != "openmetrics" && opts.format != "influx") {
        spdlog::error("--format must be json, openmetrics or influx");
        return exit_usage;
    }
    std::vector<std::string> perrors;
    ProfileSet profiles = load_profiles(opts.profile_dirs, perrors);
    for (const auto& e : perrors)
        spdlog::error("profile {}", e);
    if (!perrors.empty()) return exit_usage;
    if (opts.list_profiles) {
        RecordWriter& out = ctx.out();
        std::vector<const Profile*> sorted;
        for (const auto& p : profiles.all())
            sorted.push_back(&p);
        std::sort(sorted.begin(), sorted.end(),
                  [](const Profile* a, const Profile* b) { return a->name < b->name; });
        for (const auto* p : sorted)
            out.write(profile_record(*p));
        return exit_ok;
    }

    std::string error;
    const CredentialStore* loaded = ctx.credentials(error);
    if (!loaded) {
        spdlog::error("{}", error);
        return exit_usage;
    }
    const CredentialStore& creds = *loaded;

    Version forced{};
    bool has_forced = !opts.snmp_version.empty();
    if (has_forced && !parse_version(opts.snmp_version, forced)) {
        spdlog::error("--snmp-version must be v1, v2c or v3");
        return exit_usage;
    }

    RecordWriter& out = ctx.out();
    // --shard: devices of other shards are neither polled nor passed through.
    std::optional<Shard> shard;
    if (!opts.shard.empty()) {
        std::string why;
        if (!(shard = parse_shard(opts.shard, why))) {
            spdlog::error("--shard: {}", why);
            return exit_usage;
        }
    }
    std::uint64_t off_shard = 0;
    auto mine = [&](std::string_view id) {
        if (!shard || in_shard(id, *shard)) return true;
        ++off_shard;
        return false;
    };
    std::vector<std::string> snmp_targets, modbus_targets;
    for (const auto& t : opts.targets)
        (t.rfind("modbus://", 0) == 0 ? modbus_targets : snmp_targets).push_back(t);
    std::vector<std::string> merrors;
    modbus::MapSet maps = modbus::load_maps(opts.profile_dirs, merrors);
    for (const auto& e : merrors)
        spdlog::error("register map {}", e);
    if (!merrors.empty()) return exit_usage;
    TextRounds text(opts);
    Poller poller(opts, out, text);
    ModbusPoller modbus_poller(opts, out, text);
    int status = exit_ok;
    std::uint64_t skipped = 0, bad_lines = 0;

    auto config_error = [&](const std::string& id, const std::string& why) {
        Json err = make_error_record("dce-poll", id, "config", why);
        if (!opts.site.empty()) err["site"] = opts.site;
        if (opts.format == "json") {
            std::lock_guard lock(output_mutex());
            out.write(err);
        } else {
            spdlog::error("{}: {}", id, why);
        }
        status = exit_runtime;
    };
    // A Modbus device goes to the Modbus thread (or, with --plan, out as plan records).
    auto use_modbus = [&](ModbusDevice d, const std::vector<std::string>& names) -> bool {
        for (const auto& n : names)
            if ((d.map = maps.find(n))) break;
        if (!d.map) {
            std::string known;
            for (const auto& m : maps.all())
                known += (known.empty() ? "" : ", ") + m.name;
            config_error(d.id, fmt::format("no register map named '{}' (known: {})",
                                           fmt::join(names, ","), known));
            return false;
        }
        if (opts.plan) {
            for (const auto& rec : plan_records(d, opts.site))
                out.write(rec);
            return true;
        }
        modbus_poller.add(std::move(d));
        return true;
    };
    auto add_modbus_record = [&](const Json& r) {
        ModbusDevice d;
        d.id = r.value("id", "");
        d.host = r.value("target", "");
        std::int64_t port = r.contains("port") && r["port"].is_number_integer()
                                ? r["port"].get<std::int64_t>()
                                : 502;
        std::int64_t unit = 1;
        if (auto m = r.find("modbus"); m != r.end() && m->is_object() && m->contains("unit_id") &&
                                       (*m)["unit_id"].is_number_integer())
            unit = (*m)["unit_id"].get<std::int64_t>();
        if (d.host.empty() || port < 1 || port > 65535 || unit < 0 || unit > 255) {
            config_error(d.id,
                         "modbus device record needs target, port 1..65535 and "
                         "modbus.unit_id 0..255");
            return;
        }
        d.port = static_cast<std::uint16_t>(port);
        d.unit = static_cast<std::uint8_t>(unit);
        if (d.id.empty()) d.id = modbus_id(d.host, d.port, d.unit);
        auto names = profiles_of_record(r, opts.profile);
        if (names.empty()) {
            ++skipped;
            spdlog::warn("{}: device record names no register map; skipped", d.id);
            return;
        }
        use_modbus(std::move(d), names);
    };
    if (!modbus_targets.empty() && opts.profile.empty()) {
        spdlog::error("targets need --profile NAME (device records name their own)");
        return exit_usage;
    }
    for (const auto& t : modbus_targets) {
        ModbusDevice d;
        std::string why;
        if (!parse_modbus_target(t, d, why)) {
            spdlog::error("{}", why);
            return exit_usage;
        }
        if (!mine(d.id)) continue;
        if (!use_modbus(std::move(d), split_names(opts.profile))) return exit_usage;
    }

    auto make_device = [&](Device& d, const std::string& cred_name,
                           std::optional<Version> rec_version, std::string& why) -> bool {
        for (const auto& name : d.profiles)
            if (!profiles.find(name)) {
                why = "unknown profile '" + name + "' (known: " + profile_names(profiles) + ")";
                return false;
            }
        d.metrics = profiles.metrics_of(d.profiles);
        Version v = has_forced ? forced : rec_version.value_or(Version::v3);
        std::string name = cred_name;
        if (name.empty()) name = v == Version::v3 ? "env" : "env-community";
        const Credential* c = creds.find(name);
        if (!c) {
            why = "no credential entry named '" + name + "' (see --credentials, --credential)";
            return false;
        }
        if (c->kind == "community" && v == Version::v3 && !has_forced) {
            why = "credential '" + name +
                  "' is a community; SNMPv1/v2c is used only when asked (--snmp-version)";
            return false;
        }
        if (!security_from_credential(*c, v, d.security, why)) return false;
        d.credential_name = name;
        return true;
    };

    if (!snmp_targets.empty() && !opts.plan) {
        if (opts.profile.empty()) {
            spdlog::error("targets need --profile NAME (device records name their own)");
            return exit_usage;
        }
        TargetList list({.max_addresses = opts.max_targets});
        std::vector<std::string> errs;
        if (!list.add_all(snmp_targets, errs)) {
            for (const auto& e : errs)
                spdlog::error("{}", e);
            return exit_usage;
        }
        Target t;
        while (list.next(t)) {
            Device d;
            d.endpoint = {t.host, t.port.value_or(161)};
            d.id = "snmp://" + d.endpoint.to_string();
            if (!mine(d.id)) continue;
            d.profiles = split_names(opts.profile);
            std::string why;
            if (!make_device(d, opts.credential, std::nullopt, why)) {
                spdlog::error("{}", why);
                return exit_usage;
            }
            poller.add(std::move(d));
        }
    }
    // Device records are handled as they arrive, inside the poll loop (see Input).
    auto on_record = [&](const RecordLine& line) {
        if (!line.ok) {
            spdlog::warn("stdin {}", line.error);
            ++bad_lines;
            status = worse_exit(status, exit_runtime);
            return;
        }
        const Json& r = line.value;
        if (r.value("type", "") == "device" && !mine(r.value("id", ""))) return;
        if (opts.forward && opts.format == "json" && !opts.plan) {
            std::lock_guard lock(output_mutex());
            out.write_raw(line.raw);
        }
        if (r.value("type", "") == "device" && r.value("transport", "") == "modbus") {
            add_modbus_record(r);
            return;
        }
        if (opts.plan || r.value("type", "") != "device" || r.value("transport", "") != "snmp")
            return;
        Device d;
        d.id = r.value("id", "");
        d.endpoint = {r.value("target", ""), static_cast<std::uint16_t>(r.value("port", 161))};
        d.profiles = profiles_of_record(r, opts.profile);
        if (d.profiles.empty()) {
            ++skipped;
            spdlog::warn("{}: device record names no profile; skipped", d.id);
            return;
        }
        std::optional<Version> rv;
        Version v;
        if (r.contains("snmp") && r["snmp"].is_object() && r["snmp"].contains("version") &&
            r["snmp"]["version"].is_string() &&
            parse_version(r["snmp"]["version"].get<std::string>(), v))
            rv = v;
        std::string why;
        std::string cred = r.value("credential", opts.credential);
        if (!make_device(d, cred, rv, why)) {
            config_error(d.id, why);
            return;
        }
        spdlog::debug("{}: device record read (line {}), profiles {}", d.id, line.number,
                      fmt::join(d.profiles, ","));
        poller.add(std::move(d));
    };
    std::optional<RecordReader> reader;
    if (opts.plan) {
        // Nothing is sent: the input is read to its end for its Modbus devices.
        if (opts.targets.empty()) {
            RecordReader blocking = ctx.record_reader();
            RecordLine line;
            while (blocking.next(line))
                on_record(line);
        }
        return status;
    }
    if (opts.targets.empty()) reader.emplace(ctx.record_reader({.wait = false}));
    int polled = poller.run({reader ? &*reader : nullptr, on_record});
    polled = worse_exit(polled, modbus_poller.finish());
    // A summary per transport that had devices; the SNMP one when neither had any.
    if (poller.size() > 0 || !modbus_poller.started()) poller.log_summary();
    text.flush(true);  // one exposition for both engines (the last round's)
    if (skipped) spdlog::info("{} device record(s) without a profile skipped", skipped);
    if (shard)
        spdlog::info("--shard {}: {} device(s) of other shards left out", opts.shard, off_shard);
    if (bad_lines) spdlog::error("{} bad input line(s) skipped", bad_lines);
    return worse_exit(status, polled);
}

}  // namespace dce::poll
