#pragma once
// Many TLS endpoints at once on one Boost.Asio event loop. Per endpoint: one ordinary
// handshake that records the chain and what was negotiated, then (optionally) one
// handshake per question — does it accept TLS 1.0? 1.1? 1.2? 1.3? a weak suite? a key
// exchange without forward secrecy? — each on its own connection with a client
// context built for that question alone (the lowered security level needed to offer
// old protocols never touches the ordinary handshake).

#include "tls/lint.hpp"
#include "tls/starttls.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dce::tls {

struct EndpointSpec {
    std::string label;  ///< what records name: host:port (brackets for IPv6)
    std::string host;
    std::uint16_t port = 443;
    std::string sni;  ///< empty: none (IP literals never send SNI)
    Starttls starttls = Starttls::none;
    std::size_t tag = 0;  ///< caller's index, handed back in the result
};

struct EndpointResult {
    EndpointSpec spec;
    bool ok = false;
    std::string error_code;  ///< resolve, unreachable, timeout, starttls, handshake
    std::string error_message;
    std::string address;  ///< the address connected to
    std::vector<X509Ptr> chain;
    ProtocolFacts facts;
    double elapsed_ms = 0;
};

struct ProbeOptions {
    std::size_t concurrency = 64;  ///< endpoints in flight (each opens up to 7 connections)
    std::chrono::milliseconds timeout{5000};  ///< per connection, connect to handshake end
    bool probe_protocols = true;
    /// Ask an endpoint's questions one after another, one connection at a time (for a
    /// fragile management card: dce-audit); default: side by side.
    bool one_at_a_time = false;
};

class Prober {
  public:
    Prober();
    ~Prober();
    Prober(const Prober&) = delete;
    Prober& operator=(const Prober&) = delete;

    /// Local limits worth reporting, e.g. "this OpenSSL has no SSLv3".
    const std::string& ssl3_note() const;
    const std::vector<std::string>& weak_classes_probed() const;
    const std::vector<std::string>& weak_classes_not_probed() const;

    /// Probes every endpoint; `done` runs on this thread as each one finishes, in
    /// completion order. Stops starting new endpoints once `stop()` returns true.
    void run(const std::vector<EndpointSpec>& endpoints, const ProbeOptions& options,
             const std::function<void(EndpointResult&&)>& done, const std::function<bool()>& stop);

    struct Impl;  // Asio and OpenSSL state; public so the .cpp's helpers can name it

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace dce::tls
