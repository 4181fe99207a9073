#include "core/credentials.hpp"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <type_traits>

namespace {
const char* text = R"(# lab credentials
[lab-v3]
kind = snmpv3
user = dce
auth_protocol = SHA-256
auth_pass = "s3cret auth "
priv_protocol = AES-256
priv_pass = s3cret-priv

[public-ro]
community = public
)";
}

TEST_CASE("entries parse; secrets are kept apart from plain fields") {
    dce::CredentialStore store;
    std::string e;
    REQUIRE(store.load_text(text, "creds", e));
    REQUIRE(store.entries().size() == 2);
    const auto* v3 = store.find("lab-v3");
    REQUIRE(v3);
    CHECK(v3->kind == "snmpv3");
    CHECK(*v3->field("user") == "dce");
    CHECK(v3->field("auth_pass") == nullptr);
    CHECK(v3->secret("auth_pass")->reveal() == "s3cret auth ");
    CHECK(store.find("public-ro")->kind == "community");  // inferred
    CHECK(store.of_kind("snmpv3").size() == 1);
}

TEST_CASE("errors name the line but never the value") {
    dce::CredentialStore store;
    std::string e;
    CHECK_FALSE(store.load_text("[a]\nkind = snmpv3\nuser = u\nauth_pas = hunter2\n", "f", e));
    CHECK(e == "f:4: unknown key 'auth_pas'");
    CHECK(e.find("hunter2") == std::string::npos);
    CHECK_FALSE(store.load_text("community = x\n", "f", e));
    CHECK(e == "f:1: 'community' comes before any [entry]");
    CHECK_FALSE(store.load_text("[a]\ncommunity=x\n[a]\ncommunity=y\n", "f", e));
    CHECK(e == "f:3: entry [a] is defined twice (first at line 1)");
    CHECK_FALSE(store.load_text("[v3]\nkind = snmpv3\nauth_pass = x\n", "f", e));
    CHECK(e == "f:1: snmpv3 entry [v3] has no user");
    CHECK(store.empty());  // a bad file adds nothing
}

TEST_CASE("a file others can read is refused, like ssh does") {
    std::string path = "/tmp/dce_credentials_test.ini";
    {
        std::ofstream f(path);
        f << text;
    }
    chmod(path.c_str(), 0644);
    dce::CredentialStore store;
    std::string e;
    CHECK_FALSE(store.load_file(path, e));
    CHECK(e.find("permissions 0644") != std::string::npos);
    CHECK(e.find("chmod 600") != std::string::npos);
    chmod(path.c_str(), 0600);
    CHECK(store.load_file(path, e));
    CHECK(store.entries().size() == 2);
    std::remove(path.c_str());
}

TEST_CASE("a Secret cannot be streamed or formatted") {
    // Compile-time property: no operator<< exists for Secret.
    STATIC_REQUIRE_FALSE(std::is_convertible_v<dce::Secret, std::string>);
    dce::Secret s("x");
    dce::Secret moved(std::move(s));
    CHECK(s.empty());
    CHECK(moved.reveal() == "x");
}

TEST_CASE("a process holding secrets cannot dump core (issue 9)") {
    // Every passphrase of the file was in a core of dce-poll: loading one makes the
    // process non-dumpable.
    dce::CredentialStore store;
    std::string error;
    REQUIRE(store.load_text("[x]\nkind = community\ncommunity = s3cret\n", "test", error));
    CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
}

namespace {
// The VmFlags of the mapping that holds `p`, from /proc/self/smaps ("dd" = do not dump).
std::string vm_flags_of(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    auto addr = reinterpret_cast<std::uintptr_t>(p);
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find('-') < line.find(' '))
            inside = addr >= lo && addr < hi;
        else if (inside && line.rfind("VmFlags:", 0) == 0)
            return line;
    }
    return {};
}

std::vector<unsigned char> last_wiped;
std::size_t wipes = 0;
void record_wipe(const unsigned char* bytes, std::size_t size) {
    last_wiped.assign(bytes, bytes + size);
    ++wipes;
}
}  // namespace

TEST_CASE("a Secret's bytes are left out of core dumps") {
    dce::Secret s(std::string("no-dump-secret-value-longer-than-sso"));
    CHECK(s.view() == "no-dump-secret-value-longer-than-sso");
    CHECK(s.excluded_from_core_dumps());
    std::string flags = vm_flags_of(s.view().data());
    REQUIRE_FALSE(flags.empty());
    CHECK(flags.find(" dd") != std::string::npos);  // MADV_DONTDUMP as the kernel sees it
    // Copies share the pages: a Request per target maps nothing new.
    dce::Secret copy = s;
    CHECK(copy.view().data() == s.view().data());
    CHECK(copy.reveal() == "no-dump-secret-value-longer-than-sso");
    CHECK(dce::Secret().view().empty());
    CHECK(dce::Secret(std::string()).empty());
}

