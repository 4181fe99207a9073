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

class CredentialStore {
  public:
    /// Loads a file; refuses it when group/other can read it or it is not a regular file.
    /// Errors name the file and line, never a value.
    bool load_file(const std::string& path, std::string& error);
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

/// The path used when --credentials is not given: $DCE_CREDENTIALS, else
/// $XDG_CONFIG_HOME/dce/credentials or ~/.config/dce/credentials (if it exists).
std::optional<std::string> default_credentials_path();

}  // namespace dce
