#include "tls/x509.hpp"

#include "core/files.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace dce::tls {

std::string openssl_error(const std::string& fallback) {
    unsigned long e = ERR_get_error();
    if (e == 0) return fallback;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

namespace {

std::string name_rfc2253(const X509_NAME* name) {
    if (!name) return {};
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) return {};
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::vector<std::string> name_entries(const X509_NAME* name, int nid) {
    std::vector<std::string> out;
    if (!name) return out;
    for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(name, nid, i)) {
        const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        unsigned char* utf8 = nullptr;
        int n = ASN1_STRING_to_UTF8(&utf8, s);
        if (n >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
        OPENSSL_free(utf8);
    }
    return out;
}

std::optional<SystemTime> asn1_time(const ASN1_TIME* t) {
    struct tm tm {};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
    const unsigned char* p = ASN1_STRING_get0_data(ip);
    int n = ASN1_STRING_length(ip);
    char buf[64];
    if (n == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
        return buf;
    }
    if (n == 16) {
        // inet_ntop gives the canonical short form (RFC 5952), as operators write it.
        if (inet_ntop(AF_INET6, p, buf, sizeof buf)) return buf;
    }
    return "invalid";
}

std::string asn1_string_text(const ASN1_STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
}

/// The long name of a known OID, else the dotted form.
std::string object_text(const ASN1_OBJECT* obj) {
    if (!obj) return "unknown";
    char buf[128];
    int n = OBJ_obj2txt(buf, sizeof buf, obj, 0);
    return n > 0 ? std::string(buf,
                               std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1))
                 : "unknown";
}

std::string algor_text(const X509_ALGOR* alg) {
    if (!alg) return "none";
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
    return object_text(obj);
}

std::string hex(const unsigned char* p, std::size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

}  // namespace

CertInfo describe_cert(X509* cert) {
    CertInfo c;
    if (!cert) return c;
    c.version = static_cast<int>(X509_get_version(cert)) + 1;
    const X509_NAME* subj = X509_get_subject_name(cert);
    const X509_NAME* iss = X509_get_issuer_name(cert);
    c.subject = name_rfc2253(subj);
    c.issuer = name_rfc2253(iss);
    auto cn = name_entries(subj, NID_commonName);
    if (!cn.empty()) c.subject_cn = cn.front();
    auto icn = name_entries(iss, NID_commonName);
    if (!icn.empty()) c.issuer_cn = icn.front();
    c.subject_ou = name_entries(subj, NID_organizationalUnitName);
    c.self_issued = X509_NAME_cmp(subj, iss) == 0;

    int crit = 0;
    if (auto* gens = static_cast<GENERAL_NAMES*>(
            X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, nullptr))) {
        c.has_san_extension = true;
        for (int i = 0; i < sk_GENERAL_NAME_num(gens); ++i) {
            const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
            switch (g->type) {
                case GEN_DNS:
                    c.sans.push_back("DNS:" + asn1_string_text(g->d.dNSName));
                    break;
                case GEN_IPADD:
                    c.sans.push_back("IP:" + ip_text(g->d.iPAddress));
                    break;
                case GEN_EMAIL:
                    c.sans.push_back("email:" + asn1_string_text(g->d.rfc822Name));
                    break;
                case GEN_URI:
                    c.sans.push_back("URI:" + asn1_string_text(g->d.uniformResourceIdentifier));
                    break;
                default:
                    c.sans.push_back("other");
                    break;
            }
        }
        GENERAL_NAMES_free(gens);
    } else if (crit == -2) {
        c.has_san_extension = true;
        c.san_problem = "the subjectAltName extension appears more than once";
    } else if (crit != -1) {
        c.has_san_extension = true;
        c.san_problem = "the subjectAltName extension cannot be decoded";
    }

    c.not_before = asn1_time(X509_get0_notBefore(cert));
    c.not_after = asn1_time(X509_get0_notAfter(cert));

    ASN1_OBJECT* key_alg = nullptr;
    if (const X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
        spki && X509_PUBKEY_get0_param(&key_alg, nullptr, nullptr, nullptr, spki) == 1)
        c.key_algorithm = object_text(key_alg);
    EVP_PKEY* pk = X509_get0_pubkey(cert);
    ERR_clear_error();
    if (!pk) {
        // GOST, post-quantum, odd RSASSA-PSS parameters: a key is there, but this OpenSSL
        // cannot read it, so nothing can be said about its strength or the signature.
        c.key_type = "unknown";
        c.key_problem = "OpenSSL cannot decode its " +
                        (c.key_algorithm.empty() ? std::string("public") : c.key_algorithm) +
                        " key";
        if (c.self_issued) c.self_signature_problem = "its own key cannot be decoded";
    } else {
        c.key_bits = EVP_PKEY_get_bits(pk);
        switch (EVP_PKEY_get_base_id(pk)) {
            case EVP_PKEY_RSA:
            case EVP_PKEY_RSA_PSS:
                c.key_type = "RSA";
                break;
            case EVP_PKEY_EC: {
                c.key_type = "EC";
                char group[80] = {};
                size_t len = 0;
                if (EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof group, &len))
                    c.curve = group;
                break;
            }
            case EVP_PKEY_ED25519:
                c.key_type = "Ed25519";
                break;
            case EVP_PKEY_ED448:
                c.key_type = "Ed448";
                break;
            case EVP_PKEY_DSA:
                c.key_type = "DSA";
                break;
            default:
                c.key_type = "unknown";
                break;
        }
        // Self-signed means the certificate's own key verifies it, not just equal names.
        if (c.self_issued) {
            const X509_ALGOR* outer = nullptr;
            X509_get0_signature(nullptr, &outer, cert);
            const X509_ALGOR* inner = X509_get0_tbs_sigalg(cert);
            if (!outer || !inner || X509_ALGOR_cmp(outer, inner) != 0) {
                // X509_verify refuses these without a word; say what is wrong.
                std::string o = algor_text(outer), i = algor_text(inner);
                c.self_signature_problem =
                    o == i ? "the signature algorithm's parameters outside the signed part "
                             "differ from those inside it"
                           : "the signature algorithm outside the signed part (" + o +
                                 ") differs from the one inside it (" + i + ")";
                c.self_signature_problem += ", which RFC 5280 section 4.1.1.2 forbids";
            } else if (X509_verify(cert, pk) == 1) {
                c.self_signed = true;
            } else {
                c.self_signature_problem = "its signature does not verify with its own key";
            }
        }
        ERR_clear_error();
    }

    int sig_nid = X509_get_signature_nid(cert);
    c.signature_algorithm = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown";
    int md_nid = NID_undef, pk_nid = NID_undef, secbits = 0;
    uint32_t flags = 0;
    if (X509_get_signature_info(cert, &md_nid, &pk_nid, &secbits, &flags) == 1) {
        c.signature_security_bits = secbits;
        c.signature_hash = md_nid != NID_undef ? OBJ_nid2sn(md_nid) : "intrinsic";
    } else {
        c.signature_hash = "unknown";
    }
    ERR_clear_error();

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1) c.fingerprint_sha256 = hex(md, mdlen);

    if (const ASN1_INTEGER* serial = X509_get0_serialNumber(cert)) {
        if (BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr)) {
            char* h = BN_bn2hex(bn);
            if (h) c.serial = h;
            OPENSSL_free(h);
            BN_free(bn);
        }
    }

    if (auto* aia = static_cast<AUTHORITY_INFO_ACCESS*>(
            X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr))) {
        for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); ++i) {
            const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia, i);
            if (OBJ_obj2nid(ad->method) == NID_ad_OCSP && ad->location->type == GEN_URI)
                c.ocsp.push_back(asn1_string_text(ad->location->d.uniformResourceIdentifier));
        }
        AUTHORITY_INFO_ACCESS_free(aia);
    }
    if (auto* cdp = static_cast<CRL_DIST_POINTS*>(
            X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr))) {
        for (int i = 0; i < sk_DIST_POINT_num(cdp); ++i) {
            const DIST_POINT* dp = sk_DIST_POINT_value(cdp, i);
            if (!dp->distpoint || dp->distpoint->type != 0) continue;
            const GENERAL_NAMES* names = dp->distpoint->name.fullname;
            for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
                const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, j);
                if (g->type == GEN_URI)
                    c.crl.push_back(asn1_string_text(g->d.uniformResourceIdentifier));
            }
        }
        CRL_DIST_POINTS_free(cdp);
    }
    c.is_ca = X509_check_ca(cert) > 0;
    ERR_clear_error();
    return c;
}

