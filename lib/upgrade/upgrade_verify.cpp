#include "upgrade/upgrade_verify.hpp"

#include "core/exit_codes.hpp"
#include "core/files.hpp"
#include "core/signals.hpp"
#include "crypto/checksum_list.hpp"
#include "crypto/signature.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <thread>

namespace dce {
namespace {

using crypto::DigestAlgorithm;

constexpr std::string_view tool_name = "dce-upgrade-verify";
constexpr std::string_view handbook_ref =
    "Data Center Expert security handbook: verify the upgrade file's checksum before installing it";

struct Job {
    std::string file;  ///< as the user or the list named it
    std::string path;  ///< where it is read from
    DigestAlgorithm algorithm;
    std::string expected;  ///< lower-case hex; empty when the file is not listed
    std::string source;    ///< "--sha256" or "SHA256SUMS:3"
    bool listed = true;
};

struct Outcome {
    crypto::FileDigest digest;
};

std::string dirname_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

bool is_absolute(const std::string& p) {
    return !p.empty() && p.front() == '/';
}

Json digest_evidence(const Job& j, const crypto::FileDigest* d) {
    Json e = Json::object();
    e["algorithm"] = crypto::name(j.algorithm);
    e["expected"] = j.expected;
    if (d) {
        e["actual"] = d->hex;
        e["bytes"] = d->bytes;
    }
    e["source"] = j.source;
    return e;
}

void write_strength_warning(RecordWriter& out, const Job& j) {
    Finding f{.tool = std::string(tool_name),
              .check = "upgrade.digest-strength",
              .target = j.file,
              .status = Status::warn,
              .severity = Severity::medium,
              .message =
                  "SHA-1 is collision-broken: a matching SHA-1 digest does not prove this is "
                  "the vendor's file; ask the vendor to publish SHA-256 (or SHA-512) digests",
              .evidence = {{"algorithm", "sha1"},
                           {"recommended", crypto::name(crypto::recommended_digest)},
                           {"source", j.source}},
              .reference =
                  "NIST SP 800-131A Rev. 2 (SHA-1 disallowed for digital signatures); "
                  "SHAttered (2017) and SHA-1 is a Shambles (2020) collisions"};
    out.write(to_record(f));
}

}  // namespace

bool validate_upgrade_verify_options(UpgradeVerifyOptions& o, std::string& error) {
    int modes = (o.expected_algorithm ? 1 : 0) + (!o.checksum_list.empty() ? 1 : 0);
    if (modes > 1) {
        error =
            "give either a digest (--sha1/--sha256/--sha512) or a checksum list (--check), not "
            "both";
        return false;
    }
    if (!o.signature.empty() != !o.public_key.empty()) {
        error = "--signature and --public-key go together";
        return false;
    }
    if (modes == 0 && o.signature.empty()) {
        error =
            "nothing to verify against: give --sha256 HEX (or --sha1/--sha512), --check LIST, "
            "or --signature SIG --public-key KEY";
        return false;
    }
    if (o.expected_algorithm) {
        std::string hex = o.expected_hex;
        if (!crypto::is_hex(hex) || hex.size() != crypto::hex_length(*o.expected_algorithm)) {
            error = std::string(o.expected_flag) + " wants " +
                    std::to_string(crypto::hex_length(*o.expected_algorithm)) +
                    " hex digits, got " +
                    (crypto::is_hex(hex) ? std::to_string(hex.size()) + " digits"
                                         : "'" + hex.substr(0, 80) + "'");
            return false;
        }
        o.expected_hex = crypto::to_lower_hex(hex);
        if (o.files.size() != 1) {
            error = std::string(o.expected_flag) +
                    " gives the digest of one file; name exactly one FILE";
            return false;
        }
    }
    if (!o.signature.empty() && o.files.size() != 1) {
        error = "--signature verifies one file; name exactly one FILE";
        return false;
    }
    if (o.checksum_list.empty() && o.files.empty()) {
        error = "name the FILE to verify";
        return false;
    }
    int stdin_uses = (o.checksum_list == "-" ? 1 : 0);
    for (const auto& f : o.files)
        stdin_uses += f == "-" ? 1 : 0;
    if (stdin_uses > 1) {
        error = "standard input ('-') can be read only once";
        return false;
    }
    if (o.jobs == 0) o.jobs = std::max(1u, std::thread::hardware_concurrency());
    return true;
}

int run_upgrade_verify(ToolContext& ctx, const UpgradeVerifyOptions& o) {
    RecordWriter& out = ctx.out();
    int status = exit_ok;
    std::vector<Job> jobs;

    if (o.expected_algorithm) {
        jobs.push_back(
            {o.files[0], o.files[0], *o.expected_algorithm, o.expected_hex, o.expected_flag});
    } else if (!o.checksum_list.empty()) {
        std::string text, why;
        if (!read_file_capped(o.checksum_list, max_small_file, text, why)) {
            if (interrupted()) return exit_interrupted;
            why = "checksum list: " + why;
            out.write(make_error_record(tool_name, o.checksum_list, "io", why));
            spdlog::error("{}", why);
            return exit_usage;
        }
        auto list = crypto::parse_checksum_list(text);
        std::string list_name = o.checksum_list == "-" ? "<stdin>" : o.checksum_list;
        for (const auto& p : list.problems) {
            std::string where = list_name + ":" + std::to_string(p.line);
            if (p.fatal) {
                spdlog::error("{}: {}", where, p.message);
                out.write(make_error_record(tool_name, where, "bad-list-line", p.message));
                // A bad line is input that failed while the rest is still checked: 3,
                // as a bad line is in every tool that reads lines (DESIGN.md).
                status = worse_exit(status, exit_runtime);
            } else {
                spdlog::warn("{}: {}", where, p.message);
            }
        }
        if (list.entries.empty() && o.files.empty()) {
            spdlog::error("{}: no usable checksum lines", list_name);
            return exit_usage;
        }
        std::string base = !o.base_dir.empty()      ? o.base_dir
                           : o.checksum_list == "-" ? "."
                                                    : dirname_of(o.checksum_list);
        auto resolve = [&](const std::string& f) {
            return is_absolute(f) || base == "." ? f : base + "/" + f;
        };
        if (o.files.empty()) {
            for (const auto& e : list.entries)
                jobs.push_back({e.file, resolve(e.file), e.algorithm, e.hex,
                                list_name + ":" + std::to_string(e.line)});
        } else {
            for (const auto& f : o.files) {
                // A file named on the command line is looked up by its name in the list,
                // and read where the user said it is.
                std::string key = f;
                const auto* e = list.find(key);
                if (!e) {
                    auto slash = f.rfind('/');
                    if (slash != std::string::npos) e = list.find(f.substr(slash + 1));
                }
                if (e)
                    jobs.push_back(
                        {f, f, e->algorithm, e->hex, list_name + ":" + std::to_string(e->line)});
                else
                    jobs.push_back({f, f, DigestAlgorithm::sha256, "", list_name, false});
            }
        }
    }

    // Hash in parallel, report in input order.
    std::vector<std::future<crypto::FileDigest>> results;
    std::size_t next = 0;
    auto launch = [&] {
        const Job& j = jobs[next++];
        results.push_back(std::async(std::launch::async, [&j] {
            if (!j.listed) return crypto::FileDigest{};
            return crypto::digest_file(j.path, j.algorithm);
        }));
    };
    while (next < jobs.size() && next < o.jobs)
        launch();
    std::size_t ok = 0, mismatched = 0, unreadable = 0, missing = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        crypto::FileDigest d = results[i].get();
        if (next < jobs.size()) launch();
        const Job& j = jobs[i];
        if (interrupted()) return exit_interrupted;
        if (!j.listed) {
            Finding f{
                .tool = std::string(tool_name),
                .check = "upgrade.digest",
                .target = j.file,
                .status = Status::fail,
                .severity = Severity::high,
                .message =
                    "'" + j.file +
                    "' is not in the checksum list, so it cannot be verified; do not install it",
                .evidence = {{"source", j.source}},
                .reference = std::string(handbook_ref)};
            out.write(to_record(f));
            ++mismatched;
            status = worse_exit(status, exit_check_failed);
            continue;
        }
        if (!d.ok) {
            if (d.error_code == "not-found" && o.ignore_missing && o.files.empty()) {
                ++missing;
                continue;
            }
            spdlog::error("{}", d.error);
            out.write(make_error_record(tool_name, j.file, d.error_code, d.error));
            ++unreadable;
            status = worse_exit(status, exit_runtime);
            continue;
        }
        bool match = crypto::digest_equal(d.hex, j.expected);
        Finding f{.tool = std::string(tool_name),
                  .check = "upgrade.digest",
                  .target = j.file,
                  .status = match ? Status::pass : Status::fail,
                  .severity = match ? Severity::info : Severity::high,
                  .message = match ? std::string(crypto::list_name(j.algorithm)) +
                                         " digest matches the published one"
                                   : std::string(crypto::list_name(j.algorithm)) +
                                         " digest does NOT match the published one: the file is "
                                         "corrupt or not the vendor's; do not install it",
                  .evidence = digest_evidence(j, &d),
                  .reference = std::string(handbook_ref)};
        out.write(to_record(f));
        if (crypto::is_collision_broken(j.algorithm)) write_strength_warning(out, j);
        if (match) {
            ++ok;
        } else {
            ++mismatched;
            status = worse_exit(status, exit_check_failed);
        }
    }

