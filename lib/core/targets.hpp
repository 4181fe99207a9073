#pragma once
// Target specs as operators write them: 10.0.0.5, 10.0.0.0/24, 10.0.0.10-20,
// 10.0.0.1-10.0.1.255, 2001:db8::1, [2001:db8::1]:1161, fd00::/120, host.example,
// host:8443, @file (one spec a line, # comments), and "-" for stdin. Expansion is lazy,
// so a /16 costs no memory; a guard refuses accidental huge ranges.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dce {

__extension__ typedef unsigned __int128 u128;  // IPv6 address arithmetic

struct Target {
    std::string host;  ///< numeric address or host name (no brackets)
    std::optional<std::uint16_t> port;
    bool is_ipv6 = false;
    bool is_name = false;  ///< a host name, resolved later by the protocol layer
    /// host:port with brackets for IPv6, e.g. "[::1]:161"; without a port when none.
    std::string to_string() const;
};

struct TargetOptions {
    std::uint64_t max_addresses = 65536;  ///< guard; --max-targets raises it
    bool allow_ports = true;
};

class TargetList {
  public:
    explicit TargetList(TargetOptions opts = {}) : opts_(opts) {}

    /// Adds one spec (or, for "@file" and "-", every spec in it). False with a message
    /// naming the spec (and file line) on error; nothing of a bad spec is added.
    bool add(std::string_view spec, std::string& error);
    /// Adds many specs, collecting every error (one per line); false if any failed.
    bool add_all(const std::vector<std::string>& specs, std::vector<std::string>& errors);

    std::uint64_t size() const { return total_; }
    bool empty() const { return total_ == 0; }

    /// Iterates every target in order, each once: a spec given twice, or an address that
    /// an earlier range already covers, is skipped. Resumable: call until it returns false.
    bool next(Target& out);
    /// Targets skipped so far as repeats (whole specs at add(), addresses in next()).
    std::uint64_t duplicates() const { return duplicates_; }
    void rewind() { range_index_ = 0, offset_ = 0; }

  private:
    struct Range {
        bool name = false;
        bool v6 = false;
        u128 first = 0;
        std::uint64_t count = 1;
        std::string host;  // for names
        std::optional<std::uint16_t> port;
    };
    bool add_line_source(std::string_view origin, std::string_view content, std::string& error);
    bool add_one(std::string_view spec, std::string& error);
    bool push(Range r, std::string_view spec, std::string& error);
    bool covered_earlier(const Range& r, u128 addr) const;

    TargetOptions opts_;
    std::vector<Range> ranges_;
    std::set<std::string> range_keys_;           // exact specs seen, to drop repeats
    std::map<std::string, std::size_t> single_;  // single address key -> its range index
    std::vector<std::size_t> multi_;             // ranges of more than one address
    bool over_limit_ = false;                    // the last push failed on the guard
    std::uint64_t last_count_ = 0;               // addresses the last push asked for
    std::uint64_t duplicates_ = 0;
    std::uint64_t total_ = 0;
    std::size_t range_index_ = 0;
    std::uint64_t offset_ = 0;
};

/// True for an address in 127.0.0.0/8 or ::1 (what the test-suite may send traffic to).
bool is_loopback_address(std::string_view host);

}  // namespace dce
