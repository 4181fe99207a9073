#pragma once
// SNMPv3 User-based Security Model (RFC 3414; SHA-2 digests RFC 7860; AES RFC 3826) on
// OpenSSL's libcrypto: password-to-key, key localization per engine ID, HMAC digests,
// DES-CBC and AES-CFB128 privacy. The trap receiver localizes a user's keys for each
// sender engine ID on first use, so one user works from any number of devices without
// a `createUser -e ENGINEID` line per device.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dce::trap {

enum class AuthProto { none, md5, sha1, sha224, sha256, sha384, sha512 };
enum class PrivProto { none, des, aes128, aes192, aes256 };

/// The names the credentials file and dce-poll accept (MD5, SHA, SHA-1, SHA-224,
/// SHA-256, SHA-384, SHA-512; DES, AES, AES-128, AES-192, AES-256), case-insensitive.
bool parse_auth_proto(std::string_view name, AuthProto& out);
bool parse_priv_proto(std::string_view name, PrivProto& out);
std::string_view to_string(AuthProto p);
std::string_view to_string(PrivProto p);

/// Bytes of msgAuthenticationParameters: 12 for MD5/SHA-1, 16/24/32/48 for SHA-2.
std::size_t auth_params_length(AuthProto p);

/// RFC 3414 A.2: Ku from a passphrase (1 MiB of hashing: cache the result).
std::string password_to_key(AuthProto p, std::string_view password);
/// Kul = H(Ku || engineID || Ku).
std::string localize_key(AuthProto p, std::string_view ku, std::string_view engine_id);
/// The localized privacy key, extended to what `priv` needs when the digest is shorter
/// (AES-192/256 with MD5 or SHA-1: the extension net-snmp uses for usmAES192/256, so
/// snmptrap/snmpinform -x AES-256 interoperate).
std::string localize_priv_key(AuthProto auth, PrivProto priv, std::string_view ku_priv,
                              std::string_view engine_id);

/// Checks msgAuthenticationParameters: HMAC over `message` with the auth_params bytes at
/// `auth_offset` taken as zero. Constant-time compare.
bool verify_digest(AuthProto p, std::string_view kul, std::span<const std::uint8_t> message,
                   std::size_t auth_offset);
/// Writes the digest into `message` at `auth_offset` (those bytes must be zero).
void sign(AuthProto p, std::string_view kul, std::span<std::uint8_t> message,
          std::size_t auth_offset);

/// Decrypts an encryptedPDU. False when the parameters are malformed (wrong salt size,
/// DES ciphertext not a multiple of 8).
bool decrypt(PrivProto p, std::string_view key, std::uint32_t boots, std::uint32_t time,
             std::string_view priv_params, std::string_view ciphertext, std::string& plaintext);
/// Encrypts a scoped PDU; `salt` is the 64-bit counter the caller advances per message.
/// Writes msgPrivacyParameters to `priv_params`.
bool encrypt(PrivProto p, std::string_view key, std::uint32_t boots, std::uint32_t time,
             std::uint64_t salt, std::string_view plaintext, std::string& ciphertext,
             std::string& priv_params);

}  // namespace dce::trap
