#pragma once
// dce-store's subcommands, called from tools/dce-store/main.cpp (which only fills
// StoreOptions). Each returns an exit status from core/exit_codes.hpp.

#include "core/context.hpp"
#include "store/db.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dce::api {
class Router;
class ClientStore;
class TokenStore;
}  // namespace dce::api

namespace dce::store {

struct StoreOptions {
    std::string db;          ///< path or postgresql:// URL; empty: DCE_DB or the default
    std::string credential;  ///< entry NAME of kind password
    std::string site;        ///< --site
    bool all_sites = false;

    // ingest / import
    std::string input = "-";
    std::size_t batch = 5000;
    std::string commit_interval = "1s";
    std::string ack_file;

    // query
    std::string what = "readings";
    std::vector<std::string> devices, metrics, labels, status, severity, checks, types;
    std::string since, until, every;
    bool changed = false;  ///< findings: what changed between the last two audit runs
    bool last = false;
    std::int64_t limit = 0;
    std::string format;  ///< json, csv, table; empty: table on a terminal, else json

    // prune
    std::string keep = "30d";
    std::vector<std::string> keep_per_kind;  ///< KIND=DURATION
    bool dry_run = false;
    bool vacuum = false;

    // export
    std::string output = "-";

    // backup
    std::string backup_dest;
    bool force = false;

    // serve (lib/api)
    std::string listen = "127.0.0.1:8470";
    std::string cert, key;
    bool insecure_http = false;
    std::string token_key;  ///< the HMAC key file; empty: api::default_key_path
    std::string token_lifetime = "15m";
    std::string header_timeout = "10s";  ///< the whole request header, and keep-alive idle
    std::string body_timeout = "30s";
    std::size_t max_connections = 128;
    std::size_t max_body = 64 * 1024;
    unsigned workers = 0;  ///< handler threads, each with its own connection; 0: min(4, cores)
    std::string rate_limit = "50/s:100";            ///< per client, bearer routes
    std::string token_rate_limit = "5/s:10";        ///< per claimed client, /oauth2/*
    std::string token_peer_rate_limit = "20/s:40";  ///< per peer address, /oauth2/*

    // client add/remove
    std::string client_name;
    std::string scopes;
};

/// --db, else $DCE_DB, else default_db_path().
std::string resolve_db(const StoreOptions& o);

/// How a subcommand uses the store: ingest creates it, prune, migrate and serve change an
/// existing one, and the readers open it read-only, so a store on read-only media (or a
/// snapshot) can be queried.
enum class Access { create, write, read };
/// Opens the store and brings its schema up to date. Usage errors (a password in the
/// URL, a missing credential) set status 2; an unreachable server 3. `before` gets the
/// schema version found.
std::unique_ptr<Db> open_store(ToolContext& ctx, const StoreOptions& o, Access access, int& status,
                               int* before = nullptr);

/// The database used when neither --db nor DCE_DB names one:
/// $XDG_DATA_HOME/dce/store.db, or ~/.local/share/dce/store.db.
std::string default_db_path();

int run_ingest(ToolContext& ctx, const StoreOptions& o);
int run_query(ToolContext& ctx, const StoreOptions& o);
int run_prune(ToolContext& ctx, const StoreOptions& o);
int run_export(ToolContext& ctx, const StoreOptions& o);
int run_stats(ToolContext& ctx, const StoreOptions& o);
int run_sites(ToolContext& ctx, const StoreOptions& o);
int run_migrate(ToolContext& ctx, const StoreOptions& o);
/// dce-store serve: the HTTPS API (lib/api, docs/API.md).
int run_serve(ToolContext& ctx, const StoreOptions& o);
/// Every route dce-store serve answers, over one database connection (each worker has
/// its own). The OpenAPI drift test (serve_test.cpp) builds its router here too.
void build_router(api::Router& router, Db& db, api::ClientStore& clients, api::TokenStore& tokens);
/// dce-store client add|list|remove: the API's OAuth2 clients.
int run_client_add(ToolContext& ctx, const StoreOptions& o);
int run_client_list(ToolContext& ctx, const StoreOptions& o);
int run_client_remove(ToolContext& ctx, const StoreOptions& o);
/// Copies a SQLite store to o.backup_dest online (SQLite's backup API; see backup_sqlite).
int run_backup(ToolContext& ctx, const StoreOptions& o);

}  // namespace dce::store
