// SNMPv3 USM on OpenSSL 3's libcrypto. Digests through EVP_Digest*, HMAC fed in three
// pieces (so the message need not be copied to zero its digest field), AES-CFB128
// through EVP_Cipher*. Single DES is only in OpenSSL 3's legacy
// provider when used through EVP, which Debian does not load by default, so DES-CBC goes
// through the low-level DES_* functions: deprecated but still in libcrypto itself.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "trap/usm.hpp"

#include <openssl/crypto.h>
#include <openssl/des.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace dce::trap {

namespace {

// Digests fetched once: OpenSSL 3 otherwise looks the implementation up at every init.
const EVP_MD* digest(AuthProto p) {
    static EVP_MD* const md[] = {
        // in the order of AuthProto
        nullptr,
        EVP_MD_fetch(nullptr, "MD5", nullptr),
        EVP_MD_fetch(nullptr, "SHA1", nullptr),
        EVP_MD_fetch(nullptr, "SHA224", nullptr),
        EVP_MD_fetch(nullptr, "SHA256", nullptr),
        EVP_MD_fetch(nullptr, "SHA384", nullptr),
        EVP_MD_fetch(nullptr, "SHA512", nullptr),
    };
    auto i = static_cast<std::size_t>(p);
    return i < std::size(md) ? md[i] : nullptr;
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct HmacCtxFree {
    void operator()(HMAC_CTX* c) const { HMAC_CTX_free(c); }
};
struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Hash of the concatenation of `parts`.
std::string hash(AuthProto p, std::initializer_list<std::string_view> parts) {
    const EVP_MD* md = digest(p);
    if (!md) return {};
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!ctx || !EVP_DigestInit_ex(ctx.get(), md, nullptr)) return {};
    for (auto s : parts)
        if (!EVP_DigestUpdate(ctx.get(), s.data(), s.size())) return {};
    if (!EVP_DigestFinal_ex(ctx.get(), out, &n)) return {};
    return std::string(reinterpret_cast<char*>(out), n);
}

// HMAC over `message` with [auth_offset, auth_offset + zeros) read as zero bytes. Through
// HMAC_CTX (deprecated, as DES is) with the digest fetched once: EVP_MAC looks its digest
// up by name at every init, which costs more than the HMAC of a trap.
bool hmac(AuthProto p, std::string_view key, std::span<const std::uint8_t> message,
          std::size_t auth_offset, std::size_t zeros, unsigned char* out, std::size_t& n) {
    const EVP_MD* md = digest(p);
    if (!md) return false;
    std::unique_ptr<HMAC_CTX, HmacCtxFree> ctx(HMAC_CTX_new());
    if (!ctx || !HMAC_Init_ex(ctx.get(), key.data(), static_cast<int>(key.size()), md, nullptr))
        return false;
    static const unsigned char zero[64] = {};
    std::size_t rest = auth_offset + zeros;
    unsigned int len = 0;
    if (!HMAC_Update(ctx.get(), message.data(), auth_offset) ||
        !HMAC_Update(ctx.get(), zero, zeros) ||
        !HMAC_Update(ctx.get(), message.data() + rest, message.size() - rest) ||
        !HMAC_Final(ctx.get(), out, &len))
        return false;
    n = len;
    return true;
}

std::string upper_without_dashes(std::string_view name) {
    std::string s;
    for (unsigned char c : name)
        if (c != '-' && c != '_') s += static_cast<char>(std::toupper(c));
    return s;
}

std::size_t priv_key_length(PrivProto p) {
    switch (p) {
        case PrivProto::des:
            return 16;  // 8 key bytes, 8 pre-IV bytes
        case PrivProto::aes128:
            return 16;
        case PrivProto::aes192:
            return 24;
        case PrivProto::aes256:
            return 32;
        case PrivProto::none:
            break;
    }
    return 0;
}

const EVP_CIPHER* aes_cipher(PrivProto p) {
    // Fetched once: EVP_aes_*() makes OpenSSL 3 look the implementation up again at every
    // EVP_CipherInit_ex, which costs more than decrypting a trap.
    static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-CFB", nullptr);
    static EVP_CIPHER* const aes192 = EVP_CIPHER_fetch(nullptr, "AES-192-CFB", nullptr);
    static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-CFB", nullptr);
    switch (p) {
        case PrivProto::aes128:
            return aes128;
        case PrivProto::aes192:
            return aes192;
        case PrivProto::aes256:
            return aes256;
        default:
            return nullptr;
    }
}

void put_be32(unsigned char* p, std::uint32_t v) {
    p[0] = static_cast<unsigned char>(v >> 24);
    p[1] = static_cast<unsigned char>(v >> 16);
    p[2] = static_cast<unsigned char>(v >> 8);
    p[3] = static_cast<unsigned char>(v);
}

bool aes(PrivProto p, std::string_view key, std::uint32_t boots, std::uint32_t time,
         std::string_view salt, std::string_view in, std::string& out, bool encrypting) {
    const EVP_CIPHER* cipher = aes_cipher(p);
    if (!cipher || salt.size() != 8 || key.size() < priv_key_length(p)) return false;
    // RFC 3826 3.1.2.1: IV = engine boots || engine time || the 64-bit salt.
    unsigned char iv[16];
    put_be32(iv, boots);
    put_be32(iv + 4, time);
    std::copy(salt.begin(), salt.end(), iv + 8);
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    if (!ctx || !EVP_CipherInit_ex(ctx.get(), cipher, nullptr,
                                   reinterpret_cast<const unsigned char*>(key.data()), iv,
                                   encrypting ? 1 : 0))
        return false;
    out.resize(in.size());
    int n1 = 0, n2 = 0;
    if (!EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n1,
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size())))
        return false;
    if (!EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n1, &n2))
        return false;
    out.resize(static_cast<std::size_t>(n1 + n2));
    return true;
}

