#!/usr/bin/env bash
# What is SQLite's own: private files in WAL mode, the default path and DCE_DB, a slow
# trickle committed on time, SIGTERM committing what it has (exit 130), and a database
# made by the version 1 DDL upgraded in place.
. "$(dirname "$0")/../lib/common.sh"
need sqlite3 jq
DATA="$DCE_SOURCE_DIR/tests/data/store"
rec() { printf '{"type":"reading","ts":"2026-11-22T07:30:%02d.000Z","device":"snmp://127.0.0.1:161","metric":"ups.load","value":%d}\n' "$1" "$1"; }

# ---- a trickle is committed on time, the db and its -wal/-shm are 0600, WAL mode ----
mkfifo "$T/fifo"
DB="$T/trickle.db"
(umask 022; exec dce-store ingest --db "$DB" --commit-interval 200ms --log-level warn <"$T/fifo" 2>"$T/trickle.err") &
pid=$!
exec 3>"$T/fifo"
rec 1 >&3
rec 2 >&3
sleep 1.5
check_eq "a trickle is stored before the input ends" 2 "$(sqlite3 "$DB" "SELECT count(*) FROM readings" 2>&1)"
for f in "$DB" "$DB-wal" "$DB-shm"; do
    check_eq "$(basename "$f") is mode 600" 600 "$(stat -c %a "$f" 2>&1)"
done
check_eq "WAL mode" wal "$(sqlite3 "$DB" "PRAGMA journal_mode")"
# SIGTERM: what was read is committed, exit 130, even with a long commit interval.
rec 3 >&3
sleep 0.3
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM exits 130" 130 $?
exec 3>&-
check_eq "SIGTERM committed what it had" 3 "$(sqlite3 "$DB" "SELECT count(*) FROM readings")"

DB2="$T/term.db"
mkfifo "$T/fifo2"
dce-store ingest --db "$DB2" --commit-interval 1h --batch 100000 --log-level warn <"$T/fifo2" 2>/dev/null &
pid=$!
exec 4>"$T/fifo2"
for i in 1 2 3 4 5; do rec $i >&4; done
sleep 0.5
check_eq "nothing committed before the interval" 0 "$(sqlite3 "$DB2" "SELECT count(*) FROM readings" 2>&1)"
kill -INT "$pid"
wait "$pid"
check_eq "SIGINT exits 130" 130 $?
exec 4>&-
check_eq "SIGINT committed all five" 5 "$(sqlite3 "$DB2" "SELECT count(*) FROM readings")"

# ---- default path, DCE_DB ---------------------------------------------------------------
HOME="$T/home" dce-store ingest <"$DATA/all-types.jsonl" 2>/dev/null
check_eq "default database under ~/.local/share/dce" 600 "$(stat -c %a "$T/home/.local/share/dce/store.db" 2>&1)"
check_eq "its directory is private" 700 "$(stat -c %a "$T/home/.local/share/dce" 2>&1)"
DCE_DB="$T/env.db" dce-store ingest <"$DATA/all-types.jsonl" 2>/dev/null
check_eq "DCE_DB names the database" 6 "$(sqlite3 "$T/env.db" "SELECT count(*) FROM readings")"
dce-store query readings --db "$T/missing.db" >/dev/null 2>"$T/missing.err"
check_eq "query of a missing database is a usage error" 2 $?
check_contains "missing database named" "$(cat "$T/missing.err")" "no database at $T/missing.db"
check_eq "query did not create it" no "$([ -e "$T/missing.db" ] && echo yes || echo no)"

# ---- a version 1 database, made by the old DDL, upgraded in place --------------------------
V1="$T/v1.db"
sqlite3 "$V1" <"$DATA/schema-v1.sql"
check_eq "fixture is version 1" 1 "$(sqlite3 "$V1" "SELECT max(version) FROM schema_version")"
dce-store migrate --db "$V1" 2>"$T/mig.err"
check_eq "migrate exits 0" 0 $?
check_contains "migrate reports the step" "$(cat "$T/mig.err")" "schema version 1 -> 6"
check_eq "now the current version" 6 "$(sqlite3 "$V1" "SELECT max(version) FROM schema_version")"
check_eq "integrity after the upgrade" ok "$(sqlite3 "$V1" "PRAGMA integrity_check")"
dce-store export --db "$V1" >"$T/v1.jsonl" 2>/dev/null
validate_records "$T/v1.jsonl"
jq_eq "v1 data kept" "$T/v1.jsonl" 'map(.type)|join(",")' "device,reading,reading,event,finding"
jq_eq "v1 device keeps first seen" "$T/v1.jsonl" '.[0].first_seen' "2026-09-21T14:13:20.000Z"
# New data lands beside the old, duplicates of it are recognised.
dce-store ingest --db "$V1" <"$DATA/all-types.jsonl" 2>"$T/after.err"
check_eq "ingest after the upgrade" 0 $?
check_contains "old readings recognised" "$(cat "$T/after.err")" "6 reading"
dce-store migrate --db "$V1" 2>"$T/mig2.err"
check_contains "a second migrate changes nothing" "$(cat "$T/mig2.err")" "schema version 6 is current"
finish
