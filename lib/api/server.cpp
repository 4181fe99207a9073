// The Beast server (server.hpp). One session object per connection, templated on the
// stream (TLS or plain TCP), reading one request at a time: the header under
// header_timeout and header_limit, then the body under body_timeout and body_limit. A
// complete request is handed to the worker pool; the answer comes back to the Asio
// thread, which alone touches sockets. A session has at most one request in a worker, so
// the queue is bounded by --max-connections.
#include "api/server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace dce::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Mozilla's "intermediate" TLS 1.2 suites (forward secrecy, AEAD only); TLS 1.3 suites are
// OpenSSL's defaults, all of them AEAD.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The handler threads: each owns one Backend (router and database connection) and takes
// jobs from one queue.
class Pool {
  public:
    using Job = std::function<void(const Backend&)>;
    explicit Pool(std::vector<Backend> backends) : backends_(std::move(backends)) {}
    ~Pool() { stop(); }
    void start() {
        for (const auto& b : backends_)
            threads_.emplace_back([this, b] { work(b); });
    }
    void post(Job job) {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(job));
        }
        ready_.notify_one();
    }
    /// Finishes the jobs being run, drops the queued ones and joins the threads.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            jobs_.clear();
        }
        ready_.notify_all();
        for (auto& t : threads_)
            t.join();
        threads_.clear();
    }

  private:
    void work(const Backend& backend) {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (stopping_) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job(backend);
        }
    }
    std::vector<Backend> backends_;
    std::vector<std::thread> threads_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
};

// Declared so that the io_context goes first at destruction: the sessions its pending
// handlers still hold use opts and connections. The pool is stopped (threads joined)
// before that, by Server::run or ~Impl.
struct Shared {
    Shared(ServerOptions o, std::vector<Backend> workers)
        : opts(std::move(o)), pool(std::move(workers)) {}
    ServerOptions opts;
    std::atomic<std::size_t> connections{0};
    Pool pool;
    net::io_context io{1};
};

