// dce-store serve and dce-store client: glue between the store's options and lib/api.
#include "api/endpoints.hpp"
#include "api/oauth.hpp"
#include "api/prometheus.hpp"
#include "api/server.hpp"
#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/record.hpp"
#include "core/signals.hpp"
#include "core/time.hpp"
#include "storetool/storetool.hpp"

namespace dce::store {

int run_serve(ToolContext& ctx, const StoreOptions& o) {
    auto lifetime = parse_duration(o.token_lifetime);
    if (!lifetime || lifetime->count() < 1000 || *lifetime > std::chrono::hours(24)) {
        spdlog::error("--token-lifetime: \"{}\" is not a duration from 1s to 24h",
                      o.token_lifetime);
        return exit_usage;
    }
    auto header_timeout = parse_duration(o.header_timeout);
    auto body_timeout = parse_duration(o.body_timeout);
    for (auto [name, d] : {std::pair{"--header-timeout", header_timeout},
                           std::pair{"--body-timeout", body_timeout}})
        if (!d || d->count() < 100 || *d > std::chrono::minutes(10)) {
            spdlog::error("{}: not a duration from 100ms to 10m", name);
            return exit_usage;
        }
    int status = exit_ok;
    auto db = open_store(ctx, o, Access::write, status);
    if (!db) return status;
    std::string key_path = o.token_key.empty() ? api::default_key_path(resolve_db(o)) : o.token_key;
    std::string key, error;
    if (!api::load_or_create_key(key_path, key, error)) {
        spdlog::error("{}", error);
        return exit_runtime;
    }
    api::ClientStore clients(*db);
    api::TokenStore tokens(*db, std::move(key),
                           std::chrono::duration_cast<std::chrono::seconds>(*lifetime));
    api::Router router;
    api::add_oauth_routes(router, clients, tokens);
    api::add_data_routes(router, *db);
    api::add_prometheus_routes(router, *db);
    api::ServerOptions so;
    so.listen = o.listen;
    so.cert = o.cert;
    so.key = o.key;
    so.insecure_http = o.insecure_http;
    so.max_connections = o.max_connections;
    so.max_body_bytes = o.max_body;
    so.header_timeout = *header_timeout;
    so.body_timeout = *body_timeout;
    api::Server server(so, router, tokens);
    if (!server.open(error)) {
        spdlog::error("{}", error);
        return exit_usage;
    }
    spdlog::info("serving {} on {}://{} (token key {})", db->describe(),
                 o.insecure_http ? "http" : "https", server.local_address(), key_path);
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
