#pragma once
// Reading a whole file into memory, with a ceiling. A path an operator gives may be
// /dev/zero, a FIFO or a multi-gigabyte log by mistake; an uncapped read grows until the
// machine swaps, and cannot be stopped. Every whole-file read in the tools goes through
// here, with the ceiling that fits what the file is meant to hold.

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace dce {

/// Keys, certificates, signatures, checksum lists, credentials files.
inline constexpr std::size_t max_small_file = std::size_t{1} << 20;
/// Target lists, inventories, device profiles.
inline constexpr std::size_t max_list_file = std::size_t{16} << 20;

/// An input opened for reading: a file, or standard input for "-" (never closed here).
class InputFile {
  public:
    explicit InputFile(const std::string& path);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    bool is_open() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    int open_errno() const { return errno_; }  ///< why it could not be opened
    bool is_stdin() const { return is_stdin_; }

  private:
    int fd_ = -1;
    int errno_ = 0;
    bool is_stdin_ = false;
};

/// Reads all of `path` ("-" is standard input) into `out`. False, with a message that
/// names the path, when it cannot be opened or read, is a directory, holds more than
/// `max` bytes, or SIGINT/SIGTERM arrived while it was read (interrupted()).
bool read_file_capped(const std::string& path, std::size_t max, std::string& out,
                      std::string& error);

/// "1 MiB", "16 MiB", "512 KiB", "100 bytes": a ceiling as error messages say it.
std::string format_size(std::size_t bytes);

// Files replaced atomically: a temp file in the same directory (so rename() cannot cross
// file systems), fsync'd, then renamed over the target and the directory fsync'd. A
// reader (node_exporter, a restore) sees the old file or the whole new one, never half.

/// Makes an empty file beside `path`, named ".NAME.tmp-XXXXXX", with `mode`; returns its
/// path, or empty with `error`.
std::string make_temp_beside(const std::string& path, unsigned mode, std::string& error);
/// fsyncs `tmp`, renames it to `path` and fsyncs the directory. With `replace` false an
/// existing `path` is kept and the call fails. On failure `tmp` is removed.
bool commit_temp(const std::string& tmp, const std::string& path, bool replace, std::string& error);
/// Writes `data` to `path` that way (replacing what is there).
bool write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                       std::string& error);

/// The `*.json` files directly in `dir`, as paths, sorted (so the later of two files
/// defining the same name wins the same way every run). A directory that cannot be read
/// (or not to its end) sets `ec` and returns what was listed.
std::vector<std::string> json_files_in(const std::string& dir, std::error_code& ec);

/// Where a kind of data file lives, in the order later files override earlier ones: the
/// built-in folder (`$ENV` when set; else the installed DATADIR/NAME, or the source tree's
/// NAME/ for an uninstalled build), then the user's ($XDG_CONFIG_HOME or ~/.config)/dce/NAME,
/// then `extra`. Device profiles and the trap catalogue both live this way.
std::vector<std::string> data_dirs(std::string_view name, const char* env,
                                   const std::vector<std::string>& extra);

}  // namespace dce
