// OAuth2 client-credentials over the store's database (oauth.hpp).
#include "api/oauth.hpp"

#include "core/record.hpp"
#include "crypto/secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace dce::api {
namespace {

using store::Stmt;

std::int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

// A dummy hash verified for unknown client names, so a miss costs one scrypt too.
const std::string& dummy_hash() {
    static const std::string h = crypto::scrypt_hash("dce-store: no such client");
    return h;
}

void bind_site(Stmt& st, int i, const std::optional<std::string>& site) {
    if (site)
        st.bind_text(i, *site);
    else
        st.bind_null(i);
}

// RFC 6749 §5.2 error response.
Response oauth_error(int status, std::string_view error, std::string_view description) {
    Response r;
    r.status = status;
    r.body = Json{{"error", error}, {"error_description", description}}.dump(
        -1, ' ', false, Json::error_handler_t::replace);  // may quote request bytes
    r.headers.emplace_back("Cache-Control", "no-store");
    if (error == "invalid_client")
        r.headers.emplace_back("WWW-Authenticate",
                               "Basic realm=\"" + std::string(realm) + "\", charset=\"UTF-8\"");
    return r;
}

// The client's credentials from HTTP Basic (client_secret_basic: both parts
// form-urlencoded, RFC 6749 §2.3.1) or from the body (client_secret_post), never both.
// Returns an error response, or nullopt with id and secret set.
std::optional<Response> client_credentials(const Request& req, const Params& form, std::string& id,
                                           std::string& secret) {
    int in_body = 0;
    for (const auto& [k, v] : form) {
        if (k == "client_id") id = v, ++in_body;
        if (k == "client_secret") secret = v, ++in_body;
    }
    auto authz = req.header("authorization");
    if (authz) {
        if (in_body) return oauth_error(400, "invalid_request", "use one client authentication");
        std::string_view a = *authz;
        if (a.size() < 6 || (a.substr(0, 6) != "Basic " && a.substr(0, 6) != "basic "))
            return oauth_error(401, "invalid_client", "client authentication failed");
        auto decoded = crypto::from_base64(a.substr(6));
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos ||
            !percent_decode(std::string_view(*decoded).substr(0, colon), id, true) ||
            !percent_decode(std::string_view(*decoded).substr(colon + 1), secret, true))
            return oauth_error(401, "invalid_client", "client authentication failed");
        return std::nullopt;
    }
    if (id.empty() || secret.empty())
        return oauth_error(401, "invalid_client", "client authentication failed");
    return std::nullopt;
}

// The checks both OAuth2 endpoints share: a form body, no repeated parameter.
std::optional<Response> read_form(const Request& req, Params& form) {
    auto type = req.header("content-type").value_or("");
    if (!type.starts_with("application/x-www-form-urlencoded"))
        return oauth_error(400, "invalid_request",
                           "the body must be application/x-www-form-urlencoded");
    std::string error;
    if (!parse_form(req.body, form, error)) return oauth_error(400, "invalid_request", error);
    for (std::size_t i = 0; i < form.size(); ++i)
        for (std::size_t j = i + 1; j < form.size(); ++j)
            if (form[i].first == form[j].first)
                return oauth_error(400, "invalid_request",
                                   "parameter " + form[i].first + " given more than once");
    return std::nullopt;
}

std::string param(const Params& form, std::string_view name) {
    for (const auto& [k, v] : form)
        if (k == name) return v;
    return {};
}

// Both endpoints: the form, the client's credentials, `checks` on the form (cheap, so a
// malformed request costs no scrypt), then the secret. A response means refused.
std::optional<Response> authenticate(
    const Request& req, ClientStore& clients, Params& form, ClientInfo& client,
    const std::function<std::optional<Response>(const Params&)>& checks) {
    if (auto bad = read_form(req, form)) return bad;
    std::string id, secret, error;
    if (auto bad = client_credentials(req, form, id, secret)) return bad;
    if (auto bad = checks(form)) return bad;
    if (!clients.verify(id, secret, client, error)) {
        if (!error.empty()) return problem(500, {}, "store error");
        return oauth_error(401, "invalid_client", "client authentication failed");
    }
    return std::nullopt;
}

}  // namespace

