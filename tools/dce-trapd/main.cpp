// dce-trapd: receive SNMP traps and informs, write event records. Glue only: options in,
// dce::trapd::run_trapd out (lib/trapd).
#include "core/cli.hpp"
#include "core/exit_codes.hpp"
#include "core/time.hpp"
#include "trapd/security.hpp"
#include "trapd/trapd.hpp"

#include <cctype>

namespace {

// Durations carry a unit (as --timeout does); "0" alone means off.
CLI::Option* add_duration(CLI::App& app, const std::string& name, std::int64_t& ms,
                          const std::string& help) {
    return app
        .add_option_function<std::string>(
            name,
            [&ms, name](const std::string& text) {
                if (text == "0") {
                    ms = 0;
                    return;
                }
                auto d = dce::parse_duration(text);
                if (!d || text.empty() || std::isdigit(static_cast<unsigned char>(text.back())))
                    throw CLI::ValidationError(
                        name, text + ": give a unit, e.g. 500ms, 10s, 1m (0: off)");
                ms = d->count();
            },
            help + " (default " + dce::cli::format_duration_ms(ms) + ")")
        ->type_name("DURATION");
}

CLI::Option* add_size(CLI::App& app, const std::string& name, std::size_t& bytes,
                      const std::string& help) {
    return app
        .add_option_function<std::string>(
            name,
            [&bytes, name](const std::string& text) {
                if (!dce::trapd::parse_size(text, bytes))
                    throw CLI::ValidationError(name, text + ": give a size, e.g. 8M, 512K");
            },
            help)
        ->type_name("SIZE");
}

}  // namespace

