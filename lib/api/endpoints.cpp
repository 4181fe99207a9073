// The data endpoints (endpoints.hpp).
#include "api/endpoints.hpp"

#include "core/record.hpp"

#include <charconv>
#include <set>

namespace dce::api {

// Unknown parameters are refused, not ignored: a misspelt filter must not quietly return
// everything.
std::optional<Response> check_params(const Request& req,
                                     std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : req.query) {
        bool ok = false;
        for (auto n : known)
            ok = ok || k == n;
        if (!ok) return problem(400, "Unknown parameter", "unknown query parameter: " + k);
    }
    return std::nullopt;
}

std::optional<Response> read_limit(const Request& req, const DataOptions& o, std::int64_t& limit) {
    limit = o.default_limit;
    auto all = req.params("limit");
    if (all.size() > 1) return problem(400, "Bad parameter", "limit given more than once");
    if (all.empty()) return std::nullopt;
    const std::string& s = all.front();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), limit);
    if (ec != std::errc{} || p != s.data() + s.size() || limit < 1 || limit > o.max_limit)
        return problem(400, "Bad parameter",
                       "limit must be an integer from 1 to " + std::to_string(o.max_limit));
    return std::nullopt;
}

bool wants_ndjson(const Request& req) {
    auto accept = req.header("accept");
    return accept && accept->find("application/x-ndjson") != std::string::npos;
}

namespace {

// Runs the query and answers {"data": [...]} or, for Accept: application/x-ndjson, one
// record per line.
Response answer(const Request& req, store::Db& db, const store::Query& q) {
    bool lines = wants_ndjson(req);
    std::string body = lines ? "" : "{\"data\":[";
    bool first = true;
    std::string error;
    bool ok = store::run_query(
        db, q,
        [&](const Json& rec) {
            if (lines) {
                body += rec.dump();
                body += '\n';
            } else {
                if (!first) body += ',';
                body += rec.dump();
            }
            first = false;
            return true;
        },
        error);
    if (!ok) return problem(500, {}, "store query failed");
    if (!lines) body += "]}";
    Response r;
    r.content_type = lines ? "application/x-ndjson" : "application/json";
    r.body = std::move(body);
    return r;
}

}  // namespace

std::optional<std::string> site_for(const Request& req, const Principal& who,
                                    std::optional<Response>& error) {
    auto asked = req.params("site");
    if (asked.size() > 1) {
        error = problem(400, "Bad parameter", "site given more than once");
        return std::nullopt;
    }
    if (who.site) {
        if (!asked.empty() && asked.front() != *who.site)
            error = problem(403, {}, "this client may read only its own site");
        return who.site;
    }
    if (!asked.empty()) return asked.front();
    return std::nullopt;
}

void add_data_routes(Router& router, store::Db& db, DataOptions options) {
    router.add({"GET", "/api/v1/devices", "read:inventory",
                [&db, options](const Request& req, const Principal& who) {
                    if (auto bad = check_params(req, {"site", "limit"})) return *bad;
                    store::Query q;
                    q.kind = store::Kind::device;
                    std::optional<Response> refused;
                    q.site = site_for(req, who, refused);
                    if (refused) return *refused;
                    if (auto bad = read_limit(req, options, q.limit)) return *bad;
                    return answer(req, db, q);
                },
                "The inventory: one device record per device"});
    router.add({"GET", "/api/v1/readings/latest", "read:readings",
                [&db, options](const Request& req, const Principal& who) {
                    if (auto bad = check_params(req, {"site", "limit", "device", "metric"}))
                        return *bad;
                    store::Query q;
                    q.kind = store::Kind::reading;
                    q.last = true;
                    std::optional<Response> refused;
                    q.site = site_for(req, who, refused);
                    if (refused) return *refused;
                    if (auto bad = read_limit(req, options, q.limit)) return *bad;
                    q.devices = req.params("device");
                    q.metrics = req.params("metric");
                    return answer(req, db, q);
                },
                "The newest reading of every series (device, metric, labels)"});
}

}  // namespace dce::api
