// GET /api/v1/changes (changes.hpp).
#include "api/changes.hpp"

#include "core/record.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

namespace dce::api {

std::vector<store::Kind> change_kinds(const Principal& who) {
    using store::Kind;
    std::vector<Kind> kinds;
    if (who.has_scope("read:inventory")) kinds.push_back(Kind::device);
    if (who.has_scope("read:readings")) kinds.push_back(Kind::reading);
    if (who.has_scope("read:events")) {
        kinds.push_back(Kind::event);
        kinds.push_back(Kind::other);
    }
    if (who.has_scope("read:findings")) kinds.push_back(Kind::finding);
    return kinds;
}

void add_changes_route(Router& router, store::Db& db, DataOptions options) {
    router.add(
        {"GET", "/api/v1/changes", std::string(any_scope),
         [&db, options](const Request& req, const Principal& who) {
             if (auto bad = check_params(req, {"after", "limit", "site"})) return *bad;
             std::optional<Response> refused;
             auto site = site_for(req, who, refused);
             if (refused) return *refused;
             std::int64_t limit = 0;
             if (auto bad = read_limit(req, options, limit)) return *bad;
             std::int64_t after = 0;
             auto given = req.params("after");
             if (given.size() > 1)
                 return problem(400, "Bad parameter", "after given more than once");
             if (!given.empty()) {
                 const std::string& s = given.front();
                 auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), after);
                 if (ec != std::errc{} || p != s.data() + s.size() || after < 0)
                     return problem(400, "Bad parameter",
                                    "after must be an offset: an integer from 0 (a previous "
                                    "answer's next_after)");
             }
             bool lines = wants_ndjson(req);
             std::string body = lines ? "" : "{\"data\":[";
             bool first = true;
             std::int64_t next_after = after;
             std::string error;
             bool ok = store::read_changes(
                 db, after, site, change_kinds(who), limit,
                 [&](const Json& rec) {
                     if (!lines && !first) body += ',';
                     body += rec.dump();
                     if (lines) body += '\n';
                     first = false;
                     return true;
                 },
                 next_after, error);
             if (!ok) {
                 spdlog::error("GET /api/v1/changes: {}", error);
                 return problem(500, {}, "store query failed");
             }
             if (!lines) body += "],\"next_after\":" + std::to_string(next_after) + "}";
             Response r;
             r.content_type = lines ? "application/x-ndjson" : "application/json";
             r.body = std::move(body);
             // ndjson has no envelope: the resume point travels in a header.
             r.headers.emplace_back("Next-After", std::to_string(next_after));
             return r;
         },
         "Everything stored after an offset, in commit order, for catching up without gaps"});
}

}  // namespace dce::api