bool parse_scopes(std::string_view list, std::vector<std::string>& out, std::string& error) {
    out.clear();
    std::size_t start = 0;
    while (start <= list.size()) {
        auto end = list.find_first_of(", ", start);
        if (end == std::string_view::npos) end = list.size();
        auto s = list.substr(start, end - start);
        if (!s.empty()) {
            if (std::find(std::begin(known_scopes), std::end(known_scopes), s) ==
                std::end(known_scopes)) {
                error = "unknown scope \"" + std::string(s) + "\" (known: read:inventory, " +
                        "read:readings, read:events, read:findings)";
                return false;
            }
            out.emplace_back(s);
        }
        start = end + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty()) {
        error = "no scope given";
        return false;
    }
    return true;
}

std::string join_scopes(const std::vector<std::string>& scopes, char sep) {
    std::string out;
    for (const auto& s : scopes)
        out += (out.empty() ? "" : std::string(1, sep)) + s;
    return out;
}

bool valid_client_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

// ---- clients -------------------------------------------------------------------------

bool ClientStore::add(const ClientInfo& info, std::string& secret, std::string& error) {
    if (!valid_client_name(info.name)) {
        error = "client name must be 1-64 characters of A-Z a-z 0-9 . _ -";
        return false;
    }
    std::string raw = crypto::random_bytes(32);
    if (raw.empty()) return error = "no random bytes from OpenSSL", false;
    std::string s = crypto::base64url(raw);
    std::string hash = crypto::scrypt_hash(s);
    if (hash.empty()) return error = "scrypt failed", false;
    auto st = db_.prepare(
        "INSERT INTO api_clients (name, secret_hash, scopes, site, created) "
        "VALUES ($1, $2, $3, $4, $5)",
        error);
    if (!st) return false;
    st->bind_text(1, info.name);
    st->bind_text(2, hash);
    st->bind_text(3, join_scopes(info.scopes));
    bind_site(*st, 4, info.site);
    st->bind_int(5, system_ms());
    if (st->step() != Stmt::Step::done) {
        error = st->error();
        if (error.find("UNIQUE") != std::string::npos ||
            error.find("duplicate") != std::string::npos)
            error = "a client named " + info.name + " exists already (remove it first)";
        return false;
    }
    secret = std::move(s);
    return true;
}

bool ClientStore::list(std::vector<ClientInfo>& out, std::string& error) {
    auto st =
        db_.prepare("SELECT name, scopes, site, created FROM api_clients ORDER BY name", error);
    if (!st) return false;
    for (;;) {
        auto s = st->step();
        if (s == Stmt::Step::done) return true;
        if (s == Stmt::Step::error) return error = st->error(), false;
        ClientInfo c;
        c.name = st->col_text(0);
        std::string e;
        parse_scopes(st->col_text(1), c.scopes, e);
        if (!st->is_null(2)) c.site = st->col_text(2);
        c.created = st->col_int(3);
        out.push_back(std::move(c));
    }
}

bool ClientStore::remove(std::string_view name, bool& found, std::string& error) {
    if (!db_.begin_write(error)) return false;
    auto del = [&](const char* sql, std::int64_t& n) {
        auto st = db_.prepare(sql, error);
        if (!st) return false;
        st->bind_text(1, name);
        if (st->step() != Stmt::Step::done) return error = st->error(), false;
        n = st->changes();
        return true;
    };
    std::int64_t tokens = 0, clients = 0;
    if (!del("DELETE FROM api_tokens WHERE client = $1", tokens) ||
        !del("DELETE FROM api_clients WHERE name = $1", clients) || !db_.commit(error)) {
        db_.rollback();
        return false;
    }
    found = clients > 0;
    return true;
}

bool ClientStore::verify(std::string_view name, std::string_view secret, ClientInfo& out,
                         std::string& error) {
    std::string stored;
    bool known = false;
    if (valid_client_name(name)) {
        auto st = db_.prepare(
            "SELECT secret_hash, scopes, site, created FROM api_clients WHERE name = $1", error);
        if (!st) return false;
        st->bind_text(1, name);
        auto s = st->step();
        if (s == Stmt::Step::error) return error = st->error(), false;
        if (s == Stmt::Step::row) {
            known = true;
            stored = st->col_text(0);
            out.name = std::string(name);
            std::string e;
            parse_scopes(st->col_text(1), out.scopes, e);
            if (!st->is_null(2)) out.site = st->col_text(2);
            out.created = st->col_int(3);
        }
    }
    bool ok = crypto::scrypt_verify(secret, known ? stored : dummy_hash());
    return known && ok;
}

