#include "trapd/listeners.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace dce::trapd {
namespace {

bool parse_port(std::string_view s, in_port_t& port) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
    port = htons(static_cast<std::uint16_t>(v));
    return true;
}

sockaddr_storage any4(in_port_t port) {
    sockaddr_storage ss{};
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = port;
    a->sin_addr.s_addr = htonl(INADDR_ANY);
    return ss;
}
sockaddr_storage any6(in_port_t port) {
    sockaddr_storage ss{};
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = port;
    a->sin6_addr = in6addr_any;
    return ss;
}

}  // namespace

bool parse_listen(std::string_view text, std::vector<sockaddr_storage>& out, std::string& error) {
    auto bad = [&](std::string_view why) {
        error = "--listen " + std::string(text) + ": " + std::string(why) +
                " (give ADDR:PORT, [IPV6]:PORT or :PORT)";
        return false;
    };
    in_port_t port = 0;
    if (text.empty()) return bad("empty");
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return bad("no port after the IPv6 address");
        std::string host(text.substr(1, close - 1));
        if (!parse_port(text.substr(close + 2), port)) return bad("bad port");
        sockaddr_storage ss{};
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = port;
        if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return bad("bad IPv6 address");
        out.push_back(ss);
        return true;
    }
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        if (!parse_port(text, port)) return bad("bad port");
        out.push_back(any4(port));
        out.push_back(any6(port));
        return true;
    }
    if (text.find(':') != colon) return bad("IPv6 addresses go in brackets");
    if (!parse_port(text.substr(colon + 1), port)) return bad("bad port");
    if (colon == 0) {
        out.push_back(any4(port));
        out.push_back(any6(port));
        return true;
    }
    std::string host(text.substr(0, colon));
    sockaddr_storage ss{};
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = port;
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1)
        return bad("bad IPv4 address (names are not resolved)");
    out.push_back(ss);
    return true;
}

std::string format_address(const sockaddr_storage& addr, socklen_t, std::string* host_out,
                           int* port_out) {
    char buf[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    std::string result;
    if (addr.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        port = ntohs(a->sin_port);
        result = std::string(buf) + ":" + std::to_string(port);
    } else if (addr.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
        // An IPv4 sender seen on a dual-stack socket reads as the IPv4 address.
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof buf);
            port = ntohs(a->sin6_port);
            result = std::string(buf) + ":" + std::to_string(port);
        } else {
            inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
            port = ntohs(a->sin6_port);
            result = "[" + std::string(buf) + "]:" + std::to_string(port);
        }
    }
    if (host_out) *host_out = buf;
    if (port_out) *port_out = port;
    return result;
}

std::size_t tune_socket(int fd, std::size_t rcvbuf) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    if (rcvbuf > 0) {
        int want = rcvbuf > 0x3fffffff ? 0x3fffffff : static_cast<int>(rcvbuf);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    }
    int got = 0;
    socklen_t len = sizeof got;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
    // Linux reports twice what it accounts for (it doubles the request for overhead).
    return static_cast<std::size_t>(got) / 2;
}

std::vector<Listener> activated_listeners(std::string& error) {
    std::vector<Listener> out;
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    if (!pid || !fds) return out;
    if (std::strtol(pid, nullptr, 10) != static_cast<long>(getpid())) return out;
    long n = std::strtol(fds, nullptr, 10);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    for (int fd = 3; fd < 3 + n; ++fd) {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) {
            error = "socket activation passed fd " + std::to_string(fd) +
                    ", which is not a datagram socket (ListenDatagram= in the .socket unit)";
            continue;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        sockaddr_storage ss{};
        socklen_t sl = sizeof ss;
        getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl);
        out.push_back({fd, format_address(ss, sl), true, 0});
    }
    return out;
}

std::vector<Listener> bind_listeners(const std::vector<std::string>& addresses) {
    std::vector<Listener> out;
    for (const auto& text : addresses) {
        std::vector<sockaddr_storage> addrs;
        std::string error;
        if (!parse_listen(text, addrs, error)) throw std::runtime_error(error);
        for (const auto& ss : addrs) {
            int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0)
                throw std::runtime_error("--listen " + text + ": socket: " + std::strerror(errno));
            socklen_t len = ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
            if (ss.ss_family == AF_INET6) {
                int one = 1;
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
            }
            if (bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
                int err = errno;
                close(fd);
                std::string why = std::strerror(err);
                if (err == EACCES)
                    why +=
                        "; ports below 1024 need root, CAP_NET_BIND_SERVICE or socket "
                        "activation (dce-trapd.socket)";
                throw std::runtime_error("--listen " + format_address(ss, len) + ": " + why);
            }
            sockaddr_storage bound{};
            socklen_t bl = sizeof bound;
            getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bl);
            out.push_back({fd, format_address(bound, bl), false, 0});
        }
    }
    return out;
}

}  // namespace dce::trapd
