#!/usr/bin/env bash
# dce-store on a real PostgreSQL 15 (issue 13, "the store past one machine"): readings go
# in with COPY and keep their natural-key deduplication (same input twice, same rows; two
# ingests of one input at once, same rows), a batch is all or nothing when ingest is
# killed, readings are partitioned by UTC day (made by ingest, a default partition for
# what no day covers), prune drops whole day partitions, and a time-range query plans
# only the partitions of its range (EXPLAIN).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pg.sh"
need jq
pg_start
DAY=86400000
# Three whole UTC days ending two days ago (ingest makes partitions up to 7 days ahead of
# the clock, so these are always made): one reading per device and hour.
now_s=$(date -u +%s)
d0=$(((now_s / 86400 - 12) * 86400))
day_name() { date -u -d "@$1" +readings_p%Y%m%d; }
gen() {  # gen FIRST_DAY_S DAYS DEVICES
    awk -v d0="$1" -v days="$2" -v devs="$3" 'BEGIN {
      for (d = 0; d < days; d++) for (h = 0; h < 24; h++) for (i = 1; i <= devs; i++)
        printf "{\"type\":\"reading\",\"ts\":\"%s.000Z\",\"device\":\"snmp://127.0.%d.%d:161\",\"metric\":\"ups.load\",\"value\":%d,\"unit\":\"percent\"}\n",
          strftime("%Y-%m-%dT%H:%M:%S", d0 + d * 86400 + h * 3600, 1), int(i / 256), i % 256, (d * 24 + h) * 1000 + i }'
}
gen "$d0" 3 50 >"$T/in.jsonl"  # 3 x 24 x 50 = 3600 readings
N=3600
URL=$(pg_createdb parts)

# ---- COPY ingest, deduplication ------------------------------------------------------
dce-store ingest --db "$URL" --batch 500 "$T/in.jsonl" 2>"$T/in1.err"
check_eq "ingest exits 0" 0 $?
check_contains "all stored" "$(cat "$T/in1.err")" "stored $N reading"
check_eq "rows after one ingest" $N "$(pg_psql 'SELECT count(*) FROM readings' parts)"
dce-store ingest --db "$URL" --batch 700 "$T/in.jsonl" 2>"$T/in2.err"
check_eq "second ingest exits 0" 0 $?
check_contains "second ingest stores nothing new" "$(cat "$T/in2.err")" "($N already stored)"
check_eq "same rows after the same input twice" $N "$(pg_psql 'SELECT count(*) FROM readings' parts)"
check_eq "one series per device" 50 "$(pg_psql 'SELECT count(*) FROM series' parts)"
jq_eq "query --last sees the newest" <(dce-store query readings --db "$URL" --last --format json) \
    'map(.value)|max' "$((71 * 1000 + 50))"

# Two ingests of one input at once into a fresh database: every row once.
URL2=$(pg_createdb twice)
dce-store ingest --db "$URL2" --batch 300 "$T/in.jsonl" 2>"$T/c1.err" &
p1=$!
dce-store ingest --db "$URL2" --batch 300 "$T/in.jsonl" 2>"$T/c2.err" &
p2=$!
wait $p1
check_eq "concurrent ingest 1 exits 0" 0 $?
wait $p2
check_eq "concurrent ingest 2 exits 0" 0 $?
check_eq "concurrent ingests: every row once" "$N|$N" \
    "$(pg_psql 'SELECT count(*), count(DISTINCT (series, ts)) FROM readings' twice)"

# ---- partitions --------------------------------------------------------------------------
parts() { pg_psql "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY 1" "$1"; }
for d in 0 1 2 3; do  # the three days, and the next one made ahead
    check_contains "day partition $d made" "$(parts parts)" "$(day_name $((d0 + d * 86400)))"
done
check_contains "a default partition" "$(parts parts)" "readings_default"
check_eq "each day holds its rows" 1200 "$(pg_psql "SELECT count(*) FROM $(day_name $((d0 + 86400)))" parts)"
check_eq "the default partition is empty" 0 "$(pg_psql 'SELECT count(*) FROM readings_default' parts)"
# A reading far beyond the clock is not refused: the default partition keeps it.
printf '{"type":"reading","ts":"2099-01-01T00:00:00.000Z","device":"snmp://127.0.0.1:161","metric":"ups.load","value":1}\n' |
    dce-store ingest --db "$URL" 2>"$T/future.err"
check_eq "far-future reading accepted" 0 $?
check_eq "far-future reading in the default partition" 1 "$(pg_psql 'SELECT count(*) FROM readings_default' parts)"
check_not_contains "no partition made for 2099" "$(parts parts)" "readings_p2099"

