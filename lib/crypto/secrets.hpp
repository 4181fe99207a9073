#pragma once
// Secrets at rest for the API (lib/api): random tokens, scrypt password hashes and
// HMAC-SHA256, on OpenSSL's libcrypto (already a dependency, so no libargon2).
// Comparisons of secret-derived bytes are constant-time (CRYPTO_memcmp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dce::crypto {

/// `n` bytes from OpenSSL's CSPRNG; empty when it fails (callers must refuse then).
std::string random_bytes(std::size_t n);

/// RFC 4648 §5 base64url without padding, and back (nullopt on a bad character).
std::string base64url(std::string_view bytes);
std::optional<std::string> from_base64url(std::string_view text);
/// Standard base64 (RFC 4648 §4) decoding with padding, for HTTP Basic credentials.
std::optional<std::string> from_base64(std::string_view text);

/// True when a and b hold the same bytes; time depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

/// HMAC-SHA256(key, data) as 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// scrypt parameters: N = 2^log_n, r, p. The defaults (2^15, 8, 1: 32 MiB, tens of ms)
/// are OpenSSL's and RFC 7914's interactive-login choice.
struct ScryptParams {
    int log_n = 15;
    int r = 8;
    int p = 1;
};

/// Hashes a secret with a fresh 16-byte salt into a self-describing string
/// "$scrypt$ln=15,r=8,p=1$SALT$HASH" (base64url), so parameters can grow later and old
/// hashes still verify. Empty on failure.
std::string scrypt_hash(std::string_view secret, ScryptParams params = {});

/// Verifies `secret` against a scrypt_hash string, in constant time over the derived key.
/// A malformed stored hash verifies nothing.
bool scrypt_verify(std::string_view secret, std::string_view stored);

}  // namespace dce::crypto
