#pragma once
// What check_remote.cpp reads off the wire, as pure functions so the unit tests
// (check_remote_test.cpp) can feed them bytes no server on loopback would send.

#include <string>
#include <string_view>
#include <vector>

namespace dce::audit::remote {

/// An SSH identification string (RFC 4253 4.2): "SSH-protoversion-softwareversion SP
/// comments CR LF", possibly after other lines the server sends first.
struct SshIdent {
    bool found = false;  ///< a whole "SSH-" line (ended by LF) was read
    std::string line;    ///< that line without CR LF, made visible()
    std::string protoversion, softwareversion, comments;
    std::vector<std::string> preamble;  ///< lines before it, made visible()
};
SshIdent parse_ssh_ident(std::string_view data);

/// What an SSH protoversion means for "protocol 2 only".
enum class SshProtocol { v2_only, v1_compatible, v1_only, unknown };
SshProtocol classify_ssh_protocol(std::string_view protoversion);

/// A (possibly multi-line, RFC 959 4.2) FTP reply: complete once its last line
/// "ddd text" (after "ddd-" continuation lines) ended with LF. `code` 0 when the data does
/// not start with three digits.
struct FtpReply {
    bool complete = false;
    int code = 0;
    std::string text;      ///< the reply's lines joined by " | ", made visible()
    std::size_t size = 0;  ///< bytes of `data` the reply took (the rest is the next reply)
};
FtpReply parse_ftp_reply(std::string_view data);

/// What a Telnet server sent first: its option negotiation spelled out ("IAC DO ECHO")
/// and the text left when the commands are taken out.
struct TelnetGreeting {
    std::vector<std::string> negotiation;
    std::string text;  ///< made visible()
};
TelnetGreeting parse_telnet(std::string_view data);

/// Bytes as text a record can carry: printable ASCII kept, CR LF TAB and every other
/// byte as \r \n \t \xHH. Capped at `max` input bytes ("..." appended).
std::string visible(std::string_view bytes, std::size_t max = 512);

}  // namespace dce::audit::remote
