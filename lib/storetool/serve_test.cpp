// The OpenAPI drift test: docs/openapi.json must describe exactly the routes dce-store
// serve answers (method, path, scope), and the binary must serve that very file.
#include "api/oauth.hpp"
#include "api/openapi.hpp"
#include "api/router.hpp"
#include "core/record.hpp"
#include "store/store.hpp"
#include "storetool/storetool.hpp"

#include <catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

using namespace dce;

namespace {

// The scope an operation's security asks for, in Route::scope's terms: "" for no bearer
// token, "*" for any valid token (oauth2 with no scope), else the one oauth2 scope.
std::string scope_of(const Json& op, std::string& problem) {
    if (!op.contains("security")) {
        problem = "has no \"security\" (say [] for none)";
        return {};
    }
    std::string scope;
    bool oauth = false;
    for (const auto& requirement : op["security"])
        for (const auto& [scheme, scopes] : requirement.items()) {
            if (scheme != "oauth2") continue;
            if (oauth || scopes.size() > 1) problem = "names more than one oauth2 scope";
            oauth = true;
            scope = scopes.empty() ? "*" : scopes[0].get<std::string>();
        }
    return scope;
}

}  // namespace

TEST_CASE("openapi: the served description is docs/openapi.json") {
    std::ifstream in(std::string(DCE_TEST_SOURCE_DIR) + "/docs/openapi.json", std::ios::binary);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == api::openapi_json());
}

TEST_CASE("openapi: docs/openapi.json describes exactly Router::routes()") {
    std::string error;
    auto db = store::open_sqlite(":memory:", {}, error);
    REQUIRE(db);
    REQUIRE(store::migrate(*db, error));
    api::ClientStore clients(*db);
    api::TokenStore tokens(*db, std::string(32, 'k'), std::chrono::seconds(60));
    api::Router router;
    store::build_router(router, *db, clients, tokens);  // as dce-store serve does

    Json doc = Json::parse(api::openapi_json());
    // "METHOD PATH" -> scope, from each side.
    std::map<std::string, std::string> described, served;
    std::vector<std::string> differences;
    for (const auto& [path, item] : doc.at("paths").items())
        for (const auto& [method, op] : item.items()) {
            if (method == "parameters" || method == "summary" || method == "description") continue;
            std::string upper;
            for (char c : method)
                upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            std::string problem;
            described[upper + " " + path] = scope_of(op, problem);
            if (!problem.empty())
                differences.push_back("docs/openapi.json: " + upper + " " + path + " " + problem);
        }
    for (const auto& r : router.routes())
        served[r.method + " " + r.path] = r.scope;
    for (const auto& [key, scope] : served) {
        auto it = described.find(key);
        if (it == described.end())
            differences.push_back("route " + key + " (scope \"" + scope +
                                  "\") is missing from docs/openapi.json");
        else if (it->second != scope)
            differences.push_back("route " + key + ": scope \"" + scope +
                                  "\" in Router::routes(), \"" + it->second +
                                  "\" in docs/openapi.json");
    }
    for (const auto& [key, scope] : described)
        if (!served.count(key))
            differences.push_back("docs/openapi.json describes " + key + " (scope \"" + scope +
                                  "\"), which the server does not answer");
    for (const auto& d : differences)
        FAIL_CHECK(d);
    CHECK(differences.empty());
}
