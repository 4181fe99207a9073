#pragma once
// FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211) over the bytes
// as given: the same value on every build, machine and version, which std::hash does not
// promise. Used where a hash is stored or shared between machines (dce-store's record
// keys, dce-poll --shard).
#include <cstdint>
#include <string_view>

namespace dce {

constexpr std::uint64_t fnv1a64(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

}  // namespace dce
