#pragma once
// dce-cert's work, behind the thin main() in tools/dce-cert: gather targets (arguments,
// @inventory files, `device` records on stdin), probe them concurrently, write `cert`
// records or lint `finding`s, render JSON lines / text / JUnit / SARIF (lib/report),
// and make keys, CSRs and lab certificates.

#include "core/context.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dce {

struct CertOptions {
    // inspect / lint
    std::vector<std::string> targets;  ///< host[:port], @file, PEM/DER paths
    std::vector<std::string> files;    ///< --file
    std::string sni;                   ///< --sni: server name to send (and match)
    std::string host;                  ///< --host: name to match a file's certificate against
    std::string starttls = "none";
    std::string ca_file;
    int warn_days = 30;
    std::size_t concurrency = 64;
    int timeout_ms = 5000;  ///< per connection, connect to end of handshake
    std::string format;     ///< json|text|junit|sarif; empty: text at a terminal, else json
    std::string output;     ///< --output FILE for junit/sarif/text (default stdout)
    bool no_forward = false;
    bool no_probe = false;  ///< inspect: skip the protocol/cipher questions
    std::uint64_t max_targets = 65536;
    int default_port = 443;

    // csr / selfsigned / check-pair
    std::string key_type = "rsa2048";
    std::string subject;
    std::vector<std::string> sans;
    std::string key_out, out;
    int days = 365;
    bool force = false;
    std::string key_file, cert_file, chain_file;
    std::string passphrase_credential, passphrase_env;
    bool passphrase_stdin = false;
};

int run_cert_inspect(ToolContext& ctx, const CertOptions& o);
int run_cert_lint(ToolContext& ctx, const CertOptions& o);
int run_cert_csr(ToolContext& ctx, const CertOptions& o);
int run_cert_selfsigned(ToolContext& ctx, const CertOptions& o);
int run_cert_check_pair(ToolContext& ctx, const CertOptions& o);

}  // namespace dce
