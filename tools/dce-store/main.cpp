// dce-store: where every pipeline ends. Glue only: the options, then lib/store.
#include "core/cli.hpp"
#include "core/exit_codes.hpp"
#include "storetool/storetool.hpp"

namespace {

const dce::cli::ToolDoc doc{
    .name = "dce-store",
    .summary = "Keep devices, readings, events and findings in SQLite or PostgreSQL",
    .description =
        "dce-store is where every pipeline ends: `ingest` reads JSON-lines records of every type "
        "on "
        "stdin (device, reading, event, cert, finding, error, and types written by later tools) "
        "and "
        "stores them in a SQLite file (the default, in WAL mode) or a PostgreSQL database (when "
        "--db is "
        "a postgresql:// URL). `query` reads them back as records, CSV or a table; `prune` applies "
        "retention; `export` and `import` move a whole store as JSON lines; `stats` and `sites` "
        "describe it; `migrate` upgrades its schema in place (every command also does so on "
        "open).\n\n"
        "Nothing acknowledged is lost. Records are written in batches, one transaction each, when "
        "a "
        "batch is full (--batch) or when --commit-interval has passed since the last commit, so a "
        "slow "
        "trickle from `dce-poll --interval` is stored promptly; a record counts as stored only "
        "once its "
        "batch committed, and kill -9 at any moment leaves a consistent database holding every "
        "committed "
        "batch. Re-ingesting the same input stores nothing twice: readings are keyed by "
        "device+metric+labels+ts, events, certs and errors by time and content, findings by "
        "tool+check+target+ts, and a device seen again updates its inventory row and keeps its "
        "first and "
        "last seen times. So a crashed cron job can simply be run again. Several ingest processes "
        "(a "
        "poller and a trap receiver) can write to one SQLite file at once: each batch takes the "
        "write "
        "lock up front and waits for it. SIGINT or SIGTERM commits what was read and exits 130.\n\n"
        "Bad lines are reported on stderr with their line number and reason, counted, and skipped; "
        "the rest is stored. The summary line on stderr counts what was stored of each type and "
        "how many "
        "lines were rejected. Exit status 3 means some lines were rejected (the rest is stored), "
        "like a "
        "failed target elsewhere.\n\n"
        "Sites: --site NAME on ingest gives records without a `site` that site (a record naming "
        "another "
        "site is rejected), and on query, prune, export and stats restricts the command to it. "
        "When a "
        "database holds more than one site, a query without --site is refused unless --all-sites "
        "is "
        "given; records then carry their `site`.\n\n"
        "PostgreSQL: the URL must not carry a password (argv is visible through ps; such a URL is "
        "refused). The password comes from the credentials file entry named by --credential (kind "
        "= "
        "password, password = ...) or from libpq's PGPASSFILE. Add sslmode=verify-full and "
        "sslrootcert=FILE "
        "to the URL to verify the server's certificate.\n\n"
        "API: `serve` answers an HTTPS REST API over the store (TLS 1.2 or later; plain HTTP "
        "only with --insecure-http on a loopback address) for OAuth2 clients made with `client "
        "add` (client-credentials grant at /oauth2/token, revocation at /oauth2/revoke). A "
        "client's secret is printed once and stored as an scrypt hash; access tokens are stored "
        "as an HMAC under a key file (--token-key, mode 0600). A client given --site sees only "
        "that site's data. Endpoints so far: /api/v1/devices and /api/v1/readings/latest "
        "(docs/API.md).\n\n"
        "Files dce-store creates (database, -wal, -shm, exports, the token key) are mode 0600.",
    .reads = {"device", "reading", "event", "cert", "finding", "error"},
    .writes = {"device", "reading", "event", "cert", "finding", "error"},
    .examples =
        {
            {"dce-discover 10.20.0.0/24 | dce-poll | dce-store ingest",
             "Store the inventory and one round of readings in the default database."},
            {"dce-trapd --listen 0.0.0.0:162 | dce-store ingest --db /var/lib/dce/site.db --site "
             "paris",
             "Store traps as they arrive, committed at least once a second."},
            {"dce-store query readings --last --device snmp://10.20.0.5:161",
             "The newest value of every metric of one device."},
            {"dce-store query readings --metric 'ups.*' --since 24h --every 1h --format csv",
             "Hourly min/max/avg/last of every UPS metric over the last day, as CSV."},
            {"dce-store query findings --status fail --format json | jq .",
             "Failed checks as records."},
            {"dce-store prune --keep 90d --keep-kind readings=30d",
             "Keep 90 days of everything but readings, 30 days of those."},
            {"dce-store export --output backup.jsonl && dce-store import --db new.db backup.jsonl",
             "Copy a whole store."},
            {"dce-store backup --db /var/lib/dce/store.db /var/backups/dce/store-$(date +%F).db",
             "Back up a SQLite store while dce-poll and dce-trapd write to it; restore by "
             "copying the file back with the writers stopped."},
            {"dce-store ingest --db 'postgresql://dce@db.example:5432/dce?sslmode=verify-full' "
             "--credential pg",
             "Store into PostgreSQL; the password comes from the credentials file."},
            {"dce-store client add grafana --scope read:inventory,read:readings --site paris",
             "Create an API client bound to one site; its secret is printed once."},
            {"dce-store serve --listen 0.0.0.0:8470 --cert api.crt --key api.key",
             "Serve the HTTPS API; clients get tokens with curl -u ID:SECRET -d "
             "grant_type=client_credentials https://HOST:8470/oauth2/token."},
        },
    .environment =
        {
            {"DCE_DB", "Database used when --db is not given (a path or a postgresql:// URL)."},
            dce::cli::credentials_directory_env,
            {"DCE_CREDENTIALS", "Credentials file used when --credentials is not given."},
            {"PGPASSFILE", "libpq's password file, used when no --credential is given."},
            {"XDG_DATA_HOME", "The default database is $XDG_DATA_HOME/dce/store.db."},
        },
    .files =
        {
            {"~/.local/share/dce/store.db", "The default database (directory made mode 0700)."},
        },
    .sections =
        {
            {"OUTPUT FORMATS",
             "query writes JSON lines (records in the contract's shape, so the output pipes into "
             "other "
             "tools and validates against the schemas), CSV with a header line, or an aligned "
             "table. The "
             "default is a table when stdout is a terminal and JSON lines otherwise. Device "
             "records carry "
             "first_seen and last_seen. With --every, each bucket is a reading whose value is the "
             "average, "
             "with min, max, avg, last, count and bucket_ms fields added. stats writes a text "
             "summary, or "
             "one JSON object with --format json."},
            {"RETENTION",
             "prune deletes records older than --keep (default 30d), per kind with --keep-kind "
             "KIND=DURATION; devices by their last seen time. It warns when events or findings "
             "would be "
             "kept for less than 30 days, the minimum the DCE security handbook asks for."},
        },
    .see_also = {"dce-discover(1)", "dce-poll(1)", "dce-trapd(1)", "dce-audit(1)", "sqlite3(1)",
                 "psql(1)"},
};

void add_db_options(CLI::App& sub, dce::store::StoreOptions& o, dce::cli::CommonOptions& common) {
    sub.add_option("--db", o.db,
                   "SQLite file or postgresql:// URL (no password in it); default $DCE_DB, else "
                   "~/.local/share/dce/store.db")
        ->type_name("PATH|URL");
    dce::cli::add_credentials_option(sub, common);
    sub.add_option("--credential", o.credential,
                   "Credentials entry (kind password) holding the PostgreSQL password")
        ->type_name("NAME");
}

void add_site_options(CLI::App& sub, dce::store::StoreOptions& o, bool all_sites) {
    dce::cli::add_site_option(sub, o.site, "Restrict to one site or tenant");
    if (all_sites)
        sub.add_flag("--all-sites", o.all_sites,
                     "Allow a query over a database holding several sites");
}

void add_format_option(CLI::App& sub, dce::store::StoreOptions& o) {
    dce::cli::add_format_option(sub, o.format, {"json", "csv", "table"},
                                "Output format; default table on a terminal, json otherwise");
}

}  // namespace

