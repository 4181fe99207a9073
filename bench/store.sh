#!/usr/bin/env bash
# bench/store.sh [N]: dce-store ingest of N (default 5,000,000) reading records from a
# JSON-lines file into a SQLite file, against sqlite3's own `.import` of the same data
# as CSV into a table with the same natural key, in the same run. Also: peak RSS at 1M
# and N (memory must stay flat), the last value of every metric of 10,000 devices, and
# ingest into a PostgreSQL 15 server started here on loopback (with COPY, and the
# multi-row INSERT path before it, in the same run). Writes
# bench/results/store.md. Data lives in /dev/shm (or $TMPDIR) and is deleted afterwards.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DCE_BIN_DIR:-$src/build/tools}
N=${1:-5000000}
DEVICES=10000
METRICS=5
W=$(mktemp -d "${BENCH_TMP:-/dev/shm}/dce-bench-store.XXXXXX")
cleanup() {
    [ -n "${PGD:-}" ] && su postgres -s /bin/sh -c "/usr/lib/postgresql/15/bin/pg_ctl -D '$PGD/data' -m immediate -w stop" >/dev/null 2>&1
    rm -rf "$W"
}
trap cleanup EXIT
chmod 755 "$W"
command -v sqlite3 >/dev/null || { echo "bench/store.sh: sqlite3 is not installed" >&2; exit 1; }

