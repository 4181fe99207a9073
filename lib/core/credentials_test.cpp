#include "core/credentials.hpp"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <catch.hpp>

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
