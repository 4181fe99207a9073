#!/usr/bin/env bash
# The lab's Modbus Smart-UPS (tests/lib/modbus_ups.py) checked from outside with tools
# that are not ours: mbpoll (libmodbus) for the APC registers, pymodbus's client for
# Read Device Identification, and raw frames for what no client shows (the gateway's
# dead unit, a stray reply with a wrong transaction id, a dropped connection, a delay).
# The modbus_* tests build on this server; this one says the server itself is right.
. "$(dirname "$0")/../lib/common.sh"
need mbpoll
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || skip "python3-pymodbus is not installed"
UPS="$DCE_SOURCE_DIR/tests/lib/modbus_ups.py"

start_ups() {  # start_ups NAME ARGS...: sets PORT
    local name=$1; shift
    PORT=$(free_port)
    bg_start /usr/bin/python3 "$UPS" --port "$PORT" "$@" 2>"$T/$name.log"
    wait_tcp "$PORT" || { cat "$T/$name.log" >&2; fail "$name: the server did not start"; finish; }
}
# mb UNIT ADDR COUNT [TYPE [OPTION]]: mbpoll's values, "addr=value" words joined by spaces.
mb() {
    mbpoll -m tcp -p "$PORT" -a "$1" -0 -r "$2" -c "$3" -t "${4:-4}" ${5:+"$5"} -1 -o 3 127.0.0.1 2>&1 |
        sed -n -e 's/^\[\([0-9]*\)\]:[[:space:]]*\([^[:space:]]*\).*/\1=\2/p' -e '/failed/p' | paste -sd' '
}

# ---- the APC map, one UPS --------------------------------------------------------------
start_ups ups
# mbpoll reads 32-bit values least significant word first unless given -B.
check_eq "status (uint32, MSW first): online bit" "0=2" "$(mb 1 0 1 4:int -B)"
check_eq "runtime 2400 s as uint32 at 128-129" "128=2400" "$(mb 1 128 1 4:int -B)"
check_eq "charge, battery V, temperature, load (x512, x32, x128, x256)" \
    "130=51200 131=1747 132=0 133=0 134=0 135=3648 136=9472" "$(mb 1 130 7)"
check_eq "output A, V, Hz (x32, x64, x128)" "140=166 141=0 142=14726 143=0 144=6400" "$(mb 1 140 5)"
check_eq "input V (x64)" "151=14707" "$(mb 1 151 1)"
check_eq "VA and W ratings" "588=3000 589=2700" "$(mb 1 588 2)"
check_eq "input registers read the same words" "130=51200" "$(mb 1 130 1 3)"
check_eq "coils are the bits of the words (status bit 1 in register 1)" "16=0 17=1 18=0" "$(mb 1 16 3 0)"
check_contains "beyond the map: exception 2" "$(mb 1 1020 10)" "Illegal data address"
check_contains "unit not behind this server: exception 0x0B" "$(mb 7 130 1)" "Target device failed to respond"

/usr/bin/python3 - "$PORT" >"$T/pymodbus.out" 2>"$T/pymodbus.err" <<'PY'
import logging, sys
logging.disable(logging.CRITICAL)  # pymodbus 3.0 logs its own deprecations as errors
from pymodbus.client import ModbusTcpClient
from pymodbus.mei_message import ReadDeviceInformationRequest
c = ModbusTcpClient("127.0.0.1", port=int(sys.argv[1]), timeout=3)
c.connect()
for code in (1, 2):
    info = c.execute(ReadDeviceInformationRequest(read_code=code, object_id=0, unit=1)).information
    print(code, "|".join(info[k].decode() for k in sorted(info)))
def text(addr, n):
    regs = c.read_holding_registers(addr, n, unit=1).registers
    return bytes(b for w in regs for b in (w >> 8, w & 255)).rstrip(b"\0").decode()
print("firmware", text(516, 8)); print("model", text(532, 16)); print("serial", text(564, 8))
PY
check_eq "pymodbus: device identification and identity registers" \
    "1 Schneider Electric|SRT3000XLI|UPS 15.5
