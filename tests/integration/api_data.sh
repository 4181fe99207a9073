#!/usr/bin/env bash
# The data endpoints of dce-store serve with a real curl against the real HTTPS server
# on loopback: /api/v1/readings (ranges, every + agg with values worked out by hand, label
# and metric filters, the default range, the bucket cap), /api/v1/events and
# /api/v1/findings with their filters, keyset pagination on every list endpoint (limit=2
# walks give each record exactly once, by `next` and by the Link header, in JSON and in
# JSON lines), bad cursors 400, and site isolation on every endpoint by any parameter or
# cursor. On SQLite here; tests/integration/api_data_postgres.sh sources it with API_DB
# set to a PostgreSQL URL.
if [ -z "${API_DATA_SOURCED:-}" ]; then
    . "$(dirname "$0")/../lib/common.sh"
fi
. "$DCE_SOURCE_DIR/tests/lib/api.sh"
need python3
api_init

# T0 = 2026-11-30T00:00:00Z = 1795996800 (a multiple of 90 s, so 90 s buckets start there).
# paris: ups.load every minute 10..60, a battery charge, two labelled outlet currents.
# lyon: its own load. A device "recent" with readings 10 min and 2 h before now.
{
    for i in 0 1 2 3 4 5; do
        echo "{\"type\":\"reading\",\"ts\":\"2026-11-30T00:0$i:00.000Z\",\"device\":\"snmp://10.1.0.1:161\",\"metric\":\"ups.load\",\"value\":$(( (i + 1) * 10 )),\"unit\":\"percent\",\"site\":\"paris\"}"
    done
    cat <<'JSONL'
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.battery.charge","value":90,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:05:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.battery.charge","value":95,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"pdu.outlet.current","labels":{"outlet":"1"},"value":1.5,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"pdu.outlet.current","labels":{"outlet":"2"},"value":2.5,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.2.0.1:161","metric":"ups.load","value":42,"site":"lyon"}
{"type":"reading","ts":"2026-11-30T00:01:00.000Z","device":"snmp://10.2.0.1:161","metric":"ups.load","value":43,"site":"lyon"}
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.1.0.1:161","target":"10.1.0.1","transport":"snmp","site":"paris"}
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.1.0.2:161","target":"10.1.0.2","transport":"snmp","site":"paris"}
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.1.0.3:161","target":"10.1.0.3","transport":"snmp","site":"paris"}
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.2.0.1:161","target":"10.2.0.1","transport":"snmp","site":"lyon"}
{"type":"event","ts":"2026-11-30T00:00:00.000Z","source":"10.1.0.1","transport":"snmp","name":"upsOnBattery","severity":"critical","device":"snmp://10.1.0.1:161","site":"paris"}
{"type":"event","ts":"2026-11-30T00:00:00.000Z","source":"10.1.0.2","transport":"snmp","name":"coldStart","severity":"info","site":"paris"}
{"type":"event","ts":"2026-11-30T00:02:00.000Z","source":"10.1.0.1","transport":"snmp","name":"upsOnLine","severity":"info","device":"snmp://10.1.0.1:161","site":"paris"}
{"type":"event","ts":"2026-11-30T00:03:00.000Z","source":"10.1.0.3","transport":"snmp","name":"linkDown","severity":"warn","site":"paris"}
{"type":"event","ts":"2026-11-30T00:04:00.000Z","source":"10.1.0.1","transport":"snmp","name":"upsOnBattery","severity":"critical","device":"snmp://10.1.0.1:161","site":"paris"}
{"type":"event","ts":"2026-11-30T00:00:00.000Z","source":"10.2.0.1","transport":"snmp","name":"coldStart","severity":"info","site":"lyon"}
{"type":"finding","ts":"2026-11-30T00:00:00.000Z","tool":"dce-audit","check":"snmp.community.default","target":"10.1.0.1","status":"fail","severity":"high","message":"public answers","site":"paris"}
{"type":"finding","ts":"2026-11-30T00:00:00.000Z","tool":"dce-audit","check":"snmp.v1","target":"10.1.0.1","status":"pass","severity":"medium","message":"v1 off","site":"paris"}
{"type":"finding","ts":"2026-11-30T00:01:00.000Z","tool":"dce-audit","check":"tls.version","target":"10.1.0.2","status":"fail","severity":"medium","message":"TLS 1.0","site":"paris"}
{"type":"finding","ts":"2026-11-30T00:02:00.000Z","tool":"dce-audit","check":"snmp.community.default","target":"10.1.0.3","status":"warn","severity":"low","message":"maybe","site":"paris"}
{"type":"finding","ts":"2026-11-30T00:00:00.000Z","tool":"dce-audit","check":"snmp.community.default","target":"10.2.0.1","status":"fail","severity":"high","message":"public answers","site":"lyon"}
JSONL
    now=$(date +%s)
    echo "{\"type\":\"reading\",\"ts\":\"$(date -u -d "@$((now - 600))" +%Y-%m-%dT%H:%M:%S.000Z)\",\"device\":\"recent\",\"metric\":\"m\",\"value\":1,\"site\":\"paris\"}"
    echo "{\"type\":\"reading\",\"ts\":\"$(date -u -d "@$((now - 7200))" +%Y-%m-%dT%H:%M:%S.000Z)\",\"device\":\"recent\",\"metric\":\"m\",\"value\":2,\"site\":\"paris\"}"
} >"$T/data.jsonl"
check_status "ingest" 0 dce-store ingest --db "$DB" "$T/data.jsonl" 2>"$T/ingest.err"

