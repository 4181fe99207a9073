#pragma once
// Secrets never come from argv (ps shows it): they come from a credentials file that is
// refused unless mode 0600 or stricter (like ssh), from the environment, or stdin.
// A Secret cannot be printed: it has no stream or fmt output, so it cannot reach a
// record, a log line or an error message by accident.
//
// File format (INI):
//     # comment
//     [lab-v3]                 <- entry NAME, what records name in "credential"
//     kind = snmpv3            <- snmpv3 | community | password | token
//     user = dce
//     auth_protocol = SHA-256
//     auth_pass = ...
//     priv_protocol = AES-256
//     priv_pass = ...

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dce {

/// The bytes of a secret live in their own pages, marked MADV_DONTDUMP (left out of any
/// core dump, even when the process is dumpable) and wiped before they are unmapped.
/// Copies share those pages (a Request per target copies its Security), so a run with
/// thousands of targets maps each secret once.
class Secret {
  public:
    Secret() = default;
    /// Copies `value` into no-dump memory and wipes the argument.
    explicit Secret(std::string value);
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&& o) noexcept = default;  ///< leaves `o` empty
    Secret& operator=(Secret&& o) noexcept = default;
    ~Secret() = default;
    /// The way to the value: name the call site so reviews can find every use. Points
    /// into the no-dump pages.
    std::string_view view() const;
    /// Like view(), as a std::string for callers that need one: made once per value on
    /// the ordinary heap (so outside the no-dump pages) and wiped with it. Prefer view().
    const std::string& reveal() const;
    bool empty() const { return !storage_ || view().empty(); }
    /// True when the bytes are in pages the kernel agreed to leave out of core dumps.
    bool excluded_from_core_dumps() const;

    struct Storage;

  private:
    std::shared_ptr<const Storage> storage_;
};

namespace testing {
/// Test seam: called with a Secret's bytes after they are wiped and before their pages
/// are unmapped (nullptr: no call). Not for production use.
using SecretWipeObserver = void (*)(const unsigned char* bytes, std::size_t size);
void set_secret_wipe_observer(SecretWipeObserver observer);
}  // namespace testing

struct Credential {
    std::string name;
    std::string kind;                           ///< snmpv3, community, password, token
    std::map<std::string, std::string> fields;  ///< non-secret: user, auth_protocol, ...
    std::map<std::string, Secret> secrets;  ///< community, auth_pass, priv_pass, password, token
    std::size_t line = 0;                   ///< where the entry starts in its file

    const std::string* field(std::string_view key) const;
    const Secret* secret(std::string_view key) const;
};

/// How a credentials file was stored, as load_file() found it.
enum class CredentialFileKind {
    plaintext,  ///< INI text protected only by its mode (0600)
    encrypted,  ///< made by `systemd-creds encrypt`, decrypted through `systemd-creds decrypt`
    systemd,    ///< in $CREDENTIALS_DIRECTORY: systemd decrypted it for this service
};

class CredentialStore {
  public:
    /// Loads a file; refuses it when group/other can read it or it is not a regular file.
    /// A file made by `systemd-creds encrypt` (is_encrypted_credentials()) is decrypted
    /// through `systemd-creds decrypt`; when that fails the error says so and the file is
    /// never read as plaintext. Errors name the file and line, never a value.
    bool load_file(const std::string& path, std::string& error, CredentialFileKind* kind = nullptr);
    /// Parses text (for stdin and tests); `origin` names it in errors.
    bool load_text(std::string_view text, std::string_view origin, std::string& error);
    /// Adds an entry named "env" from DCE_SNMP_USER/DCE_SNMP_AUTH_PROTOCOL/
    /// DCE_SNMP_AUTH_PASS/DCE_SNMP_PRIV_PROTOCOL/DCE_SNMP_PRIV_PASS, and one named
    /// "env-community" from DCE_SNMP_COMMUNITY, when set.
    void load_environment();

    /// Drops every entry not named in `names`; their secrets are wiped and unmapped as
    /// soon as nothing else holds a copy. A tool that uses one entry of a file of many
    /// keeps only that one in memory.
    void retain_only(const std::vector<std::string>& names);

    const Credential* find(std::string_view name) const;
    std::vector<const Credential*> of_kind(std::string_view kind) const;
    const std::vector<Credential>& entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }

  private:
    std::vector<Credential> entries_;
};

/// Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0): no core file, no ptrace by
/// other processes of the user. Called as soon as a secret is loaded; idempotent.
void protect_secrets_in_memory();

/// True for the keys whose values are secrets.
bool is_secret_key(std::string_view key);

/// The path used when --credentials is not given, first that applies:
///   1. $CREDENTIALS_DIRECTORY/dce-credentials (systemd's LoadCredentialEncrypted=), if it exists
///   2. $DCE_CREDENTIALS
///   3. $XDG_CONFIG_HOME/dce/credentials or ~/.config/dce/credentials (if it exists)
std::optional<std::string> default_credentials_path();

/// The name of the credential in $CREDENTIALS_DIRECTORY, and the name `systemd-creds
/// encrypt --name=` should embed: "dce-credentials".
inline constexpr std::string_view systemd_credential_name = "dce-credentials";

/// True when `path` is in $CREDENTIALS_DIRECTORY (a file systemd decrypted for us).
bool in_credentials_directory(const std::string& path);

/// True when a credentials file's content is sealed by `systemd-creds encrypt` rather
/// than INI text: base64 only (what systemd-creds writes), or binary. Decided by content,
/// whatever the file is called: an INI file has "[name]", which base64 never does.
bool is_encrypted_credentials(std::string_view content);

/// Runs `systemd-creds decrypt --name= -- PATH -` (no shell) and returns the plaintext
/// in `out` (the caller wipes it). False with one line naming the file and
/// systemd-creds' own message when decryption fails.
bool decrypt_systemd_credential(const std::string& path, std::string& out, std::string& error);

}  // namespace dce
