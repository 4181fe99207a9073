#!/usr/bin/env bash
# dce-store serve's OAuth2 client-credentials flow with a real curl against the real
# HTTPS server on loopback (certificate from a test CA made here with openssl): tokens by
# client_secret_basic and client_secret_post, wrong secrets, missing, under-scoped,
# revoked and expired tokens, site isolation between two site-bound clients, oversized
# and slow requests, and plain HTTP only with --insecure-http on loopback. No token or
# secret may appear in the server's log. Waits are generous (tokens expire after 2 s; the
# test waits 5 s), so a loaded machine cannot make it fail.
# On SQLite here; tests/integration/api_oauth_postgres.sh sources it with API_DB set to a
# PostgreSQL URL and API_TOKEN_KEY to a key file (no SQLite file to sit beside).
if [ -z "${API_OAUTH_SOURCED:-}" ]; then
    . "$(dirname "$0")/../lib/common.sh"
fi
. "$DCE_SOURCE_DIR/tests/lib/api.sh"
need python3
api_init
# Two sites' inventories and readings, and one device without a site.
cat >"$T/data.jsonl" <<'JSONL'
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.1.0.1:161","target":"10.1.0.1","transport":"snmp","site":"paris"}
{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://10.2.0.1:161","target":"10.2.0.1","transport":"snmp","site":"lyon"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":17,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:01:00.000Z","device":"snmp://10.1.0.1:161","metric":"ups.load","value":18,"site":"paris"}
{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://10.2.0.1:161","metric":"ups.load","value":42,"site":"lyon"}
JSONL
check_status "ingest" 0 dce-store ingest --db "$DB" "$T/data.jsonl" 2>"$T/ingest.err"

add_client paris read:inventory,read:readings paris
add_client lyon read:inventory,read:readings lyon
add_client narrow read:inventory
add_client ops read:inventory,read:readings
check_eq "the secret is 256 bits, base64url" 43 "$(secret paris | tr -d '\n' | wc -c)"
dce-store client list --db "$DB" >"$T/list.jsonl" 2>/dev/null
jq_eq "client list names every client" "$T/list.jsonl" '[.[].client_id] | join(",")' "lyon,narrow,ops,paris"
jq_eq "client list shows a bound site" "$T/list.jsonl" '.[] | select(.client_id=="paris") | .site' paris
check_not_contains "client list shows no secret" "$(cat "$T/list.jsonl")" "$(secret paris)"
check_status "a duplicate client is refused" 3 dce-store client add paris --db "$DB" --scope read:inventory 2>/dev/null
check_status "an unknown scope is refused" 2 dce-store client add x --db "$DB" --scope write:all 2>/dev/null
if [ -f "$DB" ]; then
    check_eq "the secret is stored hashed" 0 "$(grep -c "$(secret paris)" "$DB" 2>/dev/null || true)"
fi

# ---- server A: HTTPS, default token lifetime --------------------------------------------
api_serve
check_eq "the token key file is mode 600" 600 "$(stat -c %a "$KEY")"

# Tokens, by client_secret_basic and by client_secret_post.
check_eq "token by client_secret_basic" 200 "$(req tb -u "paris:$(secret paris)" -d grant_type=client_credentials "$URL/oauth2/token")"
jq_eq "token type" "$T/tb.body" '.[0].token_type' Bearer
jq_eq "token lifetime 15 min" "$T/tb.body" '.[0].expires_in' 900
jq_eq "no refresh token (RFC 6749 4.4.3)" "$T/tb.body" '.[0] | has("refresh_token")' false
jq_eq "token is 256 bits" "$T/tb.body" '.[0].access_token | length' 43
check_contains "token response not cached" "$(hdr tb Cache-Control)" "no-store"
PARIS=$(jq -r .access_token "$T/tb.body")
check_eq "token by client_secret_post" 200 "$(req tp --data-urlencode grant_type=client_credentials \
    --data-urlencode client_id=lyon --data-urlencode "client_secret=$(secret lyon)" "$URL/oauth2/token")"
LYON=$(jq -r .access_token "$T/tp.body")
req tn -u "narrow:$(secret narrow)" -d grant_type=client_credentials "$URL/oauth2/token" >/dev/null
NARROW=$(jq -r .access_token "$T/tn.body")
req to -u "ops:$(secret ops)" -d grant_type=client_credentials "$URL/oauth2/token" >/dev/null
OPS=$(jq -r .access_token "$T/to.body")

check_eq "wrong secret: 401" 401 "$(req ws -u "paris:wrong$(secret paris)" -d grant_type=client_credentials "$URL/oauth2/token")"
jq_eq "wrong secret: invalid_client" "$T/ws.body" '.[0].error' invalid_client
check_eq "unknown client: 401" 401 "$(req uc -u "nobody:x" -d grant_type=client_credentials "$URL/oauth2/token")"
check_eq "another grant type: 400" 400 "$(req gt -u "paris:$(secret paris)" -d grant_type=password "$URL/oauth2/token")"
jq_eq "another grant type: unsupported_grant_type" "$T/gt.body" '.[0].error' unsupported_grant_type
check_eq "a scope the client lacks: 400" 400 "$(req is -u "narrow:$(secret narrow)" -d grant_type=client_credentials -d scope=read:readings "$URL/oauth2/token")"
jq_eq "a scope the client lacks: invalid_scope" "$T/is.body" '.[0].error' invalid_scope

# Bearer tokens on the data endpoints (RFC 6750).
check_eq "no token: 401" 401 "$(req nt "$URL/api/v1/devices")"
check_eq "no token: bare Bearer challenge" 'WWW-Authenticate: Bearer realm="dce-store"' "$(hdr nt WWW-Authenticate)"
check_contains "no token: problem+json" "$(hdr nt Content-Type)" "application/problem+json"
check_eq "bad token: 401" 401 "$(req bt -H "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$URL/api/v1/devices")"
check_contains "bad token: invalid_token" "$(hdr bt WWW-Authenticate)" 'error="invalid_token"'
check_eq "wrong scope: 403" 403 "$(req sc -H "Authorization: Bearer $NARROW" "$URL/api/v1/readings/latest")"
check_contains "wrong scope: insufficient_scope" "$(hdr sc WWW-Authenticate)" 'error="insufficient_scope"'
check_eq "unknown endpoint: 404" 404 "$(req nf -H "Authorization: Bearer $OPS" "$URL/api/v1/nothing")"
check_eq "unknown parameter: 400" 400 "$(req up -H "Authorization: Bearer $OPS" "$URL/api/v1/devices?sitee=paris")"

# Site isolation: each bound client sees its own site only, by any parameter.
check_eq "paris devices" 200 "$(req pd -H "Authorization: Bearer $PARIS" "$URL/api/v1/devices")"
jq_eq "paris sees its device only" "$T/pd.body" '[.[0].data[].id] | join(",")' "snmp://10.1.0.1:161"
check_eq "paris asks for lyon's site: 403" 403 "$(req pl -H "Authorization: Bearer $PARIS" "$URL/api/v1/devices?site=lyon")"
req pr -H "Authorization: Bearer $PARIS" "$URL/api/v1/readings/latest?device=snmp://10.2.0.1:161" >/dev/null
jq_eq "paris asks for lyon's device: nothing" "$T/pr.body" '.[0].data | length' 0
req pt -H "Authorization: Bearer $PARIS" "$URL/api/v1/readings/latest?site=paris&site=lyon" >/dev/null
jq_eq "paris names two sites: refused" "$T/pt.body" '.[0].status' 400
req ll -H "Authorization: Bearer $LYON" "$URL/api/v1/readings/latest" >/dev/null
jq_eq "lyon sees its reading only" "$T/ll.body" '[.[0].data[] | "\(.device)=\(.value)"] | join(",")' "snmp://10.2.0.1:161=42"
req pa -H "Authorization: Bearer $PARIS" "$URL/api/v1/readings/latest" >/dev/null
jq_eq "paris's latest reading" "$T/pa.body" '[.[0].data[] | .value] | join(",")' 18
req oa -H "Authorization: Bearer $OPS" "$URL/api/v1/devices" >/dev/null
jq_eq "an unbound client sees every site" "$T/oa.body" '[.[0].data[].site] | sort | join(",")' "lyon,paris"
check_eq "JSON lines on request" 200 "$(req nd -H "Authorization: Bearer $OPS" -H "Accept: application/x-ndjson" "$URL/api/v1/devices")"
check_contains "JSON lines content type" "$(hdr nd Content-Type)" "application/x-ndjson"
check_eq "JSON lines: one record a line" 2 "$(jq -c 'select(.type=="device")' "$T/nd.body" | wc -l)"
validate_records "$T/nd.body"
req nr -H "Authorization: Bearer $OPS" -H "Accept: application/x-ndjson" "$URL/api/v1/readings/latest" >/dev/null
check_eq "JSON lines: every site's latest reading" 2 "$(jq -c 'select(.type=="reading")' "$T/nr.body" | wc -l)"
validate_records "$T/nr.body"

# Revocation (RFC 7009): the holder revokes; the token is refused afterwards.
check_eq "revoke" 200 "$(req rv -u "lyon:$(secret lyon)" --data-urlencode "token=$LYON" "$URL/oauth2/revoke")"
check_eq "a revoked token is refused" 401 "$(req rr -H "Authorization: Bearer $LYON" "$URL/api/v1/devices")"
check_eq "revoking with a wrong secret: 401" 401 "$(req rw -u "lyon:nope" --data-urlencode "token=$PARIS" "$URL/oauth2/revoke")"

# Oversized requests.
head -c 200000 /dev/zero | tr '\0' a >"$T/big.txt"
check_eq "oversized body: 413" 413 "$(req ob -u "paris:$(secret paris)" --data-binary "@$T/big.txt" -H "Content-Type: application/x-www-form-urlencoded" "$URL/oauth2/token")"
check_eq "oversized header: 431" 431 "$(req oh -H "X-Big: $(head -c 20000 "$T/big.txt")" "$URL/api/v1/devices")"
check_eq "TLS 1.2 works" 200 "$(req t12 --tls-max 1.2 -H "Authorization: Bearer $OPS" "$URL/api/v1/devices")"
check_eq "plain HTTP to the HTTPS port gets no answer" 000 "$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/devices")"

# ---- server B: tokens live 2 s; slow clients cut off after 1 s (plain HTTP, loopback) ----
portb=$(free_port)
bg_start dce-store serve --db "$DB" "${keyopt[@]}" --listen "127.0.0.1:$portb" --insecure-http --token-lifetime 2s \
    --header-timeout 1s 2>"$T/serve-b.log"
wait_tcp "$portb" 20 || fail "serve --insecure-http did not listen: $(cat "$T/serve-b.log")"
check_eq "insecure-http on loopback answers plain HTTP" 200 "$(curl -s --max-time 20 -o "$T/short.json" -w '%{http_code}' \
    -u "paris:$(secret paris)" -d grant_type=client_credentials "http://127.0.0.1:$portb/oauth2/token")"
SHORT=$(jq -r .access_token "$T/short.json")
jq_eq "short lifetime" "$T/short.json" '.[0].expires_in' 2
sleep 5
check_eq "an expired token is refused" 401 "$(req ex -H "Authorization: Bearer $SHORT" "$URL/api/v1/devices")"
# A client that sends half a header and stops is disconnected (after 1 s; we allow 15).
slow=$(python3 - "$portb" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/v1/devices HTTP/1.1\r\nHost: x\r\n")
s.settimeout(15)
start = time.monotonic()
try:
    data = s.recv(100)
    print("closed" if data == b"" else "answered")
except socket.timeout:
    print("still open")
PY
)
check_eq "a slow client is cut off" closed "$slow"

# ---- refusals at start ---------------------------------------------------------------
check_status "insecure-http off loopback is refused" 2 dce-store serve --db "$DB" "${keyopt[@]}" --listen "0.0.0.0:$(free_port)" --insecure-http 2>"$T/refuse1.err"
check_contains "insecure-http refusal says why" "$(cat "$T/refuse1.err")" "loopback"
check_status "HTTPS without a certificate is refused" 2 dce-store serve --db "$DB" "${keyopt[@]}" --listen "127.0.0.1:$(free_port)" 2>"$T/refuse2.err"
chmod 644 "$KEY"
check_status "a token key readable by others is refused" 3 dce-store serve --db "$DB" "${keyopt[@]}" --listen "127.0.0.1:$(free_port)" --insecure-http 2>"$T/refuse3.err"
chmod 600 "$KEY"

# ---- the logs: every request, no secret ------------------------------------------------
check_contains "requests are logged with client and status" "$(cat "$T/serve.log")" "GET /api/v1/devices client=paris status=200"
check_contains "refusals are logged" "$(cat "$T/serve.log")" "client=- status=401"
req inj -H "Authorization: Bearer $OPS" "$URL/api/v1/x%0Adce-store:%20info:%20forged" >/dev/null
check_not_contains "a %0A in the path cannot forge a log line" "$(cat "$T/serve.log")" $'\ndce-store: info: forged'
check_contains "the path is logged as sent" "$(cat "$T/serve.log")" "GET /api/v1/x%0Adce-store"
for s in "$PARIS" "$LYON" "$NARROW" "$OPS" "$SHORT" "$(secret paris)" "$(secret lyon)" "$(secret narrow)" "$(secret ops)"; do
    check_not_contains "no token or secret in the log" "$(cat "$T/serve.log" "$T/serve-b.log")" "$s"
done
if [ -z "${API_OAUTH_SOURCED:-}" ]; then finish; fi
