// The network probes every check family shares: TCP and UDP port states told apart the
// way an operator needs them (open, closed by RST or ICMP, filtered = silence), a
// line-protocol connection with timeouts, and version comparison.
#include "audit/audit.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

namespace dce::audit {

std::string_view to_string(PortState s) {
    switch (s) {
        case PortState::open:
            return "open";
        case PortState::closed:
            return "closed";
        case PortState::filtered:
            return "filtered";
        case PortState::no_answer:
            return "no answer";
        case PortState::unreachable:
            return "unreachable";
        case PortState::error:
            return "error";
    }
    return "error";
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// Resolves `address` (numeric first; names through getaddrinfo) for `type`.
bool resolve(const std::string& address, int port, int type, sockaddr_storage& ss, socklen_t& len,
             std::string& error) {
    std::string host = address;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = type;
    hints.ai_family = AF_UNSPEC;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0 || !res) {
        error = "cannot resolve " + host + ": " + gai_strerror(rc);
        return false;
    }
    std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

/// Waits for `events` on fd until the deadline; the poll() revents, 0 on timeout.
short wait_fd(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return 0;
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        return p.revents;
    }
}

PortState from_errno(int err, std::string& detail) {
    detail = std::strerror(err);
    switch (err) {
        case ECONNREFUSED:
            detail = "connection refused";
            return PortState::closed;
        case EHOSTUNREACH:
        case ENETUNREACH:
        case EACCES:
        case EPERM:
            return PortState::unreachable;
        case ETIMEDOUT:
            return PortState::filtered;
        default:
            return PortState::error;
    }
}

std::mutex g_rate_mu;
double g_rate = 0;
Clock::time_point g_next_slot{};

}  // namespace

void set_rate(double per_second) {
    std::lock_guard lock(g_rate_mu);
    g_rate = per_second;
    g_next_slot = Clock::now();
}

void pace(std::size_t n) {
    Clock::time_point slot;
    {
        // Each caller takes the next n slots of the schedule, then sleeps until its own.
        std::lock_guard lock(g_rate_mu);
        if (g_rate <= 0) return;
        const auto now = Clock::now();
        if (g_next_slot < now) g_next_slot = now;
        slot = g_next_slot;
        g_next_slot += std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(static_cast<double>(n) / g_rate));
    }
    std::this_thread::sleep_until(slot);
}

namespace {

constexpr int connect_timed_out = -1;  ///< tcp_connect: no answer before the deadline
constexpr int connect_unusable = -2;   ///< tcp_connect: no address or no socket (error set)

/// One non-blocking TCP connect, bounded by `deadline`: 0 when connected (fd set, the
/// caller closes it), else the connect's errno, connect_timed_out or connect_unusable.
/// The one connect probe_tcp and Connection::open share.
int tcp_connect(const std::string& address, int port, Clock::time_point deadline, int& fd,
                std::string& error) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    fd = -1;
    if (!resolve(address, port, SOCK_STREAM, ss, len, error)) return connect_unusable;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::strerror(errno);
        return connect_unusable;
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return 0;
    if (errno != EINPROGRESS) return errno;
    if (wait_fd(fd, POLLOUT, deadline) == 0) return connect_timed_out;
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    return err;
}

}  // namespace

PortProbe probe_tcp(const std::string& address, int port, std::chrono::milliseconds timeout) {
    pace();
    PortProbe r;
    auto t0 = Clock::now();
    int fd = -1;
    const int rc = tcp_connect(address, port, t0 + timeout, fd, r.detail);
    if (rc == 0) {
        r.state = PortState::open;
        r.detail = "connected";
        // Close with RST: no TIME_WAIT on the audited host's side for a probe.
        linger lg{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    } else if (rc == connect_timed_out) {
        r.state = PortState::filtered;
        r.detail = "no answer in " + std::to_string(timeout.count()) + " ms (dropped)";
    } else if (rc != connect_unusable) {
        r.state = from_errno(rc, r.detail);
        if (rc == ECONNREFUSED) r.detail = "connection refused (RST)";
    }
    if (fd >= 0) close(fd);
    r.ms = ms_since(t0);
    return r;
}

PortProbe probe_udp(const std::string& address, int port, std::string_view payload,
                    std::chrono::milliseconds timeout, std::string* answer) {
    pace();
    PortProbe r;
    auto t0 = Clock::now();
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (!resolve(address, port, SOCK_DGRAM, ss, len, r.detail)) return r;
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r.detail = std::strerror(errno);
        return r;
    }
    // Connected, so an ICMP port unreachable comes back as ECONNREFUSED.
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        send(fd, payload.data(), payload.size(), 0) < 0) {
        r.state = from_errno(errno, r.detail);
        close(fd);
        r.ms = ms_since(t0);
        return r;
    }
    const auto deadline = t0 + timeout;
    for (;;) {
        short ev = wait_fd(fd, POLLIN, deadline);
        if (ev == 0) {
            r.state = PortState::no_answer;
            r.detail = "no answer in " + std::to_string(timeout.count()) +
                       " ms (open or filtered: UDP cannot tell)";
            break;
        }
        char buf[65536];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n >= 0) {
            r.state = PortState::open;
            r.detail = "answered (" + std::to_string(n) + " bytes)";
            if (answer) answer->assign(buf, static_cast<std::size_t>(n));
            break;
        }
        if (errno == EAGAIN || errno == EINTR) continue;
        r.state = from_errno(errno, r.detail);
        if (r.state == PortState::closed) r.detail = "ICMP port unreachable";
        break;
    }
    close(fd);
    r.ms = ms_since(t0);
    return r;
}

