#!/usr/bin/env bash
# A Modbus TCP gateway with units 1, 2 and 3 behind one address, unit 2 dead (it never
# answers; the lab UPS reads and drops its requests on the shared connection): units 1
# and 3 give every reading a lone UPS gives, unit 2 gets an error record, nothing else is
# lost (telegraf #11782 discards every unit's data). dce-discover --unit-ids 1-3 finds
# units 1 and 3 with their own serials.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-discover dce-poll jq
lab_init "$T/lab"
start_modbus_ups --name alone || { fail "the single UPS did not start"; finish; }
alone=$MODBUS_PORT
start_modbus_ups --name gw --units 1,2,3 --dead-unit 2 || { fail "the gateway did not start"; finish; }
P=$MODBUS_PORT
id() { echo "modbus://127.0.0.1:$P/$1"; }

dce-discover --modbus --modbus-port "$P" --unit-ids 1-3 --timeout 2s 127.0.0.1 >"$T/disc.jsonl" 2>"$T/disc.err"
validate_records "$T/disc.jsonl"
check_eq "discover: units 1 and 3, not the dead one" "$(id 1) AS1234567890
$(id 3) AS1234567892" \
    "$(jq -r 'select(.type == "device" and .transport == "modbus") | "\(.id) \(.serial)"' "$T/disc.jsonl" | sort)"

# The devices as an earlier discovery knew them, unit 2 among them, in unit order.
for u in 1 2 3; do
    jq -cn --arg id "$(id "$u")" --argjson port "$P" --argjson u "$u" \
        '{type: "device", ts: "2026-11-30T05:00:00.000Z", id: $id, target: "127.0.0.1",
          transport: "modbus", port: $port, modbus: {unit_id: $u}, vendor: "APC",
          model: "Smart-UPS SRT 3000", class: "ups", profile: "apc-smartups-modbus",
          profiles: [{name: "apc-smartups-modbus", reason: "test"}]}'
done >"$T/devices.jsonl"
validate_records "$T/devices.jsonl"

dce-poll --timeout 2s --retries 1 --no-forward <"$T/devices.jsonl" >"$T/poll.jsonl" 2>"$T/poll.err"
check_eq "exit status: a device failed" 3 "$?"
validate_records "$T/poll.jsonl"
# The same map read from a lone UPS: what each live unit must give.
dce-poll --timeout 3s --profile apc-smartups-modbus "modbus://127.0.0.1:$alone/1" >"$T/alone.jsonl" 2>/dev/null
readings() {  # readings FILE DEVICE: "metric=value" sorted, one line
    jq -rs --arg d "$2" '[.[] | select(.type == "reading" and .device == $d) | "\(.metric)=\(.value)"] | sort | join(" ")' "$1"
}
want=$(readings "$T/alone.jsonl" "modbus://127.0.0.1:$alone/1")
check_eq "the lone UPS gives readings" true "$([ -n "$want" ] && echo true || echo false)"
check_eq "unit 1: every reading" "$want" "$(readings "$T/poll.jsonl" "$(id 1)")"
check_eq "unit 3: every reading" "$want" "$(readings "$T/poll.jsonl" "$(id 3)")"
check_eq "unit 2: no readings" "" "$(readings "$T/poll.jsonl" "$(id 2)")"
check_eq "error records: unit 2 only" "$(id 2)" \
    "$(jq -r 'select(.type == "error") | .target' "$T/poll.jsonl" | sort -u | paste -sd' ')"
check_eq "the error names the tool" dce-poll "$(jq -r 'select(.type == "error") | .tool' "$T/poll.jsonl" | head -1)"

# The dead unit first: the others still answer after it.
{ sed -n 2p "$T/devices.jsonl"; sed -n 1p "$T/devices.jsonl"; sed -n 3p "$T/devices.jsonl"; } >"$T/dead-first.jsonl"
dce-poll --timeout 2s --retries 0 --no-forward <"$T/dead-first.jsonl" >"$T/poll2.jsonl" 2>/dev/null
check_eq "dead unit first: unit 1 complete" "$want" "$(readings "$T/poll2.jsonl" "$(id 1)")"
check_eq "dead unit first: unit 3 complete" "$want" "$(readings "$T/poll2.jsonl" "$(id 3)")"
finish
