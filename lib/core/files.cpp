#include "core/files.hpp"

#include <cstdlib>

#include <filesystem>

#include "core/jsonl.hpp"
#include "core/signals.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dce {

namespace {
std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}
}  // namespace

std::string make_temp_beside(const std::string& path, unsigned mode, std::string& error) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string tmp = dir + "." + base + ".tmp-XXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) {
        error = "cannot create a file in " + dir_of(path) + ": " + std::strerror(errno);
        return {};
    }
    ::fchmod(fd, static_cast<mode_t>(mode));
    ::close(fd);
    return tmp;
}

bool commit_temp(const std::string& tmp, const std::string& path, bool replace,
                 std::string& error) {
    auto fail = [&](const std::string& what) {
        error = what + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    };
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open " + tmp);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return fail("cannot write " + tmp);
    if (replace) {
        if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename to " + path);
    } else if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST) {
            ::unlink(tmp.c_str());
            error = path + " exists";
            errno = EEXIST;
            return false;
        }
        return fail("cannot rename to " + path);
    }
    // The rename is durable once the directory is.
    int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return true;
}

bool write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                       std::string& error) {
    std::string tmp = make_temp_beside(path, mode, error);
    if (tmp.empty()) return false;
    int fd = ::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot write " + tmp + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    }
    try {
        write_all(fd, data);
    } catch (const std::exception& e) {
        ::close(fd);
        ::unlink(tmp.c_str());
        error = "cannot write " + tmp + ": " + e.what();
        return false;
    }
    ::close(fd);
    return commit_temp(tmp, path, true, error);
}

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

std::vector<std::string> json_files_in(const std::string& dir, std::error_code& ec) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace dce
