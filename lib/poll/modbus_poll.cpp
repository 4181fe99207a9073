#include "poll/modbus_poll.hpp"

#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/time.hpp"
#include "modbus/client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>
#include <atomic>
#include <exception>
#include <map>
#include <random>
#include <thread>

namespace dce::poll {

namespace asio = boost::asio;
using namespace dce::modbus;

std::mutex& output_mutex() {
    static std::mutex m;
    return m;
}

std::string modbus_id(const std::string& host, std::uint16_t port, std::uint8_t unit) {
    return modbus::device_id(host, port, unit);
}

bool parse_modbus_target(const std::string& s, ModbusDevice& d, std::string& error) {
    constexpr std::string_view scheme = "modbus://";
    if (s.rfind(scheme, 0) != 0) {
        error = "'" + s + "' is not modbus://HOST[:PORT][/UNIT]";
        return false;
    }
    std::string rest = s.substr(scheme.size());
    std::string unit_text;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        unit_text = rest.substr(slash + 1);
        rest.resize(slash);
    }
    std::string port_text;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string::npos) {
            error = "'" + s + "': unclosed [";
            return false;
        }
        d.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') {
                error = "'" + s + "': expected :PORT after ]";
                return false;
            }
            port_text = rest.substr(close + 2);
        }
    } else if (auto colon = rest.find(':'); colon != std::string::npos) {
        d.host = rest.substr(0, colon);
        port_text = rest.substr(colon + 1);
    } else {
        d.host = rest;
    }
    auto number = [&](const std::string& t, long lo, long hi, long& out, const char* what) {
        try {
            std::size_t used = 0;
            out = std::stol(t, &used, 10);
            if (used == t.size() && out >= lo && out <= hi) return true;
        } catch (const std::exception&) {
        }
        error = fmt::format("'{}': {} '{}' is not {}..{}", s, what, t, lo, hi);
        return false;
    };
    long v = 502;
    if (!port_text.empty() && !number(port_text, 1, 65535, v, "port")) return false;
    d.port = static_cast<std::uint16_t>(v);
    v = 1;
    if (!unit_text.empty() && !number(unit_text, 0, 255, v, "unit id")) return false;
    d.unit = static_cast<std::uint8_t>(v);
    if (d.host.empty()) {
        error = "'" + s + "': no host";
        return false;
    }
    d.id = modbus_id(d.host, d.port, d.unit);
    return true;
}

std::vector<Json> plan_records(const ModbusDevice& d, const std::string& site) {
    std::vector<Json> out;
    for (const auto& r : plan_reads(d.map->metrics, limits_of(*d.map), {})) {
        Json rec = new_record("plan");
        if (!site.empty()) rec["site"] = site;
        rec["device"] = d.id;
        rec["profile"] = d.map->name;
        rec["unit_id"] = d.unit;
        rec["table"] = std::string(table_name(r.range.table));
        rec["function"] = read_function(r.range.table);
        rec["address"] = r.range.start;
        rec["count"] = r.range.count;
        Json fields = Json::array();
        for (auto i : r.fields)
            fields.push_back(d.map->metrics[i].metric);
        rec["fields"] = fields;
        out.push_back(std::move(rec));
    }
    return out;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

// A unit that failed this many rounds in a row (timeout, gateway exception, connection)
// sits out 1, 2, 4 ... up to 32 rounds before it is tried again.
constexpr int breaker_threshold = 2;
constexpr int breaker_max_skip = 32;

struct Unit {
    ModbusDevice dev;
    PlanMemory memory;
    std::unique_ptr<asio::steady_timer> timer;
    std::uint64_t rounds_started = 0;
    bool busy = false, done = false;
    int failures = 0, skip_rounds = 0;
};

struct Round {
    Unit* unit = nullptr;
    std::shared_ptr<bool> dead = std::make_shared<bool>(false);
    int outstanding = 0;
    std::map<std::size_t, std::vector<std::uint16_t>> regs;
    std::map<std::size_t, std::uint8_t> bits;
    std::vector<Json> field_errors;
    std::string first_code, first_error;
    bool any_answer = false, unit_failed = false;
};

}  // namespace

