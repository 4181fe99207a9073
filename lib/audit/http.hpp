#pragma once
// One HTTP/1.1 request over plain TCP or TLS, with the audit's per-connection timeout:
// what the web and login checks need to read a status line and headers. TLS certificate
// verification is off on purpose: a lab or default certificate must not hide an HSTS or
// login finding; judging the certificate is the cert family's job.

#include <chrono>
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
};

struct HttpResponse {
    bool ok = false;    ///< a status line was read
    std::string error;  ///< why not, when !ok
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  ///< in order, names as sent
    std::string body;                                          ///< de-chunked, capped
    std::string tls_protocol;                                  ///< "TLSv1.3" over TLS

    /// The first header named `name` (case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const;
    std::size_t count(std::string_view name) const;
};

HttpResponse http_request(const HttpRequest& req, std::chrono::milliseconds timeout);

/// application/x-www-form-urlencoded escaping of one value.
std::string form_escape(std::string_view s);
std::string base64(std::string_view s);

}  // namespace dce::audit