int main(int argc, char** argv) {
    dce::cli::ToolDoc doc{
        .name = "dce-trapd",
        .summary = "Receive SNMP traps and informs (v1, v2c, v3) and write one event per trap",
        .description =
            "Listens on UDP (IPv4 and IPv6, one or more --listen addresses, or the sockets "
            "systemd passes by socket activation, so port 162 needs no root) and writes one "
            "event record per SNMPv1 trap, SNMPv2c trap or inform, and SNMPv3 trap or inform: "
            "source address and port, SNMP version, the credential entry that matched, the v3 "
            "user and engine ID (never a community or passphrase), the notification OID "
            "(SNMPv1 traps mapped to their v2 form, RFC 3584), its name, MIB, severity and "
            "description from the trap catalogue, and every varbind typed and named. An OID "
            "the catalogue does not know is kept, numeric, with resolved: false. Informs are "
            "acknowledged.\n\n"
            "Only the communities and SNMPv3 users of the credentials file are accepted "
            "(--any-community accepts every v1/v2c community). A v3 user is accepted from any "
            "sender engine ID, its keys localized to each engine on first use: no per-device "
            "createUser lines; --allow-engine-id limits the engines. Informs use dce-trapd's "
            "own engine ID, made once and kept in the state directory, with the discovery and "
            "time-synchronization Reports senders expect. Unknown communities and users, wrong "
            "digests, messages outside the time window and undecryptable ones are rejected and "
            "counted by cause; --report-rejected also writes a rate-limited warn event per "
            "source and cause.\n\n"
            "Nothing is lost silently. One thread only receives (recvmmsg) into a bounded "
            "queue; decoding and output run behind it, so a slow reader of stdout never "
            "blocks the socket. A large receive buffer (--rcvbuf) absorbs bursts. Datagrams "
            "dropped by a full queue or by the kernel (SO_RXQ_OVFL) are counted, and a stats "
            "record (received, decoded, delivered, rejected by cause, malformed, dropped) is "
            "written every --stats-interval and at exit, with a summary line on stderr.\n\n"
            "SIGHUP reloads the credentials and the trap catalogue without closing the "
            "sockets. SIGINT/SIGTERM stop receiving, drain the queue, write the final stats "
            "and exit 130. --rate-limit and --dedup are optional flood control per source.",
        .reads = {},
        .writes = {"event", "stats"},
        .examples =
            {
                {"dce-trapd --listen 0.0.0.0:162 --listen [::]:162 | dce-store ingest",
                 "Receive on the standard port (root, CAP_NET_BIND_SERVICE, or the "
                 "dce-trapd.socket unit) and keep every event."},
                {"dce-trapd --listen 127.0.0.1:10162 --count 1",
                 "Wait for one trap on a high port, print its event and exit."},
                {"dce-trapd --listen :162 --report-rejected --stats-interval 1m | jq -c "
                 "'select(.severity==\"critical\")'",
                 "Watch critical events, and see who sends with a wrong community or user."},
                {"systemctl enable --now dce-trapd.socket",
                 "Run under systemd: the socket unit binds UDP 162, the service runs "
                 "unprivileged."},
            },
        .environment =
            {
                dce::cli::credentials_directory_env,
                {"DCE_CREDENTIALS", "Credentials file used when --credentials is not given."},
                {"DCE_SNMP_COMMUNITY", "A community accepted as the entry \"env-community\"."},
                {"DCE_SNMP_USER, DCE_SNMP_AUTH_PROTOCOL, DCE_SNMP_AUTH_PASS, "
                 "DCE_SNMP_PRIV_PROTOCOL, DCE_SNMP_PRIV_PASS",
                 "An SNMPv3 user accepted as the entry \"env\"."},
                {"DCE_TRAP_DIR", "Trap catalogue directory used instead of the built-in one."},
                {"STATE_DIRECTORY", "State directory (set by systemd's StateDirectory=)."},
                {"LISTEN_FDS, LISTEN_PID", "Sockets passed by systemd socket activation."},
            },
        .files =
            {
                {"~/.config/dce/credentials", "Default credentials file (mode 0600)."},
                {"~/.config/dce/traps/", "Your own trap catalogue files (docs/TRAPS.md)."},
                {"~/.local/state/dce/trapd-engine",
                 "The receiver's SNMPv3 engine ID and boots (or $STATE_DIRECTORY/trapd-engine)."},
                {"/lib/systemd/system/dce-trapd.socket, dce-trapd.service",
                 "systemd units (socket activation on UDP 162)."},
            },
        .sections = {},
        .see_also = {"dce-store(1)", "snmptrap(1)", "snmpinform(1)", "snmptrapd(8)"},
    };
    dce::cli::CommonOptions common;
    auto app = dce::cli::make_app(doc, common);

    dce::trapd::TrapdOptions o;
    auto hex_check = [](const std::string& s) {
        std::string raw;
        return dce::trapd::from_hex(s, raw) ? std::string() : s + ": not hex";
    };
    dce::cli::add_repeatable_option(
        *app, "--listen", o.listen,
        "UDP address to receive on: ADDR:PORT, [IPV6]:PORT, :PORT (every address, IPv4 and "
        "IPv6); repeatable (default: socket activation, else 0.0.0.0:162 and [::]:162)");
    dce::cli::add_credentials_option(*app, common);
    app->add_flag("--any-community", o.any_community,
                  "Accept v1/v2c traps with any community, not only those of the credentials file");
    dce::cli::add_repeatable_option(*app, "--allow-engine-id", o.allow_engine_ids,
                                    "Accept SNMPv3 only from this sender engine ID (hex); "
                                    "repeatable (default: any)")
        ->check(hex_check);
    app->add_option("--engine-id", o.engine_id,
                    "This receiver's SNMPv3 engine ID (hex) for informs (default: made once, kept "
                    "in the state directory)")
        ->type_name("HEX")
        ->check(hex_check);
    app->add_option("--state-dir", o.state_dir,
                    "Where the engine ID and boots are kept (default: $STATE_DIRECTORY, else "
                    "~/.local/state/dce)")
        ->type_name("DIR");
    dce::cli::add_repeatable_option(*app, "--catalogue-dir", o.catalogue_dirs,
                                    "More trap catalogue files (*.json); repeatable, later win");
    add_size(*app, "--rcvbuf", o.rcvbuf, "Socket receive buffer (default 8M)");
    add_size(*app, "--queue", o.queue_bytes,
             "Memory for datagrams waiting to be decoded (default 32M); when full, datagrams "
             "are dropped and counted");
    add_duration(*app, "--stats-interval", o.stats_interval_ms,
                 "Write a stats record this often (0: only at exit)");
    dce::cli::add_metrics_file_option(*app, o.metrics_file,
                                      "at start, every --stats-interval and at exit "
                                      "(dce_trapd_* counters)");
    app->add_flag("--report-rejected", o.report_rejected,
                  "Write a warn event per source and cause of rejection (rate-limited by "
                  "--report-interval)");
    add_duration(*app, "--report-interval", o.report_interval_ms,
                 "At most one rejection event per source and cause this often");
    app->add_option("--rate-limit", o.rate_limit,
                    "Events per second per source at most; the rest are counted as rate_limited "
                    "(0: no limit)")
        ->check(CLI::NonNegativeNumber)
        ->type_name("N");
    add_duration(*app, "--dedup", o.dedup_ms,
                 "Fold identical traps from one source within this window into one event with "
                 "a count (0: off)");
    app->add_option("--count", o.count, "Exit after writing N events (0: run until signalled)")
        ->type_name("N");
    dce::cli::add_site_option(*app, o.site, "Site or tenant written into each record");

    return dce::cli::run_tool(*app, doc, common, argc, argv,
                              [&](dce::ToolContext& ctx) { return dce::trapd::run_trapd(ctx, o); });
}
