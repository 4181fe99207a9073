# bench/modbus_server.c, the gateways of bench/modbus.sh: it builds standalone on
# libmodbus, serves the APC map on every address of its range and any unit id (the same
# words as the lab's tests/lib/modbus_ups.py), and counts the registers it served.
. "$(dirname "$0")/../lib/common.sh"
need cc pkg-config mbpoll
cc -O2 -Wall -o "$T/modbus_server" "$DCE_SOURCE_DIR/bench/modbus_server.c" \
    $(pkg-config --cflags --libs libmodbus) || { fail "modbus_server does not build"; finish; }
port=$(free_port)
bg_start "$T/modbus_server" "$port" 127.0.1.1 3 "$T/stats" 2>"$T/server.log"
for _ in $(seq 50); do grep -q listening "$T/server.log" && break; sleep 0.1; done
check_contains "ready line" "$(cat "$T/server.log")" "listening on 3 addresses from 127.0.1.1"
mb() {  # mb HOST UNIT REF COUNT: "ref=value ..." from mbpoll
    mbpoll -m tcp -p "$port" -a "$2" -0 -r "$3" -c "$4" -t 4 -1 -o 3 "$1" 2>&1 |
        sed -n -e 's/^\[\([0-9]*\)\]:[[:space:]]*\([^[:space:]]*\).*/\1=\2/p' -e '/failed/p' | paste -sd' '
}
check_eq "first address, unit 1: status and runtime" "0=0 1=2" "$(mb 127.0.1.1 1 0 2)"
check_eq "last address, unit 200: runtime, charge, battery V" "128=0 129=2400 130=51200 131=1747" \
    "$(mb 127.0.1.3 200 128 4)"
check_eq "output V, Hz; input V; ratings" "142=14726 144=6400 151=14707 588=3000 589=2700" \
    "$(mb 127.0.1.2 5 142 1) $(mb 127.0.1.2 5 144 1) $(mb 127.0.1.2 5 151 1) $(mb 127.0.1.2 5 588 2)"
check_contains "an address beyond the range is not served" "$(mb 127.0.1.4 1 0 2)" "failed"
kill -USR1 "${_dce_pids[0]}"
for _ in $(seq 50); do [ -s "$T/stats" ] && break; sleep 0.1; done
check_eq "counts: 6 requests, 11 registers, 6 connections" "requests 6 registers 11 connections 6" \
    "$(cat "$T/stats")"
check_status "an address outside 127/8 is refused" 2 "$T/modbus_server" "$port" 10.0.0.1 1 "$T/x" 2>/dev/null
finish
