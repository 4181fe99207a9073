// Fuzzes certificate parsing as dce-cert meets it in a file or from a server: PEM or
// DER bytes -> CertInfo -> the cert record's fields -> every lint check. Any bytes must
// give a certificate or a reason, never a crash, a leak or an invalid record.
#include "core/record.hpp"
#include "tls/lint.hpp"
#include "tls/x509.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<dce::tls::X509Ptr> chain;
    std::string why;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (!dce::tls::parse_certificates(bytes, chain, why)) {
        if (why.empty()) __builtin_trap();  // a refusal must say why
        return 0;
    }
    for (const auto& x : chain) {
        dce::Json rec = dce::new_record("cert");
        rec["endpoint"] = "fuzz";
        dce::Json fields = dce::tls::cert_fields(dce::tls::describe_cert(x.get()));
        for (auto& [k, v] : fields.items())
            rec[k] = v;
        std::string bad;
        if (!dce::check_record(rec, bad)) __builtin_trap();
        (void)rec.dump(-1, ' ', false, dce::Json::error_handler_t::replace);
    }
    dce::tls::LintInput in;
    in.target = "fuzz";
    in.chain = chain;
    in.host = "fuzz.example";
    for (const auto& f : dce::tls::lint(in)) {
        dce::Json rec = dce::to_record(f);
        std::string bad;
        if (!dce::check_record(rec, bad)) __builtin_trap();
    }
    return 0;
}
