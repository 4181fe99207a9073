#include "crypto/digest.hpp"

#include "core/files.hpp"
#include "core/signals.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace dce::crypto {
namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MdFree {
    void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};

std::string hex_of(const unsigned char* p, unsigned n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(n * 2, '0');
    for (unsigned i = 0; i < n; ++i) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    return s;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

const EVP_MD* evp_digest(DigestAlgorithm a) {
    switch (a) {
        case DigestAlgorithm::sha1:
            return EVP_sha1();
        case DigestAlgorithm::sha224:
            return EVP_sha224();
        case DigestAlgorithm::sha256:
            return EVP_sha256();
        case DigestAlgorithm::sha384:
            return EVP_sha384();
        case DigestAlgorithm::sha512:
            return EVP_sha512();
    }
    return EVP_sha256();
}

std::string_view name(DigestAlgorithm a) {
    switch (a) {
        case DigestAlgorithm::sha1:
            return "sha1";
        case DigestAlgorithm::sha224:
            return "sha224";
        case DigestAlgorithm::sha256:
            return "sha256";
        case DigestAlgorithm::sha384:
            return "sha384";
        case DigestAlgorithm::sha512:
            return "sha512";
    }
    return "sha256";
}

std::string_view list_name(DigestAlgorithm a) {
    switch (a) {
        case DigestAlgorithm::sha1:
            return "SHA1";
        case DigestAlgorithm::sha224:
            return "SHA224";
        case DigestAlgorithm::sha256:
            return "SHA256";
        case DigestAlgorithm::sha384:
            return "SHA384";
        case DigestAlgorithm::sha512:
            return "SHA512";
    }
    return "SHA256";
}

std::size_t hex_length(DigestAlgorithm a) {
    switch (a) {
        case DigestAlgorithm::sha1:
            return 40;
        case DigestAlgorithm::sha224:
            return 56;
        case DigestAlgorithm::sha256:
            return 64;
        case DigestAlgorithm::sha384:
            return 96;
        case DigestAlgorithm::sha512:
            return 128;
    }
    return 64;
}

std::optional<DigestAlgorithm> algorithm_from_name(std::string_view n) {
    std::string s;
    for (char c : n)
        if (c != '-' && c != '_')
            s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (s == "sha1") return DigestAlgorithm::sha1;
    if (s == "sha224" || s == "sha2224") return DigestAlgorithm::sha224;
    if (s == "sha256" || s == "sha2256") return DigestAlgorithm::sha256;
    if (s == "sha384" || s == "sha2384") return DigestAlgorithm::sha384;
    if (s == "sha512" || s == "sha2512") return DigestAlgorithm::sha512;
    return std::nullopt;
}

std::optional<DigestAlgorithm> algorithm_from_hex_length(std::size_t n) {
    for (auto a : {DigestAlgorithm::sha1, DigestAlgorithm::sha224, DigestAlgorithm::sha256,
                   DigestAlgorithm::sha384, DigestAlgorithm::sha512})
        if (hex_length(a) == n) return a;
    return std::nullopt;
}

bool is_collision_broken(DigestAlgorithm a) {
    return a == DigestAlgorithm::sha1;
}

bool is_hex(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (hex_value(c) < 0) return false;
    return true;
}

std::string to_lower_hex(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool digest_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size() || a.size() % 2 != 0 || !is_hex(a) || !is_hex(b)) return false;
    std::vector<unsigned char> x(a.size() / 2), y(b.size() / 2);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = static_cast<unsigned char>(hex_value(a[2 * i]) << 4 | hex_value(a[2 * i + 1]));
        y[i] = static_cast<unsigned char>(hex_value(b[2 * i]) << 4 | hex_value(b[2 * i + 1]));
    }
    return CRYPTO_memcmp(x.data(), y.data(), x.size()) == 0;
}

std::string digest_bytes(std::string_view data, DigestAlgorithm alg) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, evp_digest(alg), nullptr);
    return hex_of(md, len);
}

FileDigest digest_file(const std::string& path, DigestAlgorithm alg, std::size_t buffer_bytes) {
    FileDigest r;
    InputFile in(path);
    if (!in.is_open()) {
        r.error_code = in.open_errno() == ENOENT ? "not-found" : "io";
        r.error = "cannot open '" + path + "': " + std::strerror(in.open_errno());
        return r;
    }
    int fd = in.fd();

    struct stat before {};
    bool regular = false;
    if (::fstat(fd, &before) == 0) {
        regular = S_ISREG(before.st_mode);
        if (S_ISDIR(before.st_mode)) {
            r.error_code = "io";
            r.error = "'" + path + "' is a directory";
            return r;
        }
    }
    if (regular) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    // Fetching the implementation once avoids a per-call provider lookup.
    std::unique_ptr<EVP_MD, MdFree> md(
        EVP_MD_fetch(nullptr, std::string(name(alg)).c_str(), nullptr));
    if (!ctx || !md || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1) {
        r.error_code = "crypto";
        r.error = "OpenSSL cannot compute " + std::string(name(alg));
        return r;
    }
    std::unique_ptr<unsigned char[]> buf(new unsigned char[buffer_bytes]);
    while (true) {
        // SIGINT/SIGTERM end the read within one buffer: a device or an endless pipe
        // given by mistake would otherwise be hashed forever.
        if (interrupted()) {
            r.error_code = "interrupted";
            r.error = "reading '" + path + "' was interrupted";
            return r;
        }
        if (!regular) {
            // Hashing runs on a worker thread, which the signal does not interrupt: a
            // silent pipe or socket is waited on in short polls so the stop flag is seen.
            pollfd p{fd, POLLIN, 0};
            int ready = ::poll(&p, 1, 200);
            if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
        }
        ssize_t n = ::read(fd, buf.get(), buffer_bytes);
        if (n > 0) {
            EVP_DigestUpdate(ctx.get(), buf.get(), static_cast<std::size_t>(n));
            r.bytes += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        r.error_code = "io";
        r.error = "cannot read '" + path + "': " + std::strerror(errno);
        return r;
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), out, &len);

    if (regular) {
        struct stat after {};
        bool changed = ::fstat(fd, &after) != 0 || after.st_size != before.st_size ||
                       after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
                       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
                       static_cast<std::uint64_t>(before.st_size) != r.bytes;
        // The name may also have been replaced by another file (a download finishing).
        struct stat now {};
        if (!changed && ::stat(path.c_str(), &now) == 0 &&
            (now.st_ino != before.st_ino || now.st_dev != before.st_dev))
            changed = true;
        if (changed) {
            r.error_code = "changed";
            r.error = "'" + path +
                      "' changed while it was read (is a download or copy still running?); "
                      "its digest means nothing, check it again when it is complete";
            return r;
        }
    }
    r.ok = true;
    r.hex = hex_of(out, len);
    return r;
}

}  // namespace dce::crypto
