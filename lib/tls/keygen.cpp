#include "tls/keygen.hpp"

#include "core/files.hpp"
#include "core/jsonl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dce::tls {
namespace {

std::string bio_string(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

bool is_ip_literal(const std::string& s) {
    unsigned char buf[16];
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(s.c_str());
    (void)buf;
    ERR_clear_error();
    if (!ip) return false;
    ASN1_OCTET_STRING_free(ip);
    return true;
}

bool build_name(const std::string& subject, X509_NAME* name, std::string& why) {
    // Accept both "CN=a,O=b" (RFC 4514 order as typed) and "/CN=a/O=b" (openssl req).
    std::vector<std::string> parts;
    std::string cur;
    char sep = !subject.empty() && subject[0] == '/' ? '/' : ',';
    for (std::size_t i = 0; i < subject.size(); ++i) {
        char c = subject[i];
        if (c == '\\' && i + 1 < subject.size()) {
            cur += subject[++i];
        } else if (c == sep) {
            if (!cur.empty()) parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) parts.push_back(cur);
    if (parts.empty()) return why = "empty subject", false;
    for (auto& p : parts) {
        auto b = p.find_first_not_of(' ');
        p = b == std::string::npos ? "" : p.substr(b);
        auto eq = p.find('=');
        if (eq == std::string::npos || eq == 0)
            return why = "subject part \"" + p + "\" is not KEY=value", false;
        std::string key = p.substr(0, eq), value = p.substr(eq + 1);
        if (X509_NAME_add_entry_by_txt(name, key.c_str(), MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                       -1, 0) != 1) {
            ERR_clear_error();
            return why = "unknown subject attribute \"" + key + "\"", false;
        }
    }
    return true;
}

bool add_ext(X509* cert, X509_REQ* req, STACK_OF(X509_EXTENSION) * exts, X509V3_CTX* ctx, int nid,
             const std::string& value, std::string& why) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
    if (!ext) {
        why = openssl_error("bad extension value " + value);
        return false;
    }
    if (cert) X509_add_ext(cert, ext, -1);
    if (req)
        sk_X509_EXTENSION_push(exts, ext);
    else
        X509_EXTENSION_free(ext);
    return true;
}

const EVP_MD* digest_for(EVP_PKEY* key) {
    // EdDSA signs the message itself; it takes no separate digest.
    int id = EVP_PKEY_get_base_id(key);
    return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
}

int open_new(const std::string& path, mode_t mode, bool force, std::string& why) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST) {
        if (!force) {
            why = path + " exists; give --force to replace it";
            return -1;
        }
        if (unlink(path.c_str()) != 0) {
            why = "cannot remove " + path + ": " + std::strerror(errno);
            return -1;
        }
        fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    }
    if (fd < 0) why = "cannot create " + path + ": " + std::strerror(errno);
    return fd;
}

bool write_new(const std::string& path, const std::string& data, mode_t mode, bool force,
               std::string& why) {
    int fd = open_new(path, mode, force, why);
    if (fd < 0) return false;
    try {
        write_all(fd, data);
    } catch (const std::exception& e) {
        close(fd);
        why = "cannot write " + path + ": " + e.what();
        return false;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return why = "cannot write " + path + ": " + std::strerror(errno), false;
    return true;
}

int passphrase_cb(char* buf, int size, int, void* u) {
    auto* secret = static_cast<const Secret*>(u);
    if (!secret) return -1;
    const std::string& v = secret->reveal();
    if (static_cast<int>(v.size()) > size) return -1;
    std::memcpy(buf, v.data(), v.size());
    return static_cast<int>(v.size());
}

Finding pair_finding(const PairInput& in, const char* check, Status st, std::string msg,
                     Json ev = Json::object()) {
    const CheckInfo* c = find_check(check);
    Finding f;
    f.tool = "dce-cert";
    f.check = check;
    f.target = in.target;
    f.status = st;
    f.severity = st == Status::pass || st == Status::skip ? Severity::info : c->severity;
    f.message = std::move(msg);
    f.evidence = std::move(ev);
    f.reference = std::string(c->reference);
    return f;
}

}  // namespace

bool valid_key_type(const std::string& t) {
    return t == "rsa2048" || t == "rsa3072" || t == "rsa4096" || t == "p256" || t == "p384" ||
           t == "ed25519";
}

