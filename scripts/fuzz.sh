#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer targets in fuzz/ with clang and runs each for
# SECONDS (default 60) from its committed seed corpus. A crash fails the run and leaves
# the input in build-fuzz/; add it to the seed corpus once fixed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
dir="$src/build-fuzz"
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDCE_FUZZ=ON -DDCE_BUILD_TESTS=OFF >/dev/null
fi
targets=$(cd "$src/fuzz" && ls fuzz_*.cpp 2>/dev/null | sed 's/\.cpp$//')
[ -n "$targets" ] || { echo "fuzz.sh: no fuzz targets" >&2; exit 0; }
cmake --build "$dir" -j "$(nproc)" --target $targets
for t in $targets; do
  corpus="$dir/corpus/$t"
  mkdir -p "$corpus"
  seeds="$src/fuzz/corpus/$t"
  echo "fuzz: $t for ${secs}s" >&2
  (cd "$dir" && "./fuzz/$t" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
     "$corpus" $( [ -d "$seeds" ] && echo "$seeds") 2>&1 | tail -4)
done
echo "fuzz: all targets ran without a crash" >&2
