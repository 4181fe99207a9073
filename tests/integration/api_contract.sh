#!/usr/bin/env bash
# The REST API's contract with a real client: tests/lib/api_contract.py drives the real
# HTTPS server on loopback with python3-requests (certificate checked against a test CA
# made here) over every route of the contract: envelope and content types, records valid
# against schemas/, JSON lines, pagination, scopes, and site isolation: a client bound to
# one site gets nothing of the other site's data from any endpoint with any parameters.
# Two sites (paris, lyon); clients bound to each, an unbound one, and two with one scope.
# An endpoint that is not there (404) fails the test: the script's --only-existing (for
# a branch that lacks some endpoints) is never passed here (by hand: bash THIS --only-existing).
# On SQLite here; tests/integration/api_contract_postgres.sh sources it with API_DB set to
# a PostgreSQL URL and API_TOKEN_KEY to a key file.
if [ -z "${API_CONTRACT_SOURCED:-}" ]; then
    . "$(dirname "$0")/../lib/common.sh"
fi
. "$DCE_SOURCE_DIR/tests/lib/tls.sh"
need dce-store jq
/usr/bin/python3 -c 'import requests, jsonschema' 2>/dev/null || skip "python3-requests or python3-jsonschema is not installed"

tls_init
tls_leaf api "/CN=localhost/O=dce-tools tests" "IP:127.0.0.1,DNS:localhost"

DB=${API_DB:-$T/store.db}
keyopt=()
[ -n "${API_TOKEN_KEY:-}" ] && keyopt=(--token-key "$API_TOKEN_KEY")
/usr/bin/python3 "$DCE_SOURCE_DIR/tests/lib/api_contract.py" --write-data "$T/data.jsonl"
check_status "ingest the two sites" 0 dce-store ingest --db "$DB" "$T/data.jsonl" 2>"$T/ingest.err"
all=read:inventory,read:readings,read:events,read:findings
mkdir -p "$T/clients"
add_client() {  # add_client NAME SCOPES [SITE]
    local site=()
    [ -n "${3:-}" ] && site=(--site "$3")
    check_status "client add $1" 0 dce-store client add "$1" --db "$DB" --scope "$2" "${site[@]}" \
        >"$T/clients/$1.json" 2>>"$T/clients.err"
}
add_client paris "$all" paris
add_client lyon "$all" lyon
add_client ops "$all"
add_client narrow read:inventory
add_client readings_only read:readings

port=$(free_port)
bg_start dce-store serve --db "$DB" "${keyopt[@]}" --listen "127.0.0.1:$port" --cert "$PKI/api.crt" --key "$PKI/api.key" \
    --rate-limit off --token-rate-limit off --token-peer-rate-limit off \
    2>"$T/serve.log"
wait_tcp "$port" 20 || fail "dce-store serve did not listen on $port: $(cat "$T/serve.log")"

/usr/bin/python3 "$DCE_SOURCE_DIR/tests/lib/api_contract.py" --url "https://127.0.0.1:$port" \
    --ca "$PKI/ca.crt" --clients "$T/clients" "$@" >"$T/contract.out" 2>&1
status=$?
cat "$T/contract.out"
check_eq "api_contract.py: every check passed" 0 "$status"
for c in paris lyon ops narrow readings_only; do
    check_not_contains "no secret in the server's log" "$(cat "$T/serve.log")" "$(jq -r .client_secret "$T/clients/$c.json")"
done
if [ -z "${API_CONTRACT_SOURCED:-}" ]; then finish; fi