int main(int argc, char** argv) {
    dce::cli::CommonOptions common;
    dce::store::StoreOptions o;
    auto app = dce::cli::make_app(doc, common);
    app->require_subcommand(1);
    // --log-level and friends work after the subcommand too: dce-store ingest --log-level debug.
    app->fallthrough();

    auto* ingest = app->add_subcommand("ingest", "Store records read from stdin (or FILE)");
    auto* import =
        app->add_subcommand("import", "Store the records of an export file (same as ingest FILE)");
    for (auto* sub : {ingest, import}) {
        add_db_options(*sub, o, common);
        add_site_options(*sub, o, false);
        sub->add_option("--batch", o.batch, "Records per transaction")->capture_default_str();
        sub->add_option("--commit-interval", o.commit_interval,
                        "Commit at least this often while records trickle in")
            ->capture_default_str();
        sub->add_option(
               "--ack-file", o.ack_file,
               "After each commit, append 'LINE COUNT' (input stored through LINE, COUNT records "
               "so far) to FILE")
            ->type_name("FILE");
    }
    ingest->add_option("input", o.input, "Input file; default stdin")->type_name("FILE");
    import->add_option("input", o.input, "Export file to read")->type_name("FILE")->required();

    auto* query = app->add_subcommand("query", "Read records back");
    add_db_options(*query, o, common);
    add_site_options(*query, o, true);
    query->add_option("what", o.what, "What to read")
        ->check(CLI::IsMember(
            {"devices", "readings", "events", "findings", "errors", "certs", "others"}))
        ->capture_default_str();
    using dce::cli::add_repeatable_option;
    add_repeatable_option(*query, "--device", o.devices,
                          "Device id (events: source or device; findings, errors: target)")
        ->type_name("ID");
    add_repeatable_option(*query, "--metric", o.metrics, "Metric name, * as a wildcard")
        ->type_name("NAME");
    add_repeatable_option(*query, "--label", o.labels, "Only readings with this label")
        ->type_name("KEY=VALUE");
    query->add_option("--since", o.since, "From this time (RFC 3339) or this long ago (24h)")
        ->type_name("WHEN");
    query->add_option("--until", o.until, "Before this time or this long ago")->type_name("WHEN");
    query->add_flag("--last", o.last,
                    "Readings: only the newest value per device, metric and labels");
    query->add_option("--every", o.every, "Readings: min/max/avg/last per bucket of this length")
        ->type_name("DURATION");
    add_repeatable_option(*query, "--status", o.status, "Findings with this status")
        ->check(CLI::IsMember({"pass", "fail", "warn", "error", "skip"}));
    // Findings: info..critical; events (dce-trapd, from the MIBs): info, warn, critical,
    // unknown for a trap the catalogue does not know.
    add_repeatable_option(*query, "--severity", o.severity,
                          "Events or findings with this severity (events: info, warn, critical, "
                          "unknown)")
        ->check(CLI::IsMember({"info", "low", "medium", "high", "critical", "warn", "unknown"}));
    query->add_flag("--changed", o.changed,
                    "Findings: what changed between the last two audit runs (new_fail, fixed, "
                    "new, gone, changed)");
    add_repeatable_option(*query, "--check", o.checks, "Findings of this check id, * as a wildcard")
        ->type_name("ID");
    add_repeatable_option(*query, "--type", o.types, "others: records of this type")
        ->type_name("TYPE");
    query->add_option("--limit", o.limit, "At most this many records")->type_name("N");
    add_format_option(*query, o);

    auto* prune = app->add_subcommand("prune", "Delete records older than the retention");
    add_db_options(*prune, o, common);
    add_site_options(*prune, o, false);
    prune->add_option("--keep", o.keep, "Keep this long of every kind")->capture_default_str();
    add_repeatable_option(*prune, "--keep-kind", o.keep_per_kind,
                          "Keep this long of one kind, e.g. readings=90d")
        ->type_name("KIND=DURATION");
    prune->add_flag("--dry-run", o.dry_run, "Count what would be deleted, delete nothing");
    prune->add_flag("--vacuum", o.vacuum, "Give the space back to the file system afterwards");

    auto* exp = app->add_subcommand("export", "Write the whole store as JSON lines");
    add_db_options(*exp, o, common);
    add_site_options(*exp, o, false);
    exp->add_option("--output", o.output, "File to write (mode 0600); default stdout")
        ->type_name("FILE");

    auto* stats = app->add_subcommand("stats", "Rows, time span and size per kind");
    add_db_options(*stats, o, common);
    add_site_options(*stats, o, false);
    add_format_option(*stats, o);

    auto* sites = app->add_subcommand("sites", "List the sites in the store");
    add_db_options(*sites, o, common);

    auto* mig = app->add_subcommand("migrate", "Upgrade the schema in place");
    add_db_options(*mig, o, common);

    auto* backup = app->add_subcommand(
        "backup", "Copy a SQLite store to DEST while it is in use (SQLite's online backup)");
    add_db_options(*backup, o, common);
    backup->add_option("dest", o.backup_dest, "The backup file to make (mode 0600)")
        ->type_name("DEST")
        ->required();
    backup->add_flag("--force", o.force, "Replace DEST when it exists");

    auto* serve = app->add_subcommand(
        "serve", "Answer the REST API over HTTPS, for OAuth2 clients (docs/API.md)");
    add_db_options(*serve, o, common);
    serve->add_option("--listen", o.listen, "Address and port to listen on")
        ->type_name("HOST:PORT")
        ->capture_default_str();
    serve->add_option("--cert", o.cert, "The server's certificate chain (PEM)")->type_name("FILE");
    serve->add_option("--key", o.key, "The certificate's private key (PEM)")->type_name("FILE");
    serve->add_flag("--insecure-http", o.insecure_http,
                    "Plain HTTP instead of HTTPS; only on a loopback --listen address");
    serve
        ->add_option("--token-key", o.token_key,
                     "HMAC key file for access tokens (made mode 0600 when absent); default "
                     "DB.token-key beside a SQLite file, else the state directory")
        ->type_name("FILE");
    serve->add_option("--token-lifetime", o.token_lifetime, "How long an access token lives")
        ->type_name("DURATION")
        ->capture_default_str();
    serve->add_option("--max-connections", o.max_connections, "Connections open at once")
        ->capture_default_str();
    serve->add_option("--max-body", o.max_body, "Largest request body accepted, in bytes")
        ->capture_default_str();
    serve
        ->add_option("--header-timeout", o.header_timeout,
                     "A request's header must arrive within this (also the keep-alive idle "
                     "time); slower clients are cut off")
        ->type_name("DURATION")
        ->capture_default_str();
    serve
        ->add_option("--body-timeout", o.body_timeout,
                     "A request's body must arrive within this after its header")
        ->type_name("DURATION")
        ->capture_default_str();
    serve
        ->add_option("--workers", o.workers,
                     "Handler threads, each with its own database connection; 0: min(4, "
                     "CPU cores)")
        ->check(CLI::Range(0u, 64u))
        ->capture_default_str();
    serve
        ->add_option("--rate-limit", o.rate_limit,
                     "Requests per client with a bearer token, as RATE/s|m|h[:BURST], or off; "
                     "more get 429 with Retry-After")
        ->type_name("RATE")
        ->capture_default_str();
    serve
        ->add_option("--token-rate-limit", o.token_rate_limit,
                     "Token and revocation requests per client name they claim (each costs "
                     "an scrypt)")
        ->type_name("RATE")
        ->capture_default_str();
    serve
        ->add_option("--token-peer-rate-limit", o.token_peer_rate_limit,
                     "Token and revocation requests per peer address, whatever name they "
                     "claim")
        ->type_name("RATE")
        ->capture_default_str();

    auto* client = app->add_subcommand("client", "Manage the API's OAuth2 clients");
    client->require_subcommand(1);
    auto* client_add = client->add_subcommand(
        "add", "Create a client and print its secret (shown only this once)");
    auto* client_list = client->add_subcommand("list", "List the clients (never their secrets)");
    auto* client_remove = client->add_subcommand("remove", "Remove a client and revoke its tokens");
    for (auto* sub : {client_add, client_list, client_remove})
        add_db_options(*sub, o, common);
    for (auto* sub : {client_add, client_remove})
        sub->add_option("name", o.client_name, "Client id")->type_name("NAME")->required();
    client_add
        ->add_option("--scope", o.scopes,
                     "Comma list of read:inventory, read:readings, read:events, read:findings")
        ->type_name("LIST")
        ->required();
    dce::cli::add_site_option(*client_add, o.site,
                              "Bind the client to this site: it sees no other site's data");

    return dce::cli::run_tool(*app, doc, common, argc, argv, [&](dce::ToolContext& ctx) {
        if (serve->parsed()) return dce::store::run_serve(ctx, o);
        if (client_add->parsed()) return dce::store::run_client_add(ctx, o);
        if (client_list->parsed()) return dce::store::run_client_list(ctx, o);
        if (client_remove->parsed()) return dce::store::run_client_remove(ctx, o);
        if (ingest->parsed() || import->parsed()) return dce::store::run_ingest(ctx, o);
        if (query->parsed()) return dce::store::run_query(ctx, o);
        if (prune->parsed()) return dce::store::run_prune(ctx, o);
        if (exp->parsed()) return dce::store::run_export(ctx, o);
        if (stats->parsed()) return dce::store::run_stats(ctx, o);
        if (sites->parsed()) return dce::store::run_sites(ctx, o);
        if (mig->parsed()) return dce::store::run_migrate(ctx, o);
        if (backup->parsed()) return dce::store::run_backup(ctx, o);
        return static_cast<int>(dce::exit_usage);
    });
}
