# The simulated device lab as bash functions, for tests and for scripts/lab.sh.
#
#     . "$DCE_SOURCE_DIR/tests/lib/common.sh"
#     . "$DCE_SOURCE_DIR/tests/lib/lab.sh"
#     lab_init "$T/lab"                       # state dir; makes the lab's credentials
#     start_snmpsim apc-smartups apc-rpdu2    # one snmpsimd, one address per recording
#     echo "${LAB_ADDR[apc-smartups]}:$SNMPSIM_PORT"   # 127.0.0.2:PORT
#     start_snmpd --v3-only                   # net-snmp snmpd with the lab's v3 users
#     echo "$SNMPD_ADDR:$SNMPD_PORT  $LAB_CREDENTIALS"
#     start_modbus_ups --units 1,2 --dead-unit 2   # Modbus TCP Smart-UPS on $MODBUS_ADDR:$MODBUS_PORT
#
# Everything listens on 127.0.0.0/8 only. Ports are chosen at run time unless given.
# Processes started here are stopped by common.sh's cleanup when it is loaded (tests),
# and by lab_stop otherwise (scripts/lab.sh). Secrets are random per lab, live only in
# files of mode 0600 in the state dir, and never appear on a command line.

: "${DCE_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
LAB_RECORDINGS="$DCE_SOURCE_DIR/lab/recordings"
declare -gA LAB_ADDR=()      # recording name -> address it answers on
declare -gA LAB_ENGINE_ID=() # recording name -> SNMPv3 engine ID (hex)
LAB_NEXT_HOST=${LAB_NEXT_HOST:-2}  # next 127.0.0.N handed out by start_snmpsim

# Engine IDs per RFC 3411: 0x80 | enterprise (4 bytes), a format byte, then the value.
# Each recording gets its vendor's enterprise so engine discovery can name the vendor.
declare -gA LAB_ENTERPRISE=(
    [apc-smartups]=318 [apc-smartups-onbattery]=318 [apc-rpdu2]=318 [apc-rpdu-legacy]=318
    [netbotz-450]=5528 [netbotz-750]=52674 [eaton-ups]=534 [switch]=2636
    [apc-rpdu2-3ph]=318 [apc-ats]=318 [apc-inrow]=318 [apc-emu]=318
)

_lab_log() { echo "lab: $*" >&2; }

