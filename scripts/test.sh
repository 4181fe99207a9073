#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test with
# ctest — unit, command-line and integration tests against real servers on loopback, and
# the Debian package installed —
# then the suite again under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# fuzz targets for a short while each.
#
#   DCE_TEST_SANITIZE=0   skip the ASan/UBSan pass
#   DCE_TEST_FUZZ=0       skip the fuzzing pass
#   DCE_FUZZ_SECONDS=N    seconds per fuzz target (default 20)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
start=$(date +%s)

bash scripts/install-deps.sh

echo "== build (RelWithDebInfo)" >&2
bash scripts/build.sh "$src/build"
# The Debian package (a Release build of its own in build-pkg, then lintian), made here
# rather than inside ctest's per-test timeout; tests/integration/package_install.sh finds
# it up to date and installs it.
echo "== Debian package" >&2
bash scripts/package.sh "$src/build-pkg" >/dev/null ||
    echo "package.sh failed: integration.package_install will fail and say why" >&2
echo "== tests" >&2
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)

if [ "${DCE_TEST_SANITIZE:-1}" != "0" ]; then
  echo "== build and tests under ASan+UBSan" >&2
  bash scripts/build.sh "$src/build-asan" -DDCE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$(nproc)" --timeout 900)
fi

if [ "${DCE_TEST_FUZZ:-1}" != "0" ]; then
  echo "== fuzz targets (clang, libFuzzer)" >&2
  bash scripts/fuzz.sh "${DCE_FUZZ_SECONDS:-20}"
fi
echo "test.sh: all passes done in $(( $(date +%s) - start )) s" >&2
