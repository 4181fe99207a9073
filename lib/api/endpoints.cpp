// The data endpoints (endpoints.hpp).
#include "api/endpoints.hpp"

#include "api/params.hpp"
#include "core/record.hpp"
#include "crypto/secrets.hpp"

#include <charconv>
#include <chrono>
#include <limits>
#include <set>

namespace dce::api {

// Unknown parameters are refused, not ignored: a misspelt filter must not quietly return
// everything.
std::optional<Response> check_params(const Request& req,
                                     const std::vector<std::string_view>& known) {
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

// ---- cursors: base64url of the JSON array of the last record's key (store::RowKey) ----

std::string encode_cursor(const store::RowKey& key) {
    Json a = Json::array();
    for (const auto& v : key) {
        if (auto* n = std::get_if<std::int64_t>(&v))
            a.push_back(*n);
        else
            a.push_back(std::get<std::string>(v));
    }
    return crypto::base64url(a.dump());
}

// The `cursor` parameter into q.after: a 400 unless it decodes to a key of the query's
// shape. The key only positions the page; every filter (the site above all) still holds.
std::optional<Response> read_cursor(const Request& req, store::Query& q) {
    std::optional<std::string> text;
    if (auto bad = single_param(req, "cursor", text)) return bad;
    if (!text) return std::nullopt;
    auto refuse = [] {
        return problem(400, "Bad cursor",
                       "cursor: not a cursor this endpoint gave for this query; start again "
                       "without it");
    };
    auto bytes = crypto::from_base64url(*text);
    if (!bytes) return refuse();
    Json a = Json::parse(*bytes, nullptr, false);
    auto shape = store::query_key_shape(q);
    if (a.is_discarded() || !a.is_array() || a.size() != shape.size()) return refuse();
    store::RowKey key;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] && a[i].is_number_integer() &&
            (!a[i].is_number_unsigned() ||
             a[i].get<std::uint64_t>() <=
                 static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
            key.emplace_back(a[i].get<std::int64_t>());
        else if (!shape[i] && a[i].is_string())
            key.emplace_back(a[i].get<std::string>());
        else
            return refuse();
    }
    q.after = std::move(key);
    return std::nullopt;
}

// Percent-encoding for a query string: RFC 3986 unreserved characters stay.
std::string url_encode(std::string_view s, bool keep_slash = false) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The request's own path and parameters with `cursor` set to the next page's.
std::string next_link(const Request& req, const std::string& cursor) {
    std::string target = url_encode(req.path, true) + "?";
    for (const auto& [k, v] : req.query)
        if (k != "cursor") target += url_encode(k) + "=" + url_encode(v) + "&";
    return "<" + target + "cursor=" + cursor + ">; rel=\"next\"";
}

// Runs the query and answers {"data": [...], "next": CURSOR} or, for Accept:
// application/x-ndjson, one record per line; a full page (q.limit records) has a next
// cursor, also as a Link header. `reshape` adjusts each record (e.g. an aggregate).
Response answer(const Request& req, store::Db& db, const store::Query& q,
                const std::function<void(Json&)>& reshape = {}) {
    bool lines = wants_ndjson(req);
    std::string body = lines ? "" : "{\"data\":[";
    std::int64_t count = 0;
    store::RowKey last;
    std::string error;
    bool ok = store::run_query_keyed(
        db, q,
        [&](const Json& rec, const store::RowKey& key) {
            std::string text;
            if (reshape) {
                Json copy = rec;
                reshape(copy);
                text = copy.dump();
            } else {
                text = rec.dump();
            }
            if (lines) {
                body += text;
                body += '\n';
            } else {
                if (count) body += ',';
                body += text;
            }
            last = key;
            return ++count < q.limit || q.limit <= 0;
        },
        error);
    if (!ok) return problem(500, {}, "store query failed");
    Response r;
    std::string next;
    if (q.limit > 0 && count >= q.limit && !last.empty()) {
        next = encode_cursor(last);
        r.headers.emplace_back("Link", next_link(req, next));
    }
    if (!lines) body += next.empty() ? "]}" : "],\"next\":\"" + next + "\"}";
    r.content_type = lines ? "application/x-ndjson" : "application/json";
    r.body = std::move(body);
    return r;
}

// What every data handler starts with: known parameters, the site (site_for), limit and
// cursor. The cursor is read last, once the query's shape (kind, last, every) is set.
std::optional<Response> common(const Request& req, const Principal& who, const DataOptions& options,
                               const std::vector<std::string_view>& known, store::Query& q) {
    if (auto bad = check_params(req, known)) return bad;
    std::optional<Response> refused;
    q.site = site_for(req, who, refused);
    if (refused) return refused;
    return read_limit(req, options, q.limit);
}

std::optional<Response> time_range(const Request& req, store::Query& q) {
    if (auto bad = time_param(req, "since", q.since)) return bad;
    if (auto bad = time_param(req, "until", q.until)) return bad;
    if (q.since && q.until && *q.since > *q.until)
        return problem(400, "Bad parameter", "since is after until");
    return std::nullopt;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Events and findings: a time range and repeatable filters, each a parameter filling a
// list of store::Query.
using Filter = std::pair<std::string_view, std::vector<std::string> store::Query::*>;
Response by_time(const Request& req, const Principal& who, store::Db& db,
                 const DataOptions& options, store::Kind kind, std::vector<Filter> filters) {
    store::Query q;
    q.kind = kind;
    std::vector<std::string_view> known = {"site", "limit", "cursor", "since", "until"};
    for (const auto& f : filters)
        known.push_back(f.first);
    if (auto bad = common(req, who, options, known, q)) return *bad;
    if (auto bad = time_range(req, q)) return *bad;
    if (auto bad = read_cursor(req, q)) return *bad;
    for (const auto& [name, list] : filters)
        q.*list = req.params(name);
    return answer(req, db, q);
}

// GET /api/v1/readings: a time range (default: the last hour), raw or bucketed.
Response readings(const Request& req, const Principal& who, store::Db& db,
                  const DataOptions& options) {
    store::Query q;
    q.kind = store::Kind::reading;
    if (auto bad = common(req, who, options,
                          {"site", "limit", "cursor", "device", "metric", "label", "since", "until",
                           "every", "agg"},
                          q))
        return *bad;
    if (auto bad = time_range(req, q)) return *bad;
    if (!q.since)
        q.since =
            std::max<std::int64_t>(0, (q.until ? *q.until : now_ms()) - options.default_range_ms);
    std::optional<std::int64_t> every;
    if (auto bad = duration_param(req, "every", every)) return *bad;
    std::optional<std::string> agg;
    if (auto bad = enum_param(req, "agg", {"avg", "min", "max", "last"}, agg)) return *bad;
    if (agg && !every) return problem(400, "Bad parameter", "agg: needs every");
    if (every) {
        q.every_ms = *every;
        std::int64_t span = (q.until ? *q.until : now_ms()) - *q.since;
        if (span / q.every_ms > options.max_buckets)
            return problem(400, "Bad parameter",
                           "every: more than " + std::to_string(options.max_buckets) +
                               " buckets per series from since to until; give a longer every "
                               "or a shorter range");
    }
    if (auto bad = label_params(req, "label", q.labels)) return *bad;
    if (auto bad = read_cursor(req, q)) return *bad;
    q.devices = req.params("device");
    q.metrics = req.params("metric");
    std::function<void(Json&)> reshape;
    if (agg)
        reshape = [name = *agg](Json& rec) {
            if (name != "avg") rec["value"] = rec[name];  // avg is already the value
            for (const char* f : {"min", "max", "avg", "last"})
                rec.erase(f);
        };
    return answer(req, db, q, reshape);
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
                    store::Query q;
                    q.kind = store::Kind::device;
                    if (auto bad = common(req, who, options, {"site", "limit", "cursor"}, q))
                        return *bad;
                    if (auto bad = read_cursor(req, q)) return *bad;
                    return answer(req, db, q);
                },
                "The inventory: one device record per device"});
    router.add({"GET", "/api/v1/readings/latest", "read:readings",
                [&db, options](const Request& req, const Principal& who) {
                    store::Query q;
                    q.kind = store::Kind::reading;
                    q.last = true;
                    if (auto bad = common(req, who, options,
                                          {"site", "limit", "cursor", "device", "metric"}, q))
                        return *bad;
                    if (auto bad = read_cursor(req, q)) return *bad;
                    q.devices = req.params("device");
                    q.metrics = req.params("metric");
                    return answer(req, db, q);
                },
                "The newest reading of every series (device, metric, labels)"});
    router.add({"GET", "/api/v1/readings", "read:readings",
                [&db, options](const Request& req, const Principal& who) {
                    return readings(req, who, db, options);
                },
                "Readings in a time range, or min/max/avg/last per bucket with every"});
    router.add({"GET", "/api/v1/events", "read:events",
                [&db, options](const Request& req, const Principal& who) {
                    return by_time(req, who, db, options, store::Kind::event,
                                   {{"device", &store::Query::devices},
                                    {"severity", &store::Query::severity}});
                },
                "Events (traps, syslog, state changes), oldest first"});
    router.add({"GET", "/api/v1/findings", "read:findings",
                [&db, options](const Request& req, const Principal& who) {
                    return by_time(req, who, db, options, store::Kind::finding,
                                   {{"device", &store::Query::devices},
                                    {"check", &store::Query::checks},
                                    {"status", &store::Query::status},
                                    {"severity", &store::Query::severity}});
                },
                "Audit findings, oldest first"});
}

}  // namespace dce::api