Connection::~Connection() {
    if (fd_ >= 0) close(fd_);
}

bool Connection::open(const std::string& address, int port, std::chrono::milliseconds timeout,
                      std::string& error, PortState* state) {
    pace();
    timeout_ = timeout;
    const int rc = tcp_connect(address, port, Clock::now() + timeout, fd_, error);
    PortState st = rc == 0 ? PortState::open : PortState::error;
    if (rc == connect_timed_out) {
        error = "no answer in " + std::to_string(timeout.count()) + " ms";
        st = PortState::filtered;
    } else if (rc > 0) {
        st = from_errno(rc, error);
        error = std::strerror(rc);
    }
    if (state) *state = st;
    return rc == 0;
}

bool Connection::send(std::string_view data) {
    auto deadline = Clock::now() + timeout_;
    while (!data.empty()) {
        ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd_, POLLOUT, deadline) == 0) return false;
            continue;
        }
        return false;
    }
    return true;
}

std::string Connection::read_until(std::string_view delim, std::size_t max) {
    std::string out;
    auto deadline = Clock::now() + timeout_;
    while (out.size() < max) {
        if (!delim.empty() && out.find(delim) != std::string::npos) break;
        if (wait_fd(fd_, POLLIN, deadline) == 0) break;
        char buf[4096];
        ssize_t n = recv(fd_, buf, std::min(sizeof buf, max - out.size()), 0);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        break;  // EOF or error
    }
    return out;
}

std::string Connection::read_all(std::size_t max) {
    return read_until({}, max);
}

std::string_view version_token(std::string_view s) {
    auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    auto separator = [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == ',' || c == ';' ||
               c == '(' || c == ')';
    };
    std::string_view first;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && separator(s[i]))
            ++i;
        std::size_t start = i;
        while (i < s.size() && !separator(s[i]))
            ++i;
        std::string_view word = s.substr(start, i - start);
        if ((word.size() > 1 && (word[0] == 'v' || word[0] == 'V') && digit(word[1])))
            word.remove_prefix(1);
        if (word.empty() || !digit(word[0])) continue;
        // Trailing punctuation ("6.8.2.", "09.3:") is not part of the version; a word
        // with other characters inside ("18=x", "10:30") is not a version.
        while (!word.empty() && !std::isalnum(static_cast<unsigned char>(word.back())))
            word.remove_suffix(1);
        bool clean = true;
        for (char c : word)
            clean = clean && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                              c == '_');
        if (!clean) continue;
        if (word.find('.') != std::string_view::npos) return word;
        if (first.empty()) first = word;
    }
    return first;
}

int compare_versions(std::string_view a, std::string_view b) {
    auto skip_prefix = [](std::string_view s) {
        if (auto t = version_token(s); !t.empty()) return t;
        std::size_t i = 0;
        while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        return s.substr(i);
    };
    a = skip_prefix(a);
    b = skip_prefix(b);
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        // Compare the next run: numbers numerically, letters by character.
        auto run = [](std::string_view s, std::size_t& k) {
            std::string_view r;
            if (k >= s.size()) return r;
            std::size_t start = k;
            bool digit = std::isdigit(static_cast<unsigned char>(s[k]));
            while (k < s.size() && std::isalnum(static_cast<unsigned char>(s[k])) &&
                   static_cast<bool>(std::isdigit(static_cast<unsigned char>(s[k]))) == digit)
                ++k;
            r = s.substr(start, k - start);
            while (k < s.size() && !std::isalnum(static_cast<unsigned char>(s[k])))
                ++k;
            return r;
        };
        std::string_view x = run(a, i), y = run(b, j);
        if (x.empty() && y.empty()) break;
        if (x.empty()) return -1;
        if (y.empty()) return 1;
        bool xd = std::isdigit(static_cast<unsigned char>(x[0]));
        bool yd = std::isdigit(static_cast<unsigned char>(y[0]));
        if (xd && yd) {
            while (x.size() > 1 && x[0] == '0')
                x.remove_prefix(1);
            while (y.size() > 1 && y[0] == '0')
                y.remove_prefix(1);
            if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
            if (int c = x.compare(y); c != 0) return c < 0 ? -1 : 1;
        } else if (xd != yd) {
            return xd ? -1 : 1;  // "6.8.2" < "6.8.2a": letters after digits
        } else if (int c = x.compare(y); c != 0) {
            return c < 0 ? -1 : 1;
        }
    }
    return 0;
}

}  // namespace dce::audit
