// Catch2's main lives alone in this file: it takes ~20 s to compile, so it is built
// once and linked into every unit-test binary.
#define CATCH_CONFIG_MAIN
#include <catch.hpp>
