#pragma once
// A Prometheus-compatible subset of the HTTP API (docs/API.md, "Prometheus subset"), so
// Grafana's built-in Prometheus data source and `promtool query` read the store as they
// would read a Prometheus server. PromQL is limited to series selectors
// (`metric{label="v",label!="v",label=~"re",label!~"re"}`): no functions, operators,
// range vectors or modifiers; the one exception is arithmetic on number literals
// (`1+1`), which is what Grafana's "Save & test" sends.
//
// Names: a stored metric `ups.battery.charge` is `dce_ups_battery_charge`, as
// `dce-poll --format prometheus` names its family. Labels: `device`, `site` (when set),
// the reading's own labels. Evaluation: at each step the newest sample at or before the
// step time and no older than the lookback (5 minutes, as Prometheus).

#include "api/router.hpp"
#include "core/jsonl.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace dce::api::prom {

/// A series' labels, sorted by name, `__name__` among them.
using LabelSet = std::map<std::string, std::string>;

enum class MatchOp { eq, ne, re, nre };

struct Matcher {
    std::string name;
    MatchOp op = MatchOp::eq;
    std::string value;
    /// Compiled, fully anchored (as Prometheus anchors its regular expressions).
    std::shared_ptr<const re2::RE2> re;
    /// True when `value` (the label's value; "" when the series lacks the label) matches.
    bool matches(std::string_view v) const;
};

struct Selector {
    std::vector<Matcher> matchers;  ///< the metric name is a `__name__` matcher
    bool matches(const LabelSet& labels) const;
};

/// Limits on what a request may make the parser do.
inline constexpr std::size_t max_query_bytes = 16384;
inline constexpr std::size_t max_matchers = 64;
inline constexpr std::size_t max_regex_bytes = 1024;
/// Memory RE2 may use for one compiled regular expression.
inline constexpr std::int64_t max_regex_program_bytes = 1 << 20;

/// Parses a series selector. False with a message for anything else (functions,
/// operators, range vectors, modifiers), bad escapes, bad regular expressions, or a
/// selector whose every matcher matches the empty string (Prometheus refuses those too).
bool parse_selector(std::string_view text, Selector& out, std::string& error);

/// Evaluates number-literal arithmetic (`1+1`, `-(2*3.5)/7`): nullopt when `text` is
/// not such an expression (then it is parsed as a selector).
std::optional<double> parse_scalar(std::string_view text);

/// The Prometheus name of a stored metric: "dce_" + metrics::sanitize_name(metric).
std::string metric_name(std::string_view stored_metric);

/// The Prometheus labels of a stored reading record (site, device, metric, labels):
/// `__name__`, `device`, `site` when set, then the reading's labels with names made
/// valid as dce-poll makes them; a reading label whose name is taken (`__name__`,
/// `device`, `site`, `dce_metric`, or another label after sanitizing) is renamed
/// `exported_NAME`, as Prometheus renames clashing scraped labels. A state reading
/// (text value with a numeric `raw`) gets `state`, as in dce-poll's exposition.
LabelSet labels_of(const Json& reading);
/// The sample value of a reading: numbers as they are, booleans 1/0, a state's `raw`.
std::optional<double> value_of(const Json& reading);

struct Sample {
    std::int64_t ts = 0;  ///< ms since the epoch
    double value = 0;
};
struct Series {
    LabelSet labels;
    std::vector<Sample> points;
};

struct EvalOptions {
    std::int64_t lookback_ms = 5 * 60 * 1000;
    /// Prometheus refuses more than 11,000 steps per series.
    std::int64_t max_steps = 11000;
    /// All series' points together; more is an `execution` error (422).
    std::int64_t max_points = 1000000;
};

/// What went wrong, in Prometheus's terms: errorType and HTTP status.
struct EvalError {
    std::string type = "bad_data";
    int status = 400;
    std::string message;
};

/// Refuses end < start, step <= 0 and more than max_steps steps, as Prometheus does.
bool check_range(std::int64_t start, std::int64_t end, std::int64_t step, const EvalOptions& o,
                 EvalError& error);

/// Evaluates `sel` at start, start+step, ... <= end (ms) over the readings of `site`
/// (nullopt: every site). Series without any point are left out; the rest are sorted
/// by labels. Stored metrics whose names and labels map to the same Prometheus series
/// are told apart with a `dce_metric` label holding the stored name.
bool evaluate(store::Db& db, const std::optional<std::string>& site, const Selector& sel,
              std::int64_t start, std::int64_t end, std::int64_t step, const EvalOptions& o,
              std::vector<Series>& out, EvalError& error);

/// The label sets of the series of `site` that `sel` matches, with samples in
/// [since, until) when given (sorted, `dce_metric` added as evaluate() adds it).
bool find_series(store::Db& db, const std::optional<std::string>& site, const Selector* sel,
                 std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                 std::vector<LabelSet>& out, std::string& error);

/// Prometheus API times: Unix seconds with an optional fraction, or RFC 3339. ms.
std::optional<std::int64_t> parse_time(std::string_view text);
/// Prometheus API durations: `30s`, `5m`, `1h`, `1d`, or seconds (`60`, `0.5`). ms.
std::optional<std::int64_t> parse_step(std::string_view text);
/// A sample value as Prometheus writes it ("NaN", "+Inf", no exponent).
std::string format_value(double v);
/// A timestamp as Prometheus writes it: seconds, with up to 3 decimals.
std::string format_time(std::int64_t ms);

}  // namespace dce::api::prom

namespace dce::api {

/// GET/POST /api/v1/query and /api/v1/query_range, GET/POST /api/v1/series, GET
/// /api/v1/labels, /api/v1/label/__name__/values and /api/v1/status/buildinfo (all
/// read:readings; the site always from site_for).
void add_prometheus_routes(Router& router, store::Db& db, prom::EvalOptions options = {});

}  // namespace dce::api
