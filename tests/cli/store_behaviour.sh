#!/usr/bin/env bash
# dce-store's behaviour on recorded fixtures: every record type, bad lines, re-ingest,
# queries in every format, sites, retention, export/import. Run directly it uses SQLite
# files; tests/integration/store_postgres.sh sources it with new_db() making PostgreSQL
# databases, so both backends pass the same checks.
if [ -z "${_dce_checks+x}" ]; then
    . "$(dirname "$0")/../lib/common.sh"
    new_db() { echo "$T/$1.db"; }
fi
need jq
DATA="$DCE_SOURCE_DIR/tests/data/store"
S=dce-store

# ---- every record type, stored and read back unchanged ----------------------------
DB=$(new_db main)
$S ingest --db "$DB" <"$DATA/all-types.jsonl" 2>"$T/ingest.err"
check_eq "ingest of all types exits 0" 0 $?
check_contains "summary counts each type" "$(cat "$T/ingest.err")" \
    "stored 2 device, 6 reading, 1 event, 1 cert, 2 finding, 1 error; rejected 0 lines"

for what in devices readings events certs findings errors; do
    $S query "$what" --db "$DB" --format json >"$T/q-$what.jsonl"
    check_eq "query $what exits 0" 0 $?
    validate_records "$T/q-$what.jsonl"
done
for t in device reading event cert finding error; do
    want=$(jq -c "select(.type==\"$t\")" "$DATA/all-types.jsonl" | jq -cS 'del(.first_seen,.last_seen)' | sort)
    got=$(cat "$T"/q-*.jsonl | jq -c "select(.type==\"$t\")" | jq -cS 'del(.first_seen,.last_seen)' | sort)
    check_eq "$t records come back as they went in" "$want" "$got"
done
jq_eq "devices carry first_seen" "$T/q-devices.jsonl" '.[0].first_seen' "2026-11-22T07:30:00.000Z"

# ---- re-ingesting stores nothing twice -----------------------------------------------
$S ingest --db "$DB" <"$DATA/all-types.jsonl" 2>"$T/again.err"
check_eq "re-ingest exits 0" 0 $?
check_contains "re-ingest reports duplicates" "$(cat "$T/again.err")" "0 reading, 0 event, 0 cert, 0 finding, 0 error (11 already stored)"
check_eq "still 6 readings" 6 "$($S query readings --db "$DB" --format json | wc -l)"

# ---- bad lines: reported with number and reason, the rest stored, exit 3 ------------
$S ingest --db "$DB" <"$DATA/bad-lines.jsonl" 2>"$T/bad.err"
check_eq "bad lines give exit 3" 3 $?
err=$(cat "$T/bad.err")
check_contains "line 2 reported" "$err" "line 2: not valid JSON"
check_contains "line 3 reported" "$err" 'line 3: missing field "metric"'
check_contains "line 4 reported" "$err" 'line 4: field "ts" should be an RFC 3339 timestamp'
check_contains "line 5 reported" "$err" "line 5: not a JSON object"
check_contains "line 8 reported" "$err" "line 8: not valid JSON"
check_contains "bad-line summary" "$err" "stored 1 reading, 1 event; rejected 5 lines"
$S query readings --db "$DB" --metric ups.load --format json >"$T/load.jsonl"
validate_records "$T/load.jsonl"
jq_eq "the good reading among bad lines is stored" "$T/load.jsonl" 'map(.value)|tostring' "[31]"

# ---- query filters and formats --------------------------------------------------------
$S query readings --db "$DB" --last --format json >"$T/last.jsonl"
validate_records "$T/last.jsonl"
jq_eq "--last: one value per series" "$T/last.jsonl" 'length' 6
jq_eq "--last: newest charge" "$T/last.jsonl" 'map(select(.metric=="ups.battery.charge"))[0].value' 99
$S query readings --db "$DB" --metric 'ups.battery.*' --format json >"$T/wild.jsonl"
validate_records "$T/wild.jsonl"
jq_eq "--metric wildcard" "$T/wild.jsonl" 'map(.metric)|unique|join(",")' "ups.battery.charge,ups.battery.temperature"
$S query readings --db "$DB" --label outlet=2 --format json >"$T/label.jsonl"
validate_records "$T/label.jsonl"
jq_eq "--label" "$T/label.jsonl" 'map(.value)|join(",")' "off"
$S query readings --db "$DB" --since 2026-11-22T07:31:00Z --until 2026-11-22T07:35:00Z --format json >"$T/range.jsonl"
validate_records "$T/range.jsonl"
jq_eq "--since/--until" "$T/range.jsonl" 'map(.value)|tostring' "[99]"
$S query readings --db "$DB" --metric ups.battery.charge --every 1h --format json >"$T/every.jsonl"
validate_records "$T/every.jsonl"
jq_eq "--every: one bucket" "$T/every.jsonl" '.[0]|[.ts,.min,.max,.avg,.last,.count]|tostring' \
    '["2026-11-22T07:00:00.000Z",99,100,99.5,99,2]'
