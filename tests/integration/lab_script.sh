#!/usr/bin/env bash
# scripts/lab.sh: start brings every lab agent and the Modbus UPS up and prints how to use
# it, a second start keeps the running lab, status and env report it, stop leaves no
# process behind.
. "$(dirname "$0")/../lib/common.sh"
need snmpsimd snmpd snmpget jq mbpoll

export DCE_LAB_DIR="$T/lab-run" DCE_LAB_PORT
DCE_LAB_PORT=$(free_port)
lab="$DCE_SOURCE_DIR/scripts/lab.sh"

# Through a pipe, as people run it: start must return even though its daemons live on
# (they must not hold the pipe open).
timeout 60 "$lab" start 2>&1 | cat >"$T/start.out"
check_eq "start returns through a pipe, exit 0" "0 0" "${PIPESTATUS[*]}"
check_contains "start prints the discover command with the port" "$(cat "$T/start.out")" \
    "dce-discover 127.0.0.0/28 --port $DCE_LAB_PORT"
check_contains "start prints DCE_CREDENTIALS" "$(cat "$T/start.out")" "export DCE_CREDENTIALS=$DCE_LAB_DIR/credentials"
check_eq "credentials file is 0600" 600 "$(stat -c %a "$DCE_LAB_DIR/credentials")"
check_contains "start prints the Modbus discover command" "$(cat "$T/start.out")" \
    "dce-discover --modbus --modbus-port "
pids=$(cat "$DCE_LAB_DIR"/*.pid | sort | tr '\n' ' ')
check_eq "four lab processes" 4 "$(echo $pids | wc -w)"

# Each recording answers on its address; the v3-only agent refuses community public.
check_eq "UPS on 127.0.0.2" '"ups-lab-01"' "$(snmpget -v2c -c public -Oqv -r1 -t1 127.0.0.2:$DCE_LAB_PORT 1.3.6.1.2.1.1.5.0)"
check_eq "NetBotz 450 on 127.0.0.5" '"netbotz-lab-450"' "$(snmpget -v2c -c public -Oqv -r1 -t1 127.0.0.5:$DCE_LAB_PORT 1.3.6.1.2.1.1.5.0)"
check_eq "switch on 127.0.0.8" '"sw-lab-core"' "$(snmpget -v2c -c public -Oqv -r1 -t1 127.0.0.8:$DCE_LAB_PORT 1.3.6.1.2.1.1.5.0)"
. <("$lab" env)
v3() {
    local e=$1 u a x
    u=$(awk -v s="[$e]" '$0==s{o=1;next}/^\[/{o=0}o&&$1=="user"{print $3}' "$DCE_CREDENTIALS")
    a=$(awk -v s="[$e]" '$0==s{o=1;next}/^\[/{o=0}o&&$1=="auth_pass"{print $3}' "$DCE_CREDENTIALS")
    x=$(awk -v s="[$e]" '$0==s{o=1;next}/^\[/{o=0}o&&$1=="priv_pass"{print $3}' "$DCE_CREDENTIALS")
    shift
    snmpget -v3 -l authPriv -u "$u" -a "$1" -A "$a" -x "$2" -X "$x" -Oqv -r1 -t1 "$3:$DCE_LAB_PORT" 1.3.6.1.2.1.1.5.0
}
check_eq "v3 SHA-256/AES-256 on the PDU" '"pdu-lab-a1"' "$(v3 lab-v3-sha256 SHA-256 AES-256 127.0.0.3)"
check_eq "v3 SHA-512 on the v3-only snmpd" '"snmpd-v3only-lab"' "$(v3 lab-v3-sha512 SHA-512 AES-256 127.0.0.15)"
snmpget -v2c -c public -r0 -t0.5 127.0.0.15:$DCE_LAB_PORT 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1
check_eq "v3-only snmpd ignores community public" 1 $?
check_eq "env names the Modbus UPS" 127.0.0.16 "$DCE_LAB_MODBUS_ADDR"
check_eq "Modbus UPS: battery charge register (100 % x 512)" 51200 \
    "$(mbpoll -m tcp -p "$DCE_LAB_MODBUS_PORT" -a 1 -0 -r 130 -c 1 -1 -o 3 127.0.0.16 | sed -n 's/^\[130\]:[[:space:]]*\([0-9]*\).*/\1/p')"

# The command start printed: every lab agent found and identified over SNMPv3.
if command -v dce-discover >/dev/null; then
    dce-discover 127.0.0.0/28 --port "$DCE_LAB_PORT" --timeout 2s --no-progress >"$T/lab.jsonl" 2>/dev/null
    validate_records "$T/lab.jsonl"
    jq_eq "discover finds the 14 lab agents" "$T/lab.jsonl" '[.[] | select(.identified)] | length' 14
    jq_eq "lab profiles" "$T/lab.jsonl" '[.[].profile] | unique | join(",")' \
        "apc-ats,apc-cooling,apc-ems,apc-pdu,apc-pdu-legacy,apc-ups,mib2,netbotz,netbotz-750,ups-mib"
fi

check_status "second start keeps the lab" 0 "$lab" start >/dev/null 2>&1
check_eq "same processes after second start" "$pids" "$(cat "$DCE_LAB_DIR"/*.pid | sort | tr '\n' ' ')"
check_status "status while running" 0 "$lab" status >/dev/null

check_status "stop" 0 "$lab" stop 2>/dev/null
left=0
for p in $pids; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
check_eq "no process left after stop" 0 "$left"
check_status "status after stop" 1 "$lab" status >/dev/null

finish
