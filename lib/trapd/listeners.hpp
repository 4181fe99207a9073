#pragma once
// dce-trapd's UDP sockets: the --listen addresses it binds, or the sockets systemd
// passed by socket activation (LISTEN_FDS), so it receives on port 162 without root.
// Every socket gets a large receive buffer and SO_RXQ_OVFL, so the kernel tells us how
// many datagrams it dropped for want of buffer space.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

namespace dce::trapd {

struct Listener {
    int fd = -1;
    std::string local;       ///< "127.0.0.1:162", "[::1]:162"
    bool activated = false;  ///< passed by systemd
    std::size_t rcvbuf = 0;  ///< what the kernel granted (bytes)
};

/// "0.0.0.0:162", "127.0.0.1:10162", "[::]:162", "[::1]:162", ":162" (every IPv4 and
/// IPv6 address: two sockets), "162" (the same). False with a message naming the text.
bool parse_listen(std::string_view text, std::vector<sockaddr_storage>& out, std::string& error);

/// "ADDR:PORT" / "[ADDR]:PORT" of a socket address; `port_out` gets the port.
std::string format_address(const sockaddr_storage& addr, socklen_t len,
                           std::string* host_out = nullptr, int* port_out = nullptr);

/// Sockets passed by systemd (LISTEN_PID matches, LISTEN_FDS > 0); unsets the variables
/// so children do not inherit them. Only datagram sockets are taken.
std::vector<Listener> activated_listeners(std::string& error);

/// Binds each address (IPv6 sockets are IPv6-only, so "0.0.0.0:162" and "[::]:162" can
/// both be given). Throws std::runtime_error naming the address on failure.
std::vector<Listener> bind_listeners(const std::vector<std::string>& addresses);

/// Sets SO_RCVBUF (SO_RCVBUFFORCE first, which root or CAP_NET_ADMIN may use beyond
/// net.core.rmem_max), SO_RXQ_OVFL and O_NONBLOCK. Returns the granted buffer size.
std::size_t tune_socket(int fd, std::size_t rcvbuf);

}  // namespace dce::trapd
