#!/usr/bin/env bash
# dce-audit's modbus.exposure against a real Modbus TCP server (pymodbus) on loopback,
# and firmware.minimum over device records on stdin, the way `dce-discover | dce-audit -`
# runs: below the minimum fails, at or above passes, unknown firmware or model skips.
. "$(dirname "$0")/../lib/common.sh"
need dce-audit jq
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || skip "python3-pymodbus is not installed"

# ---- modbus.exposure ------------------------------------------------------------------
mb=$(free_port)
bg_start /usr/bin/python3 "$DCE_SOURCE_DIR/tests/lib/modbus_server.py" "$mb" 2>"$T/modbus.log"
wait_tcp "$mb" || { cat "$T/modbus.log" >&2; fail "the Modbus server did not start"; finish; }
closed=$(free_port)

# A server that answers every request with exception 01 (illegal function), and one that
# is not Modbus at all.
cat >"$T/fake.py" <<'PY'
import socket, sys
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(8)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        req = c.recv(260)
        if mode == "exception" and len(req) >= 8:
            c.sendall(req[0:2] + b"\0\0\0\3" + req[6:7] + bytes([req[7] | 0x80, 1]))
        else:
            c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
    except OSError:
        pass
    c.close()
PY
exc=$(free_port)
bg_start /usr/bin/python3 "$T/fake.py" exception "$exc"
garbage=$(free_port)
bg_start /usr/bin/python3 "$T/fake.py" garbage "$garbage"
wait_tcp "$exc" && wait_tcp "$garbage" || fail "the fake servers did not start"

cat >"$T/modbus.json" <<JSON
{
  "targets": [
    {"address": "127.0.0.1", "name": "exposed", "modbus": {"port": $mb}},
    {"address": "127.0.0.1", "name": "gateway", "modbus": {"port": $mb, "expected": true}},
    {"address": "127.0.0.1", "name": "off", "modbus": {"port": $closed}},
    {"address": "127.0.0.1", "name": "missing", "modbus": {"port": $closed, "expected": true}},
    {"address": "127.0.0.1", "name": "exc", "modbus": {"port": $exc, "expected": true}},
    {"address": "127.0.0.1", "name": "notmodbus", "modbus": {"port": $garbage, "expected": true}}
  ]
}
JSON
dce-audit --policy "$T/modbus.json" --only 'modbus.*' --timeout 3s >"$T/mb.jsonl" 2>"$T/mb.err"
check_eq "modbus: exit status with failures" 1 "$?"
validate_records "$T/mb.jsonl"
m() { jq -rs --arg t "$1" ".[] | select(.target | startswith(\$t + \" \")) | $2" "$T/mb.jsonl"; }
check_eq "findings, one per target" 6 "$(jq -s length "$T/mb.jsonl")"

check_eq "open, not expected: fails" fail "$(m exposed .status)"
check_eq "open, not expected: high" high "$(m exposed .severity)"
check_eq "open, not expected: state" open "$(m exposed .evidence.state)"
check_eq "open, not expected: the reply shows Modbus" "true 43 dce-test" \
    "$(m exposed '"\(.evidence.modbus.answered) \(.evidence.modbus.function) \(.evidence.modbus.vendor)"')"
check_contains "open, not expected: says why" "$(m exposed .message)" "no authentication"
check_eq "finding names the port" "exposed tcp/$mb" "$(m exposed .target)"

check_eq "expected and open: passes" pass "$(m gateway .status)"
check_eq "expected and open: Read Device Identification answered" \
    "read device identification 43 dce-test MB-LAB 1.2.3" \
    "$(m gateway '"\(.evidence.modbus.request) \(.evidence.modbus.function) \(.evidence.modbus.vendor) \(.evidence.modbus.product_code) \(.evidence.modbus.revision)"')"
check_eq "expected and open: no exception" null "$(m gateway .evidence.modbus.exception)"

check_eq "closed, not expected: passes" "pass closed" "$(m off '"\(.status) \(.evidence.state)"')"
check_eq "expected and closed: fails" "fail closed medium" \
    "$(m missing '"\(.status) \(.evidence.state) \(.severity)"')"
check_eq "an exception reply proves Modbus" "pass 43 1 illegal function" \
    "$(m exc '"\(.status) \(.evidence.modbus.function) \(.evidence.modbus.exception) \(.evidence.modbus.exception_name)"')"
check_eq "open but not Modbus: warns" "warn false" \
    "$(m notmodbus '"\(.status) \(.evidence.modbus.answered)"')"
check_eq "not Modbus: tried Read Holding Registers last" "read holding registers" \
    "$(m notmodbus .evidence.modbus.request)"

# --skip sends nothing: the exposed port would otherwise fail.
dce-audit --policy "$T/modbus.json" --only 'modbus.*' --skip 'modbus.*' --timeout 3s \
    >"$T/skip.jsonl" 2>/dev/null
check_eq "--skip modbus.*: no findings" 0 "$(jq -s length "$T/skip.jsonl")"

