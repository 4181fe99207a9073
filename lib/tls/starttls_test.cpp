#include "tls/starttls.hpp"

#include <catch.hpp>

using namespace dce::tls;

TEST_CASE("SMTP: multi-line replies end at the line with a space after the code") {
    std::string why;
    CHECK(starttls_reply(Starttls::smtp, 0, "220-hello\r\n", why) == StepVerdict::more);
    CHECK(starttls_reply(Starttls::smtp, 0, "220-hello\r\n220 ready\r\n", why) == StepVerdict::ok);
    CHECK(starttls_reply(Starttls::smtp, 0, "220 rea", why) == StepVerdict::more);
    CHECK(starttls_reply(Starttls::smtp, 1, "250-x\r\n250 STARTTLS\r\n", why) == StepVerdict::ok);
    CHECK(starttls_reply(Starttls::smtp, 2, "454 TLS not available\r\n", why) == StepVerdict::fail);
    CHECK(why.find("454") != std::string::npos);
    CHECK(starttls_request(Starttls::smtp, 2) == "STARTTLS\r\n");
    CHECK(starttls_steps(Starttls::smtp) == 3);
}

TEST_CASE("IMAP skips untagged lines; POP3 and FTP") {
    std::string why;
    CHECK(starttls_reply(Starttls::imap, 0, "* OK IMAP4rev1\r\n", why) == StepVerdict::ok);
    CHECK(starttls_reply(Starttls::imap, 1, "* CAPABILITY x\r\na001 OK go\r\n", why) ==
          StepVerdict::ok);
    CHECK(starttls_reply(Starttls::imap, 1, "a001 NO\r\n", why) == StepVerdict::fail);
    CHECK(starttls_reply(Starttls::pop3, 1, "-ERR no\r\n", why) == StepVerdict::fail);
    CHECK(starttls_reply(Starttls::ftp, 1, "234 AUTH TLS ok\r\n", why) == StepVerdict::ok);
}

TEST_CASE("LDAP: ExtendedResponse resultCode decides") {
    std::string why;
    const std::string ok("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00", 14);
    CHECK(starttls_reply(Starttls::ldap, 0, ok, why) == StepVerdict::ok);
    CHECK(starttls_reply(Starttls::ldap, 0, ok.substr(0, 8), why) == StepVerdict::more);
    std::string refused = ok;
    refused[9] = 0x02;
    CHECK(starttls_reply(Starttls::ldap, 0, refused, why) == StepVerdict::fail);
    CHECK(starttls_reply(Starttls::ldap, 0, "HTTP/1.0", why) == StepVerdict::fail);
    CHECK(starttls_request(Starttls::ldap, 0).size() == 31);
}

TEST_CASE("PostgreSQL SSLRequest answer") {
    std::string why;
    CHECK(starttls_reply(Starttls::postgres, 0, "S", why) == StepVerdict::ok);
    CHECK(starttls_reply(Starttls::postgres, 0, "N", why) == StepVerdict::fail);
    CHECK(starttls_request(Starttls::postgres, 0).size() == 8);
    CHECK(parse_starttls("postgres") == Starttls::postgres);
    CHECK_FALSE(parse_starttls("xmpp"));
}

TEST_CASE("over-long replies are refused") {
    std::string why;
    std::string big(starttls_max_reply + 1, 'x');
    CHECK(starttls_reply(Starttls::smtp, 0, big, why) == StepVerdict::fail);
}
