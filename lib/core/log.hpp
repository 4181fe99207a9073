#pragma once
// Logs go to stderr only (stdout carries records). Text for people, JSON lines for log
// shippers. Never pass a Secret here: it has no formatter, so that fails to compile.

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace dce::log {

/// Configures the default logger. False with a message for an unknown level or format.
bool setup(std::string_view tool, std::string_view level, std::string_view format,
           std::string& error);

/// True when stderr is a terminal (progress bars, colour).
bool stderr_is_tty();

}  // namespace dce::log
