#include "crypto/checksum_list.hpp"

#include <catch.hpp>

#include <map>

using dce::crypto::DigestAlgorithm;
using dce::crypto::parse_checksum_list;

namespace {
const std::string h256 = "97483d0799b446256c6c8be6d653cb1a238b4d6f8404b5fb824d3b6bb5393775";
const std::string h1 = "e6d4c5c334c45fd5e4e7f412092e7c11c9f6f931";
const std::string h512(128, 'a');
}  // namespace

TEST_CASE("GNU format: text and binary markers, algorithm from digest length") {
    auto l = parse_checksum_list(h256 + "  fw.bin\n" + h1 + " *old.iso\n" + h512 +
                                 "  dir/big file.img\n");
    REQUIRE(l.problems.empty());
    REQUIRE(l.entries.size() == 3);
    CHECK(l.entries[0].file == "fw.bin");
    CHECK(l.entries[0].algorithm == DigestAlgorithm::sha256);
    CHECK(l.entries[1].file == "old.iso");
    CHECK(l.entries[1].algorithm == DigestAlgorithm::sha1);
    CHECK(l.entries[2].file == "dir/big file.img");
    CHECK(l.entries[2].algorithm == DigestAlgorithm::sha512);
    CHECK(l.entries[2].line == 3);
}

TEST_CASE("BSD and openssl dgst formats name their algorithm") {
    auto l = parse_checksum_list("SHA256 (fw.bin) = " + h256 + "\nSHA2-256(a (1).bin)= " + h256 +
                                 "\nSHA1 (x) = " + h1 + "\n");
    REQUIRE(l.problems.empty());
    REQUIRE(l.entries.size() == 3);
    CHECK(l.entries[1].file == "a (1).bin");
    CHECK(l.entries[2].algorithm == DigestAlgorithm::sha1);
}

TEST_CASE("upper-case digests are normalised; escaped GNU names decoded") {
    std::string upper = h256;
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(c));
    auto l = parse_checksum_list("\\" + h256 + "  new\\nline\\\\name\n" + upper + "  up.bin\n");
    REQUIRE(l.problems.empty());
    CHECK(l.entries[0].file == "new\nline\\name");
    CHECK(l.entries[1].hex == h256);
}

TEST_CASE("malformed lines are named and the rest still used") {
    std::string text = h256 + "  good.bin\n" +                               // 1
                       h256.substr(0, 63) + "g  badhex.bin\n" +              // 2 bad hex
                       h256.substr(0, 60) + "  short.bin\n" +                // 3 wrong length
                       "MD5 (x.bin) = d41d8cd98f00b204e9800998ecf8427e\n" +  // 4 unknown/weak
                       "d41d8cd98f00b204e9800998ecf8427e  md5.bin\n" +       // 5 md5 length
                       "just-words\n" +                                      // 6
                       "# a comment\n\n" +                                   // 7, 8
                       h256 + "  good.bin\n" +                         // 9 same again: warning
                       h1 + "  twice.bin\n" + h256 + "  twice.bin\n";  // 10, 11 conflicting
    auto l = parse_checksum_list(text);
    REQUIRE(l.has_errors());
    std::map<std::size_t, std::string> by_line;
    for (const auto& p : l.problems)
        by_line[p.line] = p.message;
    CHECK(by_line[2].find("not hex") != std::string::npos);
    CHECK(by_line[3].find("60") != std::string::npos);
    CHECK(by_line[4].find("MD5 is broken") != std::string::npos);
    CHECK(by_line[5].find("32 is MD5") != std::string::npos);
    CHECK(by_line[6].find("expected") != std::string::npos);
    CHECK(by_line[9].find("listed again") != std::string::npos);
    CHECK(by_line[11].find("different digests (lines 10 and 11)") != std::string::npos);
    CHECK(by_line.count(1) == 0);
    // good.bin stays; twice.bin is dropped as ambiguous.
    REQUIRE(l.entries.size() == 1);
    CHECK(l.entries[0].file == "good.bin");
    CHECK(l.find("./good.bin") == &l.entries[0]);
    CHECK(l.find("twice.bin") == nullptr);
}

TEST_CASE("a file listed three times with different digests stays refused") {
    auto l = parse_checksum_list(h1 + "  t\n" + h256 + "  t\n" + h512 + "  t\n");
    CHECK(l.entries.empty());
    CHECK(l.problems.size() == 2);
}

TEST_CASE("CRLF lists are accepted with one warning") {
    auto l = parse_checksum_list(h256 + "  a.bin\r\n" + h256 + "  b.bin\r\n");
    REQUIRE(l.entries.size() == 2);
    CHECK(l.entries[0].file == "a.bin");
    REQUIRE(l.problems.size() == 1);
    CHECK_FALSE(l.problems[0].fatal);
    CHECK(l.problems[0].message.find("CR LF") != std::string::npos);
}
