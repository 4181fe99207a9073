#!/usr/bin/env bash
# Which credentials dce-discover uses and what it claims: SNMPv3 users with SHA-1,
# SHA-256 and SHA-512 on net-snmp; a wrong credential never makes an identified device;
# v1/v2c communities only when asked for, and then the record says insecure.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-discover snmpd snmpget jq

lab_init "$T/lab"
start_snmpd --v3-only --address 127.0.0.30 --name v3only || skip "snmpd did not start"
V3ONLY="127.0.0.30:$SNMPD_PORT"
start_snmpd --address 127.0.0.31 --name mixed || skip "snmpd did not start"
MIXED="127.0.0.31:$SNMPD_PORT"

# creds FILE ENTRY...: a credentials file with the named lab entries, plus "wrong-*"
# entries whose passphrases are not the agent's.
creds() {
    local f=$1 e; shift
    (
        umask 077
        : >"$f"
        for e in "$@"; do
            case $e in
                wrong-pass) printf '[wrong-pass]\nkind = snmpv3\nuser = dce-sha256\nauth_protocol = SHA-256\nauth_pass = not-the-pass-1\npriv_protocol = AES-256\npriv_pass = not-the-pass-2\n\n' ;;
                wrong-user) printf '[wrong-user]\nkind = snmpv3\nuser = nobody-here\nauth_protocol = SHA\nauth_pass = whatever-123\npriv_protocol = AES\npriv_pass = whatever-456\n\n' ;;
                wrong-priv) printf '[wrong-priv]\nkind = snmpv3\nuser = dce-sha512\nauth_protocol = SHA-512\nauth_pass = %s\npriv_protocol = AES-256\npriv_pass = not-the-priv-pass\n\n' "$(lab_cred lab-v3-sha512 auth_pass)" ;;
                wrong-community) printf '[wrong-community]\nkind = community\ncommunity = private-xyz\n\n' ;;
                *) awk -v sec="[$e]" '$0 == sec { on = 1; print; next } /^\[/ { on = 0 } on' "$LAB_CREDENTIALS"; echo ;;
            esac
        done >>"$f"
    )
}
run() { dce-discover --timeout 2s --retries 0 --no-progress "$@" 2>>"$T/stderr"; }

# 1. Each hash/cipher pair works on its own and is named in the record.
for e in lab-v3-sha lab-v3-sha256 lab-v3-sha512; do
    creds "$T/c-$e" "$e"
    run --credentials "$T/c-$e" "$V3ONLY" >"$T/o-$e.jsonl"
    validate_records "$T/o-$e.jsonl"
    jq_eq "$e: identified" "$T/o-$e.jsonl" '.[0].identified' true
    jq_eq "$e: credential named" "$T/o-$e.jsonl" '.[0].credential' "$e"
    jq_eq "$e: sysName read" "$T/o-$e.jsonl" '.[0].sys_name' v3only-lab
    jq_eq "$e: authPriv" "$T/o-$e.jsonl" '.[0].snmp.security_level' authPriv
done

# 2. Wrong credentials first: they are skipped, the right one is named.
creds "$T/c-mix" wrong-user wrong-pass wrong-priv lab-v3-sha512
run --credentials "$T/c-mix" "$V3ONLY" >"$T/o-mix.jsonl"
validate_records "$T/o-mix.jsonl"
jq_eq "wrong ones skipped, right one named" "$T/o-mix.jsonl" '[.[].credential] | join(",")' lab-v3-sha512

# 3. Only wrong credentials: the engine answered, so the device is reported, but not as
# identified and with nothing read through a credential.
creds "$T/c-wrong" wrong-user wrong-pass wrong-priv
run --credentials "$T/c-wrong" "$V3ONLY" >"$T/o-wrong.jsonl"
validate_records "$T/o-wrong.jsonl"
jq_eq "wrong creds: one record" "$T/o-wrong.jsonl" 'length' 1
jq_eq "wrong creds: not identified" "$T/o-wrong.jsonl" '.[0].identified' false
jq_eq "wrong creds: no credential claimed" "$T/o-wrong.jsonl" '.[0] | has("credential")' false
jq_eq "wrong creds: nothing read" "$T/o-wrong.jsonl" '.[0] | [has("sys_descr"), has("sys_name"), has("profile")] | any' false
jq_eq "wrong creds: vendor from engine ID" "$T/o-wrong.jsonl" '.[0].vendor + "/" + (.[0].snmp.enterprise | tostring)' net-snmp/8072
jq_eq "wrong creds: engine ID kept" "$T/o-wrong.jsonl" '.[0].snmp.engine_id | test("^80001f88")' true

# 4. v1/v2c only when asked for. The mixed agent has community public and v3 users; with
# no v3 credential it is reported unidentified, never read over v2c behind our back.
creds "$T/c-v2c" wrong-community lab-v2c
run --credentials "$T/c-v2c" "$MIXED" >"$T/o-nov2c.jsonl"
validate_records "$T/o-nov2c.jsonl"
jq_eq "no v2c unless asked" "$T/o-nov2c.jsonl" '[.[] | select(.snmp.version != "v3" or .identified)] | length' 0
run --credentials "$T/c-v2c" --allow-v1v2c "$MIXED" >"$T/o-v2c.jsonl"
validate_records "$T/o-v2c.jsonl"
jq_eq "v2c when asked: identified" "$T/o-v2c.jsonl" '.[0].identified' true
jq_eq "v2c when asked: insecure" "$T/o-v2c.jsonl" '.[0].insecure' true
jq_eq "v2c when asked: version" "$T/o-v2c.jsonl" '.[0].snmp.version' v2c
jq_eq "v2c when asked: right community named" "$T/o-v2c.jsonl" '.[0].credential' lab-v2c
jq_eq "v2c record keeps the engine ID found first" "$T/o-v2c.jsonl" '.[0].snmp.engine_id | length > 0' true
run --credentials "$T/c-v2c" --snmp-version v1 "$MIXED" >"$T/o-v1.jsonl"
validate_records "$T/o-v1.jsonl"
jq_eq "v1 alone" "$T/o-v1.jsonl" '.[0].snmp.version + "/" + (.[0].insecure | tostring)' v1/true

# 5. v2c asked of a v3-only agent finds nothing; --report-unreachable says so.
run --credentials "$T/c-v2c" --snmp-version v2c --report-unreachable "$V3ONLY" >"$T/o-v2only.jsonl"
validate_records "$T/o-v2only.jsonl"
jq_eq "v2c on v3-only: no device" "$T/o-v2only.jsonl" '[.[] | select(.type == "device")] | length' 0
jq_eq "v2c on v3-only: one error record" "$T/o-v2only.jsonl" '[.[] | select(.type == "error") | .tool] | join(",")' dce-discover

# 6. Credentials files readable by others are refused (exit 2), like ssh does.
cp "$T/c-mix" "$T/c-open"
chmod 644 "$T/c-open"
check_status "group-readable credentials refused" 2 run --credentials "$T/c-open" "$V3ONLY"

check_not_contains "no passphrase on stderr" "$(cat "$T/stderr")" "$(lab_cred lab-v3-sha512 auth_pass)"
finish
