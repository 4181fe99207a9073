#include "discover/modbus_sweep.hpp"

#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "modbus/client.hpp"
#include "modbus/map.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace dce::discover {

namespace asio = boost::asio;
using namespace dce::modbus;

bool parse_unit_ids(const std::string& text, std::vector<std::uint8_t>& ids, std::string& error) {
    ids.clear();
    std::set<int> seen;
    std::size_t pos = 0;
    auto number = [&](const std::string& t, int& v) {
        try {
            std::size_t used = 0;
            v = std::stoi(t, &used, 10);
            return used == t.size() && v >= 0 && v <= 255;
        } catch (const std::exception&) {
            return false;
        }
    };
    while (pos <= text.size()) {
        auto comma = text.find(',', pos);
        std::string part =
            text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        int lo = 0, hi = 0;
        auto dash = part.find('-');
        bool ok = dash == std::string::npos ? number(part, lo) && (hi = lo, true)
                                            : number(part.substr(0, dash), lo) &&
                                                  number(part.substr(dash + 1), hi) && lo <= hi;
        if (!ok) {
            error = fmt::format("--unit-ids: '{}' is not a unit id 0..255 or a range LO-HI", part);
            return false;
        }
        for (int u = lo; u <= hi; ++u)
            if (seen.insert(u).second) ids.push_back(static_cast<std::uint8_t>(u));
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return !ids.empty();
}

namespace {

// What one unit said about itself.
struct UnitFacts {
    std::map<std::uint8_t, std::string> objects;   // device identification objects
    std::string server_id;                         // Report Server ID bytes, printable
    std::map<std::string, std::string> registers;  // identity registers read
    bool answered = false;
};

struct TargetProbe {
    Target target;
    std::string host;
    std::uint16_t port = 502;
    std::size_t unit_index = 0;
    UnitFacts facts;
    std::set<std::string> seen;  // identities already written for this target
    bool any = false;
    std::string last_code, last_error;
    int device_id_rounds = 0;
    std::uint8_t read_code = 2;
};

std::string printable(const std::vector<std::uint8_t>& b) {
    std::string s;
    for (auto c : b)
        if (c >= 0x20 && c < 0x7F) s += static_cast<char>(c);
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

class ModbusSweep {
  public:
    ModbusSweep(const DiscoverOptions& o, RecordWriter& out, DiscoverSummary& sum,
                const MapSet& maps)
        : opts_(o),
          out_(out),
          sum_(sum),
          maps_(maps),
          client_(io_, {.timeout = std::chrono::milliseconds(o.timeout_ms),
                        .concurrency = std::max<std::size_t>(1, o.concurrency)}),
          tick_(io_) {}

    int run(TargetList& targets) {
        targets_ = &targets;
        started_ = std::chrono::steady_clock::now();
        more_ = targets.next(next_);
        feed();
        arm_tick();
        io_.run();
        return interrupted() ? exit_interrupted : exit_ok;
    }

  private:
    void arm_tick() {
        tick_.expires_after(std::chrono::milliseconds(20));
        tick_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            if (interrupted()) {
                client_.shutdown();
                io_.stop();
                return;
            }
            feed();
            if (!more_ && in_flight_ == 0) return;
            arm_tick();
        });
    }

    // Starts targets within --concurrency and --rate.
    void feed() {
        double allowed = opts_.rate > 0
                             ? opts_.rate * std::chrono::duration<double>(
                                                std::chrono::steady_clock::now() - started_)
                                                .count() +
                                   1
                             : 1e18;
        while (more_ && in_flight_ < opts_.concurrency &&
               static_cast<double>(started_n_) < allowed) {
            auto p = std::make_shared<TargetProbe>();
            p->target = next_;
            p->host = next_.host;
            p->port = opts_.modbus_port;
            ++started_n_;
            ++in_flight_;
            ++sum_.probed;
            start_unit(p);
            more_ = targets_->next(next_);
        }
    }

    std::uint8_t unit(const TargetProbe& p) const { return opts_.unit_ids[p.unit_index]; }

    void start_unit(const std::shared_ptr<TargetProbe>& p) {
        p->facts = {};
        p->device_id_rounds = 0;
        p->read_code = 2;
        ask_device_id(p, 0);
    }

    void send(const std::shared_ptr<TargetProbe>& p, std::vector<std::uint8_t> pdu,
              std::function<void(const Result&)> cb) {
        client_.submit(p->host, p->port, unit(*p), std::move(pdu), std::move(cb));
    }

    void ask_device_id(const std::shared_ptr<TargetProbe>& p, std::uint8_t object) {
        send(p, device_id_pdu(p->read_code, object), [this, p](const Result& r) {
            if (stopping(r)) return;
            if (gateway_down(p, r)) return;
            DeviceId d;
            std::string err;
            if (r.ok() && decode_device_id(r.response, d, err)) {
                p->facts.answered = true;
                for (auto& [id, v] : d.objects)
                    p->facts.objects[id] = v;
                // "More follows": ask again from the next object (a few rounds at most).
                if (d.more && ++p->device_id_rounds < 8 && d.next_object != 0)
                    return ask_device_id(p, d.next_object);
                return identified(p);
            }
            if (r.status == Result::Status::exception) p->facts.answered = true;
            if (r.status == Result::Status::exception && p->read_code == 2 &&
                p->facts.objects.empty()) {
                // Some servers know only the basic category.
                p->read_code = 1;
                return ask_device_id(p, 0);
            }
            if (!p->facts.objects.empty()) return identified(p);
            if (r.status == Result::Status::timeout) return next_unit(p);
            ask_server_id(p);
        });
    }

    void ask_server_id(const std::shared_ptr<TargetProbe>& p) {
        send(p, report_server_id_pdu(), [this, p](const Result& r) {
            if (stopping(r)) return;
            if (gateway_down(p, r)) return;
            ServerId s;
            std::string err;
            if (r.ok() && decode_report_server_id(r.response, s, err)) {
                p->facts.answered = true;
                p->facts.server_id = printable(s.bytes);
            } else if (r.status == Result::Status::exception) {
                // exceptions 10/11: the gateway has no such unit
                if (r.response.exception_code != 10 && r.response.exception_code != 11)
                    p->facts.answered = true;
            }
            if (p->facts.answered) return identified(p);
            next_unit(p);
        });
    }

    const RegisterMap* pick_map(const UnitFacts& f) const {
        auto obj = [&](std::uint8_t id) {
            auto it = f.objects.find(id);
            return it == f.objects.end() ? std::string{} : it->second;
        };
        std::string vendor = obj(0);
        for (const std::string& product : {obj(1), obj(5), obj(4), f.server_id})
            if (!product.empty())
                if (const RegisterMap* m = maps_.match(vendor, product)) return m;
        return nullptr;
    }

    void identified(const std::shared_ptr<TargetProbe>& p) {
        const RegisterMap* m = pick_map(p->facts);
        if (!m || m->identity.empty()) return emit(p, m);
        auto left = std::make_shared<std::size_t>(m->identity.size());
        for (const auto& [name, f] : m->identity) {
            send(p, read_pdu(f.table, f.address, f.count),
                 [this, p, m, left, name = name, f = f](const Result& r) {
                     if (stopping(r)) return;
                     std::vector<std::uint16_t> regs;
                     std::string err;
                     Json v, raw;
                     if (r.ok() && decode_registers(r.response, f.count, regs, err) &&
                         decode_value(f.decoding, regs, v, raw) && v.is_string())
                         p->facts.registers[name] = v.get<std::string>();
                     else
                         spdlog::debug("{}:{}/{}: identity register {} at {}: {}", p->host, p->port,
                                       unit(*p), name, f.source(), r.ok() ? err : r.error);
                     if (--*left == 0) emit(p, m);
                 });
        }
    }

    void emit(const std::shared_ptr<TargetProbe>& p, const RegisterMap* m) {
        const UnitFacts& f = p->facts;
        auto obj = [&](std::uint8_t id) {
            auto it = f.objects.find(id);
            return it == f.objects.end() ? std::string{} : it->second;
        };
        auto reg = [&](const char* n) {
            auto it = f.registers.find(n);
            return it == f.registers.end() ? std::string{} : it->second;
        };
        std::string vendor = m && !m->vendor.empty() ? m->vendor : obj(0);
        std::string model = reg("model");
        for (const std::string& alt : {obj(5), obj(4), obj(1)})
            if (model.empty()) model = alt;
        std::string serial = reg("serial");
        std::string firmware = reg("firmware");
        if (firmware.empty()) firmware = obj(2);
        // A server that answers every unit id alike (no gateway behind it) is one device.
        std::string key =
            fmt::format("{}|{}|{}|{}|{}|{}", obj(0), obj(1), model, serial, firmware, f.server_id);
        if (!p->seen.insert(key).second) {
            spdlog::debug("{}:{}/{}: same identity as an earlier unit id; not a second device",
                          p->host, p->port, unit(*p));
            return next_unit(p);
        }
        Json r = new_record("device");
        r["id"] = device_id(p->host, p->port, unit(*p));
        r["target"] = p->host;
        r["transport"] = "modbus";
        r["port"] = p->port;
        r["modbus"] = Json{{"unit_id", unit(*p)}};
        r["insecure"] = true;  // Modbus TCP has no authentication
        if (!vendor.empty()) r["vendor"] = vendor;
        if (!model.empty()) r["model"] = model;
        if (!serial.empty()) r["serial"] = serial;
        if (!firmware.empty()) r["firmware"] = firmware;
        if (m) {
            if (!m->device_class.empty()) r["class"] = m->device_class;
            r["profile"] = m->name;
            r["profiles"] = Json::array(
                {Json{{"name", m->name},
                      {"reason", fmt::format("device identification vendor '{}', product '{}' "
                                             "match the register map",
                                             obj(0), obj(1).empty() ? model : obj(1))}}});
        } else {
            r["class"] = "unknown";
        }
        out_.write(r);
        ++sum_.devices;
        ++sum_.identified;
        p->any = true;
        next_unit(p);
    }

    // Connection refused, or no TCP connection at all: no unit of this target will answer.
    bool gateway_down(const std::shared_ptr<TargetProbe>& p, const Result& r) {
        if (r.status == Result::Status::refused || r.status == Result::Status::connection ||
            (r.status == Result::Status::timeout && r.error.find("no TCP connection") == 0)) {
            p->last_code = r.code();
            p->last_error = r.error;
            done(p);
            return true;
        }
        if (!r.ok() && r.status != Result::Status::exception) {
            p->last_code = r.code();
            p->last_error = r.error;
        }
        return false;
    }

    bool stopping(const Result& r) const {
        return r.status == Result::Status::cancelled || interrupted();
    }

    void next_unit(const std::shared_ptr<TargetProbe>& p) {
        if (++p->unit_index < opts_.unit_ids.size()) return start_unit(p);
        done(p);
    }

    void done(const std::shared_ptr<TargetProbe>& p) {
        if (p->any) {
            ++sum_.answered;
        } else if (opts_.report_unreachable) {
            Json e = make_error_record(
                "dce-discover", fmt::format("modbus://{}:{}", p->host, p->port),
                p->last_code.empty() ? "no-answer" : p->last_code,
                p->last_error.empty() ? "no Modbus unit answered" : p->last_error);
            out_.write(e);
            ++sum_.errors;
        }
        --in_flight_;
        feed();
    }

    const DiscoverOptions& opts_;
    RecordWriter& out_;
    DiscoverSummary& sum_;
    const MapSet& maps_;
    asio::io_context io_;
    Client client_;
    asio::steady_timer tick_;
    TargetList* targets_ = nullptr;
    Target next_;
    bool more_ = false;
    std::size_t in_flight_ = 0;
    std::uint64_t started_n_ = 0;
    std::chrono::steady_clock::time_point started_;
};

}  // namespace

int run_modbus_sweep(const DiscoverOptions& opts, TargetList& targets, RecordWriter& out,
                     DiscoverSummary& summary) {
    if (opts.unit_ids.empty()) {
        spdlog::error("--unit-ids: no unit id");
        return exit_usage;
    }
    std::vector<std::string> errors;
    MapSet maps = load_maps(opts.profile_dirs, errors);
    for (const auto& e : errors)
        spdlog::error("register map {}", e);
    if (!errors.empty()) return exit_usage;
    ModbusSweep sweep(opts, out, summary, maps);
    int rc = sweep.run(targets);
    out.flush();
    return rc;
}

}  // namespace dce::discover
