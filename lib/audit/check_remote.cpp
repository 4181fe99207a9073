// Remote access the handbook wants off: "SSH is disabled on the DCE appliance by default
// and should remain disabled unless needed", and the cleartext services (Telnet, FTP) that
// send passwords over the wire. Where SSH is on, it must speak protocol 2 only.
//
// Policy keys (per target or role; defaults in brackets):
//   "ssh":    {"expected": false, "port": 22}
//       expected false: ssh.off fails when the port accepts connections.
//       expected true:  ssh.off is skipped; ssh.protocol2 warns when the port is closed.
//   "telnet": {"port": 23}          telnet.off fails when the port accepts connections.
//   "ftp":    {"expected": false, "port": 21}
//       expected true: an open FTP port passes ftp.off (the banner is still recorded);
//       ftp.anonymous checks any FTP server that answers, expected or not.
//
// Checks and statuses:
//   ssh.off        closed/filtered/unreachable: pass; open: fail (the banner in evidence);
//                  skip when ssh.expected is true.
//   ssh.protocol2  reads the identification string (RFC 4253 4.2: other lines may come
//                  first), answers "SSH-2.0-dce-audit" and closes. "2.0": pass; "1.99"
//                  (protocol 1 compatibility) or "1.x": fail; another version: warn;
//                  nothing at all within the timeout: error; something that is not SSH:
//                  warn, quoting it. Port closed: skip, or warn when ssh.expected is true.
//   telnet.off     closed/filtered: pass; open: fail with what the server sent first
//                  (its option negotiation spelled out, and the bytes in hex).
//   ftp.off        closed/filtered: pass; open: fail with the 220 banner, or pass when
//                  ftp.expected is true.
//   ftp.anonymous  USER anonymous / PASS dce-audit@example.invalid: logged in (230, or
//                  another 2xx): fail; refused (4xx/5xx) or an account demanded (332):
//                  pass; FTP closed: skip. Evidence: every reply code and text.
// All the checks of one service share one port probe and at most one session.
#include "audit/check_remote.hpp"

#include "audit/families.hpp"
#include "core/jsonl.hpp"

#include <cctype>
#include <optional>

namespace dce::audit {
namespace remote {

std::string visible(std::string_view bytes, std::size_t max) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    if (bytes.size() > max) out += "...";
    return out;
}

namespace {

/// The lines of `data` that ended with LF, without CR LF, and where the rest starts.
std::vector<std::string_view> whole_lines(std::string_view data, std::size_t* rest = nullptr) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    for (std::size_t nl; (nl = data.find('\n', pos)) != std::string_view::npos; pos = nl + 1) {
        std::string_view line = data.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
    }
    if (rest) *rest = pos;
    return lines;
}

}  // namespace

SshIdent parse_ssh_ident(std::string_view data) {
    SshIdent id;
    for (std::string_view line : whole_lines(data)) {
        if (!line.starts_with("SSH-")) {
            id.preamble.push_back(visible(line));
            continue;
        }
        id.found = true;
        id.line = visible(line);
        std::string_view rest = line.substr(4);
        // protoversion ends at the first '-'; softwareversion cannot hold '-' or spaces
        // by the RFC, but servers bend it, so it simply runs to the first space.
        const auto dash = rest.find('-');
        id.protoversion = visible(rest.substr(0, dash));
        if (dash != std::string_view::npos) {
            rest = rest.substr(dash + 1);
            const auto sp = rest.find(' ');
            id.softwareversion = visible(rest.substr(0, sp));
            if (sp != std::string_view::npos) id.comments = visible(rest.substr(sp + 1));
        }
        break;
    }
    return id;
}

SshProtocol classify_ssh_protocol(std::string_view v) {
    if (v == "2.0") return SshProtocol::v2_only;
    if (v == "1.99") return SshProtocol::v1_compatible;
    if (v.starts_with("1.")) return SshProtocol::v1_only;
    return SshProtocol::unknown;
}