bool generate_key(const std::string& type, PkeyPtr& out, std::string& why) {
    EVP_PKEY* k = nullptr;
    if (type == "rsa2048")
        k = EVP_RSA_gen(2048);
    else if (type == "rsa3072")
        k = EVP_RSA_gen(3072);
    else if (type == "rsa4096")
        k = EVP_RSA_gen(4096);
    else if (type == "p256")
        k = EVP_EC_gen("P-256");
    else if (type == "p384")
        k = EVP_EC_gen("P-384");
    else if (type == "ed25519")
        k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    else
        return why = "unknown key type " + type, false;
    if (!k) return why = openssl_error("key generation failed"), false;
    out.reset(k);
    return true;
}

bool san_value(const std::vector<std::string>& sans, std::string& out, std::string& why) {
    out.clear();
    for (const auto& s : sans) {
        std::string v = s;
        if (v.rfind("DNS:", 0) != 0 && v.rfind("IP:", 0) != 0 && v.rfind("email:", 0) != 0 &&
            v.rfind("URI:", 0) != 0)
            v = (is_ip_literal(v) ? "IP:" : "DNS:") + v;
        if (v.find(',') != std::string::npos || v.size() <= 4)
            return why = "bad subjectAltName \"" + s + "\"", false;
        if (v.rfind("IP:", 0) == 0 && !is_ip_literal(v.substr(3)))
            return why = "bad IP address in \"" + s + "\"", false;
        out += (out.empty() ? "" : ",") + v;
    }
    return true;
}

bool make_csr(EVP_PKEY* key, const CertRequest& r, std::string& pem, std::string& why) {
    X509_REQ* req = X509_REQ_new();
    bool ok = false;
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    do {
        X509_REQ_set_version(req, 0);
        if (!build_name(r.subject, X509_REQ_get_subject_name(req), why)) break;
        X509_REQ_set_pubkey(req, key);
        std::string san;
        if (!san_value(r.sans, san, why)) break;
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, nullptr, nullptr, req, nullptr, 0);
        if (!san.empty() && !add_ext(nullptr, req, exts, &ctx, NID_subject_alt_name, san, why))
            break;
        if (!add_ext(nullptr, req, exts, &ctx, NID_ext_key_usage, "serverAuth", why)) break;
        if (sk_X509_EXTENSION_num(exts) > 0) X509_REQ_add_extensions(req, exts);
        if (X509_REQ_sign(req, key, digest_for(key)) <= 0) {
            why = openssl_error("cannot sign the request");
            break;
        }
        BioPtr bio(BIO_new(BIO_s_mem()));
        PEM_write_bio_X509_REQ(bio.get(), req);
        pem = bio_string(bio.get());
        ok = true;
    } while (false);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    return ok;
}

bool make_self_signed(EVP_PKEY* key, const CertRequest& r, X509Ptr& cert, std::string& pem,
                      std::string& why) {
    X509Ptr x = own(X509_new());
    X509_set_version(x.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;  // positive, as RFC 5280 asks
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
    X509_time_adj_ex(X509_getm_notAfter(x.get()), r.days, 0, nullptr);
    if (!build_name(r.subject, X509_get_subject_name(x.get()), why)) return false;
    X509_set_issuer_name(x.get(), X509_get_subject_name(x.get()));
    X509_set_pubkey(x.get(), key);
    std::string san;
    if (!san_value(r.sans, san, why)) return false;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
    if (!add_ext(x.get(), nullptr, nullptr, &ctx, NID_basic_constraints, "critical,CA:FALSE", why))
        return false;
    if (!add_ext(x.get(), nullptr, nullptr, &ctx, NID_key_usage,
                 "critical,digitalSignature,keyEncipherment", why))
        return false;
    if (!add_ext(x.get(), nullptr, nullptr, &ctx, NID_ext_key_usage, "serverAuth", why))
        return false;
    if (!add_ext(x.get(), nullptr, nullptr, &ctx, NID_subject_key_identifier, "hash", why))
        return false;
    if (!san.empty() && !add_ext(x.get(), nullptr, nullptr, &ctx, NID_subject_alt_name, san, why))
        return false;
    if (X509_sign(x.get(), key, digest_for(key)) <= 0)
        return why = openssl_error("cannot sign"), false;
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), x.get());
    pem = bio_string(bio.get());
    cert = x;
    return true;
}

