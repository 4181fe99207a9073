#include "modbus/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>
#include <array>

namespace dce::modbus {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::string Result::code() const {
    switch (status) {
        case Status::ok:
            return "ok";
        case Status::exception:
            return fmt::format("modbus-exception-{}", response.exception_code);
        case Status::timeout:
            return "timeout";
        case Status::refused:
            return "connection-refused";
        case Status::connection:
            return "connection";
        case Status::protocol:
            return "protocol";
        case Status::cancelled:
            return "cancelled";
    }
    return "error";
}

struct Job {
    std::uint8_t unit = 0;
    std::vector<std::uint8_t> pdu;
    Callback done;
    std::shared_ptr<const bool> cancelled;
};

struct Client::Gateway : std::enable_shared_from_this<Client::Gateway> {
    Gateway(Client& c, std::string h, std::uint16_t p)
        : client(c), host(std::move(h)), port(p), socket(c.io_), timer(c.io_) {}

    Client& client;
    std::string host;
    std::uint16_t port;
    tcp::socket socket;
    asio::steady_timer timer;
    std::deque<Job> jobs;
    bool active = false;     // holds one of the client's concurrency slots
    bool in_flight = false;  // a job is being worked on
    bool connected = false;
    bool used = false;  // the connection has carried an answer (a failure may be its idling)
    bool retried = false;
    std::uint64_t op = 0;  // the current operation; stale handlers see another number
    bool timed_out = false;
    std::uint16_t tid = 0;
    std::array<std::uint8_t, mbap_size> header{};
    std::vector<std::uint8_t> body;
    std::vector<std::uint8_t> adu;

    std::string name() const { return fmt::format("{}:{}", host, port); }

    void next() {
        if (in_flight) return;
        while (!jobs.empty() && jobs.front().cancelled && *jobs.front().cancelled) {
            Job j = std::move(jobs.front());
            jobs.pop_front();
            Result r;
            r.status = Result::Status::cancelled;
            r.error = "cancelled";
            j.done(r);
        }
        if (jobs.empty()) {
            client.release_slot(*this);
            return;
        }
        in_flight = true;
        retried = false;
        if (!connected)
            connect();
        else
            send();
    }

    void arm(std::chrono::milliseconds t) {
        timed_out = false;
        auto self = shared_from_this();
        std::uint64_t my = op;
        timer.expires_after(t);
        timer.async_wait([self, my](const error_code& ec) {
            if (ec || self->op != my) return;
            self->timed_out = true;
            self->connected = false;  // an answer already queued still completes the job
            error_code ignored;
            self->socket.close(ignored);  // aborts the pending connect/write/read
        });
    }

    void connect() {
        ++op;
        ++client.stats_.connects;
        error_code ec;
        auto addr = asio::ip::make_address(host, ec);
        auto self = shared_from_this();
        auto ct = client.opts_.connect_timeout.count() ? client.opts_.connect_timeout
                                                       : client.opts_.timeout;
        arm(ct);
        std::uint64_t my = op;
        if (ec) {
            // A host name: resolve it (rare; targets are addresses in the normal case).
            auto resolver = std::make_shared<tcp::resolver>(client.io_);
            resolver->async_resolve(
                host, std::to_string(port),
                [self, my, resolver](const error_code& e, tcp::resolver::results_type res) {
                    if (self->op != my) return;
                    if (e)
                        return self->fail(Result::Status::connection,
                                          "cannot resolve " + self->host + ": " + e.message(),
                                          true);
                    asio::async_connect(self->socket, res,
                                        [self, my](const error_code& e2, const tcp::endpoint&) {
                                            self->connected_handler(e2, my);
                                        });
                });
            return;
        }
        socket = tcp::socket(client.io_);
        socket.async_connect(tcp::endpoint(addr, port),
                             [self, my](const error_code& e) { self->connected_handler(e, my); });
    }

