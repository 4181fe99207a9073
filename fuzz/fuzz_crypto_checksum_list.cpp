// Fuzzes the checksum-list parser: any bytes give entries and per-line problems, never
// a crash; every entry it accepts is well-formed.
#include "crypto/checksum_list.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto list = dce::crypto::parse_checksum_list(text);
    for (const auto& e : list.entries) {
        if (e.file.empty() || e.hex.size() != dce::crypto::hex_length(e.algorithm) ||
            !dce::crypto::is_hex(e.hex) || e.line == 0)
            __builtin_trap();
    }
    for (const auto& p : list.problems)
        if (p.message.empty() || p.line == 0) __builtin_trap();
    return 0;
}
