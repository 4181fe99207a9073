// Unit tests of the rate limits: token buckets on a fake clock, the bounded table, and
// the 429 answers Router::dispatch gives.
#include "api/ratelimit.hpp"
#include "api/oauth.hpp"
#include "api/router.hpp"

#include <catch.hpp>

using namespace dce::api;
using namespace std::chrono_literals;

namespace {

using Clock = RateLimiter::Clock;

// Tokens "a" and "b" belong to clients alice and bob, both with read:inventory.
struct TwoClients : Authenticator {
    bool authenticate(std::string_view token, Principal& who) override {
        if (token != "a" && token != "b") return false;
        who.client = token == "a" ? "alice" : "bob";
        who.scopes = {"read:inventory"};
        return true;
    }
};

Request request(std::string method, std::string path, std::string peer = "192.0.2.1") {
    Request r;
    r.method = std::move(method);
    r.target = r.path = std::move(path);
    r.peer = std::move(peer);
    return r;
}

Request with_token(std::string token) {
    Request r = request("GET", "/data");
    r.headers["authorization"] = "Bearer " + token;
    return r;
}

Request token_request(std::string client, std::string peer = "192.0.2.1") {
    Request r = request("POST", "/oauth2/token", std::move(peer));
    r.headers["content-type"] = "application/x-www-form-urlencoded";
    r.body = "grant_type=client_credentials&client_id=" + client + "&client_secret=x";
    return r;
}

std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

}  // namespace

TEST_CASE("parse_rate") {
    RateSpec s;
    std::string error;
    REQUIRE(parse_rate("50/s", s, error));
    CHECK(s.per_second == 50);
    CHECK(s.burst == 100);
    REQUIRE(parse_rate("300/m:100", s, error));
    CHECK(s.per_second == 5);
    CHECK(s.burst == 100);
    REQUIRE(parse_rate("1/h:3", s, error));
    CHECK(s.per_second == Approx(1.0 / 3600));
    CHECK(s.burst == 3);
    REQUIRE(parse_rate("1/h", s, error));
    CHECK(s.burst == 1);
    REQUIRE(parse_rate("0.5/s", s, error));
    CHECK(s.burst == 1);
    REQUIRE(parse_rate("off", s, error));
    CHECK_FALSE(s.enabled());
    for (const char* bad : {"", "50", "50/", "50/x", "/s", "-1/s", "0/s", "5/s:0", "5/s:", "5/s:a",
                            "5:3/s", "nan/s", "inf/s", "5/s:1e10"})
        CHECK_FALSE(parse_rate(bad, s, error));
}

TEST_CASE("rate limiter: burst, refill, Retry-After, one bucket per key") {
    RateLimiter limiter({.per_second = 1, .burst = 3});
    auto t = Clock::time_point{} + 1000s;
    std::chrono::seconds wait{0};
    CHECK(limiter.take("alice", t, wait));
    CHECK(limiter.take("alice", t, wait));
    CHECK(limiter.take("alice", t, wait));
    CHECK_FALSE(limiter.take("alice", t, wait));
    CHECK(wait == 1s);
    CHECK(limiter.take("bob", t, wait));  // another client is unaffected
    CHECK_FALSE(limiter.take("alice", t + 500ms, wait));
    CHECK(wait == 1s);  // half a token back: rounded up
    CHECK(limiter.take("alice", t + 1s, wait));
    CHECK_FALSE(limiter.take("alice", t + 1s, wait));
    CHECK(limiter.take("alice", t + 1h, wait));  // refilled to the burst, no more
    CHECK(limiter.take("alice", t + 1h, wait));
    CHECK(limiter.take("alice", t + 1h, wait));
    CHECK_FALSE(limiter.take("alice", t + 1h, wait));

    RateLimiter slow({.per_second = 1.0 / 3600, .burst = 1});
    CHECK(slow.take("x", t, wait));
    CHECK_FALSE(slow.take("x", t, wait));
    CHECK(wait == 3600s);

    RateLimiter off({});
    for (int i = 0; i < 1000; ++i)
        CHECK(off.take("x", t, wait));
    CHECK(off.size() == 0);
}

