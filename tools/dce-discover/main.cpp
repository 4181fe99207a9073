// dce-discover: find SNMP devices and say what they are. Glue only: options in,
// dce::discover::run_discover out (lib/discover).
#include "core/cli.hpp"
#include "core/credentials.hpp"
#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/time.hpp"
#include "discover/discover.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

#include <unistd.h>

int main(int argc, char** argv) {
    dce::cli::ToolDoc doc{
        .name = "dce-discover",
        .summary = "Find SNMP devices (APC UPSs and PDUs, NetBotz, any agent) and identify them",
        .description =
            "Probes each target over SNMP and writes one device record for each device that "
            "answers: vendor, model, serial, firmware, class, the profile dce-poll reads it "
            "with, and the NAME of the credential entry that worked.\n\n"
            "Per target: unauthenticated SNMPv3 engine discovery first (it finds v3-only "
            "agents, and the engine ID's enterprise number names the vendor), then SNMPv3 with "
            "each snmpv3 entry of the credentials file. SNMPv2c and SNMPv1 communities are tried "
            "only when asked for (--allow-v1v2c or --snmp-version), and such records carry "
            "insecure: true. A device whose SNMPv3 engine answered but that let none of the "
            "credentials in is still reported, with identified: false.\n\n"
            "Targets are addresses, CIDR ranges (10.0.0.0/24), ranges (10.0.0.10-20), host "
            "names, HOST:PORT, @FILE (one a line) or - for stdin; with none given and stdin not "
            "a terminal, targets are read from stdin. Silent targets make no noise unless "
            "--report-unreachable asks for an error record each. Scans are polite by default "
            "(--rate, --concurrency); a progress bar shows on stderr when it is a terminal, "
            "and a summary line ends every run.",
        .reads = {},
        .writes = {"device", "error"},
        .examples =
            {
                {"dce-discover 10.20.0.0/24 | dce-poll | dce-store ingest",
                 "Find the devices of a subnet with the SNMPv3 credentials of "
                 "~/.config/dce/credentials, poll them and store the readings."},
                {"dce-discover --allow-v1v2c --credentials site.cred @inventory.txt",
                 "Also try the communities of site.cred over SNMPv2c/v1 (marked insecure)."},
                {"dce-discover --rate 0 --concurrency 1024 127.0.0.0/20",
                 "Sweep as fast as the agents keep up (no rate limit)."},
                {"dce-discover 10.20.0.0/24 | jq -r 'select(.class==\"ups\") | .id'",
                 "List the UPSs of a subnet."},
            },
        .environment =
            {
                {"DCE_CREDENTIALS", "Credentials file used when --credentials is not given."},
                {"DCE_SNMP_USER, DCE_SNMP_AUTH_PROTOCOL, DCE_SNMP_AUTH_PASS, "
                 "DCE_SNMP_PRIV_PROTOCOL, DCE_SNMP_PRIV_PASS",
                 "An SNMPv3 credential named \"env\"."},
                {"DCE_SNMP_COMMUNITY",
                 "A community named \"env-community\" (used only with v1/v2c)."},
                {"DCE_PROFILE_DIR",
                 "Directory of device profiles used instead of the built-in one."},
            },
        .files = {{"~/.config/dce/credentials", "Default credentials file (mode 0600)."},
                  {"~/.config/dce/profiles/", "Your own device profiles."}},
        .sections = {},
        .see_also = {"dce-poll(1)", "dce-store(1)", "snmpwalk(1)"},
    };
    dce::cli::CommonOptions common;
    auto app = dce::cli::make_app(doc, common);

    dce::discover::DiscoverOptions o;
    std::string credentials_path, timeout = "1s";
    std::string versions_csv;
    bool allow_v1v2c = false, no_progress = false, progress = false;
    app->add_option("targets", o.targets,
                    "Targets: address, CIDR, range, name, HOST:PORT, @FILE, -")
        ->type_name("TARGET");
    app->add_option("-p,--port", o.port, "UDP port when a target names none")
        ->capture_default_str();
    app->add_option(
           "--max-targets", o.max_targets,
           "Refuse to expand the targets beyond this many addresses (a guard against typos)")
        ->capture_default_str();
    app->add_option("--snmp-version", versions_csv,
                    "SNMP versions to try, comma-separated, tried in the order v3, v2c, v1 "
                    "(default v3; v1 and v2c are insecure)")
        ->type_name("VERSION[,VERSION]");
    app->add_flag("--allow-v1v2c", allow_v1v2c,
                  "Also try the communities of the credentials file over SNMPv2c and SNMPv1");
    dce::cli::add_credentials_option(*app, credentials_path);
    // One DIR per occurrence (repeatable), so a target after it is not taken as a dir.
    app->add_option_function<std::string>(
           "--profile-dir", [&](const std::string& d) { o.profile_dirs.push_back(d); },
           "Extra directory of device profiles (repeatable)")
        ->trigger_on_parse()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
        ->type_name("DIR");
    app->add_option("--rate", o.rate, "New targets probed per second; 0 lifts the limit")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--concurrency", o.concurrency, "Targets probed at once at most")
        ->check(CLI::Range(1, 65536))
        ->capture_default_str();
    app->add_option("--timeout", timeout,
                    "Wait for an answer this long per attempt (e.g. 500ms, 2s)")
        ->capture_default_str()
        ->type_name("DURATION");
    app->add_option("--retries", o.retries, "Attempts after the first per request")
        ->check(CLI::Range(0, 10))
        ->capture_default_str();
    app->add_flag("--report-unreachable", o.report_unreachable,
                  "Write an error record for each target that does not answer");
    app->add_flag("--progress", progress,
                  "Show the progress bar even when stderr is not a terminal");
    app->add_flag("--no-progress", no_progress, "Never show the progress bar");

    return dce::cli::run_tool(*app, doc, common, argc, argv, [&]() -> int {
        auto t = dce::parse_duration(timeout);
        if (!t || t->count() <= 0) {
            spdlog::error("--timeout: '{}' is not a duration such as 500ms or 2s", timeout);
            return dce::exit_usage;
        }
        o.timeout_ms = static_cast<int>(t->count());
        if (!versions_csv.empty()) {
            o.use_v3 = o.use_v2c = o.use_v1 = false;
            std::stringstream list(versions_csv);
            std::string v;
            while (std::getline(list, v, ',')) {
                if (v == "v3")
                    o.use_v3 = true;
                else if (v == "v2c")
                    o.use_v2c = true;
                else if (v == "v1")
                    o.use_v1 = true;
                else {
                    spdlog::error("--snmp-version: '{}' is not one of v3, v2c, v1", v);
                    return dce::exit_usage;
                }
            }
        }
        if (allow_v1v2c) o.use_v2c = o.use_v1 = true;
        o.progress = no_progress ? 0 : progress ? 1 : -1;
        if (o.targets.empty()) {
            if (isatty(0)) {
                spdlog::error("no targets given (and stdin is a terminal); see --help");
                return dce::exit_usage;
            }
            o.targets.push_back("-");
        }

        dce::CredentialStore creds;
        if (credentials_path.empty()) {
            if (auto p = dce::default_credentials_path()) credentials_path = *p;
        }
        if (!credentials_path.empty()) {
            std::string error;
            if (!creds.load_file(credentials_path, error)) {
                spdlog::error("{}", error);
                return dce::exit_usage;
            }
        }
        creds.load_environment();
        if (o.use_v3 && creds.of_kind("snmpv3").empty())
            spdlog::warn(
                "no snmpv3 credentials: SNMPv3 devices are found but not identified "
                "(give --credentials or DCE_CREDENTIALS)");

        dce::RecordWriter out(1);
        dce::discover::DiscoverSummary s;
        int rc = dce::discover::run_discover(o, creds, out, s);
        if (rc == dce::exit_ok || rc == dce::exit_interrupted) {
            spdlog::info(
                "probed {}, answered {}, devices {} (v3 {}, v2c {}, v1 {}, engine only {}), "
                "errors {}, {:.2f} s",
                s.probed, s.answered, s.devices, s.by_v3, s.by_v2c, s.by_v1, s.engine_only,
                s.errors, s.seconds);
        }
        return rc;
    });
}