add_client paris read:inventory,read:readings,read:events,read:findings paris
add_client lyon read:inventory,read:readings,read:events,read:findings lyon
add_client ops read:inventory,read:readings,read:events,read:findings
add_client readonly read:readings
api_serve
PARIS=$(api_token paris)
LYON=$(api_token lyon)
OPS=$(api_token ops)
RO=$(api_token readonly)
AP=(-H "Authorization: Bearer $PARIS")
AO=(-H "Authorization: Bearer $OPS")
R=$URL/api/v1/readings
RANGE="since=2026-11-30T00:00:00Z&until=2026-11-30T00:06:00Z"
DEV=snmp://10.1.0.1:161

# values NAME: the page's values, comma-separated
values() { jq -r '[.data[].value | tostring] | join(",")' "$T/$1.body"; }

# ---- /api/v1/readings: ranges and filters ----------------------------------------------
check_eq "range query" 200 "$(req r1 "${AP[@]}" "$R?metric=ups.load&since=2026-11-30T00:00:00Z&until=2026-11-30T00:03:00Z")"
check_eq "range: since inclusive, until exclusive" "10,20,30" "$(values r1)"
jq_eq "range: records carry site and unit" "$T/r1.body" '.[0].data[0] | "\(.site) \(.unit) \(.ts)"' "paris percent 2026-11-30T00:00:00.000Z"
jq_eq "range: a short page has no next" "$T/r1.body" '.[0] | has("next")' false
check_eq "no Link header on the last page" "" "$(hdr r1 Link)"
req r2 "${AP[@]}" "$R?metric=ups.load&since=1795996800&until=1795996980" >/dev/null
check_eq "Unix seconds as times" "10,20,30" "$(values r2)"
req r3 "${AP[@]}" "$R?metric=ups.load&since=1795996859.5&until=1795996920.001" >/dev/null
check_eq "Unix seconds with a fraction" "20,30" "$(values r3)"
req r4 "${AP[@]}" "$R?metric=ups.*&$RANGE" >/dev/null
jq_eq "metric wildcard" "$T/r4.body" '[.[0].data[].metric] | unique | join(",")' "ups.battery.charge,ups.load"
jq_eq "records in time order" "$T/r4.body" '[.[0].data[].ts] == ([.[0].data[].ts] | sort)' true
req r5 "${AP[@]}" "$R?label=outlet=2&$RANGE" >/dev/null
check_eq "label selector" "2.5" "$(values r5)"
req r6 "${AP[@]}" "$R?metric=pdu.outlet.current&metric=ups.battery.charge&$RANGE" >/dev/null
check_eq "two metrics, by time then series" "1.5,2.5,90,95" "$(values r6)"
req r7 "${AP[@]}" "$R?device=recent" >/dev/null
check_eq "default range: the last hour" "1" "$(values r7)"
req r8 "${AP[@]}" "$R?device=recent&since=$(( $(date +%s) - 86400 ))" >/dev/null
check_eq "since a day ago" "2,1" "$(values r8)"
validate_records <(jq -c '.data[]' "$T/r4.body")

