#pragma once
// The API's HTTP server: Boost.Beast on one Boost.Asio thread for the network, handlers on
// a bounded pool of worker threads (each with its own router and database connection, so
// a slow query or an scrypt does not stall the network thread or other clients), HTTPS (TLS 1.2 or
// later, a modern cipher list, certificate and key from files) or, only with --insecure-http and
// only on a loopback address, plain HTTP. Bounded: request header and body sizes, a
// deadline for the header and one for the body (a slow client is cut off), a maximum
// number of connections. Every request is logged with method, path (never the query
// string, never a header), client id, status and duration.

#include "api/router.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dce::api {

/// What one worker thread answers with: its own router (whose handlers use the worker's
/// own database connection) and its own token checker. Never shared between workers.
struct Backend {
    const Router* router = nullptr;
    Authenticator* auth = nullptr;
};

struct ServerOptions {
    std::string listen = "127.0.0.1:8470";  ///< HOST:PORT, [V6]:PORT; port 0 picks one
    std::string cert, key;                  ///< PEM files (dce-cert makes them)
    bool insecure_http = false;             ///< plain HTTP; refused unless loopback
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 64 * 1024;
    std::chrono::milliseconds header_timeout{10'000};  ///< also the keep-alive idle time
    std::chrono::milliseconds body_timeout{30'000};
    std::size_t max_connections = 128;
};

/// Splits HOST:PORT or [V6]:PORT; HOST must be an IP address or "localhost".
bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port,
                  std::string& error);

class Server {
  public:
    /// One worker thread answering with `router` and `auth`.
    Server(ServerOptions options, const Router& router, Authenticator& auth);
    /// One worker thread per backend; requests go to whichever worker is free.
    Server(ServerOptions options, std::vector<Backend> workers);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    /// Checks the options (plain HTTP only on loopback), loads the certificate and key,
    /// binds and listens. False with a message.
    bool open(std::string& error);
    /// "127.0.0.1:8470" once open (the real port when 0 was asked).
    std::string local_address() const;
    /// Serves until `stop()` returns true (polled a few times a second).
    void run(const std::function<bool()>& stop);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dce::api