struct ModbusPoller::Impl {
    Impl(const PollOptions& o, RecordWriter& out, TextRounds& text)
        : opts(o),
          out(out),
          text(text),
          work(asio::make_work_guard(io)),
          client(io, {.timeout = std::chrono::milliseconds(o.timeout_ms),
                      .concurrency = std::max<std::size_t>(1, o.concurrency)}),
          tick(io) {}

    const PollOptions& opts;
    RecordWriter& out;
    TextRounds& text;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    Client client;
    asio::steady_timer tick;
    std::thread thread;
    std::exception_ptr thrown;
    std::vector<std::unique_ptr<Unit>> units;
    std::mt19937_64 rng{std::random_device{}()};
    bool input_open = true, stopping = false, started = false;
    std::atomic<std::uint64_t> failed{0};
    std::uint64_t readings = 0, polls = 0, skipped = 0, overruns = 0;
    const std::uint64_t round_target = opts.interval > 0 ? opts.rounds : 1;

    void run() {
        arm_tick();
        try {
            io.run();
        } catch (...) {
            thrown = std::current_exception();
        }
        spdlog::info(
            "modbus: {} unit(s), {} poll(s), {} reading(s), {} failed, {} skipped by "
            "the circuit breaker, {} overrun(s); {} request(s), {} timeout(s), {} "
            "mismatched answer(s) dropped",
            units.size(), polls, readings, failed.load(), skipped, overruns,
            client.stats().requests, client.stats().timeouts, client.stats().mismatched);
    }

