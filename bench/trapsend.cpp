// bench/trapsend.cpp: replays one pre-encoded UDP datagram (an SNMP trap captured from
// net-snmp's snmptrap) N times to HOST:PORT with sendmmsg, unpaced or paced.
// Standalone, for bench/trapd.sh:  g++ -O2 -std=c++20 bench/trapsend.cpp -o trapsend
//
//   trapsend --packet FILE --target HOST:PORT --count N [--rate R] [--batch B]
//   trapsend --selftest
//
// --rate 0 (the default) sends as fast as sendmmsg takes them; --rate R paces to R per
// second with a token bucket on CLOCK_MONOTONIC: the k-th datagram is not sent before
// start + k/R, and at most one batch (64) is released at once, so the rate holds from
// the first batch to the last without drift. The packet is encoded once (by whoever
// made the file) and the same bytes go out every time: the receiver under test does not
// deduplicate. ENOBUFS/EAGAIN (the sender's own queue) and ECONNREFUSED (an ICMP
// port-unreachable for an earlier datagram, reported on this connected socket) are
// retried; only datagrams the kernel accepted count as sent. HOST may be an IPv4
// address or an IPv6 one, bare or in brackets ([::1]:162). The last line on stderr is
//   trapsend: sent=N seconds=S rate=R retries=K target=HOST:PORT bytes=B
// Loopback only, by intent: the benchmark has no other target.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

constexpr int kMaxBatch = 1024;
constexpr long kMaxConsecutiveRetries = 200000;  // ~ seconds of a dead target: give up

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void sleep_until(double t) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(t);
    ts.tv_nsec = static_cast<long>((t - static_cast<double>(ts.tv_sec)) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec += 1;
        ts.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "trapsend: %s\n", msg.c_str());
    std::exit(2);
}

// "127.0.0.1:162", "[::1]:162" or "::1:162" (the last colon splits the port off).
sockaddr_storage parse_target(const std::string& s, socklen_t& len) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) die("--target wants HOST:PORT, got '" + s + "'");
    std::string host = s.substr(0, colon), port = s.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) die("bad --target '" + s + "': " + gai_strerror(rc) + " (numeric addresses only)");
    sockaddr_storage ss{};
    std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    return ss;
}

struct Result {
    unsigned long long sent = 0;
    unsigned long long retries = 0;
    double seconds = 0;
};

// Sends `count` copies of `pkt` on the connected socket `fd`.
Result blast(int fd, const std::vector<unsigned char>& pkt, unsigned long long count, double rate,
             int batch) {
    std::vector<iovec> iov(static_cast<size_t>(batch));
    std::vector<mmsghdr> msgs(static_cast<size_t>(batch));
    for (int i = 0; i < batch; ++i) {
        iov[i].iov_base = const_cast<unsigned char*>(pkt.data());
        iov[i].iov_len = pkt.size();
        msgs[i] = mmsghdr{};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    Result r;
    long consecutive = 0;
    const double start = now_s();
    while (r.sent < count) {
        unsigned long long want = count - r.sent;
        if (want > static_cast<unsigned long long>(batch))
            want = static_cast<unsigned long long>(batch);
        if (rate > 0) {
            // Token bucket: by time t, floor((t - start) * rate) datagrams may have gone.
            // Wait until a whole batch (or the remainder) is allowed, then send it.
            double due = start + static_cast<double>(r.sent + want) / rate;
            if (now_s() < due) sleep_until(due);
        }
        int n = sendmmsg(fd, msgs.data(), static_cast<unsigned>(want), 0);
        if (n < 0) {
            if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK ||
                errno == ECONNREFUSED || errno == EINTR) {
                ++r.retries;
                if (++consecutive > kMaxConsecutiveRetries)
                    die("the target keeps refusing: " + std::string(std::strerror(errno)));
                if (errno != EINTR) {
                    timespec ts{0, 20000};  // 20 us: let the queue drain
                    nanosleep(&ts, nullptr);
                }
                continue;
            }
            die(std::string("sendmmsg: ") + std::strerror(errno));
        }
        consecutive = 0;
        r.sent += static_cast<unsigned long long>(n);
    }
    r.seconds = now_s() - start;
    return r;
}

int open_connected(const sockaddr_storage& to, socklen_t len) {
    int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), len) != 0)
        die(std::string("connect: ") + std::strerror(errno));
    return fd;
}

