// The handbook's web advice checked from outside: plain HTTP either off or a permanent
// redirect to HTTPS, HSTS on the HTTPS answer, TLS 1.2 or newer only, and the management
// card's factory certificate replaced by one the site's CA issued. TLS and certificates go
// through dce-cert's lib/tls (the same prober and the same vendor-default test).
//
// Policy keys (a target's effective policy; defaults in brackets):
//   web.http          "redirect" [default]: GET / on the HTTP port must answer 301 or 308
//                     with Location https://<same host>; "off": the HTTP port must not
//                     accept connections; anything else ("allowed"): HTTP is not checked.
//   web.http_port     [80]   plain HTTP port.
//   web.https_port    [443]  HTTPS port (web.hsts and web.tls).
//   web.redirect_host        another host name the redirect may name besides the target's
//                            address and name (e.g. the device's DNS name).
//   web.hsts          [true] Strict-Transport-Security required on the HTTPS answer to GET /.
//   web.hsts_min_age  [31536000] max-age below this (one year) is a warning; 0 fails.
//   cert.port         [web.https_port] where the certificate is read.
//   cert.ca_file             PEM file of the CA(s) the certificate must chain to; without
//                            it cert.trusted is skipped.
//   cert.issuer              the leaf's expected issuer: its RFC 2253 name or its CN.
#include "audit/families.hpp"
#include "audit/http.hpp"
#include "tls/lint.hpp"
#include "tls/probe.hpp"
#include "tls/x509.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dce::audit {
namespace {

const CheckInfo web_checks[] = {
    {"web.https-redirect", "HttpRedirectsToHttps",
     "Plain HTTP answers with a permanent redirect to HTTPS on the same host",
     "Configure the web server (or the card's Web/HTTP settings) to answer every plain HTTP "
     "request with 301 or 308 to https://<this host>/; or turn HTTP off and set web.http "
     "to \"off\".",
     "DCE security handbook: Web access (HTTPS only); RFC 9110 15.4", "medium"},
    {"web.http-off", "HttpPortClosed", "The plain HTTP port does not accept connections",
     "Disable HTTP on the device or server, or block the port in front of it.",
     "DCE security handbook: Web access (HTTPS only); Network Protocol and Ports", "medium"},
    {"web.hsts", "HstsPresent",
     "HTTPS answers carry Strict-Transport-Security with max-age of at least one year",
     "Send \"Strict-Transport-Security: max-age=31536000\" (or longer) on every HTTPS "
     "answer (nginx: add_header Strict-Transport-Security \"max-age=31536000\" always;).",
     "DCE security handbook: Web access; RFC 6797", "medium"},
    {"web.tls", "TlsModernOnly", "HTTPS negotiates TLS 1.2 or newer and refuses TLS 1.0 and 1.1",
     "Allow only TLS 1.2 and 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3; NMC: Web/SSL settings).",
     "DCE security handbook: Web access; RFC 8996", "high"},
};
const CheckInfo& redirect_check = web_checks[0];
const CheckInfo& http_off_check = web_checks[1];
const CheckInfo& hsts_check = web_checks[2];
const CheckInfo& tls_check = web_checks[3];

const CheckInfo cert_checks[] = {
    {"cert.default-replaced", "DefaultCertificateReplaced",
     "The HTTPS certificate is not the management card's factory default",
     "Replace the card's self-generated certificate with one from the site's CA (dce-cert "
     "keygen/csr, then upload it with the card's Security Wizard or web UI).",
     "DCE security handbook: Certificates (replace the default certificate)", "high"},
    {"cert.trusted", "CertificateTrusted",
     "The HTTPS certificate chains to the site's CA (and names the expected issuer)",
     "Install a certificate issued by the site's CA, with its intermediates, on the device.",
     "DCE security handbook: Certificates; RFC 5280 6", "high"},
};
const CheckInfo& default_check = cert_checks[0];
const CheckInfo& trusted_check = cert_checks[1];

int policy_int(const Json& obj, const char* key, int fallback) {
    if (!obj.contains(key)) return fallback;
    const Json& v = obj[key];
    if (v.is_number_integer()) return v.get<int>();
    throw std::runtime_error(std::string(key) + " must be an integer, not " + v.dump());
}

/// "a, b, c" for a message.
std::string join(const std::vector<std::string>& v) {
    return fmt::format("{}", fmt::join(v, ", "));
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string bare_host(std::string h) {
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    return lower(h);
}

/// The first Strict-Transport-Security header, parsed (RFC 6797 6.1).
struct Hsts {
    bool present = false;
    std::string value;
    std::optional<long long> max_age;
    bool include_subdomains = false, preload = false;
    std::size_t headers = 0;
};

Hsts parse_hsts(const HttpResponse& r) {
    Hsts h;
    h.headers = r.count("Strict-Transport-Security");
    auto v = r.header("Strict-Transport-Security");
    if (!v) return h;
    h.present = true;
    h.value = *v;
    std::string_view rest = *v;
    while (!rest.empty()) {
        auto semi = rest.find(';');
        std::string_view d = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? "" : rest.substr(semi + 1);
        while (!d.empty() && std::isspace(static_cast<unsigned char>(d.front())))
            d.remove_prefix(1);
        while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back())))
            d.remove_suffix(1);
        auto eq = d.find('=');
        std::string name = lower(std::string(d.substr(0, eq)));
        while (!name.empty() && name.back() == ' ')
            name.pop_back();
        if (name == "includesubdomains") h.include_subdomains = true;
        if (name == "preload") h.preload = true;
        if (name != "max-age" || eq == std::string_view::npos) continue;
        std::string_view num = d.substr(eq + 1);
        while (!num.empty() && (num.front() == ' ' || num.front() == '"'))
            num.remove_prefix(1);
        while (!num.empty() && (num.back() == ' ' || num.back() == '"'))
            num.remove_suffix(1);
        long long n = 0;
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
        if (ec == std::errc() && p == num.data() + num.size() && n >= 0 && !h.max_age)
            h.max_age = n;
    }
    return h;
}

