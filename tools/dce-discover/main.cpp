// dce-discover: find devices (SNMP, Modbus TCP, HTTP(S), TCP 6000) and say what they are. Glue
// only: options in, dce::discover::run_discover out (lib/discover).
#include "core/cli.hpp"
#include "core/exit_codes.hpp"
#include "discover/discover.hpp"
#include "discover/modbus_sweep.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

#include <unistd.h>

int main(int argc, char** argv) {
    dce::cli::ToolDoc doc{
        .name = "dce-discover",
        .summary =
            "Find devices over SNMP, Modbus TCP, HTTP(S) and TCP 6000 (APC UPSs and PDUs, "
            "NetBotz, any SNMP agent) and identify them",
        .description =
            "Probes each target over SNMP (and, when asked, Modbus TCP, HTTP(S) and TCP 6000) "
            "and writes one device record for each device that answers: vendor, model, serial, "
            "firmware, class, the profile dce-poll reads it "
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
            "and a summary line ends every run.\n\n"
            "With --modbus, each target is also probed over Modbus TCP (--modbus-port, 502): "
            "each --unit-ids unit is asked for its Read Device Identification (function "
            "0x2B/0x0E, basic and regular objects), else its Report Server ID (0x11); the "
            "register map of profiles/modbus/ whose vendor/product match names it, and for maps "
            "with identity registers (APC: model, serial, firmware) those are read too. Each "
            "answering unit is one device record with transport modbus and id "
            "modbus://HOST:PORT/UNIT (a server that answers every unit id alike is one device). "
            "Modbus TCP has no authentication: such records carry insecure: true.\n\n"
            "--http also asks each target over HTTPS, then plain HTTP (ports 443 and 80, or "
            "--http-ports), and names NetBotz appliances and APC management cards by their "
            "Server header, page title and text and certificate; the record carries http.url "
            "and the TLS facts. TLS 1.2 is the minimum and the certificate is verified (the "
            "system store or --ca-file): a certificate that does not verify gets an error "
            "record saying so, unless --insecure is given. --tcp6000 connects to TCP 6000 "
            "(older APC outlet strips and PDUs) and records the open port and any banner; "
            "it says class pdu only when SNMP or HTTP found the same host to be a PDU in the "
            "same run. --no-snmp leaves SNMP out (for Modbus-only or web-only targets: each "
            "silent SNMP target otherwise costs one timeout).",
        .reads = {},
        .writes = {"device", "error"},
        .examples =
            {
                {"dce-discover 10.20.0.0/24 | dce-poll | dce-store ingest",
                 "Find the devices of a subnet with the SNMPv3 credentials of "
                 "~/.config/dce/credentials, poll them and store the readings."},
                {"dce-discover --modbus --unit-ids 1-10 10.20.0.0/24 | dce-poll",
                 "Also find Modbus TCP units 1 to 10 behind each address, and poll them."},
                {"dce-discover --allow-v1v2c --credentials site.cred @inventory.txt",
                 "Also try the communities of site.cred over SNMPv2c/v1 (marked insecure)."},
                {"dce-discover --rate 0 --concurrency 1024 127.0.0.0/20",
                 "Sweep as fast as the agents keep up (no rate limit)."},
                {"dce-discover 10.20.0.0/24 | jq -r 'select(.class==\"ups\") | .id'",
                 "List the UPSs of a subnet."},
                {"dce-discover --no-snmp --http --ca-file site-ca.pem 10.20.0.0/24",
                 "Find NetBotz appliances and management cards by their web servers, "
                 "trusting the site's CA."},
                {"dce-discover --http --tcp6000 10.20.0.0/24 | dce-cert check",
                 "SNMP, HTTP(S) and TCP 6000 in one run; dce-cert then checks the HTTPS "
                 "devices' certificates."},
            },
        .environment =
            {
                dce::cli::credentials_directory_env,
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
        .see_also = {"dce-poll(1)", "dce-store(1)", "dce-cert(1)", "dce-audit(1)", "snmpwalk(1)",
                     "mbpoll(1)"},
    };
    dce::cli::CommonOptions common;
    auto app = dce::cli::make_app(doc, common);

    dce::discover::DiscoverOptions o;
    std::string versions_csv;
    bool allow_v1v2c = false, no_progress = false, progress = false, no_snmp = false;
    dce::cli::add_targets(*app, o.targets,
                          "Targets: address, CIDR, range, name, HOST:PORT, @FILE, -");
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
    dce::cli::add_credentials_option(*app, common);
    dce::cli::add_profile_dir_option(*app, o.profile_dirs);
    dce::cli::add_rate_option(*app, o.rate, "New targets probed per second");
    dce::cli::add_concurrency_option(*app, o.concurrency, "Targets probed at once at most");
    dce::cli::add_timeout_option(*app, o.timeout_ms, "Wait for an answer this long per attempt");
    dce::cli::add_retries_option(*app, o.retries);
    std::string http_ports;
    app->add_flag("--no-snmp", no_snmp,
                  "Do not probe SNMP (only --modbus, --http and/or --tcp6000)");
    app->add_flag("--http", o.http,
                  "Also identify devices by their web servers: HTTPS, then HTTP, on --http-ports");
    app->add_option("--http-ports", http_ports,
                    "Ports --http tries on each target, in order (default 443,80)")
        ->type_name("PORT[,PORT]");
    app->add_option("--ca-file", o.web.ca_file,
                    "Trusted CA certificates (PEM) for --http instead of the system store")
        ->type_name("FILE");
    app->add_flag("--insecure", o.web.insecure,
                  "--http: identify HTTPS devices whose certificate does not verify (the record "
                  "says tls.verified: false and insecure: true)");
    app->add_flag("--tcp6000", o.tcp6000,
                  "Also probe TCP 6000 (older APC outlet strips and PDUs): open port and banner");
    app->add_option("--tcp6000-port", o.tcp6000_port, "The port --tcp6000 connects to")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();
    app->add_flag("--report-unreachable", o.report_unreachable,
                  "Write an error record for each target that does not answer");
    std::string unit_ids = "1,255,0";
    app->add_flag("--modbus", o.modbus,
                  "Also probe Modbus TCP on each target: Read Device Identification, else Report "
                  "Server ID, for each --unit-ids unit; one device record per answering unit. "
                  "Add --no-snmp for Modbus-only targets: it skips the SNMP sweep, where each "
                  "silent SNMP target costs one timeout");
    app->add_option("--modbus-port", o.modbus_port, "TCP port of Modbus on the targets")
        ->capture_default_str();
    app->add_option("--unit-ids", unit_ids,
                    "Modbus unit ids to ask, in order: a comma list and ranges (1,255,0; 1-10)")
        ->type_name("LIST")
        ->capture_default_str();
    app->add_flag("--progress", progress,
                  "Show the progress bar even when stderr is not a terminal");
    app->add_flag("--no-progress", no_progress, "Never show the progress bar");

    return dce::cli::run_tool(*app, doc, common, argc, argv, [&](dce::ToolContext& ctx) -> int {
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
        o.use_snmp = !no_snmp;
        if (!http_ports.empty()) {
            o.web.ports.clear();
            std::stringstream list(http_ports);
            std::string v;
            while (std::getline(list, v, ',')) {
                int port = 0;
                try {
                    std::size_t used = 0;
                    port = std::stoi(v, &used);
                    if (used != v.size()) port = 0;
                } catch (const std::exception&) {
                    port = 0;
                }
                if (port < 1 || port > 65535) {
                    spdlog::error("--http-ports: '{}' is not a port (1-65535)", v);
                    return dce::exit_usage;
                }
                o.web.ports.push_back(static_cast<std::uint16_t>(port));
            }
        }
        if ((!o.web.ca_file.empty() || o.web.insecure || !http_ports.empty()) && !o.http) {
            spdlog::error("--http-ports, --ca-file and --insecure apply to --http; add --http");
            return dce::exit_usage;
        }
        if (std::string err; !dce::discover::parse_unit_ids(unit_ids, o.unit_ids, err)) {
            spdlog::error("{}", err.empty() ? "--unit-ids: no unit id" : err);
            return dce::exit_usage;
        }
        o.progress = no_progress ? 0 : progress ? 1 : -1;
        if (o.targets.empty()) {
            if (isatty(ctx.input_fd())) {
                spdlog::error("no targets given (and stdin is a terminal); see --help");
                return dce::exit_usage;
            }
            o.targets.push_back("-");
        }

        return dce::discover::run_discover(ctx, o);
    });
}