Json cert_fields(const CertInfo& c) {
    Json j = Json::object();
    j["subject"] = c.subject;
    j["issuer"] = c.issuer;
    j["sans"] = c.sans;
    if (c.not_before) j["not_before"] = format_timestamp(*c.not_before);
    if (c.not_after) j["not_after"] = format_timestamp(*c.not_after);
    Json key = {{"type", c.key_type}, {"bits", c.key_bits}};
    if (!c.curve.empty()) key["curve"] = c.curve;
    if (!c.key_algorithm.empty()) key["algorithm"] = c.key_algorithm;
    if (!c.key_problem.empty()) key["error"] = c.key_problem;
    j["key"] = key;
    j["signature_algorithm"] = c.signature_algorithm;
    j["signature_hash"] = c.signature_hash;
    j["fingerprint_sha256"] = c.fingerprint_sha256;
    j["serial"] = c.serial;
    j["self_signed"] = c.self_signed;
    j["is_ca"] = c.is_ca;
    if (!c.ocsp.empty()) j["ocsp"] = c.ocsp;
    if (!c.crl.empty()) j["crl"] = c.crl;
    return j;
}

bool parse_certificates(std::string_view bytes, std::vector<X509Ptr>& out, std::string& why) {
    out.clear();
    // BIO_new_mem_buf takes an int length; certificate files are never near 2 GiB.
    if (bytes.size() > (1u << 24)) return why = "input larger than 16 MiB", false;
    if (bytes.find("-----BEGIN") != std::string_view::npos) {
        BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
        if (!bio) return why = "out of memory", false;
        while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            out.push_back(own(x));
            if (out.size() > 64) break;  // a chain longer than this is not a chain
        }
        ERR_clear_error();
        if (out.empty()) return why = "no PEM certificate could be read", false;
        return true;
    }
    const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(bytes.size()));
    if (!x) {
        why = openssl_error("not a PEM or DER certificate");
        return false;
    }
    out.push_back(own(x));
    return true;
}

