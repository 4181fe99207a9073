#!/usr/bin/env bash
# dce-trapd against net-snmp's real senders, snmptrap and snmpinform, on a loopback port
# chosen now: SNMPv1 generic and enterprise traps, v2c traps and informs, SNMPv3 traps
# and informs with SHA-256/AES-256, SHA/AES, MD5/DES and SHA/AES-256 (key extension);
# four v3 users at once, one user from five engine IDs; wrong passphrases, unknown users
# and communities counted, not delivered; an APC upsOnBattery named with its severity;
# an unknown OID kept; and `dce-trapd | dce-store ingest` then `dce-store query events`.
. "$(dirname "$0")/../lib/common.sh"
need snmptrap snmpinform jq dce-trapd dce-store
export SNMP_PERSISTENT_DIR="$T/net-snmp"  # the senders' engine state, not ~/.snmp
export MIBS="" MIBDIRS=/dev/null          # numeric OIDs only; no MIB warnings

cred="$T/credentials"
(umask 077; cat >"$cred" <<'CRED'
[traps-v2c]
kind = community
community = trap-community-s3cret

[alice]
kind = snmpv3
user = alice
auth_protocol = SHA-256
auth_pass = alice-auth-s3cret
priv_protocol = AES-256
priv_pass = alice-priv-s3cret

[bob]
kind = snmpv3
user = bob
auth_protocol = SHA
auth_pass = bob-auth-s3cret
priv_protocol = AES
priv_pass = bob-priv-s3cret

[carol]
kind = snmpv3
user = carol
auth_protocol = MD5
auth_pass = carol-auth-s3cret
priv_protocol = DES
priv_pass = carol-priv-s3cret

[dave]
kind = snmpv3
user = dave
auth_protocol = SHA
auth_pass = dave-auth-s3cret
priv_protocol = AES-256
priv_pass = dave-priv-s3cret
CRED
)
port=$(free_port)
dst="127.0.0.1:$port"
bg_start dce-trapd --listen "$dst" --credentials "$cred" --state-dir "$T/state" \
    --stats-interval 0 --report-rejected >"$T/events.jsonl" 2>"$T/trapd.err"
trapd_pid=${_dce_pids[-1]}
for _ in $(seq 100); do grep -q "listening on" "$T/trapd.err" && break; sleep 0.1; done
check_contains "dce-trapd says where it listens" "$(cat "$T/trapd.err")" "listening on $dst"

C=trap-community-s3cret
APC_ARG=1.3.6.1.4.1.318.2.3.3.0
MSG="UPS: On battery power in response to an input power problem."
# SNMPv1: APC's enterprise-specific upsOnBattery (specific 5) and a generic coldStart.
snmptrap -v1 -c "$C" "$dst" 1.3.6.1.4.1.318 127.0.0.9 6 5 '' $APC_ARG s "$MSG"
snmptrap -v1 -c "$C" "$dst" 1.3.6.1.4.1.8072.3.2.10 127.0.0.9 0 0 ''
# SNMPv2c: the same APC trap in its v2 form, an unknown OID, and an inform (acknowledged:
# snmpinform exits 0 only when it got the Response).
snmptrap -v2c -c "$C" "$dst" '' 1.3.6.1.4.1.318.0.5 $APC_ARG s "$MSG"
snmptrap -v2c -c "$C" "$dst" '' 1.3.6.1.4.1.99999.7.7 1.3.6.1.4.1.99999.7.1.0 i 42
check_status "v2c inform acknowledged" 0 snmpinform -v2c -c "$C" -t 3 -r 2 "$dst" '' \
    1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.7 i 7

# SNMPv3 traps, four users at once, each from its own engine ID.
v3trap() {  # v3trap USER AUTH AUTHPASS PRIV PRIVPASS ENGINE
    snmptrap -v3 -e "$6" -u "$1" -l authPriv -a "$2" -A "$3" -x "$4" -X "$5" "$dst" '' \
        1.3.6.1.4.1.318.0.5 $APC_ARG s "$MSG"
}
v3trap alice SHA-256 alice-auth-s3cret AES-256 alice-priv-s3cret 0x80001f88800102030401
v3trap bob SHA bob-auth-s3cret AES bob-priv-s3cret 0x80001f88800102030402
v3trap carol MD5 carol-auth-s3cret DES carol-priv-s3cret 0x80001f88800102030403
v3trap dave SHA dave-auth-s3cret AES-256 dave-priv-s3cret 0x80001f88800102030404
# One user, five devices: no per-engine configuration.
for i in 1 2 3 4 5; do
    v3trap alice SHA-256 alice-auth-s3cret AES-256 alice-priv-s3cret 0x80001f888011111111000$i
