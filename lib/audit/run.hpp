#pragma once
// dce-audit's driver: tools/dce-audit/main.cpp fills AuditOptions, run_audit does the rest.

#include "core/context.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace dce::audit {

struct AuditOptions {
    std::string policy;                   ///< file; empty: the built-in default
    std::vector<std::string> targets;     ///< addresses/CIDRs/@file; "-": device records on stdin
    std::string role = "device";          ///< role for targets from the command line
    std::vector<std::string> only, skip;  ///< check ids or globs
    std::size_t concurrency = 16;         ///< targets side by side (checks of one target: serial)
    int timeout_ms = 2000;
    double rate = 0;              ///< probes started per second over the run; 0: no limit
    std::string format = "json";  ///< json|text|junit|sarif
    std::string site;
    std::string run_id;  ///< empty: made from the time
    bool list_checks = false;
    bool print_default_policy = false;
};

int run_audit(ToolContext& ctx, const AuditOptions& options);

}  // namespace dce::audit
