// libFuzzer target: what dce-store serve does with a request after Beast has framed it:
// the request target (path and query string), a form body (the OAuth2 endpoints'), a
// Basic credential, a scope list, the shared parameter parsers (times, durations, label
// selectors), then dispatch through the real data routes on an in-memory store holding
// records of two sites, with a token that is accepted (bound to one of them), so
// parameter handling, cursors and site scoping see arbitrary input. Input: the target, a
// newline, the body. The Prometheus routes are dispatched too, GET or POST (form body).
#include "api/changes.hpp"
#include "api/endpoints.hpp"
#include "api/oauth.hpp"
#include "api/params.hpp"
#include "api/prometheus.hpp"
#include "crypto/secrets.hpp"
#include "store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

struct AcceptAll : dce::api::Authenticator {
    bool authenticate(std::string_view, dce::api::Principal& who) override {
        who.client = "fuzz";
        who.scopes = {"read:inventory", "read:readings", "read:events", "read:findings"};
        who.site = "paris";
        return true;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static std::unique_ptr<dce::store::Db> db = [] {
        std::string error;
        auto d = dce::store::open_sqlite(":memory:", {}, error);
        if (!d || !dce::store::migrate(*d, error)) __builtin_trap();
        // A few records of each kind for both sites, so cursors and filters have rows to
        // reach (and lyon's must never come back).
        std::vector<dce::store::Row> rows;
        for (const char* site : {"paris", "lyon"}) {
            for (int i = 0; i < 3; ++i) {
                std::string ts = "2026-11-30T08:0" + std::to_string(i) + ":00.000Z";
                for (
                    const std::string& line :
                    {R"({"type":"device","ts":")" + ts + R"(","id":"d)" + std::to_string(i) +
                         R"(","target":"t","transport":"snmp"})",
                     R"({"type":"reading","ts":")" + ts +
                         R"(","device":"d0","metric":"m","labels":{"k":"v"},"value":)" +
                         std::to_string(i) + "}",
                     R"({"type":"event","ts":")" + ts +
                         R"(","source":"d0","transport":"snmp","name":"e","severity":"info"})",
                     R"({"type":"finding","ts":")" + ts +
                         R"(","tool":"dce-audit","check":"c","target":"d0","status":"fail","severity":"high","message":"m"})"}) {
                    dce::store::Row row;
                    std::string why;
                    if (!dce::store::to_row(dce::Json::parse(line), site, row, why))
                        __builtin_trap();
                    rows.push_back(std::move(row));
                }
            }
        }
        dce::store::Writer w(*d);
        dce::store::Counts counts;
        if (!w.write(rows, counts, error)) __builtin_trap();
        return d;
    }();
    static dce::api::Router router = [] {
        dce::api::Router r;
        dce::api::add_data_routes(r, *db);
        dce::api::add_changes_route(r, *db);
        dce::api::add_prometheus_routes(r, *db);
        return r;
    }();
    static AcceptAll auth;

    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto nl = in.find('\n');
    std::string_view target = in.substr(0, nl);
    std::string_view body = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

    dce::api::Params form;
    std::string error;
    dce::api::parse_form(body, form, error);
    if (form.size() > 100) __builtin_trap();
    (void)dce::crypto::from_base64(body);
    std::vector<std::string> scopes;
    (void)dce::api::parse_scopes(body, scopes, error);
    if (auto ms = dce::api::parse_time_ms(body, error);
        ms && (*ms < dce::api::min_time_ms || *ms > dce::api::max_time_ms))
        __builtin_trap();
    if (auto ms = dce::api::parse_duration_ms(body, error);
        ms && (*ms < 1 || *ms > dce::api::max_duration_ms))
        __builtin_trap();
    (void)dce::api::parse_label(body, error);

    dce::api::Request req;
    // POST with the body as a form for odd sizes (the Prometheus routes take both).
    req.method = size % 2 ? "POST" : "GET";
    if (req.method == "POST") req.body = std::string(body);
    req.target = std::string(target);
    if (!dce::api::parse_target(target, req.path, req.query, error)) return 0;
    if (req.path.empty() || req.path.front() != '/') __builtin_trap();
    req.headers["authorization"] = "Bearer x";
    auto res = router.dispatch(req, auth);
    if (res.status < 200 || res.status > 599) __builtin_trap();
    // Site isolation: a response never carries another site's name.
    if (res.body.find("\"site\":\"lyon\"") != std::string::npos) __builtin_trap();
    return 0;
}