    void connected_handler(const error_code& e, std::uint64_t my) {
        if (op != my) return;
        if (e) {
            if (timed_out)
                return fail(Result::Status::timeout,
                            fmt::format("no TCP connection to {} within the timeout", name()),
                            true);
            if (e == asio::error::connection_refused)
                return fail(Result::Status::refused,
                            fmt::format("connection to {} refused", name()), true);
            return fail(Result::Status::connection,
                        fmt::format("cannot connect to {}: {}", name(), e.message()), true);
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        connected = true;
        used = false;
        send();
    }

    void send() {
        ++op;
        ++client.stats_.requests;
        const Job& j = jobs.front();
        ++tid;
        adu = encode_adu(tid, j.unit, j.pdu);
        arm(client.opts_.timeout);
        auto self = shared_from_this();
        std::uint64_t my = op;
        asio::async_write(socket, asio::buffer(adu), [self, my](const error_code& e, std::size_t) {
            if (self->op != my) return;
            if (e) return self->io_failed(e);
            self->read_header();
        });
    }

    void read_header() {
        auto self = shared_from_this();
        std::uint64_t my = op;
        asio::async_read(
            socket, asio::buffer(header), [self, my](const error_code& e, std::size_t) {
                if (self->op != my) return;
                if (e) return self->io_failed(e);
                Mbap h;
                std::string err;
                if (!decode_mbap(self->header, h, err))
                    return self->fail(Result::Status::protocol, self->name() + ": " + err, false);
                self->body.resize(h.length - 1u);
                self->read_body(h);
            });
    }

    void read_body(Mbap h) {
        auto self = shared_from_this();
        std::uint64_t my = op;
        asio::async_read(
            socket, asio::buffer(body), [self, my, h](const error_code& e, std::size_t) {
                if (self->op != my) return;
                if (e) return self->io_failed(e);
                self->used = true;
                const Job& j = self->jobs.front();
                if (h.tid != self->tid || h.unit != j.unit) {
                    // An answer to another request (a late one, or a gateway out of step):
                    // dropped; the wait for ours goes on until the timeout.
                    ++self->client.stats_.mismatched;
                    return self->read_header();
                }
                Result r;
                std::string err;
                if (!decode_pdu(self->body, r.response, err))
                    return self->fail(Result::Status::protocol, self->name() + ": " + err, false);
                if (r.response.function != j.pdu.front())
                    return self->fail(Result::Status::protocol,
                                      fmt::format("{}: answer with function {} to function {}",
                                                  self->name(), r.response.function, j.pdu.front()),
                                      false);
                if (r.response.exception) {
                    r.status = Result::Status::exception;
                    r.error = exception_name(r.response.exception_code);
                }
                self->complete(std::move(r));
            });
    }

    void io_failed(const error_code& e) {
        if (timed_out) {
            ++client.stats_.timeouts;
            return fail(Result::Status::timeout,
                        fmt::format("no answer from {} within the timeout", name()), false);
        }
        // An idle connection the gateway closed: reconnect and send again, once.
        if (used && !retried &&
            (e == asio::error::eof || e == asio::error::connection_reset ||
             e == asio::error::broken_pipe)) {
            retried = true;
            ++client.stats_.reconnects;
            close();
            return connect();
        }
        fail(Result::Status::connection, fmt::format("{}: {}", name(), e.message()), false);
    }

    void close() {
        ++op;
        connected = false;
        error_code ignored;
        timer.cancel();
        socket.close(ignored);
    }

    // The job fails; the connection is closed (resynchronised at the next request). A
    // connect failure fails every queued job of this gateway: they would fail the same way.
    void fail(Result::Status s, std::string msg, bool whole_gateway) {
        close();
        if (whole_gateway) ++client.stats_.reconnects;
        Result r;
        r.status = s;
        r.error = std::move(msg);
        if (!whole_gateway) return complete(std::move(r), false);
        std::deque<Job> all;
        all.swap(jobs);
        in_flight = false;
        for (auto& j : all)
            j.done(r);
        next();
    }

    void complete(Result r, bool keep = true) {
        if (keep) {
            ++op;
            timer.cancel();
        }
        Job j = std::move(jobs.front());
        jobs.pop_front();
        in_flight = false;
        j.done(r);
        next();
    }
};

Client::Client(asio::io_context& io, ClientOptions o) : io_(io), opts_(o) {
    if (opts_.concurrency == 0) opts_.concurrency = 1;
}

Client::~Client() {
    shutdown();
}

void Client::submit(const std::string& host, std::uint16_t port, std::uint8_t unit,
                    std::vector<std::uint8_t> pdu, Callback done,
                    std::shared_ptr<const bool> cancelled) {
    if (shut_) {
        Result r;
        r.status = Result::Status::cancelled;
        r.error = "cancelled";
        done(r);
        return;
    }
    std::string key = fmt::format("{}:{}", host, port);
    auto& g = gateways_[key];
    if (!g) g = std::make_shared<Gateway>(*this, host, port);
    g->jobs.push_back({unit, std::move(pdu), std::move(done), std::move(cancelled)});
    if (!g->active)
        want_slot(g);
    else
        g->next();
}

void Client::want_slot(const std::shared_ptr<Gateway>& g) {
    if (std::find(waiting_.begin(), waiting_.end(), g) != waiting_.end()) return;
    if (active_ < opts_.concurrency) {
        g->active = true;
        ++active_;
        g->next();
    } else {
        waiting_.push_back(g);
    }
}

void Client::release_slot(Gateway& g) {
    if (!g.active) return;
    g.active = false;
    --active_;
    // Sockets stay open between rounds unless other gateways wait for a slot.
    if (!waiting_.empty()) g.close();
    while (!waiting_.empty() && active_ < opts_.concurrency) {
        auto w = waiting_.front();
        waiting_.pop_front();
        w->active = true;
        ++active_;
        w->next();
    }
}

void Client::shutdown() {
    shut_ = true;
    for (auto& [k, g] : gateways_) {
        g->close();
        std::deque<Job> all;
        all.swap(g->jobs);
        g->in_flight = false;
        Result r;
        r.status = Result::Status::cancelled;
        r.error = "cancelled";
        for (auto& j : all)
            j.done(r);
    }
    gateways_.clear();
    waiting_.clear();
    active_ = 0;
}

}  // namespace dce::modbus
