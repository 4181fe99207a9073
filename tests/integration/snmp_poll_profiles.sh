#!/usr/bin/env bash
# Each shipped profile polls a recording served by snmpsim: scaled values, units and
# states are checked against the recording; OpenMetrics and InfluxDB outputs too.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need snmpsimd jq dce-poll
lab_init "$T/lab"
start_snmpsim apc-smartups apc-smartups-onbattery apc-rpdu2 apc-rpdu-legacy netbotz-450 netbotz-750 eaton-ups switch ||
    skip "snmpsimd did not start"
poll() {  # poll NAME PROFILE [options]: v3 SHA-256/AES-256, the recording's context
    local name=$1 profile=$2; shift 2
    dce-poll --credentials "$LAB_CREDENTIALS" --credential lab-v3-sha256 --profile "$profile" \
        "$@" "${LAB_ADDR[$name]}:$SNMPSIM_PORT" 2>>"$T/poll.err"
}
val() {  # val FILE METRIC [jq-condition]: the value of one reading
    jq -rs --arg m "$2" "[.[] | select(.type==\"reading\" and .metric==\$m ${3:+and $3}) | .value] | .[0]" "$1"
}

poll apc-smartups apc-ups,apc-uio,apc-iem,apc-mem >"$T/ups.jsonl"; check_eq "apc-ups exit" 0 $?
validate_records "$T/ups.jsonl"
check_eq "ups charge (high precision 1000 x 0.1)" "100" "$(val "$T/ups.jsonl" ups.battery.charge)"
check_eq "ups battery temperature 243 x 0.1" "24.3" "$(val "$T/ups.jsonl" ups.battery.temperature)"
check_eq "ups runtime: TimeTicks 270000 -> s" "2700" "$(val "$T/ups.jsonl" ups.battery.runtime)"
check_eq "ups input voltage 2301 x 0.1" "230.1" "$(val "$T/ups.jsonl" ups.input.voltage)"
check_eq "ups output source (vocabulary)" "online" "$(val "$T/ups.jsonl" ups.output.source)"
check_eq "ups output source raw (upsBasicOutputStatus onLine)" "2" "$(jq -rs '[.[]|select(.metric=="ups.output.source")|.raw][0]' "$T/ups.jsonl")"
check_eq "ups replace battery (MIB enum name)" "noBatteryNeedsReplacing" "$(val "$T/ups.jsonl" ups.battery.replace)"
check_eq "ups unit" "volt" "$(jq -rs '[.[]|select(.metric=="ups.input.voltage")|.unit][0]' "$T/ups.jsonl")"
check_eq "uio temperature label" "23" "$(val "$T/ups.jsonl" env.temperature '.labels.name=="Cold aisle"')"
check_eq "uio -1 is no reading" "null" "$(val "$T/ups.jsonl" env.humidity '.labels.port=="2"')"
check_eq "iem temperature" "22" "$(val "$T/ups.jsonl" env.temperature '.labels.probe=="1"')"
check_eq "memSensors humidity" "38" "$(val "$T/ups.jsonl" env.humidity '.labels.module!=null')"

poll apc-smartups-onbattery apc-ups >"$T/ob.jsonl"
validate_records "$T/ob.jsonl"
check_eq "on battery (vocabulary)" "battery" "$(val "$T/ob.jsonl" ups.output.source)"

