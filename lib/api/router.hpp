#pragma once
// The API's route table: method, path, required OAuth2 scope and handler. The table is
// the one list of what the server answers: the OpenAPI description (to come, issue 13)
// is checked against routes(). Dispatch does the bearer-token check (RFC 6750) before a
// handler runs, so no handler can forget it.

#include "api/http.hpp"
#include "api/ratelimit.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dce::api {

/// Who a valid access token belongs to.
struct Principal {
    std::string client;
    std::vector<std::string> scopes;
    /// The site the client is bound to; nullopt: every site.
    std::optional<std::string> site;
    bool has_scope(std::string_view scope) const;
};

/// Checks bearer tokens (TokenStore in oauth.hpp; fakes in tests).
class Authenticator {
  public:
    virtual ~Authenticator() = default;
    /// True and `who` filled when the token is known, unexpired and unrevoked.
    virtual bool authenticate(std::string_view token, Principal& who) = 0;
};

/// Route::scope meaning "any valid access token, whatever its scopes" (the handler
/// filters by scope itself: GET /api/v1/changes).
inline constexpr std::string_view any_scope = "*";

using Handler = std::function<Response(const Request&, const Principal&)>;

/// The rate limits `Router::dispatch` applies (docs/API.md), shared by every worker's
/// router. A null limiter is no limit. Refused requests get 429 with Retry-After.
struct RateLimits {
    RateLimiter* bearer = nullptr;  ///< routes with a scope: per authenticated client id
    /// Routes without a bearer token (the OAuth2 endpoints, whose every attempt costs an
    /// scrypt, and the OpenAPI description): per client name the request claims, and per
    /// peer address, so made-up names cannot be used to go round the first.
    RateLimiter* claimed = nullptr;
    RateLimiter* peer = nullptr;
    std::function<std::string(const Request&)> claimed_client;  ///< api::claimed_client
    std::function<RateLimiter::Clock::time_point()> clock;      ///< default steady_clock
};

struct Route {
    std::string method;  ///< GET, POST
    std::string path;    ///< exact path, e.g. /api/v1/devices
    /// OAuth2 scope a bearer token must carry; empty: no bearer token (the OAuth2
    /// endpoints, which authenticate the client themselves).
    std::string scope;
    Handler handler;
    std::string summary;  ///< one line, for the OpenAPI description
};

class Router {
  public:
    void add(Route route);
    const std::vector<Route>& routes() const { return routes_; }
    /// 404 for an unknown path, 405 (with Allow) for a known path and another method,
    /// 401/403 with WWW-Authenticate for a missing, invalid or under-scoped token, else
    /// the handler's response (500 problem if it throws).
    Response dispatch(const Request& req, Authenticator& auth) const;
    /// Applies `limits` (kept by the caller) from now on.
    void set_limits(const RateLimits* limits) { limits_ = limits; }

  private:
    std::optional<Response> limited(const Request& req, const Principal* who) const;
    std::vector<Route> routes_;
    const RateLimits* limits_ = nullptr;
};

/// The realm named in WWW-Authenticate.
inline constexpr std::string_view realm = "dce-store";

}  // namespace dce::api
