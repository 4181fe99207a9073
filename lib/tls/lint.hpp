#pragma once
// The checks dce-cert applies to a certificate chain and to what a server accepts.
// Each check has a stable id (scripts and CI baselines key on it), a severity and the
// handbook or standard it comes from. Every applicable check yields a finding, passing
// ones included, so a CI report shows what was checked, not only what failed.

#include "core/record.hpp"
#include "tls/x509.hpp"

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dce::tls {

struct CheckInfo {
    std::string_view id;
    std::string_view name;     ///< CamelCase, for SARIF rules
    std::string_view summary;  ///< one line
    std::string_view help;     ///< what the operator should do
    std::string_view reference;
    Severity severity;
};

/// Every check dce-cert can make, in report order.
std::span<const CheckInfo> checks();
const CheckInfo* find_check(std::string_view id);

/// What the probes learned about a server; empty (probed == false) for a file.
struct ProtocolFacts {
    bool probed = false;
    /// "tls1.0" ... "tls1.3", "ssl3": true accepted, false refused, nullopt not known.
    std::map<std::string, std::optional<bool>> versions;
    std::string ssl3_note;  ///< why SSLv3 was not tried, when it was not
    std::optional<bool> weak_cipher_accepted;
    std::string weak_cipher;  ///< the weak suite the server agreed to
    std::vector<std::string> weak_classes_probed, weak_classes_not_probed;
    std::optional<bool> non_fs_accepted;
    std::string non_fs_cipher;
    std::string protocol, cipher;  ///< negotiated by the main handshake
    bool negotiated_fs = false;
};

struct LintInput {
    std::string target;               ///< what findings name: host:port or the file
    std::vector<X509Ptr> chain;       ///< leaf first
    std::optional<std::string> host;  ///< name to match against the certificate; nullopt: skip
    const TrustStore* trust = nullptr;
    ProtocolFacts protocols;
    int warn_days = 30;
    SystemTime now = std::chrono::system_clock::now();
};

std::vector<Finding> lint(const LintInput& in);

/// Whether a certificate looks like an APC/Schneider management card's factory default.
bool is_vendor_default(const CertInfo& c, std::string& why);

}  // namespace dce::tls
