#!/usr/bin/env bash
# The simulated device lab on loopback: APC UPSs and rack PDUs, NetBotz appliances, an
# Eaton UPS and a switch (snmpsim serving lab/recordings, one address each), plus two
# net-snmp agents with the lab's SNMPv3 users, and a Modbus TCP Smart-UPS on 127.0.0.16
# (tests/lib/modbus_ups.py, the APC register map), so that
#     { dce-discover 127.0.0.0/28; dce-discover --modbus --unit-ids 1 127.0.0.16; } | dce-poll | jq
# finds and polls them. See lab/README.md for what each device holds.
#
#   scripts/lab.sh start    start (or keep) the lab; prints how to use it
#   scripts/lab.sh stop     stop every process of the lab
#   scripts/lab.sh status   what runs where; exit 1 when the lab is not (fully) up
#   scripts/lab.sh env      export lines for eval "$(scripts/lab.sh env)"
#
# State lives in $DCE_LAB_DIR (default ./lab-run): pid files, logs, the credentials file
# (mode 0600, random passphrases). Port 161 is used when running as root and it is free
# on the lab's addresses; otherwise a free port, and the commands printed say --port.
# DCE_LAB_PORT=N picks the port (tests use it to stay off 161). The Modbus UPS listens on
# TCP 502 likewise (as root, 502 free, no DCE_LAB_PORT), else on a free port;
# DCE_LAB_MODBUS_PORT=N picks it.
set -uo pipefail

SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DCE_SOURCE_DIR=$SOURCE_DIR
RUN_DIR=${DCE_LAB_DIR:-./lab-run}
# shellcheck source=../tests/lib/lab.sh
. "$SOURCE_DIR/tests/lib/lab.sh"

# Address plan: recordings from 127.0.0.2 up, then the two net-snmp agents, then Modbus.
DEVICES=(apc-smartups apc-rpdu2 apc-rpdu-legacy netbotz-450 netbotz-750 eaton-ups switch
    apc-smartups-onbattery apc-rpdu2-3ph apc-ats apc-inrow apc-emu)
SNMPD_V3_ADDR=127.0.0.14       # v3 users and community "public"
SNMPD_V3ONLY_ADDR=127.0.0.15   # v3 users only
MODBUS_UPS_ADDR=127.0.0.16     # Modbus TCP Smart-UPS, unit id 1
PROCS=(snmpsim snmpd-v3 snmpd-v3only modbus-ups)

