// dce-cert: inspect and lint TLS endpoints and certificate files; make keys, CSRs and
// lab certificates to replace vendor defaults; check a key/cert/chain before upload.
// Glue only: options into dce::CertOptions, the work in lib/certtool/certtool.cpp.
#include "certtool/certtool.hpp"
#include "core/cli.hpp"
#include "core/exit_codes.hpp"

int main(int argc, char** argv) {
    dce::cli::ToolDoc doc{
        .name = "dce-cert",
        .summary = "Inspect and lint TLS certificates and protocols; make keys and CSRs",
        .description =
            "dce-cert checks what the DCE security handbook asks of every web interface: that the "
            "factory-default "
            "self-signed certificate has been replaced by one from a reputable or enterprise CA, "
            "that it is valid, "
            "names the host and is signed with SHA-256 or better, and that the server accepts only "
            "TLS 1.2 or better "
            "with strong, forward-secret suites.\n\n"
            "inspect writes one cert record per endpoint (host:port, @inventory file, or device "
            "records on stdin, "
            "whose HTTPS endpoints it checks and passes through). lint writes one finding per "
            "check, passing checks "
            "included, for endpoints or PEM/DER files; --format junit or sarif turns them into a "
            "CI report. Many "
            "endpoints are probed at once; an unreachable one is an error record and the run goes "
            "on.\n\n"
            "csr and selfsigned make a new key (created mode 0600, never overwritten without "
            "--force) and a "
            "certificate signing request or a lab certificate; check-pair confirms a key, a "
            "certificate and its chain "
            "belong together before upload. Passphrases never come from the command line.",
        .reads = {"device"},
        .writes = {"cert", "finding", "error"},
        .examples =
            {{"dce-cert lint --ca-file corp-ca.pem @cards.txt --format sarif > cert.sarif",
              "Judge every card in an inventory file against the enterprise CA, as SARIF for code "
              "scanning."},
             {"dce-discover 10.20.0.0/24 | dce-cert inspect | dce-store ingest",
              "Record the certificate of every discovered web interface."},
             {"dce-cert lint 10.20.0.5:443",
              "A readable table at a terminal; exit 1 when a check fails."},
             {"dce-cert csr --key-type rsa2048 --subject 'CN=ups1.example.com,O=Example' --san "
              "ups1.example.com "
              "--san 10.20.0.5 --key-out ups1.key --out ups1.csr",
              "A key and CSR to replace a card's default certificate."},
             {"dce-cert check-pair --key ups1.key --cert ups1.crt --chain intermediates.pem",
              "Before upload: the key matches and the chain links up."}},
        .environment = {dce::cli::credentials_directory_env,
                        {"DCE_CREDENTIALS",
                         "Default credentials file (for --passphrase-credential)."}},
        .sections =
            {{"CHECKS",
              "cert.vendor-default, cert.self-signed, cert.trusted-chain, cert.hostname, "
              "cert.expired, "
              "cert.not-yet-valid, cert.expiring, cert.signature-hash, cert.key-size, cert.san, "
              "tls.protocol-legacy, tls.protocol-modern, tls.weak-cipher, tls.forward-secrecy; "
              "check-pair: "
              "pair.key-matches, pair.chain-links, pair.chain-trusted.\n\n"
              "SSLv3, RC4, 3DES and EXPORT suites are only tried when the local OpenSSL still has "
              "them; "
              "records and findings say which were not tried."}},
        .see_also = {"dce-discover(1)", "dce-audit(1)", "openssl-s_client(1)"},
    };
    dce::cli::CommonOptions common;
    dce::CertOptions o;
    auto app = dce::cli::make_app(doc, common);
    app->require_subcommand(1);

    auto target_options = [&](CLI::App* sub, bool lint) {
        dce::cli::add_targets(*sub, o.targets,
                              "host[:port] (default port 443), @inventory file, or PEM/DER "
                              "certificate file; none: device records or host lines on stdin");
        dce::cli::add_repeatable_option(
            *sub, "--file", o.files,
            "PEM or DER certificate (chain) file to read instead of connecting")
            ->type_name("FILE");
        sub->add_option(
               "--sni", o.sni,
               "Server name to send and to match (default: the host part when it is a name)")
            ->type_name("NAME");
        sub->add_option("--host", o.host, "Name to match a certificate file against")
            ->type_name("NAME");
        sub->add_option("--starttls", o.starttls,
                        "Plaintext protocol to upgrade before the handshake")
            ->check(CLI::IsMember({"none", "smtp", "imap", "pop3", "ftp", "ldap", "postgres"}))
            ->capture_default_str();
        sub->add_option("--ca-file", o.ca_file,
                        "Trusted CA certificates (PEM) instead of the system store")
            ->type_name("FILE");
        sub->add_option("--port", o.default_port, "Port for targets given without one")
            ->check(CLI::Range(1, 65535))
            ->capture_default_str();
        dce::cli::add_concurrency_option(*sub, o.concurrency, "Endpoints probed at once");
        dce::cli::add_timeout_option(*sub, o.timeout_ms,
                                     "Per connection, connect to end of handshake");
        sub->add_option("--max-targets", o.max_targets, "Refuse to run on more endpoints than this")
            ->capture_default_str();
        dce::cli::add_format_option(
            *sub, o.format,
            lint ? std::vector<std::string>{"json", "text", "junit", "sarif"}
                 : std::vector<std::string>{"json", "text"},
            lint ? "Output: JSON lines (default; text at a terminal), a text table, JUnit XML or "
                   "SARIF 2.1.0"
                 : "Output: JSON lines (default; text at a terminal) or text");
        sub->add_option("-o,--output", o.output, "Write the output to FILE instead of stdout")
            ->type_name("FILE");
        sub->add_flag("--no-forward", o.no_forward, "Do not pass input records through to stdout");
        if (lint)
            sub->add_option("--warn-days", o.warn_days,
                            "Warn when a certificate expires within this many days")
                ->check(CLI::Range(0, 3650))
                ->capture_default_str();
        else
            sub->add_flag("--no-probe", o.no_probe,
                          "Skip the protocol-version and cipher probes (one handshake only)");
    };
    auto passphrase_options = [&](CLI::App* sub, const char* what) {
        dce::cli::add_credentials_option(*sub, common);
        sub->add_flag("--passphrase-stdin", o.passphrase_stdin,
                      std::string("Read the passphrase ") + what + " from the first line of stdin");
        sub->add_option(
               "--passphrase-env", o.passphrase_env,
               std::string("Take the passphrase ") + what + " from this environment variable")
            ->type_name("VAR");
        sub->add_option("--passphrase-credential", o.passphrase_credential,
                        std::string("Take the passphrase ") + what +
                            " from this credentials-file entry (password = ...)")
            ->type_name("NAME");
    };
    auto key_options = [&](CLI::App* sub, bool self_signed) {
        sub->add_option("--key-type", o.key_type, "Key to make")
            ->check(CLI::IsMember({"rsa2048", "rsa3072", "rsa4096", "p256", "p384", "ed25519"}))
            ->capture_default_str();
        sub->add_option("--subject", o.subject,
                        "Subject, e.g. 'CN=ups1.example.com,O=Example,C=FR'")
            ->required();
        dce::cli::add_repeatable_option(*sub, "--san", o.sans,
                                        "subjectAltName: DNS:name, IP:addr, or a bare name or "
                                        "address")
            ->type_name("NAME");
        sub->add_option("--key-out", o.key_out, "Private key file to create (mode 0600)")
            ->required()
            ->type_name("FILE");
        sub->add_option("--out", o.out,
                        self_signed ? "Certificate file to create" : "CSR file to create")
            ->required()
            ->type_name("FILE");
        if (self_signed)
            sub->add_option("--days", o.days, "Validity in days")
                ->check(CLI::Range(1, 3650))
                ->capture_default_str();
        sub->add_flag("--force", o.force, "Replace existing files");
        passphrase_options(sub, "to encrypt the key with (unencrypted without one)");
    };

    auto* inspect =
        app->add_subcommand("inspect", "Write a cert record per endpoint or certificate file");
    target_options(inspect, false);
    auto* lint =
        app->add_subcommand("lint", "Write a finding per check per endpoint or certificate file");
    target_options(lint, true);
    auto* csr = app->add_subcommand("csr", "Make a key and a certificate signing request");
    key_options(csr, false);
    auto* selfsigned =
        app->add_subcommand("selfsigned", "Make a key and a self-signed lab certificate");
    key_options(selfsigned, true);
    auto* pair = app->add_subcommand("check-pair",
                                     "Check that a key, a certificate and a chain belong together");
    pair->add_option("--key", o.key_file, "Private key (PEM or DER)")->type_name("FILE");
    pair->add_option("--cert", o.cert_file, "Certificate (PEM or DER); may hold the chain after it")
        ->required()
        ->type_name("FILE");
    pair->add_option("--chain", o.chain_file, "Intermediate certificates, leaf's issuer first")
        ->type_name("FILE");
    pair->add_option("--ca-file", o.ca_file, "Also check the chain leads to these trusted CAs")
        ->type_name("FILE");
    dce::cli::add_format_option(*pair, o.format, {"json", "text", "junit", "sarif"},
                                "Output format");
    pair->add_option("-o,--output", o.output, "Write the output to FILE instead of stdout")
        ->type_name("FILE");
    passphrase_options(pair, "of an encrypted key");

    return dce::cli::run_tool(*app, doc, common, argc, argv, [&](dce::ToolContext& ctx) {
        if (inspect->parsed()) return dce::run_cert_inspect(ctx, o);
        if (lint->parsed()) return dce::run_cert_lint(ctx, o);
        if (csr->parsed()) return dce::run_cert_csr(ctx, o);
        if (selfsigned->parsed()) return dce::run_cert_selfsigned(ctx, o);
        if (pair->parsed()) return dce::run_cert_check_pair(ctx, o);
        return static_cast<int>(dce::exit_usage);
    });
}
