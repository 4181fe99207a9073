#include "tls/lint.hpp"

#include <algorithm>
#include <cctype>

namespace dce::tls {
namespace {

constexpr std::string_view ref_handbook =
    "Schneider Electric DCE security handbook: Replace the Default SSL/TLS Certificate";
constexpr std::string_view ref_fe_tls =
    "Schneider Electric EcoStruxure Facility Expert: HTTPS, minimum TLS 1.2; RFC 8996";
constexpr std::string_view ref_fe_sha =
    "Schneider Electric EcoStruxure Facility Expert: SHA-256 certificates; NIST SP 800-131A";

constexpr CheckInfo check_table[] = {
    {"cert.vendor-default", "VendorDefaultCertificate",
     "The certificate is a management card's factory default.",
     "Replace it with a certificate from your enterprise or a public CA: dce-cert csr makes the "
     "key and request.",
     ref_handbook, Severity::critical},
    {"cert.self-signed", "SelfSignedCertificate", "The certificate is self-signed.",
     "Use a certificate issued by a reputable or enterprise CA.", ref_handbook, Severity::high},
    {"cert.trusted-chain", "UntrustedChain", "The chain does not lead to a trusted CA.",
     "Serve the full chain (leaf then intermediates) issued by a CA the clients trust (--ca-file "
     "for an enterprise CA).",
     "DCE security handbook: reputable or enterprise CA; RFC 5280 section 6", Severity::high},
    {"cert.hostname", "HostnameMismatch",
     "The certificate does not name the host it was reached at.",
     "Reissue it with the host's DNS name and/or IP address in the subjectAltName.",
     "RFC 6125; RFC 2818 section 3.1", Severity::high},
    {"cert.expired", "CertificateExpired", "The certificate has expired.", "Renew the certificate.",
     "RFC 5280 section 4.1.2.5", Severity::critical},
    {"cert.not-yet-valid", "CertificateNotYetValid", "The certificate is not valid yet.",
     "Check the clock of the device and the certificate's notBefore date.",
     "RFC 5280 section 4.1.2.5", Severity::high},
    {"cert.expiring", "CertificateExpiringSoon",
     "The certificate expires within the warning period.",
     "Renew the certificate before it expires.", "RFC 5280 section 4.1.2.5", Severity::medium},
    {"cert.signature-hash", "WeakSignatureHash",
     "A certificate is signed with a hash weaker than SHA-256.",
     "Reissue the certificate signed with SHA-256 or better.", ref_fe_sha, Severity::high},
    {"cert.key-size", "WeakKey",
     "A key is too small (RSA under 2048 bits, EC under 256 bits) or cannot be judged.",
     "Make a new key (dce-cert csr --key-type rsa2048|p256 or stronger) and reissue.",
     "NIST SP 800-131A Rev. 2; CA/Browser Forum Baseline Requirements 6.1.5", Severity::high},
    {"cert.san", "MissingSubjectAltName", "The certificate has no usable subjectAltName extension.",
     "Reissue it with the names and addresses in subjectAltName; clients ignore the CN.",
     "RFC 6125 section 6.4.4; CA/Browser Forum Baseline Requirements 7.1.2.7", Severity::medium},
    {"tls.protocol-legacy", "LegacyProtocolAccepted",
     "The server accepts a protocol below TLS 1.2.",
     "Disable SSLv3, TLS 1.0 and TLS 1.1 on the device or server.", ref_fe_tls, Severity::high},
    {"tls.protocol-modern", "NoModernProtocol", "The server accepts neither TLS 1.2 nor TLS 1.3.",
     "Enable TLS 1.2 (and TLS 1.3 where the firmware has it); update old firmware.", ref_fe_tls,
     Severity::high},
    {"tls.weak-cipher", "WeakCipherAccepted",
     "The server accepts RC4, 3DES, NULL, EXPORT or anonymous suites.",
     "Restrict the cipher list to AEAD suites with ECDHE.",
     "RFC 7465 (RC4); NIST SP 800-131A (3DES); RFC 9325", Severity::high},
    {"tls.forward-secrecy", "NoForwardSecrecy",
     "The server does not use forward secrecy, or also accepts static RSA key exchange.",
     "Allow only (EC)DHE key exchange (TLS 1.2) or TLS 1.3.", "RFC 9325 section 4.1",
     Severity::medium},
    {"pair.key-matches", "KeyDoesNotMatchCertificate",
     "The private key does not belong to the certificate.",
     "Upload the key the CSR was made with, or make a new CSR from this key.",
     "RFC 5280 section 4.1.2.7", Severity::critical},
    {"pair.chain-links", "ChainDoesNotLink",
     "The chain is out of order or has a certificate that does not belong.",
     "Order the file leaf first, then each issuer; drop certificates that do not belong.",
     "RFC 8446 section 4.4.2", Severity::high},
    {"pair.chain-trusted", "PairChainUntrusted",
     "The chain to upload does not lead to a trusted CA.",
     "Include the intermediates and check the CA file given.", ref_handbook, Severity::high},
};

Finding make(const LintInput& in, std::string_view id, Status status, std::string message,
             Json evidence = Json::object()) {
    const CheckInfo* c = find_check(id);
    Finding f;
    f.tool = "dce-cert";
    f.check = std::string(id);
    f.target = in.target;
    f.status = status;
    // A pass is informational; everything else carries the check's weight.
    f.severity = status == Status::pass || status == Status::skip ? Severity::info : c->severity;
    f.message = std::move(message);
    f.evidence = std::move(evidence);
    f.reference = std::string(c->reference);
    return f;
}

bool looks_like_serial(const std::string& s) {
    // APC serials: two letters then 10 digits (ZA2215342271), or 12 alphanumerics.
    if (s.size() < 10 || s.size() > 16) return false;
    int digits = 0;
    for (char ch : s) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) return false;
        digits += std::isdigit(static_cast<unsigned char>(ch)) != 0;
    }
    return digits >= 8;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

/// A key this code can weigh: a type it knows and a size OpenSSL could read.
bool judgeable_key(const CertInfo& c, std::string& why) {
    if (!c.key_problem.empty()) return why = c.key_problem, false;
    bool known = c.key_type == "RSA" || c.key_type == "DSA" || c.key_type == "EC" ||
                 c.key_type == "Ed25519" || c.key_type == "Ed448";
    if (!known || c.key_bits <= 0)
        return why = "no rule for its " + c.key_algorithm + " key (" + c.key_type + ", " +
                     std::to_string(c.key_bits) + " bits)",
               false;
    return true;
}

/// An empty name reads as nothing at all in a message; say it is empty.
std::string shown_name(const std::string& name) {
    return name.empty() ? std::string("an empty name") : name;
}

bool weak_key(const CertInfo& c, std::string& why) {
    if (c.key_type == "RSA" && c.key_bits < 2048)
        return why = "RSA " + std::to_string(c.key_bits) + " bits", true;
    if (c.key_type == "DSA" && c.key_bits < 2048)
        return why = "DSA " + std::to_string(c.key_bits) + " bits", true;
    if (c.key_type == "EC" && c.key_bits < 256)
        return why = "EC " + std::to_string(c.key_bits) + " bits", true;
    return false;
}

}  // namespace

