#!/usr/bin/env bash
# dce-store backup: SQLite's online backup API while another `dce-store ingest` writes.
# The backup is one consistent snapshot (complete data equal, the writer's rows a prefix
# on a commit boundary), passes integrity_check, restores by copying it as a new store,
# and queries the same as the original. DEST is never overwritten without --force;
# PostgreSQL is pointed at pg_dump.
. "$(dirname "$0")/../lib/common.sh"
need sqlite3 jq
DB="$T/store.db"
N=30000
gen() {  # gen DEVICE N: N readings of one device, values 1..N
    awk -v n="$2" -v d="$1" 'BEGIN { for (i = 1; i <= n; i++)
      printf "{\"type\":\"reading\",\"ts\":\"2026-11-22T%02d:%02d:%02d.%03dZ\",\"device\":\"snmp://%s:161\",\"metric\":\"ups.load\",\"value\":%d}\n",
        int(i / 3600000) % 24, int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, d, i }'
}
gen 127.0.1.1 $N | dce-store ingest --db "$DB" --batch 2000 2>"$T/ingest.err"
check_eq "first ingest" 0 $?
printf '{"type":"device","ts":"2026-11-22T07:00:00Z","id":"snmp://127.0.1.1:161","target":"127.0.1.1","transport":"snmp"}\n' |
    dce-store ingest --db "$DB" 2>>"$T/ingest.err"

# A writer that goes on committing small batches during the backup: a pipe fed slowly.
gen 127.0.1.2 20000 >"$T/slow.jsonl"
mkfifo "$T/fifo"
(
    while IFS= read -r line; do
        printf '%s\n' "$line"
        n=$((${n:-0} + 1))
        [ $((n % 200)) = 0 ] && sleep 0.02
    done <"$T/slow.jsonl"
) >"$T/fifo" &
feeder=$!
dce-store ingest --db "$DB" --batch 100 --commit-interval 50ms "$T/fifo" 2>"$T/writer.err" &
writer=$!
# Back up once the writer has committed something.
for _ in $(seq 1 100); do
    c=$(sqlite3 "$DB" "SELECT count(*) FROM readings" 2>/dev/null || echo 0)
    [ "${c:-0}" -gt "$N" ] && break
    sleep 0.1
done
check_status "backup while ingest writes" 0 dce-store backup --db "$DB" "$T/during.db"
check_eq "the writer was still running during the backup" 0 "$(kill -0 $writer 2>/dev/null; echo $?)"
wait $feeder
wait $writer
check_eq "writer exits 0" 0 $?
check_not_contains "the writer never saw a locked store" "$(cat "$T/writer.err")" "locked"

check_eq "backup: integrity_check" ok "$(sqlite3 "$T/during.db" "PRAGMA integrity_check")"
check_eq "backup: mode 0600" 600 "$(stat -c %a "$T/during.db")"
check_eq "no temp file left" "" "$(ls -A "$T" | grep '\.tmp-' || true)"
q() { dce-store query readings --db "$1" --format json "${@:2}" | jq -c '[.device,.metric,.value,.ts]'; }
check_eq "backup: the complete device's readings equal" \
    "$(q "$DB" --device snmp://127.0.1.1:161 | md5sum)" "$(q "$T/during.db" --device snmp://127.0.1.1:161 | md5sum)"
part=$(q "$T/during.db" --device snmp://127.0.1.2:161 | jq -s 'map(.[2]) | sort | . == [range(1; length + 1)]')
check_eq "backup: the writer's rows are a prefix (a snapshot at a commit)" true "$part"

# Restore: copy the backup as a new store; it answers like the original did at the time.
check_status "backup after the writer finished" 0 dce-store backup --db "$DB" "$T/after.db"
cp "$T/after.db" "$T/restored.db"
for what in readings devices; do
    check_eq "restored: query $what equal" \
        "$(dce-store query "$what" --db "$DB" --format json | md5sum)" \
        "$(dce-store query "$what" --db "$T/restored.db" --format json | md5sum)"
done
check_eq "restored: integrity_check" ok "$(sqlite3 "$T/restored.db" "PRAGMA integrity_check")"
check_eq "restored: every reading" $((N + 20000)) "$(q "$T/restored.db" | wc -l)"
gen 127.0.1.3 10 | dce-store ingest --db "$T/restored.db" 2>/dev/null
check_eq "restored: takes new writes" 10 "$(q "$T/restored.db" --device snmp://127.0.1.3:161 | wc -l)"

# DEST exists: refused (exit 2), kept as it was; --force replaces it.
echo keep >"$T/exists.db"
check_status "existing DEST refused" 2 dce-store backup --db "$DB" "$T/exists.db" 2>"$T/exists.err"
check_contains "existing DEST: says --force" "$(cat "$T/exists.err")" "--force"
check_eq "existing DEST unchanged" keep "$(cat "$T/exists.db")"
check_status "--force replaces DEST" 0 dce-store backup --db "$DB" --force "$T/exists.db"
check_eq "--force: a store now" ok "$(sqlite3 "$T/exists.db" "PRAGMA integrity_check")"

# No store at --db, a directory as DEST, PostgreSQL: usage errors that say what to do.
check_status "missing store" 2 dce-store backup --db "$T/none.db" "$T/x.db" 2>/dev/null
check_status "directory as DEST" 2 dce-store backup --db "$DB" "$T" 2>/dev/null
check_status "PostgreSQL: exit 2" 2 dce-store backup --db postgresql://dce@127.0.0.1:1/dce "$T/pg.db" 2>"$T/pg.err"
check_contains "PostgreSQL: names pg_dump" "$(cat "$T/pg.err")" "pg_dump"
check_eq "PostgreSQL: nothing made" no "$([ -e "$T/pg.db" ] && echo yes || echo no)"
finish
