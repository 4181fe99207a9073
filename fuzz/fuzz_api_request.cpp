// libFuzzer target: what dce-store serve does with a request after Beast has framed it:
// the request target (path and query string), a form body (the OAuth2 endpoints'), a
// Basic credential, a scope list, then dispatch through the real data routes on an
// in-memory store with a token that is accepted (bound to a site), so parameter
// handling and site scoping see arbitrary input (the Prometheus routes too, over one
// reading in each of two sites). Input: the target, a newline, the body.
#include "api/endpoints.hpp"
#include "api/oauth.hpp"
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
        who.scopes = {"read:inventory", "read:readings"};
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
        // One reading per site, so site isolation is tested against data that exists.
        std::vector<dce::store::Row> rows(2);
        const char* recs[] = {
            R"({"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"d1","metric":"ups.load","value":1,"site":"paris"})",
            R"({"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"d2","metric":"ups.load","value":2,"site":"lyon"})"};
        for (int i = 0; i < 2; ++i)
            if (!dce::store::to_row(dce::Json::parse(recs[i]), "", rows[i], error))
                __builtin_trap();
        dce::store::Counts counts;
        dce::store::Writer w(*d);
        if (!w.write(rows, counts, error)) __builtin_trap();
        return d;
    }();
    static dce::api::Router router = [] {
        dce::api::Router r;
        dce::api::add_data_routes(r, *db);
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
