// dce-discover --http: NetBotz appliances and APC/Schneider management cards by their
// HTTP(S) identity. Requests go through lib/audit's HTTP client (deadline-bounded, one
// connection per request); certificates are read and verified by lib/tls; the rules
// that name a device are http_identify.cpp's table.
#include "discover/http_sweep.hpp"

#include "audit/audit.hpp"
#include "audit/http.hpp"
#include "core/record.hpp"
#include "discover/http_identify.hpp"
#include "discover/workers.hpp"
#include "tls/x509.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

namespace dce::discover {
namespace {

constexpr const char* tool = "dce-discover";
constexpr int max_redirects = 2;

std::string host_port(const std::string& host, std::uint16_t port) {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
}

// The chain verified against the trust store (time is not checked: expiry is dce-cert's
// finding, not a reason to miss a device) and the leaf checked against the host.
bool verify_chain(const tls::TrustStore& store, const std::vector<std::string>& chain_der,
                  const std::string& host, std::string& why) {
    std::vector<tls::X509Ptr> chain;
    for (const auto& der : chain_der) {
        std::string w;
        tls::parse_certificates(der, chain, w);
    }
    if (chain.empty()) return why = "the server sent no certificate", false;
    if (!store.verify(chain, why)) return false;
    if (!tls::matches_host(chain.front().get(), host)) {
        why = "the certificate does not name " + host;
        return false;
    }
    return true;
}

class HttpProber {
  public:
    HttpProber(const WebOptions& web, int timeout_ms, bool report_unreachable,
               const tls::TrustStore& store, TcpSweepCounts& counts,
               std::set<std::string>& pdu_hosts)
        : web_(web),
          timeout_(timeout_ms),
          report_unreachable_(report_unreachable),
          store_(store),
          counts_(counts),
          pdu_hosts_(pdu_hosts) {}

    std::vector<Json> probe(const Target& t) {
        std::vector<Json> out;
        std::vector<std::uint16_t> ports = web_.ports;
        if (t.port) ports = {*t.port};
        for (auto port : ports)
            probe_port(t.host, port, out);
        return out;
    }

  private:
    struct Page {
        audit::HttpResponse response;
        bool verified = false;
        std::string verify_why;
    };

    Page get(const std::string& host, std::uint16_t port, bool tls, const std::string& path) {
        Page p;
        audit::HttpRequest rq;
        rq.host = host;
        rq.port = port;
        rq.tls = tls;
        rq.path = path;
        rq.user_agent = "dce-discover";
        rq.tls12_minimum = true;
        if (tls) {
            rq.check_peer = [&](const std::vector<std::string>& chain, std::string& why) {
                p.verified = verify_chain(store_, chain, host, p.verify_why);
                if (p.verified || web_.insecure) return true;
                why = p.verify_why;
                return false;
            };
        }
        p.response = audit::http_request(rq, timeout_);
        return p;
    }

    void error(std::vector<Json>& out, const std::string& target, const char* code,
               const std::string& message) {
        out.push_back(make_error_record(tool, target, code, message));
        std::lock_guard lock(mu_);
        ++counts_.errors;
    }

