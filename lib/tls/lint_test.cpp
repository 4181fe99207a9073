#include "tls/lint.hpp"
#include "tls/keygen.hpp"

#include <catch.hpp>

#include <algorithm>

using namespace dce::tls;

namespace {
X509Ptr lab_cert(const std::string& type, const std::string& subject, std::vector<std::string> sans,
                 int days = 365) {
    PkeyPtr key;
    std::string why, pem;
    REQUIRE(generate_key(type, key, why));
    X509Ptr cert;
    REQUIRE(make_self_signed(key.get(), {subject, std::move(sans), days}, cert, pem, why));
    return cert;
}
const dce::Finding& finding(const std::vector<dce::Finding>& fs, const std::string& check) {
    auto it =
        std::find_if(fs.begin(), fs.end(), [&](const dce::Finding& f) { return f.check == check; });
    REQUIRE(it != fs.end());
    return *it;
}
dce::Status status_of(const std::vector<dce::Finding>& fs, const std::string& check) {
    return finding(fs, check).status;
}
bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string to_der(X509* cert) {
    unsigned char* der = nullptr;
    int n = i2d_X509(cert, &der);
    REQUIRE(n > 0);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}
X509Ptr from_der(const std::string& der) {
    std::vector<X509Ptr> out;
    std::string why;
    REQUIRE(parse_certificates(der, out, why));
    return out.front();
}
enum class Occurrence { first, last };
// Rewrites bytes of the certificate's DER in place (same length): how a test makes a
// certificate that no tool would sign.
X509Ptr patched(X509* cert, const std::string& from, const std::string& to, Occurrence which) {
    REQUIRE(from.size() == to.size());
    std::string der = to_der(cert);
    std::size_t at = which == Occurrence::last ? der.rfind(from) : der.find(from);
    REQUIRE(at != std::string::npos);
    der.replace(at, from.size(), to);
    return from_der(der);
}
LintInput file_input(X509Ptr cert) {
    LintInput in;
    in.target = "x.crt";
    in.chain = {std::move(cert)};
    return in;
}
// A server as the handbook wants it: TLS 1.2 and 1.3 only, no weak or static-RSA suites.
LintInput server_input() {
    LintInput in = file_input(lab_cert("p256", "CN=x", {"x"}));
    in.target = "h:443";
    in.protocols.probed = true;
    in.protocols.versions = {
        {"tls1.0", false}, {"tls1.1", false}, {"tls1.2", true}, {"tls1.3", true}};
    in.protocols.weak_cipher_accepted = false;
    in.protocols.cipher = "TLS_AES_256_GCM_SHA384";
    in.protocols.negotiated_fs = true;
    in.protocols.non_fs_accepted = false;
    return in;
}
}  // namespace

TEST_CASE("every check has an id, a reference and a help text") {
    for (const auto& c : checks()) {
        CHECK_FALSE(c.id.empty());
        CHECK_FALSE(c.reference.empty());
        CHECK_FALSE(c.help.empty());
        CHECK(find_check(c.id) == &c);
    }
}

TEST_CASE("describe_cert reads what selfsigned wrote") {
    auto cert = lab_cert("p256", "CN=lab.example,O=Lab", {"lab.example", "127.0.0.1"});
    CertInfo c = describe_cert(cert.get());
    CHECK(c.subject == "O=Lab,CN=lab.example");
    CHECK(c.self_signed);
    CHECK(c.key_type == "EC");
    CHECK(c.key_bits == 256);
    CHECK(c.signature_hash == "SHA256");
    CHECK(c.sans == std::vector<std::string>{"DNS:lab.example", "IP:127.0.0.1"});
    CHECK(c.fingerprint_sha256.size() == 64);
    CHECK(matches_host(cert.get(), "lab.example"));
    CHECK(matches_host(cert.get(), "127.0.0.1"));
    CHECK_FALSE(matches_host(cert.get(), "other.example"));
}

