// dce-upgrade-verify: thin glue from the command line to dce::run_upgrade_verify.
#include "core/cli.hpp"
#include "core/exit_codes.hpp"
#include "upgrade/upgrade_verify.hpp"

#include <spdlog/spdlog.h>

namespace {

const dce::cli::ToolDoc doc{
    .name = "dce-upgrade-verify",
    .summary = "Verify firmware and upgrade files against published checksums or signatures",
    .description =
        "Checks downloaded upgrade files before they are installed, as the Data Center Expert "
        "security handbook asks: against a digest given on the command line, against a "
        "checksum list in GNU (sha256sum) or BSD (SHA256 (file) = ...) format, or against a "
        "detached RSA, ECDSA or Ed25519 signature with the vendor's public key.\n\n"
        "Each file gets a finding record: upgrade.digest (pass or fail, with the algorithm, "
        "the expected and the actual digest) and, for signatures, upgrade.signature. A SHA-1 "
        "match passes but adds an upgrade.digest-strength warning, since SHA-1 is "
        "collision-broken: ask the vendor for SHA-256. Digests are compared in constant time.\n\n"
        "Files are streamed through OpenSSL with large reads, several at a time (--jobs), so "
        "files of any size, including over 4 GiB, and standard input (-) work. A file that "
        "changes while it is read (a download still running) is reported, not trusted.\n\n"
        "Names in a checksum list are read relative to the list's folder (or --base-dir). "
        "Malformed list lines (bad hex, wrong length, unknown algorithm, a file listed twice "
        "with different digests) are reported with their line number as error records, and "
        "the well-formed lines are still checked; a list saved with CR LF line ends is accepted "
        "with a warning.",
    .reads = {},
    .writes = {"finding", "error"},
    .examples =
        {
            {"dce-upgrade-verify --sha1 3f786850e387550fdab836ed7e6dc881de23001b "
             "dce-upgrade-8.3.0.iso",
             "Check an upgrade ISO against the SHA-1 published on the download page (passes with a "
             "weak-digest warning)."},
            {"dce-upgrade-verify --check SHA256SUMS", "Check every file a SHA256SUMS list names."},
            {"dce-upgrade-verify --check SHA256SUMS apc_hw05_aos_682.bin",
             "Check one file against its line in the list."},
            {"dce-upgrade-verify --signature fw.bin.sig --public-key vendor.pem fw.bin",
             "Verify a detached signature (RSA PKCS#1 v1.5 or PSS, ECDSA, Ed25519)."},
            {"curl -s https://downloads.example/fw.bin | dce-upgrade-verify --sha256 HEX -",
             "Verify a download as it streams in."},
            {"dce-upgrade-verify --check SHA256SUMS | jq -r 'select(.status==\"fail\") | .target'",
             "List the files that failed."},
        },
    .environment = {},
    .files = {},
    .sections = {},
    .see_also = {"sha256sum(1)", "openssl-dgst(1)", "dce-audit(1)"},
};

}  // namespace

int main(int argc, char** argv) {
    dce::cli::CommonOptions common;
    auto app = dce::cli::make_app(doc, common);
    dce::UpgradeVerifyOptions opts;
    std::string sha1, sha256, sha512, sig_digest = "sha256";
    app->add_option("files", opts.files, "Files to verify; - reads standard input")
        ->type_name("FILE");
    app->add_option("--sha1", sha1,
                    "Expected SHA-1 of FILE (hex; collision-broken, so a match also warns)")
        ->type_name("HEX");
    app->add_option("--sha256", sha256, "Expected SHA-256 of FILE (hex)")->type_name("HEX");
    app->add_option("--sha512", sha512, "Expected SHA-512 of FILE (hex)")->type_name("HEX");
    app->add_option("-c,--check", opts.checksum_list,
                    "Checksum list (GNU or BSD format, algorithm detected); - reads standard input")
        ->type_name("FILE");
    app->add_option("--base-dir", opts.base_dir,
                    "Folder the names in the checksum list are relative to")
        ->type_name("DIR");
    app->add_flag("--ignore-missing", opts.ignore_missing, "Skip listed files that do not exist");
    app->add_option("--signature", opts.signature, "Detached signature of FILE (raw or base64)")
        ->type_name("FILE");
    app->add_option("--public-key", opts.public_key, "Signer's public key or certificate (PEM)")
        ->type_name("PEMFILE");
    app->add_option("--signature-digest", sig_digest, "Digest the RSA or ECDSA signer used")
        ->check(CLI::IsMember({"sha256", "sha384", "sha512", "sha1"}))
        ->capture_default_str();
    app->add_option("-j,--jobs", opts.jobs, "Files hashed at once (default: one per core)")
        ->type_name("N");

    return dce::cli::run_tool(*app, doc, common, argc, argv, [&](dce::ToolContext& ctx) {
        int given = !sha1.empty() + !sha256.empty() + !sha512.empty();
        if (given > 1) {
            spdlog::error("give one of --sha1, --sha256, --sha512");
            return static_cast<int>(dce::exit_usage);
        }
        using dce::crypto::DigestAlgorithm;
        if (!sha1.empty())
            opts.expected_algorithm = DigestAlgorithm::sha1, opts.expected_hex = sha1,
            opts.expected_flag = "--sha1";
        if (!sha256.empty())
            opts.expected_algorithm = DigestAlgorithm::sha256, opts.expected_hex = sha256,
            opts.expected_flag = "--sha256";
        if (!sha512.empty())
            opts.expected_algorithm = DigestAlgorithm::sha512, opts.expected_hex = sha512,
            opts.expected_flag = "--sha512";
        opts.signature_digest = *dce::crypto::algorithm_from_name(sig_digest);
        std::string error;
        if (!dce::validate_upgrade_verify_options(opts, error)) {
            spdlog::error("{}", error);
            return static_cast<int>(dce::exit_usage);
        }
        return dce::run_upgrade_verify(ctx, opts);
    });
}