# A time-range query plans only its partitions: the statement dce-store query runs for
# --since/--until, prepared with parameters as it does.
lo=$(((d0 + 86400) * 1000))
hi=$((lo + DAY))
plan=$(pg_psql "PREPARE q(bigint, bigint) AS SELECT s.site, s.device, r.ts, r.num FROM readings r JOIN series s ON s.id = r.series WHERE r.ts >= \$1 AND r.ts < \$2 ORDER BY r.ts; EXPLAIN EXECUTE q($lo, $hi)" parts)
echo "$plan" >&2
check_contains "EXPLAIN: the day's partition is scanned" "$plan" "$(day_name $((d0 + 86400)))"
for other in $((d0)) $((d0 + 2 * 86400)); do
    check_not_contains "EXPLAIN: $(day_name $other) is pruned" "$plan" "$(day_name $other)"
done
check_not_contains "EXPLAIN: the default partition is pruned" "$plan" "readings_default"
since=$(date -u -d "@$((d0 + 86400))" +%Y-%m-%dT%H:%M:%SZ)
until=$(date -u -d "@$((d0 + 2 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
check_eq "query --since/--until returns one day" 1200 \
    "$(dce-store query readings --db "$URL" --since "$since" --until "$until" --format json | wc -l)"

# ---- prune drops whole partitions ------------------------------------------------------
# Cutoff at 12:30 on the middle day: day 0 is dropped whole, the middle day loses hours
# 0-12 (13 x 50 rows), day 2 stays. The cutoff moves with the clock by seconds only.
cut_s=$((d0 + 86400 + 12 * 3600 + 1800))
keep_min=$(((now_s - cut_s) / 60))
dce-store prune --db "$URL" --keep 3650d --keep-kind "readings=${keep_min}m" --dry-run 2>"$T/dry.err"
check_eq "dry run exits 0" 0 $?
check_contains "dry run counts day 0 and the boundary's rows" "$(cat "$T/dry.err")" "would delete $((1200 + 650)) reading records"
check_contains "dry run drops nothing" "$(parts parts)" "$(day_name "$d0")"
dce-store prune --db "$URL" --keep 3650d --keep-kind "readings=${keep_min}m" 2>"$T/prune.err"
check_eq "prune exits 0" 0 $?
check_contains "prune reports what it deleted" "$(cat "$T/prune.err")" "deleted $((1200 + 650)) reading records"
check_contains "prune says it dropped a partition" "$(cat "$T/prune.err")" "1 day partition dropped"
check_not_contains "day 0's partition dropped" "$(parts parts)" "$(day_name "$d0")"
check_eq "middle day keeps hours 13-23" 550 "$(pg_psql "SELECT count(*) FROM $(day_name $((d0 + 86400)))" parts)"
check_eq "rows left" $((N + 1 - 1850)) "$(pg_psql 'SELECT count(*) FROM readings' parts)"
# A pruned day ingested again gets its partition back.
dce-store ingest --db "$URL" "$T/in.jsonl" 2>/dev/null
check_eq "re-ingest after prune" $((N + 1)) "$(pg_psql 'SELECT count(*) FROM readings' parts)"
check_eq "nothing in the default partition but 2099" 1 "$(pg_psql 'SELECT count(*) FROM readings_default' parts)"

# ---- crash safety: kill -9 mid-ingest never leaves half a batch -----------------------
# Kill points by progress (the ack file), not by the clock. Line i's value is i, and
# lines are committed in order, so "no half batch, nothing acknowledged lost" means the
# stored rows are exactly lines 1..M for some M at least the last acknowledged line.
URL3=$(pg_createdb crash)
M=60000
awk -v n=$M -v t0="$d0" 'BEGIN { for (i = 1; i <= n; i++)
  printf "{\"type\":\"reading\",\"ts\":\"%s.%03dZ\",\"device\":\"snmp://127.0.1.%d:161\",\"metric\":\"ups.load\",\"value\":%d}\n",
    strftime("%Y-%m-%dT%H:%M:%S", t0 + int(i / 1000), 1), i % 1000, 1 + i % 7, i }' >"$T/crash.jsonl"
for k in 5000 20000 40000; do
    rm -f "$T/ack"
    dce-store ingest --db "$URL3" --batch 1000 --ack-file "$T/ack" --log-level error "$T/crash.jsonl" &
    pid=$!
    for _ in $(seq 1 6000); do  # at most ~60 s
        [ -s "$T/ack" ] && [ "$(tail -n 1 "$T/ack" | cut -d' ' -f1)" -ge "$k" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    kill -KILL "$pid" 2>/dev/null && echo "killed after line $(tail -n 1 "$T/ack" | cut -d' ' -f1)" >&2
    wait "$pid" 2>/dev/null
    acked=$(tail -n 1 "$T/ack" | cut -d' ' -f1)
    read -r rows top < <(pg_psql 'SELECT count(*), coalesce(max(num), 0)::bigint FROM readings' crash | tr '|' ' ')
    check_eq "kill at $k: stored rows are a prefix (no half batch)" "$top" "$rows"
    check_eq "kill at $k: every acknowledged line stored" 1 "$((rows >= acked))"
done
dce-store ingest --db "$URL3" --log-level error "$T/crash.jsonl"
check_eq "the re-run exits 0" 0 $?
check_eq "after the re-run every line once" "$M|$M" "$(pg_psql 'SELECT count(*), count(DISTINCT num) FROM readings' crash)"
finish
