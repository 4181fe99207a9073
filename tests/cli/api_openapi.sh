# docs/openapi.json is a well-formed OpenAPI 3 description (scripts/check-openapi.py:
# structure, $refs, operationIds, security schemes and scopes, 401/403/429 answers, JSON
# Schemas). That it lists exactly the server's routes is lib/storetool/serve_test.cpp's
# job (ctest unit.storetool.*); that the server serves it, tests/integration/api_ratelimit.sh's.
# The second half proves the check bites on broken copies.
. "$(dirname "$0")/../lib/common.sh"
need python3 jq
python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"

CHECK=(python3 "$DCE_SOURCE_DIR/scripts/check-openapi.py")
DOC=$DCE_SOURCE_DIR/docs/openapi.json
out=$("${CHECK[@]}" "$DOC" 2>&1)
rc=$?
check_eq "docs/openapi.json passes the structural check" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out" >&2
jq_eq "the token URL is the token endpoint" "$DOC" \
    '.[0].components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl' /oauth2/token
jq_eq "the OpenAPI document needs no token" "$DOC" '.[0].paths["/api/v1/openapi.json"].get.security | length' 0

broken() {  # broken WHAT JQ-FILTER EXPECTED-MESSAGE
    jq "$2" "$DOC" >"$T/broken.json"
    out=$("${CHECK[@]}" "$T/broken.json" 2>&1)
    check_eq "$1: refused" 1 "$?"
    check_contains "$1: named" "$out" "$3"
}
broken "a missing 429" 'del(.paths["/api/v1/devices"].get.responses["429"])' "GET /api/v1/devices: no 429 response"
broken "an undefined scope" '.paths["/api/v1/devices"].get.security = [{"oauth2": ["write:all"]}]' "scope write:all is not defined"
broken "a dangling \$ref" '.paths["/api/v1/devices"].get.parameters += [{"$ref": "#/components/parameters/nope"}]' "does not resolve"
broken "a duplicate operationId" '.paths["/api/v1/events"].get.operationId = "listDevices"' "operationId listDevices also used"
broken "a bad schema" '.components.schemas.Problem.type = 7' "components/schemas/Problem: not a valid schema"
broken "no security" 'del(.paths["/api/v1/devices"].get.security)' "no security"
echo '{"openapi": "2.0"' >"$T/broken.json"
check_status "not JSON: refused" 1 "${CHECK[@]}" "$T/broken.json" >/dev/null
finish