Json response_evidence(const HttpResponse& r, int port, bool tls) {
    Json ev = {{"port", port}, {"scheme", tls ? "https" : "http"}};
    if (!r.ok) {
        ev["error"] = r.error;
        return ev;
    }
    ev["status"] = r.status;
    if (auto loc = r.header("Location")) ev["location"] = *loc;
    if (!r.tls_protocol.empty()) ev["tls_protocol"] = r.tls_protocol;
    return ev;
}

Finding web_finding(const CheckInfo& check, const CheckContext& ctx, Status st, std::string msg,
                    Json ev = Json::object()) {
    return make_finding(check, ctx.target, st, std::move(msg), std::move(ev));
}

Finding check_redirect(const CheckContext& ctx, const Json& web, const HttpResponse& r,
                       int http_port, int https_port) {
    Json ev = response_evidence(r, http_port, false);
    const std::string where = "http port " + std::to_string(http_port);
    if (!r.ok)
        return web_finding(redirect_check, ctx, Status::fail,
                           where + ": no HTTP answer (" + r.error +
                               "); the policy expects a permanent redirect to HTTPS (set "
                               "web.http to \"off\" if HTTP is meant to be off)",
                           ev);
    auto loc = r.header("Location");
    const bool is_redirect = r.status >= 300 && r.status < 400 && loc;
    if (r.status >= 200 && r.status < 300)
        return web_finding(redirect_check, ctx, Status::fail,
                           where + " serves content over plain HTTP (status " +
                               std::to_string(r.status) + ") instead of redirecting to HTTPS",
                           ev);
    if (!is_redirect)
        return web_finding(redirect_check, ctx, Status::fail,
                           where + " answers status " + std::to_string(r.status) +
                               " instead of a permanent redirect to HTTPS",
                           ev);
    Url u;
    std::string why;
    const bool https = parse_url(*loc, u, why) && u.scheme == "https";
    if (!https)
        return web_finding(redirect_check, ctx, Status::fail,
                           where + " redirects to \"" + *loc + "\", not to an https:// URL", ev);
    std::vector<std::string> hosts = {bare_host(ctx.target.address), lower(ctx.target.name)};
    if (web.contains("redirect_host") && web["redirect_host"].is_string())
        hosts.push_back(bare_host(web["redirect_host"].get<std::string>()));
    if (std::find(hosts.begin(), hosts.end(), lower(u.host)) == hosts.end())
        return web_finding(redirect_check, ctx, Status::fail,
                           where + " redirects to another host (" + u.host + "); expected " +
                               hosts.front() + " (web.redirect_host names another allowed host)",
                           ev);
    if (r.status != 301 && r.status != 308)
        return web_finding(redirect_check, ctx, Status::fail,
                           where + " redirects to HTTPS with status " + std::to_string(r.status) +
                               " (temporary); a permanent redirect (301 or 308) is needed so "
                               "browsers and bookmarks stop using HTTP",
                           ev);
    if (u.port != https_port)
        return web_finding(redirect_check, ctx, Status::warn,
                           where + " redirects permanently to HTTPS port " +
                               std::to_string(u.port) + ", not to web.https_port " +
                               std::to_string(https_port),
                           ev);
    return web_finding(
        redirect_check, ctx, Status::pass,
        where + " redirects permanently (" + std::to_string(r.status) + ") to " + *loc, ev);
}

