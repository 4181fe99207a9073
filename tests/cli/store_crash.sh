#!/usr/bin/env bash
# Nothing acknowledged is ever lost: ingest is killed with SIGKILL at random moments, 30
# times, over the same input. After each kill the SQLite file must pass integrity_check
# and hold every record of every batch ingest acknowledged (--ack-file: "LINE COUNT"
# after each commit), and re-running the same input must never duplicate a reading.
. "$(dirname "$0")/../lib/common.sh"
need sqlite3
N=120000
# Line i is a reading whose value is i, so "lines 1..L stored" is one count.
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++)
  printf "{\"type\":\"reading\",\"ts\":\"2026-11-22T%02d:%02d:%02d.%03dZ\",\"device\":\"snmp://127.0.0.%d:161\",\"metric\":\"ups.load\",\"value\":%d,\"unit\":\"percent\"}\n",
    int(i / 3600000) % 24, int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, 1 + i % 4, i }' >"$T/in.jsonl"
DB="$T/crash.db"
# Kill points are chosen by progress, not by the clock, so a loaded machine (ctest -j,
# sanitizers) moves them nowhere: each run is killed right after its K-th acknowledged
# commit covering at least K lines, plus a random few milliseconds (K random below 70% of
# the input; K = 0 kills while opening and migrating).
RANDOM=4201  # reproducible kill points
kills=0
acked_runs=0
for iter in $(seq 1 30); do
    rm -f "$T/ack"
    k=$(((RANDOM % 71) * N / 100))
    extra_ms=$((RANDOM % 25))
    dce-store ingest --db "$DB" --batch 1500 --ack-file "$T/ack" --log-level error <"$T/in.jsonl" &
    pid=$!
    if [ "$k" -gt 0 ]; then
        for _ in $(seq 1 4000); do  # at most ~20 s
            [ -s "$T/ack" ] && [ "$(tail -n 1 "$T/ack" | cut -d' ' -f1)" -ge "$k" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.005
        done
    fi
    sleep "0.$(printf '%03d' "$extra_ms")"
    kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null
    [ -f "$DB" ] || continue
    ic=$(sqlite3 "$DB" "PRAGMA integrity_check" 2>&1)
    check_eq "iteration $iter: integrity_check" ok "$ic"
    acked=0
    [ -s "$T/ack" ] && acked=$(tail -n 1 "$T/ack" | cut -d' ' -f1)
    [ "$acked" -gt 0 ] && acked_runs=$((acked_runs + 1))
    echo "iteration $iter: killed with $acked lines acknowledged" >&2
    have=$(sqlite3 "$DB" "SELECT count(*) FROM readings WHERE num <= $acked" 2>&1)
    check_eq "iteration $iter: all $acked acknowledged lines stored" "$acked" "$have"
    total=$(sqlite3 "$DB" "SELECT count(*), count(DISTINCT num) FROM readings" 2>&1)
    check_eq "iteration $iter: no duplicates" "$(echo "$total" | cut -d'|' -f1)" "$(echo "$total" | cut -d'|' -f2)"
done
echo "killed $kills of 30 runs mid-ingest" >&2
check_eq "most runs were killed mid-ingest" 1 $((kills >= 20))
check_eq "most kills came after some commits" 1 $((acked_runs >= 15))
# The crashed cron job is simply run again: everything ends up stored exactly once.
dce-store ingest --db "$DB" --log-level error <"$T/in.jsonl"
check_eq "the re-run exits 0" 0 $?
check_eq "every line stored exactly once" "$N|$N" "$(sqlite3 "$DB" "SELECT count(*), count(DISTINCT num) FROM readings")"
dce-store query readings --db "$DB" --last --format json >"$T/last.jsonl"
validate_records "$T/last.jsonl"
jq_eq "newest value per device" "$T/last.jsonl" 'map(.value)|max' "$N"
finish
