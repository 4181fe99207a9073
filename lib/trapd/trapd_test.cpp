// dce-trapd's pieces without sockets: the queue's accounting and wrap-around, the
// --listen and size syntax, USM timeliness for traps, engine IDs, and JSON escaping.
#include "trapd/trapd.hpp"
#include "trapd/event.hpp"
#include "trapd/listeners.hpp"
#include "trapd/ring.hpp"
#include "trapd/security.hpp"

#include <catch.hpp>

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <string>
#include <vector>

using namespace dce::trapd;

namespace {
std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t fill) {
    return std::vector<std::uint8_t>(n, fill);
}
}  // namespace

TEST_CASE("the queue keeps datagrams in order, wraps, and refuses when full") {
    PacketRing ring(4096);
    PacketMeta meta;
    std::size_t pushed = 0, popped = 0;
    // Sizes that do not divide the arena, so entries wrap at every offset.
    for (int round = 0; round < 200; ++round) {
        auto d = bytes(100 + round % 37, static_cast<std::uint8_t>(round));
        meta.listener = static_cast<std::uint32_t>(round);
        REQUIRE(ring.push(meta, d));
        ++pushed;
        PacketMeta got;
        std::span<const std::uint8_t> data;
        REQUIRE(ring.front(got, data));
        CHECK(got.listener == static_cast<std::uint32_t>(round));
        CHECK(data.size() == d.size());
        CHECK(data[0] == static_cast<std::uint8_t>(round));
        ring.release();
        ++popped;
    }
    CHECK(pushed == popped);
    PacketMeta got;
    std::span<const std::uint8_t> data;
    CHECK_FALSE(ring.front(got, data));

    // Full: push says no and nothing already queued is harmed.
    std::size_t accepted = 0;
    while (ring.push(meta, bytes(200, 7)))
        ++accepted;
    CHECK(accepted > 5);
    CHECK_FALSE(ring.push(meta, bytes(200, 7)));
    std::size_t drained = 0;
    while (ring.front(got, data)) {
        CHECK(data.size() == 200);
        ring.release();
        ++drained;
    }
    CHECK(drained == accepted);
    // Bigger than the arena: refused, never written.
    CHECK_FALSE(ring.push(meta, bytes(5000, 1)));
}

TEST_CASE("listen address syntax") {
    std::vector<sockaddr_storage> out;
    std::string error;
    CHECK(parse_listen("127.0.0.1:162", out, error));
    CHECK(parse_listen("[::1]:10162", out, error));
    CHECK(out.size() == 2);
    CHECK(out[1].ss_family == AF_INET6);
    out.clear();
    CHECK(parse_listen(":162", out, error));
    CHECK(out.size() == 2);  // every IPv4 and every IPv6 address
    CHECK_FALSE(parse_listen("::1:162", out, error));
    CHECK(error.find("brackets") != std::string::npos);
    CHECK_FALSE(parse_listen("localhost:162", out, error));
    CHECK_FALSE(parse_listen("127.0.0.1:70000", out, error));
    CHECK_FALSE(parse_listen("[::1]", out, error));
}

TEST_CASE("sizes and hex") {
    std::size_t n = 0;
    CHECK(parse_size("8M", n));
    CHECK(n == 8u << 20);
    CHECK(parse_size("512K", n));
    CHECK(n == 512u << 10);
    CHECK(parse_size("4096", n));
    CHECK_FALSE(parse_size("8 MB", n));
    CHECK_FALSE(parse_size("", n));
    std::string raw;
    CHECK(from_hex("0x80001f88", raw));
    CHECK(raw == std::string("\x80\x00\x1f\x88", 4));
    CHECK(from_hex("80:00:1F:88", raw));
    CHECK(engine_hex(raw) == "80001f88");
    CHECK_FALSE(from_hex("0x8", raw));
    CHECK_FALSE(from_hex("zz", raw));
}

TEST_CASE("a trap sender's time is learnt and an old message refused (RFC 3414 3.2.7b)") {
    Security sec;
    using namespace std::chrono;
    auto t0 = steady_clock::now();
    CHECK(sec.timely_remote("E1", 5, 1000, t0));        // first message: learnt
    CHECK(sec.timely_remote("E1", 5, 1001, t0));        // newer
    CHECK(sec.timely_remote("E1", 5, 900, t0));         // within 150 s of our estimate
    CHECK_FALSE(sec.timely_remote("E1", 5, 800, t0));   // more than 150 s older: a replay
    CHECK_FALSE(sec.timely_remote("E1", 4, 5000, t0));  // an earlier boot
    CHECK(sec.timely_remote("E1", 6, 1, t0));           // a reboot moves it on
    CHECK_FALSE(sec.timely_remote("E1", 5, 2000, t0));
    // 200 s later, a message stamped as at the first one is outside the window.
    CHECK_FALSE(sec.timely_remote("E1", 6, 1, t0 + seconds(200)));
    CHECK(sec.timely_remote("E2", 1, 1, t0));  // engines are separate
}

TEST_CASE("the receiver's engine ID is kept and boots count up") {
    auto dir = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
               "/dce-trapd-test-" + std::to_string(::getpid());
    std::string warning;
    LocalEngine a = load_local_engine(dir, "", warning);
    CHECK(warning.empty());
    CHECK(a.id.size() == 17);
    CHECK(static_cast<unsigned char>(a.id[0]) == 0x80);
    LocalEngine b = load_local_engine(dir, "", warning);
    CHECK(b.id == a.id);
    CHECK(b.boots == a.boots + 1);
    LocalEngine c = load_local_engine(dir, "0x800000000501", warning);
    CHECK(engine_hex(c.id) == "800000000501");
    std::filesystem::remove_all(dir);
}

TEST_CASE("JSON written by hand is valid and escapes what it must") {
    std::string s;
    JsonOut j(s);
    j.open();
    j.key("a").str(std::string("quote\" back\\ nl\n tab\t nul", 26) + std::string(1, '\0') +
                   "\x01 é");
    j.key("n").num(-42);
    j.key("u").unum(18446744073709551615ull);
    j.key("arr").open_array();
    j.element();
    j.str("x");
    j.element();
    j.open();
    j.key("k").boolean(true);
    j.close();
    j.close_array();
    j.close();
    auto parsed = nlohmann::json::parse(s);
    CHECK(parsed["a"].get<std::string>().find("quote\" back\\") == 0);
    CHECK(parsed["n"] == -42);
    CHECK(parsed["arr"][1]["k"] == true);
}
