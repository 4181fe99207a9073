// dce-poll: read every metric a device profile names and write readings. Glue only:
// options in, dce::poll::run_poll out (lib/poll).
#include "core/cli.hpp"
#include "core/exit_codes.hpp"
#include "poll/poll.hpp"
#include "poll/shard.hpp"

#include <unistd.h>

int main(int argc, char** argv) {
    dce::cli::ToolDoc doc{
        .name = "dce-poll",
        .summary = "Poll APC UPSs, PDUs, NetBotz and any SNMP agent by device profile",
        .description =
            "Reads device records on stdin (dce-discover | dce-poll) or polls the targets given "
            "with --profile, reads every metric of the device's profile over SNMP (GET, and "
            "GETBULK walks for tables) and writes one reading record per value: device id, "
            "metric, scaled value, unit, labels (outlet, phase, sensor), and the OID it came "
            "from. Input records are passed through unchanged unless --no-forward.\n\n"
            "SNMPv3 authPriv is the default; SNMPv1/v2c only with --snmp-version. A device "
            "record names the credential entry that worked at discovery (credential field); "
            "for targets, --credential NAME picks the entry of the credentials file. A device "
            "that does not answer or refuses the credential is an error record and the run "
            "goes on; the exit status is then 3.\n\n"
            "Once and exit (for cron), or every --interval seconds, each device spread over "
            "--jitter of the interval; a slow device skips a round (an overrun, logged) instead "
            "of delaying the others. SIGINT/SIGTERM stop cleanly after writing what was read. "
            "--format openmetrics writes a node_exporter textfile-collector file, influx writes "
            "InfluxDB line protocol; in those formats error records go to stderr as log lines.\n\n"
            "Modbus TCP devices (transport modbus records from dce-discover --modbus, or targets "
            "modbus://HOST:PORT/UNIT with --profile naming a register map in profiles/modbus/) "
            "are polled beside the SNMP ones: the fields of a unit's map are merged into the "
            "fewest reads (function 1-4, at most the map's max_registers, 125 by default), one "
            "TCP connection per gateway shared by its units, one request in flight on it, "
            "--concurrency gateways in parallel. A unit that answers exception 2 for a merged "
            "read gets smaller reads; a field refused alone is an error record. A unit that "
            "times out costs its gateway one timeout a round and, after two failed rounds, sits "
            "out 1, 2, 4 ... 32 rounds (--retries is for SNMP; a Modbus unit is tried again "
            "the next round). Modbus exceptions are error records with code "
            "modbus-exception-N. --plan prints the reads without sending them. In openmetrics "
            "and influx formats the readings of both transports are written together: one "
            "exposition for a run, or with --interval one each time no poll is in flight.",
        .reads = {"device"},
        .writes = {"reading", "error", "profile", "plan"},
        .examples =
            {
                {"dce-discover 10.20.0.0/24 | dce-poll | dce-store ingest",
                 "Poll everything discovery found, with the credentials it found working."},
                {"dce-poll --profile apc-ups --credential lab-v3 10.20.0.5",
                 "Poll one UPS with the SNMPv3 entry lab-v3 of the credentials file."},
                {"dce-poll --format openmetrics --profile apc-pdu --credential pdu 10.20.1.0/28 > "
                 "/var/lib/node_exporter/dce.prom.tmp && mv /var/lib/node_exporter/dce.prom.tmp "
                 "/var/lib/node_exporter/dce.prom",
                 "Feed Prometheus through node_exporter's textfile collector (cron)."},
                {"dce-poll --interval 60 --profile apc-ups --credential ups @ups.txt | dce-store "
                 "ingest",
                 "Poll every minute until stopped."},
                {"dce-poll --profile apc-smartups-modbus modbus://10.20.0.9:502/1",
                 "Poll an APC Smart-UPS over Modbus TCP (unit id 1)."},
                {"dce-discover --modbus 10.20.0.0/24 | dce-poll --plan",
                 "Show the Modbus reads each discovered unit would get, without sending them."},
            },
        .environment =
            {
                dce::cli::credentials_directory_env,
                {"DCE_CREDENTIALS", "Credentials file used when --credentials is not given."},
                {"DCE_SNMP_USER, DCE_SNMP_AUTH_PROTOCOL, DCE_SNMP_AUTH_PASS, "
                 "DCE_SNMP_PRIV_PROTOCOL, DCE_SNMP_PRIV_PASS",
                 "An SNMPv3 credential named \"env\" (the default for targets)."},
                {"DCE_SNMP_COMMUNITY",
                 "A community named \"env-community\" (used only with v1/v2c)."},
                {"DCE_PROFILE_DIR",
                 "Directory of device profiles used instead of the built-in one."},
                {"DCE_SNMP_DEBUG", "net-snmp debug tokens (e.g. usm,snmp_api) to print on stderr."},
            },
        .files = {{"~/.config/dce/credentials", "Default credentials file (mode 0600)."},
                  {"~/.config/dce/profiles/", "Your own device profiles (docs/PROFILES.md)."}},
        .sections = {},
        .see_also = {"dce-discover(1)", "dce-store(1)", "snmpget(1)"},
    };
    dce::cli::CommonOptions common;
    auto app = dce::cli::make_app(doc, common);

    dce::poll::PollOptions o;
    bool no_forward = false;
    dce::cli::add_targets(
        *app, o.targets,
        "Targets (address, CIDR, range, HOST:PORT, @FILE, -); none: device records on stdin");
    app->add_option("--profile", o.profile,
                    "Profile(s) for targets, or for device records naming none; several "
                    "comma-separated (a,b)")
        ->type_name("NAME");
    app->add_flag("--list-profiles", o.list_profiles,
                  "Print every profile (what it reads, from which MIB) as records and exit");
    dce::cli::add_profile_dir_option(*app, o.profile_dirs);
    dce::cli::add_credentials_option(*app, common);
    app->add_option("--credential", o.credential,
                    "Credential entry for targets (default: env, or env-community for v1/v2c)")
        ->type_name("NAME");
    app->add_option("--snmp-version", o.snmp_version,
                    "Force the SNMP version (v1/v2c are insecure)")
        ->check(CLI::IsMember({"v1", "v2c", "v3"}))
        ->type_name("VERSION");
    dce::cli::add_format_option(*app, o.format, {"json", "openmetrics", "influx"}, "Output format");
    app->add_flag("--no-forward", no_forward, "Do not pass input records through to stdout");
    dce::cli::add_metrics_file_option(*app, o.metrics_file,
                                      "after each round and at exit (dce_poll_* counters)");
    app->add_option("--interval", o.interval, "Poll every N seconds until stopped (0: once)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--jitter", o.jitter,
                    "Fraction of the interval that device starts are spread over")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app->add_option("--rounds", o.rounds,
                    "With --interval: stop after N rounds (0: until signalled)")
        ->capture_default_str();
    dce::cli::add_rate_option(*app, o.rate, "Requests started per second at most");
    dce::cli::add_concurrency_option(*app, o.concurrency,
                                     "Requests (and sockets) in flight at most");
    dce::cli::add_timeout_option(*app, o.timeout_ms, "Wait this long for each answer");
    dce::cli::add_retries_option(*app, o.retries);
    app->add_option("--max-repetitions", o.max_repetitions,
                    "GETBULK max-repetitions for table walks")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app->add_option("--max-targets", o.max_targets,
                    "Refuse to expand the targets beyond this many addresses")
        ->capture_default_str();
    app->add_flag("--plan", o.plan,
                  "Print the Modbus requests each device's register map needs (plan records) "
                  "and send nothing");
    dce::cli::add_site_option(*app, o.site, "Site or tenant written into each record");
    app->add_option("--shard", o.shard,
                    "Poll only shard K of N (1-based): devices whose FNV-1a 64 hash of the "
                    "device id, modulo N, is K-1; N pollers with 1/N..N/N split the devices")
        ->type_name("K/N")
        ->check([](const std::string& v) {
            std::string why;
            return dce::poll::parse_shard(v, why) ? std::string() : why;
        });

    return dce::cli::run_tool(*app, doc, common, argc, argv, [&](dce::ToolContext& ctx) {
        o.forward = !no_forward;
        return dce::poll::run_poll(ctx, o);
    });
}
