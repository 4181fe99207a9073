// Unit tests of the data endpoints on an in-memory store: pages, cursors, Link headers and
// the 400s, without sockets (tests/integration/api_data.sh does the same over HTTPS).
#include "api/endpoints.hpp"

#include <catch.hpp>

using namespace dce;
using namespace dce::api;

namespace {

// Accepts the token "paris" (bound to site paris) and "ops" (every site), all scopes.
struct Auth : Authenticator {
    bool authenticate(std::string_view token, Principal& who) override {
        if (token != "paris" && token != "ops") return false;
        who.client = std::string(token);
        who.scopes = {"read:inventory", "read:readings", "read:events", "read:findings"};
        if (token == "paris") who.site = "paris";
        return true;
    }
};

struct Fixture {
    std::unique_ptr<store::Db> db;
    Router router;
    Auth auth;
    Fixture() {
        std::string error;
        db = store::open_sqlite(":memory:", {}, error);
        REQUIRE(db);
        REQUIRE(store::migrate(*db, error));
        std::vector<store::Row> rows;
        for (const char* site : {"paris", "lyon"})
            for (int i = 0; i < 5; ++i) {
                std::string ts = "2026-11-30T00:0" + std::to_string(i) + ":00.000Z";
                for (const std::string& line :
                     {R"({"type":"event","ts":")" + ts +
                          R"(","source":"s","transport":"snmp","name":"e)" + std::to_string(i) +
                          R"(","severity":"info"})",
                      R"({"type":"reading","ts":")" + ts +
                          R"(","device":"d","metric":"m","value":)" + std::to_string(i) + "}"}) {
                    store::Row row;
                    REQUIRE(store::to_row(Json::parse(line), site, row, error));
                    rows.push_back(std::move(row));
                }
            }
        store::Writer w(*db);
        store::Counts counts;
        REQUIRE(w.write(rows, counts, error));
        add_data_routes(router, *db);
    }
    Response get(const std::string& target, const std::string& token = "paris") {
        Request r;
        r.method = "GET";
        r.target = target;
        std::string error;
        REQUIRE(parse_target(target, r.path, r.query, error));
        r.headers["authorization"] = "Bearer " + token;
        return router.dispatch(r, auth);
    }
};

std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

}  // namespace

TEST_CASE("events page by cursor: every record once, Link and next agree") {
    Fixture f;
    std::vector<std::string> names;
    std::string target = "/api/v1/events?limit=2";
    int pages = 0;
    while (true) {
        auto res = f.get(target);
        REQUIRE(res.status == 200);
        Json body = Json::parse(res.body);
        for (const auto& e : body["data"]) {
            CHECK(e["site"] == "paris");
            names.push_back(e["name"]);
        }
        ++pages;
        REQUIRE(pages < 10);
        if (!body.contains("next")) {
            CHECK(header(res, "Link").empty());
            break;
        }
        std::string next = body["next"];
        CHECK(header(res, "Link") == "</api/v1/events?limit=2&cursor=" + next + ">; rel=\"next\"");
        target = "/api/v1/events?limit=2&cursor=" + next;
    }
    CHECK(names == std::vector<std::string>{"e0", "e1", "e2", "e3", "e4"});
    CHECK(pages == 3);
}

TEST_CASE("the Link header keeps every other parameter, percent-encoded") {
    Fixture f;
    auto res = f.get("/api/v1/readings?since=2026-11-30T00:00:00Z&metric=m&limit=1", "ops");
    REQUIRE(res.status == 200);
    std::string link = header(res, "Link");
    CHECK(link.rfind("</api/v1/readings?since=2026-11-30T00%3A00%3A00Z&metric=m&limit=1&cursor=",
                     0) == 0);
}

TEST_CASE("bad cursors and parameters are 400 problems") {
    Fixture f;
    for (const char* t :
         {"/api/v1/events?cursor=!!", "/api/v1/events?cursor=",
          "/api/v1/events?cursor=WzFd",      // [1]
          "/api/v1/devices?cursor=WzEsMl0",  // [1,2] for (text, text)
          "/api/v1/readings?agg=max", "/api/v1/readings?every=0",
          "/api/v1/readings?since=2026-11-29T00:00:00Z&until=2026-11-30T00:00:00Z&every=1s",
          "/api/v1/findings?since=soon", "/api/v1/events?metric=m"}) {
        auto res = f.get(t);
        INFO(t);
        CHECK(res.status == 400);
        CHECK(res.content_type == "application/problem+json");
    }
}

TEST_CASE("a cursor cannot reach another site: the bound client's pages stay its own") {
    Fixture f;
    // [0, 0]: before every event of both sites.
    auto res = f.get("/api/v1/events?cursor=WzAsMF0&limit=100");
    REQUIRE(res.status == 200);
    CHECK(res.body.find("lyon") == std::string::npos);
    CHECK(Json::parse(res.body)["data"].size() == 5);
    CHECK(f.get("/api/v1/events?site=lyon").status == 403);
}