# ---- every + agg: buckets worked out by hand ---------------------------------------------
check_eq "2m buckets" 200 "$(req b1 "${AP[@]}" "$R?metric=ups.load&$RANGE&every=2m")"
jq_eq "2m buckets: avg/min/max/last/count" "$T/b1.body" \
    '[.[0].data[] | "\(.ts) \(.value) \(.min) \(.max) \(.avg) \(.last) \(.count)"] | join("|")' \
    "2026-11-30T00:00:00.000Z 15 10 20 15 20 2|2026-11-30T00:02:00.000Z 35 30 40 35 40 2|2026-11-30T00:04:00.000Z 55 50 60 55 60 2"
jq_eq "buckets say their width" "$T/b1.body" '.[0].data[0].bucket_ms' 120000
req b2 "${AP[@]}" "$R?metric=ups.load&$RANGE&every=90s" >/dev/null
check_eq "90 s buckets (epoch-aligned)" "15,30,45,60" "$(values b2)"
req b3 "${AP[@]}" "$R?metric=ups.load&$RANGE&every=90&agg=max" >/dev/null
check_eq "agg=max, every as plain seconds" "20,30,50,60" "$(values b3)"
jq_eq "agg: only the chosen aggregate" "$T/b3.body" '.[0].data[0] | [has("min"), has("max"), has("avg"), has("last"), .count] | map(tostring) | join(",")' "false,false,false,false,2"
req b4 "${AP[@]}" "$R?metric=ups.load&$RANGE&every=2m&agg=min" >/dev/null
check_eq "agg=min" "10,30,50" "$(values b4)"
req b5 "${AP[@]}" "$R?metric=ups.load&$RANGE&every=2m&agg=last" >/dev/null
check_eq "agg=last" "20,40,60" "$(values b5)"
req b6 "${AP[@]}" "$R?metric=ups.load&$RANGE&every=2m&agg=avg" >/dev/null
check_eq "agg=avg" "15,35,55" "$(values b6)"
req b7 "${AP[@]}" "$R?metric=ups.load&$RANGE&every=1h" >/dev/null
check_eq "one bucket" "35" "$(values b7)"
validate_records <(jq -c '.data[]' "$T/b1.body")

# ---- refusals --------------------------------------------------------------------------
bad() {  # bad WHAT QUERY [NEEDLE]: 400 problem+json, detail mentions NEEDLE
    check_eq "$1: 400" 400 "$(req bad "${AP[@]}" "$R?$2")"
    check_contains "$1: problem+json" "$(hdr bad Content-Type)" "application/problem+json"
    [ -n "${3:-}" ] && check_contains "$1: says why" "$(jq -r .detail "$T/bad.body")" "$3"
    return 0
}
bad "too many buckets" "since=2026-11-29T00:00:00Z&until=2026-11-30T00:00:00Z&every=1s" "buckets"
check_eq "8640 buckets are fine" 200 "$(req okb "${AP[@]}" "$R?since=2026-11-29T00:00:00Z&until=2026-11-30T00:00:00Z&every=10s")"
bad "agg without every" "agg=max" "needs every"
bad "unknown agg" "every=1m&agg=sum" "one of avg, min, max, last"
bad "bad duration" "every=5q" "every"
bad "zero duration" "every=0s" "every"
bad "bad time" "since=yesterday" "since"
bad "since after until" "since=1795996900&until=1795996800" "since is after until"
bad "two since" "since=1&since=2" "more than once"
bad "label without =" "label=outlet" "key=value"
bad "unknown parameter" "metrics=ups.load" "metrics"
check_eq "events need read:events" 403 "$(req sc -H "Authorization: Bearer $RO" "$URL/api/v1/events")"
check_eq "findings need read:findings" 403 "$(req sc2 -H "Authorization: Bearer $RO" "$URL/api/v1/findings")"

