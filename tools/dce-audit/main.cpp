// dce-audit: the security handbook's "validate security settings" as checks. Glue only:
// options in, dce::audit::run_audit out (lib/audit).
#include "audit/run.hpp"
#include "core/cli.hpp"
#include "core/exit_codes.hpp"

int main(int argc, char** argv) {
    dce::cli::ToolDoc doc{
        .name = "dce-audit",
        .summary = "Check servers and devices against the DCE security handbook, for CI",
        .description =
            "Runs the checks of the handbook's \"validate security settings\" and its device "
            "advice against the targets of a policy (a JSON file; `dce-audit policy --default` "
            "prints the built-in one, the handbook's port table, to start from), addresses on "
            "the command line, or device records on stdin (dce-discover | dce-audit -). One "
            "finding per check and target: a stable check id, status (pass, fail, warn, error, "
            "skip), severity, a message an operator can act on, the evidence, and the handbook "
            "section or standard it comes from.\n\n"
            "Checks: a denied port is denied (TCP open, closed by RST, or filtered; UDP probed "
            "with what the service would answer, silence reported as silence); HTTP redirects "
            "to HTTPS with HSTS, or is off; the vendor's default certificate is replaced; SSH "
            "off unless expected, protocol 2 only; Telnet and FTP closed, anonymous FTP refused; "
            "SNMP default communities refused, SNMPv3 without privacy refused, authPriv "
            "answering; default web logins refused (only when the policy allows trying them); "
            "a refused login is logged; firmware at the policy's minimum; Modbus TCP exposed "
            "only where expected.\n\n"
            "The checks of one target run one after another, one connection at a time (a "
            "management card is fragile); targets run side by side (--concurrency). Findings "
            "carry a run id, so dce-store query findings --changed shows what changed since the "
            "previous run.",
        .reads = {"device"},
        .writes = {"finding"},
        .examples =
            {
                {"dce-audit --policy site.json --format junit > audit.xml",
                 "Audit the site for CI: JUnit for the test report, exit 1 on any failure."},
                {"dce-audit policy --default > site.json",
                 "Start a site policy from the handbook's defaults."},
                {"dce-discover 10.20.0.0/24 | dce-audit --policy site.json - | dce-store ingest",
                 "Audit everything discovery found and keep the findings."},
                {"dce-audit --only 'ports.*' --role dce-server 10.20.0.2",
                 "Only the port checks of the DCE server's role."},
            },
        .environment = {dce::cli::credentials_directory_env,
                        {"DCE_CREDENTIALS",
                         "Credentials file used when --credentials is not given."}},
        .files = {{"~/.config/dce/credentials",
                   "Credentials for SNMPv3 authPriv and the refused-login probe (mode 0600)."}},
        .sections = {},
        .see_also = {"dce-cert(1)", "dce-store(1)", "dce-trapd(1)", "nmap(1)"},
    };
    dce::cli::CommonOptions common;
    auto app = dce::cli::make_app(doc, common);
    dce::audit::AuditOptions o;
    dce::cli::add_targets(*app, o.targets,
                          "Targets (address, CIDR, range, @FILE) besides the policy's; - reads "
                          "device records on stdin");
    app->add_option("--policy", o.policy, "Policy file (JSON); default: the built-in one")
        ->type_name("FILE");
    app->add_option("--role", o.role, "Role (from the policy) of targets given on the command line")
        ->type_name("ROLE")
        ->capture_default_str();
    dce::cli::add_repeatable_option(*app, "--only", o.only,
                                    "Run only these checks (id or glob, e.g. 'web.*')");
    dce::cli::add_repeatable_option(*app, "--skip", o.skip, "Skip these checks (id or glob)");
    app->add_flag("--list-checks", o.list_checks, "Print every check as a record and exit");
    dce::cli::add_credentials_option(*app, common);
    dce::cli::add_concurrency_option(*app, o.concurrency,
                                     "Targets audited side by side (a target's checks: one at a "
                                     "time)");
    dce::cli::add_rate_option(*app, o.rate,
                              "Connections and probes started per second over the whole run");
    dce::cli::add_timeout_option(*app, o.timeout_ms,
                                 "Wait this long for each connection or answer");
    dce::cli::add_format_option(*app, o.format, {"json", "text", "junit", "sarif"},
                                "Output: finding records, a table, JUnit XML or SARIF 2.1.0");
    app->add_option("--run-id", o.run_id, "Run id written into each finding (default: the time)")
        ->type_name("ID");
    dce::cli::add_site_option(*app, o.site, "Site or tenant written into each record");

    auto* policy_cmd = app->add_subcommand("policy", "Print a policy to start from");
    policy_cmd->add_flag("--default", o.print_default_policy,
                         "The built-in policy: the handbook's port table and device advice");

    return dce::cli::run_tool(*app, doc, common, argc, argv, [&](dce::ToolContext& ctx) {
        if (policy_cmd->parsed() && !o.print_default_policy) {
            ctx.log().error("policy: give --default");
            return static_cast<int>(dce::exit_usage);
        }
        return dce::audit::run_audit(ctx, o);
    });
}