_lab_free_port() {
    if declare -F free_port >/dev/null; then free_port; return; fi
    /usr/bin/python3 -c 'import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Remembers a pid: for common.sh's cleanup in tests, and in the state dir for lab_stop.
_lab_track() {
    local pid=$1 name=$2
    echo "$pid" >"$LAB_DIR/$name.pid"
    if declare -p _dce_pids >/dev/null 2>&1; then _dce_pids+=("$pid"); fi
}

_lab_secret() { head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20; }

# lab_init DIR: state dir (created, readable by the unprivileged snmpsim user) and the
# lab's credentials file DIR/credentials (mode 0600), with random passphrases:
#   lab-v3-sha     user dce-sha,    SHA / AES         (snmpsim devices and snmpd)
#   lab-v3-sha256  user dce-sha256, SHA-256 / AES-256 (snmpsim devices and snmpd)
#   lab-v3-sha512  user dce-sha512, SHA-512 / AES-256 (snmpd only; pysnmp 4.4 has no
#                  SHA-512 with AES-256 as net-snmp does it)
#   lab-v2c        community public (v1/v2c, insecure)
# Sets LAB_DIR and LAB_CREDENTIALS. Keeps an existing credentials file (idempotent).
lab_init() {
    LAB_DIR=$(mkdir -p "$1" && cd "$1" && pwd) || return 1
    chmod 755 "$LAB_DIR"
    LAB_CREDENTIALS="$LAB_DIR/credentials"
    if [ ! -s "$LAB_CREDENTIALS" ]; then
        (
            umask 077
            cat >"$LAB_CREDENTIALS" <<EOF
# dce-tools lab credentials (random per lab; lab use only)
[lab-v3-sha]
kind = snmpv3
user = dce-sha
auth_protocol = SHA
auth_pass = $(_lab_secret)
priv_protocol = AES
priv_pass = $(_lab_secret)

[lab-v3-sha256]
kind = snmpv3
user = dce-sha256
auth_protocol = SHA-256
auth_pass = $(_lab_secret)
priv_protocol = AES-256
priv_pass = $(_lab_secret)

[lab-v3-sha512]
kind = snmpv3
user = dce-sha512
auth_protocol = SHA-512
auth_pass = $(_lab_secret)
priv_protocol = AES-256
priv_pass = $(_lab_secret)

[lab-v2c]
kind = community
community = public
EOF
        )
    fi
    chmod 600 "$LAB_CREDENTIALS"
}

# lab_cred ENTRY KEY: one value from the lab's credentials file.
lab_cred() {
    awk -v sec="[$1]" -v key="$2" '
        $0 == sec { on = 1; next } /^\[/ { on = 0 }
        on { split($0, kv, " = "); if (kv[1] == key) { print substr($0, length(key) + 4); exit } }
    ' "$LAB_CREDENTIALS"
}

# _lab_engine_id ENTERPRISE N: 80 + enterprise with the top bit set, format 3 (MAC).
_lab_engine_id() {
    printf '8%07x03%012x' "$1" $((0x00c0b7000000 + $2))
}

# start_snmpsim [--port P] [--host-base N] NAME...: one snmpsimd serving each recording
# (lab/recordings/NAME.snmprec, or a path) on its own address 127.0.0.N, N counting up
# from 2 (or --host-base), all on one UDP port. Each device is its own SNMPv3 engine
# (engine ID from its vendor's enterprise number) with users dce-sha and dce-sha256.
# v1/v2c communities: "public" and the recording's name. SNMPv3 context: "" or the name.
# Sets SNMPSIM_PORT, LAB_ADDR[NAME], LAB_ENGINE_ID[NAME].
start_snmpsim() {
    local port="" base=$LAB_NEXT_HOST
    while [ $# -gt 0 ]; do
        case $1 in
            --port) port=$2; shift 2 ;;
            --host-base) base=$2; shift 2 ;;
            *) break ;;
        esac
    done
    [ -n "${LAB_DIR:-}" ] || { _lab_log "lab_init first"; return 1; }
    command -v snmpsimd >/dev/null || { _lab_log "snmpsimd is not installed"; return 1; }
    [ -n "$port" ] || port=$(_lab_free_port)
    local sim="$LAB_DIR/snmpsim" n=0 name rec addr eid args
    rm -rf "$sim"
    mkdir -p "$sim/cache" && chown nobody:nogroup "$sim/cache" 2>/dev/null
    chmod 755 "$sim"
    args="$sim/args"
    (umask 077; : >"$args")
    for name in "$@"; do
        rec=$name
        case $rec in */*) name=$(basename "$rec" .snmprec) ;; *) rec="$LAB_RECORDINGS/$name.snmprec" ;; esac
        [ -r "$rec" ] || { _lab_log "no recording $rec"; return 1; }
        addr="127.0.0.$((base + n))"
        eid=$(_lab_engine_id "${LAB_ENTERPRISE[$name]:-8072}" $((base + n)))
        LAB_ADDR[$name]=$addr
        LAB_ENGINE_ID[$name]=$eid
        # snmpsim picks the data file by community (v1/v2c) or context name (v3); an
        # empty v3 context falls back to the transport ID, 1.3.6.1.6.1.1.<endpoint no.>.
        mkdir -p "$sim/data-$n"
        cp "$rec" "$sim/data-$n/public.snmprec"
        cp "$rec" "$sim/data-$n/$name.snmprec"
        cp "$rec" "$sim/data-$n/1.3.6.1.6.1.1.$n.snmprec"
        chmod -R a+rX "$sim/data-$n"
        cat >>"$args" <<EOF
--v3-engine-id=$eid
--data-dir=$sim/data-$n
--agent-udpv4-endpoint=$addr:$port
--v3-user=dce-sha
--v3-auth-key=$(lab_cred lab-v3-sha auth_pass)
--v3-auth-proto=SHA
--v3-priv-key=$(lab_cred lab-v3-sha priv_pass)
--v3-priv-proto=AES
--v3-user=dce-sha256
--v3-auth-key=$(lab_cred lab-v3-sha256 auth_pass)
--v3-auth-proto=SHA256
--v3-priv-key=$(lab_cred lab-v3-sha256 priv_pass)
--v3-priv-proto=AES256BLMT
EOF
        n=$((n + 1))
    done
    LAB_NEXT_HOST=$((base + n))
    SNMPSIM_PORT=$port
    # The args file holds the keys: snmpsimd reads it as root, then drops to nobody.
    # Its log echoes the keys too, so it is kept 0600.
    (umask 077; : >"$LAB_DIR/snmpsim.log")
    snmpsimd --args-from-file="$args" --cache-dir="$sim/cache" \
        --process-user=nobody --process-group=nogroup </dev/null >>"$LAB_DIR/snmpsim.log" 2>&1 &
    _lab_track $! snmpsim
    # Ready when the last device answers (snmpsim indexes the recordings first).
    local i last=${LAB_ADDR[$name]}
    for ((i = 0; i < 150; i++)); do
        if snmpget -v2c -c public -r0 -t0.3 -Oqv "$last:$port" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$(cat "$LAB_DIR/snmpsim.pid")" 2>/dev/null || break
        sleep 0.2
    done
    _lab_log "snmpsimd did not come up; see $LAB_DIR/snmpsim.log"
    tail -5 "$LAB_DIR/snmpsim.log" >&2
    return 1
}

# start_snmpd [--v3-only] [--address A] [--port P] [--name NAME] [--level L] [--conf LINE]...:
# net-snmp snmpd with the lab's three v3 users (authPriv required, or the lowest level L
# their access rule allows: noauth, auth, priv) and, unless --v3-only, community "public"
# read-only for 127.0.0.0/8. Each --conf LINE is added to snmpd.conf as is (e.g.
# "authtrapenable 1", "trap2sink 127.0.0.1:PORT public", another user). Sets SNMPD_ADDR,
# SNMPD_PORT (and <NAME>_ADDR/_PORT-free variables are left to the caller: call it twice
# with different --name for two agents).
start_snmpd() {
    local v3only=0 addr=127.0.0.1 port="" name=snmpd level=priv
    local -a extra=()
    while [ $# -gt 0 ]; do
        case $1 in
            --v3-only) v3only=1; shift ;;
            --level) level=$2; shift 2 ;;
            --conf) extra+=("$2"); shift 2 ;;
            --address) addr=$2; shift 2 ;;
            --port) port=$2; shift 2 ;;
            --name) name=$2; shift 2 ;;
            *) _lab_log "start_snmpd: unknown option $1"; return 1 ;;
        esac
    done
    [ -n "${LAB_DIR:-}" ] || { _lab_log "lab_init first"; return 1; }
    command -v snmpd >/dev/null || { _lab_log "snmpd is not installed"; return 1; }
    [ -n "$port" ] || port=$(_lab_free_port)
    local d="$LAB_DIR/$name" conf
    mkdir -p "$d/persist"
    rm -f "$d/persist/snmpd.conf"  # keys are derived anew from createUser each start
    conf="$d/snmpd.conf"
    (
        umask 077
        {
            echo "[snmp] persistentDir $d/persist"
            echo "agentAddress udp:$addr:$port"
            echo "sysName $name-lab"
            echo "sysLocation dce-tools lab"
            echo "sysContact lab@example.net"
            echo "sysServices 72"
            local u
            for u in sha sha256 sha512; do
                local e="lab-v3-$u" ap pp
                ap=$(lab_cred "$e" auth_protocol)
                pp=$(lab_cred "$e" priv_protocol)
                echo "createUser dce-$u $ap \"$(lab_cred "$e" auth_pass)\" $pp \"$(lab_cred "$e" priv_pass)\""
                echo "rouser dce-$u $level"
            done
            [ "$v3only" = 1 ] || echo "rocommunity public 127.0.0.0/8"
            local line
            for line in "${extra[@]}"; do echo "$line"; done
        } >"$conf"
    )
    # Daemons must not hold the caller's stdout: `scripts/lab.sh start | tail` would
    # never end.
    MIBS="" snmpd -f -C -c "$conf" -Lf "$d/snmpd.log" -p "$d/snmpd.pidfile" </dev/null >/dev/null 2>&1 &
    _lab_track $! "$name"
    SNMPD_ADDR=$addr
    SNMPD_PORT=$port
    local i
    for ((i = 0; i < 100; i++)); do
        # An unknown v3 user gets a report back as soon as the agent listens.
        local out
        out=$(snmpget -v3 -l noAuthNoPriv -u probe -r0 -t0.2 "$addr:$port" 1.3.6.1.2.1.1.5.0 2>&1)
        case $out in *[Tt]imeout*) ;; *) return 0 ;; esac
        sleep 0.1
    done
    _lab_log "snmpd did not come up; see $d/snmpd.log"
    return 1
}

# start_snmpd_sweep [--port P]: one snmpd on 0.0.0.0:PORT answering v2c "public" from
# every 127.x.y.z address (a whole network of agents for sweeps). Sets SWEEP_PORT.
start_snmpd_sweep() {
    local port=""
    [ "${1:-}" = --port ] && port=$2
    [ -n "$port" ] || port=$(_lab_free_port)
    local d="$LAB_DIR/sweep"
    mkdir -p "$d/persist"
    cat >"$d/snmpd.conf" <<EOF
[snmp] persistentDir $d/persist
agentAddress udp:0.0.0.0:$port
rocommunity public 127.0.0.0/8
sysName sweep-agent
EOF
    MIBS="" snmpd -f -C -c "$d/snmpd.conf" -Lf "$d/snmpd.log" -p "$d/snmpd.pidfile" </dev/null >/dev/null 2>&1 &
    _lab_track $! sweep
    SWEEP_PORT=$port
    local i
    for ((i = 0; i < 100; i++)); do
        snmpget -v2c -c public -r0 -t0.2 "127.0.0.1:$port" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# start_modbus_ups [--address A] [--port P] [--name NAME] [ARG...]: the lab's Modbus TCP
# Smart-UPS (tests/lib/modbus_ups.py: the APC register map, unit id 1) on A:P, default
# 127.0.0.1 and a free port. ARGs go to it as they are: --units 1,2,3, --dead-unit N,
# --fault exception:A-B:CODE|delay:S[:N]|drop-after:N|wrong-tid:N. Its log is
# $LAB_DIR/NAME.log (NAME default modbus-ups). Sets MODBUS_ADDR, MODBUS_PORT.
start_modbus_ups() {
    local addr=127.0.0.1 port="" name=modbus-ups
    while [ $# -gt 0 ]; do
        case $1 in
            --address) addr=$2; shift 2 ;;
            --port) port=$2; shift 2 ;;
            --name) name=$2; shift 2 ;;
            *) break ;;
        esac
    done
    [ -n "${LAB_DIR:-}" ] || { _lab_log "lab_init first"; return 1; }
    /usr/bin/python3 -c 'import asyncio' 2>/dev/null || { _lab_log "/usr/bin/python3 is missing"; return 1; }
    [ -n "$port" ] || port=$(_lab_free_port)
    /usr/bin/python3 "$DCE_SOURCE_DIR/tests/lib/modbus_ups.py" --host "$addr" --port "$port" "$@" \
        </dev/null >/dev/null 2>"$LAB_DIR/$name.log" &
    _lab_track $! "$name"
    MODBUS_ADDR=$addr
    MODBUS_PORT=$port
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q "listening on" "$LAB_DIR/$name.log" 2>/dev/null && return 0
        kill -0 "$(cat "$LAB_DIR/$name.pid")" 2>/dev/null || break
        sleep 0.1
    done
    _lab_log "the Modbus UPS did not come up; see $LAB_DIR/$name.log"
    tail -5 "$LAB_DIR/$name.log" >&2
    return 1
}

# modbus_ups_stats [NAME]: the UPS's counts so far, e.g. "12 requests, 12 replies,
# 0 dropped (dead unit), 0 delayed, 3 connections".
modbus_ups_stats() {
    local name=${1:-modbus-ups} log before i
    log="$LAB_DIR/$name.log"
    before=$(grep -c ' requests, ' "$log")
    kill -USR1 "$(cat "$LAB_DIR/$name.pid")" 2>/dev/null || return 1
    for ((i = 0; i < 100; i++)); do
        [ "$(grep -c ' requests, ' "$log")" -gt "$before" ] && break
        sleep 0.05
    done
    grep ' requests, ' "$log" | tail -1 | sed 's/^modbus_ups: //'
}

# lab_stop: stops everything started under LAB_DIR (by pid file), waits for it to go.
lab_stop() {
    local f pid i
    for f in "$LAB_DIR"/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null
            for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
        fi
        rm -f "$f"
    done
}
