#include "audit/http.hpp"

#include <catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace dce::audit;

TEST_CASE("parse_url takes http and https URLs apart", "[audit][http]") {
    Url u;
    std::string why;
    REQUIRE(parse_url("https://10.0.0.5/logon.htm?x=1#frag", u, why));
    CHECK(u.scheme == "https");
    CHECK(u.host == "10.0.0.5");
    CHECK(u.port == 443);
    CHECK(u.path == "/logon.htm?x=1");
    REQUIRE(parse_url("HTTP://[::1]:8080", u, why));
    CHECK(u.scheme == "http");
    CHECK(u.host == "::1");
    CHECK(u.port == 8080);
    CHECK(u.path == "/");
    REQUIRE(parse_url("http://user@host:81/a", u, why));
    CHECK(u.host == "host");
    CHECK(u.port == 81);
    CHECK_FALSE(parse_url("/relative", u, why));
    CHECK_FALSE(parse_url("ftp://host/", u, why));
    CHECK_FALSE(parse_url("http://host:99999/", u, why));
    CHECK_FALSE(parse_url("http://:80/", u, why));
}

TEST_CASE("Host header, form escaping and base64", "[audit][http]") {
    CHECK(host_header("::1", 443, true) == "[::1]");
    CHECK(host_header("127.0.0.1", 8443, true) == "127.0.0.1:8443");
    CHECK(host_header("card", 80, false) == "card");
    CHECK(form_escape("a b&c=d/é") == "a+b%26c%3Dd%2F%C3%A9");
    CHECK(base64("apc:apc") == "YXBjOmFwYw==");
    CHECK(base64("") == "");
}

namespace {
/// A one-shot server on 127.0.0.1 that reads a request and answers `reply`.
struct OneShot {
    int fd = -1, port = 0;
    std::thread t;
    explicit OneShot(std::string reply) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        listen(fd, 1);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        t = std::thread([this, reply] {
            int c = accept(fd, nullptr, nullptr);
            char buf[4096];
            (void)!recv(c, buf, sizeof buf, 0);
            (void)!send(c, reply.data(), reply.size(), 0);
            close(c);
        });
    }
    ~OneShot() {
        t.join();
        close(fd);
    }
};
}  // namespace

TEST_CASE("http_request reads status, headers and a chunked body", "[audit][http]") {
    OneShot s(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://x/\r\n"
        "Strict-Transport-Security: max-age=1\r\nstrict-transport-security: max-age=2\r\n"
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    HttpResponse r = http_request({"GET", "127.0.0.1", s.port, false, "/", {}, {}},
                                  std::chrono::milliseconds(3000));
    REQUIRE(r.ok);
    CHECK(r.status == 301);
    CHECK(r.reason == "Moved Permanently");
    CHECK(r.header("location") == "https://x/");
    CHECK(r.header("Strict-Transport-Security") == "max-age=1");
    CHECK(r.count("STRICT-TRANSPORT-SECURITY") == 2);
    CHECK(r.body == "hello world");
}

TEST_CASE("http_request says what a non-HTTP answer is", "[audit][http]") {
    OneShot s("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    HttpResponse r = http_request({"GET", "127.0.0.1", s.port, false, "/", {}, {}},
                                  std::chrono::milliseconds(3000));
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("not an HTTP response") != std::string::npos);
}
