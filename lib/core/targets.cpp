#include "core/targets.hpp"

#include "core/files.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace dce {
namespace {

std::optional<std::uint32_t> parse_v4(std::string_view s) {
    in_addr a{};
    std::string z(s);
    if (inet_pton(AF_INET, z.c_str(), &a) != 1) return std::nullopt;
    return ntohl(a.s_addr);
}

std::optional<u128> parse_v6(std::string_view s) {
    in6_addr a{};
    std::string z(s);
    if (inet_pton(AF_INET6, z.c_str(), &a) != 1) return std::nullopt;
    u128 v = 0;
    for (unsigned char b : a.s6_addr)
        v = (v << 8) | b;
    return v;
}

std::string format_v4(std::uint32_t v) {
    in_addr a{};
    a.s_addr = htonl(v);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

std::string format_v6(u128 v) {
    in6_addr a{};
    for (int i = 15; i >= 0; --i, v >>= 8)
        a.s6_addr[i] = static_cast<unsigned char>(v & 0xFF);
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
    return buf;
}

template <class T>
bool parse_uint(std::string_view s, T& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool valid_hostname(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    std::size_t label = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    if (s.back() == '-') return false;
    // A last label of digits only (127.0.0.300) is a mistyped address, not a name.
    auto last = s.substr(s.rfind('.') == std::string_view::npos ? 0 : s.rfind('.') + 1);
    return last.find_first_not_of("0123456789") != std::string_view::npos;
}

std::string with_commas(std::uint64_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

}  // namespace

std::string Target::to_string() const {
    std::string h = is_ipv6 ? "[" + host + "]" : host;
    if (!port) return host;
    return h + ":" + std::to_string(*port);
}

bool is_loopback_address(std::string_view host) {
    if (auto v4 = parse_v4(host)) return (*v4 >> 24) == 127;
    if (auto v6 = parse_v6(host)) return *v6 == 1;
    return host == "localhost";
}

namespace {
std::string address_key(bool v6, u128 addr, const std::optional<std::uint16_t>& port) {
    std::string k = v6 ? format_v6(addr) : format_v4(static_cast<std::uint32_t>(addr));
    return k + "|" + (port ? std::to_string(*port) : "");
}
}  // namespace

bool TargetList::push(Range r, std::string_view spec, std::string& error) {
    over_limit_ = false;
    last_count_ = r.count;
    // The same spec twice (a target file with repeats) is probed once and does not count
    // against the guard.
    std::string key = (r.name ? "n|" + r.host
                              : std::string(r.v6 ? "6|" : "4|") + address_key(r.v6, r.first, {})) +
                      "|" + std::to_string(r.count) + "|" + (r.port ? std::to_string(*r.port) : "");
    if (range_keys_.count(key)) {
        duplicates_ += r.count;
        return true;
    }
    if (r.count > opts_.max_addresses || total_ + r.count > opts_.max_addresses) {
        over_limit_ = true;
        error = "'" + std::string(spec) + "' would bring the target count to " +
                with_commas(total_ + r.count) + ", over the limit of " +
                with_commas(opts_.max_addresses) +
                "; split the range or raise the limit with --max-targets";
        return false;
    }
    total_ += r.count;
    range_keys_.insert(std::move(key));
    if (r.count > 1)
        multi_.push_back(ranges_.size());
    else if (!r.name)
        single_.emplace(address_key(r.v6, r.first, r.port), ranges_.size());
    ranges_.push_back(std::move(r));
    return true;
}

// True when an address of range `r` (at range_index_) was already given by an earlier
// range: a host listed beside the network that holds it is probed once.
bool TargetList::covered_earlier(const Range& r, u128 addr) const {
    if (r.name) return false;
    for (std::size_t j : multi_) {
        if (j >= range_index_) break;
        const Range& m = ranges_[j];
        if (!m.name && m.v6 == r.v6 && m.port == r.port && addr >= m.first &&
            addr - m.first < m.count)
            return true;
    }
    if (r.count > 1) {
        auto it = single_.find(address_key(r.v6, addr, r.port));
        if (it != single_.end() && it->second < range_index_) return true;
    }
    return false;
}

bool TargetList::add_line_source(std::string_view origin, std::string_view content,
                                 std::string& error) {
    std::size_t lineno = 0;
    bool ok = true;
    std::string errors;
    // Once the guard is hit, every later line of a big file would say the same: count
    // them into one summary line instead of thousands.
    std::uint64_t over_lines = 0, over_addresses = 0;
    std::size_t first_over = 0, last_over = 0;
    while (!content.empty()) {
        auto nl = content.find('\n');
        auto line = content.substr(0, nl);
        content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
        ++lineno;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
            line.remove_suffix(1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())))
            line.remove_prefix(1);
        if (line.empty()) continue;
        std::string e;
        over_limit_ = false;
        if (line.front() == '@' || line == "-") {
            e = "nested target files are not followed";
        } else if (add_one(line, e)) {
            continue;
        } else if (over_limit_ && first_over != 0) {
            ++over_lines;
            over_addresses += last_count_;
            last_over = lineno;
            ok = false;
            continue;
        } else if (over_limit_) {
            first_over = last_over = lineno;
            over_addresses = total_ + last_count_;
        }
        if (!errors.empty()) errors += "\n";
        errors += std::string(origin) + ":" + std::to_string(lineno) + ": " + e;
        ok = false;
    }
    if (over_lines > 0)
        errors += "\n" + std::string(origin) + ": " + with_commas(over_lines) +
                  " more line(s) over the limit too (lines " + std::to_string(first_over + 1) +
                  "-" + std::to_string(last_over) + "), " + with_commas(over_addresses) +
                  " addresses in all; split the file or raise --max-targets";
    if (!ok) error = errors;
    return ok;
}

bool TargetList::add(std::string_view spec, std::string& error) {
    if (spec == "-" || (!spec.empty() && spec.front() == '@')) {
        std::string path = spec == "-" ? "-" : std::string(spec.substr(1));
        std::string content;
        if (!read_file_capped(path, max_list_file, content, error)) {
            error = "target list: " + error;
            return false;
        }
        return add_line_source(path == "-" ? "<stdin>" : path, content, error);
    }
    return add_one(spec, error);
}

bool TargetList::add_all(const std::vector<std::string>& specs, std::vector<std::string>& errors) {
    bool ok = true;
    for (const auto& s : specs) {
        std::string e;
        if (!add(s, e)) {
            errors.push_back(e);
            ok = false;
        }
    }
    return ok;
}

bool TargetList::add_one(std::string_view spec, std::string& error) {
    auto bad = [&](std::string_view why) {
        error = "bad target '" + std::string(spec) + "': " + std::string(why);
        return false;
    };
    if (spec.empty()) return bad("empty");
    Range r;
    std::string_view host = spec;

    // Port: "[v6]:port", "v4:port", "name:port". A bare v6 has several colons.
    if (host.front() == '[') {
        auto close = host.find(']');
        if (close == std::string_view::npos) return bad("missing ']'");
        auto rest = host.substr(close + 1);
        host = host.substr(1, close - 1);
        if (!rest.empty()) {
            std::uint16_t p;
            if (rest.front() != ':' || !parse_uint(rest.substr(1), p) || p == 0)
                return bad("port must be 1-65535");
            if (!opts_.allow_ports) return bad("a port is not allowed here");
            r.port = p;
        }
    } else if (auto colon = host.rfind(':');
               colon != std::string_view::npos && host.find(':') == colon) {
        std::uint16_t p;
        if (!parse_uint(host.substr(colon + 1), p) || p == 0) return bad("port must be 1-65535");
        if (!opts_.allow_ports) return bad("a port is not allowed here");
        r.port = p;
        host = host.substr(0, colon);
    }
    if (host.empty()) return bad("empty host");

    if (auto slash = host.find('/'); slash != std::string_view::npos) {
        unsigned prefix;
        if (!parse_uint(host.substr(slash + 1), prefix))
            return bad("prefix length must be a number");
        auto addr = host.substr(0, slash);
        if (auto v4 = parse_v4(addr)) {
            if (prefix > 32) return bad("IPv4 prefix length must be 0-32");
            std::uint64_t size = 1ULL << (32 - prefix);
            std::uint32_t mask = prefix == 0 ? 0 : ~0U << (32 - prefix);
            r.first = *v4 & mask;
            r.count = size;
        } else if (auto v6 = parse_v6(addr)) {
            if (prefix > 128) return bad("IPv6 prefix length must be 0-128");
            if (prefix < 64) {
                error = "'" + std::string(spec) + "' is 2^" + std::to_string(128 - prefix) +
                        " addresses, over the limit of " + with_commas(opts_.max_addresses) +
                        "; IPv6 networks cannot be swept, list the addresses instead";
                return false;
            }
            u128 size = static_cast<u128>(1) << (128 - prefix);
            if (size > opts_.max_addresses) {
                error = "'" + std::string(spec) + "' is " +
                        (128 - prefix < 64 ? with_commas(static_cast<std::uint64_t>(size))
                                           : "2^" + std::to_string(128 - prefix)) +
                        " addresses, over the limit of " + with_commas(opts_.max_addresses) +
                        "; split the range or raise the limit with --max-targets";
                return false;
            }
            r.v6 = true;
            r.first = *v6 & ~(size - 1);
            r.count = static_cast<std::uint64_t>(size);
        } else {
            return bad("not an IP network");
        }
        return push(std::move(r), spec, error);
    }

    if (auto dash = host.find('-');
        dash != std::string_view::npos && parse_v4(host.substr(0, dash))) {
        auto lo = *parse_v4(host.substr(0, dash));
        auto rest = host.substr(dash + 1);
        std::uint32_t hi;
        if (auto full = parse_v4(rest)) {
            hi = *full;
        } else {
            unsigned last;
            if (!parse_uint(rest, last) || last > 255)
                return bad("range end must be 0-255 or an address");
            hi = (lo & 0xFFFFFF00u) | last;
        }
        if (hi < lo) return bad("range end is before its start");
        r.first = lo;
        r.count = static_cast<std::uint64_t>(hi) - lo + 1;
        return push(std::move(r), spec, error);
    }

    if (auto v4 = parse_v4(host)) {
        r.first = *v4;
        return push(std::move(r), spec, error);
    }
    if (auto v6 = parse_v6(host)) {
        r.v6 = true;
        r.first = *v6;
        return push(std::move(r), spec, error);
    }
    if (!valid_hostname(host)) return bad("not an address, network, range or host name");
    r.name = true;
    r.host = std::string(host);
    return push(std::move(r), spec, error);
}

bool TargetList::next(Target& out) {
    while (range_index_ < ranges_.size()) {
        const Range& r = ranges_[range_index_];
        if (offset_ < r.count) {
            if (covered_earlier(r, r.first + offset_)) {
                ++offset_;
                ++duplicates_;
                continue;
            }
            out.port = r.port;
            out.is_ipv6 = r.v6;
            out.is_name = r.name;
            if (r.name)
                out.host = r.host;
            else if (r.v6)
                out.host = format_v6(r.first + offset_);
            else
                out.host = format_v4(static_cast<std::uint32_t>(r.first + offset_));
            ++offset_;
            return true;
        }
        ++range_index_;
        offset_ = 0;
    }
    return false;
}

}  // namespace dce