bool write_private_key(const std::string& path, EVP_PKEY* key, const Secret* pass, bool force,
                       std::string& why) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    int ok = pass ? PEM_write_bio_PrivateKey(
                        bio.get(), key, EVP_aes_256_cbc(),
                        reinterpret_cast<const unsigned char*>(pass->reveal().data()),
                        static_cast<int>(pass->reveal().size()), nullptr, nullptr)
                  : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    if (ok != 1) return why = openssl_error("cannot encode the key"), false;
    std::string pem = bio_string(bio.get());
    bool written = write_new(path, pem, 0600, force, why);
    OPENSSL_cleanse(pem.data(), pem.size());
    return written;
}

bool write_public_file(const std::string& path, const std::string& data, bool force,
                       std::string& why) {
    return write_new(path, data, 0644, force, why);
}

bool load_private_key(const std::string& path, const Secret* pass, PkeyPtr& out, std::string& why) {
    std::string bytes;
    if (!read_file_capped(path, max_small_file, bytes, why)) return false;
    if (bytes.empty()) return why = path + " is empty", false;
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    EVP_PKEY* k =
        PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, const_cast<Secret*>(pass));
    if (!k) {
        ERR_clear_error();
        const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
        k = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(bytes.size()));
    }
    OPENSSL_cleanse(bytes.data(), bytes.size());
    if (!k) {
        ERR_clear_error();
        why = "cannot read the private key in " + path +
              (pass ? " (wrong passphrase?)"
                    : " (if it is encrypted, give the passphrase: --passphrase-stdin, "
                      "--passphrase-env or --passphrase-credential)");
        return false;
    }
    out.reset(k);
    return true;
}

bool load_certificates_file(const std::string& path, std::vector<X509Ptr>& out, std::string& why) {
    std::string bytes;
    if (!read_file_capped(path, max_small_file, bytes, why)) return false;
    if (!parse_certificates(bytes, out, why)) {
        why = path + ": " + why;
        return false;
    }
    return true;
}

std::vector<Finding> check_pair(const PairInput& in) {
    std::vector<Finding> out;
    if (in.certs.empty()) return out;
    X509* leaf = in.certs.front().get();
    CertInfo li = describe_cert(leaf);
    Json ev = {{"subject", li.subject}, {"fingerprint_sha256", li.fingerprint_sha256}};
    if (in.key) {
        if (X509_check_private_key(leaf, in.key) == 1)
            out.push_back(pair_finding(in, "pair.key-matches", Status::pass,
                                       "The private key matches the certificate.", ev));
        else
            out.push_back(pair_finding(in, "pair.key-matches", Status::fail,
                                       "The private key does not belong to the certificate.", ev));
        ERR_clear_error();
    }
    // Each certificate must be signed by the next one: the order a server sends.
    Json links = Json::array();
    std::string broken;
    for (std::size_t i = 0; i + 1 < in.certs.size(); ++i) {
        X509* child = in.certs[i].get();
        X509* parent = in.certs[i + 1].get();
        bool names = X509_check_issued(parent, child) == X509_V_OK;
        bool sig = X509_verify(child, X509_get0_pubkey(parent)) == 1;
        ERR_clear_error();
        links.push_back({{"certificate", describe_cert(child).subject},
                         {"issuer", describe_cert(parent).subject},
                         {"links", names && sig}});
        if (broken.empty() && !(names && sig))
            broken = "certificate " + std::to_string(i) + " (" + describe_cert(child).subject +
                     ") is not issued by certificate " + std::to_string(i + 1) + " (" +
                     describe_cert(parent).subject + ")";
    }
    if (in.certs.size() == 1)
        out.push_back(pair_finding(
            in, "pair.chain-links", li.self_signed ? Status::pass : Status::warn,
            li.self_signed
                ? "A single self-signed certificate; no chain to link."
                : "No chain given: servers must send the intermediates with the certificate.",
            ev));
    else if (broken.empty())
        out.push_back(pair_finding(in, "pair.chain-links", Status::pass,
                                   "Each certificate is issued by the next one.",
                                   {{"links", links}}));
    else
        out.push_back(pair_finding(in, "pair.chain-links", Status::fail,
                                   "The chain does not link up: " + broken + ".",
                                   {{"links", links}}));
    if (in.trust && in.trust->loaded()) {
        std::string verr;
        if (in.trust->verify(in.certs, verr))
            out.push_back(pair_finding(in, "pair.chain-trusted", Status::pass,
                                       "The chain leads to a trusted CA.",
                                       {{"trust_store", in.trust->source()}}));
        else
            out.push_back(pair_finding(in, "pair.chain-trusted", Status::fail,
                                       "The chain is not trusted: " + verr + ".",
                                       {{"trust_store", in.trust->source()}, {"error", verr}}));
    }
    return out;
}

}  // namespace dce::tls
