#pragma once
// The data endpoints under /api/v1 (docs/API.md), answered from lib/store's query layer.
// Site isolation lives in one function here (site_for): a client bound to a site gets
// that site in every store::Query, whatever the request's parameters say.

#include "api/router.hpp"
#include "store/store.hpp"

#include <optional>

namespace dce::api {

struct DataOptions {
    std::int64_t default_limit = 1000;
    std::int64_t max_limit = 10000;
    /// GET /api/v1/readings without `since`: this long before `until` (or now).
    std::int64_t default_range_ms = 3600000;
    /// GET /api/v1/readings with `every`: at most this many buckets per series in the
    /// range, so one request cannot ask for millions.
    std::int64_t max_buckets = 11000;
};

/// The site a query of `who` may read, from the principal and the request's `site`
/// parameter: a bound client gets its own site (a `site` naming another is refused
/// with 403), an unbound one the parameter's site or every site. Sets `error` to a
/// response when refused.
std::optional<std::string> site_for(const Request& req, const Principal& who,
                                    std::optional<Response>& error);

/// 400 when the request has a query parameter not in `known`.
std::optional<Response> check_params(const Request& req,
                                     const std::vector<std::string_view>& known);
/// `limit`: 1..max_limit, default_limit when absent; 400 otherwise.
std::optional<Response> read_limit(const Request& req, const DataOptions& o, std::int64_t& limit);
/// True for Accept: application/x-ndjson (one record per line).
bool wants_ndjson(const Request& req);

/// GET /api/v1/devices (read:inventory), /api/v1/readings/latest and /api/v1/readings
/// (read:readings), /api/v1/events (read:events), /api/v1/findings (read:findings); all
/// with keyset cursors (`cursor`, `next`, Link rel="next").
void add_data_routes(Router& router, store::Db& db, DataOptions options = {});

}  // namespace dce::api