bool TrustStore::load(const std::string& ca_file, std::string& why) {
    store_.reset(X509_STORE_new());
    if (!store_) return why = "out of memory", false;
    if (ca_file.empty()) {
        if (X509_STORE_set_default_paths(store_.get()) != 1) {
            why = openssl_error("cannot load the system trust store");
            return false;
        }
        source_ = "system";
    } else {
        // Read here, capped, rather than by X509_STORE_load_file: OpenSSL would search
        // /dev/zero or a huge file for a PEM line forever, deaf to SIGTERM.
        std::string bytes;
        if (!read_file_capped(ca_file, max_list_file, bytes, why))
            return why = "CA file: " + why, false;
        BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
        STACK_OF(X509_INFO)* infos =
            bio ? PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr) : nullptr;
        int count = 0;
        for (int i = 0; infos && i < sk_X509_INFO_num(infos); ++i) {
            const X509_INFO* info = sk_X509_INFO_value(infos, i);
            if (info->x509 && X509_STORE_add_cert(store_.get(), info->x509) == 1) ++count;
            if (info->crl && X509_STORE_add_crl(store_.get(), info->crl) == 1) ++count;
        }
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
        if (count == 0) {
            why =
                "cannot read CA file " + ca_file + ": " + openssl_error("no PEM certificate in it");
            return false;
        }
        source_ = ca_file;
    }
    ERR_clear_error();
    return true;
}

bool TrustStore::verify(const std::vector<X509Ptr>& chain, std::string& why) const {
    if (!store_ || chain.empty()) return why = "no certificate", false;
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    for (std::size_t i = 1; i < chain.size(); ++i)
        sk_X509_push(untrusted, chain[i].get());
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    bool ok = false;
    if (ctx && X509_STORE_CTX_init(ctx, store_.get(), chain[0].get(), untrusted) == 1) {
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
        ok = X509_verify_cert(ctx) == 1;
        if (!ok) {
            int err = X509_STORE_CTX_get_error(ctx);
            why = X509_verify_cert_error_string(err);
            why += " (depth " + std::to_string(X509_STORE_CTX_get_error_depth(ctx)) + ")";
        }
    } else {
        why = openssl_error("cannot set up verification");
    }
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    ERR_clear_error();
    return ok;
}

bool matches_host(X509* cert, const std::string& name) {
    if (name.empty() || !cert) return false;
    std::string n = name;
    if (n.size() > 2 && n.front() == '[' && n.back() == ']') n = n.substr(1, n.size() - 2);
    int r;
    if (n.find(':') != std::string::npos ||
        (n.find_first_not_of("0123456789.") == std::string::npos))
        r = X509_check_ip_asc(cert, n.c_str(), 0);
    else
        r = X509_check_host(cert, n.c_str(), n.size(), 0, nullptr);
    ERR_clear_error();
    return r == 1;
}

}  // namespace dce::tls
