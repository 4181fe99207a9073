#!/usr/bin/env bash
# One edge matrix for every tool (issue 9): each tool behaves the same at a closed pipe
# (`| head -1`: exit 3, quietly), a full disk (`> /dev/full`: exit 3 with a reason),
# SIGTERM while it waits on a silent input (130), an oversized input file, and a bad
# input line. A new tool joins by adding one line to the table below.
. "$(dirname "$0")/../lib/common.sh"
need jq mkfifo

# Fixtures the commands below name. Nothing is sent outside 127.0.0.0/8: device
# records are left out of the inputs (dce-poll and dce-cert would contact their
# targets), silent targets are loopback addresses on a port nothing listens on.
port=$(free_port)
export HOME="$T/home" DCE_CREDENTIALS="" DCE_DB="$T/edge.db"
mkdir -p "$HOME"
grep -v '"type":"device"' "$DCE_SOURCE_DIR/tests/data/store/all-types.jsonl" >"$T/one.jsonl"
# 20,000 distinct readings (the store keeps one of identical ones): well over a pipe's 64 KiB.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"type\":\"reading\",\"ts\":\"2026-11-22T07:%02d:%02d.%03dZ\",\"device\":\"snmp://127.0.0.1:16100\",\"metric\":\"ups.battery.charge\",\"value\":%d,\"unit\":\"percent\"}\n", int(i / 60000), int(i / 1000) % 60, i % 1000, i % 100 }' >"$T/many.jsonl"
dce-store ingest --db "$T/edge.db" <"$T/many.jsonl" 2>/dev/null
for i in $(seq 3000); do printf '%064d  missing-%d.bin\n' 0 "$i"; done >"$T/missing.sums"
printf '%064d  missing.bin\nnot a checksum line\n' 0 >"$T/bad.sums"
head -c 2000000 /dev/zero | tr '\0' a >"$T/long.line"  # one line over the 1 MiB limit
quiet=(--timeout 100ms --retries 0)
silent_many="dce-discover ${quiet[*]} --rate 0 --no-progress -p $port --report-unreachable 127.0.4.0/22"
zero_hex=$(printf '%064d' 0)
# dce-trapd reads no stdin: its stream is its stats records, its input files the trap
# catalogue and the credentials (a bad line there is refused at start, 2).
tport=$(free_port)
trapd="dce-trapd --listen 127.0.0.1:$tport --state-dir $T/trapd --any-community"
mkdir -p "$T/bigcat" && ln -s /dev/zero "$T/bigcat/zero.json"
# An oversized catalogue file is skipped with a reason and the run goes on; its exit
# status (after the one trap --count waits for) says something was skipped: 3.
trapd_big="(while :; do python3 $DCE_SOURCE_DIR/tests/lib/trap_burst.py 127.0.0.1 $tport x 1 >/dev/null; sleep 0.2; done & s=\$!; $trapd --catalogue-dir $T/bigcat --count 1 --stats-interval 0; st=\$?; kill \$s; exit \$st)"
(umask 077; printf '[v2c]\nkind = community\ncommunity = x\nnot an ini line\n' >"$T/bad.cred")

# tool | many records on stdout | waits on stdin | oversized input | bad line on stdin | its status
table="
dce-discover|$silent_many|dce-discover ${quiet[*]} -|dce-discover @/dev/zero|dce-discover -|2
dce-poll|dce-poll <$T/many.jsonl|dce-poll|dce-poll --profile mib2 @/dev/zero|dce-poll|3
dce-cert|dce-cert inspect <$T/many.jsonl|dce-cert inspect|dce-cert inspect @/dev/zero|dce-cert inspect|3
dce-store|dce-store export --db $T/edge.db|dce-store ingest --db $T/in.db|dce-store ingest --db $T/in.db $T/long.line|dce-store ingest --db $T/in.db|3
dce-trapd|$trapd --stats-interval 1ms|$trapd|$trapd_big|$trapd --credentials $T/bad.cred|2
dce-audit|dce-audit --only ports.denied --timeout 1s --concurrency 32 127.0.5.0/23|dce-audit -|dce-audit --policy /dev/zero|dce-audit --only ports.denied --timeout 1s 127.0.0.1 -|3
dce-upgrade-verify|dce-upgrade-verify --check $T/missing.sums|dce-upgrade-verify --sha256 $zero_hex -|dce-upgrade-verify --check /dev/zero|dce-upgrade-verify --check $T/bad.sums|3
"
# A bad target line can't be skipped safely (half a scan is no scan): discover refuses
# the list whole, 2; every reader of records or list lines skips it and exits 3.

# Waits (bounded) until $1 sleeps in a system call: the handlers are installed by then,
# since each tool reads its input only after run_tool set them up.
wait_sleeping() {
    local i
    for i in $(seq 200); do
        [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = S ] && return 0
        sleep 0.05
    done
    return 1
}

while IFS='|' read -r tool many waits big bad bad_status; do
    [ -n "$tool" ] || continue
    [ -x "$DCE_BIN_DIR/$tool" ] || { fail "$tool is in the table but not built"; continue; }

    # A closed stdout: exit 3, without a message about it.
    eval "$many" 2>"$T/head.err" | head -1 >"$T/head.out"
    check_eq "$tool | head -1: exit 3" 3 "${PIPESTATUS[0]}"
    validate_records "$T/head.out"
    check_not_contains "$tool | head -1: quiet" "$(cat "$T/head.err")" "cannot write"
    check_not_contains "$tool | head -1: no broken-pipe line" "$(cat "$T/head.err")" "Broken pipe"

    # A full disk: exit 3 with the reason.
    eval "$many" >/dev/full 2>"$T/full.err"
    check_eq "$tool > /dev/full: exit 3" 3 $?
    check_contains "$tool > /dev/full: says why" "$(cat "$T/full.err")" "No space left"

    # SIGTERM while the input is silent (a FIFO held open, so no end of input).
    rm -f "$T/fifo"; mkfifo "$T/fifo"
    exec 7<>"$T/fifo"
    eval "exec $waits" <"$T/fifo" >/dev/null 2>"$T/term.err" &
    pid=$!
    if wait_sleeping "$pid"; then
        kill -TERM "$pid"
        wait "$pid"
        check_eq "$tool: SIGTERM on a silent input exits 130" 130 $?
    else
        fail "$tool never waited on its input"
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    fi
    exec 7>&-

    # An oversized input file: a clear error, not a read without end.
    eval "$big" </dev/null >"$T/big.out" 2>"$T/big.err"
    status=$?
    check_eq "$tool: oversized input is refused or skipped (2 or 3)" 1 "$(( status == 2 || status == 3 ))"
    check_eq "$tool: oversized input says why" 1 "$([ -s "$T/big.err" ] && echo 1 || echo 0)"
    [ -s "$T/big.out" ] && validate_records "$T/big.out"

    # A bad line: named on stderr, and the one status of the table.
    printf '{"type": not json\n' | eval "$bad" >"$T/bad.out" 2>"$T/bad.err"
    check_eq "$tool: a bad line exits $bad_status" "$bad_status" $?
    check_eq "$tool: the bad line is named" 1 "$(grep -cE 'line [12]|:[12]:' "$T/bad.err" | grep -q '^0$' && echo 0 || echo 1)"
    [ -s "$T/bad.out" ] && validate_records "$T/bad.out"
done <<<"$table"

# Every built tool is in the table.
for bin in "$DCE_BIN_DIR"/dce-*; do
    check_contains "$(basename "$bin") is in the edge table" "$table" "$(basename "$bin")|"
done
finish
