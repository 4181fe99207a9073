#include "tls/probe.hpp"

#include <openssl/err.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <array>

namespace dce::tls {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

enum class Stage { connect, starttls, handshake, done };

struct AttemptResult {
    bool ok = false;
    bool timed_out = false;
    Stage stage = Stage::connect;
    std::string error;
    std::string protocol, cipher;
    bool forward_secret = false;
    std::vector<X509Ptr> chain;
};

// The questions asked of each endpoint, one client context each.
enum Question { q_main, q_tls10, q_tls11, q_tls12, q_tls13, q_weak, q_nofs, q_count };

// One TCP connection, optional STARTTLS prelude, one TLS handshake, then close.
class Attempt : public std::enable_shared_from_this<Attempt> {
  public:
    using Done = std::function<void(AttemptResult&&)>;
    Attempt(asio::io_context& io, asio::ssl::context& ctx, std::vector<tcp::endpoint> eps,
            const EndpointSpec& spec, std::chrono::milliseconds timeout, bool want_chain, Done done)
        : stream_(io, ctx),
          timer_(io),
          eps_(std::move(eps)),
          spec_(spec),
          timeout_(timeout),
          want_chain_(want_chain),
          done_(std::move(done)) {}

    void start() {
        auto self = shared_from_this();
        timer_.expires_after(timeout_);
        timer_.async_wait([self](const boost::system::error_code& ec) {
            if (ec || self->finished_) return;
            self->result_.timed_out = true;
            boost::system::error_code ignored;
            self->stream_.lowest_layer().close(ignored);
        });
        asio::async_connect(stream_.lowest_layer(), eps_,
                            [self](const boost::system::error_code& ec, const tcp::endpoint&) {
                                if (ec) return self->finish(false, ec.message());
                                boost::system::error_code ignored;
                                self->stream_.lowest_layer().set_option(tcp::no_delay(true),
                                                                        ignored);
                                if (self->spec_.starttls == Starttls::none)
                                    return self->handshake();
                                self->result_.stage = Stage::starttls;
                                self->starttls_step();
                            });
    }

  private:
    void starttls_step() {
        auto self = shared_from_this();
        request_ = starttls_request(spec_.starttls, step_);
        received_.clear();
        if (request_.empty()) return read_reply();
        asio::async_write(stream_.next_layer(), asio::buffer(request_),
                          [self](const boost::system::error_code& ec, std::size_t) {
                              if (ec) return self->finish(false, "STARTTLS: " + ec.message());
                              self->read_reply();
                          });
    }

    void read_reply() {
        auto self = shared_from_this();
        stream_.next_layer().async_read_some(
            asio::buffer(chunk_), [self](const boost::system::error_code& ec, std::size_t n) {
                if (ec) return self->finish(false, "STARTTLS: " + ec.message());
                self->received_.append(self->chunk_.data(), n);
                std::string why;
                switch (starttls_reply(self->spec_.starttls, self->step_, self->received_, why)) {
                    case StepVerdict::more:
                        return self->read_reply();
                    case StepVerdict::fail:
                        return self->finish(false, "STARTTLS: " + why);
                    case StepVerdict::ok:
                        if (++self->step_ == starttls_steps(self->spec_.starttls))
                            return self->handshake();
                        return self->starttls_step();
                }
            });
    }

    void handshake() {
        auto self = shared_from_this();
        result_.stage = Stage::handshake;
        SSL* ssl = stream_.native_handle();
        if (!spec_.sni.empty()) SSL_set_tlsext_host_name(ssl, spec_.sni.c_str());
        SSL_set_msg_callback(ssl, &Attempt::on_message);
        SSL_set_msg_callback_arg(ssl, this);
        stream_.async_handshake(asio::ssl::stream_base::client,
                                [self](const boost::system::error_code& ec) {
                                    if (ec) return self->finish(false, self->handshake_error(ec));
                                    self->collect();
                                    self->finish(true, {});
                                });
    }

