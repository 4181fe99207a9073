#pragma once
// Query parameters shared by the API's endpoints (docs/API.md "Parameters"): times,
// durations, label selectors, enumerations and parameters that may appear once. Each
// parser has a plain form (value or nullopt with a reason, for callers that answer in
// another error shape, e.g. Prometheus's envelope) and a request form that answers a
// 400 problem (RFC 9457) naming the parameter.

#include "api/http.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dce::api {

/// Bounds of times the API accepts: 1970-01-01 .. 9999-12-31 (ms since the epoch).
inline constexpr std::int64_t min_time_ms = 0;
inline constexpr std::int64_t max_time_ms = 253402300799999;
/// Longest duration: 100 years (ms).
inline constexpr std::int64_t max_duration_ms = 100LL * 366 * 86400000;

/// RFC 3339 (`2026-11-30T08:00:00Z`, `...+01:00`, optional fraction) or Unix seconds with
/// an optional fraction (`1796025600`, `1796025600.25`, Prometheus style), to ms since the
/// epoch (sub-millisecond digits are dropped). nullopt with `why` when malformed or out of
/// range.
std::optional<std::int64_t> parse_time_ms(std::string_view text, std::string& why);

/// Prometheus-style durations: a number with a unit, `ms`, `s`, `m`, `h`, `d`, `w`, `y`,
/// possibly several from the largest down (`1h30m`), or plain seconds possibly fractional
/// (`60`, `0.5`). At least 1 ms, at most max_duration_ms. nullopt with `why` otherwise.
std::optional<std::int64_t> parse_duration_ms(std::string_view text, std::string& why);

/// A label selector `key=value` (split at the first `=`; the key must not be empty, the
/// value may be).
std::optional<std::pair<std::string, std::string>> parse_label(std::string_view text,
                                                               std::string& why);

// ---- request forms: each returns a 400 problem when the parameter is bad --------------

/// The parameter's value when given once; a 400 when given more than once.
std::optional<Response> single_param(const Request& req, std::string_view name,
                                     std::optional<std::string>& out);
std::optional<Response> time_param(const Request& req, std::string_view name,
                                   std::optional<std::int64_t>& out);
std::optional<Response> duration_param(const Request& req, std::string_view name,
                                       std::optional<std::int64_t>& out);
/// Every value of a repeatable `key=value` parameter.
std::optional<Response> label_params(const Request& req, std::string_view name,
                                     std::vector<std::pair<std::string, std::string>>& out);
/// One of `allowed`, given at most once.
std::optional<Response> enum_param(const Request& req, std::string_view name,
                                   std::initializer_list<std::string_view> allowed,
                                   std::optional<std::string>& out);

}  // namespace dce::api