// ---- tokens --------------------------------------------------------------------------

TokenStore::TokenStore(store::Db& db, std::string key, std::chrono::seconds lifetime, Clock clock)
    : db_(db), key_(std::move(key)), lifetime_(lifetime), clock_(std::move(clock)) {}

std::int64_t TokenStore::now() const {
    return clock_ ? clock_() : system_ms();
}

std::string TokenStore::digest(std::string_view token) const {
    return to_hex(crypto::hmac_sha256(key_, token));
}

bool TokenStore::issue(const ClientInfo& client, const std::vector<std::string>& scopes,
                       std::string& token, std::string& error) {
    std::string raw = crypto::random_bytes(32);
    if (raw.empty()) return error = "no random bytes from OpenSSL", false;
    std::string t = crypto::base64url(raw);
    std::int64_t at = now();
    if (!db_.begin_write(error)) return false;
    // Expired tokens are deleted as new ones are issued, so the table stays small.
    auto purge = db_.prepare("DELETE FROM api_tokens WHERE expires <= $1", error);
    auto st = purge ? db_.prepare(
                          "INSERT INTO api_tokens (hash, client, scopes, site, expires) "
                          "VALUES ($1, $2, $3, $4, $5)",
                          error)
                    : nullptr;
    bool ok = st != nullptr;
    if (ok) {
        purge->bind_int(1, at);
        ok = purge->step() == Stmt::Step::done;
        if (!ok) error = purge->error();
    }
    if (ok) {
        st->bind_text(1, digest(t));
        st->bind_text(2, client.name);
        st->bind_text(3, join_scopes(scopes));
        bind_site(*st, 4, client.site);
        st->bind_int(5, at + lifetime_.count() * 1000);
        ok = st->step() == Stmt::Step::done;
        if (!ok) error = st->error();
    }
    if (!ok || !db_.commit(error)) {
        db_.rollback();
        return false;
    }
    token = std::move(t);
    return true;
}

bool TokenStore::authenticate(std::string_view token, Principal& who) {
    // Tokens are 43 base64url characters; anything else is not worth a lookup. The lookup
    // is by HMAC, which a client cannot steer, so an index probe leaks nothing usable.
    if (token.size() != 43 || !crypto::from_base64url(token)) return false;
    std::string error;
    auto st =
        db_.prepare("SELECT client, scopes, site, expires FROM api_tokens WHERE hash = $1", error);
    if (!st) return false;
    st->bind_text(1, digest(token));
    if (st->step() != Stmt::Step::row) return false;
    if (st->col_int(3) <= now()) return false;
    who.client = st->col_text(0);
    std::string e;
    parse_scopes(st->col_text(1), who.scopes, e);
    who.site.reset();
    if (!st->is_null(2)) who.site = st->col_text(2);
    return true;
}

bool TokenStore::revoke(std::string_view token, std::string_view client, std::string& error) {
    auto st = db_.prepare("DELETE FROM api_tokens WHERE hash = $1 AND client = $2", error);
    if (!st) return false;
    st->bind_text(1, digest(token));
    st->bind_text(2, client);
    if (st->step() != Stmt::Step::done) return error = st->error(), false;
    return true;
}

// ---- key file ------------------------------------------------------------------------

bool load_or_create_key(const std::string& path, std::string& key, std::string& error) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            struct stat sb {};
            char buf[64];
            ssize_t n = ::fstat(fd, &sb) == 0 ? ::read(fd, buf, sizeof buf) : -1;
            ::close(fd);
            if ((sb.st_mode & 077) != 0) {
                error = path +
                        ": the token key file must not be readable by group or others "
                        "(chmod 600)";
                return false;
            }
            if (n != 32) {
                error = path + ": not a token key (32 bytes)";
                return false;
            }
            key.assign(buf, 32);
            return true;
        }
        if (errno != ENOENT) {
            error = path + ": " + std::strerror(errno);
            return false;
        }
        auto slash = path.rfind('/');
        if (slash != std::string::npos && slash > 0) {
            std::string dir = path.substr(0, slash);
            for (auto p = dir.find('/', 1);; p = dir.find('/', p + 1)) {
                ::mkdir(dir.substr(0, p).c_str(), 0700);
                if (p == std::string::npos) break;
            }
        }
        std::string fresh = crypto::random_bytes(32);
        if (fresh.empty()) return error = "no random bytes from OpenSSL", false;
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST) continue;  // another server made it first: read theirs
            error = path + ": " + std::strerror(errno);
            return false;
        }
        bool ok = ::write(fd, fresh.data(), fresh.size()) == 32 && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) {
            ::unlink(path.c_str());
            error = path + ": cannot write the token key";
            return false;
        }
        key = std::move(fresh);
        return true;
    }
    error = path + ": cannot read or make the token key";
    return false;
}

