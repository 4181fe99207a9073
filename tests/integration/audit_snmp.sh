#!/usr/bin/env bash
# dce-audit's snmp family against net-snmp's snmpd, each check both ways:
#   open    v1/v2c "public" served, v3 users need authPriv, authentication traps sent to a
#           real dce-trapd (from the agent's own address): default-community fails; the
#           lower v3 levels are refused (authorizationError); authPriv works (and fails
#           with a wrong passphrase); a wrong community is refused and logged.
#   weak    v3 only, the lab users' access allows authNoPriv, and a user "dce-open"
#           without keys allowed at noAuthNoPriv; no trap sink: default-community passes;
#           authNoPriv answers (fail); dce-open answers at noAuthNoPriv (fail) and is
#           refused at authNoPriv with a usmStatsUnsupportedSecLevels report (pass); a
#           refused request is not logged (fail).
# No passphrase appears in any output.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need snmpd snmpget jq dce-audit dce-trapd
lab_init "$T/lab"

trap_port=$(free_port)
open_addr=127.0.0.41
weak_addr=127.0.0.42
# The agent sends its traps from its own address (-s), as a device does: the check
# matches the trap's source to the target.
start_snmpd --name open --address "$open_addr" --conf "authtrapenable 1" \
    --conf "trap2sink -s $open_addr 127.0.0.1:$trap_port public" || skip "snmpd did not start"
open_port=$SNMPD_PORT
start_snmpd --name weak --address "$weak_addr" --v3-only --level auth \
    --conf "createUser dce-open" --conf "rouser dce-open noauth" --conf "authtrapenable 1" ||
    skip "snmpd did not start"
weak_port=$SNMPD_PORT

# The test's credentials: the lab's, a user the weak agent knows without keys, and the
# lab user with a wrong passphrase.
cred="$T/credentials"
wrong_pass="wrong-$(_lab_secret)"
(
    umask 077
    exec >"$cred"
    cat "$LAB_CREDENTIALS"
    cat <<EOF

[open-user]
kind = snmpv3
user = dce-open
auth_protocol = SHA-256
auth_pass = open-user-$(_lab_secret)
priv_protocol = AES-256
priv_pass = open-user-$(_lab_secret)

[wrong-pass]
kind = snmpv3
user = dce-sha256
auth_protocol = SHA-256
auth_pass = $wrong_pass
priv_protocol = AES-256
priv_pass = $(lab_cred lab-v3-sha256 priv_pass)
EOF
)

events="$T/events.jsonl"
: >"$events"
bg_start dce-trapd --listen "127.0.0.1:$trap_port" --credentials "$LAB_CREDENTIALS" \
    --any-community --stats-interval 0 >"$events" 2>"$T/trapd.err"

# policy NAME ADDR PORT SNMP_EXTRA_JSON: a policy file with one device target.
policy() {
    jq -n --arg name "$1" --arg addr "$2" --argjson port "$3" --argjson extra "$4" \
        '{targets: [{name: $name, address: $addr, role: "device",
                     snmp: ({port: $port} + $extra)}]}' >"$T/$1.policy.json"
    echo "$T/$1.policy.json"
}
# audit NAME WANT_EXIT POLICY ONLY [dce-audit options]: runs the checks ONLY (a glob)
# into $T/NAME.jsonl.
audit() {
    local name=$1 want=$2 pol=$3 only=$4
    shift 4
    check_status "$name: exit status" "$want" dce-audit --policy "$pol" --credentials "$cred" \
        --timeout 3s --only "$only" "$@" >"$T/$name.jsonl" 2>"$T/$name.err"
    validate_records "$T/$name.jsonl"
}
# status NAME CHECK: the status of CHECK's finding in run NAME ("" if none, "a b" if two).
status() { jq -rs --arg c "$2" '[.[] | select(.check == $c) | .status] | join(" ")' "$T/$1.jsonl"; }
evidence() { jq -rs --arg c "$2" "[.[] | select(.check == \$c) | .evidence$3] | .[0]" "$T/$1.jsonl"; }

# ---- the open agent ------------------------------------------------------------------
pol=$(policy open "$open_addr" "$open_port" \
    "{\"credential\": \"lab-v3-sha256\", \"trap_log\": {\"events\": \"$events\", \"window\": \"60s\"}}")
audit open 1 "$pol" 'snmp.*'
check_eq "open: default-community" fail "$(status open snmp.default-community)"
jq_eq "open: public answered v1 and v2c" "$T/open.jsonl" \
    '[.[] | select(.check=="snmp.default-community") | .evidence.answered[] | "\(.version) \(.community)"] | sort | join(",")' \
    "v1 public,v2c public"
jq_eq "open: private not answered" "$T/open.jsonl" \
    '[.[] | select(.check=="snmp.default-community") | .evidence.no_answer[] | .community] | unique | join(",")' \
    "private"
check_contains "open: sysDescr in evidence" "$(evidence open snmp.default-community '.answered[0].sysDescr')" "Linux"
jq_eq "open: default-community is critical" "$T/open.jsonl" \
    '[.[] | select(.check=="snmp.default-community") | .severity] | .[0]' "critical"
check_eq "open: noAuthNoPriv refused" pass "$(status open snmp.v3-noauth-refused)"
check_eq "open: noAuthNoPriv refusal is authorizationError" 16 \
    "$(evidence open snmp.v3-noauth-refused .error_status)"
check_eq "open: authNoPriv refused" pass "$(status open snmp.v3-authnopriv-refused)"
check_eq "open: authNoPriv refusal is authorizationError" 16 \
    "$(evidence open snmp.v3-authnopriv-refused .error_status)"