    void probe_port(const std::string& host, std::uint16_t port, std::vector<Json>& out) {
        const std::string hp = host_port(host, port);
        Page first = get(host, port, true, "/");
        const auto& r = first.response;
        if (r.connect_failed) {
            spdlog::debug("{}: {}", hp, r.error);
            if (report_unreachable_) error(out, hp, "unreachable", r.error);
            return;
        }
        if (r.peer_rejected) {
            error(out, "https://" + hp, "tls-unverified",
                  "https://" + hp + ": the certificate is not trusted (" + first.verify_why +
                      "), so the device was not identified; give --ca-file FILE with the CA "
                      "that issued it, or --insecure to identify it without verifying");
            return;
        }
        if (r.ok) {
            out.push_back(describe(host, port, true, std::move(first)));
            return;
        }
        if (r.tls_failed) {
            // Not TLS, or TLS older than 1.2: the same port over plain HTTP.
            Page plain = get(host, port, false, "/");
            if (plain.response.ok) {
                out.push_back(describe(host, port, false, std::move(plain)));
                return;
            }
            spdlog::debug("{}: HTTPS: {}; HTTP: {}", hp, r.error, plain.response.error);
            if (!plain.response.connect_failed &&
                plain.response.error.find("no answer") == std::string::npos) {
                error(out, hp, "tls-handshake",
                      hp + ": neither HTTPS nor HTTP: " + r.error +
                          " (dce-discover speaks TLS 1.2 or later only); plain HTTP: " +
                          plain.response.error);
                return;
            }
        }
        spdlog::debug("{}: {}", hp, r.error);
        if (report_unreachable_) error(out, hp, "timeout", hp + ": no HTTP answer: " + r.error);
    }

    Json describe(const std::string& host, std::uint16_t port, bool tls, Page page) {
        const std::string scheme = tls ? "https" : "http";
        const std::string base = scheme + "://" + host_port(host, port);
        HttpFacts facts;
        facts.server = page.response.header("Server").value_or("").substr(0, 256);
        std::string path = "/";
        // Follow a redirect that stays on this server: a card's / points at its log-on or
        // identity page.
        std::string all_text;
        for (int hop = 0;; ++hop) {
            const auto& r = page.response;
            // The last page's title wins: a redirect's own page says only "302 Found".
            if (auto title = html_title(r.body); !title.empty()) facts.title = title;
            if (all_text.size() < 32768) all_text += html_text(r.body) + "\n";
            auto loc = r.header("Location");
            if (r.status < 300 || r.status >= 400 || !loc || hop >= max_redirects) break;
            if (facts.location.empty()) facts.location = *loc;
            std::string next;
            if (loc->starts_with("/")) {
                next = *loc;
            } else {
                audit::Url u;
                std::string why;
                if (!audit::parse_url(*loc, u, why) || u.scheme != scheme || u.port != port ||
                    u.host != host)
                    break;
                next = u.path;
            }
            Page again = get(host, port, tls, next);
            if (!again.response.ok) break;
            path = next;
            page = std::move(again);
        }
        facts.text = std::move(all_text);

        Json r = new_record("device");
        r["id"] = base;
        r["target"] = host;
        r["transport"] = scheme;
        r["port"] = port;
        Json h = Json::object();
        h["url"] = base + path;
        h["status"] = page.response.status;
        if (!facts.server.empty()) h["server"] = facts.server;
        if (!facts.title.empty()) h["title"] = facts.title;
        Json t;
        if (tls) {
            std::vector<tls::X509Ptr> chain;
            std::string why;
            if (!page.response.peer_chain_der.empty())
                tls::parse_certificates(page.response.peer_chain_der.front(), chain, why);
            t = Json::object();
            t["version"] = page.response.tls_protocol;
            t["verified"] = page.verified;
            if (!chain.empty()) {
                auto info = tls::describe_cert(chain.front().get());
                facts.cert_subject = info.subject;
                facts.cert_issuer = info.issuer;
                facts.cert_subject_cn = info.subject_cn;
                facts.cert_subject_ou = info.subject_ou;
                facts.cert_self_issued = info.self_issued;
                t["subject"] = info.subject;
                t["issuer"] = info.issuer;
                t["fingerprint_sha256"] = info.fingerprint_sha256;
            }
        }
        HttpIdentity id = identify_http(facts);
        if (!id.reasons.empty()) h["evidence"] = id.reasons;
        r["http"] = h;
        if (tls) r["tls"] = t;
        if (!tls || !page.verified) r["insecure"] = true;
        auto set = [&](const char* k, const std::string& v) {
            if (!v.empty()) r[k] = v;
        };
        set("vendor", id.vendor);
        set("model", id.model);
        set("serial", id.serial);
        set("firmware", id.firmware);
        r["class"] = id.device_class;
        spdlog::debug("{}: {} {} ({})", base, id.family.empty() ? "web server" : id.family,
                      id.model, id.device_class);
        std::lock_guard lock(mu_);
        ++counts_.devices;
        if (id.device_class == "pdu") pdu_hosts_.insert(host);
        return r;
    }