csv=$($S query readings --db "$DB" --metric ups.output.status --format csv)
check_eq "csv" "site,ts,device,metric,labels,value,unit
,2026-11-22T07:30:01.000Z,snmp://127.0.0.1:16100,ups.output.status,,onLine," "$csv"
table=$($S query findings --db "$DB" --status fail --format table)
check_contains "table header" "$table" "ts                        tool       check"
check_contains "table row" "$table" "snmp.v2c-disabled"
check_not_contains "table leaves out empty site column" "$table" "site"
$S query findings --db "$DB" --status fail >"$T/fail.jsonl"  # not a tty: JSON lines
validate_records "$T/fail.jsonl"
jq_eq "json is the default off a terminal" "$T/fail.jsonl" 'map(.check)|join(",")' "snmp.v2c-disabled"

# ---- stats ----------------------------------------------------------------------------
$S stats --db "$DB" --format json >"$T/stats.json"
jq_eq "stats counts readings" "$T/stats.json" '.[0].kinds.reading.rows' 7
jq_eq "stats counts events" "$T/stats.json" '.[0].kinds.event.rows' 2
jq_eq "stats schema version" "$T/stats.json" '.[0].schema_version' 6

# ---- export / import: a whole store moves unchanged -----------------------------------
$S export --db "$DB" --output "$T/export.jsonl" 2>/dev/null
check_eq "export exits 0" 0 $?
validate_records "$T/export.jsonl"
check_eq "export holds every record" 15 "$(wc -l <"$T/export.jsonl")"
DB2=$(new_db copy)
$S import --db "$DB2" "$T/export.jsonl" 2>/dev/null
check_eq "import exits 0" 0 $?
$S export --db "$DB2" >"$T/export2.jsonl" 2>/dev/null
check_eq "export of the import is identical" "$(sort "$T/export.jsonl")" "$(sort "$T/export2.jsonl")"

# ---- sites keep customers apart ---------------------------------------------------------
DB3=$(new_db sites)
$S ingest --db "$DB3" --site paris <"$DATA/all-types.jsonl" 2>/dev/null
$S ingest --db "$DB3" --site lyon <"$DATA/all-types.jsonl" 2>/dev/null
$S query readings --db "$DB3" >"$T/mixed.jsonl" 2>"$T/mixed.err"
check_eq "a query over two sites without --site is refused" 2 $?
check_contains "refusal names the sites" "$(cat "$T/mixed.err")" "2 sites (lyon, paris)"
check_eq "nothing written when refused" "" "$(cat "$T/mixed.jsonl")"
$S query readings --db "$DB3" --site paris --format json >"$T/paris.jsonl"
validate_records "$T/paris.jsonl"
jq_eq "--site paris only" "$T/paris.jsonl" 'map(.site)|unique|join(",")' "paris"
jq_eq "--site paris count" "$T/paris.jsonl" 'length' 6
$S query readings --db "$DB3" --all-sites --format json >"$T/all.jsonl"
validate_records "$T/all.jsonl"
jq_eq "--all-sites: each record carries its site" "$T/all.jsonl" 'map(.site)|unique|join(",")' "lyon,paris"
echo '{"type":"reading","ts":"2026-11-22T07:30:00.000Z","site":"lyon","device":"d","metric":"m","value":1}' |
    $S ingest --db "$DB3" --site paris 2>"$T/site.err"
check_eq "a record of another site is rejected" 3 $?
check_contains "site mismatch reason" "$(cat "$T/site.err")" 'line 1: record belongs to site "lyon", not "paris"'
check_eq "sites lists both" "lyon
paris" "$($S sites --db "$DB3")"

# ---- retention -----------------------------------------------------------------------------
DB4=$(new_db prune)
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
{
    echo '{"type":"reading","ts":"2020-01-01T00:00:00.000Z","device":"d","metric":"m","value":1}'
    echo "{\"type\":\"reading\",\"ts\":\"$now\",\"device\":\"d\",\"metric\":\"m\",\"value\":2}"
    echo '{"type":"event","ts":"2020-01-01T00:00:00.000Z","source":"127.0.0.1","transport":"snmp"}'
    echo "{\"type\":\"event\",\"ts\":\"$now\",\"source\":\"127.0.0.1\",\"transport\":\"snmp\"}"
} | $S ingest --db "$DB4" 2>/dev/null
$S prune --db "$DB4" --keep 30d --dry-run 2>"$T/dry.err"
check_contains "dry run counts" "$(cat "$T/dry.err")" "would delete 1 reading record"
check_eq "dry run deletes nothing" 2 "$($S query readings --db "$DB4" --format json | wc -l)"
$S prune --db "$DB4" --keep 30d --keep-kind events=7d 2>"$T/prune.err"
check_eq "prune exits 0" 0 $?
check_contains "prune warns below 30 days of logs" "$(cat "$T/prune.err")" "at least 30 days"
$S query readings --db "$DB4" --format json >"$T/pruned.jsonl"
validate_records "$T/pruned.jsonl"
jq_eq "old reading pruned, new kept" "$T/pruned.jsonl" 'map(.value)|tostring' "[2]"
check_eq "old event pruned" 1 "$($S query events --db "$DB4" --format json | wc -l)"

# ---- usage errors -----------------------------------------------------------------------------
$S query readings --db "$DB" --since yesterday >/dev/null 2>"$T/u.err"
check_eq "bad --since is a usage error" 2 $?
check_contains "bad --since says why" "$(cat "$T/u.err")" "neither an RFC 3339 time nor a duration"

if [ -z "${STORE_BEHAVIOUR_SOURCED:-}" ]; then finish; fi
