#include "core/context.hpp"
#include "core/cli.hpp"

#include <catch.hpp>

#include <cstdlib>

using namespace dce;

TEST_CASE("ToolContext loads the credentials once and keeps an error", "[context]") {
    ToolContext ctx("dce-test", "/nonexistent/dce-credentials");
    std::string error;
    CHECK(ctx.credentials(error) == nullptr);
    CHECK(error.find("/nonexistent/dce-credentials") != std::string::npos);
    std::string again;
    CHECK(ctx.credentials(again) == nullptr);
    CHECK(again == error);
}

TEST_CASE("ToolContext takes credentials from text", "[context]") {
    ToolContext ctx("dce-test", "/nonexistent/dce-credentials");
    std::string error;
    REQUIRE(ctx.load_credentials_text("[pg]\nkind = password\npassword = s3cret\n", error));
    const CredentialStore* creds = ctx.credentials(error);
    REQUIRE(creds != nullptr);
    CHECK(creds->find("pg") != nullptr);
}

TEST_CASE("a timeout needs a unit in every tool", "[cli]") {
    std::string error;
    CHECK(cli::parse_timeout("500ms", error)->count() == 500);
    CHECK(cli::parse_timeout("2s", error)->count() == 2000);
    CHECK_FALSE(cli::parse_timeout("2000", error));
    CHECK(error.find("2000ms or 2000s") != std::string::npos);
    CHECK_FALSE(cli::parse_timeout("0s", error));
    CHECK_FALSE(cli::parse_timeout("soon", error));
    CHECK_FALSE(cli::parse_timeout("1h", error));
    CHECK(cli::format_duration_ms(1500) == "1500ms");
    CHECK(cli::format_duration_ms(2000) == "2s");
}

TEST_CASE("a repeatable option takes one value per occurrence", "[cli]") {
    CLI::App app;
    std::vector<std::string> dirs, targets;
    cli::add_profile_dir_option(app, dirs);
    cli::add_targets(app, targets, "targets");
    const char* argv[] = {"t", "--profile-dir", "D", "10.0.0.5", "--profile-dir", "E"};
    app.parse(6, const_cast<char**>(argv));
    CHECK(dirs == std::vector<std::string>{"D", "E"});
    CHECK(targets == std::vector<std::string>{"10.0.0.5"});
}

TEST_CASE("a single-value option given twice is named", "[cli]") {
    CLI::App app;
    int timeout = 1000;
    cli::add_timeout_option(app, timeout, "wait");
    const char* argv[] = {"t", "--timeout", "1s", "--timeout", "2s"};
    CHECK_THROWS_AS(app.parse(5, const_cast<char**>(argv)), CLI::ArgumentMismatch);
    const CLI::Option* opt = cli::repeated_single_option(app);
    REQUIRE(opt != nullptr);
    CHECK(opt->get_name() == "--timeout");
}