check_eq "open: authPriv works" pass "$(status open snmp.v3-authpriv)"
check_contains "open: authPriv sysDescr" "$(evidence open snmp.v3-authpriv .sysDescr)" "Linux"
check_eq "open: authPriv engine ID" true \
    "$(evidence open snmp.v3-authpriv '.engine_id | test("^80[0-9a-f]+$")')"
check_eq "open: refused and logged" pass "$(status open snmp.refused-and-logged)"
check_eq "open: the trap came from the agent" "$open_addr" \
    "$(evidence open snmp.refused-and-logged .source)"
check_contains "open: probe community named" "$(evidence open snmp.refused-and-logged .community)" \
    "dce-audit-probe-"
check_contains "dce-trapd logged the authenticationFailure" "$(cat "$events")" \
    '"trap_oid":"1.3.6.1.6.3.1.1.5.5"'

# A site that allows v1/v2c still fails on a default community.
pol=$(policy v1v2c "$open_addr" "$open_port" '{"v1v2c": true, "communities": ["public"]}')
audit v1v2c 1 "$pol" snmp.default-community
check_eq "v1v2c allowed: default community still fails" fail "$(status v1v2c snmp.default-community)"
check_eq "v1v2c allowed: in evidence" true "$(evidence v1v2c snmp.default-community .v1v2c_allowed)"

# Wrong passphrase: authPriv fails (the agent reports a wrong digest), nothing leaks.
pol=$(policy wrongpass "$open_addr" "$open_port" '{"credential": "wrong-pass"}')
audit wrongpass 1 "$pol" snmp.v3-authpriv
check_eq "wrong passphrase: authPriv fails" fail "$(status wrongpass snmp.v3-authpriv)"
check_eq "wrong passphrase: reason" auth "$(evidence wrongpass snmp.v3-authpriv .status)"
jq_eq "wrong passphrase: only authPriv ran, medium" "$T/wrongpass.jsonl" \
    '[.[] | "\(.check) \(.severity)"] | join(",")' "snmp.v3-authpriv medium"

# No credential and no trap log: the checks that need them say what to add.
pol=$(policy bare "$open_addr" "$open_port" '{}')
audit bare 0 "$pol" 'snmp.*' --skip snmp.default-community
for c in snmp.v3-noauth-refused snmp.v3-authnopriv-refused snmp.v3-authpriv snmp.refused-and-logged; do
    check_eq "bare: $c skipped" skip "$(status bare "$c")"
done
jq_eq "bare: skip says what to add" "$T/bare.jsonl" \
    '[.[] | select(.check=="snmp.v3-authpriv") | .message | test("\"credential\"")] | .[0]' "true"

# ---- the weak agent ------------------------------------------------------------------
pol=$(policy weak "$weak_addr" "$weak_port" \
    "{\"credential\": \"lab-v3-sha256\", \"trap_log\": {\"events\": \"$events\", \"window\": \"4s\"}}")
audit weak 1 "$pol" 'snmp.*'
check_eq "weak: default communities refused" pass "$(status weak snmp.default-community)"
jq_eq "weak: all four probes unanswered" "$T/weak.jsonl" \
    '[.[] | select(.check=="snmp.default-community") | .evidence.no_answer | length] | .[0]' "4"
check_eq "weak: noAuthNoPriv still refused" pass "$(status weak snmp.v3-noauth-refused)"
check_eq "weak: authNoPriv answers" fail "$(status weak snmp.v3-authnopriv-refused)"
jq_eq "weak: authNoPriv is high" "$T/weak.jsonl" \
    '[.[] | select(.check=="snmp.v3-authnopriv-refused") | .severity] | .[0]' "high"
check_contains "weak: authNoPriv sysDescr" "$(evidence weak snmp.v3-authnopriv-refused .sysDescr)" "Linux"
check_eq "weak: authPriv works" pass "$(status weak snmp.v3-authpriv)"
check_eq "weak: refused but not logged" fail "$(status weak snmp.refused-and-logged)"
check_contains "weak: message" "$(jq -rs '.[] | select(.check=="snmp.refused-and-logged") | .message' "$T/weak.jsonl")" \
    "refused but not logged"

# dce-open: no keys, access at noAuthNoPriv.
pol=$(policy weakopen "$weak_addr" "$weak_port" '{"credential": "open-user"}')
audit weakopen 1 "$pol" 'snmp.v3-*'
check_eq "dce-open: noAuthNoPriv answers" fail "$(status weakopen snmp.v3-noauth-refused)"
check_eq "dce-open: authNoPriv refused" pass "$(status weakopen snmp.v3-authnopriv-refused)"
check_eq "dce-open: usmStatsUnsupportedSecLevels reported" "1.3.6.1.6.3.15.1.1.1.0" \
    "$(evidence weakopen snmp.v3-authnopriv-refused .report_oid)"
check_eq "dce-open: authPriv fails" fail "$(status weakopen snmp.v3-authpriv)"
check_eq "dce-open: authPriv reason" unsupported_security_level \
    "$(evidence weakopen snmp.v3-authpriv .status)"

# ---- no secret anywhere ----------------------------------------------------------------
all=$(cat "$T"/*.jsonl "$T"/*.err)
check_not_contains "no wrong passphrase in output" "$all" "$wrong_pass"
for e in lab-v3-sha256 open-user; do
    for k in auth_pass priv_pass; do
        v=$(awk -v sec="[$e]" -v key="$k" '$0 == sec { on = 1; next } /^\[/ { on = 0 }
            on { split($0, kv, " = "); if (kv[1] == key) { print kv[2]; exit } }' "$cred")
        check_not_contains "no $e $k in output" "$all" "$v"
    done
done

finish
