#include "core/jsonl.hpp"

#include <unistd.h>
#include <catch.hpp>

#include <csignal>

#include <string>
#include <thread>
#include <vector>

namespace {

// Feeds `input` to a RecordReader through a pipe (a writer thread, so inputs bigger
// than the pipe buffer work) and collects what it returns.
std::vector<dce::RecordLine> read_all(const std::string& input,
                                      dce::RecordReaderOptions opts = {}) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::thread writer([&] {
        dce::write_all(fds[1], input);
        close(fds[1]);
    });
    dce::RecordReader reader(fds[0], opts);
    std::vector<dce::RecordLine> out;
    dce::RecordLine line;
    while (reader.next(line)) {
        line.raw = {};  // not valid after the next call
        out.push_back(line);
    }
    writer.join();
    close(fds[0]);
    return out;
}

const std::string good =
    R"({"type":"reading","ts":"2026-11-22T07:30:00.123Z","device":"d","metric":"m","value":1})";

}  // namespace

TEST_CASE("bad lines are reported by number and reading goes on") {
    auto lines = read_all(good + "\n{not json\n\n[1,2]\n" + good + "\r\n" +
                          R"({"type":"reading","ts":"2026-11-22T07:30:00.123Z"})" + "\n" + good);
    REQUIRE(lines.size() == 6);
    CHECK(lines[0].ok);
    CHECK_FALSE(lines[1].ok);
    CHECK(lines[1].error.rfind("line 2: not valid JSON", 0) == 0);
    CHECK(lines[2].number == 4);
    CHECK(lines[2].error == "line 4: not a JSON object");
    CHECK(lines[3].ok);  // CRLF tolerated
    CHECK(lines[4].error == "line 6: missing field \"device\"");
    CHECK(lines[5].ok);  // last line without newline
    CHECK(lines[5].number == 7);
}

TEST_CASE("a line nested deeper than the limit is a bad line, not a crash") {
    // The shape of the line that crashed dce-store: a reading 53,000 levels deep.
    std::string deep = R"({"type":"reading","ts":"2026-11-22T07:30:00.123Z","device":"d",)"
                       R"("metric":"m","value":1,"x":)" +
                       std::string(53000, '[') + std::string(53000, ']') + "}";
    std::string at_limit = R"({"type":"x","ts":"2026-11-22T07:30:00.123Z","v":)" +
                           std::string(dce::max_json_depth - 1, '[') +
                           std::string(dce::max_json_depth - 1, ']') + "}";
    std::string quoted =
        R"({"type":"x","ts":"2026-11-22T07:30:00.123Z","v":")" + std::string(1000, '[') + "\\\"\"}";
    auto lines = read_all(good + "\n" + deep + "\n" + at_limit + "\n" + quoted + "\n" + good);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0].ok);
    CHECK(lines[1].error == "line 2: nested deeper than 64 levels");
    CHECK(lines[2].ok);
    CHECK(lines[3].ok);  // brackets inside a string are not nesting
    CHECK(lines[4].ok);
    CHECK(dce::json_too_deep(std::string(65, '[')));
    CHECK_FALSE(dce::json_too_deep(std::string(64, '[')));
}

TEST_CASE("a number too large for a double is a bad line, not a crash") {
    auto lines = read_all("{\"t\":9999E99999}\n" + good + "\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].error == "line 1: not valid JSON: a number is too large");
    CHECK(lines[1].ok);
}

TEST_CASE("invalid UTF-8 is named with its byte offset") {
    auto lines = read_all("{\"type\":\"x\xff\"}\n" + good + "\n");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].error == "line 1: invalid UTF-8 at byte 11");
    CHECK(lines[1].ok);
    CHECK(dce::find_invalid_utf8("h\xc3\xa9llo") == std::string_view::npos);
    CHECK(dce::find_invalid_utf8("\xc0\xaf") == 0);          // overlong
    CHECK(dce::find_invalid_utf8("ab\xed\xa0\x80") == 2);    // surrogate
    CHECK(dce::find_invalid_utf8("\xf4\x90\x80\x80") == 0);  // past U+10FFFF
}

TEST_CASE("over-long lines are skipped without buffering them whole") {
    std::string huge(5 * 1024 * 1024, 'x');
    auto lines = read_all(good + "\n" + huge + "\n" + good + "\n" + std::string(300, 'y'),
                          {.max_line = 1024});
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].ok);
    CHECK(lines[1].error == "line 2: longer than 1024 bytes, skipped");
    CHECK(lines[2].ok);
    CHECK(lines[2].number == 3);
    CHECK_FALSE(lines[3].ok);  // 300 bytes of y: not JSON
}

TEST_CASE("many lines across buffer refills keep their numbers") {
    std::string input;
    for (int i = 0; i < 20000; ++i)
        input += good + "\n";
    auto lines = read_all(input);
    REQUIRE(lines.size() == 20000);
    CHECK(lines.back().number == 20000);
    for (const auto& l : lines)
        REQUIRE(l.ok);
}

TEST_CASE("the writer reports a closed pipe as OutputError") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    dce::RecordWriter w(fds[1]);
    CHECK_THROWS_AS(w.write(dce::new_record("error")), dce::OutputError);
    close(fds[1]);
}
