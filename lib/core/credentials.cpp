#include "core/credentials.hpp"
#include "core/files.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

extern char** environ;

namespace dce {

namespace {
std::atomic<testing::SecretWipeObserver> wipe_observer{nullptr};
}  // namespace

void testing::set_secret_wipe_observer(SecretWipeObserver observer) {
    wipe_observer.store(observer);
}

// One mapping per distinct secret value (a credentials file holds a handful; copies
// share it). Pages, not the heap: madvise works on whole pages, and heap pages are
// shared with other data and reused after free.
struct Secret::Storage {
    unsigned char* bytes = nullptr;
    std::size_t size = 0, mapped = 0;
    bool no_dump = false;
    mutable std::once_flag copy_once;
    mutable std::string copy;  // reveal()'s std::string, made on first use

    explicit Storage(std::string_view value) {
        long page = ::sysconf(_SC_PAGESIZE);
        std::size_t p = page > 0 ? static_cast<std::size_t>(page) : 4096;
        mapped = (value.size() + p - 1) / p * p;
        void* m =
            ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) throw std::bad_alloc();
        bytes = static_cast<unsigned char*>(m);
        // Before the bytes are written: a core taken in between has nothing to show.
        no_dump = ::madvise(m, mapped, MADV_DONTDUMP) == 0;
        std::memcpy(bytes, value.data(), value.size());
        size = value.size();
    }
    ~Storage() {
        if (!copy.empty()) explicit_bzero(copy.data(), copy.size());
        explicit_bzero(bytes, mapped);
        if (auto observe = wipe_observer.load()) observe(bytes, size);
        ::munmap(bytes, mapped);
    }
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
};

Secret::Secret(std::string value) {
    if (!value.empty()) storage_ = std::make_shared<const Storage>(value);
    explicit_bzero(value.data(), value.size());
}

std::string_view Secret::view() const {
    if (!storage_) return {};
    return {reinterpret_cast<const char*>(storage_->bytes), storage_->size};
}

const std::string& Secret::reveal() const {
    static const std::string none;
    if (!storage_) return none;
    const Storage& s = *storage_;
    std::call_once(s.copy_once, [&] { s.copy.assign(view()); });
    return s.copy;
}

bool Secret::excluded_from_core_dumps() const {
    return storage_ && storage_->no_dump;
}

// A process that holds secrets makes no core dump and cannot be ptrace'd by other
// processes of its user: a core of dce-poll/dce-discover carried every passphrase of
// the credentials file (and copies the parser, iostreams and net-snmp made of them,
// which no wipe reaches). Set once and for the rest of the run: the keys stay in use.
void protect_secrets_in_memory() {
    static bool done = false;
    if (done) return;
    done = true;
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

const std::string* Credential::field(std::string_view key) const {
    auto it = fields.find(std::string(key));
    return it == fields.end() ? nullptr : &it->second;
}

const Secret* Credential::secret(std::string_view key) const {
    auto it = secrets.find(std::string(key));
    return it == secrets.end() ? nullptr : &it->second;
}

bool is_secret_key(std::string_view key) {
    return key == "community" || key == "auth_pass" || key == "priv_pass" || key == "password" ||
           key == "token" || key == "passphrase" || key == "secret";
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

bool known_key(std::string_view key) {
    static constexpr std::string_view keys[] = {
        "kind",           "user",    "auth_protocol", "priv_protocol", "context",
        "security_level", "version", "username",      "host",          "note"};
    for (auto k : keys)
        if (k == key) return true;
    return is_secret_key(key);
}

bool known_kind(std::string_view kind) {
    return kind == "snmpv3" || kind == "community" || kind == "password" || kind == "token";
}

}  // namespace

bool CredentialStore::load_text(std::string_view text, std::string_view origin,
                                std::string& error) {
    std::vector<Credential> parsed;
    std::size_t lineno = 0;
    auto fail = [&](std::string_view why) {
        error = std::string(origin) + ":" + std::to_string(lineno) + ": " + std::string(why);
        return false;
    };
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++lineno;
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']') return fail("section header must end with ']'");
            auto name = trim(line.substr(1, line.size() - 2));
            if (name.empty()) return fail("empty entry name");
            for (const auto& c : parsed)
                if (c.name == name)
                    return fail("entry [" + std::string(name) +
                                "] is defined twice (first at line " + std::to_string(c.line) +
                                ")");
            parsed.push_back(Credential{std::string(name), {}, {}, {}, lineno});
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos) return fail("expected 'key = value' or '[name]'");
        auto key = trim(line.substr(0, eq));
        auto value = trim(line.substr(eq + 1));
        if (parsed.empty()) return fail("'" + std::string(key) + "' comes before any [entry]");
        if (!known_key(key)) return fail("unknown key '" + std::string(key) + "'");
        // Quotes are optional; they let a value keep leading or trailing spaces.
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        auto& c = parsed.back();
        if (key == "kind") {
            if (!known_kind(value))
                return fail("unknown kind (expected snmpv3, community, password or token)");
            c.kind = std::string(value);
        } else if (is_secret_key(key)) {
            protect_secrets_in_memory();
            c.secrets[std::string(key)] = Secret(std::string(value));
        } else {
            c.fields[std::string(key)] = std::string(value);
        }
    }
    for (auto& c : parsed) {
        lineno = c.line;
        if (c.kind.empty()) {
            // Infer the obvious kinds so a minimal file works.
            if (c.secrets.count("community"))
                c.kind = "community";
            else if (c.fields.count("user"))
                c.kind = "snmpv3";
            else if (c.secrets.count("password"))
                c.kind = "password";
            else if (c.secrets.count("token"))
                c.kind = "token";
            else
                return fail("entry [" + c.name + "] has no kind");
        }
        if (c.kind == "snmpv3" && !c.fields.count("user"))
            return fail("snmpv3 entry [" + c.name + "] has no user");
        if (c.kind == "community" && !c.secrets.count("community"))
            return fail("community entry [" + c.name + "] has no community");
    }
    for (auto& c : parsed)
        entries_.push_back(std::move(c));
    return true;
}