# ---- /api/v1/events and /api/v1/findings ----------------------------------------------------
E=$URL/api/v1/events
F=$URL/api/v1/findings
names() { jq -r '[.data[].name] | join(",")' "$T/$1.body"; }
checks() { jq -r '[.data[] | "\(.check)@\(.target)"] | join(",")' "$T/$1.body"; }
check_eq "events" 200 "$(req e1 "${AP[@]}" "$E")"
check_eq "every paris event, oldest first" "upsOnBattery,coldStart,upsOnLine,linkDown,upsOnBattery" "$(names e1)"
validate_records <(jq -c '.data[]' "$T/e1.body")
req e2 "${AP[@]}" "$E?severity=critical" >/dev/null
check_eq "events by severity" "upsOnBattery,upsOnBattery" "$(names e2)"
req e3 "${AP[@]}" "$E?severity=critical&severity=warn" >/dev/null
check_eq "events by two severities" "upsOnBattery,linkDown,upsOnBattery" "$(names e3)"
req e4 "${AP[@]}" "$E?device=10.1.0.3" >/dev/null
check_eq "events by source" "linkDown" "$(names e4)"
req e5 "${AP[@]}" "$E?device=$DEV" >/dev/null
check_eq "events by device" "upsOnBattery,upsOnLine,upsOnBattery" "$(names e5)"
req e6 "${AP[@]}" "$E?since=2026-11-30T00:02:00Z&until=2026-11-30T00:04:00Z" >/dev/null
check_eq "events in a range" "upsOnLine,linkDown" "$(names e6)"
check_eq "events: bad until 400" 400 "$(req e7 "${AP[@]}" "$E?until=soon")"
check_eq "events: unknown parameter 400" 400 "$(req e8 "${AP[@]}" "$E?metric=x")"

check_eq "findings" 200 "$(req f1 "${AP[@]}" "$F")"
check_eq "every paris finding, oldest first" \
    "snmp.community.default@10.1.0.1,snmp.v1@10.1.0.1,tls.version@10.1.0.2,snmp.community.default@10.1.0.3" "$(checks f1)"
validate_records <(jq -c '.data[]' "$T/f1.body")
req f2 "${AP[@]}" "$F?status=fail" >/dev/null
check_eq "findings by status" "snmp.community.default@10.1.0.1,tls.version@10.1.0.2" "$(checks f2)"
req f3 "${AP[@]}" "$F?check=snmp.*" >/dev/null
check_eq "findings by check wildcard" "snmp.community.default@10.1.0.1,snmp.v1@10.1.0.1,snmp.community.default@10.1.0.3" "$(checks f3)"
req f4 "${AP[@]}" "$F?severity=medium&device=10.1.0.2" >/dev/null
check_eq "findings by severity and target" "tls.version@10.1.0.2" "$(checks f4)"
req f5 "${AP[@]}" "$F?since=2026-11-30T00:01:00Z" >/dev/null
check_eq "findings since" "tls.version@10.1.0.2,snmp.community.default@10.1.0.3" "$(checks f5)"
check_eq "findings: bad status list is just a filter" 200 "$(req f6 "${AP[@]}" "$F?status=nope")"
jq_eq "findings: no match, no data" "$T/f6.body" '.[0].data | length' 0

