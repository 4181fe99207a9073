#include "core/files.hpp"

#include <catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {
std::string temp_file(const std::string& content) {
    char name[] = "/tmp/dce-files-test.XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    close(fd);
    return name;
}
}  // namespace

TEST_CASE("read_file_capped reads a file up to the ceiling") {
    std::string path = temp_file("line 1\nline 2\n");
    std::string out, error;
    CHECK(dce::read_file_capped(path, 14, out, error));
    CHECK(out == "line 1\nline 2\n");
    CHECK_FALSE(dce::read_file_capped(path, 13, out, error));
    CHECK(out.empty());
    CHECK(error.find("larger than 13 bytes") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("read_file_capped stops at the ceiling on an endless device") {
    std::string out, error;
    CHECK_FALSE(dce::read_file_capped("/dev/zero", dce::max_small_file, out, error));
    CHECK(error ==
          "cannot read '/dev/zero': larger than 1 MiB, more than such a file holds (is it "
          "the right file?)");
    CHECK(out.empty());
}

TEST_CASE("read_file_capped names what it could not read") {
    std::string out, error;
    CHECK_FALSE(dce::read_file_capped("/nonexistent/x", 100, out, error));
    CHECK(error == "cannot read '/nonexistent/x': No such file or directory");
    CHECK_FALSE(dce::read_file_capped("/tmp", 100, out, error));
    CHECK(error == "cannot read '/tmp': it is a directory");
}

TEST_CASE("format_size") {
    CHECK(dce::format_size(dce::max_small_file) == "1 MiB");
    CHECK(dce::format_size(dce::max_list_file) == "16 MiB");
    CHECK(dce::format_size(512 << 10) == "512 KiB");
    CHECK(dce::format_size(100) == "100 bytes");
}

TEST_CASE("json_files_in lists a folder's *.json files, sorted") {
    char name[] = "/tmp/dce-files-test-dir.XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    std::string dir = name;
    for (const char* f : {"b.json", "a.json", "notes.txt", "c.json.bak", "z.JSON"})
        std::fclose(std::fopen((dir + "/" + f).c_str(), "w"));
    REQUIRE(mkdir((dir + "/sub.json").c_str(), 0700) == 0);  // listed: callers report it
    std::error_code ec;
    auto files = dce::json_files_in(dir, ec);
    CHECK_FALSE(ec);
    CHECK(files == std::vector<std::string>{dir + "/a.json", dir + "/b.json", dir + "/sub.json"});
    for (const char* f : {"b.json", "a.json", "notes.txt", "c.json.bak", "z.JSON"})
        std::remove((dir + "/" + f).c_str());
    rmdir((dir + "/sub.json").c_str());
    rmdir(dir.c_str());

    auto none = dce::json_files_in(dir + "/missing", ec);
    CHECK(ec);
    CHECK(none.empty());
}