poll apc-rpdu2 apc-pdu,apc-pdu-sensors >"$T/pdu.jsonl"; check_eq "apc-pdu exit" 0 $?
validate_records "$T/pdu.jsonl"
check_eq "pdu power 154 x 0.01 kW in W" "1540" "$(val "$T/pdu.jsonl" pdu.power)"
check_eq "pdu energy 38441 x 0.1 kWh" "3844.1" "$(val "$T/pdu.jsonl" pdu.energy)"
check_eq "phase current 67 x 0.1 A" "6.7" "$(val "$T/pdu.jsonl" pdu.phase.current)"
check_eq "outlet 1 state on (rPDU2: 2 = on)" "on" "$(val "$T/pdu.jsonl" pdu.outlet.state '.labels.outlet=="1"')"
check_eq "outlet 1 name label" "db-01 PSU1" "$(jq -rs '[.[]|select(.metric=="pdu.outlet.state" and .labels.outlet=="1")|.labels.name][0]' "$T/pdu.jsonl")"
check_eq "outlet energy 1237 x 0.1" "123.7" "$(val "$T/pdu.jsonl" pdu.outlet.energy '.labels.outlet=="1"')"
check_eq "pdu sensor temperature 268 x 0.1" "26.8" "$(val "$T/pdu.jsonl" env.temperature)"

poll apc-rpdu-legacy apc-pdu-legacy >"$T/legacy.jsonl"; check_eq "legacy exit" 0 $?
validate_records "$T/legacy.jsonl"
check_eq "legacy load 37 x 0.1 A" "3.7" "$(val "$T/legacy.jsonl" pdu.phase_bank.current)"
check_eq "legacy outlet 1 (1 = on, reverse of rPDU2)" "on" "$(val "$T/legacy.jsonl" pdu.outlet.state '.labels.outlet=="1"')"
check_eq "legacy raw kept" "1" "$(jq -rs '[.[]|select(.metric=="pdu.outlet.state" and .labels.outlet=="1")|.raw][0]' "$T/legacy.jsonl")"

