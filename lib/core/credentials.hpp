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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dce {

class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&& o) noexcept : value_(std::move(o.value_)) { o.wipe(); }
    Secret& operator=(Secret&& o) noexcept;
    ~Secret() { wipe(); }
    /// The only way to the value: name the call site so reviews can find every use.
    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }

  private:
    void wipe();
    std::string value_;
};

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
