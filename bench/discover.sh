#!/usr/bin/env bash
# dce-discover vs onesixtyone: sweep 4,096 loopback addresses (127.1.0.0/20) answered by
# one net-snmp snmpd on 0.0.0.0:PORT (rocommunity public 127.0.0.0/8, so every 127.x.y.z
# is an agent), SNMPv2c, in the same run on the same responder. Then a /16 at
# dce-discover's default rate. Writes bench/results/discover.md. Loopback only; stops by
# itself. Needs a built tree: BUILD_DIR (default build) holds tools/dce-discover.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build}
export DCE_SOURCE_DIR=$SRC DCE_BUILD_DIR=$BUILD_DIR DCE_BIN_DIR=$BUILD_DIR/tools
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/lab.sh"
need dce-discover onesixtyone snmpd /usr/bin/time

OUT=$SRC/bench/results/discover.md
lab_init "$T/lab"
start_snmpd_sweep || { echo "snmpd did not start" >&2; exit 1; }
PORT=$SWEEP_PORT
(umask 077; printf '[bench-v2c]\nkind = community\ncommunity = public\n' >"$T/creds")
echo public >"$T/communities"
/usr/bin/python3 -c '
import ipaddress, sys
for a in ipaddress.ip_network(sys.argv[1]): print(a)' 127.1.0.0/20 >"$T/hosts"
N=$(wc -l <"$T/hosts")

# measure NAME COUNT_CMD -- command...: wall, user+sys CPU, devices found.
declare -A WALL CPU FOUND CMD
measure() {
    local name=$1 count=$2; shift 3
    CMD[$name]="$*"
    /usr/bin/time -f '%e %U %S' -o "$T/time.$name" "$@" >"$T/out.$name" 2>"$T/err.$name"
    read -r wall user sys <"$T/time.$name"
    WALL[$name]=$wall
    CPU[$name]=$(echo "$user + $sys" | bc -l | sed 's/^\./0./')
    FOUND[$name]=$($count "$T/out.$name")
    printf '%-22s %6s s wall %6s s CPU %5s found\n' "$name" "${WALL[$name]}" "${CPU[$name]}" "${FOUND[$name]}" >&2
}
count_devices() { grep -c '"type":"device"' "$1"; }
count_161() { grep -c '\[public\]' "$1"; }
rate() { echo "scale=0; $1 / $2" | bc -l; }

D=(dce-discover --credentials "$T/creds" --snmp-version v2c --port "$PORT" --no-progress)
measure discover-unlimited count_devices -- "${D[@]}" --rate 0 --concurrency 128 127.1.0.0/20
measure onesixtyone-w1 count_161 -- onesixtyone -p "$PORT" -c "$T/communities" -i "$T/hosts" -w 1
measure onesixtyone-default count_161 -- onesixtyone -p "$PORT" -c "$T/communities" -i "$T/hosts"
measure discover-default count_devices -- "${D[@]}" 127.1.0.0/20
measure discover-16-default count_devices -- "${D[@]}" 127.2.0.0/16
# BASELINE=/path/to/an/older/dce-discover: the same unlimited sweep with it, in this run,
# so a change to identification can be judged against what it replaced.
if [ -n "${BASELINE:-}" ]; then
    B=("$BASELINE" "${D[@]:1}")
    measure baseline-unlimited count_devices -- "${B[@]}" --rate 0 --concurrency 128 127.1.0.0/20
    measure discover-unlimited-2 count_devices -- "${D[@]}" --rate 0 --concurrency 128 127.1.0.0/20
fi

ratio=$(echo "scale=1; ${WALL[onesixtyone-w1]} / ${WALL[discover-unlimited]}" | bc -l)
target_met=no
[ "${FOUND[discover-unlimited]}" = "$N" ] && [ "$(echo "$ratio >= 5" | bc -l)" = 1 ] && target_met=yes
{
    echo "## dce-discover vs onesixtyone (SNMPv2c sweep of $N loopback agents)"
    echo
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(uname -m)), by \`bench/discover.sh\`."
    echo "Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "Responder: one net-snmp snmpd on \`udp:0.0.0.0:$PORT\`, \`rocommunity public 127.0.0.0/8\`"
    echo "(default receive buffer), answering every 127.x.y.z. Targets: 127.1.0.0/20."
    echo "dce-discover does more per device than onesixtyone: one GET of the system group plus"
    echo "every profile's requires/identity OIDs, profile matching and a JSON record;"
    echo "onesixtyone GETs sysDescr only."
    echo
    echo "| run | found | wall s | probes/s | CPU s |"
    echo "|---|---|---|---|---|"
    for k in discover-unlimited onesixtyone-w1 onesixtyone-default discover-default; do
        echo "| $k | ${FOUND[$k]}/$N | ${WALL[$k]} | $(rate "$N" "${WALL[$k]}") | ${CPU[$k]} |"
    done
    echo "| discover-16-default (127.2.0.0/16) | ${FOUND[discover-16-default]}/65536 | ${WALL[discover-16-default]} | $(rate 65536 "${WALL[discover-16-default]}") | ${CPU[discover-16-default]} |"
    if [ -n "${BASELINE:-}" ]; then
        for k in baseline-unlimited discover-unlimited-2; do
            echo "| $k | ${FOUND[$k]}/$N | ${WALL[$k]} | $(rate "$N" "${WALL[$k]}") | ${CPU[$k]} |"
        done
        echo
        echo "\`baseline-unlimited\` is \`${BASELINE}\` (the previous dce-discover), run against the same"
        echo "responder; \`discover-unlimited-2\` repeats this build's run right after it."
    fi
    echo
    echo "Rate lifted, dce-discover is **${ratio}×** onesixtyone at \`-w 1\` (target: at least 5×,"
    echo "finding every device): target met: **$target_met**."
    echo
    echo "Commands:"
    echo
    for k in discover-unlimited onesixtyone-w1 onesixtyone-default discover-default discover-16-default; do
        echo "    ${CMD[$k]//$T/\$T}"
    done
    echo
    echo "At its default \`--rate 500\` dce-discover is paced on purpose (polite scans); \`--rate 0\`"
    echo "lifts the limit and \`--concurrency\` (targets in flight) then keeps the agent's receive"
    echo "buffer from overflowing, which is what makes onesixtyone \`-w 0\` lose replies."
} >"$OUT"
cat "$OUT"
ok
finish