FtpReply parse_ftp_reply(std::string_view data) {
    FtpReply r;
    std::vector<std::string> texts;
    std::size_t pos = 0;
    auto three_digits = [](std::string_view l) {
        return l.size() >= 3 && std::isdigit(static_cast<unsigned char>(l[0])) &&
               std::isdigit(static_cast<unsigned char>(l[1])) &&
               std::isdigit(static_cast<unsigned char>(l[2]));
    };
    for (std::size_t nl; (nl = data.find('\n', pos)) != std::string_view::npos;) {
        std::string_view line = data.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = nl + 1;
        texts.push_back(visible(line));
        if (texts.size() == 1) {
            if (!three_digits(line)) {
                r.complete = true;  // not FTP: nothing more to wait for
                break;
            }
            r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
            if (line.size() == 3 || line[3] != '-') {
                r.complete = true;
                break;
            }
            continue;
        }
        // A multi-line reply ends with the same code followed by a space (RFC 959 4.2).
        if (three_digits(line) && line.substr(0, 3) == data.substr(0, 3) &&
            (line.size() == 3 || line[3] == ' ')) {
            r.complete = true;
            break;
        }
    }
    r.size = pos;
    for (std::size_t i = 0; i < texts.size(); ++i)
        r.text += (i ? " | " : "") + texts[i];
    return r;
}

TelnetGreeting parse_telnet(std::string_view d) {
    auto option = [](unsigned char o) -> std::string {
        switch (o) {
            case 0:
                return "BINARY";
            case 1:
                return "ECHO";
            case 3:
                return "SUPPRESS-GO-AHEAD";
            case 5:
                return "STATUS";
            case 6:
                return "TIMING-MARK";
            case 24:
                return "TERMINAL-TYPE";
            case 31:
                return "NAWS";
            case 32:
                return "TERMINAL-SPEED";
            case 33:
                return "TOGGLE-FLOW-CONTROL";
            case 34:
                return "LINEMODE";
            case 35:
                return "X-DISPLAY-LOCATION";
            case 36:
                return "ENVIRON";
            case 37:
                return "AUTHENTICATION";
            case 38:
                return "ENCRYPT";
            case 39:
                return "NEW-ENVIRON";
            default:
                return std::to_string(o);
        }
    };
    auto command = [](unsigned char c) -> std::string {
        static const char* const names[] = {"SE", "NOP", "DM", "BRK",  "IP",   "AO", "AYT", "EC",
                                            "EL", "GA",  "SB", "WILL", "WONT", "DO", "DONT"};
        return c >= 240 && c <= 254 ? names[c - 240] : std::to_string(c);
    };
    constexpr unsigned char IAC = 255, SB = 250, WILL = 251, DONT = 254;
    TelnetGreeting g;
    std::string text;
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(d[i]); };
    for (std::size_t i = 0; i < d.size();) {
        if (at(i) != IAC) {
            text += d[i++];
            continue;
        }
        if (i + 1 >= d.size()) {
            g.negotiation.push_back("IAC");
            break;
        }
        const unsigned char cmd = at(i + 1);
        if (cmd == IAC) {  // an escaped 255 data byte
            text += d[i + 1];
            i += 2;
        } else if (cmd >= WILL && cmd <= DONT) {
            g.negotiation.push_back("IAC " + command(cmd) +
                                    (i + 2 < d.size() ? " " + option(at(i + 2)) : ""));
            i += 3;
        } else if (cmd == SB) {
            // Subnegotiation: the option, its parameter bytes (hex), up to IAC SE.
            const std::size_t end = d.find("\xff\xf0", i + 2);
            const std::size_t stop = end == std::string_view::npos ? d.size() : end;
            std::string s = "IAC SB";
            if (i + 2 < stop) s += " " + option(at(i + 2));
            if (i + 3 < stop) s += " " + to_hex(d.substr(i + 3, stop - i - 3));
            if (end != std::string_view::npos) s += " IAC SE";
            g.negotiation.push_back(s);
            i = end == std::string_view::npos ? d.size() : end + 2;
        } else {
            g.negotiation.push_back("IAC " + command(cmd));
            i += 2;
        }
    }
    g.text = visible(text);
    return g;
}

}  // namespace remote