bool is_encrypted_credentials(std::string_view content) {
    // An INI file has "[name]" and "key = value"; systemd-creds writes base64: no '[' at
    // all, and nothing outside the base64 alphabet. Control bytes: a binary credential.
    bool any = false;
    for (unsigned char c : content) {
        if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) return true;
        if (std::isspace(c)) continue;
        if (!(std::isalnum(c) || c == '+' || c == '/' || c == '=')) return false;
        any = true;
    }
    return any;
}

bool in_credentials_directory(const std::string& path) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir) return false;
    std::string d(dir);
    while (d.size() > 1 && d.back() == '/')
        d.pop_back();
    return path.size() > d.size() + 1 && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/';
}

namespace {

// What systemd-creds said, on one line, without its notice that the host key is not on
// encrypted media (printed on every use of --with-key=host on such a machine).
std::string one_line_message(const std::string& text) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        auto line = trim(std::string_view(text).substr(
            pos, nl == std::string::npos ? std::string::npos : nl - pos));
        pos = nl == std::string::npos ? text.size() : nl + 1;
        if (line.empty() || line.find("not located on encrypted media") != std::string_view::npos)
            continue;
        if (!out.empty()) out += "; ";
        out += std::string(line);
    }
    return out;
}

}  // namespace

bool decrypt_systemd_credential(const std::string& path, std::string& out, std::string& error) {
    auto fail = [&](const std::string& why) {
        error = "cannot decrypt credentials file '" + path + "': " + why;
        if (!out.empty()) explicit_bzero(out.data(), out.size());
        out.clear();
        return false;
    };
    int po[2], pe[2];
    if (::pipe2(po, O_CLOEXEC) != 0) return fail(std::strerror(errno));
    if (::pipe2(pe, O_CLOEXEC) != 0) {
        ::close(po[0]);
        ::close(po[1]);
        return fail(std::strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    // --name= skips the check of the embedded name against the file name (systemd 252
    // compares it with the file's base name, so "x.cred" made with --name=dce-credentials
    // is refused without it); "--" keeps a path starting with '-' a path.
    std::string p = path;
    char* argv[] = {const_cast<char*>("systemd-creds"),
                    const_cast<char*>("decrypt"),
                    const_cast<char*>("--name="),
                    const_cast<char*>("--"),
                    p.data(),
                    const_cast<char*>("-"),
                    nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, "systemd-creds", &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(po[1]);
    ::close(pe[1]);
    if (rc != 0) {
        ::close(po[0]);
        ::close(pe[0]);
        return fail("cannot run systemd-creds: " + std::string(std::strerror(rc)) +
                    " (install systemd, or decrypt it on a machine that has its key)");
    }
    // The plaintext goes straight into one buffer reserved up front (no reallocation
    // leaves a copy behind), wiped by the caller; the read chunk is wiped here.
    out.clear();
    out.reserve(max_small_file);
    std::string err_text;
    bool too_big = false;
    char chunk[4096];
    pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (auto& f : fds) {
            if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(f.fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(f.fd);
                f.fd = -1;
                --open_fds;
                continue;
            }
            if (f.fd == po[0]) {
                if (out.size() + static_cast<std::size_t>(n) > max_small_file)
                    too_big = true;
                else
                    out.append(chunk, static_cast<std::size_t>(n));
            } else if (err_text.size() < 4096) {
                err_text.append(chunk, static_cast<std::size_t>(n));
            }
        }
    }
    explicit_bzero(chunk, sizeof chunk);
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return fail("cannot run systemd-creds (not installed?)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string msg = one_line_message(err_text);
        return fail("decryption failed" + (msg.empty() ? std::string() : ": " + msg) +
                    " (systemd-creds decrypt; the file is not read as plaintext)");
    }
    if (too_big) return fail("its plaintext is larger than 1 MiB");
    return true;
}

bool CredentialStore::load_file(const std::string& path, std::string& error,
                                CredentialFileKind* kind) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        error = "cannot read credentials file '" + path + "': " + std::strerror(errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error = "credentials file '" + path + "' is not a regular file";
        return false;
    }
    // systemd puts the decrypted file in $CREDENTIALS_DIRECTORY, owned by root or the
    // service's user, mode 0400, on memory that is never swapped: whose it is does not
    // matter, but a file others may read is still refused.
    const bool from_systemd = in_credentials_directory(path);
    std::string text;
    if (!read_file_capped(path, max_small_file, text, error)) {
        error = "credentials file: " + error;
        return false;
    }
    const bool encrypted = !from_systemd && is_encrypted_credentials(text);
    if (kind)
        *kind = from_systemd ? CredentialFileKind::systemd
                : encrypted  ? CredentialFileKind::encrypted
                             : CredentialFileKind::plaintext;
    if (encrypted) {
        // Sealed to the host key or the TPM: its mode is not what protects it.
        explicit_bzero(text.data(), text.size());
        std::string plain;
        if (!decrypt_systemd_credential(path, plain, error)) return false;
        bool ok = load_text(plain, path, error);
        explicit_bzero(plain.data(), plain.size());
        return ok;
    }
    auto refuse = [&](std::string why) {
        explicit_bzero(text.data(), text.size());
        error = std::move(why);
        return false;
    };
    if (st.st_mode & (from_systemd ? 007 : 077)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return refuse("credentials file '" + path + "' has permissions " + mode +
                      ", which let other users read it; run: chmod 600 '" + path + "'");
    }
    if (!from_systemd && st.st_uid != ::geteuid() && ::geteuid() != 0 && st.st_uid != 0)
        return refuse("credentials file '" + path + "' is owned by another user");
    bool ok = load_text(text, path, error);
    explicit_bzero(text.data(), text.size());
    return ok;
}

void CredentialStore::load_environment() {
    auto env = [](const char* n) -> const char* {
        const char* v = std::getenv(n);
        return v && *v ? v : nullptr;
    };
    for (const char* n : {"DCE_SNMP_AUTH_PASS", "DCE_SNMP_PRIV_PASS", "DCE_SNMP_COMMUNITY"})
        if (env(n)) protect_secrets_in_memory();
    if (const char* user = env("DCE_SNMP_USER")) {
        Credential c{"env", "snmpv3", {}, {}, 0};
        c.fields["user"] = user;
        if (const char* p = env("DCE_SNMP_AUTH_PROTOCOL")) c.fields["auth_protocol"] = p;
        if (const char* p = env("DCE_SNMP_PRIV_PROTOCOL")) c.fields["priv_protocol"] = p;
        if (const char* p = env("DCE_SNMP_AUTH_PASS")) c.secrets["auth_pass"] = Secret(p);
        if (const char* p = env("DCE_SNMP_PRIV_PASS")) c.secrets["priv_pass"] = Secret(p);
        entries_.push_back(std::move(c));
    }
    if (const char* community = env("DCE_SNMP_COMMUNITY")) {
        Credential c{"env-community", "community", {}, {}, 0};
        c.secrets["community"] = Secret(community);
        entries_.push_back(std::move(c));
    }
}

void CredentialStore::retain_only(const std::vector<std::string>& names) {
    std::vector<Credential> kept;
    for (auto& c : entries_)
        if (std::find(names.begin(), names.end(), c.name) != names.end())
            kept.push_back(std::move(c));
    entries_ = std::move(kept);
}

const Credential* CredentialStore::find(std::string_view name) const {
    for (const auto& c : entries_)
        if (c.name == name) return &c;
    return nullptr;
}

std::vector<const Credential*> CredentialStore::of_kind(std::string_view kind) const {
    std::vector<const Credential*> out;
    for (const auto& c : entries_)
        if (c.kind == kind) out.push_back(&c);
    return out;
}

std::optional<std::string> default_credentials_path() {
    struct stat st {};
    if (const char* d = std::getenv("CREDENTIALS_DIRECTORY"); d && *d) {
        std::string path = std::string(d) + "/" + std::string(systemd_credential_name);
        if (::stat(path.c_str(), &st) == 0) return path;
    }
    if (const char* p = std::getenv("DCE_CREDENTIALS"); p && *p) return std::string(p);
    std::string base;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
        base = x;
    else if (const char* h = std::getenv("HOME"); h && *h)
        base = std::string(h) + "/.config";
    if (base.empty()) return std::nullopt;
    std::string path = base + "/dce/credentials";
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return path;
}

}  // namespace dce