TEST_CASE("a Secret's bytes are wiped when its last copy goes") {
    dce::testing::set_secret_wipe_observer(&record_wipe);
    wipes = 0;
    {
        dce::Secret s(std::string("wipe-me-please"));
        { dce::Secret copy = s; }
        CHECK(wipes == 0);  // a copy going leaves the shared bytes alone
    }
    dce::testing::set_secret_wipe_observer(nullptr);
    REQUIRE(wipes == 1);
    REQUIRE(last_wiped.size() == std::string("wipe-me-please").size());
    CHECK(
        std::all_of(last_wiped.begin(), last_wiped.end(), [](unsigned char c) { return c == 0; }));
}

TEST_CASE("retain_only keeps the entries in use and drops the others' secrets") {
    dce::CredentialStore store;
    std::string e;
    REQUIRE(store.load_text(text, "creds", e));
    dce::testing::set_secret_wipe_observer(&record_wipe);
    wipes = 0;
    store.retain_only({"public-ro"});
    dce::testing::set_secret_wipe_observer(nullptr);
    CHECK(wipes == 2);  // lab-v3's auth_pass and priv_pass
    REQUIRE(store.entries().size() == 1);
    CHECK(store.find("lab-v3") == nullptr);
    CHECK(store.find("public-ro")->secret("community")->view() == "public");
}

TEST_CASE("systemd-creds files are told from INI text by their content") {
    using dce::is_encrypted_credentials;
    CHECK(is_encrypted_credentials("Whxqht+dQJax1aZeCGLxmiAAAAABAAAA\nDAAA==\n"));
    CHECK(is_encrypted_credentials(std::string_view("\x01\x02\x00x", 4)));
    CHECK_FALSE(is_encrypted_credentials(text));
    CHECK_FALSE(is_encrypted_credentials("[x]\nkind = token\n"));
    CHECK_FALSE(is_encrypted_credentials("# only a comment\n"));
    CHECK_FALSE(is_encrypted_credentials(""));
}

TEST_CASE("$CREDENTIALS_DIRECTORY/dce-credentials is looked in first") {
    char dir[] = "/tmp/dce-credsdir-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string file = std::string(dir) + "/dce-credentials";
    ::setenv("DCE_CREDENTIALS", "/elsewhere/credentials", 1);
    ::setenv("CREDENTIALS_DIRECTORY", dir, 1);
    // Not there yet: the next place.
    CHECK(dce::default_credentials_path().value_or("") == "/elsewhere/credentials");
    { std::ofstream(file) << text; }
    ::chmod(file.c_str(), 0400);
    CHECK(dce::default_credentials_path().value_or("") == file);
    CHECK(dce::in_credentials_directory(file));
    CHECK_FALSE(dce::in_credentials_directory(std::string(dir) + "x/dce-credentials"));
    // Decrypted by systemd: loaded without the owner check, reported as such.
    dce::CredentialStore store;
    std::string e;
    auto kind = dce::CredentialFileKind::plaintext;
    CHECK(store.load_file(file, e, &kind));
    CHECK(kind == dce::CredentialFileKind::systemd);
    // Others may not read it even there.
    ::chmod(file.c_str(), 0404);
    dce::CredentialStore other;
    CHECK_FALSE(other.load_file(file, e));
    ::unsetenv("CREDENTIALS_DIRECTORY");
    ::unsetenv("DCE_CREDENTIALS");
    ::unlink(file.c_str());
    ::rmdir(dir);
}

TEST_CASE("a sealed file that cannot be decrypted is refused, never read as text") {
    char path[] = "/tmp/dce-sealed-XXXXXX.cred";
    int fd = mkstemps(path, 5);
    REQUIRE(fd >= 0);
    // Sealed-looking (base64) but no credential: systemd-creds fails, and that is the end.
    std::string body = "Whxqht+dQJax1aZeCGLxmiAAAAABAAAADAAAABAAAACdfBJuQXCU6QHLX5wAAAAA\n";
    REQUIRE(write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
    close(fd);
    dce::CredentialStore store;
    std::string e;
    CHECK_FALSE(store.load_file(path, e));
    CHECK(e.find("cannot decrypt credentials file") != std::string::npos);
    CHECK(e.find(path) != std::string::npos);
    CHECK(store.find("x") == nullptr);
    ::unlink(path);
}
