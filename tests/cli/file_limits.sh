#!/usr/bin/env bash
# Files read whole have a ceiling, and long reads stop at SIGTERM: a device or an endless
# file given by mistake (/dev/zero here) is a clear error, not a process that grows to
# the machine's memory and ignores signals. Each run is bounded by `timeout` and, outside
# sanitizer builds, by a 2 GiB address-space limit, so an uncapped read fails this test
# quickly instead of swapping the machine.
. "$(dirname "$0")/../lib/common.sh"
need dce-cert dce-discover dce-upgrade-verify openssl timeout jq
cd "$T" || exit 1

bounded() {  # bounded command...: at most 60 s and (without ASan) 2 GiB of address space
    if [ "${DCE_SANITIZE:-0}" = 1 ]; then
        timeout -s KILL 60 "$@"
    else
        (ulimit -v 2097152 && exec timeout -s KILL 60 "$@")
    fi
}

# --- dce-discover @FILE (16 MiB ceiling for target lists)
bounded dce-discover --no-progress "@/dev/zero" >out 2>err
check_eq "discover @/dev/zero is a usage error" 2 $?
check_contains "discover names the file and the ceiling" "$(cat err)" "'/dev/zero': larger than 16 MiB"

# --- dce-cert check-pair --key (1 MiB ceiling for keys)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 10 -subj /CN=x \
    -keyout x.key -out x.crt 2>/dev/null || fail "cannot make a test certificate"
bounded dce-cert check-pair --cert x.crt --key /dev/zero >out 2>err
check_eq "check-pair --key /dev/zero exits 3" 3 $?
validate_records out
jq_eq "check-pair: one error record about the key" out '[.[] | select(.type=="error") | .code] | join(",")' key
check_contains "check-pair names the ceiling" "$(jq -rs '.[0].message' out)" "'/dev/zero': larger than 1 MiB"
bounded dce-cert check-pair --cert /dev/zero --key x.key >out 2>err
check_eq "check-pair --cert /dev/zero is a usage error" 2 $?
check_contains "check-pair --cert names the ceiling" "$(cat err)" "larger than 1 MiB"
bounded dce-cert lint --format json --file /dev/zero >out 2>err
check_eq "lint --file /dev/zero exits 3" 3 $?
validate_records out
check_contains "lint --file names the ceiling" "$(jq -rs '.[0].message' out)" "larger than 1 MiB"
bounded dce-cert lint --format json --ca-file /dev/zero --file x.crt >out 2>err
check_eq "lint --ca-file /dev/zero is a usage error" 2 $?
check_contains "CA file names the ceiling" "$(cat err)" "CA file: cannot read '/dev/zero': larger than 16 MiB"
bounded dce-cert check-pair --cert x.crt --key x.key --passphrase-stdin </dev/zero >out 2>err
check_eq "--passphrase-stdin from /dev/zero is a usage error" 2 $?
check_contains "passphrase names the ceiling" "$(cat err)" "longer than 4 KiB"
bounded dce-cert lint --format json @/dev/zero >out 2>err
check_eq "lint @/dev/zero (inventory) is a usage error" 2 $?
check_contains "inventory names the ceiling" "$(cat err)" "larger than 16 MiB"

# --- dce-upgrade-verify --check LIST (1 MiB ceiling), --public-key, --signature
printf 'x\n' >fw.bin
bounded dce-upgrade-verify --check /dev/zero fw.bin >out 2>err
check_eq "--check /dev/zero is a usage error" 2 $?
validate_records out
check_contains "--check names the ceiling" "$(cat err)" "checksum list: cannot read '/dev/zero': larger than 1 MiB"
bounded dce-upgrade-verify --signature /dev/zero --public-key x.crt fw.bin >out 2>err
check_eq "--signature /dev/zero is a usage error" 2 $?
check_contains "--signature names the ceiling" "$(cat err)" "larger than 1 MiB"

# --- long reads stop at SIGTERM and exit 130 (DESIGN.md: interrupted)
# term_reader OUT command...: starts the command, sends SIGTERM once it catches SIGTERM
# (run_tool's handler shows in SigCgt), waits for it and sets $status. A generous 30 s
# bound, not a timing assertion: the old code never stopped at all.
term_reader() {
    local out=$1 pid i mask
    shift
    "$@" >"$out" 2>"$out.err" &
    pid=$!
    for i in $(seq 1 300); do
        # SIGTERM is signal 15: bit 14 of the caught-signals mask.
        mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        [ -n "$mask" ] && (( (16#$mask >> 14) & 1 )) && break
        sleep 0.1
    done
    kill -TERM "$pid"
    for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        fail "still running 30 s after SIGTERM: $*"
        kill -KILL "$pid"
    fi
    wait "$pid"
    status=$?
}
zeros=0000000000000000000000000000000000000000000000000000000000000000
term_reader hash.out dce-upgrade-verify --sha256 "$zeros" /dev/zero
check_eq "SIGTERM while hashing /dev/zero exits 130" 130 "$status"
check_eq "an interrupted hash writes no verdict" "" "$(cat hash.out)"
# Records on stdin: an endless line is skipped, never kept, and SIGTERM ends it.
term_reader stdin.out sh -c 'exec dce-cert lint --format json - </dev/zero'
check_eq "SIGTERM while reading records from /dev/zero exits 130" 130 "$status"
finish
