#!/usr/bin/env bash
# A full disk: the store failing with SQLITE_FULL (made here with SQLite's page limit,
# DCE_STORE_MAX_PAGES, which fails exactly as ENOSPC does, without root or a mount) and
# stdout failing with ENOSPC (/dev/full). Both are a clear error and exit 3; ingest's
# summary counts every line that was not stored, and what was committed stays.
# The page limit leaves room for the schema (version 6) and a few batches: how many rows a
# batch holds depends on how the input arrives, and with a margin of two pages a loaded
# machine once stored nothing at all, which is not what this test is about.
. "$(dirname "$0")/../lib/common.sh"
need jq python3 sqlite3
S=dce-store
python3 - "$T/in.jsonl" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("not json\n")
    for i in range(30000):
        f.write('{"type":"reading","ts":"2026-11-22T%02d:%02d:%02d.000Z","device":"snmp://127.0.0.1:161",'
                '"metric":"ups.load.%d","value":%d}\n' % (i // 3600, i // 60 % 60, i % 60, i % 50, i))
PY

# ---- the store fills up: input from a file is counted to its end ---------------------
DCE_STORE_MAX_PAGES=80 $S ingest --db "$T/full.db" --batch 1000 <"$T/in.jsonl" 2>"$T/full.err"
check_eq "a full store exits 3" 3 $?
err=$(cat "$T/full.err")
check_contains "the reason is named" "$err" "database or disk is full"
stored=$(sed -n 's/.*stored \([0-9]*\) reading; NOT stored \([0-9]*\) lines.*/\1/p' "$T/full.err")
lost=$(sed -n 's/.*stored \([0-9]*\) reading; NOT stored \([0-9]*\) lines.*/\2/p' "$T/full.err")
check_contains "the bad line is counted apart" "$err" "rejected 1 line"
check_eq "stored + not stored = every good line" 30000 "$((${stored:-0} + ${lost:-0}))"
check_eq "what was committed stays, intact" ok "$(sqlite3 "$T/full.db" "PRAGMA integrity_check")"
check_eq "the committed rows are the ones reported" "$stored" \
    "$(sqlite3 "$T/full.db" "SELECT count(*) FROM readings")"
$S query readings --db "$T/full.db" --limit 3 --format json >"$T/after.jsonl"
validate_records "$T/after.jsonl"
jq_eq "the full store can still be queried" "$T/after.jsonl" 'length' 3

# ---- from a pipe, which may never end: where reading stopped is said ---------------------
cat "$T/in.jsonl" | DCE_STORE_MAX_PAGES=80 $S ingest --db "$T/pipe.db" --batch 1000 2>"$T/pipe.err"
check_eq "a full store fed by a pipe exits 3" 3 $?
check_contains "pipe: lines not stored are counted" "$(cat "$T/pipe.err")" "NOT stored"
check_contains "pipe: where reading stopped" "$(cat "$T/pipe.err")" "not read"

# ---- stdout on a full disk: every subcommand that writes it says so, exit 3 ---------------
$S ingest --db "$T/ok.db" <"$DCE_SOURCE_DIR/tests/data/store/all-types.jsonl" 2>/dev/null
for cmd in "query readings --format json" "query readings --format csv" \
    "query readings --format table" "export" "stats" "sites"; do
    # shellcheck disable=SC2086
    $S $cmd --db "$T/ok.db" >/dev/full 2>"$T/stdout.err"
    check_eq "$cmd to a full disk exits 3" 3 $?
    check_contains "$cmd names the reason" "$(cat "$T/stdout.err")" "No space left on device"
done
finish
