#!/usr/bin/env bash
# dce-discover against the simulated lab: every recording on its own loopback address
# (snmpsim, SNMPv3 authPriv) plus a v3-only net-snmp agent. Checks that each device is
# found with the identity the recordings hold (lab/README.md), the right profile and
# class, the credential NAME that worked, and that silent addresses make no noise.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/lab.sh"
need dce-discover snmpsimd snmpd snmpget jq

lab_init "$T/lab"
start_snmpsim apc-smartups apc-rpdu2 apc-rpdu-legacy netbotz-450 netbotz-750 eaton-ups switch \
    apc-smartups-onbattery apc-rpdu2-3ph apc-ats apc-inrow apc-emu || skip "snmpsimd did not start"
start_snmpd --v3-only --address 127.0.0.20 || skip "snmpd did not start"

# 127.0.0.2-127.0.0.15 on snmpsim's port (12 devices, 2 silent addresses) and the snmpd
# on its own port, as a @file with a comment, the way an inventory is written.
cat >"$T/targets" <<EOF2
# lab
127.0.0.2-15
127.0.0.20:$SNMPD_PORT
EOF2
out="$T/devices.jsonl"
check_status "discover exits 0" 0 \
    dce-discover --credentials "$LAB_CREDENTIALS" --port "$SNMPSIM_PORT" --timeout 2s \
    --no-progress "@$T/targets" >"$out" 2>"$T/stderr"
validate_records "$out"
jq_eq "one record per device" "$out" 'length' 13
jq_eq "all device records" "$out" '[.[].type] | unique | join(",")' device
jq_eq "all over SNMPv3 authPriv" "$out" '[.[] | .snmp.version + "/" + .snmp.security_level] | unique | join(",")' "v3/authPriv"
jq_eq "none insecure" "$out" '[.[] | select(.insecure == true)] | length' 0
jq_eq "all identified" "$out" '[.[] | select(.identified != true)] | length' 0
jq_eq "first credential that works is named" "$out" '[.[].credential] | unique | join(",")' lab-v3-sha

dev() { jq -rs --arg id "snmp://$1" ".[] | select(.id == \$id) | $2" "$out"; }
ups="${LAB_ADDR[apc-smartups]}:$SNMPSIM_PORT"
check_eq "ups vendor" "APC by Schneider Electric" "$(dev "$ups" .vendor)"
check_eq "ups model (upsBasicIdentModel)" "Smart-UPS 1500" "$(dev "$ups" .model)"
check_eq "ups serial" "AS2111123456" "$(dev "$ups" .serial)"
check_eq "ups firmware" "UPS 09.3 (ID18)" "$(dev "$ups" .firmware)"
check_eq "ups class" ups "$(dev "$ups" .class)"
check_eq "ups profile" apc-ups "$(dev "$ups" .profile)"
# Several functions on one device: the UPS's own tables and the sensors on its card.
check_eq "ups profiles: UPS first, then its sensors" "apc-ups,apc-iem,apc-mem,apc-uio" \
    "$(dev "$ups" '[.profiles[].name] | .[0:1] + (.[1:] | sort) | join(",")')"
check_contains "ups profile reason names the family" "$(dev "$ups" '.profiles[0].reason')" \
    "sysObjectID under 1.3.6.1.4.1.318"
check_contains "uio profile reason names the table that answered" \
    "$(dev "$ups" '.profiles[] | select(.name=="apc-uio") | .reason')" "answer"
check_eq "ups card model from sysDescr" AP9631 "$(dev "$ups" .card.model)"
check_eq "ups card serial from sysDescr" ZA1234567890 "$(dev "$ups" .card.serial)"
check_eq "ups card firmware" v6.8.2 "$(dev "$ups" .card.firmware)"
check_eq "ups sysName" ups-lab-01 "$(dev "$ups" .sys_name)"
check_eq "ups sysObjectID" 1.3.6.1.4.1.318.1.3.2.12 "$(dev "$ups" .sys_object_id)"
check_eq "ups uptime in seconds" 1234567 "$(dev "$ups" .uptime)"
check_eq "ups engine ID" "${LAB_ENGINE_ID[apc-smartups]}" "$(dev "$ups" .snmp.engine_id)"
check_eq "ups enterprise" 318 "$(dev "$ups" .snmp.enterprise)"
check_eq "ups target" "${LAB_ADDR[apc-smartups]}" "$(dev "$ups" .target)"
check_eq "ups port" "$SNMPSIM_PORT" "$(dev "$ups" .port)"

ups2="${LAB_ADDR[apc-smartups-onbattery]}:$SNMPSIM_PORT"
check_eq "SRT model" "Smart-UPS SRT 3000" "$(dev "$ups2" .model)"
check_eq "SRT card AP9641" AP9641 "$(dev "$ups2" .card.model)"
check_eq "SRT profile" apc-ups "$(dev "$ups2" .profile)"