    void arm_tick() {
        tick.expires_after(std::chrono::milliseconds(200));
        tick.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            if (interrupted()) return stop();
            arm_tick();
        });
    }

    void stop() {
        if (stopping) return;
        stopping = true;
        tick.cancel();
        for (auto& u : units)
            if (u->timer) u->timer->cancel();
        client.shutdown();
        work.reset();
        io.stop();
    }

    void maybe_done() {
        if (input_open) return;
        for (auto& u : units)
            if (u->busy || !u->done) return;
        stop();
    }

    void add(ModbusDevice d) {
        auto u = std::make_unique<Unit>();
        u->dev = std::move(d);
        u->timer = std::make_unique<asio::steady_timer>(io);
        double spread = opts.interval > 0 ? opts.interval * std::clamp(opts.jitter, 0.0, 1.0) : 0;
        double off = spread > 0 ? std::uniform_real_distribution<double>(0, spread)(rng) : 0.0;
        Unit* p = u.get();
        units.push_back(std::move(u));
        p->timer->expires_after(
            std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(off)));
        p->timer->async_wait([this, p](const boost::system::error_code& ec) {
            if (!ec) due(*p);
        });
    }

    void due(Unit& u) {
        if (stopping) return;
        ++u.rounds_started;
        bool more = round_target == 0 || u.rounds_started < round_target;
        if (more) {
            u.timer->expires_at(u.timer->expiry() +
                                std::chrono::duration_cast<SteadyClock::duration>(
                                    std::chrono::duration<double>(opts.interval)));
            u.timer->async_wait([this, p = &u](const boost::system::error_code& ec) {
                if (!ec) due(*p);
            });
        } else {
            u.done = true;
        }
        if (u.busy) {
            ++overruns;
            spdlog::warn("{}: still polling when the next round was due (overrun)", u.dev.id);
        } else if (u.skip_rounds > 0) {
            --u.skip_rounds;
            ++skipped;
            spdlog::info("{}: skipped this round after {} failed round(s) (circuit breaker)",
                         u.dev.id, u.failures);
        } else {
            start_round(u);
        }
        maybe_done();
    }

    void start_round(Unit& u) {
        u.busy = true;
        ++polls;
        text.begin();
        auto r = std::make_shared<Round>();
        r->unit = &u;
        auto plan = plan_reads(u.dev.map->metrics, limits_of(*u.dev.map), u.memory);
        spdlog::debug("{}: {} read(s) for {} metric(s) of {}", u.dev.id, plan.size(),
                      u.dev.map->metrics.size(), u.dev.map->name);
        for (auto& req : plan)
            submit(r, std::move(req));
        if (r->outstanding == 0) finish_round(r);
    }

    void submit(const std::shared_ptr<Round>& r, ReadRequest req) {
        ++r->outstanding;
        const ModbusDevice& d = r->unit->dev;
        auto pdu = read_pdu(req.range.table, req.range.start, req.range.count);
        client.submit(
            d.host, d.port, d.unit, std::move(pdu),
            [this, r, req = std::move(req)](const Result& res) { answered(r, req, res); }, r->dead);
    }

    void note(Round& r, const std::string& code, const std::string& msg) {
        if (r.first_code.empty()) {
            r.first_code = code;
            r.first_error = msg;
        }
    }

    void answered(const std::shared_ptr<Round>& r, const ReadRequest& req, const Result& res) {
        if (stopping) return;
        Unit& u = *r->unit;
        const auto& fields = u.dev.map->metrics;
        std::string where = fmt::format("modbus:{}:{} ({})", table_short(req.range.table),
                                        req.range.start, req.range.count);
        if (res.ok()) {
            r->any_answer = true;
            std::string err;
            if (is_bit_table(req.range.table)) {
                std::vector<std::uint8_t> bits;
                if (!decode_bits(res.response, req.range.count, bits, err)) {
                    note(*r, "protocol", where + ": " + err);
                } else {
                    for (auto i : req.fields)
                        r->bits[i] = bits[fields[i].address - req.range.start];
                }
            } else {
                std::vector<std::uint16_t> regs;
                if (!decode_registers(res.response, req.range.count, regs, err)) {
                    note(*r, "protocol", where + ": " + err);
                } else {
                    for (auto i : req.fields) {
                        auto at = regs.begin() + (fields[i].address - req.range.start);
                        r->regs[i].assign(at, at + fields[i].count);
                    }
                }
            }
        } else if (res.status == Result::Status::exception && res.response.exception_code == 2) {
            r->any_answer = true;
            if (on_illegal_address(req, u.memory)) {
                const Field& f = fields[req.fields.front()];
                Json e = make_error_record("dce-poll", u.dev.id, res.code(),
                                           fmt::format("{} at {}: {} (left out of later rounds)",
                                                       f.metric, f.source(), exception_name(2)));
                if (!opts.site.empty()) e["site"] = opts.site;
                r->field_errors.push_back(std::move(e));
            } else {
                spdlog::debug("{}: {} refused ({}); reading its fields in smaller requests",
                              u.dev.id, where, exception_name(2));
                for (auto& sub : plan_reads(fields, limits_of(*u.dev.map), u.memory, req.fields))
                    submit(r, std::move(sub));
            }
        } else if (res.status == Result::Status::cancelled) {
            // the rest of a failed unit's round
        } else {
            std::string msg = res.status == Result::Status::exception
                                  ? fmt::format("{}: {}", where, res.error)
                                  : res.error;
            note(*r, res.code(), msg);
            bool unit_down = res.status != Result::Status::exception ||
                             res.response.exception_code == 10 || res.response.exception_code == 11;
            if (unit_down) {
                // One timeout a round for a dead unit: drop the rest of its round.
                r->unit_failed = true;
                *r->dead = true;
            }
        }
        if (--r->outstanding == 0) finish_round(r);
    }

    void finish_round(const std::shared_ptr<Round>& r) {
        Unit& u = *r->unit;
        u.busy = false;
        const auto& fields = u.dev.map->metrics;
        std::vector<Reading> out_readings;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const Field& f = fields[i];
            Reading rd;
            rd.device = u.dev.id;
            rd.source = f.source();
            rd.unit = f.unit;
            for (const auto& [k, v] : f.labels)
                rd.labels[k] = v;
            if (auto b = r->bits.find(i); b != r->bits.end()) {
                rd.metric = f.metric;
                if (decode_bit(f.decoding, b->second != 0, rd.value, rd.raw))
                    out_readings.push_back(std::move(rd));
                continue;
            }
            auto it = r->regs.find(i);
            if (it == r->regs.end()) continue;
            if (!f.decoding.bits.empty()) {
                std::uint64_t word = ordered_bits(f.decoding.order, it->second);
                for (const auto& [bit, name] : f.decoding.bits) {
                    Reading b = rd;
                    b.metric = f.metric + "." + name;
                    b.value = static_cast<int>((word >> bit) & 1);
                    out_readings.push_back(std::move(b));
                }
                continue;
            }
            rd.metric = f.metric;
            if (decode_value(f.decoding, it->second, rd.value, rd.raw))
                out_readings.push_back(std::move(rd));
        }
        readings += out_readings.size();
        if (r->unit_failed) {
            ++u.failures;
            if (u.failures >= breaker_threshold)
                u.skip_rounds =
                    std::min(breaker_max_skip, 1 << std::min(u.failures - breaker_threshold, 5));
        } else {
            u.failures = 0;
        }
        std::string buf;
        if (!out_readings.empty() && opts.format == "json") {
            std::string ts = now_timestamp();
            for (const auto& rd : out_readings) {
                append_reading_json(buf, rd, ts, opts.site);
                buf += '\n';
            }
        }
        std::vector<Json> errors = std::move(r->field_errors);
        if (!r->first_code.empty()) {
            std::string msg = r->first_error;
            if (r->any_answer) msg = "partly polled: " + msg;
            Json e = make_error_record("dce-poll", u.dev.id, r->first_code, msg);
            if (!opts.site.empty()) e["site"] = opts.site;
            errors.push_back(std::move(e));
        }
        if (!errors.empty()) failed += 1;
        {
            std::lock_guard lock(output_mutex());
            if (!buf.empty()) {
                buf.pop_back();
                out.write_raw(buf);
            }
            for (const auto& e : errors) {
                if (opts.format == "json")
                    out.write(e);
                else
                    spdlog::error("{}: {}: {}", u.dev.id, e.value("code", ""),
                                  e.value("message", ""));
            }
        }
        text.end(std::move(out_readings));
        text.flush();  // the last poll of a round, on either engine, writes it
        maybe_done();
    }
};

