#!/usr/bin/env bash
# bench/pg_pipelines.sh [PER_PIPE]: four `... | dce-store ingest` pipelines writing into
# one PostgreSQL 15 server at once, as four sharded pollers would (dce-poll --shard K/4).
# The lab's simulated devices (snmpsim) cannot produce readings anywhere near this rate
# (LAB-NOTES: ~8-13 CPU-s per 100,000 varbinds in snmpsim alone), so each pipeline is fed
# a generated reading stream of its shard's devices (the devices split by dce-poll's own
# rule: FNV-1a 64 of the device id mod 4), replayed from a file through a pipe with cat.
# Reports readings/s in total and checks that no row is lost or duplicated: the distinct
# natural keys (series, ts) stored must equal the lines sent. Writes
# bench/results/pg_pipelines.md. Data lives in /dev/shm (or $BENCH_TMP), deleted afterwards.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DCE_BIN_DIR:-$src/build/tools}
PER=${1:-1000000}
PIPES=4
DEVICES=10000
METRICS=5
PG=/usr/lib/postgresql/15/bin
[ -x "$PG/initdb" ] && id postgres >/dev/null 2>&1 || { echo "bench/pg_pipelines.sh: PostgreSQL 15 is not installed" >&2; exit 1; }
W=$(mktemp -d "${BENCH_TMP:-/dev/shm}/dce-bench-pgpipes.XXXXXX")
cleanup() {
    su postgres -s /bin/sh -c "$PG/pg_ctl -D '$W/pg/data' -m immediate -w stop" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
chmod 755 "$W"

# Device ids, split into shards by the same rule as dce-poll --shard: the device records
# go through dce-poll --shard K/4 (they name no profile, so nothing is polled).
awk -v devs=$DEVICES 'BEGIN { for (d = 0; d < devs; d++)
  printf "{\"type\":\"device\",\"ts\":\"2026-11-22T00:00:00.000Z\",\"id\":\"snmp://10.%d.%d.%d:161\",\"target\":\"10.%d.%d.%d\",\"port\":161,\"transport\":\"snmp\"}\n",
    int(d / 65536), int(d / 256) % 256, d % 256, int(d / 65536), int(d / 256) % 256, d % 256 }' >"$W/devices.jsonl"
echo "generating $PIPES x $PER readings..." >&2
for k in $(seq 1 $PIPES); do
    "$BIN/dce-poll" --shard "$k/$PIPES" --log-level error <"$W/devices.jsonl" |
        awk -F'"' '{print $12}' >"$W/dev$k.txt"
    # One poll round a minute over this shard's devices, as a shard's poller writes them.
    awk -v n="$PER" -v mets=$METRICS 'BEGIN {
          split("ups.battery.charge ups.load ups.input.voltage ups.output.current ups.battery.temperature", m, " ")
          split("percent percent volt ampere celsius", u, " ") }
        { dev[nd++] = $0 }
        END { base = 1795330800; per = nd * mets
          for (i = 0; i < n; i++) {
            r = int(i / per); d = int(i / mets) % nd; k = i % mets + 1
            printf "{\"type\":\"reading\",\"ts\":\"%s.000Z\",\"device\":\"%s\",\"metric\":\"%s\",\"value\":%.1f,\"unit\":\"%s\"}\n",
              strftime("%Y-%m-%dT%H:%M:%S", base + r * 60, 1), dev[d], m[k], (i * 7) % 1000 / 10.0, u[k] } }' \
        "$W/dev$k.txt" >"$W/in$k.jsonl"
done
sent=$(cat "$W"/in?.jsonl | wc -l)

mkdir -p "$W/pg"
chown postgres: "$W/pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
su postgres -s /bin/sh -c "$PG/initdb -D '$W/pg/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
su postgres -s /bin/sh -c "$PG/pg_ctl -D '$W/pg/data' -l '$W/pg/log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -k '$W/pg' -c max_wal_size=4GB\" start" >/dev/null
url="postgresql://postgres@127.0.0.1:$port/postgres"
# The schema first, so the four do not race to make it (they would wait on its lock).
"$BIN/dce-store" migrate --db "$url" --log-level warn

echo "four pipelines at once..." >&2
start=$(date +%s.%N)
for k in $(seq 1 $PIPES); do
    (cat "$W/in$k.jsonl" | /usr/bin/time -f "%e %U %S %M" -o "$W/p$k.time" \
        "$BIN/dce-store" ingest --db "$url" --batch 20000 --log-level warn) &
done
wait
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
read -r rows keys < <(psql -X -At -h 127.0.0.1 -p "$port" -U postgres -F ' ' \
    -c "SELECT count(*), count(DISTINCT (series, ts)) FROM readings" postgres)
read -r nat < <(psql -X -At -h 127.0.0.1 -p "$port" -U postgres \
    -c "SELECT count(*) FROM (SELECT DISTINCT s.site, s.device, s.metric, s.labels, r.ts FROM readings r JOIN series s ON s.id = r.series) k" postgres)
parts=$(psql -X -At -h 127.0.0.1 -p "$port" -U postgres -c "SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings'::regclass" postgres)
verdict="**no row lost or duplicated**"
[ "$rows" = "$sent" ] && [ "$keys" = "$sent" ] && [ "$nat" = "$sent" ] || verdict="**MISMATCH: rows lost or duplicated**"
cpu_all=$(cat "$W"/p?.time | awk '{ s += $2 + $3 } END { printf "%.2f", s }')
rate=$(awk -v n="$sent" -v s="$wall" 'BEGIN { printf "%.0f", n / s }')
per_pipe=""
for k in $(seq 1 $PIPES); do
    read -r w u s m <"$W/p$k.time"
    per_pipe+="| pipeline $k/$PIPES | $(wc -l <"$W/in$k.jsonl") | $w s | $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') s | $((m / 1024)) MB |
"
done
cat >"$src/bench/results/pg_pipelines.md" <<MD
## dce-store: four pipelines into one PostgreSQL

Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(uname -m)), PostgreSQL $(psql -X -At -h 127.0.0.1 -p "$port" -U postgres -c "SHOW server_version" postgres | cut -d' ' -f1) / dce-store $("$BIN/dce-store" --version | cut -d' ' -f2).
Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg).

    bench/pg_pipelines.sh $PER
    # four of these at once, K = 1..4, into one database:
    cat inK.jsonl | dce-store ingest --db postgresql://postgres@127.0.0.1:PORT/postgres --batch 20000

Data: $DEVICES devices x $METRICS metrics, one round a minute, split into $PIPES shards by
\`dce-poll --shard K/$PIPES\` (FNV-1a 64 of the device id); $PER readings per shard, generated
beforehand and replayed through a pipe (not polled: the lab's simulated devices cannot
produce readings at this rate). PostgreSQL 15 on loopback, default settings except
max_wal_size=4GB (fsync and synchronous_commit on), readings partitioned by day.

| pipeline | readings | wall | CPU (user+sys) | peak RSS |
|---|---|---|---|---|
$per_pipe
**Total: $sent readings in $wall s = $rate readings/s** (all four dce-store processes:
$cpu_all CPU-s; the server's CPU is not counted).

Check: readings sent $sent; rows stored $rows; distinct (series, ts) $keys; distinct natural
keys (site, device, metric, labels, ts) $nat: $verdict. Partitions of readings: $parts.
MD
cat "$src/bench/results/pg_pipelines.md"
