#include "core/jsonl.hpp"

#include "core/signals.hpp"

#include <poll.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace dce {

std::size_t find_invalid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t n = s.size(), i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0)
            len = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            len = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            len = 4, cp = c & 0x07;
        else
            return i;
        if (i + len > n) return i;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid too.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return i;
        i += len;
    }
    return std::string_view::npos;
}

bool json_too_deep(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

LineReader::LineReader(int fd, std::size_t max_line, bool wait)
    : fd_(fd),
      max_line_(max_line),
      wait_(wait),
      buf_(std::max<std::size_t>(max_line + 1, 64 * 1024)) {}

bool LineReader::fill() {
    would_block_ = false;
    if (eof_) return false;
    if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == buf_.size()) return true;  // full: caller handles an over-long line
    // SIGINT/SIGTERM end the input: /dev/zero or an idle pipe would otherwise keep a
    // reader (skipping an endless line, or blocked in read) going forever.
    if (interrupted()) {
        error_ = "interrupted";
        eof_ = true;
        return false;
    }
    if (!wait_) {
        // Regular files always poll readable, so they are read whole as before.
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) {
            would_block_ = true;
            return false;
        }
    }
    while (true) {
        ssize_t got = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
        if (got > 0) {
            end_ += static_cast<std::size_t>(got);
            return true;
        }
        if (got == 0) {
            eof_ = true;
            return false;
        }
        int e = errno;
        if (e == EINTR && !interrupted()) continue;
        error_ = e == EINTR ? "interrupted" : std::strerror(e);
        eof_ = true;
        return false;
    }
}

LineReader::Result LineReader::skip_rest() {
    while (true) {
        auto* p = static_cast<char*>(std::memchr(buf_.data() + begin_, '\n', end_ - begin_));
        if (p) {
            begin_ = static_cast<std::size_t>(p - buf_.data()) + 1;
            skipping_ = false;
            return Result::too_long;
        }
        begin_ = end_ = 0;
        if (!fill()) {
            if (would_block_) return Result::again;
            skipping_ = false;
            return error_.empty() ? Result::too_long : Result::io_error;
        }
    }
}

LineReader::Result LineReader::next(std::string_view& text) {
    if (skipping_) return skip_rest();
    std::size_t scanned = begin_;
    while (true) {
        auto* start = buf_.data() + scanned;
        auto* nl = static_cast<char*>(std::memchr(start, '\n', end_ - scanned));
        if (nl) {
            std::size_t len = static_cast<std::size_t>(nl - (buf_.data() + begin_));
            ++line_number_;
            if (len > max_line_) {
                begin_ += len + 1;
                return Result::too_long;
            }
            text = std::string_view(buf_.data() + begin_, len);
            if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
            begin_ += len + 1;
            return Result::line;
        }
        if (end_ - begin_ > max_line_) {
            // Over-long: drop what we have and skip to the next newline without keeping it.
            ++line_number_;
            skipping_ = true;
            begin_ = end_ = 0;
            return skip_rest();
        }
        scanned = end_;
        std::size_t before = begin_;
        if (!fill()) {
            if (would_block_) return Result::again;
            if (!error_.empty()) return Result::io_error;
            if (end_ > begin_) {  // last line without a newline
                ++line_number_;
                text = std::string_view(buf_.data() + begin_, end_ - begin_);
                if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
                begin_ = end_;
                return text.size() > max_line_ ? Result::too_long : Result::line;
            }
            return Result::eof;
        }
        scanned -= before - begin_;  // fill() may have moved the data to the front
    }
}

bool parse_record_line(std::string_view line, Json& out, std::string& why, bool check_contract) {
    if (auto bad = find_invalid_utf8(line); bad != std::string_view::npos) {
        why = "invalid UTF-8 at byte " + std::to_string(bad + 1);
        return false;
    }
    if (json_too_deep(line)) {
        why = "nested deeper than " + std::to_string(max_json_depth) + " levels";
        return false;
    }
    out = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (out.is_discarded()) {
        // Parse again with exceptions only on the slow path, for the position and reason.
        try {
            auto unused = Json::parse(line.begin(), line.end());
            (void)unused;
            why = "not valid JSON";
        } catch (const Json::parse_error& e) {
            why = "not valid JSON at byte " + std::to_string(e.byte);
        } catch (const Json::out_of_range&) {
            // Found by fuzz_core_jsonl: 1E99999 overflows a double, which nlohmann
            // reports as out_of_range, not as a parse error.
            why = "not valid JSON: a number is too large";
        } catch (const Json::exception&) {
            why = "not valid JSON";
        }
        return false;
    }
    if (!out.is_object()) {
        why = "not a JSON object";
        return false;
    }
    if (check_contract && !check_record(out, why)) return false;
    return true;
}

RecordReader::RecordReader(int fd, RecordReaderOptions opts)
    : lines_(fd, opts.max_line, opts.wait), opts_(opts) {}

bool RecordReader::next_raw(RecordLine& out) {
    while (true) {
        std::string_view text;
        auto r = lines_.next(text);
        if (r == LineReader::Result::again) return false;
        if (r == LineReader::Result::eof || r == LineReader::Result::io_error) {
            ended_ = true;
            return false;
        }
        out.number = lines_.line_number();
        out.error.clear();
        if (r == LineReader::Result::too_long) {
            out.ok = false;
            out.raw = {};
            out.error = "line " + std::to_string(out.number) + ": longer than " +
                        std::to_string(opts_.max_line) + " bytes, skipped";
            return true;
        }
        if (text.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank line
        out.raw = text;
        out.ok = true;
        return true;
    }
}

bool RecordReader::next(RecordLine& out) {
    if (!next_raw(out)) return false;
    if (out.ok) {
        std::string why;
        out.ok = parse_record_line(out.raw, out.value, why, opts_.check_contract);
        if (!out.ok) out.error = "line " + std::to_string(out.number) + ": " + why;
    }
    count(out.ok);
    return true;
}

bool OutputError::closed_pipe() const {
    return errno_ == EPIPE;
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            throw OutputError(std::string("cannot write output: ") + std::strerror(e), e);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

RecordWriter::RecordWriter(int fd, bool flush_each) : fd_(fd), flush_each_(flush_each) {}

RecordWriter::~RecordWriter() {
    try {
        flush();
    } catch (...) {
        // A destructor must not throw; the tool's edge already reported a failed flush.
    }
}

void RecordWriter::append(std::string_view s) {
    buf_.append(s);
    buf_.push_back('\n');
    ++written_;
    if (flush_each_ || buf_.size() >= (1 << 16)) flush();
}

void RecordWriter::write(const Json& record) {
    // replace: a string that is not valid UTF-8 must not end the run.
    append(record.dump(-1, ' ', false, Json::error_handler_t::replace));
}

void RecordWriter::write_raw(std::string_view line) {
    append(line);
}

void RecordWriter::flush() {
    if (buf_.empty()) return;
    std::string pending;
    pending.swap(buf_);
    write_all(fd_, pending);
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s = "0x";
    s.reserve(2 + bytes.size() * 2);
    for (unsigned char c : bytes) {
        s += digits[c >> 4];
        s += digits[c & 15];
    }
    return s;
}

std::string octets_to_display(std::string_view bytes) {
    // Agents often NUL-pad fixed-size strings; the padding is not part of the text.
    while (!bytes.empty() && bytes.back() == '\0')
        bytes.remove_suffix(1);
    if (find_invalid_utf8(bytes) != std::string_view::npos) return to_hex(bytes);
    for (unsigned char c : bytes)
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return to_hex(bytes);
    return std::string(bytes);
}

}  // namespace dce
