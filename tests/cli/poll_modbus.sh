# dce-poll's Modbus side (issue 11): --plan prints the merged reads of the APC map without
# a server; then a short poll of a pymodbus server written here (8 holding
# registers, zero-based) through a test map whose merged read runs past the server's registers, so
# the exception-2 split and the per-field error record are exercised.
. "$(dirname "$0")/../lib/common.sh"
need dce-poll jq

dev='{"type":"device","ts":"2026-01-01T00:00:00.000Z","id":"modbus://127.0.0.20:502/1","target":"127.0.0.20","transport":"modbus","port":502,"modbus":{"unit_id":1},"class":"ups","profile":"apc-smartups-modbus","profiles":[{"name":"apc-smartups-modbus","reason":"test"}]}'

# 1. --plan: three reads for the APC map (status; 128-151 merged; the ratings), no I/O.
echo "$dev" | dce-poll --plan >"$T/plan.jsonl" 2>"$T/plan.err"
check_eq "plan exit" 0 $?
validate_records "$T/plan.jsonl"
jq_eq "plan: three requests" "$T/plan.jsonl" '[.[] | select(.type=="plan")] | length' 3
jq_eq "plan: ranges" "$T/plan.jsonl" \
    '[.[] | "\(.function):\(.table):\(.address)+\(.count)"] | join(" ")' \
    "3:holding:0+2 3:holding:128+24 3:holding:588+2"
jq_eq "plan: fields of the merged read" "$T/plan.jsonl" '.[1].fields | join(",")' \
    "ups.battery.runtime,ups.battery.charge,ups.battery.voltage,ups.battery.temperature,ups.output.load,ups.output.current,ups.output.voltage,ups.output.frequency,ups.input.voltage"
jq_eq "plan: device and unit" "$T/plan.jsonl" '.[0] | "\(.device) \(.unit_id)"' \
    "modbus://127.0.0.20:502/1 1"

# 2. A modbus:// target with --profile plans the same; an unknown map is a usage error.
dce-poll --plan --profile apc-smartups-modbus modbus://127.0.0.21:1502/7 >"$T/t.jsonl" 2>"$T/t.err"
check_eq "target plan exit" 0 $?
jq_eq "target plan: id" "$T/t.jsonl" '.[0].device' "modbus://127.0.0.21:1502/7"
dce-poll --plan --profile no-such-map modbus://127.0.0.21 >"$T/u.jsonl" 2>"$T/u.err"
check_eq "unknown map exit" 2 $?
dce-poll --plan --profile apc-smartups-modbus modbus://127.0.0.21:99999/1 >"$T/u.jsonl" 2>"$T/u.err"
check_eq "bad port exit" 2 $?
check_contains "bad port message" "$(cat "$T/u.err")" "port '99999'"

# 3. A live poll against pymodbus (hr 0..7 = 230, 50, 17, 0 ...).
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || skip "pymodbus is not installed"
cat >"$T/server.py" <<'PY'
import logging, sys
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [230, 50, 17, 0, 0, 0, 0, 0]),
                           zero_mode=True)
StartTcpServer(context=ModbusServerContext(slaves=store, single=True),
               address=("127.0.0.1", int(sys.argv[1])))
PY
mkdir -p "$T/maps/modbus"
cat >"$T/maps/modbus/test-map.json" <<'JSON'
{"name": "test-map", "class": "power", "metrics": [
  {"metric": "t.a", "unit": "volt", "address": 0, "type": "uint16"},
  {"metric": "t.b", "address": 1, "type": "uint16", "scale_pow2": -1},
  {"metric": "t.ab", "address": 0, "type": "uint32"},
  {"metric": "t.c", "address": 2, "type": "uint16", "bits": {"0": "first", "4": "fifth"}},
  {"metric": "t.gone", "address": 12, "type": "uint16"}
]}
JSON
port=$(free_port)
bg_start /usr/bin/python3 "$T/server.py" "$port"
wait_tcp "$port" || skip "the pymodbus server did not start"
dce-poll --profile-dir "$T/maps" --profile test-map --timeout 5s "modbus://127.0.0.1:$port/1" \
    >"$T/live.jsonl" 2>"$T/live.err"
