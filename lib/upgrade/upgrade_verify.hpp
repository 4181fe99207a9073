#pragma once
// dce-upgrade-verify: check upgrade files against published digests, checksum lists or
// detached signatures before installing them, as the DCE handbook asks.

#include "core/context.hpp"
#include "crypto/digest.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dce {

struct UpgradeVerifyOptions {
    std::vector<std::string> files;  ///< "-" is stdin
    /// A digest given on the command line (--sha1/--sha256/--sha512).
    std::optional<crypto::DigestAlgorithm> expected_algorithm;
    std::string expected_hex;
    std::string expected_flag;  ///< "--sha256", for evidence
    std::string checksum_list;  ///< --check LIST ("-" = stdin)
    std::string base_dir;       ///< where listed names are found (default: the list's folder)
    bool ignore_missing = false;
    std::string signature;   ///< --signature FILE
    std::string public_key;  ///< --public-key PEM
    crypto::DigestAlgorithm signature_digest = crypto::DigestAlgorithm::sha256;
    unsigned jobs = 0;  ///< 0 = one per core
};

/// Checks the options make sense together; false with a usage message.
bool validate_upgrade_verify_options(UpgradeVerifyOptions& o, std::string& error);

/// Writes one `finding` per check (and `error` records for unreadable files or bad list
/// lines); returns the exit status of DESIGN.md.
int run_upgrade_verify(ToolContext& ctx, const UpgradeVerifyOptions& o);

}  // namespace dce
