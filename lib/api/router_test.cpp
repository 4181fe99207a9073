// Unit tests of the API's request parsing and route table, without sockets.
#include "api/router.hpp"
#include "api/changes.hpp"
#include "api/endpoints.hpp"
#include "api/server.hpp"

#include <catch.hpp>

using namespace dce::api;

namespace {

// Accepts the token "good" with scope read:inventory, bound to site "paris".
struct FakeAuth : Authenticator {
    bool authenticate(std::string_view token, Principal& who) override {
        if (token != "good") return false;
        who.client = "alice";
        who.scopes = {"read:inventory"};
        who.site = "paris";
        return true;
    }
};

Request get(std::string target, std::string authz = {}) {
    Request r;
    r.method = "GET";
    r.target = target;
    std::string error;
    REQUIRE(parse_target(target, r.path, r.query, error));
    if (!authz.empty()) r.headers["authorization"] = authz;
    return r;
}

std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

Router sample() {
    Router router;
    auto ok = [](const Request&, const Principal& who) {
        Response r;
        r.body = who.client;
        return r;
    };
    router.add({"GET", "/api/v1/devices", "read:inventory", ok, ""});
    router.add({"GET", "/api/v1/readings/latest", "read:readings", ok, ""});
    router.add({"POST", "/oauth2/token", "", ok, ""});
    router.add(
        {"GET", "/boom", "",
         [](const Request&, const Principal&) -> Response { throw std::runtime_error("boom"); },
         ""});
    return router;
}

}  // namespace

TEST_CASE("parse_target splits and decodes") {
    std::string path, error;
    Params q;
    REQUIRE(parse_target("/a%20b?x=1&y=a+b&x=%2F&flag", path, q, error));
    CHECK(path == "/a b");
    REQUIRE(q.size() == 4);
    CHECK(q[0] == std::pair<std::string, std::string>{"x", "1"});
    CHECK(q[1].second == "a b");
    CHECK(q[2].second == "/");
    CHECK(q[3] == std::pair<std::string, std::string>{"flag", ""});
    CHECK_FALSE(parse_target("relative", path, q, error));
    CHECK_FALSE(parse_target("/x?a=%2", path, q, error));
    CHECK_FALSE(parse_target("/x?a=%zz", path, q, error));
    CHECK_FALSE(parse_target("/x?a=%00", path, q, error));
    CHECK_FALSE(parse_target("/x?=1", path, q, error));
    std::string many = "/x?";
    for (int i = 0; i < 101; ++i)
        many += "a=1&";
    CHECK_FALSE(parse_target(many, path, q, error));
}

TEST_CASE("router: unknown path 404, wrong method 405 with Allow") {
    Router router = sample();
    FakeAuth auth;
    CHECK(router.dispatch(get("/nope"), auth).status == 404);
    auto r = router.dispatch(get("/oauth2/token"), auth);
    CHECK(r.status == 405);
    CHECK(header(r, "Allow") == "POST");
    CHECK(r.content_type == "application/problem+json");
}

