#pragma once
// The asynchronous Modbus TCP client (Boost.Asio), built for gateways: one TCP connection
// per gateway address (host:port), shared by every unit id behind it and serialized (one
// request in flight per connection, as gateways expect); many gateways in parallel, at
// most `concurrency` of them with work at a time.
//
// Each request has a timeout. A response whose transaction id (or unit id) is not the
// outstanding request's is discarded and the wait goes on; after a timeout or a framing
// error the connection is closed and the next request reconnects, so stale bytes from a
// late answer can never be taken for the answer to a later request (resynchronisation
// by reconnect: simple, and safe with gateways that answer out of step).
// A request whose `cancelled` flag is set when its turn comes is answered `cancelled`
// without any I/O: a caller drops the rest of a dead unit's round this way, so a unit
// that times out costs its gateway one timeout, not one per request.
//
// libmodbus is not used here: its API blocks, one device at a time (see frame.hpp).

#include "modbus/frame.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dce::modbus {

struct ClientOptions {
    std::chrono::milliseconds timeout{2000};
    std::size_t concurrency = 128;                 ///< gateways with work at a time
    std::chrono::milliseconds connect_timeout{0};  ///< 0: same as timeout
};

struct Result {
    enum class Status { ok, exception, timeout, refused, connection, protocol, cancelled };
    Status status = Status::ok;
    Response response;  ///< ok and exception
    std::string error;  ///< what went wrong, for people
    bool ok() const { return status == Status::ok; }
    /// Error record code: modbus-exception-N, timeout, connection-refused, connection,
    /// protocol, cancelled.
    std::string code() const;
};

using Callback = std::function<void(const Result&)>;

struct ClientStats {
    std::uint64_t requests = 0, timeouts = 0, mismatched = 0, reconnects = 0, connects = 0;
};

class Client {
  public:
    Client(boost::asio::io_context& io, ClientOptions o);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Queues `pdu` for `unit` at host:port; `done` runs on the io_context's thread.
    void submit(const std::string& host, std::uint16_t port, std::uint8_t unit,
                std::vector<std::uint8_t> pdu, Callback done,
                std::shared_ptr<const bool> cancelled = nullptr);
    /// Closes every connection; queued requests are answered `cancelled`.
    void shutdown();
    const ClientStats& stats() const { return stats_; }

    struct Gateway;

  private:
    friend struct Gateway;
    void want_slot(const std::shared_ptr<Gateway>& g);
    void release_slot(Gateway& g);

    boost::asio::io_context& io_;
    ClientOptions opts_;
    ClientStats stats_;
    std::map<std::string, std::shared_ptr<Gateway>> gateways_;
    std::deque<std::shared_ptr<Gateway>> waiting_;
    std::size_t active_ = 0;
    bool shut_ = false;
};

}  // namespace dce::modbus