std::span<const CheckInfo> checks() {
    return check_table;
}

const CheckInfo* find_check(std::string_view id) {
    for (const auto& c : check_table)
        if (c.id == id) return &c;
    return nullptr;
}

bool is_vendor_default(const CertInfo& c, std::string& why) {
    bool ou_marker =
        std::any_of(c.subject_ou.begin(), c.subject_ou.end(), [](const std::string& ou) {
            return lower(ou).find("internally generated certificate") != std::string::npos;
        });
    bool serial_cn = c.self_issued && !c.subject_cn.empty() && c.subject_cn == c.issuer_cn &&
                     looks_like_serial(c.subject_cn);
    if (ou_marker && c.self_issued) {
        why = "self-issued with OU \"Internally Generated Certificate\" (CN " + c.subject_cn + ")";
        return true;
    }
    if (ou_marker) {
        why = "OU \"Internally Generated Certificate\"";
        return true;
    }
    if (serial_cn && c.key_type == "RSA" && c.key_bits <= 1024) {
        why = "self-issued, CN is a serial number (" + c.subject_cn + "), " +
              std::to_string(c.key_bits) + "-bit RSA";
        return true;
    }
    return false;
}

std::vector<Finding> lint(const LintInput& in) {
    std::vector<Finding> out;
    if (!in.chain.empty()) {
        std::vector<CertInfo> infos;
        for (const auto& x : in.chain)
            infos.push_back(describe_cert(x.get()));
        const CertInfo& leaf = infos.front();
        Json leaf_ev = {{"subject", leaf.subject},
                        {"issuer", leaf.issuer},
                        {"fingerprint_sha256", leaf.fingerprint_sha256}};

        std::string why;
        if (is_vendor_default(leaf, why))
            out.push_back(make(in, "cert.vendor-default", Status::fail,
                               "Factory-default management card certificate: " + why + ".",
                               leaf_ev));
        else
            out.push_back(make(in, "cert.vendor-default", Status::pass,
                               "Not a management card's factory-default certificate.", leaf_ev));

        if (leaf.self_signed) {
            out.push_back(make(in, "cert.self-signed", Status::fail,
                               "The certificate is self-signed (" + shown_name(leaf.subject) + ").",
                               leaf_ev));
        } else if (leaf.self_issued) {
            // Issuer = subject, yet its own key does not verify it: nothing shows a CA
            // issued it, and nothing shows it is self-signed either.
            Json ev = leaf_ev;
            ev["error"] = leaf.self_signature_problem;
            out.push_back(make(in, "cert.self-signed", Status::warn,
                               "Cannot tell whether the certificate is self-signed: it names "
                               "itself as issuer (" +
                                   shown_name(leaf.issuer) + "), but " +
                                   leaf.self_signature_problem + ".",
                               ev));
        } else {
            out.push_back(make(in, "cert.self-signed", Status::pass,
                               "The certificate is issued by " + shown_name(leaf.issuer) + ".",
                               leaf_ev));
        }

        if (in.trust && in.trust->loaded()) {
            std::string verr;
            Json ev = {{"trust_store", in.trust->source()}, {"chain_length", in.chain.size()}};
            if (in.trust->verify(in.chain, verr)) {
                out.push_back(make(in, "cert.trusted-chain", Status::pass,
                                   "The chain leads to a trusted CA.", ev));
            } else {
                ev["error"] = verr;
                out.push_back(make(in, "cert.trusted-chain", Status::fail,
                                   "The chain is not trusted: " + verr + ".", ev));
            }
        }

        if (in.host) {
            Json ev = {{"host", *in.host}, {"sans", leaf.sans}, {"cn", leaf.subject_cn}};
            if (matches_host(in.chain.front().get(), *in.host))
                out.push_back(make(in, "cert.hostname", Status::pass,
                                   "The certificate names " + *in.host + ".", ev));
            else
                out.push_back(make(in, "cert.hostname", Status::fail,
                                   "The certificate does not name " + *in.host + ".", ev));
        } else {
            out.push_back(make(in, "cert.hostname", Status::skip,
                               "No host name to compare (give --host for a file)."));
        }

        // Validity of the leaf; an expired intermediate breaks the chain the same way.
        auto fmt = [](const std::optional<SystemTime>& t) {
            return t ? format_timestamp(*t) : std::string("unreadable");
        };
        Json vev = {{"not_before", fmt(leaf.not_before)}, {"not_after", fmt(leaf.not_after)}};
        std::string expired_which;
        for (std::size_t i = 0; i < infos.size(); ++i)
            if (!infos[i].not_after || *infos[i].not_after < in.now) {
                expired_which = i == 0 ? "the certificate"
                                       : "chain certificate " + std::to_string(i) + " (" +
                                             infos[i].subject + ")";
                break;
            }
        if (!expired_which.empty())
            out.push_back(make(
                in, "cert.expired", Status::fail,
                "Expired: " + expired_which + " (not after " + fmt(leaf.not_after) + ").", vev));
        else
            out.push_back(make(in, "cert.expired", Status::pass,
                               "Not expired (not after " + fmt(leaf.not_after) + ").", vev));
        if (!leaf.not_before || *leaf.not_before > in.now)
            out.push_back(make(in, "cert.not-yet-valid", Status::fail,
                               "Not valid before " + fmt(leaf.not_before) + ".", vev));
        else
            out.push_back(make(in, "cert.not-yet-valid", Status::pass,
                               "Valid since " + fmt(leaf.not_before) + ".", vev));
        if (expired_which.empty() && leaf.not_after) {
            auto left =
                std::chrono::duration_cast<std::chrono::hours>(*leaf.not_after - in.now).count() /
                24;
            Json ev = vev;
            ev["days_left"] = left;
            ev["warn_days"] = in.warn_days;
            if (left < in.warn_days)
                out.push_back(make(in, "cert.expiring", Status::warn,
                                   "Expires in " + std::to_string(left) + " days.", ev));
            else
                out.push_back(make(in, "cert.expiring", Status::pass,
                                   "Expires in " + std::to_string(left) + " days.", ev));
        }

        // Signatures: the leaf and intermediates. A root's self-signature is not relied on.
        std::string weak_sig;
        Json sigs = Json::array();
        for (std::size_t i = 0; i < infos.size(); ++i) {
            if (i > 0 && infos[i].self_signed) continue;
            sigs.push_back({{"subject", infos[i].subject},
                            {"algorithm", infos[i].signature_algorithm},
                            {"hash", infos[i].signature_hash}});
            if (weak_sig.empty() && infos[i].signature_security_bits < 128)
                weak_sig = infos[i].signature_algorithm + " on " +
                           (i == 0 ? std::string("the certificate") : infos[i].subject);
        }
        if (!weak_sig.empty())
            out.push_back(make(in, "cert.signature-hash", Status::fail,
                               "Signature hash weaker than SHA-256: " + weak_sig + ".",
                               {{"signatures", sigs}}));
        else
            out.push_back(make(in, "cert.signature-hash", Status::pass,
                               "Signed with " + leaf.signature_algorithm + ".",
                               {{"signatures", sigs}}));

        std::string weak, unjudged;
        Json keys = Json::array();
        for (std::size_t i = 0; i < infos.size(); ++i) {
            Json k = {{"subject", infos[i].subject},
                      {"type", infos[i].key_type},
                      {"bits", infos[i].key_bits},
                      {"algorithm", infos[i].key_algorithm}};
            std::string where = i == 0 ? "" : " in " + shown_name(infos[i].subject), w;
            if (!judgeable_key(infos[i], w)) {
                k["error"] = w;
                if (unjudged.empty()) unjudged = w + where;
            } else if (weak.empty() && weak_key(infos[i], w)) {
                weak = w + where;
            }
            keys.push_back(std::move(k));
        }
        if (!weak.empty())
            out.push_back(make(in, "cert.key-size", Status::fail, "Key too small: " + weak + ".",
                               {{"keys", keys}}));
        else if (!unjudged.empty())
            out.push_back(make(in, "cert.key-size", Status::warn,
                               "Cannot judge the key: " + unjudged + ".", {{"keys", keys}}));
        else
            out.push_back(
                make(in, "cert.key-size", Status::pass,
                     "Key " + leaf.key_type + " " + std::to_string(leaf.key_bits) + " bits.",
                     {{"keys", keys}}));

        if (!leaf.san_problem.empty())
            out.push_back(make(in, "cert.san", Status::fail,
                               "Invalid subjectAltName: " + leaf.san_problem +
                                   ", which RFC 5280 section 4.2 forbids; clients reject the "
                                   "certificate or ignore its names.",
                               leaf_ev));
        else if (!leaf.has_san_extension || leaf.sans.empty())
            out.push_back(make(in, "cert.san", Status::fail,
                               "No subjectAltName: clients match names against it only.", leaf_ev));
        else
            out.push_back(
                make(in, "cert.san", Status::pass,
                     "subjectAltName lists " + std::to_string(leaf.sans.size()) + " name(s).",
                     {{"sans", leaf.sans}}));
    }

    if (!in.protocols.probed) return out;
    const ProtocolFacts& p = in.protocols;
    Json versions = Json::object();
    for (const auto& [v, ok] : p.versions)
        versions[v] = ok ? Json(*ok) : Json(nullptr);
    std::vector<std::string> legacy, unknown;
    for (const char* v : {"ssl3", "tls1.0", "tls1.1"}) {
        auto it = p.versions.find(v);
        if (it == p.versions.end() || !it->second) {
            if (std::string(v) != "ssl3") unknown.push_back(v);
            continue;
        }
        if (*it->second) legacy.push_back(v);
    }
    Json pev = {{"versions", versions}};
    if (!p.ssl3_note.empty()) pev["ssl3_note"] = p.ssl3_note;
    if (!legacy.empty()) {
        std::string list;
        for (const auto& v : legacy)
            list += (list.empty() ? "" : ", ") + v;
        out.push_back(make(in, "tls.protocol-legacy", Status::fail, "Accepts " + list + ".", pev));
    } else if (!unknown.empty()) {
        out.push_back(make(in, "tls.protocol-legacy", Status::warn,
                           "Could not tell whether " + unknown.front() + " is accepted.", pev));
    } else {
        out.push_back(
            make(in, "tls.protocol-legacy", Status::pass,
                 "Refuses TLS 1.0 and TLS 1.1" +
                     std::string(p.ssl3_note.empty() ? " and SSLv3."
                                                     : " (SSLv3 not probed: " + p.ssl3_note + ")."),
                 pev));
    }
    auto accepted = [&](const char* v) {
        auto it = p.versions.find(v);
        return it != p.versions.end() && it->second && *it->second;
    };
    if (accepted("tls1.2") || accepted("tls1.3"))
        out.push_back(make(
            in, "tls.protocol-modern", Status::pass,
            std::string("Accepts ") + (accepted("tls1.3") ? "TLS 1.3" : "TLS 1.2") + ".", pev));
    else
        out.push_back(make(in, "tls.protocol-modern", Status::fail,
                           "Accepts neither TLS 1.2 nor TLS 1.3.", pev));

    Json wev = {{"classes_probed", p.weak_classes_probed},
                {"classes_not_probed", p.weak_classes_not_probed}};
    if (!p.weak_cipher_accepted) {
        out.push_back(make(in, "tls.weak-cipher", Status::warn,
                           "Could not tell whether weak suites are accepted.", wev));
    } else if (*p.weak_cipher_accepted) {
        wev["cipher"] = p.weak_cipher;
        out.push_back(make(in, "tls.weak-cipher", Status::fail,
                           "Accepts the weak suite " + p.weak_cipher + ".", wev));
    } else {
        std::string note;
        if (!p.weak_classes_not_probed.empty()) {
            note = " (this OpenSSL cannot offer";
            for (const auto& c : p.weak_classes_not_probed)
                note += " " + c;
            note += ", so those were not tried)";
        }
        out.push_back(
            make(in, "tls.weak-cipher", Status::pass, "Refuses weak suites" + note + ".", wev));
    }

    // As testssl.sh and Mozilla's intermediate profile judge it: what matters is what
    // clients get. A server that picks (EC)DHE for a modern client but still accepts a
    // static-RSA suite from an old one is a warning; a server whose choice lacks forward
    // secrecy (or that has no forward-secret suite at all) fails.
    Json fev = {{"negotiated_cipher", p.cipher}, {"negotiated_forward_secret", p.negotiated_fs}};
    if (p.non_fs_accepted && *p.non_fs_accepted) fev["cipher"] = p.non_fs_cipher;
    if (!p.negotiated_fs) {
        out.push_back(make(in, "tls.forward-secrecy", Status::fail,
                           "Negotiated " + p.cipher +
                               ", a key exchange without forward secrecy, with a client that "
                               "offers forward-secret suites first.",
                           fev));
    } else if (!p.non_fs_accepted) {
        out.push_back(make(in, "tls.forward-secrecy", Status::warn,
                           "Prefers forward secrecy (" + p.cipher +
                               "); could not tell whether static RSA key exchange is also "
                               "accepted.",
                           fev));
    } else if (*p.non_fs_accepted) {
        out.push_back(make(in, "tls.forward-secrecy", Status::warn,
                           "Prefers forward secrecy (" + p.cipher + ") but also accepts " +
                               p.non_fs_cipher +
                               ", a static RSA key exchange, from clients "
                               "that offer nothing better.",
                           fev));
    } else {
        out.push_back(make(in, "tls.forward-secrecy", Status::pass,
                           "Only forward-secret key exchanges accepted.", fev));
    }
    return out;
}

}  // namespace dce::tls
