#pragma once
// dce-store's subcommands, called from tools/dce-store/main.cpp (which only fills
// StoreOptions). Each returns an exit status from core/exit_codes.hpp.

#include "core/context.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
};

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
/// Copies a SQLite store to o.backup_dest online (SQLite's backup API; see backup_sqlite).
int run_backup(ToolContext& ctx, const StoreOptions& o);

}  // namespace dce::store
