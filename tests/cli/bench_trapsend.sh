# bench/trapsend.cpp, the sender of bench/trapd.sh: it builds standalone, its self-check
# passes (every datagram of a burst arrives on 127.0.0.1 and ::1; pacing never runs
# ahead), it replays a packet file byte for byte, and it refuses what it cannot send.
# No timings are asserted.
. "$(dirname "$0")/../lib/common.sh"
need g++
g++ -O2 -std=c++20 "$DCE_SOURCE_DIR/bench/trapsend.cpp" -o "$T/trapsend" || { fail "trapsend does not build"; finish; }
check_status "selftest" 0 "$T/trapsend" --selftest 2>"$T/selftest.err"
check_contains "selftest summary" "$(cat "$T/selftest.err")" "trapsend selftest: passed"

# Replay: 500 copies of a file reach a receiver unchanged.
printf '\x30\x0b\x02\x01\x01\x04\x06public' >"$T/pkt.bin"
/usr/bin/python3 - "$T/pkt.bin" "$T/port" "$T/got" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("127.0.0.1", 0)); s.settimeout(5)
open(sys.argv[2], "w").write(str(s.getsockname()[1]))
want, same = open(sys.argv[1], "rb").read(), 0
try:
    while same < 500:
        same += s.recv(2048) == want
except socket.timeout:
    pass
open(sys.argv[3], "w").write(str(same))
PY
rx=$!
_dce_pids+=("$rx")
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
"$T/trapsend" --packet "$T/pkt.bin" --target "127.0.0.1:$(cat "$T/port")" --count 500 --rate 0 2>"$T/send.err"
wait "$rx"
check_contains "sender's count" "$(cat "$T/send.err")" "sent=500 "
check_eq "received byte for byte" "500" "$(cat "$T/got")"

check_status "no packet file" 2 "$T/trapsend" --packet "$T/none" --target 127.0.0.1:9 --count 1 2>/dev/null
check_status "host name, not an address" 2 "$T/trapsend" --packet "$T/pkt.bin" --target localhost:9 --count 1 2>/dev/null
check_status "no count" 2 "$T/trapsend" --packet "$T/pkt.bin" --target 127.0.0.1:9 2>/dev/null
finish