pdu="${LAB_ADDR[apc-rpdu2]}:$SNMPSIM_PORT"
check_eq "rPDU2 model" AP8941 "$(dev "$pdu" .model)"
check_eq "rPDU2 serial" 5A1234E56789 "$(dev "$pdu" .serial)"
check_eq "rPDU2 firmware" v6.9.6 "$(dev "$pdu" .firmware)"
check_eq "rPDU2 class" pdu "$(dev "$pdu" .class)"
check_eq "rPDU2 profile" apc-pdu "$(dev "$pdu" .profile)"

old="${LAB_ADDR[apc-rpdu-legacy]}:$SNMPSIM_PORT"
check_eq "AP7900 model" AP7900 "$(dev "$old" .model)"
check_eq "AP7900 class" pdu "$(dev "$old" .class)"
check_eq "AP7900 profile" apc-pdu-legacy "$(dev "$old" .profile)"

# A PDU whose rPDU2 ident table is empty (as real AP7900B/AP89xx agents): found by the
# phase and device status tables that do answer, never by one scalar.
pdu3="${LAB_ADDR[apc-rpdu2-3ph]}:$SNMPSIM_PORT"
check_eq "PDU without ident rows: profile" apc-pdu "$(dev "$pdu3" .profile)"
check_eq "PDU without ident rows: class" pdu "$(dev "$pdu3" .class)"
check_eq "PDU without ident rows: model from the card" AP8965 "$(dev "$pdu3" .model)"
check_eq "PDU sensors too" true "$(dev "$pdu3" '[.profiles[].name] | index("apc-pdu-sensors") != null')"
ats="${LAB_ADDR[apc-ats]}:$SNMPSIM_PORT"
check_eq "ATS profile" apc-ats "$(dev "$ats" .profile)"
check_eq "ATS class" ats "$(dev "$ats" .class)"
inrow="${LAB_ADDR[apc-inrow]}:$SNMPSIM_PORT"
check_eq "InRow class" cooling "$(dev "$inrow" .class)"
check_eq "InRow profiles" "apc-cooling,apc-inrow" "$(dev "$inrow" '[.profiles[].name] | sort | join(",")')"
emu="${LAB_ADDR[apc-emu]}:$SNMPSIM_PORT"
check_eq "EMU class" sensor "$(dev "$emu" .class)"
check_eq "EMU profiles" "apc-ems,apc-mem" "$(dev "$emu" '[.profiles[].name] | sort | join(",")')"

nb="${LAB_ADDR[netbotz-450]}:$SNMPSIM_PORT"
check_eq "NetBotz 450 vendor" "NetBotz (APC)" "$(dev "$nb" .vendor)"
check_eq "NetBotz 450 serial (ENTITY-MIB)" QA1234567890 "$(dev "$nb" .serial)"
check_eq "NetBotz 450 class" sensor "$(dev "$nb" .class)"
check_eq "NetBotz 450 profile" netbotz "$(dev "$nb" .profile)"
check_eq "NetBotz 450 enterprise from engine ID" 5528 "$(dev "$nb" .snmp.enterprise)"
nb7="${LAB_ADDR[netbotz-750]}:$SNMPSIM_PORT"
check_eq "NetBotz 750 serial" NB2222001234 "$(dev "$nb7" .serial)"
check_eq "NetBotz 750 class" sensor "$(dev "$nb7" .class)"
check_eq "NetBotz 750 enterprise" 52674 "$(dev "$nb7" .snmp.enterprise)"

eaton="${LAB_ADDR[eaton-ups]}:$SNMPSIM_PORT"
check_eq "Eaton model (UPS-MIB)" "Eaton 5PX 1500" "$(dev "$eaton" .model)"
check_eq "Eaton class" ups "$(dev "$eaton" .class)"
check_eq "Eaton profile" ups-mib "$(dev "$eaton" .profile)"

sw="${LAB_ADDR[switch]}:$SNMPSIM_PORT"
check_eq "switch vendor" Juniper "$(dev "$sw" .vendor)"
check_eq "switch model from sysDescr" ex2300-24t "$(dev "$sw" .model)"
check_eq "switch class" network "$(dev "$sw" .class)"

sd="127.0.0.20:$SNMPD_PORT"
check_eq "v3-only snmpd found" "snmpd-lab" "$(dev "$sd" .sys_name)"
check_eq "v3-only snmpd vendor" net-snmp "$(dev "$sd" .vendor)"
check_eq "v3-only snmpd enterprise" 8072 "$(dev "$sd" .snmp.enterprise)"

# No secret of the credentials file reaches the records or the log.
pass=$(lab_cred lab-v3-sha auth_pass)
check_not_contains "no passphrase in records" "$(cat "$out")" "$pass"
check_not_contains "no passphrase on stderr" "$(cat "$T/stderr")" "$pass"
check_contains "summary line on stderr" "$(cat "$T/stderr")" "probed 15, answered 13, devices 13"

finish
