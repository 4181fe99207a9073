#!/usr/bin/env bash
# dce-store serve's Prometheus-compatible subset with the real clients: `promtool query
# range` and `promtool query instant` (Debian's prometheus package; they POST their form
# first, as Grafana does) against the real HTTPS server on loopback, with a bearer token
# and the test CA, checking the values they print; curl for series, label names, metric
# names and buildinfo (GET and POST), a bad selector (400 in Prometheus's error
# envelope), and site isolation between two site-bound clients. Set up like api_oauth.sh.
# On SQLite here; tests/integration/api_prometheus_postgres.sh sources it with API_DB set
# to a PostgreSQL URL and API_TOKEN_KEY to a key file.
if [ -z "${API_PROM_SOURCED:-}" ]; then
    . "$(dirname "$0")/../lib/common.sh"
fi
. "$DCE_SOURCE_DIR/tests/lib/tls.sh"
need dce-store curl jq promtool nginx

tls_init
tls_leaf api "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"

DB=${API_DB:-$T/store.db}
keyopt=()
[ -n "${API_TOKEN_KEY:-}" ] && keyopt=(--token-key "$API_TOKEN_KEY")
# 2026-11-30T00:00:00Z is 1795996800. paris: ups.load 17, 18, 19 a minute apart, a
# labelled metric, and a metric whose dots become underscores; lyon: its own ups.load.
cat >"$T/data.jsonl" <<'JSONL'
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":17,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:01:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":18,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:02:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":19.5,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"if.in.octets","value":1000,"labels":{"ifName":"eth0"},"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"if.in.octets","value":5,"labels":{"ifName":"lo"},"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.2.0.1:161","metric":"ups.load","value":42,"site":"lyon"}
JSONL
check_status "ingest" 0 dce-store ingest --db "$DB" "$T/data.jsonl" 2>"$T/ingest.err"
for c in paris lyon; do
    dce-store client add "$c" --db "$DB" --scope read:readings --site "$c" >"$T/$c.json" 2>>"$T/clients.err" ||
        fail "client add $c: $(cat "$T/clients.err")"
done
dce-store client add ops --db "$DB" --scope read:readings >"$T/ops.json" 2>>"$T/clients.err" || fail "client add ops"

port=$(free_port)
bg_start dce-store serve --db "$DB" "${keyopt[@]}" --listen "127.0.0.1:$port" --cert "$PKI/api.crt" --key "$PKI/api.key" \
    2>"$T/serve.log"
wait_tcp "$port" 20 || fail "dce-store serve did not listen on $port: $(cat "$T/serve.log")"
URL=https://127.0.0.1:$port
CURL=(curl -sS --max-time 20 --cacert "$PKI/ca.crt")
token() {
    "${CURL[@]}" -u "$1:$(jq -r .client_secret "$T/$1.json")" -d grant_type=client_credentials \
        "$URL/oauth2/token" | jq -r .access_token
}
PARIS=$(token paris)
LYON=$(token lyon)
OPS=$(token ops)
check_eq "paris has a token" 43 "${#PARIS}"

# promtool: Go reads the CA from SSL_CERT_FILE; the bearer token goes in --header
# (promtool 2.42 has no --http.config.file).
prom() {  # prom TOKEN query range|instant ARGS...
    local tok=$1; shift
    SSL_CERT_FILE=$PKI/ca.crt promtool "$1" "$2" --header "Authorization=Bearer $tok" "${@:3}"
}

# ---- promtool query range: the values at each step, lookback 5 minutes ------------------
prom "$PARIS" query range --start=1795996800 --end=1795997280 --step=60s "$URL" 'dce_ups_load' \
    >"$T/range.txt" 2>"$T/range.err"
check_eq "promtool query range succeeds" 0 "$?"
check_contains "range: the series and its labels" "$(cat "$T/range.txt")" 'dce_ups_load{device="snmp://10.1.0.1:161", site="paris"}'
# One line per step: 17 at :00, 18 at :01, 19.5 from :02 until 5 minutes after it (:07);
# :08 is past the lookback.
grep -E '^[0-9.]+ @\[' "$T/range.txt" | tr '\n' ';' >"$T/range.values"
check_eq "range: values at each step" \
    "17 @[1795996800];18 @[1795996860];19.5 @[1795996920];19.5 @[1795996980];19.5 @[1795997040];19.5 @[1795997100];19.5 @[1795997160];19.5 @[1795997220];" \
    "$(cat "$T/range.values")"