// Runs on a worker thread.
Response answer(Request& req, const Backend& backend) {
    std::string error;
    if (!parse_target(req.target, req.path, req.query, error))
        return problem(400, "Bad request target", error);
    try {
        return backend.router->dispatch(req, *backend.auth);
    } catch (const std::exception& e) {  // dispatch catches the handlers'; this is the rest
        spdlog::error("{} {}: {}", req.method, req.target.substr(0, req.target.find('?')),
                      e.what());
        return problem(500, {}, "internal error");
    }
}

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "dce-store");
    res.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers)
        res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    return res;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  public:
    Session(Stream stream, Shared& shared, std::string peer)
        : stream_(std::move(stream)), shared_(shared), peer_(std::move(peer)) {}
    ~Session() { --shared_.connections; }

    void start() {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            beast::get_lowest_layer(stream_).expires_after(shared_.opts.header_timeout);
            stream_.async_handshake(ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                        if (ec) return;  // not TLS, or gave up: just close
                                        self->read_header();
                                    });
        } else {
            read_header();
        }
    }

  private:
    void read_header() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(shared_.opts.max_header_bytes));
        parser_->body_limit(shared_.opts.max_body_bytes);
        beast::get_lowest_layer(stream_).expires_after(shared_.opts.header_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = this->shared_from_this()](
                                    beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        started_ = Clock::now();
        if (ec == http::error::header_limit) return refuse(431, "the request header is too large");
        // Beast checks Content-Length against body_limit while reading the header.
        if (ec == http::error::body_limit) return refuse(413, "the request body is too large");
        if (ec) return close();  // closed, timed out or garbage: nothing worth answering
        auto length = parser_->content_length();
        if (length && *length > shared_.opts.max_body_bytes)
            return refuse(413, "the request body is too large");
        beast::get_lowest_layer(stream_).expires_after(shared_.opts.body_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             self->on_body(ec);
                         });
    }

    void on_body(beast::error_code ec) {
        if (ec == http::error::body_limit) return refuse(413, "the request body is too large");
        if (ec) return close();
        auto& msg = parser_->get();
        Request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.peer = peer_;
        req.body = std::move(msg.body());
        for (const auto& f : msg) {
            std::string name(f.name_string());
            for (auto& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            req.headers[name] = std::string(f.value());
        }
        // The log gets the path as sent, still percent-encoded (Beast's parser admits no
        // control characters there), so a %0A in a request cannot forge a log line; capped.
        std::string logged = req.target.substr(0, std::min(req.target.find('?'), std::size_t{200}));
        unsigned version = msg.version();
        bool keep_alive = msg.keep_alive();
        shared_.pool.post([self = this->shared_from_this(), req = std::move(req),
                           logged = std::move(logged), version,
                           keep_alive](const Backend& backend) mutable {
            auto res = std::make_shared<Response>(answer(req, backend));
            // Back to the Asio thread, the only one that touches the socket.
            net::post(self->shared_.io, [self, res, method = std::move(req.method),
                                         logged = std::move(logged), version, keep_alive] {
                self->send(*res, method, logged, version, keep_alive);
            });
        });
    }

    // Answers a request refused before its body was read, then reads and discards what
    // the client is still sending before closing: closing with unread data would reset
    // the connection, and the client would lose the answer.
    void refuse(int status, std::string_view detail) {
        auto& msg = parser_->get();
        draining_ = true;
        send(problem(status, {}, detail), std::string(msg.method_string()), "-", 11, false);
    }

    void drain() {
        // Bounded in time (body_timeout, set by send) and in bytes.
        stream_.async_read_some(net::buffer(discard_), [self = this->shared_from_this()](
                                                           beast::error_code ec, std::size_t n) {
            self->drained_ += n;
            if (ec || self->drained_ > 16 * self->shared_.opts.max_body_bytes) return self->close();
            self->drain();
        });
    }

    void send(const Response& r, const std::string& method, const std::string& path,
              unsigned version, bool keep_alive) {
        auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
        // Method, path (no query string: it could carry anything), who, what, how long.
        spdlog::info("{} {} {} client={} status={} {:.1f}ms", peer_, method, path,
                     r.client.empty() ? "-" : r.client, r.status, ms);
        response_ =
            std::make_unique<http::response<http::string_body>>(to_beast(r, version, keep_alive));
        beast::get_lowest_layer(stream_).expires_after(shared_.opts.body_timeout);
        http::async_write(
            stream_, *response_,
            [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                if (!ec && self->draining_) return self->drain();
                if (ec || !keep_alive) return self->close();
                self->read_header();
            });
    }

    void close() {
        beast::error_code ec;
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            // A bounded close_notify; the peer may be gone already.
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
                beast::error_code ignore;
                beast::get_lowest_layer(self->stream_)
                    .socket()
                    .shutdown(tcp::socket::shutdown_both, ignore);
            });
        } else {
            beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
        }
    }

    Stream stream_;
    Shared& shared_;
    std::string peer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::unique_ptr<http::response<http::string_body>> response_;
    Clock::time_point started_ = Clock::now();
    bool draining_ = false;
    std::size_t drained_ = 0;
    std::array<char, 16 * 1024> discard_{};
};

bool is_loopback(const std::string& host) {
    beast::error_code ec;
    auto a = net::ip::make_address(host, ec);
    return !ec && a.is_loopback();
}

}  // namespace

bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port,
                  std::string& error) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        error = "--listen wants HOST:PORT, e.g. 127.0.0.1:8470";
        return false;
    }
    host = std::string(text.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    auto ps = text.substr(colon + 1);
    unsigned long p = 0;
    if (ps.empty() || ps.size() > 5 ||
        ps.find_first_not_of("0123456789") != std::string_view::npos ||
        (p = std::stoul(std::string(ps))) > 65535) {
        error = "--listen: bad port \"" + std::string(ps) + "\"";
        return false;
    }
    beast::error_code ec;
    net::ip::make_address(host, ec);
    if (ec) {
        error = "--listen: \"" + host + "\" is not an IP address";
        return false;
    }
    port = static_cast<std::uint16_t>(p);
    return true;
}

