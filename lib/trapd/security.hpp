#pragma once
// Who dce-trapd accepts, from the credentials file: v1/v2c communities (kind =
// community) and SNMPv3 users (kind = snmpv3). A v3 user is accepted from ANY sender
// engine ID: its passphrases become keys (Ku) once at load, and are localized to each
// engine ID the first time that engine sends, then cached. So one user serves every
// device, with no `createUser -e ENGINEID` line per sender, and several users can be
// configured at once. An optional allow-list limits the engine IDs accepted.
//
// Also the receiver's own engine (informs are sent to it: RFC 3414 makes the receiver
// of an inform authoritative): an engine ID generated once and kept in the state dir,
// with boots counted up at each start.

#include "core/credentials.hpp"
#include "trap/usm.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dce::trapd {

/// Why a message was not delivered; the names are the stats record's keys.
enum class Reject {
    unknown_community,
    unknown_user,
    engine_id_not_allowed,
    unsupported_security_level,
    unsupported_security_model,
    wrong_digest,
    not_in_time_window,
    decryption_error,
    not_a_notification,
    count_
};
std::string_view to_string(Reject r);

struct V3User {
    std::string credential;  ///< entry name in the credentials file
    std::string name;        ///< usmUserName
    trap::AuthProto auth = trap::AuthProto::none;
    trap::PrivProto priv = trap::PrivProto::none;
    Secret ku_auth, ku_priv;
};

struct LocalizedKeys {
    Secret auth, priv;
};

class Security {
  public:
    /// Takes the community and snmpv3 entries of `store`. An entry it cannot use (an
    /// unknown protocol name) is a message in `errors` naming the entry, and skipped.
    void load(const CredentialStore& store, std::vector<std::string>& errors);
    /// Engine IDs (hex) accepted; empty: any.
    void set_allowed_engines(const std::vector<std::string>& hex);

    /// The credential entry name for a community, or nullptr.
    const std::string* community(std::string_view community) const;
    /// Every configured user of that name (entries may share a user name with
    /// different passphrases); empty when unknown.
    const std::vector<V3User>* users(std::string_view name) const;
    bool engine_allowed(std::string_view engine_id) const;
    /// Keys of `user` localized to `engine_id`, computed on first use and kept.
    const LocalizedKeys& keys(const V3User& user, std::string_view engine_id);

    /// RFC 3414 3.2 step 7b, for a message from an engine that is authoritative (a trap):
    /// remembers the sender's boots/time and refuses messages older than 150 s of it.
    bool timely_remote(std::string_view engine_id, std::uint32_t boots, std::uint32_t time,
                       std::chrono::steady_clock::time_point now);

    std::size_t community_count() const { return communities_.size(); }
    std::size_t user_count() const;
    std::size_t cached_keys() const { return keys_.size(); }

  private:
    std::map<std::string, std::string, std::less<>> communities_;  // community -> entry
    std::map<std::string, std::vector<V3User>, std::less<>> users_;
    std::set<std::string, std::less<>> allowed_;
    std::map<std::string, LocalizedKeys> keys_;  // entry name + '\0' + engine id
    struct RemoteTime {
        std::uint32_t boots = 0;
        std::uint32_t latest_time = 0;
        std::chrono::steady_clock::time_point learned;
    };
    std::unordered_map<std::string, RemoteTime> remote_;
};

/// The receiver's own SNMP engine.
struct LocalEngine {
    std::string id;  ///< raw bytes
    std::uint32_t boots = 1;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::string state_file;  ///< where it is kept; empty when not kept (a warning said why)
    std::uint32_t time() const;
};

/// Reads (or makes, 17 bytes: RFC 3411 format with random octets) the engine ID and
/// counts boots up, in STATE_DIR/trapd-engine. `override_hex` non-empty sets the ID.
/// A state dir that cannot be written gives a random ID for this run and a warning.
LocalEngine load_local_engine(const std::string& state_dir, const std::string& override_hex,
                              std::string& warning);
/// $STATE_DIRECTORY (systemd), else $XDG_STATE_HOME/dce, else ~/.local/state/dce.
std::string default_state_dir();

/// Engine IDs in hex without "0x", as the device record writes them.
std::string engine_hex(std::string_view bytes);
bool from_hex(std::string_view hex, std::string& out);  ///< "0x" prefix, ':' allowed

}  // namespace dce::trapd
