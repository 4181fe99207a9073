#pragma once
// dce-poll's Modbus side: polls `transport: modbus` devices (and modbus://HOST:PORT/UNIT
// targets) by their register map, on its own thread and io_context beside the SNMP
// engine, writing readings and error records through the same output.

#include "core/jsonl.hpp"
#include "modbus/map.hpp"
#include "modbus/plan.hpp"
#include "poll/poll.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dce::poll {

/// Held around every write to stdout while the Modbus thread runs, so records of the
/// two engines never interleave inside a line.
std::mutex& output_mutex();

struct ModbusDevice {
    std::string id, host;
    std::uint16_t port = 502;
    std::uint8_t unit = 1;
    const modbus::RegisterMap* map = nullptr;
};

/// "modbus://HOST[:PORT][/UNIT]" (HOST may be [v6]); port 502 and unit 1 by default.
bool parse_modbus_target(const std::string& s, ModbusDevice& d, std::string& error);
/// The id a device record would carry: modbus://HOST:PORT/UNIT.
std::string modbus_id(const std::string& host, std::uint16_t port, std::uint8_t unit);

/// The planned reads of `d` as `plan` records (dce-poll --plan).
std::vector<Json> plan_records(const ModbusDevice& d, const std::string& site);

class ModbusPoller {
  public:
    /// Readings of --format openmetrics/influx go to `text`, shared with the SNMP side.
    ModbusPoller(const PollOptions& o, RecordWriter& out, TextRounds& text);
    ~ModbusPoller();
    ModbusPoller(const ModbusPoller&) = delete;
    ModbusPoller& operator=(const ModbusPoller&) = delete;

    /// Starts the thread (once, at the first device or at start()).
    void start();
    /// Thread-safe: polls `d` from now on.
    void add(ModbusDevice d);
    /// Thread-safe: no more devices will come; the thread ends after their last round.
    void input_done();
    /// Whether it ever had a device (its thread ran, and logs the Modbus summary line).
    bool started() const;
    /// Waits for the thread; the exit code of the Modbus side (exit_ok, exit_runtime).
    /// Rethrows what the thread threw (a closed stdout).
    int finish();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace dce::poll
