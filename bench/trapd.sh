#!/usr/bin/env bash
# bench/trapd.sh [BUILD_DIR] (or BUILD_DIR=... bench/run.sh trapd): dce-trapd against net-snmp's snmptrapd (Debian's 5.9.3)
# receiving the same pre-encoded traps in the same run. Writes bench/results/trapd.md.
#   RECEIVERS="snmptrapd dce-trapd" (default both; RECEIVERS=snmptrapd runs the peer alone)
#
# The traps: one SNMPv2c trap shaped like an APC upsOnBattery (sysUpTime, snmpTrapOID
# 1.3.6.1.4.1.318.0.5, mtrapargsString, snmpTrapEnterprise) and the same as SNMPv3
# authPriv (SHA-256/AES-128), each encoded once by net-snmp's snmptrap and captured off
# a loopback socket, then replayed by bench/trapsend.cpp with sendmmsg, paced or as a
# burst. A v3 trap is captured again right before each v3 run: a replay must stay in
# USM's 150 s time window. The receiver runs on core 1 (taskset), the sender and the
# watcher on core 0, so "one core" is the receiver's. Every receiver is started fresh
# for each scenario, under /usr/bin/time for its CPU seconds and peak RSS.
#
# Counting: a trap is delivered when its line is in the receiver's output (snmptrapd:
# one line per trap by -F; dce-trapd: one "type":"event" JSON line). snmptrapd counts
# no loss of its own, so its loss is sent - delivered; the kernel's count of datagrams
# dropped on the receiver's socket (/proc/net/udp "drops") is shown for both as an
# independent check. dce-trapd's own count of drops is dropped_queue + dropped_kernel
# (+ rejected + malformed) from its final stats record; delivered + counted must equal
# sent. Loopback only; every process started here is stopped on exit.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${BUILD_DIR:-$src/build}}
trapd_bin=$build/tools/dce-trapd
RECEIVERS=${RECEIVERS:-snmptrapd dce-trapd}
PACED_S=${PACED_S:-10}        # seconds of each paced v2c run
BURST=${BURST:-1000000}       # v2c traps in the unpaced burst
BURST_RUNS=${BURST_RUNS:-3}   # how many times the burst is run (the table shows the first)
V3_RATE=${V3_RATE:-20000}     # v3 authPriv paced rate, for PACED_S seconds
V3_BURST=${V3_BURST:-200000}  # v3 authPriv traps in the unpaced burst
FLOOD_S=${FLOOD_S:-20}        # seconds of the flood at twice the measured capacity
RCVBUF=${RCVBUF:-8388608}     # receive buffer asked for by both receivers
out_md=${TRAPD_OUT:-$src/bench/results/trapd.md}
py=$(command -v /usr/bin/python3 || command -v python3)

for c in snmptrapd snmptrap g++ taskset ss "$py"; do
    command -v "$c" >/dev/null || { echo "bench/trapd.sh: $c is not installed (apt-get install snmptrapd snmp g++ util-linux iproute2 python3)" >&2; exit 1; }
done
for r in $RECEIVERS; do
    case $r in
    snmptrapd) ;;
    dce-trapd) [ -x "$trapd_bin" ] || { echo "bench/trapd.sh: build dce-trapd first ($trapd_bin), or run RECEIVERS=snmptrapd $0" >&2; exit 1; } ;;
    *) echo "bench/trapd.sh: unknown receiver '$r' (snmptrapd, dce-trapd)" >&2; exit 2 ;;
    esac
done
[ "$(nproc)" -ge 2 ] || { echo "bench/trapd.sh: needs two cores (receiver on 1, sender on 0)" >&2; exit 1; }

