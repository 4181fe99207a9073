#!/usr/bin/env bash
# A store on read-only media (a snapshot, a mounted backup) can be read: query, stats,
# export and sites open it read-only, as immutable when its directory is not writable
# (SQLite could not make the -shm file a WAL database otherwise needs). Ingest into it
# is a clear error. Root ignores mode bits, so as root the readers run as nobody
# (setpriv), for whom the directory is really read-only; CI runs as root.
. "$(dirname "$0")/../lib/common.sh"
need jq sqlite3
DATA="$DCE_SOURCE_DIR/tests/data/store"
S=$(command -v dce-store)

mkdir "$T/ro" "$T/v1"
$S ingest --db "$T/ro/store.db" <"$DATA/all-types.jsonl" 2>/dev/null
check_eq "fixture stored" 0 $?
sqlite3 "$T/v1/store.db" <"$DATA/schema-v1.sql"
as_reader=()
if [ "$(id -u)" = 0 ]; then
    need setpriv
    chown -R 65534:65534 "$T/ro" "$T/v1"
    as_reader=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
chmod 0444 "$T/ro/store.db" "$T/v1/store.db"
chmod 0555 "$T/ro" "$T/v1"
"${as_reader[@]}" touch "$T/ro/probe" 2>/dev/null
check_eq "the directory is read-only for the reader" 1 $?

"${as_reader[@]}" "$S" query readings --db "$T/ro/store.db" --format json >"$T/q.jsonl" 2>"$T/q.err"
check_eq "query of a read-only store exits 0" 0 $?
validate_records "$T/q.jsonl"
jq_eq "query reads every reading" "$T/q.jsonl" 'length' 6
"${as_reader[@]}" "$S" stats --db "$T/ro/store.db" --format json >"$T/stats.json" 2>"$T/stats.err"
check_eq "stats of a read-only store exits 0" 0 $?
jq_eq "stats counts" "$T/stats.json" '.[0].kinds.reading.rows' 6
"${as_reader[@]}" "$S" export --db "$T/ro/store.db" >"$T/export.jsonl" 2>"$T/export.err"
check_eq "export of a read-only store exits 0" 0 $?
validate_records "$T/export.jsonl"
check_eq "export holds every record" 13 "$(wc -l <"$T/export.jsonl")"
check_eq "sites of a read-only store" "(none)" "$("${as_reader[@]}" "$S" sites --db "$T/ro/store.db" 2>&1)"
check_eq "nothing was written beside it" "store.db" "$(ls "$T/ro")"

# Writing is a clear error, not a hang or a crash.
echo '{"type":"reading","ts":"2026-11-22T07:30:00.000Z","device":"d","metric":"m","value":1}' |
    "${as_reader[@]}" "$S" ingest --db "$T/ro/store.db" 2>"$T/ingest.err"
check_eq "ingest into a read-only store exits 3" 3 $?
check_contains "ingest says why" "$(cat "$T/ingest.err")" "readonly database"

# An older schema cannot be upgraded there: say so, and what to do.
"${as_reader[@]}" "$S" query readings --db "$T/v1/store.db" >/dev/null 2>"$T/v1.err"
check_eq "an old read-only store exits 3" 3 $?
check_contains "the reader is told to migrate" "$(cat "$T/v1.err")" "run dce-store migrate where the database is writable"
chmod 0755 "$T/ro" "$T/v1"  # so the cleanup can remove them when not root
finish