TEST_CASE("lint of a self-signed file: checks that apply, verdicts, no protocol checks") {
    auto cert = lab_cert("ed25519", "CN=lab.example", {"lab.example"}, 10);
    LintInput in;
    in.target = "lab.crt";
    in.chain = {cert};
    in.host = "lab.example";
    auto fs = lint(in);
    CHECK(status_of(fs, "cert.self-signed") == dce::Status::fail);
    CHECK(status_of(fs, "cert.hostname") == dce::Status::pass);
    CHECK(status_of(fs, "cert.expiring") == dce::Status::warn);        // 10 days < 30
    CHECK(status_of(fs, "cert.signature-hash") == dce::Status::pass);  // Ed25519: intrinsic
    CHECK(status_of(fs, "cert.san") == dce::Status::pass);
    CHECK(std::none_of(fs.begin(), fs.end(),
                       [](const dce::Finding& f) { return f.check.rfind("tls.", 0) == 0; }));
    // Pinned clock: a year on, it is expired.
    in.now += std::chrono::hours(24 * 365);
    CHECK(status_of(lint(in), "cert.expired") == dce::Status::fail);
}

TEST_CASE("vendor default: OU marker or serial CN on a small self-issued RSA key") {
    CertInfo c;
    c.self_issued = true;
    c.subject_cn = c.issuer_cn = "ZA2215342271";
    c.key_type = "RSA";
    c.key_bits = 1024;
    std::string why;
    CHECK(is_vendor_default(c, why));
    c.key_bits = 2048;
    CHECK_FALSE(is_vendor_default(c, why));
    c.subject_ou = {"Internally Generated Certificate"};
    CHECK(is_vendor_default(c, why));
}

TEST_CASE("protocol facts: legacy accepted fails, unknown warns") {
    LintInput in = server_input();
    in.protocols.versions = {
        {"tls1.0", true}, {"tls1.1", false}, {"tls1.2", true}, {"tls1.3", false}};
    in.protocols.non_fs_accepted = std::nullopt;
    auto fs = lint(in);
    CHECK(status_of(fs, "tls.protocol-legacy") == dce::Status::fail);
    CHECK(status_of(fs, "tls.protocol-modern") == dce::Status::pass);
    CHECK(status_of(fs, "tls.weak-cipher") == dce::Status::pass);
    CHECK(status_of(fs, "tls.forward-secrecy") == dce::Status::warn);
    in.protocols.versions["tls1.0"] = std::nullopt;
    CHECK(status_of(lint(in), "tls.protocol-legacy") == dce::Status::warn);
}

TEST_CASE("parse_certificates: PEM, DER, garbage") {
    std::vector<X509Ptr> out;
    std::string why;
    CHECK_FALSE(parse_certificates("hello", out, why));
    CHECK_FALSE(why.empty());
    CHECK_FALSE(parse_certificates("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                   out, why));
    auto cert = lab_cert("p256", "CN=x", {});
    unsigned char* der = nullptr;
    int n = i2d_X509(cert.get(), &der);
    REQUIRE(n > 0);
    CHECK(parse_certificates(
        std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)), out, why));
    OPENSSL_free(der);
    CHECK(out.size() == 1);
}

TEST_CASE("san_value: bare names and addresses get their type") {
    std::string v, why;
    CHECK(san_value({"a.example", "10.0.0.1", "::1", "DNS:b.example"}, v, why));
    CHECK(v == "DNS:a.example,IP:10.0.0.1,IP:::1,DNS:b.example");
    CHECK_FALSE(san_value({"a,b"}, v, why));
}

// Issue 9: certificates dce-cert cannot judge must not pass.