T=$(mktemp -d "${BENCH_TMP:-/dev/shm}/dce-bench-trapd.XXXXXX")
. "$src/bench/lib.sh"
log() { echo "bench/trapd.sh: $*" >&2; }
hz=$(getconf CLK_TCK)
# core1_jiffies: "BUSY TOTAL" of core 1 so far (/proc/stat), to tell how much of the
# receiver's core other processes took during a scenario.
core1_jiffies() { awk '$1 == "cpu1" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }

g++ -O2 -std=c++20 "$src/bench/trapsend.cpp" -o "$T/trapsend" || exit 1
taskset -c 0 "$T/trapsend" --selftest 2>"$T/selftest.err" || { cat "$T/selftest.err" >&2; exit 1; }

# ---- the traps --------------------------------------------------------------------------
ENGINE=0x80001f8880aabbccdd
trap_vbs=(1.3.6.1.4.1.318.0.5
    1.3.6.1.4.1.318.2.3.3.0 s "UPS: On battery power in response to an input power problem."
    1.3.6.1.6.3.1.1.4.3.0 o 1.3.6.1.4.1.318)
v2c_cmd=(snmptrap -v2c -c public)
v3_cmd=(snmptrap -v3 -e "$ENGINE" -u benchuser -l authPriv -a SHA-256 -A benchauthpass -x AES-128 -X benchprivpass)
v3sha1_cmd=(snmptrap -v3 -e "$ENGINE" -u benchsha1 -l authPriv -a SHA -A benchauthpass -x AES -X benchprivpass)
# capture FILE snmptrap-args...: one datagram from snmptrap, as sent, into FILE.
capture() {
    local file=$1 port
    shift
    mkdir -p "$T/persist-snmptrap"
    coproc CAP { "$py" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.settimeout(10)
print(s.getsockname()[1], flush=True)
open(sys.argv[1], "wb").write(s.recvfrom(65535)[0])' "$file"; }
    local cpid=$CAP_PID
    read -r port <&"${CAP[0]}"
    SNMP_PERSISTENT_DIR=$T/persist-snmptrap MIBS="" "$@" 127.0.0.1:"$port" 123456 "${trap_vbs[@]}" 2>"$T/snmptrap.err" ||
        { log "snmptrap failed:"; cat "$T/snmptrap.err" >&2; exit 1; }
    wait "$cpid" && [ -s "$file" ] || { log "no datagram captured from $*"; exit 1; }
}
capture "$T/v2c.bin" "${v2c_cmd[@]}"

# ---- the receivers ------------------------------------------------------------------------
cat >"$T/snmptrapd.conf" <<EOF
authCommunity log public
createUser -e $ENGINE benchuser SHA-256 benchauthpass AES benchprivpass
authUser log benchuser priv
createUser -e $ENGINE benchsha1 SHA benchauthpass AES benchprivpass
authUser log benchsha1 priv
[snmp] serverRecvBuf $RCVBUF
EOF
(umask 077; cat >"$T/cred.ini" <<'EOF'
[bench-v2c]
kind = community
community = public
[bench-v3]
kind = snmpv3
user = benchuser
auth_protocol = SHA-256
auth_pass = benchauthpass
priv_protocol = AES-128
priv_pass = benchprivpass
[bench-v3-sha1]
kind = snmpv3
user = benchsha1
auth_protocol = SHA
auth_pass = benchauthpass
priv_protocol = AES
priv_pass = benchprivpass
EOF
)
# One line per trap: snmptrapd's default print2 format, joined onto one line.
st_format='%.4y-%.2m-%.2l %.2h:%.2j:%.2k %B [%b] %P: %v\n'
# For the report: the command lines, with the temporary directory written as $T.
st_cmd() {  # st_cmd TAG PORT: the snmptrapd command line
    echo snmptrapd -f -C -c "$T/snmptrapd.conf" -X -n -p "$T/$1.pid" -Lf "$T/$1.out" -F "'$st_format'" "udp:127.0.0.1:$2" | sed "s|$T|\$T|g"
}
dce_cmd() {  # dce_cmd TAG PORT
    echo "$trapd_bin" --listen "127.0.0.1:$2" --credentials "$T/cred.ini" --stats-interval 1s --rcvbuf "$RCVBUF" --state-dir "$T/state" | sed "s|$T|\$T|g"
}

# start_receiver NAME TAG PORT: starts it on core 1 under /usr/bin/time; sets rpid (the
# receiver) and tpid (time). Waits until its socket is bound.
start_receiver() {
    local name=$1 tag=$2 port=$3 hex
    hex=$(printf '0100007F:%04X' "$port")
    if [ "$name" = snmptrapd ]; then
        mkdir -p "$T/persist-$tag"
        SNMP_PERSISTENT_DIR=$T/persist-$tag MIBS="" /usr/bin/time -f 'DCE_TIME %U %S %M' -o "$T/$tag.time" \
            taskset -c 1 snmptrapd -f -C -c "$T/snmptrapd.conf" -X -n -p "$T/$tag.pid" -Lf "$T/$tag.out" \
            -F "$st_format" "udp:127.0.0.1:$port" >"$T/$tag.err" 2>&1 &
    else
        /usr/bin/time -f 'DCE_TIME %U %S %M' -o "$T/$tag.time" taskset -c 1 "$trapd_bin" \
            --listen "127.0.0.1:$port" --credentials "$T/cred.ini" --stats-interval 1s --rcvbuf "$RCVBUF" \
            --state-dir "$T/state-$tag" >"$T/$tag.out" 2>"$T/$tag.err" &
    fi
    tpid=$!
    pids+=("$tpid")
    rpid=
    for _ in $(seq 100); do
        [ -z "$rpid" ] && rpid=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null | awk '{print $1}')
        [ -n "$rpid" ] && grep -q " $hex " /proc/net/udp && { pids+=("$rpid"); return 0; }
        kill -0 "$tpid" 2>/dev/null || break
        sleep 0.05
    done
    log "$name did not start:"
    tail -5 "$T/$tag.err" >&2
    exit 1
}

# stop_receiver: SIGTERM, then up to 30 s to drain and exit (SIGKILL after that).
stop_receiver() {
    kill -TERM "$rpid" 2>/dev/null
    for _ in $(seq 300); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$tpid" 2>/dev/null && { log "receiver $rpid did not exit on SIGTERM: killed"; kill -KILL "$rpid"; }
    wait "$tpid" 2>/dev/null
}

# Results: R[scenario.receiver.key]
declare -A R
cmds=()

# scenario NAME RECEIVER PACKET(v2c|v3) COUNT RATE: one fresh receiver, one sender run.
scenario() {
    local sc=$1 name=$2 kind=$3 count=$4 rate=$5 tag=$1-$2 port marker w=() k
    port=$(free_port)
    [ "$kind" = v3 ] && capture "$T/v3.bin" "${v3_cmd[@]}"
    [ "$kind" = v3sha1 ] && capture "$T/v3sha1.bin" "${v3sha1_cmd[@]}"
    start_receiver "$name" "$tag" "$port"
    local core1_before
    core1_before=$(core1_jiffies)
    R[$sc.$name.rcvbuf]=$(ss -uamn "sport = :$port" | grep -oE 'rb[0-9]+' | head -1 | tr -d rb)
    if [ "$name" = snmptrapd ]; then marker=' TRAP2, SNMP v'; else marker='"type":"event"'; w=(--stats); fi
    taskset -c 0 "$py" "$src/bench/trapd_watch.py" "$T/$tag.out" "$marker" "$rpid" "$port" "$T/$tag.done" "${w[@]}" \
        >"$T/$tag.watch" &
    local wpid=$!
    pids+=("$wpid")
    log "$sc $name: $count $kind traps at $([ "$rate" = 0 ] && echo 'full speed' || echo "$rate/s") to 127.0.0.1:$port"
    taskset -c 0 "$T/trapsend" --packet "$T/$kind.bin" --target "127.0.0.1:$port" --count "$count" --rate "$rate" \
        2>"$T/$tag.send"
    grep -oE 'sent=[0-9]+' "$T/$tag.send" | cut -d= -f2 >"$T/$tag.done"
    wait "$wpid"
    stop_receiver
    local core1_after sent
    core1_after=$(core1_jiffies)
    sent=$(cat "$T/$tag.done")
    R[$sc.$name.sent]=$sent
    R[$sc.$name.send_rate]=$(grep -oE 'rate=[0-9]+' "$T/$tag.send" | cut -d= -f2)
    R[$sc.$name.delivered]=$(grep -cF -- "$marker" "$T/$tag.out")
    read -r u s m < <(time_fields "$T/$tag.time")
    R[$sc.$name.cpu]=$("$py" -c "print(round($u + $s, 2))")
    R[$sc.$name.per_cpu]=$("$py" -c "c = $u + $s; print(round(${R[$sc.$name.delivered]} / c) if c else '')")
    R[$sc.$name.other]=$("$py" -c "
b0, t0 = map(int, '$core1_before'.split()); b1, t1 = map(int, '$core1_after'.split())
print(max(0, round(100 * ((b1 - b0) / $hz - ($u + $s)) / max((t1 - t0) / $hz, 0.01))))")
    R[$sc.$name.rss_mb]=$("$py" -c "print(round($m / 1024, 1))")
    R[$sc.$name.exit]=$(grep -oE 'non-zero status [0-9]+|signal [0-9]+' "$T/$tag.time" | grep -oE '[0-9]+$' || echo 0)
    # The watcher's figures and dce-trapd's final stats record.
    "$py" - "$T/$tag.watch" "$T/$tag.out" "$name" <<'PY' >"$T/$tag.kv"
import json, sys
w = json.load(open(sys.argv[1]))
print("rate", round(w["rate"]) if w["rate"] else "")
print("kernel_drops", w["kernel_drops"] if w["kernel_drops"] is not None else "")
print("timed_out", "yes" if w["timed_out"] else "no")
r = w["rss_kb"]
print("rss_series", " ".join(str(round(x / 1024)) for x in r[:: max(1, len(r) // 8)]) if r else "")
if sys.argv[3] == "dce-trapd":
    last = None
    with open(sys.argv[2], "rb") as f:
        for line in f:
            if b'"type":"stats"' in line:
                last = line
    s = json.loads(last) if last else {}
    for k in ("received", "decoded", "delivered", "malformed", "dropped_queue", "dropped_kernel",
              "rate_limited", "deduplicated", "final"):
        print("st_" + k, s.get(k, ""))
    rej = s.get("rejected", {})
    print("st_rejected", sum(rej.values()) if isinstance(rej, dict) else rej)
    rej = {k: v for k, v in rej.items() if v} if isinstance(rej, dict) else rej
    print("st_rejected_causes", json.dumps(rej, separators=(",", ":")) if rej else "")
PY
    while read -r k v; do R[$sc.$name.$k]=$v; done <"$T/$tag.kv"
    [ -s "$T/sample-$name-$kind" ] || grep -m1 -F -- "$marker" "$T/$tag.out" >"$T/sample-$name-$kind"
    log "$sc $name: sent $sent, delivered ${R[$sc.$name.delivered]}, kernel drops ${R[$sc.$name.kernel_drops]}, rate ${R[$sc.$name.rate]}/s, CPU ${R[$sc.$name.cpu]} s, RSS ${R[$sc.$name.rss_mb]} MB"
    rm -f "$T/$tag.out"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $RECEIVERS; do
    scenario paced50 "$r" v2c $((50000 * PACED_S)) 50000
    scenario paced100 "$r" v2c $((100000 * PACED_S)) 100000
    scenario burst "$r" v2c "$BURST" 0
    runs=("${R[burst.$r.rate]:-0}")
    for i in $(seq 2 "$BURST_RUNS"); do
        scenario "burst$i" "$r" v2c "$BURST" 0
        runs+=("${R[burst$i.$r.rate]:-0}")
    done
    R[burst.$r.rates]=$(IFS=/; echo "${runs[*]}")
    R[burst.$r.median]=$(printf '%s\n' "${runs[@]}" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
    scenario v3paced "$r" v3 $((V3_RATE * PACED_S)) "$V3_RATE"
    scenario v3burst "$r" v3 "$V3_BURST" 0
    scenario v3sha1burst "$r" v3sha1 "$V3_BURST" 0
    # Capacity: the best rate it kept up while saturated (the burst, or 100,000/s paced
    # when that was more than it could take); flood at twice that.
    cap=$(printf '%s\n' "${R[burst.$r.median]:-0}" "${R[paced100.$r.rate]:-0}" | sort -n | tail -1)
    [ "${cap:-0}" -gt 0 ] 2>/dev/null || cap=50000
    R[flood.$r.target]=$((cap * 2 / 1000 * 1000))
    scenario flood "$r" v2c $((${R[flood.$r.target]} * FLOOD_S)) "${R[flood.$r.target]}"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report -----------------------------------------------------------------------------
recv=($RECEIVERS)
ran() { [[ " ${recv[*]} " == *" $1 "* ]]; }
row() {  # row LABEL SCENARIO KEY [SUFFIX]: one table row, a cell per receiver
    local line="| $1 |" r v
    for r in "${recv[@]}"; do v=${R[$2.$r.$3]:-}; line+=" ${v:-—}${v:+${4:-}} |"; done
    echo "$line"
}
loss_row() {  # loss_row SCENARIO: sent - delivered, and as a percentage
    local line="| lost (sent − delivered) |" r s d
    for r in "${recv[@]}"; do
        s=${R[$1.$r.sent]:-0} d=${R[$1.$r.delivered]:-0}
        line+=" $((s - d)) ($("$py" -c "print(round(100 * ($s - $d) / max($s, 1), 2))") %) |"
    done
    echo "$line"
}
accounted_row() {  # dce-trapd's own count: delivered + counted drops vs sent
    local line="| receiver's own drop count; delivered + counted = sent? |" r s d c
    for r in "${recv[@]}"; do
        if [ "$r" = snmptrapd ]; then line+=" none (it counts no loss) |"; continue; fi
        s=${R[$1.$r.sent]:-0} d=${R[$1.$r.delivered]:-0}
        c=0
        for k in dropped_queue dropped_kernel rejected malformed rate_limited deduplicated; do c=$((c + ${R[$1.$r.st_$k]:-0})); done
        line+=" $c (queue ${R[$1.$r.st_dropped_queue]:-?}, kernel ${R[$1.$r.st_dropped_kernel]:-?}); $d + $c = $((d + c)) $([ $((d + c)) -eq "$s" ] && echo '**= sent**' || echo "**≠ sent ($s)**") |"
    done
    echo "$line"
}
describe_receivers() {  # the receivers' lines of the report, for those that ran
    if ran snmptrapd; then
        echo "- snmptrapd $st_ver: \`$(st_cmd TAG PORT)\` with \`MIBS=\"\"\`, \`SNMP_PERSISTENT_DIR\` a fresh"
        echo "  directory, and this snmptrapd.conf: \`$(paste -sd';' "$T/snmptrapd.conf" | sed 's/;/; /g')\`."
        echo "  One output line per trap (its default print2 format on one line); delivered = lines in that file."
    else
        echo "- snmptrapd: not run this time (RECEIVERS=$RECEIVERS)."
    fi
    if ran dce-trapd; then
        echo "- $("$trapd_bin" --version 2>&1 | head -1) (binary of $(date -u -r "$trapd_bin" +%Y-%m-%dT%H:%MZ)):"
        echo "  \`$(dce_cmd TAG PORT) > events.jsonl\` with the credentials file"
        echo "  \`[bench-v2c] kind=community community=public\`, \`[bench-v3] kind=snmpv3 user=benchuser"
        echo "  auth_protocol=SHA-256 auth_pass=… priv_protocol=AES-128 priv_pass=…\` (and \`[bench-v3-sha1]\`"
        echo "  the same with \`user=benchsha1 auth_protocol=SHA priv_protocol=AES\`); delivered = \`\"type\":\"event\"\` lines,"
        echo "  counted drops from its final \`\"type\":\"stats\"\` record (written on SIGTERM)."
    else
        echo "- dce-trapd: not run this time (RECEIVERS=$RECEIVERS): build it and run \`bench/trapd.sh\`."
    fi
}
targets() {  # the issue's targets for dce-trapd, each with the figure that answers it
    local d=dce-trapd yes no
    yes() { [ "$1" = 1 ] && echo "**met**" || echo "**not met**"; }
    echo "Targets (dce-trapd), from the tables below:"
    echo
    echo "| target | figure | |"
    echo "|---|---|---|"
    echo "| ≥ 100,000 v2c traps/s decoded to JSON on one core | ${R[burst.$d.median]:-?}/s in the burst (median of $BURST_RUNS: ${R[burst.$d.rates]:-?}), ${R[flood.$d.rate]:-?}/s under the flood; ${R[burst.$d.per_cpu]:-?} per CPU second in the first burst | $(yes "$("$py" -c "print(int(min(${R[burst.$d.median]:-0}, ${R[flood.$d.rate]:-0}) >= 100000))")") |"
    echo "| zero loss at 50,000/s paced | $((${R[paced50.$d.sent]:-0} - ${R[paced50.$d.delivered]:-0})) of ${R[paced50.$d.sent]:-?} lost (at 100,000/s: $((${R[paced100.$d.sent]:-0} - ${R[paced100.$d.delivered]:-0}))) | $(yes $((${R[paced50.$d.sent]:-1} == ${R[paced50.$d.delivered]:-0}))) |"
    local c=0 k
    for k in dropped_queue dropped_kernel rejected malformed rate_limited deduplicated; do c=$((c + ${R[burst.$d.st_$k]:-0})); done
    echo "| burst of $BURST: delivered + counted = sent | ${R[burst.$d.delivered]:-?} + $c = $((${R[burst.$d.delivered]:-0} + c)) of ${R[burst.$d.sent]:-?} | $(yes $((${R[burst.$d.delivered]:-0} + c == ${R[burst.$d.sent]:-0}))) |"
    echo "| v3 authPriv rate (report) | SHA-256/AES-128 ${R[v3burst.$d.rate]:-?}/s, SHA-1/AES-128 ${R[v3sha1burst.$d.rate]:-?}/s (bursts of $V3_BURST); lossless at $V3_RATE/s paced: $([ "${R[v3paced.$d.sent]:-1}" = "${R[v3paced.$d.delivered]:-0}" ] && echo yes || echo no) | |"
    echo "| peak RSS under a flood at twice capacity stays bounded (report) | ${R[flood.$d.rss_mb]:-?} MB after $FLOOD_S s at ${R[flood.$d.send_rate]:-?}/s (VmRSS samples ${R[flood.$d.rss_series]:-?} MB); ${R[paced50.$d.rss_mb]:-?} MB at 50,000/s | |"
}
header() {
    local line="| |" sep="|---|" r
    for r in "${recv[@]}"; do line+=" $r |"; sep+="---|"; done
    printf '%s\n%s\n' "$line" "$sep"
}
common_rows() {  # common_rows SCENARIO
    row "sent" "$1" sent
    row "send rate achieved, /s" "$1" send_rate
    row "delivered" "$1" delivered
    loss_row "$1"
    row "kernel drops on its socket (/proc/net/udp)" "$1" kernel_drops
    ran dce-trapd && accounted_row "$1"
    row "CPU s (user+sys)" "$1" cpu
    row "delivered per CPU second" "$1" per_cpu
    row "peak RSS" "$1" rss_mb " MB"
    row "core 1 taken by other processes, % of the run" "$1" other
}
st_ver=$(snmptrapd -v 2>&1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -1)
mkdir -p "$(dirname "$out_md")"
{
    cat <<EOF
## dce-trapd vs snmptrapd

Pre-encoded SNMP traps replayed over loopback to each receiver in the same run: an
SNMPv2c trap like an APC upsOnBattery (4 varbinds, $(stat -c %s "$T/v2c.bin") bytes) and the same trap as
SNMPv3 authPriv, SHA-256 + AES-128 ($(stat -c %s "$T/v3.bin" 2>/dev/null || echo '?') bytes) and SHA-1 + AES-128, each encoded once by net-snmp's
\`snmptrap\` and sent again and again by \`bench/trapsend.cpp\` (sendmmsg, batches of 64,
paced by a token bucket or unpaced). Receiver pinned to core 1, sender to core 0; each
receiver started fresh for every scenario. Run: \`bench/trapd.sh $build\` on $(date -u +%Y-%m-%d).
Machine: nproc $(nproc), kernel $(uname -r), net.core.rmem_max $(sysctl -n net.core.rmem_max),
net.core.rmem_default $(sysctl -n net.core.rmem_default). Load average at start $load_start, at end $load_end; each table says how much of the
receiver's core other processes took while it ran (then the per-CPU-second figure is the
one to compare).

Receivers and their exact commands:

$(describe_receivers)
- sender: \`trapsend --packet FILE --target 127.0.0.1:PORT --count N --rate R\` (R 0 = unpaced),
  both under \`taskset\`; the packets from \`$(echo "${v2c_cmd[*]}") 127.0.0.1:PORT 123456 ${trap_vbs[0]} ${trap_vbs[1]} s '…' ${trap_vbs[4]} o ${trap_vbs[6]}\` and
  \`$(echo "${v3_cmd[*]}" | sed 's/-A benchauthpass/-A …/; s/-X benchprivpass/-X …/') 127.0.0.1:PORT …\` (same varbinds; and \`-u benchsha1 -a SHA -x AES\`).

Receive buffer: both ask for $RCVBUF bytes (snmptrapd by \`serverRecvBuf\`, dce-trapd by
\`--rcvbuf\`). SO_RCVBUF is capped at net.core.rmem_max unless the process uses
SO_RCVBUFFORCE as root; the kernel doubles what it grants. In effect (ss's \`rb\`, bytes):
$(for r in "${recv[@]}"; do echo "$r ${R[burst.$r.rcvbuf]:-?}"; done | paste -sd';' | sed 's/;/, /g').

$(ran dce-trapd && targets)

### v2c paced at 50,000/s for $PACED_S s (target: zero loss)

$(header)
$(common_rows paced50)

### v2c paced at 100,000/s for $PACED_S s

$(header)
$(common_rows paced100)

### v2c unpaced burst of $BURST (target: ≥ 100,000 decoded per second on one core; delivered + counted = sent)

Processing rate = delivered / (time from the first delivered line to the last), read as
the output grows; per CPU second = delivered / the receiver's user+sys seconds (the
figure that other load on the machine does not skew).

$(header)
$(common_rows burst)
$(row "**processing rate, traps/s**" burst rate)
$(row "processing rate in each of $BURST_RUNS bursts, traps/s" burst rates)

### v3 authPriv (SHA-256 + AES-128) paced at $V3_RATE/s for $PACED_S s

$(header)
$(common_rows v3paced)

### v3 authPriv unpaced burst of $V3_BURST

$(header)
$(common_rows v3burst)
$(row "**processing rate, traps/s**" v3burst rate)

### v3 authPriv with SHA-1 + AES-128 (the common deployed pair), unpaced burst of $V3_BURST

$(header)
$(common_rows v3sha1burst)
$(row "**processing rate, traps/s**" v3sha1burst rate)

### Flood at twice capacity for $FLOOD_S s (peak RSS must stay bounded)

Twice the rate the receiver kept up when saturated (the higher of its median processing
rate in the v2c bursts and its rate in the 100,000/s run), sent for $FLOOD_S s.

$(header)
$(row "flood rate asked, /s" flood target)
$(common_rows flood)
$(row "processing rate under the flood, traps/s" flood rate)
$(row "VmRSS through the run, MB (sampled)" flood rss_series)

One delivered v2c trap as each receiver wrote it:

\`\`\`
$(for r in "${recv[@]}"; do echo "# $r"; cut -c1-600 "$T/sample-$r-v2c" 2>/dev/null; done)
\`\`\`
EOF
    timed=$(for k in "${!R[@]}"; do [[ $k == *.timed_out && ${R[$k]} == yes ]] && echo "${k%.timed_out}"; done | sort | paste -sd' ')
    [ -n "$timed" ] && echo && echo "Not drained within the watcher's timeout (figures taken then): $timed."
    for r in "${recv[@]}"; do
        [ "$r" = dce-trapd ] || continue
        causes=$(for k in "${!R[@]}"; do [[ $k == *.dce-trapd.st_rejected_causes && -n ${R[$k]} ]] && echo "${k%%.*}: ${R[$k]}"; done | paste -sd';')
        [ -n "$causes" ] && echo && echo "dce-trapd rejected (by cause): $causes."
        exits=$(for k in "${!R[@]}"; do [[ $k == *.dce-trapd.exit ]] && echo "${R[$k]}"; done | sort -u | paste -sd' ')
        echo
        echo "dce-trapd's exit status after SIGTERM: $exits (130 expected)."
    done
} >"$out_md"
cat "$out_md"
