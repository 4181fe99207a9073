#pragma once
// RAII owners for the OpenSSL objects lib/tls passes around. OpenSSL headers stay in
// lib/tls (HACKING.md): nothing outside this folder includes this file.

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

namespace dce::tls {

struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct StoreFree {
    void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct BioFree {
    void operator()(BIO* p) const { BIO_free(p); }
};

using X509Ptr = std::shared_ptr<X509>;  // shared: a chain is handed from probe to lint
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

inline X509Ptr own(X509* x) {
    return X509Ptr(x, X509Free{});
}
/// Takes a new reference to `x` (SSL_get_peer_cert_chain does not give one).
inline X509Ptr share(X509* x) {
    X509_up_ref(x);
    return own(x);
}

/// The latest OpenSSL error queue as one line, emptied; `fallback` when it is empty.
std::string openssl_error(const std::string& fallback);

}  // namespace dce::tls
