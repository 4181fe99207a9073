#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dce {

using SystemTime = std::chrono::system_clock::time_point;

/// RFC 3339 UTC with milliseconds, the record contract's `ts` format: 2026-11-22T07:30:00.123Z
std::string format_timestamp(SystemTime t);
std::string now_timestamp();

/// Accepts RFC 3339 with `Z` or a numeric offset, optional fraction; nullopt when malformed.
std::optional<SystemTime> parse_timestamp(std::string_view text);

/// "90s", "5m", "12h", "30d", "2w", "1500ms"; a bare number is seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// An injectable clock, so tests can pin time (see STYLE.md on swappable dependencies).
class Clock {
  public:
    virtual ~Clock() = default;
    virtual SystemTime now() const = 0;
};
class SystemClock final : public Clock {
  public:
    SystemTime now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace dce
