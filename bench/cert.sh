#!/usr/bin/env bash
# bench/cert.sh: dce-cert's full inspect + lint of TLS endpoints against sslscan and
# testssl.sh, in the same run, on loopback only. Writes bench/results/cert.md.
#
# Targets (issue 5): under 0.3 s per endpoint; 100 endpoints judged in under 3 s with
# the default concurrency. The endpoints are one nginx (TLS 1.2/1.3, ECDHE suites,
# a test-CA certificate made here) listening on 1 and on 100 ports.
#
# testssl.sh runs once (it takes minutes) and only inside a private mount namespace
# whose /etc/resolv.conf points at 127.0.0.1: it otherwise sends DNS queries off the
# machine even for an IP target. BENCH_SKIP_TESTSSL=1 leaves it out.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${DCE_BIN_DIR:-$src/build/tools}
export DCE_SOURCE_DIR=$src PATH="$bin:$PATH"
. "$src/tests/lib/common.sh"
. "$src/tests/lib/tls.sh"
need dce-cert sslscan nginx hyperfine jq
out=$src/bench/results/cert.md

tls_init
tls_leaf good "/CN=localhost/O=dce-tools bench" "IP:127.0.0.1,DNS:localhost"
read -r -a ports <<<"$(tls_ports 100)"
tls_nginx "$T/nginx" "$PKI/good.crt" "$PKI/good.key" "TLSv1.2 TLSv1.3" "ECDHE+AESGCM:ECDHE+CHACHA20" "${ports[@]}"
for p in "${ports[@]}"; do wait_tcp "$p" 5 || { echo "bench: nginx port $p not up" >&2; exit 1; }; done
one="127.0.0.1:${ports[0]}"
printf '127.0.0.1:%s\n' "${ports[@]}" >"$T/all.txt"
printf '127.0.0.1:%s\n' "${ports[@]:0:10}" >"$T/ten.txt"

# Sanity: dce-cert judged every endpoint (a fast run that misses endpoints is not fast).
dce-cert lint --ca-file "$PKI/ca.crt" @"$T/all.txt" >"$T/all.jsonl" 2>/dev/null
judged=$(jq -s '[.[] | select(.type=="finding") | .target] | unique | length' "$T/all.jsonl")
errors=$(jq -s '[.[] | select(.type=="error")] | length' "$T/all.jsonl")
checks=$(jq -s '[.[] | select(.type=="finding")] | length' "$T/all.jsonl")

hf() {  # hf NAME RUNS COMMAND: mean and stddev seconds
    hyperfine --style none --runs "$2" --warmup 1 --export-json "$T/$1.json" "$3" >/dev/null 2>&1
    jq -r '.results[0] | "\(.mean) \(.stddev)"' "$T/$1.json"
}
cmd_one="dce-cert lint --ca-file $PKI/ca.crt $one >/dev/null; dce-cert inspect --ca-file $PKI/ca.crt $one >/dev/null"
cmd_lint_one="dce-cert lint --ca-file $PKI/ca.crt $one >/dev/null"
cmd_hundred="dce-cert lint --ca-file $PKI/ca.crt @$T/all.txt >/dev/null"
cmd_sslscan="sslscan --no-colour $one >/dev/null"
cmd_sslscan10="sslscan --no-colour --targets=$T/ten.txt >/dev/null"
read -r d1 d1s <<<"$(hf one 10 "$cmd_one")"
read -r l1 l1s <<<"$(hf lintone 10 "$cmd_lint_one")"
read -r d100 d100s <<<"$(hf hundred 5 "$cmd_hundred")"
read -r s1 s1s <<<"$(hf sslscan 5 "$cmd_sslscan")"
read -r s10 s10s <<<"$(hf sslscan10 2 "$cmd_sslscan10")"

t_testssl="not run"
testssl_cmd="testssl --quiet --color 0 --warnings batch --ip one $one"
if [ "${BENCH_SKIP_TESTSSL:-0}" != 1 ] && command -v testssl >/dev/null; then
    echo "nameserver 127.0.0.1" >"$T/resolv.conf"
    start=$(date +%s.%N)
    timeout 600 unshare -m sh -c "mount --bind $T/resolv.conf /etc/resolv.conf && $testssl_cmd" >"$T/testssl.out" 2>&1
    t_testssl=$(echo "$(date +%s.%N) - $start" | bc -l)
fi

f() { printf '%.3f' "$1"; }
ratio() { printf '%.0f' "$(echo "$1 / $2" | bc -l)"; }
{
    echo "## dce-cert (bench/cert.sh)"
    echo
    sv=$(sslscan --version 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | grep -o '[0-9][0-9.]*' | head -1)
    tv=$(testssl --version 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'testssl *[0-9][0-9.]*' | head -1 | tr -s ' ')
    echo "Date: $(date -u +%Y-%m-%dT%H:%MZ); nproc: $(nproc); $(openssl version | cut -d' ' -f1-2); sslscan $sv; ${tv:-testssl.sh not installed}."
    echo "Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "Endpoints: one nginx (1 worker) on loopback, TLS 1.2/1.3, ECDHE suites, test-CA certificate; 100 listening ports."
    echo "dce-cert per endpoint: 7 handshakes (chain + negotiated, TLS 1.0/1.1/1.2/1.3, weak suites, static RSA) and 14 checks."
    echo
    echo "| what | command | time | target |"
    echo "|---|---|---|---|"
    echo "| dce-cert lint, 1 endpoint | \`$cmd_lint_one\` | $(f "$l1") s ± $(f "$l1s") | < 0.3 s |"
    echo "| dce-cert inspect + lint, 1 endpoint | \`$cmd_one\` | $(f "$d1") s ± $(f "$d1s") | < 0.3 s |"
    echo "| dce-cert lint, 100 endpoints, default concurrency | \`dce-cert lint --ca-file ca.crt @100-endpoints.txt\` | $(f "$d100") s ± $(f "$d100s") | < 3 s |"
    echo "| sslscan, 1 endpoint | \`$cmd_sslscan\` | $(f "$s1") s ± $(f "$s1s") | peer |"
    echo "| sslscan, 10 endpoints (sequential, its --targets) | \`sslscan --no-colour --targets=10-endpoints.txt\` | $(f "$s10") s | peer |"
    if [ "$t_testssl" != "not run" ]; then
        echo "| testssl.sh, 1 endpoint (once; private resolv.conf) | \`$testssl_cmd\` | $(f "$t_testssl") s | peer |"
    else
        echo "| testssl.sh, 1 endpoint | (not run: BENCH_SKIP_TESTSSL=1 or not installed) | — | peer |"
    fi
    echo
    echo "Ratios (same run): sslscan / dce-cert inspect+lint, 1 endpoint: $(ratio "$s1" "$d1")×;"
    echo "sslscan on 10 endpoints / dce-cert on 100: $(printf '%.1f' "$(echo "$s10 / $d100" | bc -l)")× (sslscan would take ≈$(printf '%.0f' "$(echo "$s10 * 10" | bc -l)") s for all 100)."
    [ "$t_testssl" != "not run" ] && echo "testssl.sh / dce-cert inspect+lint, 1 endpoint: $(ratio "$t_testssl" "$d1")×."
    echo
    echo "Coverage check of the 100-endpoint run: $judged endpoints judged, $errors error records, $checks findings."
    echo "sslscan lists protocols and suites but does not judge the certificate (no trust, hostname or vendor-default verdict);"
    echo "testssl.sh judges far more (vulnerability probes), which is most of its time."
} >"$out"
cat "$out"