TEST_CASE("router: bearer token checks (RFC 6750)") {
    Router router = sample();
    FakeAuth auth;
    auto none = router.dispatch(get("/api/v1/devices"), auth);
    CHECK(none.status == 401);
    CHECK(header(none, "WWW-Authenticate") == "Bearer realm=\"dce-store\"");
    auto bad = router.dispatch(get("/api/v1/devices", "Bearer nope"), auth);
    CHECK(bad.status == 401);
    CHECK(header(bad, "WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
    auto basic = router.dispatch(get("/api/v1/devices", "Basic Zm9vOmJhcg=="), auth);
    CHECK(basic.status == 401);
    auto ok = router.dispatch(get("/api/v1/devices", "bearer good"), auth);
    CHECK(ok.status == 200);
    CHECK(ok.client == "alice");
    auto scope = router.dispatch(get("/api/v1/readings/latest", "Bearer good"), auth);
    CHECK(scope.status == 403);
    CHECK(header(scope, "WWW-Authenticate").find("error=\"insufficient_scope\"") !=
          std::string::npos);
    CHECK(header(scope, "WWW-Authenticate").find("scope=\"read:readings\"") != std::string::npos);
}

TEST_CASE("router: a throwing handler is a 500 problem, not a crash") {
    Router router = sample();
    FakeAuth auth;
    auto r = router.dispatch(get("/boom"), auth);
    CHECK(r.status == 500);
    CHECK(r.body.find("boom") == std::string::npos);  // no internals to the client
}

TEST_CASE("a problem quoting bytes that are not UTF-8 is still JSON") {
    auto r = problem(400, "Bad", "unknown query parameter: \xff\xfe");
    CHECK(r.body.find("\"status\":400") != std::string::npos);
}

TEST_CASE("site_for: a bound client gets its own site whatever it asks") {
    Principal bound{"alice", {"read:inventory"}, "paris"};
    Principal free{"ops", {"read:inventory"}, std::nullopt};
    std::optional<Response> refused;
    CHECK(site_for(get("/x"), bound, refused) == "paris");
    CHECK_FALSE(refused);
    CHECK(site_for(get("/x?site=paris"), bound, refused) == "paris");
    CHECK_FALSE(refused);
    site_for(get("/x?site=lyon"), bound, refused);
    REQUIRE(refused);
    CHECK(refused->status == 403);
    refused.reset();
    site_for(get("/x?site=paris&site=lyon"), bound, refused);
    REQUIRE(refused);
    CHECK(refused->status == 400);
    refused.reset();
    CHECK(site_for(get("/x?site=lyon"), free, refused) == "lyon");
    CHECK_FALSE(site_for(get("/x"), free, refused).has_value());
    CHECK_FALSE(refused);
}

TEST_CASE("parse_listen takes IP literals and ports") {
    std::string host, error;
    std::uint16_t port = 1;
    REQUIRE(parse_listen("127.0.0.1:8470", host, port, error));
    CHECK(host == "127.0.0.1");
    CHECK(port == 8470);
    REQUIRE(parse_listen("[::1]:0", host, port, error));
    CHECK(host == "::1");
    CHECK(port == 0);
    REQUIRE(parse_listen("localhost:9", host, port, error));
    CHECK(host == "127.0.0.1");
    CHECK_FALSE(parse_listen("example.org:80", host, port, error));
    CHECK_FALSE(parse_listen("127.0.0.1:70000", host, port, error));
    CHECK_FALSE(parse_listen("127.0.0.1:", host, port, error));
    CHECK_FALSE(parse_listen("127.0.0.1", host, port, error));
}

TEST_CASE("a route of any_scope takes any valid token but still needs one") {
    Router router = sample();
    router.add({"GET", "/api/v1/changes", std::string(any_scope),
                [](const Request&, const Principal& who) {
                    Response r;
                    r.body = who.client;
                    return r;
                },
                ""});
    FakeAuth auth;  // "good" carries read:inventory only
    auto ok = router.dispatch(get("/api/v1/changes", "Bearer good"), auth);
    CHECK(ok.status == 200);
    CHECK(ok.body == "alice");
    CHECK(router.dispatch(get("/api/v1/changes"), auth).status == 401);
    CHECK(router.dispatch(get("/api/v1/changes", "Bearer bad"), auth).status == 401);
}

TEST_CASE("the change feed shows each kind to the scope that reads it") {
    using dce::store::Kind;
    Principal who;
    CHECK(change_kinds(who).empty());
    who.scopes = {"read:events"};
    CHECK(change_kinds(who) == std::vector<Kind>{Kind::event, Kind::other});
    who.scopes = {"read:findings", "read:inventory", "read:readings", "read:events"};
    CHECK(change_kinds(who) ==
          std::vector<Kind>{Kind::device, Kind::reading, Kind::event, Kind::other, Kind::finding});
}
