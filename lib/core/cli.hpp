#pragma once
// Options are defined once, in each tool's CLI11 app. describe() turns the app into
// JSON, and scripts/gen-docs.py makes the man page and the bash/zsh/fish completions
// from that JSON; tests/cli/docs_drift.sh fails when a committed file differs.
// Run any tool with DCE_CLI_DESCRIBE=1 in the environment to see the JSON.

#include "core/record.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
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

struct CommonOptions {
    std::string log_level = "info";
    std::string log_format = "text";
};

/// An app with the options every tool has: -h/--help, -V/--version, --log-level,
/// --log-format; the exit-code table is its help footer.
std::unique_ptr<CLI::App> make_app(const ToolDoc& doc, CommonOptions& common);

/// Adds --credentials FILE (default: default_credentials_path()).
CLI::Option* add_credentials_option(CLI::App& app, std::string& path);

/// The JSON that the docs generator reads.
Json describe(const CLI::App& app, const ToolDoc& doc);

/// The tool's edge: prints describe() when DCE_CLI_DESCRIBE is set, parses argv (exit 2
/// on a usage error), sets up logging, ignores SIGPIPE, installs SIGINT/SIGTERM
/// handlers, runs `body`, and turns an escaping exception into one line and exit 3.
int run_tool(CLI::App& app, const ToolDoc& doc, const CommonOptions& common, int argc, char** argv,
             const std::function<int()>& body);

/// Set by SIGINT/SIGTERM (after run_tool installed the handlers).
bool interrupted();
/// The signal that set interrupted(), or 0.
int interrupt_signal();
/// Requests the interrupt from code (tests, a second thread).
void request_interrupt();

}  // namespace dce::cli
