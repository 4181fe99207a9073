#!/usr/bin/env bash
# DCE_SNMP_DEBUG=ALL shows net-snmp's debug output, but never the v2c community (issue 9):
# its packet dumps printed the community as text (dumpv_*) and as hex (dumpx_*). Run
# against tests/lib/fake_agent.py on loopback with a distinctive random community.
. "$(dirname "$0")/../lib/common.sh"
need dce-poll jq
community="dceComm$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
bg_start /usr/bin/python3 "$DCE_SOURCE_DIR/tests/lib/fake_agent.py" "$T/agent.port" \
    --community "$community"
for _ in $(seq 1 100); do [ -s "$T/agent.port" ] && break; sleep 0.1; done
[ -s "$T/agent.port" ] || skip "fake agent did not start"
port=$(cat "$T/agent.port")
(umask 077; printf '[lab]\nkind = community\ncommunity = %s\n' "$community" >"$T/cred")
hex=$(printf '%s' "$community" | od -An -tx1 | tr -d '\n' | tr 'a-f' 'A-F' | sed 's/^ //')

for tokens in ALL dumpv,dumpx,snmp_api; do
    DCE_SNMP_DEBUG=$tokens dce-poll --credentials "$T/cred" --credential lab --snmp-version v2c \
        --timeout 2s --retries 1 --profile mib2 "127.0.0.1:$port" >"$T/out.jsonl" 2>"$T/err"
    check_eq "$tokens: poll exit" 0 $?
    validate_records "$T/out.jsonl"
    jq_eq "$tokens: the agent was read" "$T/out.jsonl" '[.[] | select(.type=="reading")] | length > 0' true
    err=$(cat "$T/err")
    # The debug output is there (so the check below is not vacuous)...
    check_contains "$tokens: packet dump shown" "$err" "dumpv_send:"
    check_contains "$tokens: community field shown, masked" "$err" "String:	***"
    # ...and the community is not, neither as text nor as hex (first 6 bytes: the dump
    # wraps lines after 16 bytes, and its first line holds the tag, length and 14 bytes).
    check_not_contains "$tokens: community text" "$err" "$community"
    check_not_contains "$tokens: community hex" "$err" "${hex:0:17}"
    check_eq "$tokens: no line with the community's hex" 0 \
        "$(tr -d ' \n' <"$T/err" | grep -ci "$(printf '%s' "$community" | od -An -tx1 | tr -d ' \n')")"
done
finish
