#pragma once
// Streaming file digests through OpenSSL's EVP interface (it uses the CPU's SHA
// extensions). Reads are 256 KiB: big enough that syscalls cost nothing next to the
// hashing, small enough that the buffer stays in L2 between read() and the digest
// (measured here: 8 KiB reads are ~25% slower, 4 MiB slightly slower than 256 KiB).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_st;  // OpenSSL's EVP_MD, without its headers

namespace dce::crypto {

enum class DigestAlgorithm { sha1, sha224, sha256, sha384, sha512 };

std::string_view name(DigestAlgorithm a);       ///< "sha256"
std::string_view list_name(DigestAlgorithm a);  ///< "SHA256", as BSD lists write it
std::size_t hex_length(DigestAlgorithm a);      ///< 64 for sha256
std::optional<DigestAlgorithm> algorithm_from_name(
    std::string_view name);  ///< sha256, SHA2-256, SHA-256
std::optional<DigestAlgorithm> algorithm_from_hex_length(std::size_t n);
bool is_collision_broken(DigestAlgorithm a);
/// OpenSSL's implementation of `a` (an EVP_MD*), for the signature code beside this file.
const evp_md_st* evp_digest(DigestAlgorithm a);
/// The digest to ask a vendor for instead of a broken one.
inline constexpr DigestAlgorithm recommended_digest = DigestAlgorithm::sha256;

bool is_hex(std::string_view s);
std::string to_lower_hex(std::string_view s);

/// Compares two hex digests in time independent of where they differ (CRYPTO_memcmp
/// on the decoded bytes); case-insensitive. Different lengths compare unequal.
bool digest_equal(std::string_view hex_a, std::string_view hex_b);

struct FileDigest {
    bool ok = false;
    std::string error;       ///< why not ok: cannot open, read error, changed while read
    std::string error_code;  ///< io, changed, not-found, ...
    std::string hex;
    std::uint64_t bytes = 0;
};

/// Hashes a file ("-" is stdin). Detects a file that changes while it is read (size,
/// mtime or inode differ between the first and the last fstat) and reports it.
FileDigest digest_file(const std::string& path, DigestAlgorithm alg,
                       std::size_t buffer_bytes = 256 << 10);

/// Hashes bytes in memory (tests, signatures).
std::string digest_bytes(std::string_view data, DigestAlgorithm alg);

}  // namespace dce::crypto
