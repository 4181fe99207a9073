#include "core/files.hpp"

#include <cstdlib>

#include <filesystem>

#include "core/signals.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dce {

std::string format_size(std::size_t bytes) {
    if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= (std::size_t{1} << 10) && bytes % (std::size_t{1} << 10) == 0)
        return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

InputFile::InputFile(const std::string& path) : is_stdin_(path == "-") {
    fd_ = is_stdin_ ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) errno_ = errno;
}

InputFile::~InputFile() {
    if (fd_ >= 0 && !is_stdin_) ::close(fd_);
}

bool read_file_capped(const std::string& path, std::size_t max, std::string& out,
                      std::string& error) {
    out.clear();
    InputFile in(path);
    std::string shown = in.is_stdin() ? std::string("standard input") : "'" + path + "'";
    if (!in.is_open()) {
        error = "cannot read " + shown + ": " + std::strerror(in.open_errno());
        return false;
    }
    int fd = in.fd();
    auto too_large = [&] {
        out.clear();
        error = "cannot read " + shown + ": larger than " + format_size(max) +
                ", more than such a file holds (is it the right file?)";
        return false;
    };
    struct stat st {};
    if (::fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            error = "cannot read " + shown + ": it is a directory";
            return false;
        }
        // A regular file's size is known up front; devices and pipes are found out below.
        if (S_ISREG(st.st_mode)) {
            if (static_cast<std::size_t>(st.st_size) > max) return too_large();
            // One allocation: a credentials file leaves no stray copies in freed memory.
            out.reserve(static_cast<std::size_t>(st.st_size) + 1);
        }
    }
    char buf[64 << 10];
    struct Wipe {
        char* p;
        std::size_t n;
        ~Wipe() { explicit_bzero(p, n); }
    } wipe{buf, sizeof buf};
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            if (out.size() + static_cast<std::size_t>(n) > max) return too_large();
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR && !interrupted()) continue;
        int e = errno;
        out.clear();
        error = e == EINTR ? "reading " + shown + " was interrupted"
                           : "cannot read " + shown + ": " + std::strerror(e);
        return false;
    }
    if (interrupted()) {
        out.clear();
        error = "reading " + shown + " was interrupted";
        return false;
    }
    return true;
}

std::vector<std::string> data_dirs(std::string_view name, const char* env,
                                   const std::vector<std::string>& extra) {
    std::vector<std::string> dirs;
    const std::string sub(name);
    if (const char* v = std::getenv(env); v && *v) {
        dirs.emplace_back(v);
    } else {
        std::error_code ec;
        std::string installed = std::string(DCE_DATADIR) + "/" + sub;
        // An uninstalled build uses its source tree's files.
        dirs.push_back(std::filesystem::is_directory(installed, ec)
                           ? installed
                           : std::string(DCE_SOURCE_DIR) + "/" + sub);
    }
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        dirs.push_back(std::string(xdg) + "/dce/" + sub);
    else if (const char* home = std::getenv("HOME"); home && *home)
        dirs.push_back(std::string(home) + "/.config/dce/" + sub);
    for (const auto& e : extra)
        dirs.push_back(e);
    return dirs;
}

}  // namespace dce
