#pragma once
// Logs go to stderr only (stdout carries records). Text for people, JSON lines for log
// shippers, and under systemd the journal with structured fields. Never pass a Secret
// here: it has no formatter, so that fails to compile.
//
// --log-format journal (or text on a stderr that is the journal: $JOURNAL_STREAM names
// stderr's device:inode) sends each line to journald's native socket as a datagram of
// FIELD=value lines (systemd.io/JOURNAL_NATIVE_PROTOCOL): MESSAGE, PRIORITY,
// SYSLOG_IDENTIFIER (the tool), and DCE_DEVICE / DCE_CHECK when a log::Scope names them.
// The protocol is a few lines of code, so the tools need no libsystemd; when the socket
// is missing the logs go to stderr as text, after one line that says so.

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace dce::log {

/// Configures the default logger. False with a message for an unknown level or format
/// (text, json, journal).
bool setup(std::string_view tool, std::string_view level, std::string_view format,
           std::string& error);

/// True when stderr is a terminal (progress bars, colour).
bool stderr_is_tty();

/// True when $JOURNAL_STREAM names stderr: systemd connected it to the journal.
bool stderr_is_journal();

/// The journal's native socket: $DCE_JOURNAL_SOCKET (for tests, which have no journald),
/// else /run/systemd/journal/socket.
std::string journal_socket_path();

/// The device and check that the log lines of this thread are about, while a Scope
/// lives: the journal gets them as DCE_DEVICE and DCE_CHECK, JSON logs as "device" and
/// "check". The strings must outlive the Scope. Scopes nest; the inner one wins.
class Scope {
  public:
    explicit Scope(std::string_view device, std::string_view check = {});
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

  private:
    std::string_view prev_device_, prev_check_;
};

/// What the innermost Scope of this thread names (empty when none).
std::string_view current_device();
std::string_view current_check();

}  // namespace dce::log