    const WebOptions& web_;
    std::chrono::milliseconds timeout_;
    bool report_unreachable_;
    const tls::TrustStore& store_;
    TcpSweepCounts& counts_;
    std::set<std::string>& pdu_hosts_;
    std::mutex mu_;
};

std::string banner_text(const std::string& raw) {
    bool printable = !raw.empty();
    for (unsigned char c : raw)
        if (!(c >= 0x20 && c < 0x7f) && c != '\r' && c != '\n' && c != '\t') printable = false;
    if (printable) {
        std::string s = raw;
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
            s.pop_back();
        return s;
    }
    static const char hex[] = "0123456789abcdef";
    std::string out = "hex:";
    for (unsigned char c : raw) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

constexpr std::size_t max_threads = 128;

}  // namespace

bool run_http_sweep(TargetList& targets, const WebOptions& web, int timeout_ms,
                    std::size_t concurrency, bool report_unreachable, RecordWriter& out,
                    TcpSweepCounts& counts, std::set<std::string>& pdu_hosts, std::string& error) {
    tls::TrustStore store;
    if (!store.load(web.ca_file, error)) return false;
    HttpProber prober(web, timeout_ms, report_unreachable, store, counts, pdu_hosts);
    counts.probed += for_each_target(
        targets, std::min(concurrency, max_threads),
        [&](const Target& t) { return prober.probe(t); }, out);
    return true;
}

void run_tcp6000_sweep(TargetList& targets, std::uint16_t port, int timeout_ms,
                       std::size_t concurrency, bool report_unreachable,
                       const std::set<std::string>& pdu_hosts, RecordWriter& out,
                       TcpSweepCounts& counts) {
    std::mutex mu;
    auto probe = [&](const Target& t) {
        std::vector<Json> records;
        const std::uint16_t p = t.port.value_or(port);
        const std::string hp = host_port(t.host, p);
        audit::Connection conn;
        audit::PortState state = audit::PortState::error;
        std::string why;
        const auto timeout = std::chrono::milliseconds(timeout_ms);
        if (!conn.open(t.host, p, timeout, why, &state)) {
            spdlog::debug("tcp://{}: {} ({})", hp, audit::to_string(state), why);
            if (report_unreachable) {
                const char* code = state == audit::PortState::closed     ? "closed"
                                   : state == audit::PortState::filtered ? "filtered"
                                                                         : "unreachable";
                records.push_back(make_error_record(tool, "tcp://" + hp, code,
                                                    "tcp://" + hp + ": port " + std::to_string(p) +
                                                        " " + std::string(audit::to_string(state)) +
                                                        " (" + why + ")"));
                std::lock_guard lock(mu);
                ++counts.errors;
            }
            return records;
        }
        // Listen only: whatever the device says first, within the timeout.
        std::string banner = conn.read_all(256);
        Json r = new_record("device");
        r["id"] = "tcp://" + hp;
        r["target"] = t.host;
        r["transport"] = "tcp";
        r["port"] = p;
        Json tcp = Json::object();
        tcp["open"] = true;
        if (!banner.empty()) tcp["banner"] = banner_text(banner);
        r["tcp"] = tcp;
        bool pdu = pdu_hosts.count(t.host) > 0;
        r["class"] = pdu ? "pdu" : "unknown";
        records.push_back(std::move(r));
        std::lock_guard lock(mu);
        ++counts.devices;
        return records;
    };
    counts.probed += for_each_target(targets, std::min(concurrency, max_threads), probe, out);
}

}  // namespace dce::discover