check_eq "live poll exit (one field refused: 3)" 3 $?
validate_records "$T/live.jsonl"
jq_eq "live: t.a" "$T/live.jsonl" '.[] | select(.metric=="t.a") | .value' 230
jq_eq "live: t.b scaled by 2^-1" "$T/live.jsonl" '.[] | select(.metric=="t.b") | .value' 25
jq_eq "live: t.ab uint32" "$T/live.jsonl" '.[] | select(.metric=="t.ab") | .value' $((230 * 65536 + 50))
jq_eq "live: bit field" "$T/live.jsonl" \
    '[.[] | select((.metric // "") | startswith("t.c.")) | "\(.metric)=\(.value)"] | join(" ")' \
    "t.c.first=1 t.c.fifth=1"
jq_eq "live: source" "$T/live.jsonl" '.[] | select(.metric=="t.a") | .source' "modbus:hr:0"
jq_eq "live: the refused field is an error record" "$T/live.jsonl" \
    '.[] | select(.type=="error") | "\(.code) \(.target)"' \
    "modbus-exception-2 modbus://127.0.0.1:$port/1"
jq_eq "live: the error names the field and the exception" "$T/live.jsonl" \
    '.[] | select(.type=="error") | .message | test("t.gone .*illegal data address")' true
# A Modbus-only run logs the Modbus summary only, not an empty SNMP one.
check_contains "live: the Modbus summary" "$(cat "$T/live.err")" "modbus: 1 unit(s), 1 poll(s)"
check_eq "live: no SNMP summary in a Modbus-only run" "" "$(grep ' device(s), .* poll(s)' "$T/live.err")"
# Nothing at all to poll: still one summary line.
dce-poll --no-forward </dev/null >/dev/null 2>"$T/empty.err"
check_eq "nothing to poll: exit" 0 $?
check_contains "nothing to poll: one summary" "$(cat "$T/empty.err")" "0 device(s), 0 poll(s)"
check_eq "nothing to poll: no Modbus summary" "" "$(grep 'modbus:' "$T/empty.err")"

# 4. A server out of step: every answer comes twice, first with another transaction id.
#    The stale copies are dropped and every value is the right one.
cat >"$T/stale.py" <<'PY'
import socket, struct, sys, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
def handle(c):
    buf = b""
    while True:
        d = c.recv(1024)
        if not d:
            return
        buf += d
        while len(buf) >= 7:
            tid, _, ln, unit = struct.unpack(">HHHB", buf[:7])
            if len(buf) < 6 + ln:
                break
            pdu, buf = buf[7:6 + ln], buf[6 + ln:]
            fc, addr, cnt = struct.unpack(">BHH", pdu[:5])
            body = bytes([fc, 2 * cnt]) + b"".join(struct.pack(">H", addr + i) for i in range(cnt))
            for t in ((tid + 77) & 0xFFFF, tid):
                c.sendall(struct.pack(">HHHB", t, 0, len(body) + 1, unit) + body)
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
cat >"$T/maps/modbus/spread.json" <<'JSON'
{"metrics": [{"metric": "s.a", "address": 10}, {"metric": "s.b", "address": 200},
             {"metric": "s.c", "address": 400}]}
JSON
sport=$(free_port)
bg_start /usr/bin/python3 "$T/stale.py" "$sport"
wait_tcp "$sport" || skip "the stale-answer server did not start"
dce-poll --profile-dir "$T/maps" --profile spread --timeout 5s "modbus://127.0.0.1:$sport/3" \
    >"$T/stale.jsonl" 2>"$T/stale.err"
check_eq "stale answers: exit" 0 $?
jq_eq "stale answers: the right values" "$T/stale.jsonl" \
    '[.[] | "\(.metric)=\(.value)"] | join(" ")' "s.a=10 s.b=200 s.c=400"
check_contains "stale answers: counted as dropped" "$(cat "$T/stale.err")" \
    "3 mismatched answer(s) dropped"
finish
