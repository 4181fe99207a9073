#pragma once
// Options are defined once, in each tool's CLI11 app. describe() turns the app into
// JSON, and scripts/gen-docs.py makes the man page and the bash/zsh/fish completions
// from that JSON; tests/cli/docs_drift.sh fails when a committed file differs.
// Run any tool with DCE_CLI_DESCRIBE=1 in the environment to see the JSON.

#include "core/context.hpp"
#include "core/record.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dce::cli {

struct Example {
    std::string_view command;
    std::string_view explanation;
};

struct Section {
    std::string_view title;
    std::string_view
        text;  ///< paragraphs separated by blank lines; lines starting "  " are kept as-is
};

/// What a tool says about itself beyond its options: the man page is made from this.
struct ToolDoc {
    std::string_view name;
    std::string_view summary;              ///< one line, for NAME and --help
    std::string_view description;          ///< paragraphs separated by blank lines
    std::vector<std::string_view> reads;   ///< record types read on stdin
    std::vector<std::string_view> writes;  ///< record types written on stdout
    std::vector<Example> examples;
    std::vector<std::pair<std::string_view, std::string_view>> environment;
    std::vector<std::pair<std::string_view, std::string_view>> files;
    std::vector<Section> sections;  ///< extra sections before EXIT STATUS
    std::vector<std::string_view> see_also;
};

/// The ENVIRONMENT entry of every tool that reads credentials: systemd's decrypted
/// credentials directory, looked in before $DCE_CREDENTIALS (one text for all tools).
inline constexpr std::pair<std::string_view, std::string_view> credentials_directory_env{
    "CREDENTIALS_DIRECTORY",
    "Set by systemd for a unit with LoadCredentialEncrypted=dce-credentials:FILE.cred: its "
    "dce-credentials file (decrypted by systemd) is used before $DCE_CREDENTIALS and "
    "~/.config/dce/credentials when --credentials is not given."};

struct CommonOptions {
    std::string log_level = "info";
    std::string log_format = "text";
    std::string credentials_path;  ///< --credentials, read by the ToolContext
};

/// An app with the options every tool has: -h/--help, -V/--version, --log-level,
/// --log-format; the exit-code table is its help footer.
std::unique_ptr<CLI::App> make_app(const ToolDoc& doc, CommonOptions& common);

// The options several tools share, each written once (as curl writes each option once):
// the same name has the same syntax and meaning in every tool.

/// Adds --credentials FILE (default: default_credentials_path()); the ToolContext loads it.
CLI::Option* add_credentials_option(CLI::App& app, CommonOptions& common);
/// The positional targets: address, CIDR, range, name, HOST:PORT, @FILE, -.
CLI::Option* add_targets(CLI::App& app, std::vector<std::string>& targets, std::string help);
/// --timeout DURATION with a unit (500ms, 2s, 1m); a bare number is refused with the fix.
CLI::Option* add_timeout_option(CLI::App& app, int& timeout_ms, std::string help);
/// --retries N (0-10): resends after a timeout.
CLI::Option* add_retries_option(CLI::App& app, int& retries);
/// --rate N per second, 0 lifts the limit.
CLI::Option* add_rate_option(CLI::App& app, double& rate, std::string help);
/// --concurrency N (1-65536).
CLI::Option* add_concurrency_option(CLI::App& app, std::size_t& concurrency, std::string help);
/// --profile-dir DIR, repeatable (one DIR each time; later ones win).
CLI::Option* add_profile_dir_option(CLI::App& app, std::vector<std::string>& dirs);
/// --site NAME.
CLI::Option* add_site_option(CLI::App& app, std::string& site, std::string help);
/// --format NAME, one of `choices`.
CLI::Option* add_format_option(CLI::App& app, std::string& format, std::vector<std::string> choices,
                               std::string help);
/// An option given once per value (--san a --san b): it never takes the positionals
/// after it (`--profile-dir D 10.0.0.5` keeps 10.0.0.5 a target).
CLI::Option* add_repeatable_option(CLI::App& app, std::string name,
                                   std::vector<std::string>& values, std::string help);

/// --timeout's syntax: a number with a unit (ms, s, m, h), more than 0 and at most 10m.
/// A bare number is refused (it meant seconds to some tools and milliseconds to others).
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text, std::string& error);
/// "1500ms", "2s", "1m": a duration as --help shows defaults.
std::string format_duration_ms(std::int64_t ms);

/// --metrics-file PATH: the tool's own counters as a node_exporter textfile-collector file
/// (core/metrics.hpp), replaced atomically each round and at exit.
CLI::Option* add_metrics_file_option(CLI::App& app, std::string& path, std::string when);

/// The JSON that the docs generator reads.
Json describe(const CLI::App& app, const ToolDoc& doc);

/// The tool's edge: prints describe() when DCE_CLI_DESCRIBE is set, parses argv (exit 2
/// on a usage error), sets up logging, ignores SIGPIPE, installs SIGINT/SIGTERM
/// handlers, builds the ToolContext, runs `body` with it, and turns an escaping
/// exception into one line and exit 3.
int run_tool(CLI::App& app, const ToolDoc& doc, const CommonOptions& common, int argc, char** argv,
             const std::function<int(ToolContext&)>& body);

/// The single-value option given more than once (in `app` or its subcommands), or null:
/// for a clearer message than CLI11's "At Most 1 required but received 2".
const CLI::Option* repeated_single_option(const CLI::App& app);

}  // namespace dce::cli
