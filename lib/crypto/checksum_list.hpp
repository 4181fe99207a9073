#pragma once
// Checksum lists as vendors publish them:
//   GNU (sha256sum, sha1sum, ...):  <hex>  <file>   or  <hex> *<file> (binary mode),
//                                   and "\<hex>  <escaped file>" for names with \ or newline
//   BSD / openssl dgst:             SHA256 (file) = <hex>    SHA2-256(file)= <hex>
// The algorithm is detected per line: BSD lines name it; GNU lines by digest length.
// Parsing never stops at a bad line: every problem is reported with its line number,
// and the well-formed lines are still usable.

#include "crypto/digest.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dce::crypto {

struct ChecksumEntry {
    std::string file;
    DigestAlgorithm algorithm;
    std::string hex;  ///< lower case
    std::size_t line;
};

struct ChecksumProblem {
    std::size_t line;
    std::string message;
    bool fatal;  ///< false: a warning (the line was still used)
};

struct ChecksumList {
    std::vector<ChecksumEntry> entries;
    std::vector<ChecksumProblem> problems;
    bool has_errors() const;
    /// The entry for `file`, or nullptr.
    const ChecksumEntry* find(std::string_view file) const;
};

ChecksumList parse_checksum_list(std::string_view text);

}  // namespace dce::crypto