done
# SNMPv3 informs: the sender discovers dce-trapd's engine ID and time, then sends.
check_status "v3 inform SHA-256/AES-256 acknowledged" 0 snmpinform -v3 -u alice -l authPriv \
    -a SHA-256 -A alice-auth-s3cret -x AES-256 -X alice-priv-s3cret -t 3 -r 2 "$dst" '' \
    1.3.6.1.4.1.318.0.5 $APC_ARG s "$MSG"
check_status "v3 inform SHA/AES acknowledged" 0 snmpinform -v3 -u bob -l authPriv \
    -a SHA -A bob-auth-s3cret -x AES -X bob-priv-s3cret -t 3 -r 2 "$dst" '' 1.3.6.1.6.3.1.1.5.1
check_status "v3 inform MD5/DES acknowledged" 0 snmpinform -v3 -u carol -l authPriv \
    -a MD5 -A carol-auth-s3cret -x DES -X carol-priv-s3cret -t 3 -r 2 "$dst" '' 1.3.6.1.6.3.1.1.5.1

# Refused, counted, never delivered: a wrong passphrase, an unknown user, an unknown
# community, an authPriv user sending in clear, and an inform with a wrong passphrase.
v3trap alice SHA-256 not-alices-pass AES-256 alice-priv-s3cret 0x80001f88800102030401
v3trap mallory SHA-256 mallory-pass-1 AES-256 mallory-pass-2 0x80001f888001020304ff
snmptrap -v2c -c wrong-community-s3cret "$dst" '' 1.3.6.1.4.1.318.0.5
snmptrap -v3 -e 0x80001f88800102030401 -u alice -l noAuthNoPriv "$dst" '' 1.3.6.1.4.1.318.0.5
check_status "v3 inform with a wrong passphrase is not acknowledged" 1 snmpinform -v3 -u bob \
    -l authPriv -a SHA -A bob-wrong-pass -x AES -X bob-priv-s3cret -t 1 -r 0 "$dst" '' \
    1.3.6.1.6.3.1.1.5.1 2>/dev/null

kill -TERM "$trapd_pid"
wait "$trapd_pid"
check_eq "SIGTERM: drained, final stats, exit 130" 130 $?
validate_records "$T/events.jsonl"
ev="$T/events.jsonl"
traps='[.[] | select(.type=="event" and .name != "dce-trapd.rejected")]'
jq_eq "every trap and inform delivered" "$ev" "$traps | length" 17
jq_eq "v1 upsOnBattery named from PowerNet-MIB" "$ev" \
    "$traps | map(select(.snmp.version==\"v1\" and .snmp.specific_trap==5)) | .[0] | [.name, .mib, .severity, .trap_oid] | join(\" \")" \
    "upsOnBattery PowerNet-MIB warn 1.3.6.1.4.1.318.0.5"
jq_eq "upsOnBattery description from the MIB summary" "$ev" \
    "$traps | map(select(.name==\"upsOnBattery\")) | .[0].description | length > 0" "true"
jq_eq "v1 generic coldStart mapped to its v2 OID" "$ev" \
    "$traps | map(select(.snmp.version==\"v1\" and .snmp.generic_trap==0)) | .[0] | [.name, .trap_oid] | join(\" \")" \
    "coldStart 1.3.6.1.6.3.1.1.5.1"
jq_eq "v1 enterprise and agent-addr kept" "$ev" \
    "$traps | map(select(.snmp.version==\"v1\")) | .[0].snmp | [.enterprise, .agent_addr] | join(\" \")" \
    "1.3.6.1.4.1.318 127.0.0.9"
jq_eq "varbind named and typed" "$ev" \
    "$traps | map(select(.snmp.version==\"v2c\" and .name==\"upsOnBattery\")) | .[0].varbinds[0] | [.name, .type, .value] | join(\"|\")" \
    "mtrapargsString.0|OCTET STRING|$MSG"
jq_eq "unknown OID kept, numeric, resolved false" "$ev" \
    "$traps | map(select(.trap_oid==\"1.3.6.1.4.1.99999.7.7\")) | .[0] | [.resolved, .severity, .varbinds[0].value] | map(tostring) | join(\" \")" \
    "false unknown 42"