Finding check_hsts(const CheckContext& ctx, const Json& web, const HttpResponse& r, int https_port,
                   const HttpResponse* plain) {
    Json ev = response_evidence(r, https_port, true);
    // RFC 6797 8.1: a browser ignores the header over plain HTTP; say so if it is sent
    // there, since it may be why someone believes HSTS is on.
    if (plain && plain->ok && plain->header("Strict-Transport-Security"))
        ev["sent_over_http"] = *plain->header("Strict-Transport-Security");
    if (!r.ok)
        return web_finding(
            hsts_check, ctx, Status::error,
            "cannot read an HTTPS answer on port " + std::to_string(https_port) + ": " + r.error,
            ev);
    const long long min_age =
        web.contains("hsts_min_age") && web["hsts_min_age"].is_number_integer()
            ? web["hsts_min_age"].get<long long>()
            : 31536000;
    ev["min_age"] = min_age;
    Hsts h = parse_hsts(r);
    const std::string over_http = ev.contains("sent_over_http")
                                      ? " (it is sent over plain HTTP, where browsers ignore it)"
                                      : "";
    if (!h.present)
        return web_finding(hsts_check, ctx, Status::fail,
                           "no Strict-Transport-Security header on the HTTPS answer (status " +
                               std::to_string(r.status) + ")" + over_http,
                           ev);
    ev["header"] = h.value;
    ev["include_subdomains"] = h.include_subdomains;
    if (h.headers > 1) ev["headers"] = h.headers;  // browsers use the first only
    if (!h.max_age)
        return web_finding(hsts_check, ctx, Status::fail,
                           "Strict-Transport-Security has no valid max-age (\"" + h.value + "\")",
                           ev);
    ev["max_age"] = *h.max_age;
    if (*h.max_age == 0)
        return web_finding(hsts_check, ctx, Status::fail,
                           "Strict-Transport-Security max-age=0 tells browsers to forget HSTS", ev);
    if (*h.max_age < min_age)
        return web_finding(hsts_check, ctx, Status::warn,
                           "Strict-Transport-Security max-age=" + std::to_string(*h.max_age) +
                               " is shorter than " + std::to_string(min_age) + " s (one year)",
                           ev);
    return web_finding(hsts_check, ctx, Status::pass,
                       "Strict-Transport-Security max-age=" + std::to_string(*h.max_age), ev);
}

/// One endpoint through dce-cert's prober: the chain and, when asked, which protocol
/// versions the server accepts.
tls::EndpointResult probe_endpoint(const CheckContext& ctx, int port, bool protocols) {
    tls::EndpointSpec spec;
    spec.host = bare_host(ctx.target.address);
    spec.port = static_cast<std::uint16_t>(port);
    spec.label = ctx.target.name;
    unsigned char buf[16];
    if (inet_pton(AF_INET, spec.host.c_str(), buf) != 1 &&
        inet_pton(AF_INET6, spec.host.c_str(), buf) != 1)
        spec.sni = spec.host;
    tls::ProbeOptions opts;
    opts.concurrency = 1;
    opts.timeout = ctx.timeout;
    opts.probe_protocols = protocols;
    opts.one_at_a_time = true;  // a management card gets one connection at a time
    tls::EndpointResult out;
    out.error_code = "stopped";
    out.error_message = "the run was interrupted";
    tls::Prober prober;
    pace(protocols ? 7 : 1);  // the handshake, and one per protocol question
    prober.run(
        {spec}, opts, [&](tls::EndpointResult&& r) { out = std::move(r); }, ctx.stop);
    return out;
}

