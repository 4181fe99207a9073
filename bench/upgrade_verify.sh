#!/usr/bin/env bash
# Hash throughput of dce-upgrade-verify against `openssl dgst` and coreutils on the same
# file in one run (issue: at least 95% of openssl dgst's throughput, SHA-256 and SHA-1).
# Usage: bench/upgrade_verify.sh [SIZE_MIB] [ROUNDS]   (default 2048 MiB, 5 rounds)
# The file lives in /dev/shm so the disk does not decide the result; each round runs the
# three tools back to back, and the median of the rounds is reported.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${DCE_BIN_DIR:-$src/build/tools}
size_mib=${1:-2048}
rounds=${2:-5}
out="$src/bench/results/upgrade_verify.md"
file=/dev/shm/dce-bench-upgrade.bin
trap 'rm -f "$file"' EXIT

echo "bench: writing a ${size_mib} MiB file of random bytes to $file" >&2
# head closes the pipe early on purpose: openssl then dies of SIGPIPE, which is fine.
(openssl enc -aes-128-ctr -pass pass:bench -nosalt -pbkdf2 -in /dev/zero 2>/dev/null || true) | head -c $((size_mib * 1048576)) > "$file" || true
bytes=$(stat -c %s "$file")

time_of() {  # prints wall seconds of one command, output discarded
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A times
for alg in sha256 sha1; do
    expected=$(openssl dgst -"$alg" -r "$file" | cut -d' ' -f1)
    for ((r = 1; r <= rounds; r++)); do
        times[$alg,openssl]+="$(time_of openssl dgst -"$alg" "$file")"$'\n'
        times[$alg,coreutils]+="$(time_of "${alg}sum" "$file")"$'\n'
        times[$alg,dce]+="$(time_of "$bin/dce-upgrade-verify" --"$alg" "$expected" "$file")"$'\n'
    done
    # The timed dce runs must really verify: check once that the digest matches.
    verdict=$("$bin/dce-upgrade-verify" --"$alg" "$expected" "$file" 2>/dev/null || true)
    case "$verdict" in *'"status":"pass"'*) ;; *) echo "bench: dce-upgrade-verify did not verify the file" >&2; exit 1 ;; esac
done

mbps() { echo "scale=0; $bytes / 1048576 / $1" | bc -l; }
{
    echo "## dce-upgrade-verify: hashing throughput"
    echo
    echo "Command: \`bench/upgrade_verify.sh $size_mib $rounds\` — a ${size_mib} MiB file in /dev/shm,"
    echo "$rounds rounds, each tool run back to back in every round; median wall time."
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
    echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)."
    echo
    echo "| digest | tool | median s | MiB/s | vs openssl dgst |"
    echo "|---|---|---|---|---|"
    for alg in sha256 sha1; do
        o=$(printf '%s' "${times[$alg,openssl]}" | median)
        for tool in openssl coreutils dce; do
            t=$(printf '%s' "${times[$alg,$tool]}" | median)
            name=$tool
            [ $tool = openssl ] && name="openssl dgst -$alg"
            [ $tool = coreutils ] && name="${alg}sum"
            [ $tool = dce ] && name="dce-upgrade-verify --$alg"
            ratio=$(echo "scale=3; $o / $t" | bc -l)
            printf '| %s | %s | %.3f | %s | %.1f%% |\n' "$alg" "$name" "$t" "$(mbps "$t")" "$(echo "$ratio * 100" | bc -l)"
        done
    done
    echo
    echo "Target: dce-upgrade-verify at least 95% of openssl dgst's throughput for SHA-256 and SHA-1."
} > "$out"
cat "$out"
