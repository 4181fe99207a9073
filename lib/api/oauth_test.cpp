// Unit tests of the client and token stores on an in-memory SQLite store.
#include "api/oauth.hpp"
#include "crypto/secrets.hpp"
#include "store/store.hpp"

#include <catch.hpp>

using namespace dce;
using namespace dce::api;

namespace {

std::unique_ptr<store::Db> memdb() {
    std::string error;
    auto db = store::open_sqlite(":memory:", {}, error);
    REQUIRE(db);
    REQUIRE(store::migrate(*db, error));
    return db;
}

}  // namespace

TEST_CASE("secrets: base64url and scrypt") {
    CHECK(crypto::base64url("\xff\xfe") == "__4");
    CHECK(crypto::from_base64url("__4") == std::string("\xff\xfe"));
    CHECK_FALSE(crypto::from_base64url("a+b"));
    CHECK(crypto::from_base64("Zm9vOmJhcg==") == std::string("foo:bar"));
    std::string h = crypto::scrypt_hash("s3cret", {.log_n = 10});
    CHECK(h.starts_with("$scrypt$ln=10,r=8,p=1$"));
    CHECK(crypto::scrypt_verify("s3cret", h));
    CHECK_FALSE(crypto::scrypt_verify("s3creT", h));
    CHECK_FALSE(crypto::scrypt_verify("s3cret", "$scrypt$ln=40,r=8,p=1$AAAA$AAAA"));
    CHECK_FALSE(crypto::scrypt_verify("s3cret", "plain"));
    CHECK(crypto::constant_time_equal("abc", "abc"));
    CHECK_FALSE(crypto::constant_time_equal("abc", "abd"));
    CHECK_FALSE(crypto::constant_time_equal("abc", "ab"));
}

TEST_CASE("scopes are checked and normalised") {
    std::vector<std::string> s;
    std::string error;
    REQUIRE(parse_scopes("read:readings,read:inventory read:readings", s, error));
    CHECK(join_scopes(s) == "read:inventory read:readings");
    CHECK_FALSE(parse_scopes("write:everything", s, error));
    CHECK_FALSE(parse_scopes(",", s, error));
    CHECK(valid_client_name("grafana-01"));
    CHECK_FALSE(valid_client_name("a:b"));
    CHECK_FALSE(valid_client_name(""));
}

TEST_CASE("clients: add, verify, list, remove; secrets stored hashed") {
    auto db = memdb();
    ClientStore clients(*db);
    std::string secret, error;
    REQUIRE(clients.add({"alice", {"read:inventory"}, "paris", 0}, secret, error));
    CHECK(secret.size() == 43);
    std::string again;
    CHECK_FALSE(clients.add({"alice", {"read:inventory"}, std::nullopt, 0}, again, error));

    auto st = db->prepare("SELECT secret_hash FROM api_clients", error);
    REQUIRE(st->step() == store::Stmt::Step::row);
    CHECK(st->col_text(0).find(secret) == std::string::npos);
    CHECK(st->col_text(0).starts_with("$scrypt$"));

    ClientInfo who;
    error.clear();
    CHECK(clients.verify("alice", secret, who, error));
    CHECK(who.site == "paris");
    CHECK_FALSE(clients.verify("alice", secret + "x", who, error));
    CHECK_FALSE(clients.verify("bob", secret, who, error));
    CHECK(error.empty());

    std::vector<ClientInfo> list;
    REQUIRE(clients.list(list, error));
    REQUIRE(list.size() == 1);
    CHECK(list[0].scopes == std::vector<std::string>{"read:inventory"});

    bool found = false;
    REQUIRE(clients.remove("alice", found, error));
    CHECK(found);
    REQUIRE(clients.remove("alice", found, error));
    CHECK_FALSE(found);
}

TEST_CASE("tokens: issue, authenticate, expire, revoke; stored as HMAC") {
    auto db = memdb();
    std::int64_t now = 1'000'000;
    TokenStore tokens(*db, std::string(32, 'k'), std::chrono::seconds(900), [&] { return now; });
    ClientInfo alice{"alice", {"read:inventory", "read:readings"}, "paris", 0};
    std::string token, error;
    REQUIRE(tokens.issue(alice, {"read:inventory"}, token, error));
    CHECK(token.size() == 43);

    auto st = db->prepare("SELECT hash FROM api_tokens", error);
    REQUIRE(st->step() == store::Stmt::Step::row);
    CHECK(st->col_text(0).size() == 64);
    CHECK(st->col_text(0).find(token) == std::string::npos);

    Principal who;
    REQUIRE(tokens.authenticate(token, who));
    CHECK(who.client == "alice");
    CHECK(who.site == "paris");
    CHECK(who.scopes == std::vector<std::string>{"read:inventory"});
    CHECK_FALSE(tokens.authenticate(token.substr(1) + "A", who));
    CHECK_FALSE(tokens.authenticate("short", who));

    // A server with another key does not accept the token.
    TokenStore other(*db, std::string(32, 'x'), std::chrono::seconds(900), [&] { return now; });
    CHECK_FALSE(other.authenticate(token, who));

    now += 900'000;  // exactly at expiry: refused
    CHECK_FALSE(tokens.authenticate(token, who));
    now -= 1;
    CHECK(tokens.authenticate(token, who));

    // Revocation needs the holder; another client's revoke leaves the token alone.
    REQUIRE(tokens.revoke(token, "mallory", error));
    CHECK(tokens.authenticate(token, who));
    REQUIRE(tokens.revoke(token, "alice", error));
    CHECK_FALSE(tokens.authenticate(token, who));
}

TEST_CASE("removing a client removes its tokens") {
    auto db = memdb();
    ClientStore clients(*db);
    TokenStore tokens(*db, std::string(32, 'k'), std::chrono::seconds(900));
    std::string secret, token, error;
    REQUIRE(clients.add({"bob", {"read:readings"}, std::nullopt, 0}, secret, error));
    ClientInfo bob;
    REQUIRE(clients.verify("bob", secret, bob, error));
    REQUIRE(tokens.issue(bob, bob.scopes, token, error));
    Principal who;
    REQUIRE(tokens.authenticate(token, who));
    CHECK_FALSE(who.site.has_value());
    bool found = false;
    REQUIRE(clients.remove("bob", found, error));
    CHECK_FALSE(tokens.authenticate(token, who));
}
