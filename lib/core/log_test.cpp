#include "core/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <catch.hpp>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {
// The fields of one native-protocol datagram, both forms (FIELD=value and binary).
std::map<std::string, std::string> parse(const std::string& d) {
    std::map<std::string, std::string> f;
    std::size_t pos = 0;
    while (pos < d.size()) {
        auto nl = d.find('\n', pos);
        std::string line = d.substr(pos, nl - pos);
        auto eq = line.find('=');
        if (eq != std::string::npos) {
            f[line.substr(0, eq)] = line.substr(eq + 1);
            pos = nl + 1;
        } else {
            std::uint64_t n = 0;
            for (int i = 0; i < 8; ++i)
                n |= std::uint64_t(static_cast<unsigned char>(d[nl + 1 + i])) << (8 * i);
            f[line] = d.substr(nl + 9, n);
            pos = nl + 9 + n + 1;
        }
    }
    return f;
}
}  // namespace

TEST_CASE("the journal log format sends fields to the journal socket") {
    char dir[] = "/tmp/dce-journal-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/socket";
    int s = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::setenv("DCE_JOURNAL_SOCKET", path.c_str(), 1);
    std::string e;
    REQUIRE(dce::log::setup("dce-test", "info", "journal", e));
    {
        dce::log::Scope scope("snmp://127.0.0.1:161", "snmp.v1-enabled");
        spdlog::warn("two\nlines");
    }
    spdlog::error("no device");
    spdlog::debug("below the level");
    char buf[4096];
    ssize_t n = ::recv(s, buf, sizeof buf, 0);
    REQUIRE(n > 0);
    auto f = parse(std::string(buf, n));
    CHECK(f["MESSAGE"] == "two\nlines");
    CHECK(f["PRIORITY"] == "4");
    CHECK(f["SYSLOG_IDENTIFIER"] == "dce-test");
    CHECK(f["DCE_DEVICE"] == "snmp://127.0.0.1:161");
    CHECK(f["DCE_CHECK"] == "snmp.v1-enabled");
    n = ::recv(s, buf, sizeof buf, 0);
    REQUIRE(n > 0);
    f = parse(std::string(buf, n));
    CHECK(f["MESSAGE"] == "no device");
    CHECK(f["PRIORITY"] == "3");
    CHECK(f.count("DCE_DEVICE") == 0);
    CHECK(::recv(s, buf, sizeof buf, MSG_DONTWAIT) < 0);  // nothing below --log-level
    ::close(s);
    ::unlink(path.c_str());
    ::rmdir(dir);

    // No socket: stderr as text, after one line that says so.
    REQUIRE(dce::log::setup("dce-test", "info", "journal", e));
    ::unsetenv("DCE_JOURNAL_SOCKET");
    REQUIRE(dce::log::setup("dce-test", "info", "text", e));
}

TEST_CASE("JOURNAL_STREAM counts only when it names stderr") {
    ::setenv("JOURNAL_STREAM", "1:2", 1);
    CHECK_FALSE(dce::log::stderr_is_journal());
    ::unsetenv("JOURNAL_STREAM");
    CHECK_FALSE(dce::log::stderr_is_journal());
}
