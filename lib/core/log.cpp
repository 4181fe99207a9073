#include "core/log.hpp"

#include "core/time.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

namespace dce::log {
namespace {

// One JSON object a line: {"ts","level","tool","msg"}; fields escaped by nlohmann.
class JsonFormatter final : public spdlog::formatter {
  public:
    explicit JsonFormatter(std::string tool) : tool_(std::move(tool)) {}
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        nlohmann::ordered_json j;
        j["ts"] = format_timestamp(std::chrono::time_point_cast<SystemTime::duration>(msg.time));
        j["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                 spdlog::level::to_string_view(msg.level).size());
        j["tool"] = tool_;
        j["msg"] = std::string(msg.payload.data(), msg.payload.size());
        auto s = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        dest.append(s.data(), s.data() + s.size());
        dest.push_back('\n');
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>(tool_);
    }

  private:
    std::string tool_;
};

}  // namespace

bool stderr_is_tty() {
    return ::isatty(STDERR_FILENO) == 1;
}

bool setup(std::string_view tool, std::string_view level, std::string_view format,
           std::string& error) {
    auto lvl = spdlog::level::from_str(std::string(level));
    if (lvl == spdlog::level::off && level != "off") {
        error = "unknown log level '" + std::string(level) +
                "' (expected trace, debug, info, warn, error, critical or off)";
        return false;
    }
    if (format != "text" && format != "json") {
        error = "unknown log format '" + std::string(format) + "' (expected text or json)";
        return false;
    }
    std::shared_ptr<spdlog::logger> logger;
    if (format == "text" && stderr_is_tty())
        logger = spdlog::stderr_color_mt(std::string(tool) + "-log");
    else
        logger = spdlog::stderr_logger_mt(std::string(tool) + "-log");
    if (format == "json") {
        logger->set_formatter(std::make_unique<JsonFormatter>(std::string(tool)));
    } else {
        logger->set_pattern(std::string(tool) + ": %^%l%$: %v");
    }
    logger->set_level(lvl);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    return true;
}

}  // namespace dce::log