bool des(std::string_view key, std::string_view salt, std::string_view in, std::string& out,
         bool encrypting) {
    if (salt.size() != 8 || key.size() < 16 || in.size() % 8 != 0) return false;
    // RFC 3414 8.1.1.1: DES key = the first 8 bytes of the localized key, IV = the
    // next 8 (the pre-IV) XOR the salt.
    DES_cblock k, iv;
    std::copy_n(key.data(), 8, k);
    for (int i = 0; i < 8; ++i)
        iv[i] = static_cast<unsigned char>(key[8 + i] ^ salt[i]);
    DES_key_schedule ks;
    DES_set_key_unchecked(&k, &ks);
    out.resize(in.size());
    DES_ncbc_encrypt(reinterpret_cast<const unsigned char*>(in.data()),
                     reinterpret_cast<unsigned char*>(out.data()), static_cast<long>(in.size()),
                     &ks, &iv, encrypting ? DES_ENCRYPT : DES_DECRYPT);
    OPENSSL_cleanse(&ks, sizeof ks);
    OPENSSL_cleanse(k, sizeof k);
    return true;
}

}  // namespace

bool parse_auth_proto(std::string_view name, AuthProto& out) {
    auto n = upper_without_dashes(name);
    if (n == "MD5")
        out = AuthProto::md5;
    else if (n == "SHA" || n == "SHA1")
        out = AuthProto::sha1;
    else if (n == "SHA224")
        out = AuthProto::sha224;
    else if (n == "SHA256")
        out = AuthProto::sha256;
    else if (n == "SHA384")
        out = AuthProto::sha384;
    else if (n == "SHA512")
        out = AuthProto::sha512;
    else if (n == "NONE")
        out = AuthProto::none;
    else
        return false;
    return true;
}

bool parse_priv_proto(std::string_view name, PrivProto& out) {
    auto n = upper_without_dashes(name);
    if (n == "DES")
        out = PrivProto::des;
    else if (n == "AES" || n == "AES128")
        out = PrivProto::aes128;
    else if (n == "AES192")
        out = PrivProto::aes192;
    else if (n == "AES256")
        out = PrivProto::aes256;
    else if (n == "NONE")
        out = PrivProto::none;
    else
        return false;
    return true;
}

std::string_view to_string(AuthProto p) {
    switch (p) {
        case AuthProto::none:
            return "none";
        case AuthProto::md5:
            return "MD5";
        case AuthProto::sha1:
            return "SHA";
        case AuthProto::sha224:
            return "SHA-224";
        case AuthProto::sha256:
            return "SHA-256";
        case AuthProto::sha384:
            return "SHA-384";
        case AuthProto::sha512:
            return "SHA-512";
    }
    return "none";
}

std::string_view to_string(PrivProto p) {
    switch (p) {
        case PrivProto::none:
            return "none";
        case PrivProto::des:
            return "DES";
        case PrivProto::aes128:
            return "AES";
        case PrivProto::aes192:
            return "AES-192";
        case PrivProto::aes256:
            return "AES-256";
    }
    return "none";
}

std::size_t auth_params_length(AuthProto p) {
    switch (p) {
        case AuthProto::md5:
        case AuthProto::sha1:
            return 12;
        case AuthProto::sha224:
            return 16;
        case AuthProto::sha256:
            return 24;
        case AuthProto::sha384:
            return 32;
        case AuthProto::sha512:
            return 48;
        case AuthProto::none:
            break;
    }
    return 0;
}