# ---- pagination: limit=2 walks every page ------------------------------------------------
# walk NAME TOKEN URL: follows `next` (JSON), writes every record a line to $T/NAME.walk and
# the number of pages to $T/NAME.pages, its cursors to $T/NAME.cursors; each page's Link
# must name the same cursor.
walk() {
    local name=$1 token=$2 url=$3 cursor="" pages=0 sep="?"
    case $url in *\?*) sep="&";; esac
    : >"$T/$name.walk"
    : >"$T/$name.cursors"
    while :; do
        local u=$url
        [ -n "$cursor" ] && u="$url${sep}cursor=$cursor"
        local st
        st=$(req "$name.p" -H "Authorization: Bearer $token" "$u")
        [ "$st" = 200 ] || { fail "$name: page $pages: $st $(cat "$T/$name.p.body")"; break; }
        pages=$((pages + 1))
        jq -c '.data[]' "$T/$name.p.body" >>"$T/$name.walk"
        cursor=$(jq -r '.next // empty' "$T/$name.p.body")
        [ -n "$cursor" ] && echo "$cursor" >>"$T/$name.cursors"
        local link
        link=$(hdr "$name.p" Link)
        if [ -n "$cursor" ]; then
            case $link in *"cursor=$cursor>; rel=\"next\""*) ;; *) fail "$name: Link does not carry next: $link";; esac
        else
            [ -z "$link" ] || fail "$name: Link on the last page: $link"
            break
        fi
        [ $pages -lt 50 ] || { fail "$name: no end"; break; }
    done
    echo $pages >"$T/$name.pages"
}
# pages WHAT TOKEN PATH EXPECTED_RECORDS: a limit=2 walk equals the one-page answer.
pages() {
    local what=$1 token=$2 path=$3 n=$4 sep="?"
    case $path in *\?*) sep="&";; esac
    req "all" -H "Authorization: Bearer $token" "$URL$path" >/dev/null
    jq -c '.data[]' "$T/all.body" >"$T/all.lines"
    check_eq "$what: $n records in one page" "$n" "$(wc -l <"$T/all.lines")"
    walk w "$token" "$URL$path${sep}limit=2"
    check_eq "$what: limit=2 pages give the same records, in order, once each" \
        "$(cat "$T/all.lines")" "$(cat "$T/w.walk")"
    check_eq "$what: pages" "$(( n / 2 + 1 ))" "$(cat "$T/w.pages")"
    check_eq "$what: no record twice" "$n" "$(sort -u "$T/w.walk" | wc -l)"
}
pages "devices" "$PARIS" "/api/v1/devices" 3
pages "devices, every site" "$OPS" "/api/v1/devices" 4
pages "latest readings" "$PARIS" "/api/v1/readings/latest" 5
pages "latest readings, every site" "$OPS" "/api/v1/readings/latest?metric=ups.*" 3
pages "readings" "$PARIS" "/api/v1/readings?$RANGE" 10
pages "readings, every site" "$OPS" "/api/v1/readings?$RANGE&metric=ups.load" 8
pages "buckets" "$PARIS" "/api/v1/readings?$RANGE&every=2m" 7
pages "buckets with agg" "$OPS" "/api/v1/readings?$RANGE&every=90s&agg=max&metric=ups.load" 5
pages "events" "$PARIS" "/api/v1/events" 5
pages "events, every site" "$OPS" "/api/v1/events?severity=info" 3
pages "findings" "$PARIS" "/api/v1/findings" 4
pages "findings, every site" "$OPS" "/api/v1/findings?check=snmp.community.default" 3

