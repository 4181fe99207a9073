// Query parameters shared by the endpoints (params.hpp).
#include "api/params.hpp"

#include "core/time.hpp"

#include <chrono>

namespace dce::api {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Leading decimal digits of `s` as an integer (at most `max_digits`); moves `s` past them.
bool take_digits(std::string_view& s, std::int64_t& out, std::size_t max_digits) {
    std::size_t n = 0;
    out = 0;
    while (n < s.size() && is_digit(s[n])) {
        if (n == max_digits) return false;
        out = out * 10 + (s[n] - '0');
        ++n;
    }
    s.remove_prefix(n);
    return n > 0;
}

// "12.345" (digits, optional fraction) in thousandths, digits beyond the third dropped.
bool decimal_thousandths(std::string_view s, std::int64_t& out) {
    std::int64_t whole = 0;
    if (!take_digits(s, whole, 12)) return false;
    std::int64_t frac = 0;
    if (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        if (s.empty()) return false;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (!is_digit(s[i])) return false;
            if (i < 3) frac += (s[i] - '0') * (i == 0 ? 100 : i == 1 ? 10 : 1);
        }
        s = {};
    }
    if (!s.empty()) return false;
    out = whole * 1000 + frac;
    return true;
}

struct Unit {
    std::string_view name;
    std::int64_t ms;
};
// Largest first, as they must appear in `1h30m`; "ms" before "m" so it matches whole.
constexpr Unit units[] = {{"y", 365LL * 86400000},
                          {"w", 7LL * 86400000},
                          {"d", 86400000},
                          {"h", 3600000},
                          {"ms", 1},
                          {"m", 60000},
                          {"s", 1000}};
constexpr int unit_rank(std::string_view name) {
    // Order of magnitude for "largest down": y w d h m s ms.
    constexpr std::string_view order[] = {"y", "w", "d", "h", "m", "s", "ms"};
    for (int i = 0; i < 7; ++i)
        if (order[i] == name) return i;
    return -1;
}

std::optional<Response> bad(std::string_view name, const std::string& why) {
    return problem(400, "Bad parameter", std::string(name) + ": " + why);
}

}  // namespace

std::optional<std::int64_t> parse_time_ms(std::string_view text, std::string& why) {
    std::int64_t ms = 0;
    bool numeric = !text.empty();
    for (char c : text)
        numeric = numeric && (is_digit(c) || c == '.');
    if (numeric) {
        if (!decimal_thousandths(text, ms)) {
            why = "not a time: Unix seconds are digits with an optional fraction (1796025600.5)";
            return std::nullopt;
        }
    } else {
        auto t = parse_timestamp(text);
        if (!t) {
            why = "not a time: give RFC 3339 (2026-11-30T08:00:00Z) or Unix seconds";
            return std::nullopt;
        }
        ms = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
    }
    if (ms < min_time_ms || ms > max_time_ms) {
        why = "time out of range (1970 to 9999)";
        return std::nullopt;
    }
    return ms;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text, std::string& why) {
    why = "not a duration: give 30s, 5m, 1h, 1d, 1h30m or plain seconds (60, 0.5)";
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    bool plain = true;
    for (char c : text)
        plain = plain && (is_digit(c) || c == '.');
    if (plain) {
        if (!decimal_thousandths(text, total)) return std::nullopt;
    } else {
        int last_rank = -1;
        std::string_view s = text;
        while (!s.empty()) {
            std::int64_t n = 0;
            if (!take_digits(s, n, 12)) return std::nullopt;
            const Unit* unit = nullptr;
            for (const Unit& u : units)
                if (s.substr(0, u.name.size()) == u.name) {
                    unit = &u;
                    break;
                }
            if (!unit) return std::nullopt;
            s.remove_prefix(unit->name.size());
            int rank = unit_rank(unit->name);
            if (rank <= last_rank) {
                why = "not a duration: units must go from the largest down, each once (1h30m)";
                return std::nullopt;
            }
            last_rank = rank;
            if (n > max_duration_ms / unit->ms) {
                why = "duration too long";
                return std::nullopt;
            }
            total += n * unit->ms;
        }
    }
    if (total > max_duration_ms) {
        why = "duration too long";
        return std::nullopt;
    }
    if (total < 1) {
        why = "duration must be at least 1ms";
        return std::nullopt;
    }
    return total;
}

std::optional<std::pair<std::string, std::string>> parse_label(std::string_view text,
                                                               std::string& why) {
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        why = "a label selector is key=value";
        return std::nullopt;
    }
    return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::optional<Response> single_param(const Request& req, std::string_view name,
                                     std::optional<std::string>& out) {
    auto all = req.params(name);
    if (all.size() > 1) return bad(name, "given more than once");
    out.reset();
    if (!all.empty()) out = std::move(all.front());
    return std::nullopt;
}

namespace {
// A parameter given at most once, through one of the parsers above.
std::optional<Response> parsed_param(const Request& req, std::string_view name,
                                     std::optional<std::int64_t>& out,
                                     std::optional<std::int64_t> (*parse)(std::string_view,
                                                                          std::string&)) {
    std::optional<std::string> v;
    if (auto r = single_param(req, name, v)) return r;
    out.reset();
    if (!v) return std::nullopt;
    std::string why;
    out = parse(*v, why);
    if (!out) return bad(name, why);
    return std::nullopt;
}
}  // namespace

std::optional<Response> time_param(const Request& req, std::string_view name,
                                   std::optional<std::int64_t>& out) {
    return parsed_param(req, name, out, parse_time_ms);
}

std::optional<Response> duration_param(const Request& req, std::string_view name,
                                       std::optional<std::int64_t>& out) {
    return parsed_param(req, name, out, parse_duration_ms);
}

std::optional<Response> label_params(const Request& req, std::string_view name,
                                     std::vector<std::pair<std::string, std::string>>& out) {
    out.clear();
    for (const std::string& v : req.params(name)) {
        std::string why;
        auto kv = parse_label(v, why);
        if (!kv) return bad(name, why);
        out.push_back(std::move(*kv));
    }
    return std::nullopt;
}

std::optional<Response> enum_param(const Request& req, std::string_view name,
                                   std::initializer_list<std::string_view> allowed,
                                   std::optional<std::string>& out) {
    if (auto r = single_param(req, name, out)) return r;
    if (!out) return std::nullopt;
    std::string list;
    for (auto a : allowed) {
        if (*out == a) return std::nullopt;
        list += (list.empty() ? "" : ", ") + std::string(a);
    }
    out.reset();
    return bad(name, "must be one of " + list);
}

}  // namespace dce::api