void report(const Result& r, const std::string& target, size_t bytes) {
    double rate = r.seconds > 0 ? static_cast<double>(r.sent) / r.seconds : 0;
    std::fprintf(stderr,
                 "trapsend: sent=%llu seconds=%.4f rate=%.0f retries=%llu target=%s bytes=%zu\n",
                 r.sent, r.seconds, rate, r.retries, target.c_str(), bytes);
}

// --selftest: a receiver on 127.0.0.1 and one on ::1 (ephemeral ports, big buffers), a
// small unpaced burst to each that must arrive whole, and a paced run whose duration
// must not run ahead of its rate. Exit 0 when all hold. Takes about half a second.
int selftest() {
    int failures = 0;
    auto check = [&](bool ok, const char* what) {
        std::fprintf(stderr, "trapsend selftest: %s: %s\n", ok ? "ok" : "FAIL", what);
        if (!ok) ++failures;
    };
    const std::vector<unsigned char> pkt(120, 0x42);
    for (int family : {AF_INET, AF_INET6}) {
        int rx = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (rx < 0) {
            check(family == AF_INET6, "receiver socket (IPv6 may be off)");
            continue;
        }
        int big = 4 << 20;
        setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        sockaddr_storage ss{};
        socklen_t len = 0;
        if (family == AF_INET) {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_addr = in6addr_loopback;
            len = sizeof *a;
        }
        if (bind(rx, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
            check(family == AF_INET6, "bind (IPv6 may be off)");
            close(rx);
            continue;
        }
        getsockname(rx, reinterpret_cast<sockaddr*>(&ss), &len);
        timeval tv{0, 200000};
        setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        int tx = open_connected(ss, len);
        const unsigned long long n = 1000;  // 120 KB of payload: fits the receive buffer whole
        Result r = blast(tx, pkt, n, 0, 64);
        unsigned long long got = 0;
        unsigned char buf[2048];
        for (;;) {
            ssize_t k = recv(rx, buf, sizeof buf, 0);
            if (k < 0) break;
            if (k == static_cast<ssize_t>(pkt.size()) && buf[0] == 0x42) ++got;
        }
        check(r.sent == n, family == AF_INET ? "IPv4 burst: all 1000 accepted"
                                             : "IPv6 burst: all 1000 accepted");
        check(got == n, family == AF_INET ? "IPv4 burst: all 1000 received"
                                          : "IPv6 burst: all 1000 received");
        if (family == AF_INET) {
            // 2,000 at 10,000/s: the last batch is not due before 0.2 s, so the run can be
            // no shorter (a loaded machine may make it longer: not checked, not a timing test).
            Result p = blast(tx, pkt, 2000, 10000, 64);
            std::fprintf(stderr, "trapsend selftest: paced 2000 at 10000/s took %.3f s\n",
                         p.seconds);
            check(p.sent == 2000 && p.seconds >= 0.199,
                  "paced 2000 at 10000/s: not faster than asked");
            while (recv(rx, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
            }
        }
        close(tx);
        close(rx);
    }
    std::fprintf(stderr, "trapsend selftest: %s\n", failures == 0 ? "passed" : "FAILED");
    return failures == 0 ? 0 : 1;
}

void usage() {
    std::fprintf(stderr,
                 "usage: trapsend --packet FILE --target HOST:PORT --count N [--rate PER_SECOND] "
                 "[--batch B]\n"
                 "       trapsend --selftest\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string packet_file, target;
    unsigned long long count = 0;
    double rate = 0;
    int batch = 64;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--selftest") return selftest();
        if (a == "--packet")
            packet_file = val();
        else if (a == "--target")
            target = val();
        else if (a == "--count")
            count = std::strtoull(val().c_str(), nullptr, 10);
        else if (a == "--rate")
            rate = std::strtod(val().c_str(), nullptr);
        else if (a == "--batch")
            batch = std::atoi(val().c_str());
        else
            usage();
    }
    if (packet_file.empty() || target.empty() || count == 0 || rate < 0 || batch < 1 ||
        batch > kMaxBatch)
        usage();
    std::ifstream in(packet_file, std::ios::binary);
    if (!in) die("cannot read " + packet_file);
    std::vector<unsigned char> pkt((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
    if (pkt.empty() || pkt.size() > 65507)
        die(packet_file + ": not one datagram (" + std::to_string(pkt.size()) + " bytes)");
    socklen_t len = 0;
    sockaddr_storage to = parse_target(target, len);
    int fd = open_connected(to, len);
    Result r = blast(fd, pkt, count, rate, batch);
    close(fd);
    report(r, target, pkt.size());
    return 0;
}
