#pragma once
// Detached signatures over upgrade files: RSA (PKCS#1 v1.5 or PSS), ECDSA and Ed25519,
// public key in PEM. RSA and ECDSA sign a digest, so the file is streamed once and the
// digest verified; Ed25519 signs the whole message, so the file is mapped.

#include "crypto/digest.hpp"

#include <string>

namespace dce::crypto {

struct SignatureCheck {
    bool verified = false;
    bool usable = false;      ///< false: key/signature/file could not be used (see error)
    std::string error;        ///< why not usable
    std::string error_code;   ///< key, signature, io, changed
    std::string key_type;     ///< RSA-3072, EC-P-256, ED25519
    std::string scheme;       ///< rsa-pkcs1v15, rsa-pss, ecdsa, ed25519
    std::string file_digest;  ///< hex digest of the file (not for ed25519)
};

/// Verifies `signature_path` (raw bytes, or base64 text) over `file_path` with the PEM
/// public key (or certificate) in `public_key_path`. `digest` is the hash the signer used
/// for RSA/ECDSA; RSA tries PKCS#1 v1.5 and then PSS (any salt length).
SignatureCheck verify_detached_signature(const std::string& file_path,
                                         const std::string& signature_path,
                                         const std::string& public_key_path,
                                         DigestAlgorithm digest);

}  // namespace dce::crypto