ModbusPoller::ModbusPoller(const PollOptions& o, RecordWriter& out, TextRounds& text)
    : impl_(std::make_unique<Impl>(o, out, text)) {}

ModbusPoller::~ModbusPoller() {
    if (impl_->thread.joinable()) {
        asio::post(impl_->io, [i = impl_.get()] { i->stop(); });
        impl_->thread.join();
    }
}

void ModbusPoller::start() {
    if (impl_->thread.joinable()) return;
    impl_->started = true;
    impl_->thread = std::thread([i = impl_.get()] { i->run(); });
}

void ModbusPoller::add(ModbusDevice d) {
    start();
    asio::post(impl_->io, [i = impl_.get(), d = std::move(d)]() mutable { i->add(std::move(d)); });
}

void ModbusPoller::input_done() {
    asio::post(impl_->io, [i = impl_.get()] {
        i->input_open = false;
        i->maybe_done();
    });
}

bool ModbusPoller::started() const {
    return impl_->started;
}

int ModbusPoller::finish() {
    if (!impl_->thread.joinable()) return exit_ok;
    input_done();
    impl_->thread.join();
    if (impl_->thrown) std::rethrow_exception(impl_->thrown);
    return impl_->failed ? exit_runtime : exit_ok;
}

}  // namespace dce::poll
