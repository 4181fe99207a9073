#include "poll/shard.hpp"

#include "core/hash.hpp"

#include <charconv>

namespace dce::poll {

std::optional<Shard> parse_shard(std::string_view text, std::string& why) {
    auto slash = text.find('/');
    Shard s{0, 0};
    auto number = [](std::string_view t, std::uint64_t& out) {
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
        return !t.empty() && ec == std::errc() && p == t.data() + t.size();
    };
    if (slash == std::string_view::npos || !number(text.substr(0, slash), s.k) ||
        !number(text.substr(slash + 1), s.n) || s.n < 1 || s.n > 65536 || s.k < 1 || s.k > s.n) {
        why = "\"" + std::string(text) +
              "\" should be K/N: this poller's shard K of N, 1 <= K <= N <= 65536 (e.g. 2/4)";
        return std::nullopt;
    }
    return s;
}

bool in_shard(std::string_view device_id, const Shard& s) {
    return fnv1a64(device_id) % s.n == s.k - 1;
}

}  // namespace dce::poll
