// Token buckets for the API's rate limits (ratelimit.hpp).
#include "api/ratelimit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace dce::api {

bool parse_rate(std::string_view text, RateSpec& out, std::string& error) {
    out = {};
    if (text == "off") return true;
    auto slash = text.find('/');
    auto colon = text.find(':');
    if (slash == std::string_view::npos || (colon != std::string_view::npos && colon < slash)) {
        error = "\"" + std::string(text) + "\" is not a rate like 50/s, 300/m:100 or off";
        return false;
    }
    auto number = [](std::string_view s, double& v) {
        if (s.empty()) return false;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v) && v > 0;
    };
    double count = 0;
    std::string_view unit = text.substr(
        slash + 1, colon == std::string_view::npos ? std::string_view::npos : colon - slash - 1);
    double seconds = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    if (!number(text.substr(0, slash), count) || seconds == 0) {
        error = "\"" + std::string(text) + "\" is not a rate like 50/s, 300/m:100 or off";
        return false;
    }
    out.per_second = count / seconds;
    out.burst = std::max(1.0, std::ceil(2 * out.per_second));
    if (colon != std::string_view::npos) {
        if (!number(text.substr(colon + 1), out.burst) || out.burst < 1 || out.burst > 1e9) {
            error = "\"" + std::string(text) + "\": the burst after ':' must be 1 or more";
            return false;
        }
    }
    return true;
}

RateLimiter::RateLimiter(RateSpec spec, std::size_t max_entries)
    : spec_(spec), max_entries_(std::max<std::size_t>(max_entries, 1)) {}

std::size_t RateLimiter::size() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

// Drops every bucket that has refilled to its burst (indistinguishable from a new one);
// when none has, drops the one idle longest, so a flood of new keys cannot grow the table.
void RateLimiter::make_room(Clock::time_point now) {
    auto full_by = std::chrono::duration<double>(spec_.burst / spec_.per_second);
    std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.last >= full_by; });
    if (buckets_.size() < max_entries_) return;
    auto oldest = std::min_element(
        buckets_.begin(), buckets_.end(),
        [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
    buckets_.erase(oldest);
}

bool RateLimiter::take(std::string_view key, Clock::time_point now,
                       std::chrono::seconds& retry_after) {
    if (!spec_.enabled()) return true;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(std::string(key));
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_entries_) make_room(now);
        it = buckets_.emplace(std::string(key), Bucket{spec_.burst, now}).first;
    }
    auto& b = it->second;
    if (now > b.last) {
        double elapsed = std::chrono::duration<double>(now - b.last).count();
        b.tokens = std::min(spec_.burst, b.tokens + elapsed * spec_.per_second);
        b.last = now;
    }
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return true;
    }
    double wait = (1 - b.tokens) / spec_.per_second;
    retry_after = std::chrono::seconds(
        static_cast<std::int64_t>(std::max(1.0, std::ceil(std::min(wait, 1e9)))));
    return false;
}

}  // namespace dce::api
