// libFuzzer target: the Prometheus subset's parsers of untrusted query text: the series
// selector (strings with Go escapes, regular expressions, bounds), number-literal
// arithmetic, and the time and step parameters; then a parsed selector is matched
// against a few label sets. Input: the whole query text.
#include "api/prometheus.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dce::api::prom;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string error;
    Selector sel;
    if (parse_selector(in, sel, error)) {
        if (sel.matchers.empty() || sel.matchers.size() > max_matchers) __builtin_trap();
        bool selective = false;
        for (const auto& m : sel.matchers)
            selective = selective || !m.matches("");
        if (!selective) __builtin_trap();
        static const LabelSet sets[] = {
            {{"__name__", "dce_ups_load"}, {"device", "snmp://10.1.0.1:161"}, {"site", "paris"}},
            {{"__name__", "dce_if_in_octets"}, {"device", "d"}, {"ifName", "eth0"}},
            {{"__name__", ""}},
        };
        for (const auto& l : sets)
            (void)sel.matches(l);
    } else if (error.empty()) {
        __builtin_trap();  // a refusal always says why
    }
    (void)parse_scalar(in);
    if (auto t = parse_time(in); t && (*t > 10'000'000'000'000'000 || *t < -10'000'000'000'000'000))
        __builtin_trap();
    if (auto s = parse_step(in); s && *s < 0) __builtin_trap();
    return 0;
}