# The Link header is a usable URL: follow it as given.
req l1 "${AP[@]}" "$R?$RANGE&metric=ups.load&limit=4" >/dev/null
link=$(hdr l1 Link | sed -E 's/^Link: <([^>]*)>; rel="next"$/\1/')
check_contains "Link keeps the query" "$link" "metric=ups.load"
check_contains "Link keeps the limit" "$link" "limit=4"
req l2 "${AP[@]}" "$URL$link" >/dev/null
check_eq "following Link gives the next page" "50,60" "$(values l2)"
# JSON lines: a full page has the Link header too.
req n1 "${AP[@]}" -H "Accept: application/x-ndjson" "$R?$RANGE&metric=ups.load&limit=4" >/dev/null
check_contains "JSON lines content type" "$(hdr n1 Content-Type)" "application/x-ndjson"
check_eq "JSON lines: a record a line" "10,20,30,40" "$(jq -r .value "$T/n1.body" | paste -sd,)"
check_eq "JSON lines: Link names the next page" "$(hdr l1 Link)" "$(hdr n1 Link)"
link=$(hdr n1 Link | sed -E 's/^Link: <([^>]*)>; rel="next"$/\1/')
req n2 "${AP[@]}" -H "Accept: application/x-ndjson" "$URL$link" >/dev/null
check_eq "JSON lines: following Link" "50,60" "$(jq -r .value "$T/n2.body" | paste -sd,)"
check_eq "JSON lines: no Link on the last page" "" "$(hdr n2 Link)"
validate_records "$T/n1.body"

# ---- bad cursors: 400, never 500 -------------------------------------------------------
b64() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
badcursor() {  # badcursor WHAT PATH CURSOR
    check_eq "bad cursor ($1): 400" 400 "$(req bc "${AO[@]}" "$URL$2?cursor=$3")"
    check_contains "bad cursor ($1): problem" "$(jq -r .title "$T/bc.body")" "Bad cursor"
}
badcursor "not base64url" /api/v1/readings '!!!'
badcursor "not JSON" /api/v1/events "$(b64 'hello')"
badcursor "not an array" /api/v1/events "$(b64 '{"a":1}')"
badcursor "too short" /api/v1/events "$(b64 '[1]')"
badcursor "too long" /api/v1/devices "$(b64 '["a","b","c"]')"
badcursor "text for a number" /api/v1/findings "$(b64 '["1",2]')"
badcursor "a number for text" /api/v1/readings/latest "$(b64 '[1,"a","b","c"]')"
badcursor "beyond 64 bits" /api/v1/events "$(b64 '[99999999999999999999,1]')"
badcursor "a fraction" /api/v1/events "$(b64 '[1.5,1]')"
badcursor "another endpoint's cursor" /api/v1/readings "$(b64 '[1,2]')"
badcursor "nested" /api/v1/events "$(b64 '[[1],[2]]')"
check_eq "two cursors: 400" 400 "$(req bc2 "${AO[@]}" "$URL/api/v1/events?cursor=$(b64 '[1,1]')&cursor=$(b64 '[1,1]')")"
check_eq "an empty cursor: 400" 400 "$(req bc3 "${AO[@]}" "$URL/api/v1/events?cursor=")"
check_eq "a well-formed cursor from nowhere is just a position" 200 "$(req bc4 "${AO[@]}" "$URL/api/v1/events?cursor=$(b64 '[0,0]')")"
check_eq "negative key values are only positions" 200 "$(req bc5 "${AO[@]}" "$URL/api/v1/readings?$RANGE&every=1m&cursor=$(b64 '[-9223372036854775808,9223372036854775807]')")"

# ---- site isolation: paris never sees lyon, by any parameter or cursor -----------------------
for path in /api/v1/readings /api/v1/events /api/v1/findings /api/v1/devices /api/v1/readings/latest; do
    check_eq "$path?site=lyon for paris: 403" 403 "$(req si "${AP[@]}" "$URL$path?site=lyon")"
    check_eq "$path with two sites: 400" 400 "$(req si2 "${AP[@]}" "$URL$path?site=paris&site=lyon")"
