// Route dispatch and the bearer-token check (router.hpp).
#include "api/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <exception>

namespace dce::api {
namespace {

Response unauthorized(int status, std::string_view error, std::string_view description,
                      std::string_view scope = {}) {
    Response r = problem(status, {}, description);
    std::string challenge = "Bearer realm=\"" + std::string(realm) + "\"";
    // RFC 6750 §3.1: a request without a token gets the bare challenge, no error code.
    if (!error.empty())
        challenge += ", error=\"" + std::string(error) + "\", error_description=\"" +
                     std::string(description) + "\"";
    if (!scope.empty()) challenge += ", scope=\"" + std::string(scope) + "\"";
    r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
    return r;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

}  // namespace

bool Principal::has_scope(std::string_view scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

// The rate limit for one request: per client for bearer routes (`who` set), else per
// peer address and per claimed client name. 429 with Retry-After (RFC 6585 §4).
std::optional<Response> Router::limited(const Request& req, const Principal* who) const {
    if (!limits_) return std::nullopt;
    auto now = limits_->clock ? limits_->clock() : RateLimiter::Clock::now();
    std::chrono::seconds wait{0};
    bool ok = true;
    if (who) {
        ok = !limits_->bearer || limits_->bearer->take(who->client, now, wait);
    } else {
        ok = !limits_->peer || limits_->peer->take(req.peer, now, wait);
        std::string name = ok && limits_->claimed && limits_->claimed_client
                               ? limits_->claimed_client(req)
                               : std::string();
        if (!name.empty()) ok = limits_->claimed->take(name, now, wait);
    }
    if (ok) return std::nullopt;
    Response r =
        problem(429, {}, "too many requests; retry after " + std::to_string(wait.count()) + " s");
    r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
    if (who) r.client = who->client;
    return r;
}

void Router::add(Route route) {
    routes_.push_back(std::move(route));
}

Response Router::dispatch(const Request& req, Authenticator& auth) const {
    const Route* match = nullptr;
    std::string allow;
    for (const auto& r : routes_) {
        if (r.path != req.path) continue;
        if (r.method == req.method) match = &r;
        allow += (allow.empty() ? "" : ", ") + r.method;
    }
    if (!match) {
        if (allow.empty()) return problem(404, {}, "no such endpoint");
        Response r = problem(405, {}, "allowed: " + allow);
        r.headers.emplace_back("Allow", allow);
        return r;
    }
    Principal who;
    if (match->scope.empty())
        if (auto r = limited(req, nullptr)) return *r;
    if (!match->scope.empty()) {
        auto authz = req.header("authorization");
        if (!authz) return unauthorized(401, {}, "an access token is required");
        if (!iequals_prefix(*authz, "bearer "))
            return unauthorized(401, "invalid_request", "expected Authorization: Bearer TOKEN");
        std::string_view token = std::string_view(*authz).substr(7);
        while (!token.empty() && token.front() == ' ')
            token.remove_prefix(1);
        if (token.empty() || !auth.authenticate(token, who))
            return unauthorized(401, "invalid_token", "the access token is invalid or expired");
        if (auto r = limited(req, &who)) return *r;
        if (match->scope != any_scope && !who.has_scope(match->scope)) {
            Response r =
                unauthorized(403, "insufficient_scope",
                             "the access token lacks the scope " + match->scope, match->scope);
            r.client = who.client;
            return r;
        }
    }
    Response r;
    try {
        r = match->handler(req, who);
    } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", req.method, req.path, e.what());
        r = problem(500, {}, "internal error");
    }
    if (r.client.empty()) r.client = who.client;
    return r;
}

}  // namespace dce::api
