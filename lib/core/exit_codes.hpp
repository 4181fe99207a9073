#pragma once
// PUBLIC INTERFACE. Scripts, cron jobs and CI pipelines branch on these numbers, and
// every man page prints this table (generated from exit_code_table below): never
// renumber an entry, only add.

namespace dce {

enum ExitCode : int {
    exit_ok = 0,             ///< everything checked passed, every target answered
    exit_check_failed = 1,   ///< something checked failed: a `fail` finding, a digest mismatch
    exit_usage = 2,          ///< bad command line or unusable input file
    exit_runtime = 3,        ///< runtime error, or some targets failed (see the `error` records);
                             ///< also a closed stdout (EPIPE, quietly) or a failed write
    exit_interrupted = 130,  ///< stopped by SIGINT/SIGTERM after flushing what was done
};

struct ExitCodeInfo {
    int code;
    const char* meaning;
};

inline constexpr ExitCodeInfo exit_code_table[] = {
    {exit_ok, "All good: every check passed and every target was handled."},
    {exit_check_failed,
     "Something checked failed: a fail finding, a checksum or signature mismatch."},
    {exit_usage, "Usage error: a bad option, argument or input file."},
    {exit_runtime, "Runtime error, or some targets failed (each has an error record on stdout)."},
    {exit_interrupted, "Interrupted by SIGINT or SIGTERM; what was done was flushed."},
};

/// Folds per-target outcomes into one status: the worst wins (runtime beats check_failed).
inline int worse_exit(int a, int b) {
    auto rank = [](int c) {
        switch (c) {
            case exit_ok:
                return 0;
            case exit_check_failed:
                return 1;
            case exit_runtime:
                return 2;
            case exit_usage:
                return 3;
            default:
                return 4;
        }
    };
    return rank(a) >= rank(b) ? a : b;
}

}  // namespace dce
