#pragma once
// dce-poll's logic: read `device` records (or targets), poll every metric of each
// device's profile through the async SNMP engine, write `reading` records (or
// OpenMetrics / InfluxDB line protocol), once or every --interval.

#include "core/context.hpp"
#include "core/metrics.hpp"
#include "core/record.hpp"
#include "snmp/profile.hpp"
#include "snmp/snmp.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dce::poll {

struct PollOptions {
    std::vector<std::string> targets;  ///< empty: read device records on stdin
    std::string profile;         ///< for targets (device records name their own); "a,b" for several
    bool list_profiles = false;  ///< print the profiles as `profile` records and exit
    std::string credential;      ///< credentials entry for targets
    std::string snmp_version;    ///< "", v1, v2c, v3 (v1/v2c only when asked)
    std::vector<std::string> profile_dirs;
    std::string format = "json";  ///< json, openmetrics, influx
    bool forward = true;
    double interval = 0;       ///< seconds; 0 = once
    double jitter = 0.1;       ///< fraction of the interval each device is spread over
    std::uint64_t rounds = 0;  ///< with --interval: stop after N rounds (0 = until signalled)
    double rate = 500;
    std::size_t concurrency = 128;
    int timeout_ms = 2000;
    int retries = 1;
    int max_repetitions = 25;
    std::uint64_t max_targets = 65536;
    std::string site;
    std::string metrics_file;  ///< --metrics-file: own counters, each round and at exit
    bool plan = false;  ///< Modbus: print the planned requests (`plan` records), send nothing
    std::string shard;  ///< "K/N" (poll/shard.hpp); empty: every device
};

/// The whole tool; returns the exit code. Device records come from ctx's input, records
/// go to ctx.out(), logs to stderr. A bad input line is skipped, counted and makes the
/// exit status 3 (some input failed), as in every tool.
int run_poll(ToolContext& ctx, const PollOptions& opts);

// ---- pieces, public for tests ---------------------------------------------------------

struct Reading {
    std::string device, metric, unit, source, snmp_type;
    Json value;  ///< number or state string
    Json raw;    ///< the raw integer when `value` is a state, else null
    Json labels = Json::object();
};

/// Turns one raw value into a reading's value by the metric's rules (scale, TimeTicks
/// to seconds, states, invalid). False when the value means "no reading".
bool convert_value(const snmp::MetricDef& m, double scale, const snmp::Value& v, Json& value,
                   Json& raw);

Json to_record(const Reading& r, const std::string& site);
/// Appends to_record(r, site).dump() with `ts` (faster: no Json tree).
void append_reading_json(std::string& out, const Reading& r, const std::string& ts,
                         const std::string& site);

/// OpenMetrics text: families grouped, # TYPE/# HELP/# UNIT-free names, escaping, # EOF.
std::string to_openmetrics(const std::vector<Reading>& readings);
/// InfluxDB line protocol, one line per reading, timestamp in ns.
std::string to_influx(const std::vector<Reading>& readings, std::int64_t ts_ns);

std::string openmetrics_name(const std::string& metric);

/// --format openmetrics/influx: the readings of both engines (SNMP and Modbus) gathered
/// and written to stdout as ONE exposition per round (OpenMetrics allows one # EOF).
/// Thread-safe: the Modbus thread and the SNMP loop both report here.
class TextRounds {
  public:
    explicit TextRounds(const PollOptions& o) : format_(o.format), once_(o.interval <= 0) {}
    /// A device poll started (either engine).
    void begin();
    /// A device poll ended with these readings.
    void end(std::vector<Reading> readings);
    /// Writes what is pending as one exposition when no device poll runs on either
    /// engine. A one-shot run writes only at the final flush (the end of the run), so
    /// devices still arriving on stdin or on the other engine join the same exposition.
    void flush(bool final = false);

  private:
    const std::string format_;
    const bool once_;
    std::mutex mutex_;
    std::size_t running_ = 0;
    std::vector<Reading> pending_;
};
using metrics::escape_label_value;  // one escaping for readings and the tools' own metrics

}  // namespace dce::poll