jq_eq "v2c inform delivered as an inform" "$ev" \
    "$traps | map(select(.snmp.version==\"v2c\" and .snmp.pdu==\"inform\")) | .[0].name" "linkDown"
jq_eq "v1/v2c marked insecure, credential named" "$ev" \
    "$traps | map(select(.snmp.version!=\"v3\")) | map([.insecure, .snmp.credential]) | unique | .[0] | map(tostring) | join(\" \")" \
    "true traps-v2c"
for u in alice bob carol dave; do
    jq_eq "v3 trap from $u delivered with its credential" "$ev" \
        "$traps | map(select(.snmp.user==\"$u\" and .snmp.pdu==\"trap\")) | .[0] | [.snmp.credential, .snmp.security_level, .name] | join(\" \")" \
        "$u authPriv upsOnBattery"
done
jq_eq "alice from six engine IDs" "$ev" \
    "$traps | map(select(.snmp.user==\"alice\" and .snmp.pdu==\"trap\") | .snmp.engine_id) | unique | length" 6
jq_eq "three v3 informs delivered" "$ev" \
    "$traps | map(select(.snmp.version==\"v3\" and .snmp.pdu==\"inform\")) | length" 3
stats=$(jq -c 'select(.type=="stats" and .final)' "$ev")
check_eq "final stats record written" 1 "$(printf '%s\n' "$stats" | grep -c .)"
check_eq "wrong digests counted" 2 "$(jq -r '.rejected.wrong_digest' <<<"$stats")"
check_eq "unknown user counted" 1 "$(jq -r '.rejected.unknown_user' <<<"$stats")"
check_eq "unknown community counted" 1 "$(jq -r '.rejected.unknown_community' <<<"$stats")"
check_eq "clear text from an authPriv user counted" 1 "$(jq -r '.rejected.unsupported_security_level' <<<"$stats")"
check_eq "stats delivered = events" 17 "$(jq -r '.delivered' <<<"$stats")"
check_eq "informs acknowledged" 4 "$(jq -r '.informs_acknowledged' <<<"$stats")"
check_eq "nothing dropped" "0 0" "$(jq -r '"\(.dropped_queue) \(.dropped_kernel)"' <<<"$stats")"
jq_eq "rejections reported per source and cause" "$ev" \
    '[.[] | select(.name=="dce-trapd.rejected") | .rejected.cause] | sort | unique | join(",")' \
    "unknown_community,unknown_user,unsupported_security_level,wrong_digest"
jq_eq "rejection of an unknown user names the user" "$ev" \
    '[.[] | select(.rejected.cause=="unknown_user")] | .[0].snmp.user' "mallory"
all="$(cat "$ev" "$T/trapd.err")"
for secret in trap-community-s3cret wrong-community-s3cret alice-auth-s3cret alice-priv-s3cret \
    bob-priv-s3cret not-alices-pass; do
    check_not_contains "no secret ($secret) in events or logs" "$all" "$secret"
done
check_contains "summary line on stderr" "$(cat "$T/trapd.err")" "received"

# The engine ID is kept: a second start has the same ID and one boot more.
id1=$(jq -r 'select(.type=="stats") | .engine_id' "$ev")
b1=$(jq -r 'select(.type=="stats") | .engine_boots' "$ev")
timeout 5 dce-trapd --listen "127.0.0.1:$(free_port)" --credentials "$cred" --state-dir "$T/state" \
    --stats-interval 0 >"$T/second.jsonl" 2>/dev/null &
p=$!; sleep 0.5; kill -TERM $p; wait $p
check_eq "engine ID kept across starts" "$id1" "$(jq -r 'select(.type=="stats") | .engine_id' "$T/second.jsonl")"
check_eq "engine boots counted up" "$((b1 + 1))" "$(jq -r 'select(.type=="stats") | .engine_boots' "$T/second.jsonl")"

# Into the store, and out again.
db="$T/store.db"
check_status "events ingested" 0 dce-store ingest --db "$db" <"$ev" 2>"$T/ingest.err"
dce-store query events --db "$db" >"$T/query.jsonl" 2>"$T/query.err"
jq_eq "dce-store query events shows upsOnBattery" "$T/query.jsonl" \
    '[.[] | select(.name=="upsOnBattery")] | length >= 1' "true"
jq_eq "dce-store query events --severity warn" "$T/query.jsonl" \
    '[.[] | .severity] | index("warn") != null' "true"
finish