std::string default_key_path(const std::string& db_spec) {
    if (!db_spec.starts_with("postgresql://") && !db_spec.starts_with("postgres://"))
        return db_spec + ".token-key";
    if (const char* s = std::getenv("STATE_DIRECTORY"); s && *s) {
        std::string first(s);
        return first.substr(0, first.find(':')) + "/api-token.key";
    }
    if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x)
        return std::string(x) + "/dce/api-token.key";
    const char* home = std::getenv("HOME");
    return std::string(home ? home : ".") + "/.local/state/dce/api-token.key";
}

// ---- endpoints -----------------------------------------------------------------------

std::string claimed_client(const Request& req) {
    std::string id, secret;
    Params form;
    std::string error;
    if (!req.header("authorization")) parse_form(req.body, form, error);  // a bad form names no one
    client_credentials(req, form, id, secret);
    // Names no client can have share one bucket (and cannot collide with a real name).
    if (!id.empty() && !valid_client_name(id)) return "(invalid)";
    return id;
}

void add_oauth_routes(Router& router, ClientStore& clients, TokenStore& tokens) {
    router.add({"POST", "/oauth2/token", "",
                [&clients, &tokens](const Request& req, const Principal&) {
                    Params form;
                    ClientInfo client;
                    std::string error;
                    auto bad = authenticate(req, clients, form, client, [](const Params& f) {
                        std::string grant = param(f, "grant_type");
                        if (grant.empty())
                            return std::optional(
                                oauth_error(400, "invalid_request", "grant_type is required"));
                        if (grant != "client_credentials")
                            return std::optional(
                                oauth_error(400, "unsupported_grant_type",
                                            "only client_credentials is supported"));
                        return std::optional<Response>();
                    });
                    if (bad) return *bad;
                    std::vector<std::string> scopes = client.scopes;
                    if (std::string asked = param(form, "scope"); !asked.empty()) {
                        if (!parse_scopes(asked, scopes, error))
                            return oauth_error(400, "invalid_scope", error);
                        for (const auto& s : scopes)
                            if (std::find(client.scopes.begin(), client.scopes.end(), s) ==
                                client.scopes.end())
                                return oauth_error(400, "invalid_scope",
                                                   "the client may not have the scope " + s);
                    }
                    std::string token;
                    if (!tokens.issue(client, scopes, token, error))
                        return problem(500, {}, "store error");
                    Response r;
                    r.client = client.name;
                    r.headers.emplace_back("Cache-Control", "no-store");
                    r.headers.emplace_back("Pragma", "no-cache");
                    // RFC 6749 §4.4.3: no refresh token for client credentials.
                    r.body = Json{{"access_token", token},
                                  {"token_type", "Bearer"},
                                  {"expires_in", tokens.lifetime().count()},
                                  {"scope", join_scopes(scopes)}}
                                 .dump();
                    return r;
                },
                "OAuth2 client-credentials token endpoint (RFC 6749 §4.4)"});
    router.add({"POST", "/oauth2/revoke", "",
                [&clients, &tokens](const Request& req, const Principal&) {
                    Params form;
                    ClientInfo client;
                    std::string error;
                    auto bad = authenticate(req, clients, form, client, [](const Params& f) {
                        if (param(f, "token").empty())
                            return std::optional(
                                oauth_error(400, "invalid_request", "token is required"));
                        return std::optional<Response>();
                    });
                    if (bad) return *bad;
                    std::string token = param(form, "token");
                    if (!tokens.revoke(token, client.name, error))
                        return problem(500, {}, "store error");
                    Response r;  // RFC 7009 §2.2: 200 whether or not the token was valid
                    r.client = client.name;
                    r.body = "{}";
                    return r;
                },
                "OAuth2 token revocation (RFC 7009)"});
}

}  // namespace dce::api
