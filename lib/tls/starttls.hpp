#pragma once
// The plaintext preludes that upgrade a connection to TLS (SMTP, IMAP, POP3, FTP, LDAP,
// PostgreSQL). Kept pure — bytes in, verdict out — so the parser of a server's untrusted
// replies can be unit-tested and fuzzed without a socket.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dce::tls {

enum class Starttls { none, smtp, imap, pop3, ftp, ldap, postgres };

std::optional<Starttls> parse_starttls(std::string_view name);
std::string_view to_string(Starttls s);

enum class StepVerdict { more, ok, fail };

/// Number of request/reply steps of the prelude (0 for none).
std::size_t starttls_steps(Starttls proto);
/// Bytes to send at the start of `step` (may be empty: wait for a greeting).
std::string starttls_request(Starttls proto, std::size_t step);
/// Judges what the server sent so far in `step`. `why` says what was wrong on fail.
StepVerdict starttls_reply(Starttls proto, std::size_t step, std::string_view received,
                           std::string& why);

/// Upper bound on a reply; a server talking longer than this is refused.
inline constexpr std::size_t starttls_max_reply = 64 * 1024;

}  // namespace dce::tls
