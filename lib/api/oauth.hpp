#pragma once
// OAuth2 client-credentials (RFC 6749 §4.4) over the store's database: clients with
// scrypt-hashed secrets (api_clients), opaque access tokens kept only as HMAC-SHA256
// under the server key (api_tokens), the token endpoint, and RFC 7009 revocation.
// docs/API.md explains the choices.

#include "api/router.hpp"
#include "store/db.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dce::api {

/// The scopes a client may hold.
inline constexpr std::string_view known_scopes[] = {"read:inventory", "read:readings",
                                                    "read:events", "read:findings"};

/// Splits a scope list (commas or spaces), refusing unknown or empty ones; sorted, unique.
bool parse_scopes(std::string_view list, std::vector<std::string>& out, std::string& error);
std::string join_scopes(const std::vector<std::string>& scopes, char sep = ' ');

/// Client names: 1-64 of [A-Za-z0-9._-], so they survive Basic auth and logs unescaped.
bool valid_client_name(std::string_view name);

struct ClientInfo {
    std::string name;
    std::vector<std::string> scopes;
    std::optional<std::string> site;  ///< nullopt: every site
    std::int64_t created = 0;         ///< ms since the epoch
};

class ClientStore {
  public:
    explicit ClientStore(store::Db& db) : db_(db) {}
    /// Creates a client with a fresh 256-bit secret, returned once in `secret`.
    bool add(const ClientInfo& info, std::string& secret, std::string& error);
    bool list(std::vector<ClientInfo>& out, std::string& error);
    /// Removes a client and every token it holds; `found` false when there was none.
    bool remove(std::string_view name, bool& found, std::string& error);
    /// True when `name` exists and `secret` is its secret. An unknown name costs the same
    /// scrypt as a known one, so timing does not tell which names exist.
    bool verify(std::string_view name, std::string_view secret, ClientInfo& out,
                std::string& error);

  private:
    store::Db& db_;
};

class TokenStore : public Authenticator {
  public:
    using Clock = std::function<std::int64_t()>;  ///< ms since the epoch
    TokenStore(store::Db& db, std::string key, std::chrono::seconds lifetime, Clock clock = {});
    /// Issues a token for `client` with `scopes` (a subset of the client's).
    bool issue(const ClientInfo& client, const std::vector<std::string>& scopes, std::string& token,
               std::string& error);
    bool authenticate(std::string_view token, Principal& who) override;
    /// RFC 7009: forgets `token` if `client` holds it; unknown tokens are no error.
    bool revoke(std::string_view token, std::string_view client, std::string& error);
    std::chrono::seconds lifetime() const { return lifetime_; }

  private:
    std::string digest(std::string_view token) const;
    std::int64_t now() const;
    store::Db& db_;
    std::string key_;
    std::chrono::seconds lifetime_;
    Clock clock_;
};

/// Reads the server's HMAC key (32 bytes) from `path`, making it (mode 0600, directory
/// 0700 when made) when absent. Refuses a key file readable by group or others.
bool load_or_create_key(const std::string& path, std::string& key, std::string& error);

/// Where the key lives unless --token-key says: beside a SQLite database
/// (DB + ".token-key"); for PostgreSQL $STATE_DIRECTORY/api-token.key (systemd), else
/// $XDG_STATE_HOME/dce/api-token.key or ~/.local/state/dce/api-token.key.
std::string default_key_path(const std::string& db_spec);

/// The client name a token or revocation request claims (HTTP Basic user, else the
/// form's client_id), unverified: the key of the token endpoint's rate limit. Empty when
/// the request names none.
std::string claimed_client(const Request& req);

/// POST /oauth2/token and POST /oauth2/revoke.
void add_oauth_routes(Router& router, ClientStore& clients, TokenStore& tokens);

}  // namespace dce::api