# ---- firmware.minimum -----------------------------------------------------------------
cat >"$T/fw.json" <<'JSON'
{
  "firmware_minimum": {"AP9631": "6.8.0", "AP96*": "v7.0.4", "Smart-UPS*": "UPS 10.0"},
  "targets": [
    {"address": "127.0.0.40", "name": "nodisc", "firmware": {"version": "APP v7.0.4", "model": "AP9641"}},
    {"address": "127.0.0.41", "name": "nodisc-old", "firmware": {"version": "v6.9.9", "model": "AP9641"}},
    {"address": "127.0.0.42", "name": "own-minimum", "firmware": {"version": "6.8.2", "minimum": "6.8.2a"}}
  ]
}
JSON
dev() {  # dev ADDRESS MODEL FIRMWARE [CARD-JSON]: a device record as dce-discover writes it
    jq -cn --arg a "$1" --arg m "$2" --arg f "$3" --argjson card "${4:-null}" \
        '{type: "device", ts: "2026-11-22T07:30:00.000Z", id: "snmp://\($a):161", target: $a,
          transport: "snmp", port: 161, vendor: "APC by Schneider Electric"}
         + (if $m != "" then {model: $m} else {} end)
         + (if $f != "" then {firmware: $f} else {} end)
         + (if $card != null then {card: $card} else {} end)'
}
{
    dev 127.0.0.21 AP9631 v6.4.6          # below
    dev 127.0.0.22 AP9631 v6.8.0          # equal
    dev 127.0.0.23 AP9631 6.8.2a          # above, letter suffix
    dev 127.0.0.24 ap9641 "APP v7.0.4"    # glob, case, "APP" prefix: equal
    dev 127.0.0.25 AP9641 v7.0.3          # glob: below
    dev 127.0.0.26 AP9631 ""              # unknown firmware
    dev 127.0.0.27 "NetBotz 750" 5.3.1    # no minimum for the model
    dev 127.0.0.28 "Smart-UPS 1500" "UPS 09.3 (ID18)" '{"model":"AP9631","firmware":"v6.9.6"}'
    dev 127.0.0.29 "Smart-UPS 1500" "UPS 10.0 / ID=18"   # "ID=18" is not the version
    dev 127.0.0.30 AP9631 "6.10.0"        # 10 > 8, not "1" < "8"
} >"$T/devices.jsonl"
validate_records "$T/devices.jsonl"
# A record that is not a device passes through a pipe unchanged.
echo '{"type":"reading","ts":"2026-11-22T07:30:00.000Z","device":"snmp://127.0.0.21:161","metric":"ups.load","value":17}' \
    >>"$T/devices.jsonl"
dce-audit --policy "$T/fw.json" --only 'firmware.*' - <"$T/devices.jsonl" >"$T/fw.jsonl" 2>"$T/fw.err"
check_eq "firmware: exit status with failures" 1 "$?"
f() { jq -rs --arg t "$1" '.[] | select(.type == "finding" and .target == $t) | .status' "$T/fw.jsonl"; }
check_eq "below the minimum fails" fail "$(f 127.0.0.21)"
check_eq "equal passes" pass "$(f 127.0.0.22)"
check_eq "letter suffix above passes" pass "$(f 127.0.0.23)"
check_eq "glob, APP prefix, equal passes" pass "$(f 127.0.0.24)"
check_eq "glob below fails" fail "$(f 127.0.0.25)"
check_eq "unknown firmware skips" skip "$(f 127.0.0.26)"
check_eq "no minimum for the model skips" skip "$(f 127.0.0.27)"
check_eq "UPS below its minimum fails" fail "$(f 127.0.0.28)"
check_eq "its card at its minimum passes" pass "$(f '127.0.0.28 card')"
check_eq "ID=18 ignored: UPS 10.0 passes" pass "$(f 127.0.0.29)"
check_eq "6.10.0 is above 6.8.0" pass "$(f 127.0.0.30)"
check_eq "policy firmware.version at the glob's minimum passes" pass "$(f nodisc)"
check_eq "policy firmware.version below fails" fail "$(f nodisc-old)"
check_eq "the target's own minimum: 6.8.2 < 6.8.2a fails" fail "$(f own-minimum)"
check_eq "other records pass through" 1 "$(jq -s '[.[] | select(.type == "reading")] | length' "$T/fw.jsonl")"
fw() { jq -rs --arg t "$1" ".[] | select(.type == \"finding\" and .target == \$t) | $2" "$T/fw.jsonl"; }
check_eq "a failure: medium" medium "$(fw 127.0.0.21 .severity)"
check_contains "message names the current firmware" "$(fw 127.0.0.21 .message)" "v6.4.6"
check_contains "message names the minimum" "$(fw 127.0.0.21 .message)" "6.8.0"
check_contains "message says what to do" "$(fw 127.0.0.21 .message)" "upgrade"
check_eq "evidence: the version word and where the minimum came from" \
    '09.3 firmware_minimum["Smart-UPS*"]' \
    "$(fw 127.0.0.28 '"\(.evidence.version) \(.evidence.minimum_from)"')"
check_contains "unknown firmware says how to know it" "$(fw 127.0.0.26 .message)" \
    "run dce-discover first or give firmware.version"
check_contains "no minimum names the model" "$(fw 127.0.0.27 .message)" "NetBotz 750"
jq -s '[.[] | select(.type == "finding")]' "$T/fw.jsonl" | jq -c '.[]' >"$T/findings.jsonl"
validate_records "$T/findings.jsonl"
finish