std::string password_to_key(AuthProto p, std::string_view password) {
    const EVP_MD* md = digest(p);
    if (!md || password.empty()) return {};
    // RFC 3414 A.2 (and RFC 7860 4.2.2 for SHA-2): hash the first 1,048,576 bytes of the
    // password repeated without end, fed in 64-byte pieces.
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || !EVP_DigestInit_ex(ctx.get(), md, nullptr)) return {};
    unsigned char buf[64];
    std::size_t index = 0;
    for (std::size_t count = 0; count < 1048576; count += sizeof buf) {
        for (auto& b : buf)
            b = static_cast<unsigned char>(password[index++ % password.size()]);
        if (!EVP_DigestUpdate(ctx.get(), buf, sizeof buf)) return {};
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_DigestFinal_ex(ctx.get(), out, &n)) return {};
    OPENSSL_cleanse(buf, sizeof buf);
    return std::string(reinterpret_cast<char*>(out), n);
}

std::string localize_key(AuthProto p, std::string_view ku, std::string_view engine_id) {
    return hash(p, {ku, engine_id, ku});
}

std::string localize_priv_key(AuthProto auth, PrivProto priv, std::string_view ku_priv,
                              std::string_view engine_id) {
    std::string kul = localize_key(auth, ku_priv, engine_id);
    std::size_t need = priv_key_length(priv);
    if (kul.empty() || kul.size() >= need) return kul;
    // Only AES-192/256 get here (16 or 20 bytes from MD5/SHA-1). net-snmp 5.9 built with
    // --enable-blumenthal-aes (Debian's is) extends the key for usmAES192/256PrivProtocol
    // by draft-blumenthal-aes-usm-04 3.1.2.1: Kul = Kul || H(Kul), the hash taken over all
    // the key grown so far, until it is long enough; the surplus is cut off. (Cisco's
    // "AES-256-C" variant, after Reeder, extends differently and is not offered.)
    while (kul.size() < need) {
        std::string more = hash(auth, {kul});
        if (more.empty()) return {};
        kul.append(more, 0, std::min(more.size(), need - kul.size()));
    }
    return kul;
}

bool verify_digest(AuthProto p, std::string_view kul, std::span<const std::uint8_t> message,
                   std::size_t auth_offset) {
    std::size_t len = auth_params_length(p);
    if (len == 0 || auth_offset > message.size() || message.size() - auth_offset < len)
        return false;
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t n = 0;
    if (!hmac(p, kul, message, auth_offset, len, mac, n) || n < len) return false;
    return CRYPTO_memcmp(mac, message.data() + auth_offset, len) == 0;
}

void sign(AuthProto p, std::string_view kul, std::span<std::uint8_t> message,
          std::size_t auth_offset) {
    std::size_t len = auth_params_length(p);
    if (len == 0 || auth_offset > message.size() || message.size() - auth_offset < len) return;
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t n = 0;
    if (!hmac(p, kul, message, auth_offset, len, mac, n) || n < len) return;
    std::copy_n(mac, len, message.data() + auth_offset);
}

bool decrypt(PrivProto p, std::string_view key, std::uint32_t boots, std::uint32_t time,
             std::string_view priv_params, std::string_view ciphertext, std::string& plaintext) {
    if (p == PrivProto::des) return des(key, priv_params, ciphertext, plaintext, false);
    return aes(p, key, boots, time, priv_params, ciphertext, plaintext, false);
}

bool encrypt(PrivProto p, std::string_view key, std::uint32_t boots, std::uint32_t time,
             std::uint64_t salt, std::string_view plaintext, std::string& ciphertext,
             std::string& priv_params) {
    unsigned char s[8];
    if (p == PrivProto::des) {
        // RFC 3414 8.1.1.1: salt = engine boots || a local 32-bit counter, so a salt
        // never repeats under one key even when the counter restarts with the engine.
        put_be32(s, boots);
        put_be32(s + 4, static_cast<std::uint32_t>(salt));
    } else {
        put_be32(s, static_cast<std::uint32_t>(salt >> 32));
        put_be32(s + 4, static_cast<std::uint32_t>(salt));
    }
    priv_params.assign(reinterpret_cast<char*>(s), 8);
    if (p == PrivProto::des) {
        // CBC needs whole blocks; the receiver's BER decoder ignores what follows the
        // ScopedPDU, so zero padding is enough.
        std::string padded(plaintext);
        padded.resize((padded.size() + 7) / 8 * 8, '\0');
        return des(key, priv_params, padded, ciphertext, true);
    }
    return aes(p, key, boots, time, priv_params, plaintext, ciphertext, true);
}

}  // namespace dce::trap
