#pragma once
// One HTTP/1.1 request over plain TCP or TLS, with the audit's per-connection timeout:
// what the web and login checks need to read a status line and headers. TLS certificate
// verification is off on purpose: a lab or default certificate must not hide an HSTS or
// login finding; judging the certificate is the cert family's job. dce-discover's HTTP(S)
// identity sweep uses it too, and judges the peer itself: it asks for TLS 1.2 at least
// and hands a `check_peer` that verifies the chain (lib/tls) before anything is sent.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dce::audit {

struct Url {
    std::string scheme;  ///< "http" or "https"
    std::string host;    ///< without brackets
    int port = 0;
    std::string path = "/";  ///< with the query
};

/// Parses http://HOST[:PORT]/PATH and https://...; false with `why` otherwise.
bool parse_url(std::string_view text, Url& out, std::string& why);

/// "host" or "[v6]" with ":port" when the port is not the scheme's default (Host header).
std::string host_header(const std::string& host, int port, bool tls);

struct HttpRequest {
    std::string method = "GET";
    std::string host;  ///< address to connect to (also the Host header and SNI for names)
    int port = 80;
    bool tls = false;
    std::string path = "/";
    std::vector<std::pair<std::string, std::string>> headers;  ///< added after Host
    std::string body;
    std::string user_agent = "dce-audit";
    /// TLS 1.2 at least (dce-discover); otherwise any version the server offers.
    bool tls12_minimum = false;
    /// Called after the handshake with the peer's chain (DER, leaf first), before the
    /// request is sent: false (with `why`) ends the exchange, response.peer_rejected set.
    std::function<bool(const std::vector<std::string>& chain_der, std::string& why)> check_peer;
};

struct HttpResponse {
    bool ok = false;    ///< a status line was read
    std::string error;  ///< why not, when !ok
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  ///< in order, names as sent
    std::string body;                                          ///< de-chunked, capped
    std::string tls_protocol;                                  ///< "TLSv1.3" over TLS
    std::vector<std::string> peer_chain_der;  ///< the server's chain, DER, leaf first
    bool peer_rejected = false;               ///< check_peer said no (error says why)
    bool tls_failed = false;                  ///< the TLS handshake itself failed
    bool connect_failed = false;              ///< no TCP connection (error says why)

    /// The first header named `name` (case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const;
    std::size_t count(std::string_view name) const;
};

HttpResponse http_request(const HttpRequest& req, std::chrono::milliseconds timeout);

/// application/x-www-form-urlencoded escaping of one value.
std::string form_escape(std::string_view s);
std::string base64(std::string_view s);

}  // namespace dce::audit
