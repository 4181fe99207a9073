#pragma once
// What an operator needs to replace a default certificate: a new key, a CSR (or a lab
// certificate signed by that key), and a check before upload that the key, the
// certificate and the chain belong together. Private keys are written to files created
// 0600 from the start (never chmod-ed after), and never over an existing file unless
// asked; passphrases come from the caller (never argv), as dce::Secret.

#include "core/credentials.hpp"
#include "core/record.hpp"
#include "tls/lint.hpp"
#include "tls/ossl.hpp"
#include "tls/x509.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dce::tls {

/// rsa2048, rsa3072, rsa4096, p256, p384, ed25519.
bool valid_key_type(const std::string& type);
bool generate_key(const std::string& type, PkeyPtr& out, std::string& why);

struct CertRequest {
    std::string subject;            ///< "CN=ups1.example,O=Example" or "/CN=.../O=..."
    std::vector<std::string> sans;  ///< "DNS:name", "IP:addr", or bare (IP when it parses as one)
    int days = 365;                 ///< self-signed only
};

/// Builds the subjectAltName value ("DNS:a,IP:1.2.3.4"); false on an unusable entry.
bool san_value(const std::vector<std::string>& sans, std::string& out, std::string& why);

bool make_csr(EVP_PKEY* key, const CertRequest& req, std::string& pem, std::string& why);
bool make_self_signed(EVP_PKEY* key, const CertRequest& req, X509Ptr& cert, std::string& pem,
                      std::string& why);

/// Writes a PEM private key to a new file with mode 0600 (O_EXCL; with `force`, an
/// existing file is removed first rather than opened, so its old mode never applies).
bool write_private_key(const std::string& path, EVP_PKEY* key, const Secret* passphrase, bool force,
                       std::string& why);
/// Writes a public document (CSR, certificate), mode 0644, same overwrite rule.
bool write_public_file(const std::string& path, const std::string& data, bool force,
                       std::string& why);

/// Reads a private key (PEM, possibly encrypted, or DER).
bool load_private_key(const std::string& path, const Secret* passphrase, PkeyPtr& out,
                      std::string& why);
bool load_certificates_file(const std::string& path, std::vector<X509Ptr>& out, std::string& why);

struct PairInput {
    std::string target;  ///< what findings name (the certificate file)
    EVP_PKEY* key = nullptr;
    std::vector<X509Ptr> certs;         ///< leaf first, then the chain to upload
    const TrustStore* trust = nullptr;  ///< null: chain trust not judged
};
std::vector<Finding> check_pair(const PairInput& in);

}  // namespace dce::tls