    if (!o.signature.empty()) {
        const std::string& file = o.files[0];
        auto sc =
            crypto::verify_detached_signature(file, o.signature, o.public_key, o.signature_digest);
        if (interrupted()) return exit_interrupted;
        if (!sc.usable) {
            spdlog::error("{}", sc.error);
            out.write(make_error_record(tool_name, file, sc.error_code, sc.error));
            ++unreadable;
            status = worse_exit(status, sc.error_code == "key" || sc.error_code == "signature"
                                            ? exit_usage
                                            : exit_runtime);
        } else {
            Json ev = {{"signature", o.signature},
                       {"public_key", o.public_key},
                       {"key_type", sc.key_type},
                       {"scheme", sc.scheme}};
            if (!sc.file_digest.empty()) {
                ev["digest"] = crypto::name(o.signature_digest);
                ev["file_digest"] = sc.file_digest;
            }
            Finding f{
                .tool = std::string(tool_name),
                .check = "upgrade.signature",
                .target = file,
                .status = sc.verified ? Status::pass : Status::fail,
                .severity = sc.verified ? Severity::info : Severity::critical,
                .message = sc.verified ? "detached signature verifies with " + sc.key_type +
                                             " key (" + sc.scheme + ")"
                                       : "detached signature does NOT verify with the given " +
                                             sc.key_type +
                                             " key: the file, the signature or the key is wrong; "
                                             "do not install it",
                .evidence = ev,
                .reference =
                    "Verify vendor signatures on firmware before installing (NIST SP 800-193)"};
            out.write(to_record(f));
            if (sc.verified)
                ++ok;
            else
                ++mismatched, status = worse_exit(status, exit_check_failed);
        }
    }
    spdlog::info("{} verified, {} failed, {} unreadable{}", ok, mismatched, unreadable,
                 missing ? ", " + std::to_string(missing) + " missing (ignored)" : std::string());
    return status;
}

}  // namespace dce
