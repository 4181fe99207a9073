#include "tls/starttls.hpp"

namespace dce::tls {
namespace {

// The last complete line of `s` (without CRLF), or nullopt when no line is complete.
std::optional<std::string_view> last_complete_line(std::string_view s) {
    auto end = s.rfind('\n');
    if (end == std::string_view::npos) return std::nullopt;
    auto body = s.substr(0, end);
    if (!body.empty() && body.back() == '\r') body.remove_suffix(1);
    auto start = body.rfind('\n');
    return start == std::string_view::npos ? body : body.substr(start + 1);
}

// SMTP and FTP replies: "250-more" lines continue, "250 text" (or "250") ends the reply.
StepVerdict numeric_reply(std::string_view received, std::string_view want, std::string& why) {
    auto line = last_complete_line(received);
    if (!line) return StepVerdict::more;
    if (line->size() >= 4 && (*line)[3] == '-') return StepVerdict::more;
    if (line->size() < 3) {
        why = "malformed reply";
        return StepVerdict::fail;
    }
    if (line->substr(0, 3) == want) return StepVerdict::ok;
    why = "server replied \"" + std::string(line->substr(0, 60)) + "\"";
    return StepVerdict::fail;
}

// One-line replies (IMAP tagged, POP3): the first complete line that starts with
// `tag` decides; IMAP untagged "* ..." lines before it are skipped.
StepVerdict line_reply(std::string_view received, std::string_view ok_prefix, std::string_view tag,
                       std::string& why) {
    std::size_t pos = 0;
    while (true) {
        auto nl = received.find('\n', pos);
        if (nl == std::string_view::npos) return StepVerdict::more;
        auto line = received.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = nl + 1;
        if (!tag.empty() && line.substr(0, tag.size()) != tag) continue;
        if (line.substr(0, ok_prefix.size()) == ok_prefix) return StepVerdict::ok;
        why = "server replied \"" + std::string(line.substr(0, 60)) + "\"";
        return StepVerdict::fail;
    }
}

// BER length at `p`; returns false when more bytes are needed, sets bad on nonsense.
bool ber_length(std::string_view s, std::size_t& p, std::size_t& len, bool& bad) {
    if (p >= s.size()) return false;
    auto b = static_cast<unsigned char>(s[p++]);
    if (b < 0x80) {
        len = b;
        return true;
    }
    std::size_t n = b & 0x7f;
    if (n == 0 || n > 4) {
        bad = true;
        return false;
    }
    if (p + n > s.size()) return false;
    len = 0;
    for (std::size_t i = 0; i < n; ++i)
        len = (len << 8) | static_cast<unsigned char>(s[p++]);
    return true;
}

// LDAP ExtendedResponse to StartTLS: SEQUENCE { messageID, [APPLICATION 24] { resultCode
// ENUMERATED, ... } }
StepVerdict ldap_reply(std::string_view s, std::string& why) {
    std::size_t p = 0, len = 0;
    bool bad = false;
    if (s.empty()) return StepVerdict::more;
    if (static_cast<unsigned char>(s[0]) != 0x30)
        return why = "not an LDAP message", StepVerdict::fail;
    p = 1;
    if (!ber_length(s, p, len, bad))
        return bad ? (why = "bad BER length", StepVerdict::fail) : StepVerdict::more;
    if (len > starttls_max_reply) return why = "LDAP reply too long", StepVerdict::fail;
    if (s.size() < p + len) return StepVerdict::more;
    std::string_view msg = s.substr(p, len);
    std::size_t q = 0;
    // messageID INTEGER
    if (msg.size() < 2 || static_cast<unsigned char>(msg[0]) != 0x02)
        return why = "no LDAP message id", StepVerdict::fail;
    q = 1;
    if (!ber_length(msg, q, len, bad) || q + len > msg.size())
        return why = "bad LDAP message id", StepVerdict::fail;
    q += len;
    if (q >= msg.size() || static_cast<unsigned char>(msg[q]) != 0x78)
        return why = "not an LDAP ExtendedResponse", StepVerdict::fail;
    ++q;
    if (!ber_length(msg, q, len, bad) || q + len > msg.size())
        return why = "bad LDAP ExtendedResponse", StepVerdict::fail;
    if (q + 3 > msg.size() || static_cast<unsigned char>(msg[q]) != 0x0a || msg[q + 1] != 1)
        return why = "no LDAP resultCode", StepVerdict::fail;
    int code = static_cast<unsigned char>(msg[q + 2]);
    if (code == 0) return StepVerdict::ok;
    why = "LDAP StartTLS refused, resultCode " + std::to_string(code);
    return StepVerdict::fail;
}

}  // namespace

std::optional<Starttls> parse_starttls(std::string_view name) {
    if (name == "none" || name.empty()) return Starttls::none;
    if (name == "smtp") return Starttls::smtp;
    if (name == "imap") return Starttls::imap;
    if (name == "pop3") return Starttls::pop3;
    if (name == "ftp") return Starttls::ftp;
    if (name == "ldap") return Starttls::ldap;
    if (name == "postgres") return Starttls::postgres;
    return std::nullopt;
}

std::string_view to_string(Starttls s) {
    switch (s) {
        case Starttls::none:
            return "none";
        case Starttls::smtp:
            return "smtp";
        case Starttls::imap:
            return "imap";
        case Starttls::pop3:
            return "pop3";
        case Starttls::ftp:
            return "ftp";
        case Starttls::ldap:
            return "ldap";
        case Starttls::postgres:
            return "postgres";
    }
    return "none";
}

std::size_t starttls_steps(Starttls proto) {
    switch (proto) {
        case Starttls::none:
            return 0;
        case Starttls::smtp:
            return 3;
        case Starttls::imap:
        case Starttls::pop3:
        case Starttls::ftp:
            return 2;
        case Starttls::ldap:
        case Starttls::postgres:
            return 1;
    }
    return 0;
}

std::string starttls_request(Starttls proto, std::size_t step) {
    switch (proto) {
        case Starttls::smtp:
            return step == 1 ? "EHLO dce-cert.invalid\r\n" : step == 2 ? "STARTTLS\r\n" : "";
        case Starttls::imap:
            return step == 1 ? "a001 STARTTLS\r\n" : "";
        case Starttls::pop3:
            return step == 1 ? "STLS\r\n" : "";
        case Starttls::ftp:
            return step == 1 ? "AUTH TLS\r\n" : "";
        case Starttls::ldap: {
            // ExtendedRequest, messageID 1, requestName 1.3.6.1.4.1.1466.20037 (RFC 4511 4.14).
            static const char oid[] = "1.3.6.1.4.1.1466.20037";
            std::string req = "\x30\x1d\x02\x01\x01\x77\x18\x80\x16";
            return req + oid;
        }
        case Starttls::postgres:
            return std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);  // SSLRequest
        case Starttls::none:
            break;
    }
    return "";
}

StepVerdict starttls_reply(Starttls proto, std::size_t step, std::string_view r, std::string& why) {
    if (r.size() > starttls_max_reply) return why = "reply too long", StepVerdict::fail;
    switch (proto) {
        case Starttls::smtp:
            return numeric_reply(r, step == 0 ? "220" : step == 1 ? "250" : "220", why);
        case Starttls::ftp:
            return numeric_reply(r, step == 0 ? "220" : "234", why);
        case Starttls::imap:
            return step == 0 ? line_reply(r, "* OK", "", why)
                             : line_reply(r, "a001 OK", "a001 ", why);
        case Starttls::pop3:
            return line_reply(r, "+OK", "", why);
        case Starttls::ldap:
            return ldap_reply(r, why);
        case Starttls::postgres:
            if (r.empty()) return StepVerdict::more;
            if (r[0] == 'S') return StepVerdict::ok;
            why = r[0] == 'N' ? "server does not offer SSL" : "not a PostgreSQL server";
            return StepVerdict::fail;
        case Starttls::none:
            break;
    }
    return StepVerdict::ok;
}

}  // namespace dce::tls
