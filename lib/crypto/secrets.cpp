// Random bytes, scrypt and HMAC for lib/api's client secrets and access tokens.
#include "crypto/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>

namespace dce::crypto {
namespace {

constexpr char b64url_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c, const char* alphabet) {
    for (int i = 0; i < 64; ++i)
        if (alphabet[i] == c) return i;
    return -1;
}

std::optional<std::string> decode(std::string_view text, const char* alphabet) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = b64_value(c, alphabet);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    // Leftover bits must be zero padding of the last character, fewer than a byte.
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

bool derive(std::string_view secret, std::string_view salt, const ScryptParams& p,
            std::string& out) {
    out.assign(32, '\0');
    // maxmem: N * r * 128 bytes plus slack; OpenSSL's default cap (32 MiB) is just short.
    std::uint64_t maxmem = (std::uint64_t{1} << p.log_n) * 128u * static_cast<unsigned>(p.r) * 2u;
    return EVP_PBE_scrypt(secret.data(), secret.size(),
                          reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                          std::uint64_t{1} << p.log_n, static_cast<std::uint64_t>(p.r),
                          static_cast<std::uint64_t>(p.p), maxmem,
                          reinterpret_cast<unsigned char*>(out.data()), out.size()) == 1;
}

}  // namespace

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        return {};
    return out;
}

std::string base64url(std::string_view bytes) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(b64url_chars[(acc >> bits) & 63]);
        }
    }
    if (bits > 0) out.push_back(b64url_chars[(acc << (6 - bits)) & 63]);
    return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
    return decode(text, b64url_chars);
}

std::optional<std::string> from_base64(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    while (!text.empty() && text.back() == '=')
        text.remove_suffix(1);
    return decode(text, b64_chars);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len))
        return {};
    return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string scrypt_hash(std::string_view secret, ScryptParams params) {
    std::string salt = random_bytes(16), key;
    if (salt.empty() || !derive(secret, salt, params, key)) return {};
    return "$scrypt$ln=" + std::to_string(params.log_n) + ",r=" + std::to_string(params.r) +
           ",p=" + std::to_string(params.p) + "$" + base64url(salt) + "$" + base64url(key);
}

bool scrypt_verify(std::string_view secret, std::string_view stored) {
    // $scrypt$ln=N,r=R,p=P$SALT$HASH
    constexpr std::string_view prefix = "$scrypt$ln=";
    if (!stored.starts_with(prefix)) return false;
    stored.remove_prefix(prefix.size());
    ScryptParams p;
    auto num = [&](int& v, std::string_view next) {
        auto [ptr, ec] = std::from_chars(stored.data(), stored.data() + stored.size(), v);
        if (ec != std::errc{}) return false;
        stored.remove_prefix(static_cast<std::size_t>(ptr - stored.data()));
        if (!stored.starts_with(next)) return false;
        stored.remove_prefix(next.size());
        return true;
    };
    if (!num(p.log_n, ",r=") || !num(p.r, ",p=") || !num(p.p, "$")) return false;
    // Bounds keep a tampered row from asking for gigabytes or forever.
    if (p.log_n < 10 || p.log_n > 20 || p.r < 1 || p.r > 32 || p.p < 1 || p.p > 16) return false;
    auto dollar = stored.find('$');
    if (dollar == std::string_view::npos) return false;
    auto salt = from_base64url(stored.substr(0, dollar));
    auto want = from_base64url(stored.substr(dollar + 1));
    std::string got;
    if (!salt || !want || want->size() != 32 || !derive(secret, *salt, p, got)) return false;
    return constant_time_equal(got, *want);
}

}  // namespace dce::crypto
