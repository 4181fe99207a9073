#pragma once
// dce-poll --shard K/N: N pollers split a site's devices without a coordinator. A device
// belongs to shard K (1-based, 1 <= K <= N) when FNV-1a 64 of its id's bytes, modulo N,
// is K - 1 (core/hash.hpp: the same on every machine and version). The id is the
// device record's `id`, or for a target the id dce-poll gives it (snmp://HOST:PORT).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dce::poll {

struct Shard {
    std::uint64_t k = 1, n = 1;  ///< 1-based shard number, and how many shards
};

/// Parses "K/N"; nullopt with `why` set when it is not 1 <= K <= N <= 65536.
std::optional<Shard> parse_shard(std::string_view text, std::string& why);
/// True when `device_id` is this shard's.
bool in_shard(std::string_view device_id, const Shard& s);

}  // namespace dce::poll
