#!/usr/bin/env bash
# Hostile or impossible input to dce-store ingest: each bad line is reported with its
# number and reason, every good line around it is stored, and the run exits 3 (DESIGN.md:
# some input failed) whatever the kind of bad line. Values are refused, never wrapped.
. "$(dirname "$0")/../lib/common.sh"
need jq python3
S=dce-store
rd() { printf '{"type":"reading","ts":"2026-11-22T07:30:%02d.000Z","device":"d","metric":"m","value":%s}\n' "$1" "$2"; }

# ---- a line nested 53,000 deep (it crashed ingest: exit 139, the lines before it lost) --
python3 - "$T/deep.jsonl" <<'PY'
import sys
good = '{"type":"reading","ts":"2026-11-22T07:%02d:%02d.000Z","device":"d","metric":"m","value":%d}'
lines = [good % (i // 60, i % 60, i) for i in range(302)]
lines.append('{"type":"reading","ts":"2026-11-22T08:00:00.000Z","device":"d","metric":"m","value":1,"x":'
             + "[" * 53000 + "]" * 53000 + "}")
lines.append(good % (59, 59, 999))
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
$S ingest --db "$T/deep.db" <"$T/deep.jsonl" 2>"$T/deep.err"
check_eq "a too-deep line gives exit 3, not a crash" 3 $?
check_contains "the deep line is named with its reason" "$(cat "$T/deep.err")" "line 303: nested deeper than 64 levels"
check_contains "every good line stored" "$(cat "$T/deep.err")" "stored 303 reading; rejected 1 line"
$S query readings --db "$T/deep.db" --format json >"$T/deep-out.jsonl"
validate_records "$T/deep-out.jsonl"
jq_eq "the good lines come back" "$T/deep-out.jsonl" 'length' 303

# ---- impossible dates and out-of-range times are bad lines, not other dates -------------
{
    rd 1 1
    echo '{"type":"reading","ts":"9999-12-31T23:59:59.000Z","device":"d","metric":"m","value":2}'
    echo '{"type":"reading","ts":"2026-02-30T00:00:00.000Z","device":"d","metric":"m","value":3}'
    rd 2 4
} | $S ingest --db "$T/ts.db" 2>"$T/ts.err"
check_eq "impossible timestamps give exit 3" 3 $?
check_contains "year 9999 refused" "$(cat "$T/ts.err")" 'line 2: field "ts" should be an RFC 3339 timestamp'
check_contains "February 30 refused" "$(cat "$T/ts.err")" 'line 3: field "ts" should be an RFC 3339 timestamp'
$S query readings --db "$T/ts.db" --format json >"$T/ts.jsonl"
validate_records "$T/ts.jsonl"
jq_eq "only the real dates stored" "$T/ts.jsonl" 'map(.ts)|join(",")' "2026-11-22T07:30:01.000Z,2026-11-22T07:30:02.000Z"

# ---- a device port outside 1-65535 is a bad line ---------------------------------------------
dev() { printf '{"type":"device","ts":"2026-11-22T07:30:00.000Z","id":"snmp://127.0.0.1:%s","target":"127.0.0.1","transport":"snmp","port":%s}\n' "$1" "$1"; }
{ dev 161; dev 70000; dev 0; } | $S ingest --db "$T/port.db" 2>"$T/port.err"
check_eq "a bad port gives exit 3" 3 $?
check_contains "port 70000 refused" "$(cat "$T/port.err")" 'line 2: field "port" should be from 1 to 65535'
check_contains "port 0 refused" "$(cat "$T/port.err")" 'line 3: field "port" should be from 1 to 65535'
$S query devices --db "$T/port.db" --format json >"$T/port.jsonl"
validate_records "$T/port.jsonl"
jq_eq "only port 161 stored" "$T/port.jsonl" 'map(.port)|tostring' "[161]"

# ---- integers beyond 2^53 come back exactly ---------------------------------------------
{ rd 1 9007199254740993; rd 2 -9007199254740993; rd 3 18446744073709551615; } |
    $S ingest --db "$T/big.db" 2>/dev/null
check_eq "big integers are stored" 0 $?
$S query readings --db "$T/big.db" --format json >"$T/big.jsonl"
validate_records "$T/big.jsonl"
check_eq "exact values" "9007199254740993 -9007199254740993 18446744073709551615" \
    "$(grep -o '"value":[-0-9]*' "$T/big.jsonl" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"

# ---- one exit status for every kind of bad line: 3 ---------------------------------------------
bad_kinds=(
    'not json'
    '[1,2]'
    '{"type":"reading","ts":"2026-11-22T07:30:00Z","device":"d","value":1}'
    '{"type":"reading","ts":"yesterday","device":"d","metric":"m","value":1}'
    $'{"type":"reading","ts":"2026-11-22T07:30:00Z","device":"\xff","metric":"m","value":1}'
    '{"type":"reading","ts":"2026-11-22T07:30:00Z","site":"other","device":"d","metric":"m","value":1}'
)
i=0
for bad in "${bad_kinds[@]}"; do
    i=$((i + 1))
    { rd 1 1; printf '%s\n' "$bad"; rd 2 2; } | $S ingest --db "$T/kinds$i.db" --site here 2>"$T/kinds$i.err"
    check_eq "bad line kind $i exits 3" 3 $?
    check_contains "bad line kind $i: the rest stored" "$(cat "$T/kinds$i.err")" "stored 2 reading; rejected 1 line"
done
python3 -c 'print("{\"type\":\"reading\",\"v\":\"" + "x" * (1 << 21) + "\"}")' >"$T/long.jsonl"
rd 1 1 >>"$T/long.jsonl"
$S ingest --db "$T/long.db" <"$T/long.jsonl" 2>"$T/long.err"
check_eq "an over-long line exits 3" 3 $?
check_contains "over-long line named" "$(cat "$T/long.err")" "line 1: longer than"
{ printf '%s\n' 'not json' '[]'; } | $S ingest --db "$T/allbad.db" 2>/dev/null
check_eq "only bad lines: exit 3" 3 $?
rd 1 1 | $S ingest --db "$T/good.db" 2>/dev/null
check_eq "only good lines: exit 0" 0 $?
finish
