#pragma once
// The stop flag every tool checks: SIGINT/SIGTERM set it (once run_tool installed the
// handlers). Its own header so the readers and drivers that only need to stop in time
// (jsonl, files, digests, sweeps) do not pull in all of CLI11 through core/cli.hpp.

namespace dce {

/// Set by SIGINT/SIGTERM (after install_stop_handlers()).
bool interrupted();
/// The signal that set interrupted(), or 0.
int interrupt_signal();
/// Requests the interrupt from code (tests, a second thread).
void request_interrupt();
/// SIGINT and SIGTERM set interrupted() instead of killing the process; SIGPIPE is
/// ignored, so a closed stdout becomes EPIPE at the next write (see OutputError).
void install_stop_handlers();

/// SIGHUP: a long-running tool (dce-trapd) reloads its configuration. Installed only by
/// tools that reload; take_reload_request() is true once per SIGHUP received.
void install_reload_handler();
bool take_reload_request();

}  // namespace dce
