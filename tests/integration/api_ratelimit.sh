#!/usr/bin/env bash
# dce-store serve's rate limits and OpenAPI document with a real curl against the real
# server (plain HTTP on loopback; api_oauth.sh covers TLS). Count-based, no timing: with
# a burst of 3 and a refill of 1 per hour, 10 quick requests must meet at least 6 answers
# 429 with Retry-After and an RFC 9457 body, while another client is unaffected. The
# token endpoint is limited per claimed client name and per peer address (several
# 127.0.0.x source addresses stand for several peers). Also: the description served at
# /api/v1/openapi.json without a token is docs/openapi.json, byte for byte.
. "$(dirname "$0")/../lib/common.sh"
need dce-store curl jq

DB=$T/store.db
cat >"$T/data.jsonl" <<'JSONL'
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.1.0.1:161","target":"10.1.0.1","transport":"snmp","site":"paris"}
JSONL
check_status "ingest" 0 dce-store ingest --db "$DB" "$T/data.jsonl" 2>"$T/ingest.err"
for c in alice bob; do
    dce-store client add "$c" --db "$DB" --scope read:inventory >"$T/$c.json" 2>>"$T/clients.err" ||
        fail "client add $c: $(cat "$T/clients.err")"
done
secret() { jq -r .client_secret "$T/$1.json"; }

port=$(free_port)
bg_start dce-store serve --db "$DB" --listen "127.0.0.1:$port" --insecure-http --workers 2 \
    --rate-limit 1/h:3 --token-rate-limit 1/h:3 --token-peer-rate-limit 1/h:4 2>"$T/serve.log"
wait_tcp "$port" 20 || fail "dce-store serve did not listen on $port: $(cat "$T/serve.log")"
check_contains "two workers" "$(cat "$T/serve.log")" "with 2 workers"
URL=http://127.0.0.1:$port
# req NAME [--interface ADDR] ARGS...: body in $T/NAME.body, headers in $T/NAME.hdr.
req() {
    local name=$1; shift
    curl -sS --max-time 20 -o "$T/$name.body" -D "$T/$name.hdr" -w '%{http_code}' "$@" 2>"$T/$name.curl"
}
hdr() { grep -i "^$2:" "$T/$1.hdr" | head -1 | tr -d '\r' | sed 's/^[^:]*: *//'; }

# From 127.0.0.1: two tokens (two of that address's four token requests).
check_eq "alice's token" 200 "$(req ta -u "alice:$(secret alice)" -d grant_type=client_credentials "$URL/oauth2/token")"
check_eq "bob's token" 200 "$(req tb -u "bob:$(secret bob)" -d grant_type=client_credentials "$URL/oauth2/token")"
ALICE=$(jq -r .access_token "$T/ta.body")
BOB=$(jq -r .access_token "$T/tb.body")

# Bearer routes: alice hammers, bob is unaffected.
n429=0
for i in $(seq 1 10); do
    code=$(req a$i -H "Authorization: Bearer $ALICE" "$URL/api/v1/devices")
    [ "$code" = 429 ] && n429=$((n429 + 1)) && last=a$i
done
check_eq "alice: at least 6 of 10 requests are 429" yes "$([ "$n429" -ge 6 ] && echo yes || echo "no ($n429)")"
ra=$(hdr "$last" Retry-After)
check_eq "429 has Retry-After in whole seconds" yes "$([[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && echo yes || echo "no ($ra)")"
check_contains "429 is problem+json" "$(hdr "$last" Content-Type)" "application/problem+json"
jq_eq "429 problem status" "$T/$last.body" '.[0].status' 429
check_eq "bob is not limited by alice" 200 "$(req b1 -H "Authorization: Bearer $BOB" "$URL/api/v1/devices")"

# Token endpoint, per claimed name: 10 attempts as "mallory" (unknown) from 127.0.0.2.
n429=0
for i in $(seq 1 10); do
    code=$(req m$i --interface 127.0.0.2 -u "mallory:guess$i" -d grant_type=client_credentials "$URL/oauth2/token")
    [ "$code" = 429 ] && n429=$((n429 + 1)) && last=m$i
done
check_eq "mallory: at least 6 of 10 token requests are 429" yes "$([ "$n429" -ge 6 ] && echo yes || echo "no ($n429)")"
check_eq "token endpoint 429 has Retry-After" yes "$([[ "$(hdr "$last" Retry-After)" =~ ^[0-9]+$ ]] && echo yes || echo no)"
# Per peer: made-up names from 127.0.0.3 meet the address's bucket (burst 4).
n429=0
for i in $(seq 1 10); do
    code=$(req n$i --interface 127.0.0.3 -u "name$i:guess" -d grant_type=client_credentials "$URL/oauth2/token")
    [ "$code" = 429 ] && n429=$((n429 + 1))
done
check_eq "made-up names from one address: at least 6 of 10 are 429" yes "$([ "$n429" -ge 6 ] && echo yes || echo "no ($n429)")"
# Neither mallory's bucket nor 127.0.0.3's touches alice at 127.0.0.1.
check_eq "alice still gets a token" 200 "$(req ta2 -u "alice:$(secret alice)" -d grant_type=client_credentials "$URL/oauth2/token")"

# The OpenAPI description: no token, the repository's file byte for byte.
check_eq "openapi.json without a token" 200 "$(req oa --interface 127.0.0.4 "$URL/api/v1/openapi.json")"
check_status "served openapi.json is docs/openapi.json" 0 cmp -s "$T/oa.body" "$DCE_SOURCE_DIR/docs/openapi.json"
check_contains "openapi.json is JSON" "$(hdr oa Content-Type)" "application/json"

check_contains "429s are in the request log" "$(cat "$T/serve.log")" "status=429"
for s in "$(secret alice)" "$(secret bob)" "$ALICE" "$BOB"; do
    check_not_contains "no token or secret in the log" "$(cat "$T/serve.log")" "$s"
done
# Limits off, four workers: parallel token requests write api_tokens through four
# connections at once (SQLite's write lock, busy_timeout), and every token works.
port2=$(free_port)
bg_start dce-store serve --db "$DB" --listen "127.0.0.1:$port2" --insecure-http --workers 4 \
    --rate-limit off --token-rate-limit off --token-peer-rate-limit off 2>"$T/serve2.log"
wait_tcp "$port2" 20 || fail "second server did not listen: $(cat "$T/serve2.log")"
# (`wait` names its pids: a bare one would wait for the servers too.)
pids=()
for i in $(seq 1 8); do
    req p$i -u "alice:$(secret alice)" -d grant_type=client_credentials "http://127.0.0.1:$port2/oauth2/token" >"$T/p$i.code" &
    pids+=($!)
done
wait "${pids[@]}"
all200=$(printf '200%.0s' $(seq 1 8))  # the eight status codes, side by side
check_eq "8 parallel token requests on 4 workers: all 200" "$all200" "$(cat "$T"/p?.code)"
pids=()
for i in $(seq 1 8); do
    tok=$(jq -r .access_token "$T/p$i.body")
    req q$i -H "Authorization: Bearer $tok" "http://127.0.0.1:$port2/api/v1/devices" >"$T/q$i.code" &
    pids+=($!)
done
wait "${pids[@]}"
check_eq "each of them reads devices, limits off" "$all200" "$(cat "$T"/q?.code)"
check_status "a bad --rate-limit is a usage error" 2 dce-store serve --db "$DB" --insecure-http --rate-limit 5/x 2>/dev/null
finish
