// libFuzzer target: what dce-discover does with bytes an agent sends back unauthenticated
// or through any community: the sysDescr (APC card fields, vendor regexes), sysObjectID
// and the SNMPv3 engine ID. Input: three fields separated by NUL bytes.
#include "discover/identify.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto a = in.find('\0');
    std::string_view descr = in.substr(0, a);
    std::string_view rest = a == std::string_view::npos ? std::string_view{} : in.substr(a + 1);
    auto b = rest.find('\0');
    std::string_view oid = rest.substr(0, b);
    std::string_view engine = b == std::string_view::npos ? std::string_view{} : rest.substr(b + 1);

    auto fields = dce::discover::parse_apc_sysdescr(descr);
    for (const auto& [k, v] : fields) {
        if (k.empty() || k.size() > 9) __builtin_trap();  // keys are what the parser accepts
        (void)v;
    }
    auto ent = dce::discover::enterprise_of_engine_id(engine);
    auto id = dce::discover::identify_from_system(oid, descr, ent);
    (void)dce::discover::enterprise_of_oid(oid);
    (void)dce::discover::guess_class(oid, descr, size % 2 == 0);
    if (id.device_class.empty()) __builtin_trap();  // always some class, "unknown" at worst
    return 0;
}
