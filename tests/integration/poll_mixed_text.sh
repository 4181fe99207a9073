#!/usr/bin/env bash
# dce-poll --format openmetrics/influx with SNMP and Modbus devices in one run: both
# engines' readings go out together, ONE exposition (one # EOF) for a one-shot run, which
# `promtool check metrics` accepts, and in --interval mode every exposition written is
# valid on its own. (Modbus readings used to follow the SNMP exposition with a second
# # EOF block: with an SNMP UPS beside a Modbus UPS the ups.* families then appear twice,
# which promtool rejects.)
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-poll snmpsimd promtool jq
lab_init "$T/lab"
start_snmpsim apc-smartups || skip "snmpsimd did not start"
start_modbus_ups || { fail "the Modbus UPS did not start"; finish; }
snmp_addr=${LAB_ADDR[apc-smartups]}
snmp_id="snmp://$snmp_addr:$SNMPSIM_PORT"
modbus_id="modbus://127.0.0.1:$MODBUS_PORT/1"
{
    jq -nc --arg id "$snmp_id" --arg a "$snmp_addr" --argjson p "$SNMPSIM_PORT" \
        '{type: "device", ts: "2026-11-30T00:00:00Z", id: $id, target: $a, port: $p,
          transport: "snmp", profile: "apc-ups", credential: "lab-v3-sha256"}'
    jq -nc --arg id "$modbus_id" --argjson p "$MODBUS_PORT" \
        '{type: "device", ts: "2026-11-30T00:00:00Z", id: $id, target: "127.0.0.1", port: $p,
          transport: "modbus", modbus: {unit_id: 1}, profile: "apc-smartups-modbus"}'
} >"$T/devices.jsonl"

promcheck() {
    local out
    out=$(promtool check metrics <"$2" 2>&1)
    check_eq "$1: promtool check metrics passes" "0:" "$?:$out"
}
# A generous timeout: snmpsimd answers slowly on a loaded machine, and a round that loses
# the SNMP device would be missing from one exposition.
poll() { dce-poll --credentials "$LAB_CREDENTIALS" --timeout 10s "$@" <"$T/devices.jsonl"; }

# One-shot, OpenMetrics: one valid exposition with both devices' series.
check_status "openmetrics: exit status" 0 poll --format openmetrics >"$T/once.prom" 2>"$T/once.err"
promcheck "openmetrics one-shot" "$T/once.prom"
check_eq "openmetrics: one # EOF" 1 "$(grep -c '^# EOF$' "$T/once.prom")"
check_eq "openmetrics: # EOF is the last line" "# EOF" "$(tail -n1 "$T/once.prom")"
check_contains "openmetrics: the SNMP device's series" "$(cat "$T/once.prom")" "dce_ups_battery_charge{device=\"$snmp_id\""
check_contains "openmetrics: the Modbus device's series" "$(cat "$T/once.prom")" "dce_ups_battery_charge{device=\"$modbus_id\""

# One-shot, influx: both devices, and nothing else on stdout.
check_status "influx: exit status" 0 poll --format influx >"$T/once.influx" 2>"$T/once.ierr"
check_contains "influx: the SNMP device" "$(cat "$T/once.influx")" "ups.battery.charge,device=$snmp_id"
check_contains "influx: the Modbus device" "$(cat "$T/once.influx")" "ups.battery.charge,device=$modbus_id"

# --interval: two rounds; every exposition written is valid by itself and the rounds hold
# both devices.
check_status "interval: exit status" 0 poll --format openmetrics --interval 1 --rounds 2 \
    --jitter 0 >"$T/rounds.prom" 2>"$T/rounds.err"
n=$(grep -c '^# EOF$' "$T/rounds.prom")
check_eq "interval: at least one exposition per round" true "$([ "$n" -ge 2 ] && echo true || echo false)"
awk -v dir="$T" '{ print > (dir "/round." n ".prom") } /^# EOF$/ { n++ }' n=0 "$T/rounds.prom"
for f in "$T"/round.*.prom; do
    promcheck "interval $(basename "$f")" "$f"
done
check_eq "interval: the Modbus charge in both rounds" 2 \
    "$(grep -c "^dce_ups_battery_charge{device=\"$modbus_id\"" "$T/rounds.prom")"
check_eq "interval: the SNMP charge in both rounds" 2 \
    "$(grep -c "^dce_ups_battery_charge{device=\"$snmp_id\"" "$T/rounds.prom")"
finish
