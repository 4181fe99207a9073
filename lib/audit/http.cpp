// A small HTTP/1.1 client for the web and login checks: one request per connection
// ("Connection: close"), plain or over OpenSSL on the audit's own non-blocking socket so
// every step (connect, handshake, each read and write) ends at the audit's deadline.
#include "audit/http.hpp"

#include "audit/audit.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <memory>

namespace dce::audit {
namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        return n > 0;
    }
}

struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};
struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

/// The byte stream under a request: the connection's socket, TLS on top when asked.
class Stream {
  public:
    Stream(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}
    // OpenSSL's error queue is per thread: leave nothing behind for the next TLS user
    // on this thread (lib/tls's prober runs here too).
    ~Stream() { ERR_clear_error(); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    bool start_tls(const std::string& sni, bool tls12_minimum, std::string& error) {
        ctx_.reset(SSL_CTX_new(TLS_client_method()));
        if (!ctx_) return set_error(error, "cannot create a TLS context");
        // Headers are judged on any server, old ones included; nothing is trusted here.
        SSL_CTX_set_security_level(ctx_.get(), 0);
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
        SSL_CTX_set_options(ctx_.get(),
                            SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
        if (tls12_minimum) SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
        ssl_.reset(SSL_new(ctx_.get()));
        if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1)
            return set_error(error, "cannot set up TLS on the socket");
        if (!sni.empty()) SSL_set_tlsext_host_name(ssl_.get(), sni.c_str());
        for (;;) {
            int rc = SSL_connect(ssl_.get());
            if (rc == 1) return true;
            if (!wait_ssl(rc)) {
                if (timed_out_) return set_error(error, "TLS handshake: no answer in time");
                return set_error(error, "TLS handshake failed: " + ssl_error());
            }
        }
    }

    bool write(std::string_view data) {
        while (!data.empty()) {
            if (ssl_) {
                std::size_t n = 0;
                int rc = SSL_write_ex(ssl_.get(), data.data(), data.size(), &n);
                if (rc == 1) {
                    data.remove_prefix(n);
                } else if (!wait_ssl(rc)) {
                    return false;
                }
                continue;
            }
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
            } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                if (!wait_for(fd_, POLLOUT, deadline_)) return false;
            } else {
                return false;
            }
        }
        return true;
    }

    /// >0 bytes read, 0 at EOF, -1 on an error or the deadline.
    long read(char* buf, std::size_t size) {
        for (;;) {
            if (ssl_) {
                std::size_t n = 0;
                int rc = SSL_read_ex(ssl_.get(), buf, size, &n);
                if (rc == 1) return static_cast<long>(n);
                int e = SSL_get_error(ssl_.get(), rc);
                if (e == SSL_ERROR_ZERO_RETURN) return 0;
                if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
                    return 0;  // EOF, no close_notify
                if (!wait_ssl(rc)) return -1;
                continue;
            }
            ssize_t n = ::recv(fd_, buf, size, 0);
            if (n >= 0) return static_cast<long>(n);
            if (errno != EAGAIN && errno != EINTR) return -1;
            if (!wait_for(fd_, POLLIN, deadline_)) {
                timed_out_ = true;
                return -1;
            }
        }
    }

    std::string protocol() const { return ssl_ ? SSL_get_version(ssl_.get()) : ""; }
    /// The peer's chain as DER, leaf first (empty over plain TCP).
    std::vector<std::string> peer_chain() const {
        std::vector<std::string> out;
        if (!ssl_) return out;
        STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_.get());
        for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
            unsigned char* der = nullptr;
            int n = i2d_X509(sk_X509_value(chain, i), &der);
            if (n > 0) out.emplace_back(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
            OPENSSL_free(der);
        }
        return out;
    }
    bool timed_out() const { return timed_out_; }

  private:
    static bool set_error(std::string& error, std::string what) {
        error = std::move(what);
        ERR_clear_error();
        return false;
    }
    /// After an SSL call returned rc: waits for what it wants; false when it failed.
    bool wait_ssl(int rc) {
        int e = SSL_get_error(ssl_.get(), rc);
        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (ev == 0) return false;
        if (!wait_for(fd_, ev, deadline_)) {
            timed_out_ = true;
            return false;
        }
        return true;
    }
    static std::string ssl_error() {
        unsigned long e = ERR_get_error();
        if (e == 0) return "connection closed during the handshake";
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        ERR_clear_error();
        return buf;
    }

    int fd_;
    Clock::time_point deadline_;
    std::unique_ptr<SSL_CTX, CtxFree> ctx_;
    std::unique_ptr<SSL, SslFree> ssl_;
    bool timed_out_ = false;
};

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return std::string(s);
}

/// Chunked transfer coding undone as far as the bytes go (a cut-off body stays cut off).
std::string dechunk(std::string_view in) {
    std::string out;
    while (!in.empty()) {
        auto eol = in.find("\r\n");
        if (eol == std::string_view::npos) break;
        std::size_t size = 0;
        auto hex = in.substr(0, eol);
        auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
        if (ec != std::errc() || size == 0) break;
        in.remove_prefix(eol + 2);
        out.append(in.substr(0, size));
        if (in.size() <= size + 2) break;
        in.remove_prefix(size + 2);
    }
    return out;
}

}  // namespace

