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
dce::Status status_of(const std::vector<dce::Finding>& fs, const std::string& check) {
    auto it =
        std::find_if(fs.begin(), fs.end(), [&](const dce::Finding& f) { return f.check == check; });
    REQUIRE(it != fs.end());
    return it->status;
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
    auto cert = lab_cert("p256", "CN=x", {"x"});
    LintInput in;
    in.target = "h:443";
    in.chain = {cert};
    in.protocols.probed = true;
    in.protocols.versions = {
        {"tls1.0", true}, {"tls1.1", false}, {"tls1.2", true}, {"tls1.3", false}};
    in.protocols.weak_cipher_accepted = false;
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
