#pragma once
// JSON lines in and out. The reader never stops at a bad line: it says which line and
// why, and goes on with the next. The writer sends each record as soon as it is whole,
// so a pipe downstream never waits and a crash loses at most the record being written.

#include "core/record.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dce {

/// Deepest nesting of arrays and objects a record may have. Records need a few levels;
/// a line nested 53,000 deep overflowed the stack of the recursive code that walks
/// parsed values (dump, destruction), so every parser refuses deeper input first.
inline constexpr std::size_t max_json_depth = 64;

/// True when `text` (JSON) nests arrays/objects deeper than `limit`; strings are skipped.
bool json_too_deep(std::string_view text, std::size_t limit = max_json_depth);

/// Returns the byte offset of the first invalid UTF-8 sequence, or npos when valid.
std::size_t find_invalid_utf8(std::string_view s);

/// Lower-case hex with a "0x" prefix: "0x00a1...".
std::string to_hex(std::string_view bytes);
/// An SNMP OctetString as text when it is printable UTF-8 (trailing NULs dropped), else
/// to_hex(), so a record never carries raw bytes.
std::string octets_to_display(std::string_view bytes);

/// Reads newline-separated lines from a file descriptor with bounded memory: a line
/// longer than max_line is skipped whole and reported, never buffered whole.
class LineReader {
  public:
    /// `again`: only when constructed with wait=false: no whole line is buffered and the fd
    /// has nothing to read now (call again when epoll says it is readable).
    enum class Result { line, too_long, eof, io_error, again };
    explicit LineReader(int fd, std::size_t max_line = 1 << 20, bool wait = true);
    /// On `line`, `text` is valid until the next call; a trailing "\r" is removed.
    Result next(std::string_view& text);
    std::uint64_t line_number() const { return line_number_; }
    const std::string& error() const { return error_; }

  private:
    bool fill();
    Result skip_rest();
    int fd_;
    std::size_t max_line_;
    bool wait_;
    std::vector<char> buf_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
    bool would_block_ = false;  // the last fill() found nothing to read (wait=false)
    bool skipping_ = false;     // inside an over-long line, dropping up to its newline
    std::uint64_t line_number_ = 0;
    std::string error_;
};

struct RecordLine {
    std::uint64_t number = 0;  ///< 1-based input line
    std::string_view raw;      ///< the line as read, for pass-through unchanged
    Json value;                ///< parsed record when ok
    bool ok = false;
    std::string error;  ///< "line 7: ..." when !ok
};

struct RecordReaderOptions {
    std::size_t max_line = 1 << 20;
    bool check_contract = true;  ///< apply check_record() to each object
    /// false: next() returns false as soon as no whole line is buffered and the fd has
    /// nothing to read now, so a caller can read a live pipe from its epoll loop without
    /// blocking (the fd itself stays blocking: O_NONBLOCK would change it for every process
    /// sharing it). ended() tells that apart from the end of input.
    bool wait = true;
};

/// Parses JSON lines into records; blank lines are skipped silently.
class RecordReader {
  public:
    explicit RecordReader(int fd, RecordReaderOptions opts = {});
    /// False at end of input (or a read error: see io_error()). A bad line still returns
    /// true, with ok=false and the reason, so the caller can count it and go on.
    bool next(RecordLine& out);
    /// The same loop without the parse, for a caller with a faster parser in front of
    /// parse_record_line (dce-store's ingest): `number` and `raw` are set and `ok` is true,
    /// except for an over-long line, which comes back with ok=false and its reason. Blank
    /// lines are skipped. The caller reports each outcome with count().
    bool next_raw(RecordLine& out);
    void count(bool ok) { ok ? ++accepted_ : ++rejected_; }
    std::uint64_t accepted() const { return accepted_; }
    std::uint64_t rejected() const { return rejected_; }
    const std::string& io_error() const { return lines_.error(); }
    /// True once next() returned false for end of input or a read error.
    bool ended() const { return ended_; }

  private:
    LineReader lines_;
    RecordReaderOptions opts_;
    bool ended_ = false;
    std::uint64_t accepted_ = 0, rejected_ = 0;
};

/// Parses one line as a record; false with a reason (without the line number) when bad.
bool parse_record_line(std::string_view line, Json& out, std::string& why, bool check_contract);

/// Thrown when stdout is gone (EPIPE) or a write fails; the tool's edge (run_tool) turns
/// it into exit status 3: quietly for a closed pipe (`| head` is done reading, nothing
/// is wrong), with one line on stderr for anything else (ENOSPC, EIO, ...).
class OutputError : public std::runtime_error {
  public:
    explicit OutputError(const std::string& what, int error_number = 0)
        : std::runtime_error(what), errno_(error_number) {}
    int error_number() const { return errno_; }
    /// The reader went away (EPIPE): the normal end of `tool | head`.
    bool closed_pipe() const;

  private:
    int errno_;
};

class RecordWriter {
  public:
    /// flush_each: one write(2) per record (the default for pipes); off for bulk export.
    explicit RecordWriter(int fd = 1, bool flush_each = true);
    ~RecordWriter();
    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;

    void write(const Json& record);
    /// Passes a line through unchanged (a newline is added).
    void write_raw(std::string_view line);
    void flush();
    std::uint64_t written() const { return written_; }

  private:
    void append(std::string_view s);
    int fd_;
    bool flush_each_;
    std::string buf_;
    std::uint64_t written_ = 0;
};

/// Writes all of `data` to `fd`, retrying on EINTR and short writes; throws OutputError.
void write_all(int fd, std::string_view data);

}  // namespace dce