check_not_contains "range: lyon's series is not paris's" "$(cat "$T/range.txt")" "lyon"

prom "$PARIS" query range --start=2026-11-30T00:00:00Z --end=2026-11-30T00:01:00Z --step=1m "$URL" \
    'dce_if_in_octets{ifName=~"eth.*"}' >"$T/regex.txt" 2>"$T/regex.err"
check_contains "range: a regex matcher on a reading label" "$(cat "$T/regex.txt")" 'ifName="eth0"'
check_contains "range: its value" "$(cat "$T/regex.txt")" '1000 @[1795996800]'
check_not_contains "range: the other interface is left out" "$(cat "$T/regex.txt")" 'ifName="lo"'

# ---- promtool query instant, series, labels ---------------------------------------------
# promtool 2.42 sends extra headers only for `query range`; for the other queries a
# plain-HTTP nginx on loopback adds the bearer token and proxies to the HTTPS API,
# verifying its certificate (the token-injecting proxy docs/API.md mentions for Grafana).
proxy() {  # proxy TOKEN: starts an nginx on $nport that adds TOKEN
    nport=$(free_port)
    local dir=$T/nginx-$nport
    {
        nginx_prelude "$dir"
        echo "  server { listen 127.0.0.1:$nport;"
        echo "    location / { proxy_pass https://127.0.0.1:$port; proxy_ssl_verify on;"
        echo "      proxy_ssl_trusted_certificate $PKI/ca.crt; proxy_ssl_name localhost;"
        echo "      proxy_set_header Authorization \"Bearer $1\"; }"
        echo "  }"
        echo "}"
    } >"$dir.conf"
    bg_start nginx -e "$dir/logs/error.log" -p "$dir" -c "$dir.conf" -g 'daemon off;'
    wait_tcp "$nport" 10 || fail "nginx did not start: $(cat "$dir/logs/error.log")"
}
proxy "$PARIS"
PPARIS=http://127.0.0.1:$nport
proxy "$LYON"
PLYON=http://127.0.0.1:$nport

promtool query instant --time=1795996890 "$PPARIS" 'dce_ups_load' >"$T/inst.txt" 2>"$T/inst.err"
check_eq "promtool query instant succeeds" 0 "$?"
check_contains "instant: the newest sample at or before the time" "$(cat "$T/inst.txt")" \
    'dce_ups_load{device="snmp://10.1.0.1:161", site="paris"} => 18 @[1795996890]'
promtool query instant --time=1795996890 "$PPARIS" 'dce_ups_load{site="lyon"}' >"$T/iso.txt" 2>&1
check_not_contains "instant: paris cannot reach lyon with a site matcher" "$(cat "$T/iso.txt")" "42"
promtool query instant --time=1795996890 "$PLYON" 'dce_ups_load' >"$T/lyon.txt" 2>&1
check_contains "instant: lyon sees its own series" "$(cat "$T/lyon.txt")" 'site="lyon"} => 42'
check_not_contains "instant: and not paris's" "$(cat "$T/lyon.txt")" "paris"
promtool query instant "$PPARIS" 'rate(dce_ups_load[5m])' >"$T/bad.txt" 2>&1
check_contains "promtool shows the bad_data error" "$(cat "$T/bad.txt")" "only series selectors"
prom "nottoken" query range --start=1795996800 --end=1795996860 --step=60s "$URL" 'dce_ups_load' >"$T/unauth.txt" 2>&1
check_eq "promtool with a bad token fails" 1 "$?"
promtool query series --match='{__name__=~"dce_.*"}' "$PPARIS" >"$T/pseries.txt" 2>&1
check_eq "promtool query series: paris's three series" 3 "$(grep -c '^{' "$T/pseries.txt")"
check_not_contains "promtool query series: nothing of lyon" "$(cat "$T/pseries.txt")" lyon
promtool query labels "$PLYON" __name__ >"$T/plabels.txt" 2>&1
check_eq "promtool query labels __name__: lyon's metric" dce_ups_load "$(cat "$T/plabels.txt")"

# ---- curl: query, series, labels, metric names, buildinfo; GET and POST --------------------
req() {  # req NAME TOKEN CURL-ARGS...: body in $T/NAME.body, prints the status
    local name=$1 tok=$2; shift 2
    "${CURL[@]}" -H "Authorization: Bearer $tok" -o "$T/$name.body" -w '%{http_code}' "$@" 2>"$T/$name.curl"
}
check_eq "query_range by POST form" 200 "$(req qr "$PARIS" --data-urlencode 'query=dce_ups_load' \
    -d start=1795996800 -d end=1795996920 -d step=60 "$URL/api/v1/query_range")"