namespace {

using namespace remote;

const CheckInfo ssh_checks[] = {
    {"ssh.off", "SshDisabled", "SSH is off unless the policy expects it",
     "Disable SSH on the appliance (it is off by default); if it is needed, set ssh.expected "
     "in the policy for this target.",
     "DCE security handbook: SSH is disabled by default and should remain disabled unless "
     "needed; Network Protocol and Ports",
     "high"},
    {"ssh.protocol2", "SshProtocol2Only", "SSH speaks protocol 2 only",
     "Turn off SSH protocol 1 (a server announcing 1.99 still accepts it), or update the "
     "device's firmware.",
     "RFC 4253 4.2 and 5 (SSH-1.99 means protocol 1 compatibility); DCE security handbook: "
     "Validate security settings",
     "high"},
};
const CheckInfo& ssh_off = ssh_checks[0];
const CheckInfo& ssh_v2 = ssh_checks[1];

const CheckInfo cleartext_checks[] = {
    {"telnet.off", "TelnetDisabled", "Telnet does not accept connections",
     "Disable Telnet on the device and use HTTPS (or SSH where needed); Telnet sends "
     "passwords in clear.",
     "DCE security handbook: Network Protocol and Ports; Validate security settings", "high"},
    {"ftp.off", "FtpDisabled", "FTP does not accept connections unless the policy expects it",
     "Disable FTP on the device (use SFTP/SCP or HTTPS for files); if it is needed, set "
     "ftp.expected in the policy.",
     "DCE security handbook: Network Protocol and Ports; Validate security settings", "medium"},
    {"ftp.anonymous", "FtpAnonymousRefused", "FTP refuses anonymous login",
     "Disable anonymous FTP on the device (on vsftpd: anonymous_enable=NO).",
     "RFC 1635 (anonymous FTP); DCE security handbook: Validate security settings", "high"},
};
const CheckInfo& telnet_off = cleartext_checks[0];
const CheckInfo& ftp_off = cleartext_checks[1];
const CheckInfo& ftp_anon = cleartext_checks[2];

/// A service's policy object ("ssh", "telnet", "ftp"): its port and whether it is
/// expected. False with `error` when a key has the wrong type.
struct Service {
    int port = 0;
    bool expected = false;
};
bool service_policy(const Json& policy, const char* key, int default_port, Service& s,
                    std::string& error) {
    s.port = default_port;
    const auto it = policy.find(key);
    if (it == policy.end() || it->is_null()) return true;
    if (!it->is_object()) {
        error = std::string(key) + " in the policy is not an object";
        return false;
    }
    if (auto p = it->find("port"); p != it->end()) {
        if (!p->is_number_integer() || p->get<long long>() < 1 || p->get<long long>() > 65535) {
            error = std::string(key) + ".port in the policy is not a port number: " + p->dump();
            return false;
        }
        s.port = p->get<int>();
    }
    if (auto e = it->find("expected"); e != it->end()) {
        if (!e->is_boolean()) {
            error = std::string(key) + ".expected in the policy is not true or false";
            return false;
        }
        s.expected = e->get<bool>();
    }
    return true;
}

std::string state_text(const PortProbe& p) {
    return std::string(to_string(p.state)) + " (" + p.detail + ")";
}

std::string could_not_probe(const std::string& label, const PortProbe& p) {
    return label + ": could not probe: " + p.detail;
}

/// A check's status and message.
struct Verdict {
    Status status;
    std::string message;
};

/// An "is off" check the port probe settles alone: error when it could not probe, pass
/// when nothing accepts connections; nothing when the port is open (the caller judges).
std::optional<Verdict> off_by_probe(const PortProbe& p, const std::string& label) {
    if (p.state == PortState::error) return Verdict{Status::error, could_not_probe(label, p)};
    if (p.state != PortState::open)
        return Verdict{Status::pass, label + " is off: " + state_text(p)};
    return std::nullopt;
}

Json probe_evidence(int port, const PortProbe& p) {
    return {{"port", port},
            {"state", to_string(p.state)},
            {"detail", p.detail},
            {"ms", static_cast<long long>(p.ms)}};
}

/// Every wanted check of `checks` as an error: the policy says something we cannot use.
void policy_errors(const CheckContext& ctx, std::span<const CheckInfo> checks,
                   const std::string& error, std::vector<Finding>& out) {
    for (const auto& c : checks)
        if (ctx.wanted(c.id)) out.push_back(make_finding(c, ctx.target, Status::error, error));
}

// ---- SSH ------------------------------------------------------------------------------

constexpr std::size_t max_preamble = 16384;

/// What an open SSH port said: the bytes, parsed, or why we could not connect again.
struct SshSession {
    std::string raw, connect_error;
    SshIdent ident;
};

SshSession read_ssh(const CheckContext& ctx, int port) {
    SshSession s;
    Connection c;
    if (!c.open(ctx.target.address, port, ctx.timeout, s.connect_error)) return s;
    while (s.raw.size() < max_preamble) {
        std::string more = c.read_until("\n", max_preamble - s.raw.size());
        if (more.empty()) break;  // timeout or EOF
        s.raw += more;
        s.ident = parse_ssh_ident(s.raw);
        if (s.ident.found) break;
    }
    // Our own identification, so the server logs a client that went away politely
    // rather than a scanner that never spoke.
    if (s.ident.found) c.send("SSH-2.0-dce-audit\r\n");
    return s;
}

std::vector<Finding> run_ssh(const CheckContext& ctx) {
    std::vector<Finding> out;
    const bool want_off = ctx.wanted(ssh_off.id), want_v2 = ctx.wanted(ssh_v2.id);
    if (!want_off && !want_v2) return out;
    Service svc;
    std::string error;
    if (!service_policy(ctx.target.policy, "ssh", 22, svc, error)) {
        policy_errors(ctx, ssh_checks, error, out);
        return out;
    }
    const std::string label = "SSH (tcp/" + std::to_string(svc.port) + ")";
    const PortProbe p = probe_tcp(ctx.target.address, svc.port, ctx.timeout);
    SshSession s;
    if (p.state == PortState::open && (want_v2 || !svc.expected)) s = read_ssh(ctx, svc.port);
    const std::string banner = s.ident.found ? s.ident.line : visible(s.raw, 256);

    if (want_off) {
        Json ev = probe_evidence(svc.port, p);
        ev["expected"] = svc.expected;
        std::optional<Verdict> v;
        if (svc.expected) {
            v = Verdict{Status::skip,
                        "the policy expects SSH here (ssh.expected); ssh.protocol2 checks it"};
        } else if (!(v = off_by_probe(p, label))) {
            v = Verdict{Status::fail, label + " accepts connections; the policy expects SSH off"};
            if (!banner.empty()) v->message += " (" + banner + ")";
            ev["banner"] = banner;
        }
        out.push_back(make_finding(ssh_off, ctx.target, v->status, v->message, ev));
    }
    if (want_v2 && !ctx.stop()) {
        Json ev = probe_evidence(svc.port, p);
        Status st = Status::error;
        std::string msg;
        if (p.state == PortState::error) {
            st = Status::error;
            msg = could_not_probe(label, p);
        } else if (p.state != PortState::open) {
            st = svc.expected ? Status::warn : Status::skip;
            msg = svc.expected ? "expected SSH but the port is " + std::string(to_string(p.state)) +
                                     " (tcp/" + std::to_string(svc.port) + ": " + p.detail + ")"
                               : label + " is not listening: " + state_text(p);
        } else if (!s.connect_error.empty()) {
            st = Status::error;
            msg = label + " was open but a second connection failed: " + s.connect_error;
        } else if (!s.ident.found) {
            ev["received"] = visible(s.raw, 256);
            if (s.raw.empty()) {
                st = Status::error;
                msg = label + " sent no identification string within " +
                      std::to_string(ctx.timeout.count()) + " ms";
            } else {
                st = Status::warn;
                msg = label + " answered, but not with an SSH identification string: \"" +
                      visible(s.raw, 80) + "\"";
            }
        } else {
            const SshIdent& id = s.ident;
            ev["identification"] = id.line;
            ev["protoversion"] = id.protoversion;
            ev["softwareversion"] = id.softwareversion;
            ev["comments"] = id.comments;
            if (!id.preamble.empty()) ev["preamble"] = id.preamble;
            ev["sent"] = "SSH-2.0-dce-audit";
            const std::string software =
                id.softwareversion + (id.comments.empty() ? "" : " " + id.comments);
            switch (classify_ssh_protocol(id.protoversion)) {
                case SshProtocol::v2_only:
                    st = Status::pass;
                    msg = "SSH protocol 2.0 only (" + software + ")";
                    break;
                case SshProtocol::v1_compatible:
                    st = Status::fail;
                    msg = "SSH protocol 1.99 (" + software +
                          "): the server still accepts protocol 1, which is broken";
                    break;
                case SshProtocol::v1_only:
                    st = Status::fail;
                    msg = "SSH protocol " + id.protoversion + " (" + software +
                          "): protocol 1 only, which is broken";
                    break;
                case SshProtocol::unknown:
                    st = Status::warn;
                    msg = "SSH protocol version \"" + id.protoversion + "\" (" + software +
                          ") is not one RFC 4253 knows";
                    break;
            }
        }
        out.push_back(make_finding(ssh_v2, ctx.target, st, msg, ev));
    }
    return out;
}

// ---- Telnet ---------------------------------------------------------------------------

Finding check_telnet(const CheckContext& ctx, const Service& svc) {
    const std::string label = "Telnet (tcp/" + std::to_string(svc.port) + ")";
    const PortProbe p = probe_tcp(ctx.target.address, svc.port, ctx.timeout);
    Json ev = probe_evidence(svc.port, p);
    if (auto v = off_by_probe(p, label))
        return make_finding(telnet_off, ctx.target, v->status, v->message, ev);
    // Open: what it says first, up to a prompt ("login:", "Password:"), unanswered: we
    // negotiate nothing and send nothing.
    Connection c;
    std::string error, first;
    if (c.open(ctx.target.address, svc.port, ctx.timeout, error)) first = c.read_until(":", 1024);
    const TelnetGreeting g = parse_telnet(first);
    ev["hex"] = first.empty() ? "" : to_hex(first);
    ev["negotiation"] = g.negotiation;
    ev["text"] = g.text;
    std::string said;
    for (const auto& n : g.negotiation)
        said += (said.empty() ? "" : ", ") + n;
    if (!g.text.empty()) said += (said.empty() ? "\"" : ", \"") + g.text + "\"";
    std::string msg = label + " accepts connections; Telnet sends passwords in clear";
    msg += said.empty() ? " (it sent nothing within " + std::to_string(ctx.timeout.count()) + " ms)"
                        : " (first: " + said + ")";
    return make_finding(telnet_off, ctx.target, Status::fail, msg, ev);
}

// ---- FTP ------------------------------------------------------------------------------

/// One FTP session: the greeting, and with `try_anonymous` the anonymous login.
struct FtpSession {
    std::string connect_error;
    FtpReply greeting, user, pass;
    bool tried_pass = false;
};

FtpReply read_reply(Connection& c, std::string& buf) {
    for (;;) {
        FtpReply r = parse_ftp_reply(buf);
        if (r.complete) {
            buf.erase(0, r.size);
            return r;
        }
        if (buf.size() > max_preamble) return r;
        std::string more = c.read_until("\n", max_preamble);
        if (more.empty()) {
            if (r.text.empty()) r.text = visible(buf, 256);
            return r;
        }
        buf += more;
    }
}

FtpSession ftp_session(const CheckContext& ctx, int port, bool try_anonymous) {
    FtpSession s;
    Connection c;
    if (!c.open(ctx.target.address, port, ctx.timeout, s.connect_error)) return s;
    std::string buf;
    s.greeting = read_reply(c, buf);
    if (try_anonymous && s.greeting.complete && s.greeting.code == 220) {
        // RFC 1635: user "anonymous", an e-mail address as the password. Ours is in the
        // reserved .invalid domain, so it names no one.
        if (c.send("USER anonymous\r\n")) s.user = read_reply(c, buf);
        if (s.user.complete && (s.user.code == 331 || s.user.code == 332)) {
            s.tried_pass = true;
            if (c.send("PASS dce-audit@example.invalid\r\n")) s.pass = read_reply(c, buf);
        }
    }
    if (s.greeting.complete) c.send("QUIT\r\n");
    return s;
}

Json reply_json(const FtpReply& r) {
    return {{"code", r.code}, {"text", r.text}};
}

Finding check_ftp_anonymous(const CheckContext& ctx, const std::string& label, const PortProbe& p,
                            const FtpSession& s, Json ev) {
    auto finding = [&](Status st, std::string msg) {
        return make_finding(ftp_anon, ctx.target, st, std::move(msg), ev);
    };
    if (p.state == PortState::error) return finding(Status::error, could_not_probe(label, p));
    if (p.state != PortState::open)
        return finding(Status::skip, label + " is not listening: " + state_text(p));
    if (!s.connect_error.empty())
        return finding(Status::error,
                       label + " was open but a second connection failed: " + s.connect_error);
    ev["greeting"] = reply_json(s.greeting);
    Json codes = Json::array({s.greeting.code});
    if (!s.greeting.complete || s.greeting.code != 220)
        return finding(Status::error, label + " did not greet with 220, so no login was tried: \"" +
                                          s.greeting.text + "\"");
    ev["user"] = "anonymous";
    ev["user_reply"] = reply_json(s.user);
    codes.push_back(s.user.code);
    if (s.tried_pass) {
        ev["pass_reply"] = reply_json(s.pass);
        codes.push_back(s.pass.code);
    }
    ev["codes"] = codes;
    // The reply that decides: PASS when it was sent, else USER.
    const FtpReply& last = s.tried_pass ? s.pass : s.user;
    const std::string step = s.tried_pass ? "PASS" : "USER anonymous";
    if (!last.complete)
        return finding(Status::error, label + ": no complete answer to " + step + " within " +
                                          std::to_string(ctx.timeout.count()) + " ms");
    const int c = last.code;
    const std::string said = "\"" + last.text + "\"";
    if (c >= 200 && c < 300)
        return finding(Status::fail, "anonymous FTP accepted: " + step + " answered " + said);
    if (c >= 400 && c < 600)
        return finding(Status::pass, "anonymous FTP refused: " + step + " answered " + said);
    if (s.tried_pass && c == 332)
        return finding(Status::pass,
                       "anonymous FTP not logged in: the server wants an account "
                       "(" +
                           said + ")");
    return finding(Status::warn, "anonymous FTP: unexpected answer to " + step + ": " + said);
}

std::vector<Finding> run_cleartext(const CheckContext& ctx) {
    std::vector<Finding> out;
    if (ctx.wanted(telnet_off.id)) {
        Service svc;
        std::string error;
        if (!service_policy(ctx.target.policy, "telnet", 23, svc, error))
            out.push_back(make_finding(telnet_off, ctx.target, Status::error, error));
        else
            out.push_back(check_telnet(ctx, svc));
    }
    const bool want_off = ctx.wanted(ftp_off.id), want_anon = ctx.wanted(ftp_anon.id);
    if ((!want_off && !want_anon) || ctx.stop()) return out;
    Service svc;
    std::string error;
    if (!service_policy(ctx.target.policy, "ftp", 21, svc, error)) {
        policy_errors(ctx, std::span(cleartext_checks).subspan(1), error, out);
        return out;
    }
    const std::string label = "FTP (tcp/" + std::to_string(svc.port) + ")";
    const PortProbe p = probe_tcp(ctx.target.address, svc.port, ctx.timeout);
    FtpSession s;
    if (p.state == PortState::open) s = ftp_session(ctx, svc.port, want_anon);
    const Json base = probe_evidence(svc.port, p);
    if (want_off) {
        Json ev = base;
        ev["expected"] = svc.expected;
        std::optional<Verdict> v = off_by_probe(p, label);
        if (!v) {
            const std::string banner =
                !s.connect_error.empty() ? "(" + s.connect_error + ")"
                : s.greeting.text.empty()
                    ? "(no greeting within " + std::to_string(ctx.timeout.count()) + " ms)"
                    : s.greeting.text;
            ev["banner"] = banner;
            v = svc.expected
                    ? Verdict{Status::pass,
                              label + " is open, as the policy expects (ftp.expected): " + banner}
                    : Verdict{Status::fail, label +
                                                " accepts connections; FTP sends passwords in "
                                                "clear: " +
                                                banner};
        }
        out.push_back(make_finding(ftp_off, ctx.target, v->status, v->message, ev));
    }
    if (want_anon && !ctx.stop()) out.push_back(check_ftp_anonymous(ctx, label, p, s, base));
    return out;
}

}  // namespace

Family ssh_family() {
    return {"ssh", ssh_checks, run_ssh};
}

Family cleartext_family() {
    return {"cleartext", cleartext_checks, run_cleartext};
}

}  // namespace dce::audit