bool parse_url(std::string_view text, Url& out, std::string& why) {
    out = Url{};
    auto sep = text.find("://");
    if (sep == std::string_view::npos) {
        why = "\"" + std::string(text) + "\" is not an http:// or https:// URL";
        return false;
    }
    std::string scheme(text.substr(0, sep));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (scheme != "http" && scheme != "https") {
        why = "\"" + std::string(text) + "\": only http:// and https:// are supported";
        return false;
    }
    out.scheme = scheme;
    out.port = scheme == "https" ? 443 : 80;
    std::string_view rest = text.substr(sep + 3);
    auto slash = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, slash);
    out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (!out.path.empty() && out.path.front() != '/') out.path = "/" + out.path;
    if (auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);  // userinfo: never used, never sent
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "\"" + std::string(text) + "\": unclosed [ in the host";
            return false;
        }
        out.host = std::string(authority.substr(1, close - 1));
        if (close + 1 < authority.size() && authority[close + 1] == ':')
            port_text = authority.substr(close + 2);
    } else {
        auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (!port_text.empty()) {
        auto [p, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), out.port);
        if (ec != std::errc() || p != port_text.data() + port_text.size() || out.port <= 0 ||
            out.port > 65535) {
            why = "\"" + std::string(text) + "\": bad port";
            return false;
        }
    }
    if (out.host.empty()) {
        why = "\"" + std::string(text) + "\": no host";
        return false;
    }
    return true;
}

std::string host_header(const std::string& host, int port, bool tls) {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
    return h;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return std::nullopt;
}

std::size_t HttpResponse::count(std::string_view name) const {
    return static_cast<std::size_t>(std::count_if(
        headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); }));
}

HttpResponse http_request(const HttpRequest& req, std::chrono::milliseconds timeout) {
    HttpResponse r;
    std::string host = req.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    Connection conn;
    if (!conn.open(host, req.port, timeout, r.error)) {
        r.error = "cannot connect to port " + std::to_string(req.port) + ": " + r.error;
        r.connect_failed = true;
        return r;
    }
    // One deadline for the whole exchange after the connect: a server that trickles
    // bytes cannot hold the audit longer than the timeout.
    Stream s(conn.fd(), Clock::now() + timeout);
    if (req.tls && !s.start_tls(is_ip_literal(host) ? "" : host, req.tls12_minimum, r.error)) {
        r.tls_failed = true;
        return r;
    }
    r.tls_protocol = s.protocol();
    if (req.tls) r.peer_chain_der = s.peer_chain();
    if (req.tls && req.check_peer && !req.check_peer(r.peer_chain_der, r.error)) {
        r.peer_rejected = true;
        return r;
    }

    std::string msg =
        req.method + " " + req.path + " HTTP/1.1\r\nHost: " + host_header(host, req.port, req.tls) +
        "\r\nUser-Agent: " + req.user_agent + "\r\nAccept: */*\r\nConnection: close\r\n";
    for (const auto& [k, v] : req.headers)
        msg += k + ": " + v + "\r\n";
    if (!req.body.empty() || req.method == "POST")
        msg += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
    msg += "\r\n" + req.body;
    if (!s.write(msg)) {
        r.error = "could not send the request";
        return r;
    }

    // Headers, then the body up to Content-Length, the end of the chunks, EOF or 1 MiB.
    constexpr std::size_t cap = 1 << 20;
    std::string in;
    std::size_t head_end = std::string::npos;
    std::optional<std::size_t> length;
    bool chunked = false;
    char buf[8192];
    for (;;) {
        if (head_end != std::string::npos) {
            std::size_t body = in.size() - head_end;
            if (length && body >= *length) break;
            if (chunked && in.find("\r\n0\r\n", head_end - 2) != std::string::npos) break;
            if (r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200) ||
                req.method == "HEAD")
                break;
        }
        if (in.size() >= cap) break;
        long n = s.read(buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        if (head_end == std::string::npos) {
            auto e = in.find("\r\n\r\n");
            if (e == std::string::npos) continue;
            head_end = e + 4;
            std::string_view head(in.data(), e);
            auto eol = head.find("\r\n");
            std::string_view status_line = head.substr(0, eol);
            // "HTTP/1.1 301 Moved Permanently"
            if (!status_line.starts_with("HTTP/") || status_line.size() < 12) {
                r.error = "not an HTTP response: \"" + trim(status_line.substr(0, 60)) + "\"";
                return r;
            }
            auto sp = status_line.find(' ');
            std::from_chars(status_line.data() + sp + 1, status_line.data() + sp + 4, r.status);
            if (sp + 5 <= status_line.size()) r.reason = trim(status_line.substr(sp + 5));
            std::string_view rest = eol == std::string_view::npos ? "" : head.substr(eol + 2);
            while (!rest.empty()) {
                auto le = rest.find("\r\n");
                std::string_view line = rest.substr(0, le);
                rest = le == std::string_view::npos ? "" : rest.substr(le + 2);
                auto colon = line.find(':');
                if (colon == std::string_view::npos) continue;
                r.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
            }
            if (auto cl = r.header("Content-Length")) {
                std::size_t v = 0;
                if (std::from_chars(cl->data(), cl->data() + cl->size(), v).ec == std::errc())
                    length = v;
            }
            if (auto te = r.header("Transfer-Encoding"))
                chunked = te->find("chunked") != std::string::npos;
        }
    }
    if (head_end == std::string::npos) {
        r.error = in.empty()
                      ? (s.timed_out() ? "no answer in time" : "no answer (connection closed)")
                      : "the answer ended inside its headers";
        return r;
    }
    std::string_view body(in.data() + head_end, in.size() - head_end);
    r.body = chunked ? dechunk(body) : std::string(body.substr(0, length.value_or(body.size())));
    r.ok = true;
    return r;
}

std::string form_escape(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string base64(std::string_view s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
}

}  // namespace dce::audit