jq_eq "query_range: matrix" "$T/qr.body" '.[0].data.resultType' matrix
jq_eq "query_range: values" "$T/qr.body" '.[0].data.result[0].values | map(.[1]) | join(",")' "17,18,19.5"
check_eq "query by GET" 200 "$(req qg "$PARIS" -G --data-urlencode 'query=dce_ups_load' -d time=1795996800 "$URL/api/v1/query")"
jq_eq "query: vector with the value" "$T/qg.body" '.[0].data.result[0].value | .[1]' 17
check_eq "Grafana's health check: 1+1" 200 "$(req hc "$PARIS" --data-urlencode 'query=1+1' "$URL/api/v1/query")"
jq_eq "1+1 is the scalar 2" "$T/hc.body" '.[0].data | "\(.resultType) \(.result[1])"' "scalar 2"

check_eq "series by GET" 200 "$(req sg "$PARIS" -G --data-urlencode 'match[]={__name__=~"dce_.*"}' "$URL/api/v1/series")"
jq_eq "series: paris's three series" "$T/sg.body" '[.[0].data[] | .__name__ + "/" + (.ifName // "")] | join(",")' \
    "dce_if_in_octets/eth0,dce_if_in_octets/lo,dce_ups_load/"
check_eq "series by POST" 200 "$(req sp "$PARIS" --data-urlencode 'match[]=dce_ups_load' "$URL/api/v1/series")"
jq_eq "series: only paris's ups.load" "$T/sp.body" '[.[0].data[].site] | join(",")' paris
check_eq "series: a lyon matcher finds nothing for paris" 200 \
    "$(req sl "$PARIS" -G --data-urlencode 'match[]={site="lyon"}' "$URL/api/v1/series")"
jq_eq "series: empty" "$T/sl.body" '.[0].data | length' 0
check_eq "series of an unbound client" 200 "$(req so "$OPS" -G --data-urlencode 'match[]=dce_ups_load' "$URL/api/v1/series")"
jq_eq "series: both sites for an unbound client" "$T/so.body" '[.[0].data[].site] | sort | join(",")' "lyon,paris"

check_eq "label names" 200 "$(req ln "$PARIS" "$URL/api/v1/labels")"
jq_eq "label names: device, ifName, site, __name__" "$T/ln.body" '.[0].data | join(",")' "__name__,device,ifName,site"
check_eq "metric names" 200 "$(req mn "$LYON" "$URL/api/v1/label/__name__/values")"
jq_eq "metric names: lyon has only ups.load" "$T/mn.body" '.[0].data | join(",")' dce_ups_load
check_eq "buildinfo" 200 "$(req bi "$PARIS" "$URL/api/v1/status/buildinfo")"
jq_eq "buildinfo: success with a version" "$T/bi.body" '.[0] | "\(.status) \(.data.version | length > 0)"' "success true"

# ---- errors in Prometheus's envelope ----------------------------------------------------
check_eq "bad selector: 400" 400 "$(req bs "$PARIS" -G --data-urlencode 'query=dce_ups_load{device=}' "$URL/api/v1/query")"
jq_eq "bad selector: error envelope" "$T/bs.body" '.[0] | "\(.status) \(.errorType)"' "error bad_data"
check_eq "bad selector by POST: 400" 400 "$(req bp "$PARIS" --data-urlencode 'query=sum(dce_ups_load)' "$URL/api/v1/query")"
jq_eq "bad selector by POST: says why" "$T/bp.body" '.[0].error | test("only series selectors")' true
check_eq "too many points: 400" 400 "$(req tm "$PARIS" -d query=dce_ups_load -d start=0 -d end=11001 -d step=1 "$URL/api/v1/query_range")"
jq_eq "too many points: Prometheus's message" "$T/tm.body" '.[0].error | test("points per timeseries")' true
check_eq "unknown parameter: 400" 400 "$(req up "$PARIS" -G -d query=dce_ups_load -d bogus=1 "$URL/api/v1/query")"
check_eq "no token: 401" 401 "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/api/v1/query?query=dce_ups_load")"

grep -q "$PARIS" "$T/serve.log" && fail "a token appears in the server log"
if [ -z "${API_PROM_SOURCED:-}" ]; then finish; fi
