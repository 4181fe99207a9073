# dce-store serve for API tests (bash), sourced after common.sh: a test CA and a server
# certificate, clients, tokens and curl helpers. The store is $API_DB when set (a
# PostgreSQL URL; then $API_TOKEN_KEY names the key file), else a SQLite file in $T.
#
#     . "$DCE_SOURCE_DIR/tests/lib/api.sh"
#     api_init                                  # $DB, $KEY, keyopt=(...), PKI
#     dce-store ingest --db "$DB" data.jsonl
#     add_client paris read:readings paris      # client paris bound to site paris
#     secret paris                              # its secret
#     api_serve                                 # HTTPS on a run-time port: $port, $URL, CURL=(...)
#     TOKEN=$(api_token paris)
#     req NAME -H "Authorization: Bearer $TOKEN" "$URL/api/v1/devices"   # prints status
#     hdr NAME Link                             # a response header, without CR
. "$DCE_SOURCE_DIR/tests/lib/tls.sh"
need dce-store curl jq

api_init() {
    tls_init
    tls_leaf api "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"
    DB=${API_DB:-$T/store.db}
    KEY=${API_TOKEN_KEY:-$DB.token-key}
    keyopt=()
    [ -n "${API_TOKEN_KEY:-}" ] && keyopt=(--token-key "$KEY")
    return 0
}

add_client() {  # add_client NAME SCOPES [SITE]: the secret in $T/NAME.json
    local site=()
    [ -n "${3:-}" ] && site=(--site "$3")
    dce-store client add "$1" --db "$DB" --scope "$2" "${site[@]}" >"$T/$1.json" 2>>"$T/clients.err" ||
        fail "client add $1: $(cat "$T/clients.err")"
}

secret() { jq -r .client_secret "$T/$1.json"; }

api_serve() {  # api_serve [extra serve options]: sets $port, $URL, $CURL; log in $T/serve.log
    port=$(free_port)
    bg_start dce-store serve --db "$DB" "${keyopt[@]}" --listen "127.0.0.1:$port" \
        --cert "$PKI/api.crt" --key "$PKI/api.key" "$@" 2>"$T/serve.log"
    wait_tcp "$port" 20 || fail "dce-store serve did not listen on $port: $(cat "$T/serve.log")"
    URL=https://127.0.0.1:$port
    CURL=(curl -sS --max-time 20 --cacert "$PKI/ca.crt")
}

api_token() {  # api_token CLIENT: prints an access token
    "${CURL[@]}" -u "$1:$(secret "$1")" -d grant_type=client_credentials "$URL/oauth2/token" |
        jq -r .access_token
}

# req NAME ARGS...: runs curl, body in $T/NAME.body, headers in $T/NAME.hdr, prints status.
req() {
    local name=$1; shift
    "${CURL[@]}" -o "$T/$name.body" -D "$T/$name.hdr" -w '%{http_code}' "$@" 2>"$T/$name.curl"
}
hdr() { grep -i "^$2:" "$T/$1.hdr" | head -1 | tr -d '\r'; }