    // Keeps the first record header the server sent: when it is not TLS at all, those
    // bytes say what it is ("HTTP/" from a plain web server).
    static void on_message(int write_p, int, int content_type, const void* buf, std::size_t len,
                           SSL*, void* arg) {
        auto* self = static_cast<Attempt*>(arg);
        if (write_p || content_type != SSL3_RT_HEADER || !self->first_header_.empty()) return;
        self->first_header_.assign(static_cast<const char*>(buf), len);
    }

    std::string handshake_error(const boost::system::error_code& ec) {
        std::string m = ec.message();
        if (ec.category() == asio::error::get_ssl_category()) {
            auto e = static_cast<unsigned long>(ec.value());
            char buf[256];
            ERR_error_string_n(e, buf, sizeof buf);
            m = buf;
            // OpenSSL's "wrong version number" is what a plain-text reply looks like to it.
            if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER) {
                if (first_header_.starts_with("HTTP/"))
                    return "not TLS: the server answered in plain HTTP (an http:// port?)";
                return "not TLS: the server's reply is not a TLS record (a plain-text service?; "
                       "OpenSSL: wrong version number)";
            }
        }
        return m;
    }

    void collect() {
        SSL* ssl = stream_.native_handle();
        result_.protocol = SSL_get_version(ssl);
        const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
        if (c) {
            result_.cipher = SSL_CIPHER_get_name(c);
            int kx = SSL_CIPHER_get_kx_nid(c);
            result_.forward_secret = kx == NID_kx_ecdhe || kx == NID_kx_dhe || kx == NID_kx_any ||
                                     kx == NID_kx_ecdhe_psk || kx == NID_kx_dhe_psk;
        }
        if (want_chain_) {
            if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
                for (int i = 0; i < sk_X509_num(chain); ++i)
                    result_.chain.push_back(share(sk_X509_value(chain, i)));
            }
        }
    }

    void finish(bool ok, std::string error) {
        if (finished_) return;
        finished_ = true;
        timer_.cancel();
        boost::system::error_code ignored;
        stream_.lowest_layer().close(ignored);
        ERR_clear_error();
        result_.ok = ok;
        if (ok) result_.stage = Stage::done;
        result_.error = result_.timed_out
                            ? "timed out after " + std::to_string(timeout_.count()) + " ms"
                            : std::move(error);
        done_(std::move(result_));
    }

    asio::ssl::stream<tcp::socket> stream_;
    asio::steady_timer timer_;
    std::vector<tcp::endpoint> eps_;
    EndpointSpec spec_;
    std::chrono::milliseconds timeout_;
    bool want_chain_;
    Done done_;
    AttemptResult result_;
    bool finished_ = false;
    std::size_t step_ = 0;
    std::string request_, received_;
    std::string first_header_;  ///< the server's first record header, as received
    std::array<char, 4096> chunk_{};
};

}  // namespace

struct Prober::Impl {
    asio::io_context io{1};
    std::vector<std::unique_ptr<asio::ssl::context>> ctx;
    std::string ssl3_note;
    std::vector<std::string> weak_probed, weak_not_probed;

