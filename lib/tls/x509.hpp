#pragma once
// Certificates as facts: parse PEM/DER bytes or a peer's chain into CertInfo (what the
// `cert` record carries and what lint judges), and verify a chain against a trust store.
// Parsing never throws: input is untrusted (a server's chain, a file from an operator).

#include "core/record.hpp"
#include "core/time.hpp"
#include "tls/ossl.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dce::tls {

struct CertInfo {
    std::string subject, issuer;  ///< RFC 2253
    std::string subject_cn, issuer_cn;
    std::vector<std::string> subject_ou;
    std::vector<std::string> sans;  ///< "DNS:name", "IP:addr", "email:...", "URI:..."
    bool has_san_extension = false;
    std::string san_problem;  ///< why the extension present could not be read; empty if fine
    std::optional<SystemTime> not_before, not_after;
    std::string key_type;       ///< RSA, EC, Ed25519, Ed448, DSA, unknown
    std::string key_algorithm;  ///< the SPKI algorithm: rsaEncryption, or a dotted OID
    std::string key_problem;    ///< why OpenSSL could not read the key; empty if it could
    int key_bits = 0;
    std::string curve;                ///< EC group name, e.g. prime256v1
    std::string signature_algorithm;  ///< e.g. sha256WithRSAEncryption
    std::string signature_hash;       ///< SHA256, SHA1, MD5; "intrinsic" for EdDSA
    int signature_security_bits = 0;  ///< OpenSSL's estimate of the signature's strength
    std::string fingerprint_sha256;   ///< lowercase hex, no colons
    std::string serial;               ///< uppercase hex
    std::vector<std::string> ocsp, crl;
    bool self_issued = false;  ///< subject == issuer
    bool self_signed = false;  ///< self-issued and its own key verifies its signature
    /// Self-issued but not self-signed: why its own key does not verify it (an unreadable
    /// key, differing signature algorithms, a bad signature).
    std::string self_signature_problem;
    bool is_ca = false;
    int version = 0;
};

CertInfo describe_cert(X509* cert);

/// The fields of the `cert` record that describe one certificate (leaf: top-level
/// fields; chain entries: the same shape in `chain`).
Json cert_fields(const CertInfo& info);

/// Reads every certificate in `bytes`: PEM (one or many) or one DER. False with a reason
/// when there is none.
bool parse_certificates(std::string_view bytes, std::vector<X509Ptr>& out, std::string& why);

/// A trust store: the system's (OpenSSL default paths) or a CA file.
class TrustStore {
  public:
    /// Empty ca_file: the system store.
    bool load(const std::string& ca_file, std::string& why);
    /// Verifies the leaf with `chain` (leaf first; the rest untrusted helpers). Time is
    /// not checked here: expiry is its own check, so one bad date does not also read as
    /// "untrusted".
    bool verify(const std::vector<X509Ptr>& chain, std::string& why) const;
    bool loaded() const { return store_ != nullptr; }
    const std::string& source() const { return source_; }

  private:
    StorePtr store_;
    std::string source_;
};

/// True when `name` (DNS name or IP literal) matches the certificate.
bool matches_host(X509* cert, const std::string& name);

}  // namespace dce::tls
