// Placeholder main so the build has a tool while the library is laid down.
#include "core/cli.hpp"
#include "core/exit_codes.hpp"

int main(int argc, char** argv) {
    dce::cli::ToolDoc doc{.name = "dce-upgrade-verify", .summary = "Verify upgrade files"};
    dce::cli::CommonOptions common;
    auto app = dce::cli::make_app(doc, common);
    return dce::cli::run_tool(*app, doc, common, argc, argv, [] { return dce::exit_ok; });
}
