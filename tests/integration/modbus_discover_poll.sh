#!/usr/bin/env bash
# dce-discover --modbus | dce-poll against the lab's Modbus TCP Smart-UPS
# (tests/lib/modbus_ups.py, the APC map): the device record names the UPS from Read
# Device Identification and the APC identity registers and picks the
# apc-smartups-modbus map; dce-poll reads it with the binary-point scales and the same
# metric names as the SNMP UPS profiles (profiles/apc-ups.json). --plan sends nothing;
# a modbus:// target on the command line polls the same. Values: tests/lib/modbus_ups.py.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-discover dce-poll jq
lab_init "$T/lab"
start_modbus_ups || { fail "the Modbus UPS did not start"; finish; }
P=$MODBUS_PORT
id="modbus://127.0.0.1:$P/1"

dce-discover --modbus --modbus-port "$P" --unit-ids 1 --timeout 3s 127.0.0.1 >"$T/disc.jsonl" 2>"$T/disc.err"
check_eq "discover: exit status" 0 "$?"
validate_records "$T/disc.jsonl"
jq -c 'select(.type == "device" and .transport == "modbus")' "$T/disc.jsonl" >"$T/dev.jsonl"
check_eq "discover: one Modbus device" 1 "$(wc -l <"$T/dev.jsonl")"
d() { jq -r "$1" "$T/dev.jsonl"; }
check_eq "id names the real port and the unit" "$id" "$(d .id)"
check_eq "target, port, unit id" "127.0.0.1 $P 1" "$(d '"\(.target) \(.port) \(.modbus.unit_id)"')"
check_eq "vendor: APC or Schneider Electric (VendorName)" true "$(d '.vendor // "" | test("^(APC|Schneider Electric)")')"
check_eq "model (identity registers / ModelName)" "Smart-UPS SRT 3000" "$(d .model)"
check_eq "serial from the APC registers" "AS1234567890" "$(d .serial)"
check_eq "firmware" "UPS 15.5" "$(d .firmware)"
check_eq "class" ups "$(d .class)"
check_eq "profile: the APC register map" apc-smartups-modbus "$(d .profile)"
check_eq "profiles list names it with a reason" "apc-smartups-modbus true" \
    "$(d '"\(.profiles[0].name) \((.profiles[0].reason // "") != "")"')"

# --no-snmp --modbus: a Modbus-only sweep, no SNMP timeout, the same device record.
dce-discover --no-snmp --modbus --modbus-port "$P" --unit-ids 1 --timeout 3s 127.0.0.1 \
    >"$T/nosnmp.jsonl" 2>"$T/nosnmp.err"
check_eq "--no-snmp --modbus: exit status" 0 "$?"
check_eq "--no-snmp --modbus: the same device" "$id" \
    "$(jq -r 'select(.type == "device") | .id' "$T/nosnmp.jsonl")"
check_eq "--no-snmp --modbus: no SNMP summary" "" "$(grep 'probed .*answered' "$T/nosnmp.err")"

# --plan: the planned requests, nothing sent.
before=$(modbus_ups_stats)
dce-poll --plan --no-forward <"$T/dev.jsonl" >"$T/plan.jsonl" 2>"$T/plan.err"
check_eq "--plan: exit status" 0 "$?"
check_eq "--plan: only plan records" true "$(jq -s 'length > 0 and all(.type == "plan")' "$T/plan.jsonl")"
check_eq "--plan: nothing sent" "$before" "$(modbus_ups_stats)"

dce-poll --timeout 3s <"$T/dev.jsonl" >"$T/poll.jsonl" 2>"$T/poll.err"
check_eq "poll: exit status" 0 "$?"
validate_records "$T/poll.jsonl"
check_eq "poll: no error records" 0 "$(jq -s '[.[] | select(.type == "error")] | length' "$T/poll.jsonl")"
check_eq "poll: the device record passes through" 1 "$(jq -s '[.[] | select(.type == "device")] | length' "$T/poll.jsonl")"
# val METRIC [DIGITS]: the reading's value for this device, rounded to DIGITS decimals.
val() {
    jq -rs --arg m "$1" --arg id "$id" --argjson k "${2:-3}" \
        '[.[] | select(.type == "reading" and .device == $id and .metric == $m) | .value] | .[0]
         | if type == "number" then (. * pow(10; $k) | round) / pow(10; $k) else . end' "$T/poll.jsonl"
}
check_eq "charge 51200/512" 100 "$(val ups.battery.charge)"
check_eq "runtime: uint32 over 128-129" 2400 "$(val ups.battery.runtime)"
check_eq "battery voltage 1747/32" 54.6 "$(val ups.battery.voltage 1)"
check_eq "battery temperature 3648/128" 28.5 "$(val ups.battery.temperature)"
check_eq "load 9472/256" 37 "$(val ups.output.load)"
check_eq "output current 166/32" 5.2 "$(val ups.output.current 1)"
check_eq "output voltage 14726/64" 230.1 "$(val ups.output.voltage 1)"
check_eq "output frequency 6400/128" 50 "$(val ups.output.frequency)"
check_eq "input voltage 14707/64" 229.8 "$(val ups.input.voltage 1)"
src() { jq -rs --arg m "$1" '[.[] | select(.type == "reading" and .metric == $m) | .source] | .[0]' "$T/poll.jsonl"; }
check_eq "source: table and address" "modbus:hr:130" "$(src ups.battery.charge)"
check_eq "source of a 32-bit value: its first register" "modbus:hr:128" "$(src ups.battery.runtime)"
check_eq "units as in the SNMP profiles" "percent second volt" \
    "$(jq -rs '[.[] | select(.type == "reading")] as $r | ["ups.battery.charge", "ups.battery.runtime", "ups.output.voltage"]
               | map(. as $m | [$r[] | select(.metric == $m) | .unit][0]) | join(" ")' "$T/poll.jsonl")"
check_eq "the status word (0-1) is read and decoded" true \
    "$(jq -s 'any(.[]; .type == "reading" and (.source // "" | startswith("modbus:hr:0")))' "$T/poll.jsonl")"

# A modbus:// target on the command line, with --profile.
dce-poll --timeout 3s --profile apc-smartups-modbus "$id" >"$T/cmd.jsonl" 2>"$T/cmd.err"
check_eq "command-line target: exit status" 0 "$?"
validate_records "$T/cmd.jsonl"
check_eq "command-line target: the same readings" \
    "$(jq -cs '[.[] | select(.type == "reading") | [.metric, .value]] | sort' "$T/poll.jsonl")" \
    "$(jq -cs '[.[] | select(.type == "reading") | [.metric, .value]] | sort' "$T/cmd.jsonl")"
finish