for nb in netbotz-450:netbotz netbotz-750:netbotz-750; do
    rec=${nb%%:*} prof=${nb#*:}
    poll "$rec" "$prof" >"$T/$rec.jsonl"; check_eq "$rec exit" 0 $?
    validate_records "$T/$rec.jsonl"
    check_eq "$rec temperature 221 x 0.1" "22.1" "$(val "$T/$rec.jsonl" env.temperature '.labels.sensor=="1063232305"')"
    check_eq "$rec humidity 453 x 0.1" "45.3" "$(val "$T/$rec.jsonl" env.humidity '.labels.sensor=="1063232306"')"
    check_eq "$rec door (MIB: 1 = closed)" "closed" "$(val "$T/$rec.jsonl" env.door '.labels.sensor=="2022220001"')"
    check_eq "$rec dry contact" "open" "$(val "$T/$rec.jsonl" env.dry_contact '.labels.sensor=="2011110001"')"
done

poll eaton-ups ups-mib >"$T/eaton.jsonl"; check_eq "ups-mib exit" 0 $?
validate_records "$T/eaton.jsonl"
check_eq "ups-mib runtime minutes -> s" "3120" "$(val "$T/eaton.jsonl" ups.battery.runtime)"
check_eq "ups-mib battery voltage 542 x 0.1" "54.2" "$(val "$T/eaton.jsonl" ups.battery.voltage)"
check_eq "ups-mib output source (normal -> online)" "online" "$(val "$T/eaton.jsonl" ups.output.source)"
check_eq "ups-mib output current 21 x 0.1" "2.1" "$(val "$T/eaton.jsonl" ups.output.current)"

poll switch mib2 >"$T/switch.jsonl"; check_eq "mib2 exit" 0 $?
validate_records "$T/switch.jsonl"
check_eq "ifHCInOctets is Counter64" "Counter64" "$(jq -rs '[.[]|select(.metric=="net.if.in_octets")|.snmp_type][0]' "$T/switch.jsonl")"
check_eq "interface name label" "ge-0/0/0" "$(jq -rs '[.[]|select(.metric=="net.if.in_octets" and .labels.ifindex=="1")|.labels.name][0]' "$T/switch.jsonl")"

# OpenMetrics: families, TYPE/HELP, escaping, # EOF last; promtool-free structural check.
poll apc-rpdu2 apc-pdu --format openmetrics >"$T/pdu.prom"; check_eq "openmetrics exit" 0 $?
check_eq "openmetrics ends with # EOF" "# EOF" "$(tail -n1 "$T/pdu.prom")"
check_contains "openmetrics TYPE" "$(cat "$T/pdu.prom")" "# TYPE dce_pdu_outlet_power gauge"
check_contains "openmetrics sample" "$(cat "$T/pdu.prom")" "dce_pdu_power{device=\"snmp://${LAB_ADDR[apc-rpdu2]}:$SNMPSIM_PORT\",pdu=\"1\",name=\"pdu-lab-a1\"} 1540"
check_contains "openmetrics state as label" "$(cat "$T/pdu.prom")" 'state="on"'
bad_lines=$(grep -vcE '^(# (TYPE|HELP) [a-zA-Z_:][a-zA-Z0-9_:]* .+|# EOF|[a-zA-Z_:][a-zA-Z0-9_:]*\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\} [-+0-9.eE]+(Inf|NaN)?)$' "$T/pdu.prom")
check_eq "every openmetrics line well-formed" "0" "$bad_lines"
# one TYPE line per family
check_eq "families not repeated" "$(grep -c '^# TYPE' "$T/pdu.prom")" "$(grep '^# TYPE' "$T/pdu.prom" | sort -u | wc -l)"

poll apc-rpdu2 apc-pdu --format influx >"$T/pdu.influx"; check_eq "influx exit" 0 $?
check_contains "influx line" "$(cat "$T/pdu.influx")" 'pdu.outlet.state,device=snmp://'
check_contains "influx escaped space in tag" "$(cat "$T/pdu.influx")" 'name=db-01\ PSU1'
check_contains "influx state string and raw" "$(cat "$T/pdu.influx")" 'value="on",raw=2i'
bad_influx=$(grep -vcE '^[^ ,]+(,([^=, ]|\\[ ,=])+=([^=, ]|\\[ ,=])+)* value=("([^"\\]|\\.)*"(,raw=-?[0-9]+i)?|-?[0-9.eE+-]+i?) [0-9]+$' "$T/pdu.influx")
check_eq "every influx line well-formed" "0" "$bad_influx"

# A device record from dce-discover is polled, forwarded, and a dead one is an error record.
printf '%s\n' \
  "{\"type\":\"device\",\"ts\":\"2026-11-22T07:30:00.000Z\",\"id\":\"snmp://${LAB_ADDR[apc-smartups]}:$SNMPSIM_PORT\",\"target\":\"${LAB_ADDR[apc-smartups]}\",\"transport\":\"snmp\",\"port\":$SNMPSIM_PORT,\"snmp\":{\"version\":\"v3\"},\"profile\":\"apc-ups\",\"credential\":\"lab-v3-sha\"}" \
  "{\"type\":\"device\",\"ts\":\"2026-11-22T07:30:00.000Z\",\"id\":\"snmp://127.0.0.1:$(free_port)\",\"target\":\"127.0.0.1\",\"transport\":\"snmp\",\"port\":$(free_port),\"profile\":\"apc-ups\",\"credential\":\"lab-v3-sha\"}" \
  >"$T/devices.jsonl"
# Time enough for snmpsim (one Python process) on a loaded machine: only the dead one
# may time out.
dce-poll --credentials "$LAB_CREDENTIALS" --timeout 3s --retries 0 <"$T/devices.jsonl" >"$T/piped.jsonl" 2>"$T/piped.err"
check_eq "a dead device makes exit 3" 3 $?
validate_records "$T/piped.jsonl"
jq_eq "device records forwarded" "$T/piped.jsonl" '[.[]|select(.type=="device")]|length' "2"
jq_eq "readings from the live device" "$T/piped.jsonl" '[.[]|select(.type=="reading")]|length > 10' "true"
jq_eq "timeout error for the dead one" "$T/piped.jsonl" '[.[]|select(.type=="error")|.code]|join(",")' "timeout"
check_contains "summary line on stderr" "$(cat "$T/piped.err")" "2 device(s)"
finish
