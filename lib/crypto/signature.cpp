#include "crypto/signature.hpp"

#include "core/files.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace dce::crypto {
namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey load_public_key(const std::string& pem, std::string& error) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (!key) {
        // A certificate holding the key is fine too.
        BIO_reset(bio.get());
        if (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            key = X509_get_pubkey(cert);
            X509_free(cert);
        }
    }
    if (!key) error = "not a PEM public key or certificate";
    return Pkey(key);
}

// Signatures are often published base64-encoded (.sig.b64, or pasted): accept both.
std::vector<unsigned char> decode_signature(const std::string& raw) {
    bool text = !raw.empty();
    for (unsigned char c : raw)
        if (!(std::isalnum(c) || c == '+' || c == '/' || c == '=' || std::isspace(c))) text = false;
    if (text) {
        std::string compact;
        for (char c : raw)
            if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
        if (!compact.empty() && compact.size() % 4 == 0) {
            std::vector<unsigned char> out(compact.size() / 4 * 3 + 3);
            int n =
                EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(compact.data()),
                                static_cast<int>(compact.size()));
            if (n > 0) {
                std::size_t pad = 0;
                while (pad < 2 && compact[compact.size() - 1 - pad] == '=')
                    ++pad;
                out.resize(static_cast<std::size_t>(n) - pad);
                return out;
            }
        }
    }
    return {raw.begin(), raw.end()};
}

std::string describe_key(EVP_PKEY* key) {
    int id = EVP_PKEY_get_base_id(key);
    if (id == EVP_PKEY_RSA) return "RSA-" + std::to_string(EVP_PKEY_get_bits(key));
    if (id == EVP_PKEY_ED25519) return "ED25519";
    if (id == EVP_PKEY_ED448) return "ED448";
    if (id == EVP_PKEY_EC) {
        char group[64] = {0};
        size_t len = 0;
        EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len);
        return std::string("EC-") + group;
    }
    return "unknown";
}

bool raw_digest(const std::string& path, DigestAlgorithm alg, std::vector<unsigned char>& md,
                SignatureCheck& r) {
    FileDigest d = digest_file(path, alg);
    if (!d.ok) {
        r.error = d.error;
        r.error_code = d.error_code;
        return false;
    }
    r.file_digest = d.hex;
    md.resize(d.hex.size() / 2);
    for (std::size_t i = 0; i < md.size(); ++i)
        md[i] = static_cast<unsigned char>(std::stoi(d.hex.substr(2 * i, 2), nullptr, 16));
    return true;
}

bool verify_digest(EVP_PKEY* key, const std::vector<unsigned char>& md,
                   const std::vector<unsigned char>& sig, DigestAlgorithm alg, int padding) {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return false;
    if (EVP_PKEY_CTX_set_signature_md(ctx.get(), evp_digest(alg)) != 1) return false;
    if (padding) {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding) != 1) return false;
        if (padding == RSA_PKCS1_PSS_PADDING &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) != 1)
            return false;
    }
    return EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), md.data(), md.size()) == 1;
}

}  // namespace

SignatureCheck verify_detached_signature(const std::string& file_path,
                                         const std::string& signature_path,
                                         const std::string& public_key_path,
                                         DigestAlgorithm digest) {
    SignatureCheck r;
    std::string pem, sig_raw;
    if (!read_file_capped(public_key_path, max_small_file, pem, r.error))
        return r.error_code = "key", r;
    Pkey key = load_public_key(pem, r.error);
    if (!key) {
        r.error = "public key '" + public_key_path + "': " + r.error;
        r.error_code = "key";
        return r;
    }
    r.key_type = describe_key(key.get());
    if (!read_file_capped(signature_path, max_small_file, sig_raw, r.error))
        return r.error_code = "signature", r;
    auto sig = decode_signature(sig_raw);
    if (sig.empty()) {
        r.error = "signature file '" + signature_path + "' is empty";
        r.error_code = "signature";
        return r;
    }
    int id = EVP_PKEY_get_base_id(key.get());
    if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) {
        r.scheme = id == EVP_PKEY_ED25519 ? "ed25519" : "ed448";
        int fd = ::open(file_path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (fd >= 0) ::close(fd);
            r.error = "cannot read '" + file_path + "'" +
                      (fd < 0 ? std::string(": ") + std::strerror(errno) : "");
            r.error_code = "io";
            return r;
        }
        const unsigned char* data = nullptr;
        void* map = MAP_FAILED;
        if (st.st_size > 0) {
            map = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd,
                         0);
            if (map == MAP_FAILED) {
                ::close(fd);
                r.error = "cannot map '" + file_path + "': " + std::strerror(errno);
                r.error_code = "io";
                return r;
            }
            data = static_cast<const unsigned char*>(map);
        }
        std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
        static const unsigned char empty = 0;
        r.usable = true;
        r.verified = EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
                     EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data ? data : &empty,
                                      static_cast<std::size_t>(st.st_size)) == 1;
        if (map != MAP_FAILED) ::munmap(map, static_cast<std::size_t>(st.st_size));
        ::close(fd);
        return r;
    }
    std::vector<unsigned char> md;
    if (!raw_digest(file_path, digest, md, r)) return r;
    r.usable = true;
    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
        if (id == EVP_PKEY_RSA && verify_digest(key.get(), md, sig, digest, RSA_PKCS1_PADDING)) {
            r.scheme = "rsa-pkcs1v15";
            r.verified = true;
        } else if (verify_digest(key.get(), md, sig, digest, RSA_PKCS1_PSS_PADDING)) {
            r.scheme = "rsa-pss";
            r.verified = true;
        } else {
            r.scheme = "rsa";
        }
    } else if (id == EVP_PKEY_EC) {
        r.scheme = "ecdsa";
        r.verified = verify_digest(key.get(), md, sig, digest, 0);
    } else {
        r.usable = false;
        r.error = "unsupported key type in '" + public_key_path + "'";
        r.error_code = "key";
    }
    return r;
}

}  // namespace dce::crypto
