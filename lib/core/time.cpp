#include "core/time.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace dce {

std::string format_timestamp(SystemTime t) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int millis = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
}

std::string now_timestamp() {
    return format_timestamp(std::chrono::system_clock::now());
}

namespace {
bool take_int(std::string_view& s, std::size_t digits, int& out) {
    if (s.size() < digits) return false;
    int v = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    s.remove_prefix(digits);
    return true;
}
int days_in_month(int y, int mo) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mo == 2 && leap ? 29 : days[mo - 1];
}
bool take_char(std::string_view& s, char c) {
    if (s.empty() || (s[0] != c && !(c == 'T' && (s[0] == 't' || s[0] == ' ')))) return false;
    s.remove_prefix(1);
    return true;
}
}  // namespace

std::optional<SystemTime> parse_timestamp(std::string_view s) {
    int y, mo, d, h, mi, sec;
    if (!take_int(s, 4, y) || !take_char(s, '-') || !take_int(s, 2, mo) || !take_char(s, '-') ||
        !take_int(s, 2, d) || !take_char(s, 'T') || !take_int(s, 2, h) || !take_char(s, ':') ||
        !take_int(s, 2, mi) || !take_char(s, ':') || !take_int(s, 2, sec))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    long long nanos = 0;
    if (!s.empty() && s[0] == '.') {
        s.remove_prefix(1);
        int digits = 0;
        long long scale = 100000000;
        while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
            if (digits < 9) nanos += (s[0] - '0') * scale, scale /= 10;
            ++digits;
            s.remove_prefix(1);
        }
        if (digits == 0) return std::nullopt;
    }
    int offset_min = 0;
    if (s == "Z" || s == "z") {
        s.remove_prefix(1);
    } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        int sign = s[0] == '-' ? -1 : 1;
        s.remove_prefix(1);
        int oh, om;
        if (!take_int(s, 2, oh) || !take_char(s, ':') || !take_int(s, 2, om)) return std::nullopt;
        offset_min = sign * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    if (!s.empty()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    std::time_t secs = timegm(&tm);
    using namespace std::chrono;
    // SystemTime counts nanoseconds in 64 bits (years 1677-2262): a time outside that
    // is refused, never wrapped (9999-12-31 once became 1816-03-30).
    constexpr auto limit = duration_cast<seconds>(SystemTime::duration::max()).count() - 1;
    long long total = static_cast<long long>(secs) - offset_min * 60LL;
    if (total > limit || total < -limit) return std::nullopt;
    return SystemTime(duration_cast<SystemTime::duration>(seconds(total) + nanoseconds(nanos)));
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || value < 0) return std::nullopt;
    std::string_view unit(end, text.data() + text.size() - end);
    double ms;
    if (unit.empty() || unit == "s")
        ms = value * 1000;
    else if (unit == "ms")
        ms = value;
    else if (unit == "m" || unit == "min")
        ms = value * 60'000;
    else if (unit == "h")
        ms = value * 3'600'000;
    else if (unit == "d")
        ms = value * 86'400'000;
    else if (unit == "w")
        ms = value * 7 * 86'400'000.0;
    else
        return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(ms));
}

}  // namespace dce