Finding check_tls(const CheckContext& ctx, int https_port) {
    tls::EndpointResult r = probe_endpoint(ctx, https_port, true);
    Json ev = {{"port", https_port}};
    if (!r.ok) {
        ev["error"] = r.error_message;
        return web_finding(tls_check, ctx, Status::error,
                           "no TLS handshake on port " + std::to_string(https_port) + " (" +
                               r.error_code + "): " + r.error_message,
                           ev);
    }
    const auto& f = r.facts;
    ev["negotiated"] = f.protocol;
    ev["cipher"] = f.cipher;
    Json versions = Json::object();
    for (const auto& [v, a] : f.versions)
        if (v != "ssl3") versions[v] = a ? Json(*a ? "accepted" : "refused") : Json("unknown");
    ev["versions"] = versions;
    auto said = [&](const char* v) {
        auto it = f.versions.find(v);
        return it == f.versions.end() ? std::optional<bool>() : it->second;
    };
    std::vector<std::string> old_accepted, unknown;
    for (const char* v : {"tls1.0", "tls1.1"}) {
        if (said(v) == true) old_accepted.push_back(v);
        if (!said(v)) unknown.push_back(v);
    }
    if (!old_accepted.empty())
        return web_finding(tls_check, ctx, Status::fail,
                           "HTTPS on port " + std::to_string(https_port) + " accepts " +
                               join(old_accepted) + " (deprecated by RFC 8996)",
                           ev);
    if (said("tls1.2") != true && said("tls1.3") != true)
        return web_finding(tls_check, ctx, Status::fail,
                           "HTTPS on port " + std::to_string(https_port) +
                               " accepts neither TLS 1.2 nor TLS 1.3 (negotiated " + f.protocol +
                               ")",
                           ev);
    if (!unknown.empty())
        return web_finding(tls_check, ctx, Status::warn,
                           "could not tell whether " + join(unknown) +
                               " is refused (no answer in time); negotiated " + f.protocol,
                           ev);
    return web_finding(tls_check, ctx, Status::pass,
                       "HTTPS negotiates " + f.protocol + " and refuses TLS 1.0 and 1.1", ev);
}

std::vector<Finding> run_web(const CheckContext& ctx) {
    std::vector<Finding> out;
    const Json web = ctx.target.policy.value("web", Json::object());
    const std::string http_mode = web.value("http", std::string("redirect"));
    const int http_port = policy_int(web, "http_port", 80);
    const int https_port = policy_int(web, "https_port", 443);
    const bool want_hsts = web.value("hsts", true);

    std::optional<HttpResponse> plain;  // kept for the HSTS evidence
    if (ctx.wanted(redirect_check.id)) {
        if (http_mode == "redirect") {
            plain = http_request({"GET", ctx.target.address, http_port, false, "/", {}, {}},
                                 ctx.timeout);
            out.push_back(check_redirect(ctx, web, *plain, http_port, https_port));
        } else {
            out.push_back(web_finding(redirect_check, ctx, Status::skip,
                                      "web.http is \"" + http_mode + "\", not \"redirect\""));
        }
    }
    if (ctx.stop()) return out;
    if (ctx.wanted(http_off_check.id)) {
        if (http_mode == "off") {
            PortProbe p = probe_tcp(ctx.target.address, http_port, ctx.timeout);
            Json ev = {{"port", http_port}, {"state", to_string(p.state)}, {"detail", p.detail}};
            const std::string where = "http port " + std::to_string(http_port);
            if (p.state == PortState::open)
                out.push_back(web_finding(http_off_check, ctx, Status::fail,
                                          where + " accepts connections; the policy has HTTP off",
                                          ev));
            else if (p.state == PortState::error)
                out.push_back(web_finding(http_off_check, ctx, Status::error,
                                          where + ": could not probe: " + p.detail, ev));
            else
                out.push_back(web_finding(
                    http_off_check, ctx, Status::pass,
                    where + " is " + std::string(to_string(p.state)) + " (" + p.detail + ")", ev));
        } else {
            out.push_back(web_finding(http_off_check, ctx, Status::skip,
                                      "web.http is \"" + http_mode + "\", not \"off\""));
        }
    }
    if (ctx.stop()) return out;
    if (ctx.wanted(hsts_check.id)) {
        if (want_hsts) {
            HttpResponse r = http_request(
                {"GET", ctx.target.address, https_port, true, "/", {}, {}}, ctx.timeout);
            out.push_back(check_hsts(ctx, web, r, https_port, plain ? &*plain : nullptr));
        } else {
            out.push_back(web_finding(hsts_check, ctx, Status::skip, "web.hsts is false"));
        }
    }
    if (ctx.stop()) return out;
    if (ctx.wanted(tls_check.id)) out.push_back(check_tls(ctx, https_port));
    return out;
}

