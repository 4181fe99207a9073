// The server's worker pool, over real loopback sockets (plain HTTP): a request that is
// still being handled does not hold up another client's.
#include "api/server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

using namespace dce::api;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct NoAuth : Authenticator {
    bool authenticate(std::string_view, Principal&) override { return false; }
};

// GET PATH on HOST:PORT; the status and body.
std::pair<int, std::string> get(const std::string& address, const std::string& path) {
    auto colon = address.rfind(':');
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(
        net::ip::tcp::endpoint(net::ip::make_address(address.substr(0, colon)),
                               static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))));
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, "localhost");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace

TEST_CASE("server: a slow handler does not stall other clients") {
    std::mutex m;
    std::condition_variable cv;
    bool fast_done = false, slow_started = false;
    auto slow = [&](const Request&, const Principal&) {
        std::unique_lock lock(m);
        slow_started = true;
        cv.notify_all();
        // Waits for the fast request; with one thread for everything it never comes and
        // this gives up (generously late) with another answer.
        bool released = cv.wait_for(lock, std::chrono::seconds(20), [&] { return fast_done; });
        Response r;
        r.body = released ? "released" : "gave up";
        return r;
    };
    auto fast = [&](const Request&, const Principal&) {
        Response r;
        r.body = "fast";
        return r;
    };
    // Two workers, each with its own router, as dce-store serve builds them.
    Router a, b;
    for (Router* r : {&a, &b}) {
        r->add({"GET", "/slow", "", slow, ""});
        r->add({"GET", "/fast", "", fast, ""});
    }
    NoAuth auth_a, auth_b;
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.insecure_http = true;
    Server server(o, {Backend{&a, &auth_a}, Backend{&b, &auth_b}});
    std::string error;
    REQUIRE(server.open(error));
    std::string address = server.local_address();
    std::atomic<bool> stop{false};
    std::thread runner([&] { server.run([&] { return stop.load(); }); });

    auto slow_answer = std::async(std::launch::async, [&] { return get(address, "/slow"); });
    {
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return slow_started; }));
    }
    auto fast_answer = get(address, "/fast");
    {
        std::lock_guard lock(m);
        fast_done = true;
    }
    cv.notify_all();
    CHECK(fast_answer == std::pair<int, std::string>{200, "fast"});
    CHECK(slow_answer.get() == std::pair<int, std::string>{200, "released"});
    stop = true;
    runner.join();
}