usage() {
    sed -n '9,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

all_up() {
    local p
    for p in "${PROCS[@]}"; do pid_alive "$RUN_DIR/$p.pid" || return 1; done
}

any_up() {
    local f
    for f in "$RUN_DIR"/*.pid; do pid_alive "$f" && return 0; done
    return 1
}

port_161_free() {
    [ "$(id -u)" = 0 ] || return 1
    # Anything bound to UDP 161 (on 0.0.0.0 or one of our addresses) makes it busy.
    [ -z "$(ss -Hlun 'sport = :161' 2>/dev/null)" ]
}

port_502_free() {
    [ "$(id -u)" = 0 ] || return 1
    [ -z "$(ss -Hltn 'sport = :502' 2>/dev/null)" ]
}

print_usage_help() {
    # shellcheck disable=SC1091
    . "$RUN_DIR/lab.env"
    local portopt=""
    [ "$LAB_PORT" = 161 ] || portopt=" --port $LAB_PORT"
    cat <<EOF
dce-tools lab is up (state in $RUN_DIR):
$(cat "$RUN_DIR/devices.txt")

  export DCE_CREDENTIALS=$LAB_CREDENTIALS   # lab's v3 users and community (mode 0600)
  dce-discover 127.0.0.0/28$portopt | dce-poll | jq
  dce-discover --allow-v1v2c 127.0.0.0/28$portopt      # also try community "public" (insecure)
  snmpwalk -v2c -c public 127.0.0.2${portopt:+:$LAB_PORT} 1.3.6.1.4.1.318
  dce-discover --modbus --modbus-port $LAB_MODBUS_PORT --unit-ids 1 $LAB_MODBUS_ADDR | dce-poll | jq
  mbpoll -m tcp -p $LAB_MODBUS_PORT -a 1 -0 -r 128 -c 24 -1 $LAB_MODBUS_ADDR   # the APC registers

Stop it with: scripts/lab.sh stop
EOF
}

cmd_start() {
    if [ -d "$RUN_DIR" ] && all_up; then
        echo "lab already running" >&2
        print_usage_help
        return 0
    fi
    if [ -d "$RUN_DIR" ] && any_up; then
        echo "lab partly running: restarting it" >&2
        lab_init "$RUN_DIR" && lab_stop
    fi
    lab_init "$RUN_DIR" || return 3
    local port snmpd_port_v3 snmpd_port_v3only mbport
    if [ -n "${DCE_LAB_PORT:-}" ]; then
        port=$DCE_LAB_PORT snmpd_port_v3=$DCE_LAB_PORT snmpd_port_v3only=$DCE_LAB_PORT
    elif port_161_free; then
        port=161 snmpd_port_v3=161 snmpd_port_v3only=161
    else
        port=$(_lab_free_port) snmpd_port_v3=$port snmpd_port_v3only=$port
    fi
    if [ -n "${DCE_LAB_MODBUS_PORT:-}" ]; then
        mbport=$DCE_LAB_MODBUS_PORT
    elif [ -z "${DCE_LAB_PORT:-}" ] && port_502_free; then
        mbport=502
    else
        mbport=$(_lab_free_port)
    fi
    LAB_NEXT_HOST=2
    start_snmpsim --port "$port" "${DEVICES[@]}" || { lab_stop; return 3; }
    start_snmpd --name snmpd-v3 --address "$SNMPD_V3_ADDR" --port "$snmpd_port_v3" ||
        { lab_stop; return 3; }
    start_snmpd --name snmpd-v3only --v3-only --address "$SNMPD_V3ONLY_ADDR" \
        --port "$snmpd_port_v3only" || { lab_stop; return 3; }
    start_modbus_ups --address "$MODBUS_UPS_ADDR" --port "$mbport" || { lab_stop; return 3; }
    {
        echo "LAB_PORT=$port"
        echo "LAB_CREDENTIALS=$LAB_CREDENTIALS"
        echo "LAB_MODBUS_ADDR=$MODBUS_UPS_ADDR"
        echo "LAB_MODBUS_PORT=$mbport"
    } >"$RUN_DIR/lab.env"
    {
        local name
        for name in "${DEVICES[@]}"; do
            printf '  %-12s udp/%-5s  %-24s engine %s\n' "${LAB_ADDR[$name]}" "$port" "$name" "${LAB_ENGINE_ID[$name]}"
        done
        printf '  %-12s udp/%-5s  %-24s v3 users + community public\n' "$SNMPD_V3_ADDR" "$port" "net-snmp snmpd"
        printf '  %-12s udp/%-5s  %-24s v3 users only\n' "$SNMPD_V3ONLY_ADDR" "$port" "net-snmp snmpd"
        printf '  %-12s tcp/%-5s  %-24s APC register map, unit id 1\n' "$MODBUS_UPS_ADDR" "$mbport" "Modbus TCP Smart-UPS"
    } >"$RUN_DIR/devices.txt"
    print_usage_help
}

cmd_stop() {
    [ -d "$RUN_DIR" ] || { echo "lab not running (no $RUN_DIR)" >&2; return 0; }
    LAB_DIR=$(cd "$RUN_DIR" && pwd)
    lab_stop
    rm -f "$RUN_DIR/devices.txt" "$RUN_DIR/lab.env"
    echo "lab stopped" >&2
}

cmd_status() {
    [ -d "$RUN_DIR" ] || { echo "lab not running (no $RUN_DIR)"; return 1; }
    local p st=0
    for p in "${PROCS[@]}"; do
        if pid_alive "$RUN_DIR/$p.pid"; then
            echo "$p: running (pid $(cat "$RUN_DIR/$p.pid"))"
        else
            echo "$p: stopped"
            st=1
        fi
    done
    [ -s "$RUN_DIR/devices.txt" ] && cat "$RUN_DIR/devices.txt"
    return $st
}

cmd_env() {
    [ -s "$RUN_DIR/lab.env" ] || { echo "lab not started" >&2; return 1; }
    # shellcheck disable=SC1091
    . "$RUN_DIR/lab.env"
    echo "export DCE_CREDENTIALS=$LAB_CREDENTIALS"
    echo "export DCE_LAB_PORT=$LAB_PORT"
    echo "export DCE_LAB_MODBUS_ADDR=$LAB_MODBUS_ADDR DCE_LAB_MODBUS_PORT=$LAB_MODBUS_PORT"
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) usage ;;
esac
