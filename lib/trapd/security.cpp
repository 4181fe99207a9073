#include "trapd/security.hpp"

#include "core/jsonl.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dce::trapd {

std::string_view to_string(Reject r) {
    switch (r) {
        case Reject::unknown_community:
            return "unknown_community";
        case Reject::unknown_user:
            return "unknown_user";
        case Reject::engine_id_not_allowed:
            return "engine_id_not_allowed";
        case Reject::unsupported_security_level:
            return "unsupported_security_level";
        case Reject::unsupported_security_model:
            return "unsupported_security_model";
        case Reject::wrong_digest:
            return "wrong_digest";
        case Reject::not_in_time_window:
            return "not_in_time_window";
        case Reject::decryption_error:
            return "decryption_error";
        case Reject::not_a_notification:
            return "not_a_notification";
        case Reject::count_:
            break;
    }
    return "other";
}

std::string engine_hex(std::string_view bytes) {
    return to_hex(bytes).substr(2);
}

bool from_hex(std::string_view hex, std::string& out) {
    if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
    out.clear();
    int hi = -1;
    for (char c : hex) {
        if (c == ':' || c == ' ') continue;
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return false;
        if (hi < 0) {
            hi = v;
        } else {
            out += static_cast<char>(hi * 16 + v);
            hi = -1;
        }
    }
    return hi < 0 && !out.empty();
}

void Security::load(const CredentialStore& store, std::vector<std::string>& errors) {
    communities_.clear();
    users_.clear();
    keys_.clear();
    for (const auto* c : store.of_kind("community")) {
        if (const Secret* s = c->secret("community"); s && !s->empty())
            communities_.emplace(std::string(s->view()), c->name);
    }
    for (const auto* c : store.of_kind("snmpv3")) {
        V3User u;
        u.credential = c->name;
        if (const auto* user = c->field("user")) u.name = *user;
        if (u.name.empty()) {
            errors.push_back("credential " + c->name + ": no user");
            continue;
        }
        const auto* ap = c->field("auth_protocol");
        const auto* pp = c->field("priv_protocol");
        if (ap && !ap->empty() && !trap::parse_auth_proto(*ap, u.auth)) {
            errors.push_back("credential " + c->name + ": unknown auth_protocol " + *ap);
            continue;
        }
        if (pp && !pp->empty() && !trap::parse_priv_proto(*pp, u.priv)) {
            errors.push_back("credential " + c->name + ": unknown priv_protocol " + *pp);
            continue;
        }
        const Secret* apass = c->secret("auth_pass");
        const Secret* ppass = c->secret("priv_pass");
        if (u.auth != trap::AuthProto::none) {
            if (!apass || apass->view().size() < 8) {
                errors.push_back("credential " + c->name +
                                 ": auth_pass missing or shorter than 8 characters");
                continue;
            }
            u.ku_auth = Secret(trap::password_to_key(u.auth, apass->view()));
        }
        if (u.priv != trap::PrivProto::none) {
            if (u.auth == trap::AuthProto::none) {
                errors.push_back("credential " + c->name + ": privacy needs an auth_protocol");
                continue;
            }
            if (!ppass || ppass->view().size() < 8) {
                errors.push_back("credential " + c->name +
                                 ": priv_pass missing or shorter than 8 characters");
                continue;
            }
            u.ku_priv = Secret(trap::password_to_key(u.auth, ppass->view()));
        }
        users_[u.name].push_back(std::move(u));
    }
}

void Security::set_allowed_engines(const std::vector<std::string>& hex) {
    allowed_.clear();
    for (const auto& h : hex) {
        std::string raw;
        if (from_hex(h, raw)) allowed_.insert(raw);
    }
}

const std::string* Security::community(std::string_view community) const {
    auto it = communities_.find(community);
    return it == communities_.end() ? nullptr : &it->second;
}

const std::vector<V3User>* Security::users(std::string_view name) const {
    auto it = users_.find(name);
    return it == users_.end() ? nullptr : &it->second;
}