# The data: DEVICES devices x METRICS metrics, one poll round a minute, as dce-poll writes it.
gen() {  # gen N FORMAT(json|csv)
    awk -v n="$1" -v fmt="$2" -v devs=$DEVICES -v mets=$METRICS 'BEGIN {
      base = 1795330800
      split("ups.battery.charge ups.load ups.input.voltage ups.output.current ups.battery.temperature", m, " ")
      split("percent percent volt ampere celsius", u, " ")
      per = devs * mets
      for (i = 0; i < n; i++) {
        r = int(i / per); d = int(i / mets) % devs; k = i % mets + 1; t = base + r * 60
        dev = sprintf("snmp://10.%d.%d.%d:161", int(d / 65536), int(d / 256) % 256, d % 256)
        v = (i * 7) % 1000 / 10.0
        if (fmt == "json")
          printf "{\"type\":\"reading\",\"ts\":\"%s.000Z\",\"device\":\"%s\",\"metric\":\"%s\",\"value\":%.1f,\"unit\":\"%s\"}\n", strftime("%Y-%m-%dT%H:%M:%S", t, 1), dev, m[k], v, u[k]
        else
          printf "%s,%s,,%s,%.0f,%.1f\n", dev, m[k], u[k], t * 1000, v
      } }'
}
measure() {  # measure LABEL command...: wall seconds, CPU seconds, peak RSS KB into $W/LABEL.time
    local label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$W/$label.time" "$@"
}
wall() { cut -d' ' -f1 "$W/$1.time"; }
cpu() { awk '{ printf "%.2f", $2 + $3 }' "$W/$1.time"; }
rss_mb() { awk '{ printf "%.0f", $4 / 1024 }' "$W/$1.time"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

echo "generating $N readings..." >&2
gen "$N" json >"$W/in.jsonl"
gen "$N" csv >"$W/in.csv"
head -n 1000000 "$W/in.jsonl" >"$W/in1m.jsonl"

# ---- dce-store ingest (batched transactions, WAL, natural-key dedup) ----
echo "dce-store ingest ($N)..." >&2
measure store "$BIN/dce-store" ingest --db "$W/store.db" --batch 20000 --log-level warn "$W/in.jsonl"
got=$(sqlite3 "$W/store.db" "SELECT count(*) FROM readings")
[ "$got" = "$N" ] || { echo "dce-store stored $got of $N" >&2; exit 1; }
measure store1m "$BIN/dce-store" ingest --db "$W/store1m.db" --batch 20000 --log-level warn "$W/in1m.jsonl"

# ---- the peer: sqlite3 .import of the same readings as CSV ----
# Same table shape dce-store would need without its series table: the natural key
# (device, metric, labels, ts) as the primary key, WAL, synchronous=NORMAL; .import runs
# in one transaction.
echo "sqlite3 .import ($N)..." >&2
cat >"$W/peer.sql" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
PRAGMA cache_size=-65536;
CREATE TABLE readings (device TEXT NOT NULL, metric TEXT NOT NULL, labels TEXT NOT NULL,
  unit TEXT, ts BIGINT NOT NULL, value DOUBLE PRECISION,
  PRIMARY KEY (device, metric, labels, ts)) WITHOUT ROWID;
.mode csv
.import $W/in.csv readings
SQL
measure peer sqlite3 "$W/peer.db" ".read $W/peer.sql"
got=$(sqlite3 "$W/peer.db" "SELECT count(*) FROM readings")
[ "$got" = "$N" ] || { echo "sqlite3 imported $got of $N" >&2; exit 1; }

# ---- last value of every metric of 10,000 devices ----
echo "query --last..." >&2
measure last "$BIN/dce-store" query readings --db "$W/store.db" --last --format json --log-level warn >"$W/last.jsonl"
last_n=$(wc -l <"$W/last.jsonl")

# ---- PostgreSQL (second figure): a private server on loopback ----
# Three figures from one server in the same run: the COPY path over the first 1,000,000
# readings and over all N, and the path before COPY (multi-row INSERTs, kept behind
# DCE_STORE_PG_INSERT=1 for this comparison) over the first 1,000,000. Each into a fresh
# database. --log-level debug prints where the COPY path's time went.
pg_lines="| dce-store ingest into PostgreSQL 15 | PostgreSQL 15 not installed: not measured | | |"
pg_breakdown=""
if [ -x /usr/lib/postgresql/15/bin/initdb ] && id postgres >/dev/null 2>&1; then
    PGD="$W/pg"
    mkdir -p "$PGD"
    chown postgres: "$PGD"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    su postgres -s /bin/sh -c "/usr/lib/postgresql/15/bin/initdb -D '$PGD/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
    su postgres -s /bin/sh -c "/usr/lib/postgresql/15/bin/pg_ctl -D '$PGD/data' -l '$PGD/log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -k '$PGD' -c max_wal_size=4GB\" start" >/dev/null
    pgurl="postgresql://postgres@127.0.0.1:$port"
    for d in pg_old pg_copy pg_copyall; do psql -X -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE $d" postgres; done
    echo "dce-store ingest into PostgreSQL, before COPY (1,000,000)..." >&2
    DCE_STORE_PG_INSERT=1 measure pg_old "$BIN/dce-store" ingest --db "$pgurl/pg_old" --batch 20000 --log-level warn "$W/in1m.jsonl" 2>"$W/pg_old.log" ||
        { tail -n 5 "$W/pg_old.log" >&2; exit 1; }
    echo "dce-store ingest into PostgreSQL with COPY (1,000,000)..." >&2
    measure pg_copy "$BIN/dce-store" ingest --db "$pgurl/pg_copy" --batch 20000 --log-level debug "$W/in1m.jsonl" 2>"$W/pg_copy.log" ||
        { grep -v committed "$W/pg_copy.log" | tail -n 5 >&2; exit 1; }
    echo "dce-store ingest into PostgreSQL with COPY ($N)..." >&2
    measure pg_copyall "$BIN/dce-store" ingest --db "$pgurl/pg_copyall" --batch 20000 --log-level debug "$W/in.jsonl" 2>"$W/pg_copyall.log" ||
        { grep -v committed "$W/pg_copyall.log" | tail -n 5 >&2; exit 1; }
    for d in pg_old:1000000 pg_copy:1000000 pg_copyall:$N; do
        got=$(psql -X -At -h 127.0.0.1 -p "$port" -U postgres -c "SELECT count(*) FROM readings" "${d%%:*}")
        [ "$got" = "${d#*:}" ] || { echo "${d%%:*}: PostgreSQL holds $got of ${d#*:}" >&2; exit 1; }
    done
    pg_lines="| dce-store ingest into PostgreSQL 15, COPY, first 1,000,000 readings | $(wall pg_copy) s | $(cpu pg_copy) s | $(rate 1000000 "$(wall pg_copy)") readings/s | $(rss_mb pg_copy) MB |
| dce-store ingest into PostgreSQL 15, COPY, $N readings | $(wall pg_copyall) s | $(cpu pg_copyall) s | $(rate "$N" "$(wall pg_copyall)") readings/s | $(rss_mb pg_copyall) MB |
| dce-store ingest into PostgreSQL 15, before COPY (multi-row INSERT), first 1,000,000 readings | $(wall pg_old) s | $(cpu pg_old) s | $(rate 1000000 "$(wall pg_old)") readings/s | $(rss_mb pg_old) MB |"
    pg_breakdown="PostgreSQL 15 on loopback with its default settings except max_wal_size=4GB (fsync and
synchronous_commit on), each run into a fresh database; the CPU column is dce-store's
own, the server's is not in it. Where the COPY path's wall time went (dce-store's
--log-level debug summary, seconds summed over batches):

    1,000,000: $(grep -o 'PostgreSQL time:.*' "$W/pg_copy.log")
    $N: $(grep -o 'PostgreSQL time:.*' "$W/pg_copyall.log")"
