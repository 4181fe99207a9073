// Fuzzes the STARTTLS reply parser: what an SMTP/IMAP/POP3/FTP/LDAP/PostgreSQL server
// sends before TLS is untrusted. Any bytes, split anywhere, must give more/ok/fail —
// never a crash or an out-of-bounds read (notably the LDAP BER lengths).
#include "tls/starttls.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    using dce::tls::Starttls;
    const Starttls protos[] = {Starttls::smtp, Starttls::imap, Starttls::pop3,
                               Starttls::ftp,  Starttls::ldap, Starttls::postgres};
    Starttls proto = protos[data[0] % 6];
    std::size_t step = data[1] % (dce::tls::starttls_steps(proto) + 1);
    std::string received;
    std::string why;
    // Feed byte by byte, as a slow server would, judging after each chunk.
    for (std::size_t i = 2; i < size; ++i) {
        received += static_cast<char>(data[i]);
        auto v = dce::tls::starttls_reply(proto, step, received, why);
        if (v != dce::tls::StepVerdict::more) break;
    }
    return 0;
}