std::size_t Security::user_count() const {
    std::size_t n = 0;
    for (const auto& [_, v] : users_)
        n += v.size();
    return n;
}

bool Security::engine_allowed(std::string_view engine_id) const {
    return allowed_.empty() || allowed_.count(engine_id) > 0;
}

const LocalizedKeys& Security::keys(const V3User& user, std::string_view engine_id) {
    std::string key = user.credential;
    key += '\0';
    key += engine_id;
    auto it = keys_.find(key);
    if (it != keys_.end()) return it->second;
    LocalizedKeys k;
    if (user.auth != trap::AuthProto::none)
        k.auth = Secret(trap::localize_key(user.auth, user.ku_auth.view(), engine_id));
    if (user.priv != trap::PrivProto::none)
        k.priv =
            Secret(trap::localize_priv_key(user.auth, user.priv, user.ku_priv.view(), engine_id));
    return keys_.emplace(std::move(key), std::move(k)).first->second;
}

bool Security::timely_remote(std::string_view engine_id, std::uint32_t boots, std::uint32_t time,
                             std::chrono::steady_clock::time_point now) {
    auto [it, fresh] = remote_.try_emplace(std::string(engine_id));
    RemoteTime& r = it->second;
    if (fresh) {
        r = {boots, time, now};
        return true;
    }
    // RFC 3414 3.2.7b: learn newer boots/time from an authentic message...
    if (boots > r.boots || (boots == r.boots && time > r.latest_time)) {
        r = {boots, time, now};
        return true;
    }
    // ...and refuse one from an earlier boot, or more than 150 s older than our
    // estimate of the sender's clock (a replay).
    if (boots < r.boots || r.boots == 0x7fffffff) return false;
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - r.learned).count();
    std::int64_t estimate = static_cast<std::int64_t>(r.latest_time) + elapsed;
    return static_cast<std::int64_t>(time) >= estimate - 150;
}

std::uint32_t LocalEngine::time() const {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count());
}

std::string default_state_dir() {
    if (const char* s = std::getenv("STATE_DIRECTORY"); s && *s) {
        std::string first(s);
        return first.substr(0, first.find(':'));  // systemd lists several with ':'
    }
    if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/dce";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/dce";
    return {};
}

LocalEngine load_local_engine(const std::string& state_dir, const std::string& override_hex,
                              std::string& warning) {
    LocalEngine e;
    std::string id;
    std::uint32_t boots = 0;
    std::string path = state_dir.empty() ? std::string() : state_dir + "/trapd-engine";
    if (!path.empty()) {
        std::ifstream in(path);
        std::string key, value;
        while (in >> key >> value) {
            if (key == "engine_id") from_hex(value, id);
            if (key == "boots")
                boots = static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
        }
    }
    if (!override_hex.empty()) {
        from_hex(override_hex, id);  // checked by the option parser
    }
    if (id.empty()) {
        // RFC 3411 SnmpEngineID, format 5 (octets, administratively assigned) under
        // enterprise 0: 0x80000000, 0x05, then 12 random octets.
        unsigned char rnd[12];
        if (RAND_bytes(rnd, sizeof rnd) != 1) throw std::runtime_error("no random bytes");
        id = std::string("\x80\x00\x00\x00\x05", 5) + std::string(reinterpret_cast<char*>(rnd), 12);
    }
    e.id = id;
    e.boots = boots >= 0x7ffffffe ? 0x7fffffff : boots + 1;
    if (path.empty()) {
        warning =
            "no state directory (HOME and STATE_DIRECTORY unset): the engine ID is new at "
            "every start; give --state-dir";
        return e;
    }
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "engine_id " << engine_hex(e.id) << "\nboots " << e.boots << "\n";
        out.flush();
        if (!out) {
            warning = "cannot write " + path + ": the engine ID and boots are not kept";
            return e;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        warning = "cannot write " + path + ": the engine ID and boots are not kept";
        return e;
    }
    e.state_file = path;
    return e;
}

}  // namespace dce::trapd
