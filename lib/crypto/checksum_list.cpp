#include "crypto/checksum_list.hpp"

#include <map>

namespace dce::crypto {
namespace {

// GNU's escaping: a line starting with '\' has "\\" and "\n" in its file name.
bool unescape(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '\\') {
            out.push_back(in[i]);
            continue;
        }
        if (++i == in.size()) return false;
        if (in[i] == '\\')
            out.push_back('\\');
        else if (in[i] == 'n')
            out.push_back('\n');
        else if (in[i] == 'r')
            out.push_back('\r');
        else
            return false;
    }
    return true;
}

std::string printable(std::string_view s, std::size_t max = 40) {
    std::string out;
    for (char c : s.substr(0, max)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    if (s.size() > max) out += "...";
    return out;
}

bool check_digest(std::string_view hex, DigestAlgorithm alg, std::string& why) {
    if (!is_hex(hex)) {
        std::size_t bad = 0;
        while (bad < hex.size() && is_hex(hex.substr(bad, 1)))
            ++bad;
        why = "digest has a character that is not hex ('" + printable(hex.substr(bad, 1)) +
              "' at position " + std::to_string(bad + 1) + ")";
        return false;
    }
    if (hex.size() != hex_length(alg)) {
        why = std::string(list_name(alg)) + " digest must be " + std::to_string(hex_length(alg)) +
              " hex digits, this one has " + std::to_string(hex.size());
        return false;
    }
    return true;
}

}  // namespace

bool ChecksumList::has_errors() const {
    for (const auto& p : problems)
        if (p.fatal) return true;
    return false;
}

const ChecksumEntry* ChecksumList::find(std::string_view file) const {
    for (const auto& e : entries)
        if (e.file == file) return &e;
    // "./name" and "name" are the same file.
    auto strip = [](std::string_view f) { return f.substr(0, 2) == "./" ? f.substr(2) : f; };
    for (const auto& e : entries)
        if (strip(e.file) == strip(file)) return &e;
    return nullptr;
}

ChecksumList parse_checksum_list(std::string_view text) {
    ChecksumList out;
    std::map<std::string, std::size_t> seen;  // file -> index in entries
    std::size_t lineno = 0;
    auto problem = [&](std::string msg, bool fatal = true) {
        out.problems.push_back({lineno, std::move(msg), fatal});
    };
    bool warned_crlf = false;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++lineno;
        if (!line.empty() && line.back() == '\r') {
            // Lists saved on Windows: tolerated, or every file name would end in "\r".
            line.remove_suffix(1);
            if (!warned_crlf) {
                problem("line ends with CR LF (a list saved on Windows); the CR is ignored", false);
                warned_crlf = true;
            }
        }
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        if (line.front() == '#') continue;
        if (line.find('\0') != std::string_view::npos) {
            problem("line holds a NUL byte");
            continue;
        }

        ChecksumEntry e{{}, DigestAlgorithm::sha256, {}, lineno};
        std::string why;
        auto paren = line.find('(');
        auto close = line.rfind(") = ");
        auto close_ossl = line.rfind(")= ");
        bool bsd = paren != std::string_view::npos && paren > 0 &&
                   (close != std::string_view::npos || close_ossl != std::string_view::npos) &&
                   !is_hex(line.substr(0, line.find_first_of(" \t*")));
        if (bsd) {
            auto alg_name = line.substr(0, paren);
            while (!alg_name.empty() && alg_name.back() == ' ')
                alg_name.remove_suffix(1);
            std::size_t end = close != std::string_view::npos ? close : close_ossl;
            std::size_t hex_at = close != std::string_view::npos ? close + 4 : close_ossl + 3;
            auto alg = algorithm_from_name(alg_name);
            if (!alg) {
                std::string upper(alg_name);
                bool weak = upper == "MD5" || upper == "MD4" || upper == "md5";
                problem("unknown digest algorithm '" + printable(alg_name) + "'" +
                        (weak ? " (MD5 is broken and cannot vouch for an upgrade; ask the vendor "
                                "for SHA-256)"
                              : " (expected SHA1, SHA224, SHA256, SHA384 or SHA512)"));
                continue;
            }
            e.algorithm = *alg;
            e.file = std::string(line.substr(paren + 1, end - paren - 1));
            auto hex = line.substr(hex_at);
            while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\t'))
                hex.remove_suffix(1);
            if (!check_digest(hex, e.algorithm, why)) {
                problem(why);
                continue;
            }
            e.hex = to_lower_hex(hex);
        } else {
            bool escaped = line.front() == '\\';
            if (escaped) line.remove_prefix(1);
            auto sep = line.find_first_of(" \t");
            if (sep == std::string_view::npos) {
                problem("expected '<digest>  <file>' or 'SHA256 (<file>) = <digest>'");
                continue;
            }
            auto hex = line.substr(0, sep);
            auto rest = line.substr(sep);
            // GNU writes two characters between digest and name: " " + (' ' text | '*' binary).
            if (rest.size() >= 2 && (rest[1] == ' ' || rest[1] == '*'))
                rest.remove_prefix(2);
            else
                rest.remove_prefix(1);
            if (rest.empty()) {
                problem("no file name after the digest");
                continue;
            }
            auto alg = algorithm_from_hex_length(hex.size());
            if (!is_hex(hex)) {
                check_digest(hex, DigestAlgorithm::sha256, why);
                problem(why);
                continue;
            }
            if (!alg) {
                problem("a digest of " + std::to_string(hex.size()) +
                        " hex digits matches no supported algorithm (40 SHA-1, 56 SHA-224, "
                        "64 SHA-256, 96 SHA-384, 128 SHA-512)" +
                        (hex.size() == 32 ? "; 32 is MD5, which is broken and not accepted" : ""));
                continue;
            }
            e.algorithm = *alg;
            e.hex = to_lower_hex(hex);
            if (escaped) {
                if (!unescape(rest, e.file)) {
                    problem("bad escape sequence in the file name");
                    continue;
                }
            } else {
                e.file = std::string(rest);
            }
        }
        if (e.file.empty()) {
            problem("empty file name");
            continue;
        }
        if (auto it = seen.find(e.file); it != seen.end()) {
            if (it->second == static_cast<std::size_t>(-1)) {
                problem("'" + printable(e.file) + "' is listed yet again; already ambiguous");
                continue;
            }
            const auto& first = out.entries[it->second];
            if (first.hex == e.hex && first.algorithm == e.algorithm) {
                problem("'" + printable(e.file) + "' is listed again (same digest as line " +
                            std::to_string(first.line) + ")",
                        false);
            } else {
                problem("'" + printable(e.file) +
                        "' is listed twice with different digests (lines " +
                        std::to_string(first.line) + " and " + std::to_string(lineno) +
                        "); the list is ambiguous, so neither is trusted");
                out.entries.erase(out.entries.begin() + static_cast<std::ptrdiff_t>(it->second));
                // Reindex after erase; the file stays in `seen` so later copies are refused too.
                for (auto& [f, idx] : seen)
                    if (idx != static_cast<std::size_t>(-1) && idx > it->second) --idx;
                it->second = static_cast<std::size_t>(-1);
            }
            continue;
        }
        seen[e.file] = out.entries.size();
        out.entries.push_back(std::move(e));
    }
    return out;
}

}  // namespace dce::crypto
