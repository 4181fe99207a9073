#!/usr/bin/env bash
# Several writers on one SQLite file at once (a poller, a trap receiver, a re-run of a
# crashed job): none fails with "database is locked", nothing is lost or doubled, and a
# reader queries while they write.
. "$(dirname "$0")/../lib/common.sh"
need sqlite3
DB="$T/shared.db"
W=4
N=20000
for w in $(seq 1 $W); do
    awk -v n=$N -v w=$w 'BEGIN { for (i = 1; i <= n; i++)
      printf "{\"type\":\"reading\",\"ts\":\"2026-11-22T07:%02d:%02d.%03dZ\",\"device\":\"snmp://127.0.1.%d:161\",\"metric\":\"ups.load\",\"value\":%d}\n",
        int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, w, i }' >"$T/in$w.jsonl"
done
# Events trickle in like a trap receiver's, one small batch at a time.
for i in $(seq 1 200); do
    printf '{"type":"event","ts":"2026-11-22T07:00:%02d.%03dZ","source":"127.0.0.1","transport":"snmp","name":"trap%d"}\n' \
        $((i / 1000)) $((i % 1000)) "$i"
done >"$T/events.jsonl"
pids=()
for w in $(seq 1 $W); do
    dce-store ingest --db "$DB" --batch 200 <"$T/in$w.jsonl" 2>"$T/err$w" &
    pids+=($!)
done
# The same input twice at once: the second finds the first's rows (or the other way).
dce-store ingest --db "$DB" --batch 300 <"$T/in1.jsonl" 2>"$T/err-dup" &
pids+=($!)
dce-store ingest --db "$DB" --batch 1 <"$T/events.jsonl" 2>"$T/err-ev" &
pids+=($!)
# A reader while they write.
sleep 0.3
dce-store query readings --db "$DB" --last --format json >"$T/during.jsonl" 2>"$T/err-q"
check_eq "a query during the writes succeeds" 0 $?
i=0
for pid in "${pids[@]}"; do
    wait "$pid"
    check_eq "writer $i exits 0" 0 $?
    i=$((i + 1))
done
check_not_contains "no writer saw a locked database" "$(cat "$T"/err*)" "locked"
check_eq "every reading stored once" $((W * N)) "$(sqlite3 "$DB" "SELECT count(*) FROM readings")"
check_eq "every event stored once" 200 "$(sqlite3 "$DB" "SELECT count(*) FROM events")"
check_eq "integrity_check" ok "$(sqlite3 "$DB" "PRAGMA integrity_check")"
dce-store query readings --db "$DB" --last --format json >"$T/last.jsonl"
validate_records "$T/last.jsonl"
jq_eq "last value of each writer's device" "$T/last.jsonl" 'map(.value)|unique|tostring' "[$N]"
jq_eq "one series per writer" "$T/last.jsonl" 'length' "$W"
finish