    std::unique_ptr<asio::ssl::context> make_ctx(int min_v, int max_v, const std::string& ciphers) {
        auto c = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        SSL_CTX* s = c->native_handle();
        // Judging a server means talking to weak ones: the lowered level applies only
        // to these probe contexts, and nothing sent over them is trusted.
        SSL_CTX_set_security_level(s, 0);
        SSL_CTX_set_min_proto_version(s, min_v);
        SSL_CTX_set_max_proto_version(s, max_v);
        SSL_CTX_set_verify(s, SSL_VERIFY_NONE, nullptr);
        SSL_CTX_set_options(
            s, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
        if (!ciphers.empty() && SSL_CTX_set_cipher_list(s, ciphers.c_str()) != 1) ERR_clear_error();
        return c;
    }

    Impl() {
        ctx.resize(q_count);
        ctx[q_main] = make_ctx(TLS1_VERSION, 0, "DEFAULT:@SECLEVEL=0");
        ctx[q_tls10] = make_ctx(TLS1_VERSION, TLS1_VERSION, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
        ctx[q_tls11] = make_ctx(TLS1_1_VERSION, TLS1_1_VERSION, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
        ctx[q_tls12] = make_ctx(TLS1_2_VERSION, TLS1_2_VERSION, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
        ctx[q_tls13] = make_ctx(TLS1_3_VERSION, TLS1_3_VERSION, "");
#ifdef OPENSSL_NO_SSL3
        ssl3_note = "this OpenSSL was built without SSLv3, so SSLv3 was not tried";
#else
        ssl3_note = "SSLv3 is not probed";
#endif
        // Offer only the weak classes this OpenSSL still has, and say which it lacks.
        const std::pair<const char*, const char*> classes[] = {
            {"RC4", "RC4"},    {"3DES", "3DES"},  {"DES", "DES"},
            {"EXPORT", "EXP"}, {"NULL", "eNULL"}, {"anonymous", "aNULL"}};
        std::string list;
        SSL_CTX* probe = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_security_level(probe, 0);
        for (const auto& [name, spec] : classes) {
            std::string s = std::string(spec) + ":@SECLEVEL=0";
            if (probe && SSL_CTX_set_cipher_list(probe, s.c_str()) == 1) {
                weak_probed.push_back(name);
                list += (list.empty() ? "" : ":") + std::string(spec);
            } else {
                weak_not_probed.push_back(name);
            }
        }
        SSL_CTX_free(probe);
        ERR_clear_error();
        ctx[q_weak] = make_ctx(TLS1_VERSION, TLS1_2_VERSION,
                               list.empty() ? "eNULL:@SECLEVEL=0" : list + ":@SECLEVEL=0");
        ctx[q_nofs] = make_ctx(TLS1_VERSION, TLS1_2_VERSION, "kRSA:@SECLEVEL=0");
    }
};

// One endpoint: resolve, main handshake, then the protocol questions side by side.
class EndpointJob : public std::enable_shared_from_this<EndpointJob> {
  public:
    EndpointJob(Prober::Impl& impl, const EndpointSpec& spec, const ProbeOptions& opts,
                std::function<void(EndpointResult&&)> done)
        : impl_(impl), resolver_(impl.io), opts_(opts), done_(std::move(done)) {
        result_.spec = spec;
    }

    void start() {
        started_ = Clock::now();
        auto self = shared_from_this();
        resolver_.async_resolve(
            result_.spec.host, std::to_string(result_.spec.port),
            [self](const boost::system::error_code& ec, tcp::resolver::results_type res) {
                if (ec)
                    return self->fail("resolve", "cannot resolve " + self->result_.spec.host +
                                                     ": " + ec.message());
                for (const auto& e : res)
                    self->eps_.push_back(e.endpoint());
                self->main();
            });
    }

  private:
    void main() {
        auto self = shared_from_this();
        std::make_shared<Attempt>(impl_.io, *impl_.ctx[q_main], eps_, result_.spec, opts_.timeout,
                                  true, [self](AttemptResult&& r) { self->on_main(std::move(r)); })
            ->start();
    }

    void on_main(AttemptResult&& r) {
        if (!r.ok) {
            std::string code = r.timed_out                  ? "timeout"
                               : r.stage == Stage::connect  ? "unreachable"
                               : r.stage == Stage::starttls ? "starttls"
                                                            : "handshake";
            return fail(code, r.error);
        }
        result_.ok = true;
        result_.chain = std::move(r.chain);
        auto& f = result_.facts;
        f.protocol = r.protocol;
        f.cipher = r.cipher;
        f.negotiated_fs = r.forward_secret;
        f.ssl3_note = impl_.ssl3_note;
        f.weak_classes_probed = impl_.weak_probed;
        f.weak_classes_not_probed = impl_.weak_not_probed;
        if (!opts_.probe_protocols) return complete();
        f.probed = true;
        f.versions["ssl3"] = std::nullopt;
        pending_ = q_count - 1;
        if (opts_.one_at_a_time) return ask(q_tls10);
        for (int q = q_tls10; q < q_count; ++q) ask(q);
    }

    void ask(int q) {
        auto self = shared_from_this();
        std::make_shared<Attempt>(
            impl_.io, *impl_.ctx[q], eps_, result_.spec, opts_.timeout, false,
            [self, q](AttemptResult&& a) { self->on_question(q, std::move(a)); })
            ->start();
    }

    void on_question(int q, AttemptResult&& a) {
        // A refusal during the handshake is an answer (no); a timeout or a refused
        // connection is not: those stay unknown rather than read as "refused".
        std::optional<bool> answer;
        if (a.ok)
            answer = true;
        else if (!a.timed_out && a.stage == Stage::handshake)
            answer = false;
        auto& f = result_.facts;
        switch (q) {
            case q_tls10:
                f.versions["tls1.0"] = answer;
                break;
            case q_tls11:
                f.versions["tls1.1"] = answer;
                break;
            case q_tls12:
                f.versions["tls1.2"] = answer;
                break;
            case q_tls13:
                f.versions["tls1.3"] = answer;
                break;
            case q_weak:
                f.weak_cipher_accepted = answer;
                if (a.ok) f.weak_cipher = a.cipher;
                break;
            case q_nofs:
                f.non_fs_accepted = answer;
                if (a.ok) f.non_fs_cipher = a.cipher;
                break;
            default:
                break;
        }
        if (--pending_ == 0) return complete();
        if (opts_.one_at_a_time) ask(q + 1);
    }

    void fail(std::string code, std::string message) {
        result_.ok = false;
        result_.error_code = std::move(code);
        result_.error_message = std::move(message);
        complete();
    }

    void complete() {
        if (!eps_.empty()) result_.address = eps_.front().address().to_string();
        result_.elapsed_ms =
            std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
        done_(std::move(result_));
    }

    Prober::Impl& impl_;
    tcp::resolver resolver_;
    ProbeOptions opts_;
    std::function<void(EndpointResult&&)> done_;
    EndpointResult result_;
    std::vector<tcp::endpoint> eps_;
    int pending_ = 0;
    Clock::time_point started_;
};

Prober::Prober() : impl_(std::make_unique<Impl>()) {}
Prober::~Prober() = default;
const std::string& Prober::ssl3_note() const {
    return impl_->ssl3_note;
}
const std::vector<std::string>& Prober::weak_classes_probed() const {
    return impl_->weak_probed;
}
const std::vector<std::string>& Prober::weak_classes_not_probed() const {
    return impl_->weak_not_probed;
}

void Prober::run(const std::vector<EndpointSpec>& endpoints, const ProbeOptions& options,
                 const std::function<void(EndpointResult&&)>& done,
                 const std::function<bool()>& stop) {
    std::size_t next = 0, in_flight = 0;
    bool stopping = false;
    std::function<void()> launch, watch_cancel;
    launch = [&] {
        while (!stopping && in_flight < std::max<std::size_t>(1, options.concurrency) &&
               next < endpoints.size()) {
            ++in_flight;
            std::make_shared<EndpointJob>(*impl_, endpoints[next++], options,
                                          [&](EndpointResult&& r) {
                                              --in_flight;
                                              done(std::move(r));
                                              launch();
                                              if (in_flight == 0 && next >= endpoints.size())
                                                  watch_cancel();
                                          })
                ->start();
        }
    };
    // SIGINT/SIGTERM: stop starting endpoints; the ones in flight end at their timeout.
    asio::steady_timer watch(impl_->io);
    watch_cancel = [&] { watch.cancel(); };
    std::function<void()> arm;
    arm = [&] {
        watch.expires_after(std::chrono::milliseconds(100));
        watch.async_wait([&](const boost::system::error_code& ec) {
            if (ec) return;
            if (stop && stop()) {
                stopping = true;
                impl_->io.stop();
                return;
            }
            if (in_flight > 0 || next < endpoints.size()) arm();
        });
    };
    launch();
    arm();
    impl_->io.restart();
    impl_->io.run();
    // Handlers still queued after a stop own sockets; drop them now, not at exit.
    impl_->io.restart();
    impl_->io.poll();
}

}  // namespace dce::tls