std::vector<Finding> run_cert(const CheckContext& ctx) {
    std::vector<Finding> out;
    const Json web = ctx.target.policy.value("web", Json::object());
    const Json cert = ctx.target.policy.value("cert", Json::object());
    const int port = policy_int(cert, "port", policy_int(web, "https_port", 443));
    tls::EndpointResult r = probe_endpoint(ctx, port, false);
    Json ev = {{"port", port}};
    if (!r.ok || r.chain.empty()) {
        const std::string msg = "cannot read the certificate on port " + std::to_string(port) +
                                ": " + (r.ok ? "the server sent none" : r.error_message);
        ev["error"] = r.ok ? "no certificate" : r.error_message;
        for (const auto& c : cert_checks)
            if (ctx.wanted(c.id))
                out.push_back(make_finding(c, ctx.target, Status::error, msg, ev));
        return out;
    }
    const tls::CertInfo leaf = tls::describe_cert(r.chain.front().get());
    ev["subject"] = leaf.subject;
    ev["issuer"] = leaf.issuer;
    ev["fingerprint_sha256"] = leaf.fingerprint_sha256;
    if (ctx.wanted(default_check.id)) {
        std::string why;
        if (tls::is_vendor_default(leaf, why))
            out.push_back(make_finding(default_check, ctx.target, Status::fail,
                                       "the HTTPS certificate is the management card's factory "
                                       "default: " +
                                           why,
                                       ev));
        else
            out.push_back(make_finding(
                default_check, ctx.target, Status::pass,
                "the HTTPS certificate is not a factory default (" + leaf.subject + ")", ev));
    }
    if (ctx.stop() || !ctx.wanted(trusted_check.id)) return out;
    const std::string ca_file = cert.value("ca_file", std::string());
    if (ca_file.empty()) {
        out.push_back(make_finding(trusted_check, ctx.target, Status::skip,
                                   "no cert.ca_file in the policy: nothing to verify against", ev));
        return out;
    }
    ev["ca_file"] = ca_file;
    ev["chain_length"] = r.chain.size();
    tls::TrustStore store;
    std::string why;
    if (!store.load(ca_file, why)) {
        out.push_back(make_finding(trusted_check, ctx.target, Status::error,
                                   "cannot load cert.ca_file: " + why, ev));
        return out;
    }
    if (!store.verify(r.chain, why)) {
        out.push_back(make_finding(trusted_check, ctx.target, Status::fail,
                                   "the certificate does not chain to " + ca_file + ": " + why,
                                   ev));
        return out;
    }
    if (cert.contains("issuer") && cert["issuer"].is_string()) {
        const std::string want = cert["issuer"].get<std::string>();
        ev["expected_issuer"] = want;
        if (want != leaf.issuer && want != leaf.issuer_cn) {
            out.push_back(make_finding(trusted_check, ctx.target, Status::fail,
                                       "the certificate chains to " + ca_file +
                                           " but its issuer is \"" + leaf.issuer + "\", not \"" +
                                           want + "\"",
                                       ev));
            return out;
        }
    }
    out.push_back(
        make_finding(trusted_check, ctx.target, Status::pass,
                     "the certificate chains to " + ca_file + " (issuer " + leaf.issuer + ")", ev));
    return out;
}

}  // namespace

Family web_family() {
    return {"web", web_checks, run_web};
}

Family cert_family() {
    return {"cert", cert_checks, run_cert};
}

}  // namespace dce::audit