TEST_CASE("a key OpenSSL cannot decode is not passed as a 0-bit key") {
    // id-ecPublicKey (1.2.840.10045.2.1) becomes 1.2.840.10045.2.127, which no one knows:
    // as a GOST or post-quantum key looks to this OpenSSL.
    auto cert = patched(lab_cert("p256", "CN=odd.example", {"odd.example"}).get(),
                        "\x06\x07\x2a\x86\x48\xce\x3d\x02\x01",
                        "\x06\x07\x2a\x86\x48\xce\x3d\x02\x7f", Occurrence::first);
    CertInfo c = describe_cert(cert.get());
    CHECK(c.key_type == "unknown");
    CHECK(c.key_algorithm == "1.2.840.10045.2.127");
    CHECK(contains(c.key_problem, "cannot decode"));
    CHECK(cert_fields(c)["key"]["algorithm"] == "1.2.840.10045.2.127");
    auto fs = lint(file_input(cert));
    const auto& k = finding(fs, "cert.key-size");
    CHECK(k.status == dce::Status::warn);
    CHECK(contains(k.message, "Cannot judge the key"));
    CHECK(contains(k.message, "1.2.840.10045.2.127"));
    CHECK_FALSE(contains(k.message, "0 bits"));
    // Its own key cannot check its signature either: not "issued by" anyone.
    const auto& self = finding(fs, "cert.self-signed");
    CHECK(self.status == dce::Status::warn);
    CHECK(contains(self.message, "cannot be decoded"));
}

TEST_CASE("a self-issued certificate whose signature OpenSSL rejects is not 'issued by'") {
    // ecdsa-with-SHA256 inside the signed part and ecdsa-with-SHA384 outside it.
    auto cert = patched(lab_cert("p256", "CN=self.example", {"self.example"}).get(),
                        "\x2a\x86\x48\xce\x3d\x04\x03\x02", "\x2a\x86\x48\xce\x3d\x04\x03\x03",
                        Occurrence::last);
    CertInfo c = describe_cert(cert.get());
    CHECK(c.self_issued);
    CHECK_FALSE(c.self_signed);
    CHECK(contains(c.self_signature_problem, "ecdsa-with-SHA384"));
    CHECK(contains(c.self_signature_problem, "ecdsa-with-SHA256"));
    auto findings = lint(file_input(cert));  // owns what f refers to
    const auto& f = finding(findings, "cert.self-signed");
    CHECK(f.status == dce::Status::warn);
    CHECK(contains(f.message, "differs"));
    CHECK_FALSE(contains(f.message, "issued by"));
}

TEST_CASE("a duplicated subjectAltName extension is called what it is") {
    PkeyPtr key;
    std::string why, pem;
    REQUIRE(generate_key("p256", key, why));
    X509Ptr cert;
    REQUIRE(make_self_signed(key.get(), {"CN=dup.example", {"dup.example"}, 30}, cert, pem, why));
    int at = X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1);
    REQUIRE(at >= 0);
    REQUIRE(X509_add_ext(cert.get(), X509_get_ext(cert.get(), at), -1) == 1);
    REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
    auto dup = from_der(to_der(cert.get()));
    CertInfo c = describe_cert(dup.get());
    CHECK(contains(c.san_problem, "more than once"));
    auto findings = lint(file_input(dup));  // owns what f refers to
    const auto& f = finding(findings, "cert.san");
    CHECK(f.status == dce::Status::fail);
    CHECK(contains(f.message, "more than once"));
    CHECK(contains(f.message, "RFC 5280"));
    CHECK_FALSE(contains(f.message, "No subjectAltName"));
}

TEST_CASE("forward secrecy: preferred but static RSA also accepted warns; not negotiated fails") {
    LintInput in = server_input();
    CHECK(status_of(lint(in), "tls.forward-secrecy") == dce::Status::pass);
    // nginx's and OpenSSL's defaults: ECDHE first, AES128-GCM-SHA256 still accepted.
    in.protocols.non_fs_accepted = true;
    in.protocols.non_fs_cipher = "AES128-GCM-SHA256";
    auto fs = lint(in);
    CHECK(status_of(fs, "tls.forward-secrecy") == dce::Status::warn);
    CHECK(contains(finding(fs, "tls.forward-secrecy").message, "AES128-GCM-SHA256"));
    // The server's own choice lacks forward secrecy: that fails.
    in.protocols.cipher = "AES128-GCM-SHA256";
    in.protocols.negotiated_fs = false;
    CHECK(status_of(lint(in), "tls.forward-secrecy") == dce::Status::fail);
    in.protocols.non_fs_accepted = std::nullopt;
    CHECK(status_of(lint(in), "tls.forward-secrecy") == dce::Status::fail);
}
