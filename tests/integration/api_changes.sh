#!/usr/bin/env bash
# GET /api/v1/changes with a real curl against the real HTTPS server on loopback, on
# SQLite and then on a real PostgreSQL 15 (tests/lib/pg.sh): the feed walked page by page
# gives every stored record once; after more is ingested, resuming from next_after gives
# exactly the new records once; each kind only to the scope that reads it; a site-bound
# client only its site. On PostgreSQL, two dce-store ingest processes write at once while
# a reader follows the feed: the reader's collected offsets equal the tables' final
# content, none twice. Checks are counts and sets, never timing.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/tls.sh"
. "$DCE_SOURCE_DIR/tests/lib/pg.sh"
need dce-store curl jq python3

tls_init
tls_leaf api "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"
CURL=(curl -sS --max-time 30 --cacert "$PKI/ca.crt")

# Two sites: devices, readings, an event, a finding, an unknown type (kind other).
cat >"$T/data1.jsonl" <<'JSONL'
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.1.0.1:161","target":"10.1.0.1","transport":"snmp","site":"paris"}
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.2.0.1:161","target":"10.2.0.1","transport":"snmp","site":"lyon"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":17,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:01:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":18,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.2.0.1:161","metric":"ups.load","value":42,"site":"lyon"}
{"type":"event","ts":"2026-11-30T00:02:00.000Z","source":"10.1.0.1","transport":"snmp","name":"upsOnBattery","severity":"high","site":"paris"}
{"type":"finding","ts":"2026-11-30T00:03:00.000Z","tool":"dce-audit","check":"snmp.v1-disabled","target":"10.2.0.1","status":"fail","severity":"high","message":"SNMPv1 answers","site":"lyon"}
{"type":"flow","ts":"2026-11-30T00:04:00.000Z","bytes":12,"site":"paris"}
JSONL
# Later: two readings already stored (not new), two new readings, a device seen again.
cat >"$T/data2.jsonl" <<'JSONL'
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":17,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.2.0.1:161","metric":"ups.load","value":42,"site":"lyon"}
{"type":"reading","ts":"2026-11-30T00:02:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":19,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:01:00.000Z","device":"snmp://10.2.0.1:161","metric":"ups.load","value":43,"site":"lyon"}
{"type":"device","ts":"2026-11-30T00:05:00.000Z","id":"snmp://10.1.0.1:161","target":"10.1.0.1","transport":"snmp","site":"paris","firmware":"v2"}
JSONL

# req NAME ARGS...: runs curl, body in $T/NAME.body, headers in $T/NAME.hdr, prints status.
req() {
    local name=$1; shift
    "${CURL[@]}" -o "$T/$name.body" -D "$T/$name.hdr" -w '%{http_code}' "$@" 2>"$T/$name.curl"
}
hdr() { grep -i "^$2:" "$T/$1.hdr" | head -1 | tr -d '\r' | sed 's/^[^:]*: *//'; }

# walk NAME TOKEN AFTER LIMIT [EXTRA]: follows the feed from AFTER until a page is empty;
# every record to $T/NAME.jsonl (appended), the last next_after in $NEXT.
walk() {
    local name=$1 token=$2 after=$3 limit=$4 extra=${5:-} n code
    for n in $(seq 1 100000); do
        code=$(req "$name-page" -H "Authorization: Bearer $token" "$URL/api/v1/changes?after=$after&limit=$limit$extra")
        [ "$code" = 200 ] || { fail "$name: page $n answered $code: $(cat "$T/$name-page.body")"; break; }
        jq -c '.data[]' "$T/$name-page.body" >>"$T/$name.jsonl"
        after=$(jq -r .next_after "$T/$name-page.body")
        [ "$(jq '.data | length' "$T/$name-page.body")" -gt 0 ] || break
    done
    NEXT=$after
}

token() {  # token CLIENT: an access token for CLIENT (client_secret_basic)
    req "tok-$1" -u "$1:$(jq -r .client_secret "$T/$DBN-$1.json")" -d grant_type=client_credentials "$URL/oauth2/token" >/dev/null
    jq -r .access_token "$T/tok-$1.body"
}

# suite LABEL DB [--token-key FILE]: the feed on one store.
suite() {
    local label=$1 db=$2; shift 2
    DBN=$label
    : >"$T/$label-ingest.err"
    check_status "$label: ingest" 0 dce-store ingest --db "$db" "$T/data1.jsonl" 2>>"$T/$label-ingest.err"
    local c
    for c in "all read:inventory,read:readings,read:events,read:findings" \
             "paris read:inventory,read:readings,read:events,read:findings paris" \
             "rd read:readings" "ev read:events"; do
        set -- $c
        local site=()
        [ -n "${3:-}" ] && site=(--site "$3")
        dce-store client add "$1" --db "$db" --scope "$2" "${site[@]}" >"$T/$label-$1.json" 2>>"$T/$label-ingest.err" ||
            fail "$label: client add $1: $(cat "$T/$label-ingest.err")"
    done
    local port
    port=$(free_port)
    bg_start dce-store serve --db "$db" "${KEYOPT[@]}" --listen "127.0.0.1:$port" --cert "$PKI/api.crt" --key "$PKI/api.key" \
        2>"$T/$label-serve.log"
    wait_tcp "$port" 20 || fail "$label: dce-store serve did not listen on $port: $(cat "$T/$label-serve.log")"
    URL=https://127.0.0.1:$port
    ALL=$(token all)
    local PARIS RD EV
    PARIS=$(token paris)
    RD=$(token rd)
    EV=$(token ev)

    # Page by page, two at a time: the eight records, each once, offsets increasing.
    local next
    walk "$label-walk" "$ALL" 0 2
    next=$NEXT
    jq_eq "$label: the walk gives every record" "$T/$label-walk.jsonl" 'length' 8
    jq_eq "$label: no offset twice" "$T/$label-walk.jsonl" '[.[].offset] | unique | length' 8
    jq_eq "$label: offsets increase" "$T/$label-walk.jsonl" '[.[].offset] == ([.[].offset] | sort)' true
    jq_eq "$label: every kind is there" "$T/$label-walk.jsonl" '[.[].type] | unique | join(",")' "device,event,finding,flow,reading"
    jq_eq "$label: records keep the contract's shape" "$T/$label-walk.jsonl" \
        '[.[] | select(.type=="reading" and .value==42)][0] | [.site, .device, .metric, .ts] | join(" ")' \
        "lyon snmp://10.2.0.1:161 ups.load 2026-11-30T00:00:00.000Z"
    check_eq "$label: next_after is the last offset" "$(jq -s '.[-1].offset' "$T/$label-walk.jsonl")" "$next"
    check_eq "$label: nothing after the end" 200 "$(req "$label-end" -H "Authorization: Bearer $ALL" "$URL/api/v1/changes?after=$next")"
    jq_eq "$label: the end is empty and stays put" "$T/$label-end.body" '.[0] | [(.data | length), .next_after] | join(" ")' "0 $next"

    # More input: only the new records, once, from next_after.
    check_status "$label: ingest more" 0 dce-store ingest --db "$db" "$T/data2.jsonl" 2>>"$T/$label-ingest.err"
    local next2
    walk "$label-more" "$ALL" "$next" 1000
    next2=$NEXT
    jq_eq "$label: resuming gives just the new records" "$T/$label-more.jsonl" \
        '[.[] | .type + ":" + (.value // .firmware | tostring)] | sort | join(",")' "device:v2,reading:19,reading:43"
    jq_eq "$label: all of them after the old end" "$T/$label-more.jsonl" "[.[] | select(.offset <= $next)] | length" 0
    check_eq "$label: and then nothing" 200 "$(req "$label-end2" -H "Authorization: Bearer $ALL" "$URL/api/v1/changes?after=$next2")"
    jq_eq "$label: empty after the new end" "$T/$label-end2.body" '.[0].data | length' 0
    # From 0 again: the device seen again appears once, at its new offset.
    walk "$label-again" "$ALL" 0 1000
    jq_eq "$label: from 0, every record once" "$T/$label-again.jsonl" 'length' 10
    jq_eq "$label: the updated device once" "$T/$label-again.jsonl" '[.[] | select(.type=="device" and .site=="paris")] | map(.firmware) | join(",")' v2

    # ndjson: one record per line, the resume point in a header.
    check_eq "$label: ndjson" 200 "$(req "$label-nd" -H "Authorization: Bearer $ALL" -H "Accept: application/x-ndjson" "$URL/api/v1/changes?limit=3")"
    check_eq "$label: ndjson lines" 3 "$(wc -l <"$T/$label-nd.body")"
    check_contains "$label: ndjson type" "$(hdr "$label-nd" Content-Type)" "application/x-ndjson"
    check_eq "$label: Next-After is the third offset" "$(jq -s '.[2].offset' "$T/$label-nd.body")" "$(hdr "$label-nd" Next-After)"

    # Scopes: each kind only to its scope.
    walk "$label-rd" "$RD" 0 1000
    jq_eq "$label: read:readings sees readings only" "$T/$label-rd.jsonl" '[.[].type] | unique | join(",")' reading
    jq_eq "$label: all five readings" "$T/$label-rd.jsonl" 'length' 5
    walk "$label-ev" "$EV" 0 1000
    jq_eq "$label: read:events sees events and other types" "$T/$label-ev.jsonl" '[.[].type] | sort | join(",")' event,flow

    # Sites: a bound client sees its own site only, and may not ask for another.
    walk "$label-paris" "$PARIS" 0 1000
    jq_eq "$label: paris sees paris only" "$T/$label-paris.jsonl" '[.[].site] | unique | join(",")' paris
    jq_eq "$label: paris sees its six" "$T/$label-paris.jsonl" 'length' 6
    check_eq "$label: paris may not read lyon" 403 "$(req "$label-x" -H "Authorization: Bearer $PARIS" "$URL/api/v1/changes?site=lyon")"
    walk "$label-lyon" "$ALL" 0 1000 "&site=lyon"
    jq_eq "$label: site=lyon for an unbound client" "$T/$label-lyon.jsonl" '[.[].site] | unique | join(",")' lyon

    # Refusals.
    check_eq "$label: no token" 401 "$(req "$label-r1" "$URL/api/v1/changes")"
    check_eq "$label: a bad token" 401 "$(req "$label-r2" -H "Authorization: Bearer nope" "$URL/api/v1/changes")"
    local bad
    for bad in "after=x" "after=-1" "after=1.5" "after=" "limit=0" "limit=10001" "from=3" "after=1&after=2"; do
        check_eq "$label: $bad is refused" 400 "$(req "$label-bad" -H "Authorization: Bearer $ALL" "$URL/api/v1/changes?$bad")"
    done
    jq_eq "$label: refusals are problems" "$T/$label-bad.body" '.[0].status' 400
}

# ---- SQLite ------------------------------------------------------------------------------
KEYOPT=()
suite sqlite "$T/store.db"

# ---- PostgreSQL --------------------------------------------------------------------------
pg_start
PGDB=$(pg_createdb changes)
KEYOPT=(--token-key "$T/pg-token.key")
suite postgres "$PGDB"

# Two ingest processes at once, small transactions, while a reader follows the feed. The
# reader stops once both are done and a walk after that found nothing more.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
for w in (1, 2):
    with open(f"{t}/conc{w}.jsonl", "w") as f:
        for i in range(6000):
            d = i % 20
            f.write(json.dumps({"type": "reading", "ts": f"2026-11-30T01:{(i // 20) // 60 % 60:02d}:{(i // 20) % 60:02d}.000Z",
                                "device": f"snmp://10.{w}.1.{d}:161", "metric": "ups.load", "value": i,
                                "site": "paris" if w == 1 else "lyon"}) + "\n")
            if i % 500 == 0:
                f.write(json.dumps({"type": "event", "ts": f"2026-11-30T02:00:{i % 60:02d}.000Z", "source": f"10.{w}.1.1",
                                    "transport": "snmp", "name": f"e{w}-{i}", "severity": "info"}) + "\n")
PY
walk pg-start "$ALL" 0 10000
start=$NEXT
bg_start dce-store ingest --db "$PGDB" --batch 50 "$T/conc1.jsonl" 2>"$T/conc1.err"
ing1=$!
bg_start dce-store ingest --db "$PGDB" --batch 50 "$T/conc2.jsonl" 2>"$T/conc2.err"
ing2=$!
after=$start
walks=0
while kill -0 "$ing1" 2>/dev/null || kill -0 "$ing2" 2>/dev/null; do
    walk conc "$ALL" "$after" 500
    after=$NEXT
    walks=$((walks + 1))
done
# For the log only (no timing assertion): how much of the feed was read during the writes.
echo "reader: $walks walks, $(wc -l <"$T/conc.jsonl") records while both ingests ran" >&2
wait "$ing1"; s1=$?
wait "$ing2"; s2=$?
check_eq "first concurrent ingest" 0 "$s1"
check_eq "second concurrent ingest" 0 "$s2"
walk conc "$ALL" "$after" 500
check_eq "both ingests stored everything" 12024 \
    "$(pg_psql "SELECT (SELECT count(*) FROM readings WHERE seq > $start) + (SELECT count(*) FROM events WHERE seq > $start)" changes)"
jq_eq "the reader got every row" "$T/conc.jsonl" 'length' 12024
jq_eq "the reader got no row twice" "$T/conc.jsonl" '[.[].offset] | unique | length' 12024
pg_psql "SELECT seq FROM readings WHERE seq > $start UNION ALL SELECT seq FROM events WHERE seq > $start ORDER BY 1" changes >"$T/table-offsets"
jq -s -r '[.[].offset] | sort | .[]' "$T/conc.jsonl" >"$T/feed-offsets"
check_eq "the reader's offsets are exactly the tables' rows" "" "$(diff "$T/table-offsets" "$T/feed-offsets" | head -5)"
jq_eq "the reader's records are exactly the input's" "$T/conc.jsonl" \
    '[.[] | select(.type=="reading") | .device + " " + .ts] | unique | length' 12000
finish