fi

store_rate=$(rate "$N" "$(wall store)")
peer_rate=$(rate "$N" "$(wall peer)")
ratio=$(awk -v a="$(wall peer)" -v b="$(wall store)" 'BEGIN { printf "%.2f", a / b }')
cpu_ratio=$(awk -v a="$(cpu peer)" -v b="$(cpu store)" 'BEGIN { printf "%.2f", a / b }')
cat >"$src/bench/results/store.md" <<MD
## dce-store: ingest vs sqlite3 .import

Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(uname -m)), $(sqlite3 --version | cut -d' ' -f1) / dce-store $("$BIN/dce-store" --version | cut -d' ' -f2).
Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg). Wall-clock figures
move with other load on the machine; CPU seconds are the steadier comparison.

Data: $N \`reading\` records ($DEVICES devices x $METRICS metrics, one round a minute), made by the script.

    bench/store.sh $N
    dce-store ingest --db store.db --batch 20000 in.jsonl          # JSON lines
    sqlite3 peer.db ".read peer.sql"   # WAL, synchronous=NORMAL, .mode csv, .import in.csv readings

| what | wall | CPU (user+sys) | rate (wall) | peak RSS |
|---|---|---|---|---|
| dce-store ingest, $N readings (JSON lines, dedup key, WAL) | $(wall store) s | $(cpu store) s | $store_rate readings/s | $(rss_mb store) MB |
| sqlite3 .import, same readings as CSV, same natural key | $(wall peer) s | $(cpu peer) s | $peer_rate readings/s | $(rss_mb peer) MB |
| dce-store ingest, first 1,000,000 readings | $(wall store1m) s | $(cpu store1m) s | $(rate 1000000 "$(wall store1m)") readings/s | $(rss_mb store1m) MB |
| dce-store query readings --last ($last_n series of $DEVICES devices) | $(wall last) s | $(cpu last) s | | $(rss_mb last) MB |
$pg_lines

$pg_breakdown

Ratio sqlite3/dce-store: **$ratio by wall clock, $cpu_ratio by CPU time** (above 1: dce-store faster).
Targets: at least 400,000 readings/s end to end and not slower than sqlite3 .import;
peak RSS flat from 1M to ${N} readings; --last over 10,000 devices under 1 s.

dce-store ingests on two threads (one parses JSON lines, one writes), so on a quiet 2-core
machine its wall time is close to the larger of the two, while \`sqlite3 .import\` is one thread.
MD
cat "$src/bench/results/store.md"
