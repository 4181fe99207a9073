// What check_remote.cpp reads off the wire, fed bytes no loopback server in
// tests/integration/audit_remote.sh sends: preambles, odd versions, multi-line FTP replies,
// Telnet subnegotiation, bytes a record cannot carry raw.
#include "audit/check_remote.hpp"

#include <catch.hpp>

using namespace dce::audit::remote;

namespace {
/// A literal's bytes, NULs included.
template <std::size_t N>
std::string bytes(const char (&s)[N]) {
    return std::string(s, N - 1);
}
}  // namespace

TEST_CASE("SSH identification: OpenSSH's, split into its parts", "[audit][ssh]") {
    auto id = parse_ssh_ident("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n");
    REQUIRE(id.found);
    CHECK(id.protoversion == "2.0");
    CHECK(id.softwareversion == "OpenSSH_9.2p1");
    CHECK(id.comments == "Debian-2+deb12u10");
    CHECK(id.line == "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10");
    CHECK(id.preamble.empty());
    CHECK(classify_ssh_protocol(id.protoversion) == SshProtocol::v2_only);
}

TEST_CASE("SSH identification: lines before it are the preamble (RFC 4253 4.2)", "[audit][ssh]") {
    auto id = parse_ssh_ident(
        "Welcome to the UPS\r\nAuthorized use only\n"
        "SSH-1.99-OldServer\r\nbinary after it \x01\x02");
    REQUIRE(id.found);
    CHECK(id.preamble == std::vector<std::string>{"Welcome to the UPS", "Authorized use only"});
    CHECK(id.protoversion == "1.99");
    CHECK(id.softwareversion == "OldServer");
    CHECK(id.comments.empty());
    CHECK(classify_ssh_protocol("1.99") == SshProtocol::v1_compatible);
    CHECK(classify_ssh_protocol("1.5") == SshProtocol::v1_only);
    CHECK(classify_ssh_protocol("3.0") == SshProtocol::unknown);
    CHECK(classify_ssh_protocol("") == SshProtocol::unknown);
}

TEST_CASE("SSH identification: not found until the line ends, nor in other text", "[audit][ssh]") {
    CHECK_FALSE(parse_ssh_ident("SSH-2.0-Open").found);
    CHECK_FALSE(parse_ssh_ident("").found);
    CHECK_FALSE(parse_ssh_ident("HTTP/1.1 400 Bad Request\r\n\r\n").found);
    // "SSH-" only counts at the start of a line.
    CHECK_FALSE(parse_ssh_ident("banner SSH-2.0-X\r\n").found);
    auto id = parse_ssh_ident("SSH-2.0\r\n");  // no softwareversion: kept, not guessed
    REQUIRE(id.found);
    CHECK(id.protoversion == "2.0");
    CHECK(id.softwareversion.empty());
}

TEST_CASE("SSH identification: raw bytes come out visible", "[audit][ssh]") {
    auto id = parse_ssh_ident(bytes("SSH-2.0-X\xff\x00 c\\d\r\n"));
    REQUIRE(id.found);
    CHECK(id.softwareversion == "X\\xff\\x00");
    CHECK(id.comments == "c\\\\d");
}

TEST_CASE("FTP replies: single line, multi-line, partial, not FTP", "[audit][ftp]") {
    auto r = parse_ftp_reply("220 (vsFTPd 3.0.3)\r\n331 next");
    CHECK(r.complete);
    CHECK(r.code == 220);
    CHECK(r.text == "220 (vsFTPd 3.0.3)");
    CHECK(r.size == 20);

    r = parse_ftp_reply("230-Welcome\r\n230-anonymous\r\n230 Login successful.\r\n");
    CHECK(r.complete);
    CHECK(r.code == 230);
    CHECK(r.text == "230-Welcome | 230-anonymous | 230 Login successful.");

    // A continuation line with another code does not end the reply (RFC 959 4.2).
    r = parse_ftp_reply("220-Hello\r\n 221 not the end\r\n220-still\r\n");
    CHECK_FALSE(r.complete);
    CHECK(r.code == 220);

    r = parse_ftp_reply("530 Login incorrect.");
    CHECK_FALSE(r.complete);

    r = parse_ftp_reply("SSH-2.0-OpenSSH_9.2p1\r\n");
    CHECK(r.complete);
    CHECK(r.code == 0);
    CHECK(r.text == "SSH-2.0-OpenSSH_9.2p1");
}

TEST_CASE("Telnet: option negotiation spelled out, text kept", "[audit][telnet]") {
    auto g = parse_telnet("\xff\xfd\x01\xff\xfb\x03login: ");
    CHECK(g.negotiation == std::vector<std::string>{"IAC DO ECHO", "IAC WILL SUPPRESS-GO-AHEAD"});
    CHECK(g.text == "login: ");

    // Subnegotiation with its parameters; an escaped 255 is data; an unknown option is
    // its number; a command without an option; a truncated sequence.
    g = parse_telnet(
        "\xff\xfa\x18\x01\xff\xf0"
        "a\xff\xff"
        "b\xff\xfe\xc8\xff\xf9\xff");
    CHECK(g.negotiation == std::vector<std::string>{"IAC SB TERMINAL-TYPE 0x01 IAC SE",
                                                    "IAC DONT 200", "IAC GA", "IAC"});
    CHECK(g.text == "a\\xffb");

    g = parse_telnet("\xff\xfa\x1f");  // subnegotiation cut off
    CHECK(g.negotiation == std::vector<std::string>{"IAC SB NAWS"});
    CHECK(parse_telnet("").negotiation.empty());
}

TEST_CASE("visible(): printable kept, the rest escaped, long input capped", "[audit]") {
    CHECK(visible("abc") == "abc");
    CHECK(visible("a\r\n\t\\") == "a\\r\\n\\t\\\\");
    CHECK(visible(bytes("\x00\x7f\x80")) == "\\x00\\x7f\\x80");
    CHECK(visible("abcdef", 3) == "abc...");
}
