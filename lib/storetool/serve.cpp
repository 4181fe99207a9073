// dce-store serve and dce-store client: glue between the store's options and lib/api.
#include "api/changes.hpp"
#include "api/endpoints.hpp"
#include "api/oauth.hpp"
#include "api/openapi.hpp"
#include "api/prometheus.hpp"
#include "api/ratelimit.hpp"
#include "api/server.hpp"
#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/record.hpp"
#include "core/signals.hpp"
#include "core/time.hpp"
#include "storetool/storetool.hpp"

#include <thread>

namespace dce::store {

void build_router(api::Router& router, Db& db, api::ClientStore& clients, api::TokenStore& tokens) {
    api::add_oauth_routes(router, clients, tokens);
    api::add_openapi_route(router);
    api::add_data_routes(router, db);
    api::add_changes_route(router, db);
    api::add_prometheus_routes(router, db);
}

namespace {

// One handler thread's own database connection, OAuth2 stores and routes.
struct Worker {
    std::unique_ptr<Db> db;
    std::unique_ptr<api::ClientStore> clients;
    std::unique_ptr<api::TokenStore> tokens;
    api::Router router;
};

}  // namespace

int run_serve(ToolContext& ctx, const StoreOptions& o) {
    auto lifetime = parse_duration(o.token_lifetime);
    if (!lifetime || lifetime->count() < 1000 || *lifetime > std::chrono::hours(24)) {
        spdlog::error("--token-lifetime: \"{}\" is not a duration from 1s to 24h",
                      o.token_lifetime);
        return exit_usage;
    }
    auto header_timeout = parse_duration(o.header_timeout);
    auto body_timeout = parse_duration(o.body_timeout);
    for (auto [name, d] :
         {std::pair{"--header-timeout", header_timeout}, std::pair{"--body-timeout", body_timeout}})
        if (!d || d->count() < 100 || *d > std::chrono::minutes(10)) {
            spdlog::error("{}: not a duration from 100ms to 10m", name);
            return exit_usage;
        }
    std::string error;
    api::RateSpec bearer_rate, token_rate, peer_rate;
    for (auto [name, text, spec] :
         {std::tuple{"--rate-limit", &o.rate_limit, &bearer_rate},
          std::tuple{"--token-rate-limit", &o.token_rate_limit, &token_rate},
          std::tuple{"--token-peer-rate-limit", &o.token_peer_rate_limit, &peer_rate}})
        if (!api::parse_rate(*text, *spec, error)) {
            spdlog::error("{}: {}", name, error);
            return exit_usage;
        }
    unsigned nworkers = o.workers;
    if (nworkers == 0) nworkers = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    std::string key_path = o.token_key.empty() ? api::default_key_path(resolve_db(o)) : o.token_key;
    std::string key;
    int status = exit_ok;
    // One connection per worker (SQLite in WAL mode: concurrent readers beside one
    // writer; PostgreSQL: one session each). The first open migrates the schema.
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < nworkers; ++i) {
        auto w = std::make_unique<Worker>();
        w->db = open_store(ctx, o, Access::write, status);
        if (!w->db) return status;
        if (i == 0 && !api::load_or_create_key(key_path, key, error)) {
            spdlog::error("{}", error);
            return exit_runtime;
        }
        w->clients = std::make_unique<api::ClientStore>(*w->db);
        w->tokens = std::make_unique<api::TokenStore>(
            *w->db, key, std::chrono::duration_cast<std::chrono::seconds>(*lifetime));
        build_router(w->router, *w->db, *w->clients, *w->tokens);
        workers.push_back(std::move(w));
    }
    // Shared by every worker (the limiters lock).
    api::RateLimiter bearer_limiter(bearer_rate), token_limiter(token_rate),
        peer_limiter(peer_rate);
    api::RateLimits limits{.bearer = &bearer_limiter,
                           .claimed = &token_limiter,
                           .peer = &peer_limiter,
                           .claimed_client = api::claimed_client,
                           .clock = {}};
    std::vector<api::Backend> backends;
    for (auto& w : workers) {
        w->router.set_limits(&limits);
        backends.push_back({&w->router, w->tokens.get()});
    }
    api::ServerOptions so;
    so.listen = o.listen;
    so.cert = o.cert;
    so.key = o.key;
    so.insecure_http = o.insecure_http;
    so.max_connections = o.max_connections;
    so.max_body_bytes = o.max_body;
    so.header_timeout = *header_timeout;
    so.body_timeout = *body_timeout;
    api::Server server(so, std::move(backends));
    if (!server.open(error)) {
        spdlog::error("{}", error);
        return exit_usage;
    }
    spdlog::info("serving {} on {}://{} with {} worker{} (token key {})",
                 workers.front()->db->describe(), o.insecure_http ? "http" : "https",
                 server.local_address(), nworkers, nworkers == 1 ? "" : "s", key_path);
    server.run([] { return dce::interrupted(); });
    // A clean stop (systemctl stop sends SIGTERM) is success for a server.
    spdlog::info("stopped");
    return exit_ok;
}

int run_client_add(ToolContext& ctx, const StoreOptions& o) {
    api::ClientInfo info;
    info.name = o.client_name;
    std::string error;
    if (!api::valid_client_name(info.name)) {
        spdlog::error("client name must be 1-64 characters of A-Z a-z 0-9 . _ -");
        return exit_usage;
    }
    if (!api::parse_scopes(o.scopes, info.scopes, error)) {
        spdlog::error("--scope: {}", error);
        return exit_usage;
    }
    if (!o.site.empty()) info.site = o.site;
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::create, status);
    if (!db) return status;
    api::ClientStore clients(*db);
    std::string secret;
    if (!clients.add(info, secret, error)) {
        spdlog::error("{}", error);
        return exit_runtime;
    }
    // The only time the secret exists outside the client: it is stored as a hash.
    Json out{{"client_id", info.name},
             {"client_secret", secret},
             {"scope", api::join_scopes(info.scopes)}};
    if (info.site) out["site"] = *info.site;
    write_all(1, out.dump() + "\n");
    spdlog::info("client {} added; its secret is shown once, above", info.name);
    return exit_ok;
}

int run_client_list(ToolContext& ctx, const StoreOptions& o) {
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::write, status);
    if (!db) return status;
    api::ClientStore clients(*db);
    std::vector<api::ClientInfo> list;
    std::string error;
    if (!clients.list(list, error)) {
        spdlog::error("{}", error);
        return exit_runtime;
    }
    std::string text;
    for (const auto& c : list) {
        Json j{{"client_id", c.name},
               {"scope", api::join_scopes(c.scopes)},
               {"created", format_ms(c.created)}};
        if (c.site) j["site"] = *c.site;
        text += j.dump() + "\n";
    }
    write_all(1, text);
    return exit_ok;
}

int run_client_remove(ToolContext& ctx, const StoreOptions& o) {
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::write, status);
    if (!db) return status;
    api::ClientStore clients(*db);
    bool found = false;
    std::string error;
    if (!clients.remove(o.client_name, found, error)) {
        spdlog::error("{}", error);
        return exit_runtime;
    }
    if (!found) {
        spdlog::error("no client named {}", o.client_name);
        return exit_usage;
    }
    spdlog::info("client {} removed, with its tokens", o.client_name);
    return exit_ok;
}

}  // namespace dce::store
