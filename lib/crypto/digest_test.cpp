#include "crypto/digest.hpp"

#include <catch.hpp>

#include <fstream>

using namespace dce::crypto;

TEST_CASE("known digests") {
    CHECK(digest_bytes("abc", DigestAlgorithm::sha256) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(digest_bytes("abc", DigestAlgorithm::sha1) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(digest_bytes("", DigestAlgorithm::sha512).substr(0, 16) == "cf83e1357eefb8bd");
}

TEST_CASE("digest_equal is case-insensitive and length-strict") {
    CHECK(digest_equal("abcdef", "ABCDEF"));
    CHECK_FALSE(digest_equal("abcdef", "abcdee"));
    CHECK_FALSE(digest_equal("abcdef", "abcd"));
    CHECK_FALSE(digest_equal("zz", "zz"));
}

TEST_CASE("algorithm names as vendors write them") {
    CHECK(algorithm_from_name("SHA2-256") == DigestAlgorithm::sha256);
    CHECK(algorithm_from_name("sha-512") == DigestAlgorithm::sha512);
    CHECK(algorithm_from_name("SHA1") == DigestAlgorithm::sha1);
    CHECK_FALSE(algorithm_from_name("MD5"));
    CHECK(algorithm_from_hex_length(96) == DigestAlgorithm::sha384);
    CHECK_FALSE(algorithm_from_hex_length(32));
}

TEST_CASE("digest_file streams with a small buffer the same as in memory") {
    std::string path = "/tmp/dce_digest_test.bin";
    std::string data;
    for (int i = 0; i < 100000; ++i)
        data += static_cast<char>(i * 7);
    std::ofstream(path, std::ios::binary) << data;
    auto d = digest_file(path, DigestAlgorithm::sha256, 4096);
    REQUIRE(d.ok);
    CHECK(d.bytes == data.size());
    CHECK(d.hex == digest_bytes(data, DigestAlgorithm::sha256));
    std::remove(path.c_str());
    auto missing = digest_file(path, DigestAlgorithm::sha256);
    CHECK_FALSE(missing.ok);
    CHECK(missing.error_code == "not-found");
    auto dir = digest_file("/tmp", DigestAlgorithm::sha256);
    CHECK_FALSE(dir.ok);
    CHECK(dir.error.find("directory") != std::string::npos);
}
