#pragma once
// Per-client rate limits for the API (docs/API.md): a token bucket per key (an OAuth2
// client id, or a peer address), refilled at a steady rate up to a burst. Thread-safe:
// the server's workers share one limiter. The table of buckets is bounded; idle
// entries are dropped first (a bucket that has refilled to its burst is the same as no
// bucket), so memory stays bounded however many names or addresses ask.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dce::api {

struct RateSpec {
    double per_second = 0;  ///< refill rate; 0: no limit
    double burst = 0;       ///< bucket size, at least 1
    bool enabled() const { return per_second > 0; }
};

/// Parses "50/s", "300/m", "1/h", with an optional burst ":100" (default: twice the
/// per-second rate, at least 1), or "off". False with a reason.
bool parse_rate(std::string_view text, RateSpec& out, std::string& error);

class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    explicit RateLimiter(RateSpec spec, std::size_t max_entries = 10000);
    /// Takes one token from `key`'s bucket. False when it is empty; `retry_after` is then
    /// the whole seconds until a token is back (at least 1).
    bool take(std::string_view key, Clock::time_point now, std::chrono::seconds& retry_after);
    const RateSpec& spec() const { return spec_; }
    std::size_t size() const;

  private:
    struct Bucket {
        double tokens;
        Clock::time_point last;
    };
    void make_room(Clock::time_point now);
    RateSpec spec_;
    std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace dce::api