TEST_CASE("rate limiter: the table is bounded, idle buckets go first") {
    RateLimiter limiter({.per_second = 1, .burst = 2}, 3);
    auto t = Clock::time_point{} + 1000s;
    std::chrono::seconds wait{0};
    for (auto key : {"a", "b", "c"})
        CHECK(limiter.take(key, t, wait));
    CHECK(limiter.size() == 3);
    // Full and none idle: the one idle longest makes room.
    CHECK(limiter.take("a", t + 100ms, wait));
    CHECK(limiter.take("d", t + 200ms, wait));
    CHECK(limiter.size() == 3);
    // "a" is still there (used last but one), with one token taken twice.
    CHECK_FALSE(limiter.take("a", t + 200ms, wait));
    // Later every bucket has refilled: all of them make room at once.
    CHECK(limiter.take("e", t + 10s, wait));
    CHECK(limiter.size() == 1);
    for (int i = 0; i < 10000; ++i)
        limiter.take("k" + std::to_string(i), t + 20s, wait);
    CHECK(limiter.size() <= 3);
}

TEST_CASE("claimed_client: the name a token request claims") {
    auto r = token_request("bob");
    CHECK(claimed_client(r) == "bob");
    r.body = "grant_type=client_credentials&client_id=b%C3%B6b&client_secret=x";
    CHECK(claimed_client(r) == "(invalid)");
    r.body = "grant_type=client_credentials";
    CHECK(claimed_client(r) == "");
    r.body = "%zz";
    CHECK(claimed_client(r) == "");
    r.headers["authorization"] = "Basic YWxpY2U6eA==";  // alice:x
    CHECK(claimed_client(r) == "alice");
    r.headers["authorization"] = "Basic !!!";
    CHECK(claimed_client(r) == "");
}

TEST_CASE("router: 429 with Retry-After per client, per claimed name and per peer") {
    auto ok = [](const Request&, const Principal& who) {
        Response r;
        r.body = who.client;
        return r;
    };
    Router router;
    router.add({"GET", "/data", "read:inventory", ok, ""});
    router.add({"POST", "/oauth2/token", "", ok, ""});
    RateLimiter bearer({.per_second = 1.0 / 3600, .burst = 2});
    RateLimiter claimed({.per_second = 1.0 / 60, .burst = 1});
    RateLimiter peer({.per_second = 1.0 / 60, .burst = 3});
    auto now = Clock::time_point{} + 1000s;
    RateLimits limits{.bearer = &bearer,
                      .claimed = &claimed,
                      .peer = &peer,
                      .claimed_client = claimed_client,
                      .clock = [&] { return now; }};
    router.set_limits(&limits);
    TwoClients auth;

    CHECK(router.dispatch(with_token("a"), auth).status == 200);
    CHECK(router.dispatch(with_token("a"), auth).status == 200);
    auto r = router.dispatch(with_token("a"), auth);
    CHECK(r.status == 429);
    CHECK(r.content_type == "application/problem+json");
    CHECK(header(r, "Retry-After") == "3600");
    CHECK(r.client == "alice");
    CHECK(router.dispatch(with_token("b"), auth).status == 200);  // bob is unaffected
    // An invalid token is 401, never counted against anyone.
    CHECK(router.dispatch(with_token("zzz"), auth).status == 401);

    // Token endpoint: one attempt per minute per claimed name...
    CHECK(router.dispatch(token_request("alice"), auth).status == 200);
    r = router.dispatch(token_request("alice", "198.51.100.7"), auth);
    CHECK(r.status == 429);
    CHECK(header(r, "Retry-After") == "60");
    // ... and three per peer, whatever names it makes up.
    CHECK(router.dispatch(token_request("n1"), auth).status == 200);
    CHECK(router.dispatch(token_request("n2"), auth).status == 200);
    CHECK(router.dispatch(token_request("n3"), auth).status == 429);
    CHECK(router.dispatch(token_request("bob", "198.51.100.7"), auth).status == 200);
    now += 1min;
    CHECK(router.dispatch(token_request("alice"), auth).status == 200);
}
