# dce-discover --modbus | dce-poll (issue 11) against a pymodbus server written here that
# serves the APC Smart-UPS map on unit 1 (holding registers, zero-based) with a Read
# Device Identification, and no unit 2 (it never answers: a dead unit behind a gateway).
. "$(dirname "$0")/../lib/common.sh"
need dce-discover dce-poll jq
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || skip "pymodbus is not installed"
cat >"$T/server.py" <<'PY'
import logging, sys
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server import StartTcpServer
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
regs = [0] * 600
regs[0:2] = [0, 2]                  # status: online (bit 1)
regs[128:130] = [0, 3600]           # runtime 3600 s
regs[130] = 100 * 512               # charge 100 %
regs[131] = int(54.5 * 32)          # battery 54.5 V
regs[135] = 25 * 128                # 25 C
regs[136] = 30 * 256                # load 30 %
regs[140] = 5 * 32                  # 5 A
regs[142] = 230 * 64                # 230 V
regs[144] = 50 * 128                # 50 Hz
regs[151] = 0xFFFF                  # input voltage not available
def text(at, s, n):
    b = s.encode().ljust(2 * n, b"\0")
    for i in range(n):
        regs[at + i] = b[2 * i] << 8 | b[2 * i + 1]
text(516, "UPS 15.5", 8)
text(532, "Smart-UPS SRT 3000", 16)
text(564, "AS1234567890", 8)
regs[588], regs[589] = 3000, 2700
store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, regs), zero_mode=True)
ident = ModbusDeviceIdentification(info_name={
    "VendorName": "Schneider Electric", "ProductCode": "SRT3000XLI",
    "MajorMinorRevision": "UPS 15.5", "ModelName": "Smart-UPS SRT 3000"})
StartTcpServer(context=ModbusServerContext(slaves={1: store}, single=False), identity=ident,
               address=("127.0.0.1", int(sys.argv[1])))
PY
port=$(free_port)
bg_start /usr/bin/python3 "$T/server.py" "$port"
wait_tcp "$port" || skip "the pymodbus server did not start"

dce-discover --modbus --modbus-port "$port" --unit-ids 1,2 --timeout 1s --retries 0 \
    --no-progress 127.0.0.1 >"$T/dev.jsonl" 2>"$T/dev.err"
check_eq "discover exit" 0 $?
validate_records "$T/dev.jsonl"
jq_eq "one modbus device (unit 2 is dead)" "$T/dev.jsonl" \
    '[.[] | select(.transport=="modbus")] | length' 1
jq_eq "device id" "$T/dev.jsonl" '.[] | select(.transport=="modbus") | .id' \
    "modbus://127.0.0.1:$port/1"
jq_eq "identity" "$T/dev.jsonl" \
    '.[] | select(.transport=="modbus") | "\(.vendor)|\(.model)|\(.serial)|\(.firmware)|\(.class)|\(.profile)|\(.modbus.unit_id)"' \
    "APC|Smart-UPS SRT 3000|AS1234567890|UPS 15.5|ups|apc-smartups-modbus|1"

dce-poll --timeout 3s --no-forward <"$T/dev.jsonl" >"$T/poll.jsonl" 2>"$T/poll.err"
check_eq "poll exit" 0 $?
validate_records "$T/poll.jsonl"
value() { jq -rs --arg m "$1" '.[] | select(.metric==$m) | .value' "$T/poll.jsonl"; }
check_eq "charge" 100 "$(value ups.battery.charge)"
check_eq "runtime" 3600 "$(value ups.battery.runtime)"
check_eq "battery voltage" 54.5 "$(value ups.battery.voltage)"
check_eq "temperature" 25 "$(value ups.battery.temperature)"
check_eq "load" 30 "$(value ups.output.load)"
check_eq "output voltage" 230 "$(value ups.output.voltage)"
check_eq "frequency" 50 "$(value ups.output.frequency)"
check_eq "online bit" 1 "$(value ups.status.online)"
check_eq "on-battery bit" 0 "$(value ups.status.on_battery)"
check_eq "input voltage n/a: no reading" "" "$(value ups.input.voltage)"
jq_eq "source" "$T/poll.jsonl" '.[] | select(.metric=="ups.battery.charge") | .source' \
    "modbus:hr:130"

# A dead unit beside a live one on the same gateway: the live one's readings all arrive,
# the dead one is one timeout error record.
{
    jq -c 'select(.transport=="modbus")' "$T/dev.jsonl"
    jq -c 'select(.transport=="modbus") | .id |= sub("/1$"; "/2") | .modbus.unit_id = 2' "$T/dev.jsonl"
} >"$T/two.jsonl"
dce-poll --timeout 1s --no-forward <"$T/two.jsonl" >"$T/two.out" 2>"$T/two.err"
check_eq "dead unit: exit 3" 3 $?
jq_eq "dead unit: live unit's charge" "$T/two.out" \
    '.[] | select(.metric=="ups.battery.charge") | .device' "modbus://127.0.0.1:$port/1"
jq_eq "dead unit: one timeout error" "$T/two.out" \
    '[.[] | select(.type=="error") | "\(.code) \(.target)"] | join(",")' \
    "timeout modbus://127.0.0.1:$port/2"
finish