struct Server::Impl {
    Shared shared;
    net::io_context& io = shared.io;
    ssl::context tls{ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    bool plain = false;

    Impl(ServerOptions o, std::vector<Backend> workers)
        : shared(std::move(o), std::move(workers)) {}
    ~Impl() {
        beast::error_code ec;
        acceptor.close(ec);
        shared.pool.stop();
    }

    void accept() {
        acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
            if (ec) {
                if (ec != net::error::operation_aborted) accept();
                return;
            }
            beast::error_code pe;
            auto ep = s.remote_endpoint(pe);
            std::string peer = pe ? "?" : ep.address().to_string();
            if (shared.connections >= shared.opts.max_connections) {
                spdlog::warn("{}: refused, {} connections open (--max-connections)", peer,
                             shared.connections.load());
                s.close(pe);
            } else {
                ++shared.connections;
                beast::tcp_stream stream(std::move(s));
                if (plain)
                    std::make_shared<Session<beast::tcp_stream>>(std::move(stream), shared, peer)
                        ->start();
                else
                    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                        beast::ssl_stream<beast::tcp_stream>(std::move(stream), tls), shared, peer)
                        ->start();
            }
            accept();
        });
    }
};

Server::Server(ServerOptions options, const Router& router, Authenticator& auth)
    : Server(std::move(options), std::vector<Backend>{Backend{&router, &auth}}) {}

Server::Server(ServerOptions options, std::vector<Backend> workers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(workers))) {}

Server::~Server() = default;

bool Server::open(std::string& error) {
    auto& o = impl_->shared.opts;
    std::string host;
    std::uint16_t port = 0;
    if (!parse_listen(o.listen, host, port, error)) return false;
    if (o.insecure_http) {
        if (!is_loopback(host)) {
            error =
                "--insecure-http is allowed only on a loopback address (127.0.0.0/8, ::1), "
                "not " +
                host;
            return false;
        }
        if (!o.cert.empty() || !o.key.empty()) {
            error = "--insecure-http and --cert/--key exclude each other";
            return false;
        }
        impl_->plain = true;
    } else {
        if (o.cert.empty() || o.key.empty()) {
            error =
                "HTTPS needs --cert and --key (plain HTTP only with --insecure-http on "
                "loopback)";
            return false;
        }
        auto& ctx = impl_->tls;
        SSL_CTX* native = ctx.native_handle();
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use);
        SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(native, tls12_ciphers);
        SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                                        SSL_OP_NO_COMPRESSION);
        beast::error_code ec;
        ctx.use_certificate_chain_file(o.cert, ec);
        if (ec) return error = o.cert + ": " + ec.message(), false;
        ctx.use_private_key_file(o.key, ssl::context::pem, ec);
        if (ec) return error = o.key + ": " + ec.message(), false;
        if (SSL_CTX_check_private_key(native) != 1)
            return error = o.key + ": the key does not match the certificate in " + o.cert, false;
    }
    beast::error_code ec;
    tcp::endpoint ep(net::ip::make_address(host), port);
    auto& acc = impl_->acceptor;
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return error = "--listen " + o.listen + ": " + ec.message(), false;
    return true;
}

std::string Server::local_address() const {
    beast::error_code ec;
    auto ep = impl_->acceptor.local_endpoint(ec);
    if (ec) return "?";
    auto a = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

void Server::run(const std::function<bool()>& stop) {
    impl_->accept();
    net::steady_timer poll(impl_->io);
    std::function<void(beast::error_code)> tick = [&](beast::error_code) {
        if (stop()) {
            beast::error_code ec;
            impl_->acceptor.close(ec);
            impl_->io.stop();
            return;
        }
        poll.expires_after(std::chrono::milliseconds(200));
        poll.async_wait(tick);
    };
    tick({});
    impl_->shared.pool.start();
    impl_->io.run();
    impl_->shared.pool.stop();
}

}  // namespace dce::api