done
# Forged cursors positioned before and among lyon's rows (devices sort by site, so
# "lyon" comes before "paris"; events and findings by time): paris gets paris rows only.
: >"$T/paris.all"
qs() { case $1 in *\?*) echo "$1&";; *) echo "$1?";; esac; }
iso() {  # iso PATH CURSOR_JSON
    check_eq "paris with a forged cursor on $1: 200" 200 "$(req iso "${AP[@]}" "$URL$(qs "$1")cursor=$(b64 "$2")")"
    jq -c '.data[]' "$T/iso.body" >>"$T/paris.all"
    jq_eq "paris with a forged cursor on $1: no lyon record" "$T/iso.body" '[.[0].data[] | select(.site != "paris")] | length' 0
}
iso /api/v1/devices '["",""]'
iso /api/v1/devices '["lyon",""]'
iso /api/v1/readings/latest '["lyon","","",""]'
iso "/api/v1/readings?$RANGE" '[0,"lyon","","",""]'
iso "/api/v1/readings?$RANGE&every=1m" '[0,0]'
iso /api/v1/events '[0,0]'
iso /api/v1/findings '[0,0]'
# Every filter naming lyon's things: nothing.
for q in "/api/v1/readings?device=snmp://10.2.0.1:161&$RANGE" "/api/v1/readings?device=snmp://10.2.0.1:161&$RANGE&every=1m" \
    "/api/v1/events?device=10.2.0.1" "/api/v1/findings?device=10.2.0.1" "/api/v1/readings/latest?device=snmp://10.2.0.1:161"; do
    req iso2 "${AP[@]}" "$URL$q" >/dev/null
    jq_eq "paris asks for lyon's device: nothing ($q)" "$T/iso2.body" '.[0].data | length' 0
done
# Walks of the bound client over every endpoint, and every cursor the unbound client got
# (some of them positioned on lyon's rows) replayed by paris.
for path in /api/v1/devices /api/v1/readings/latest "/api/v1/readings?$RANGE" "/api/v1/readings?$RANGE&every=1m" /api/v1/events /api/v1/findings; do
    walk wp "$PARIS" "$URL$(qs "$path")limit=1"
    cat "$T/wp.walk" >>"$T/paris.all"
    walk wo "$OPS" "$URL$(qs "$path")limit=1"
    check_contains "the unbound client's walk of $path reaches lyon" "$(cat "$T/wo.walk")" '"site":"lyon"'
    while read -r c; do
        st=$(req rp "${AP[@]}" "$URL$(qs "$path")cursor=$c")
        [ "$st" = 200 ] || fail "paris replaying a cursor on $path: $st"
        jq -c '.data[]' "$T/rp.body" >>"$T/paris.all"
    done <"$T/wo.cursors"
done
check_eq "paris got records through all that" 1 "$([ "$(wc -l <"$T/paris.all")" -gt 20 ] && echo 1 || echo 0)"
check_not_contains "paris never saw lyon" "$(cat "$T/paris.all")" '"site":"lyon"'
check_not_contains "paris never saw lyon's devices" "$(cat "$T/paris.all")" '10.2.0.1'
req lo "${AO[@]}" "$URL/api/v1/events" >/dev/null
jq_eq "the unbound client sees both sites' events" "$T/lo.body" '[.[0].data[].site] | unique | join(",")' "lyon,paris"
req ly -H "Authorization: Bearer $LYON" "$URL/api/v1/findings" >/dev/null
jq_eq "lyon sees its finding only" "$T/ly.body" '[.[0].data[] | "\(.site) \(.target)"] | join(",")' "lyon 10.2.0.1"

check_contains "requests are logged" "$(cat "$T/serve.log")" "GET /api/v1/readings client=paris status=200"
if [ -z "${API_DATA_SOURCED:-}" ]; then finish; fi
