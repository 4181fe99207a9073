#include "core/log.hpp"

#include "core/time.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace dce::log {

namespace {
thread_local std::string_view tl_device, tl_check;
}  // namespace

Scope::Scope(std::string_view device, std::string_view check)
    : prev_device_(tl_device), prev_check_(tl_check) {
    tl_device = device;
    tl_check = check;
}
Scope::~Scope() {
    tl_device = prev_device_;
    tl_check = prev_check_;
}
std::string_view current_device() {
    return tl_device;
}
std::string_view current_check() {
    return tl_check;
}

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
        if (!tl_device.empty()) j["device"] = std::string(tl_device);
        if (!tl_check.empty()) j["check"] = std::string(tl_check);
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

// syslog(3) priorities, as journalctl -p filters them.
int priority(spdlog::level::level_enum l) {
    switch (l) {
        case spdlog::level::critical:
            return 2;
        case spdlog::level::err:
            return 3;
        case spdlog::level::warn:
            return 4;
        case spdlog::level::info:
            return 6;
        default:
            return 7;
    }
}

// FIELD=value, or for a value with a newline the binary form: FIELD, newline, the
// length as 64-bit little-endian, the bytes, newline.
void append_field(std::string& d, std::string_view name, std::string_view value) {
    d += name;
    if (value.find('\n') == std::string_view::npos) {
        d += '=';
        d += value;
    } else {
        d += '\n';
        std::uint64_t n = value.size();
        for (int i = 0; i < 8; ++i)
            d += static_cast<char>((n >> (8 * i)) & 0xff);
        d += value;
    }
    d += '\n';
}

int open_journal(const std::string& path, std::string& error) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        error = "path too long";
        return -1;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::strerror(errno);
        return -1;
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

// One datagram per log line. A line the journal cannot take (journald gone) is written
// to stderr instead, so nothing is lost silently.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    JournalSink(int fd, std::string tool) : fd_(fd), tool_(std::move(tool)) {}
    ~JournalSink() override { ::close(fd_); }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string_view text(msg.payload.data(), msg.payload.size());
        std::string d;
        d.reserve(text.size() + 128);
        append_field(d, "MESSAGE", text);
        append_field(d, "PRIORITY", std::to_string(priority(msg.level)));
        append_field(d, "SYSLOG_IDENTIFIER", tool_);
        if (!tl_device.empty()) append_field(d, "DCE_DEVICE", tl_device);
        if (!tl_check.empty()) append_field(d, "DCE_CHECK", tl_check);
        ssize_t n = ::send(fd_, d.data(), d.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EMSGSIZE && text.size() > 32768) {
            // Larger than a datagram may be: the start of the message, marked as cut.
            std::string cut(text.substr(0, 32768));
            cut += " [...]";
            d.clear();
            append_field(d, "MESSAGE", cut);
            append_field(d, "PRIORITY", std::to_string(priority(msg.level)));
            append_field(d, "SYSLOG_IDENTIFIER", tool_);
            if (!tl_device.empty()) append_field(d, "DCE_DEVICE", tl_device);
            if (!tl_check.empty()) append_field(d, "DCE_CHECK", tl_check);
            n = ::send(fd_, d.data(), d.size(), MSG_NOSIGNAL);
        }
        if (n < 0) {
            auto level = spdlog::level::to_string_view(msg.level);
            std::fprintf(stderr, "%s: %.*s: %.*s\n", tool_.c_str(), static_cast<int>(level.size()),
                         level.data(), static_cast<int>(text.size()), text.data());
        }
    }
    void flush_() override {}

  private:
    int fd_;
    std::string tool_;
};

}  // namespace

bool stderr_is_journal() {
    const char* js = std::getenv("JOURNAL_STREAM");
    if (!js || !*js) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string journal_socket_path() {
    if (const char* p = std::getenv("DCE_JOURNAL_SOCKET"); p && *p) return p;
    return "/run/systemd/journal/socket";
}

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
    if (format != "text" && format != "json" && format != "journal") {
        error = "unknown log format '" + std::string(format) + "' (expected text, json or journal)";
        return false;
    }
    std::shared_ptr<spdlog::logger> logger;
    spdlog::drop(std::string(tool) + "-log");  // setup() again replaces it
    std::string journal_error;
    if (format == "journal" || (format == "text" && stderr_is_journal())) {
        std::string path = journal_socket_path();
        int fd = open_journal(path, journal_error);
        if (fd >= 0) {
            logger = std::make_shared<spdlog::logger>(
                std::string(tool) + "-log", std::make_shared<JournalSink>(fd, std::string(tool)));
            logger->set_level(lvl);
            logger->flush_on(spdlog::level::trace);
            spdlog::set_default_logger(logger);
            return true;
        }
        if (format == "journal")
            journal_error =
                "no journal at " + path + " (" + journal_error + "); logging to stderr as text";
        else
            journal_error.clear();  // stderr is the journal already: text is fine
        format = "text";
    }
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
    if (!journal_error.empty()) logger->warn("{}", journal_error);
    return true;
}

}  // namespace dce::log