2 Schneider Electric|SRT3000XLI|UPS 15.5|http://www.apc.com|Smart-UPS|Smart-UPS SRT 3000
firmware UPS 15.5
model Smart-UPS SRT 3000
serial AS1234567890" "$(cat "$T/pymodbus.out")"

# raw PORT [--timeout S] REQUEST...: each REQUEST "tid,unit,hex-PDU" is sent on one
# connection in turn; prints each reply as "tid unit hex-PDU", "timeout" or "closed".
cat >"$T/raw.py" <<'PY'
import socket, struct, sys
port, args = int(sys.argv[1]), sys.argv[2:]
timeout = 3.0
if args[0] == "--timeout":
    timeout, args = float(args[1]), args[2:]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.settimeout(timeout)
def frame():
    head = b""
    while len(head) < 7:
        more = s.recv(7 - len(head))
        if not more:
            return "closed"
        head += more
    tid, _, length, unit = struct.unpack(">HHHB", head)
    body = b""
    while len(body) < length - 1:
        body += s.recv(length - 1 - len(body))
    return "%d %d %s" % (tid, unit, body.hex())
for req in args:
    if req == "read":  # one more reply, no request (waits up to 10 s)
        s.settimeout(10)
        try: print(frame())
        except socket.timeout: print("timeout")
        continue
    tid, unit, pdu = req.split(",")
    pdu = bytes.fromhex(pdu)
    try:
        s.sendall(struct.pack(">HHHB", int(tid), 0, len(pdu) + 1, int(unit)) + pdu)
        print(frame())
    except socket.timeout:
        print("timeout")
    except OSError:
        print("closed")
PY
raw() { /usr/bin/python3 "$T/raw.py" "$PORT" "$@" 2>&1; }
# 0x11, 24 bytes: server id 1, run indicator 0xff, "APC Smart-UPS SRT 3000".
check_eq "Report Server ID (0x11)" "1 1 111801ff$(printf 'APC Smart-UPS SRT 3000' | od -An -tx1 -v | tr -d ' \n')" \
    "$(raw 1,1,11)"

# ---- a gateway: units 1, 2, 3; unit 2 dead ---------------------------------------------
start_ups gw --units 1,2,3 --dead-unit 2
check_eq "gateway: each unit its own serial (unit 3)" \
    "564=16723 565=12594 566=13108 567=13622 568=14136 569=14642" "$(mb 3 564 6)"
check_eq "gateway: dead unit 2 times out, unit 3 on the same connection answers" \
    "timeout
3 3 0302c800" "$(raw --timeout 1.5 1,2,0300820001 3,3,0300820001)"

# ---- faults ------------------------------------------------------------------------------
start_ups exc --fault exception:140-140:2
check_contains "exception:140-140:2, a read over it" "$(mb 1 128 24)" "Illegal data address"
check_eq "exception:140-140:2, reads beside it answer" "139=0 141=0" "$(mb 1 139 1) $(mb 1 141 1)"
start_ups exc4 --fault exception:0-1:4
check_contains "exception:0-1:4" "$(mb 1 0 2)" "Slave device or server failure"

start_ups wrongtid --fault wrong-tid:2
check_eq "wrong-tid:2: request 2 gets a stray reply (other tid, 0x7fff), then its own" \
    "7 1 0302c800
23138 1 03027fff
8 1 0302c800
10 1 0302c800" "$(raw 7,1,0300820001 8,1,0300820001 read; raw 10,1,0300820001)"

start_ups drop --fault drop-after:2
check_eq "drop-after:2: the connection closes after two replies, a new one answers" \
    "5 1 0302c800
6 1 0302c800
closed
8 1 0302c800" "$(raw 5,1,0300820001 6,1,0300820001 7,1,0300820001; raw 8,1,0300820001)"

start_ups delay --fault delay:3:1
check_eq "delay:3:1: the first reply is late (a 0.5 s wait misses it), then on time" \
    "timeout
1 1 0302c800
2 1 0302c800" "$(raw --timeout 0.5 1,1,0300820001 read; raw 2,1,0300820001)"
finish
