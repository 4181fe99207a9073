// libFuzzer target: what dce-discover --http does with what a web server sends back
// before anything is trusted: the page (title, text) and the Server header, through
// the identity rules. Input: the Server header, a NUL byte, then the page.
#include "discover/http_identify.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto nul = in.find('\0');
    std::string_view server = in.substr(0, std::min<std::size_t>(nul, 256));
    std::string_view page = nul == std::string_view::npos ? in : in.substr(nul + 1);
    dce::discover::HttpFacts f;
    f.server = std::string(server);
    f.title = dce::discover::html_title(page);
    f.text = dce::discover::html_text(page);
    f.location = f.title;
    f.cert_subject_cn = f.title;
    f.cert_subject_ou = {f.title};
    if (f.title.size() > 256) __builtin_trap();  // capped by html_title
    auto id = dce::discover::identify_http(f);
    if (id.device_class.empty()) __builtin_trap();  // "unknown" at worst
    return 0;
}
