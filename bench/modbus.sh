#!/usr/bin/env bash
# bench/modbus.sh [BUILD_DIR]: dce-poll against mbpoll in a loop, reading the same APC
# Smart-UPS registers from the same 500 simulated units (50 gateway addresses
# 127.0.1.1 ... 127.0.1.50 on one run-time port, unit ids 1-10 behind each) in the same
# run. Measures each client's own CPU (user+sys, exact, from wait4) per register read,
# and the wall time of one pass. Writes bench/results/modbus.md.
#
# The gateways: bench/modbus_server.c (libmodbus, built here with cc), one process
# answering every address and unit id with the APC map, counting the requests and
# registers it serves, so both clients are measured by the same count.
# (a) mbpoll the way a cron script runs it: one process per unit per register block
#     (status 0-1, measurements 128-151, ratings 588-589), one after another.
# (b) dce-poll, one pass over 500 `device` records (transport modbus, profile
#     apc-smartups-modbus) on stdin.
# Loopback only; every process started here is stopped on exit.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
poll_bin=$build/tools/dce-poll
GATEWAYS=${GATEWAYS:-50}
UNITS=${UNITS:-10}
CONCURRENCY=${CONCURRENCY:-$GATEWAYS}
out_md=${MODBUS_OUT:-$src/bench/results/modbus.md}
T=
. "$src/bench/lib.sh"
for c in mbpoll cc pkg-config /usr/bin/python3; do
    command -v "$c" >/dev/null || { echo "bench/modbus.sh: $c is not installed" >&2; exit 1; }
done
T=$(mktemp -d /tmp/dce-bench-modbus.XXXXXX)
n_units=$((GATEWAYS * UNITS))

# ---- the gateways -----------------------------------------------------------------------
cc -O2 -Wall -o "$T/modbus_server" "$src/bench/modbus_server.c" \
    $(pkg-config --cflags --libs libmodbus) || { echo "bench/modbus.sh: cannot build the server" >&2; exit 1; }
port=$(free_port)
"$T/modbus_server" "$port" 127.0.1.1 "$GATEWAYS" "$T/stats" 2>"$T/server.log" &
server=$!
pids+=($server)
for _ in $(seq 50); do grep -q listening "$T/server.log" && break; sleep 0.1; done
grep -q listening "$T/server.log" || { cat "$T/server.log" >&2; exit 1; }
# registers_served: the server's count of registers read so far.
registers_served() {
    rm -f "$T/stats"
    kill -USR1 "$server"
    for _ in $(seq 100); do [ -s "$T/stats" ] && break; sleep 0.05; done
    awk '{print $4}' "$T/stats"
}

# rusage.py OUT CMD...: runs CMD (stdin and stdout as given), writes "user sys maxrss_kb
# wall exit" to OUT from wait4: exact CPU of that process, not of a shell around it.
# rusage.py --loop OUT LIST: each line of LIST is one command (words), run one after
# another; OUT gets the sums (maxrss the largest) and the number that failed.
cat >"$T/rusage.py" <<'PY'
import os, subprocess, sys, time
def run(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return ru, p.returncode
if sys.argv[1] == "--loop":
    out, cmds = sys.argv[2], [l.split() for l in open(sys.argv[3]) if l.strip()]
    u = s = rss = 0.0; failed = 0
    start = time.monotonic()
    for argv in cmds:
        ru, rc = run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        u += ru.ru_utime; s += ru.ru_stime; rss = max(rss, ru.ru_maxrss); failed += rc != 0
    wall = time.monotonic() - start
    open(out, "w").write("%.6f %.6f %d %.3f %d\n" % (u, s, rss, wall, failed))
else:
    out, argv = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    ru, rc = run(argv)
    wall = time.monotonic() - start
    open(out, "w").write("%.6f %.6f %d %.3f %d\n" % (ru.ru_utime, ru.ru_stime, ru.ru_maxrss, wall, rc))
PY

# ---- (a) mbpoll in a loop -----------------------------------------------------------------
blocks="0:2 128:24 588:2"
for ((g = 1; g <= GATEWAYS; g++)); do
    for ((u = 1; u <= UNITS; u++)); do
        for b in $blocks; do
            echo "mbpoll -m tcp -p $port -a $u -0 -r ${b%:*} -c ${b#*:} -t 4 -1 -o 2 127.0.1.$g"
        done
    done
done >"$T/mbpoll.cmds"
mb_cmds=$(wc -l <"$T/mbpoll.cmds")
r0=$(registers_served)
/usr/bin/python3 "$T/rusage.py" --loop "$T/mbpoll.use" "$T/mbpoll.cmds"
r1=$(registers_served)
read -r mu ms mrss mwall mfailed <"$T/mbpoll.use"
mb_regs=$((r1 - r0))
mb_cpu=$(python3 -c "print(round($mu + $ms, 3))")
mb_per=$(python3 -c "print(round(($mu + $ms) / max($mb_regs, 1) * 1e6, 2))")
echo "mbpoll: $mb_cmds processes, $mfailed failed, $mb_regs registers, CPU $mb_cpu s ($mb_per us/register), wall $mwall s" >&2

# ---- (b) dce-poll, one pass -------------------------------------------------------------
python3 - "$GATEWAYS" "$UNITS" "$port" >"$T/devices.jsonl" <<'PY'
import json, sys
gateways, units, port = (int(a) for a in sys.argv[1:4])
for g in range(1, gateways + 1):
    for u in range(1, units + 1):
        host = "127.0.1.%d" % g
        print(json.dumps({"type": "device", "ts": "2026-11-30T00:00:00.000Z",
                          "id": "modbus://%s:%d/%d" % (host, port, u), "target": host,
                          "transport": "modbus", "port": port, "modbus": {"unit_id": u},
                          "vendor": "APC", "model": "Smart-UPS SRT 3000", "class": "ups",
                          "profile": "apc-smartups-modbus",
                          "profiles": [{"name": "apc-smartups-modbus", "reason": "bench"}]},
                         separators=(",", ":")))
PY
poll_cmd=("$poll_bin" --no-forward --concurrency "$CONCURRENCY" --timeout 2s --retries 1)
poll_note=""
if [ ! -x "$poll_bin" ]; then
    poll_note="dce-poll is not built ($poll_bin): build it first (scripts/build.sh)"
elif ! "$poll_bin" --help 2>&1 | grep -- '--plan' >/dev/null; then  # not -q: no SIGPIPE under pipefail
    poll_note="this dce-poll has no Modbus support (no --plan option): merge the Modbus client first"
fi
if [ -z "$poll_note" ]; then
    plan_requests=$("${poll_cmd[@]}" --plan <"$T/devices.jsonl" 2>/dev/null | grep -c '"type":"plan"')
    r0=$(registers_served)
    /usr/bin/python3 "$T/rusage.py" "$T/poll.use" "${poll_cmd[@]}" <"$T/devices.jsonl" >"$T/poll.jsonl" 2>"$T/poll.err"
    r1=$(registers_served)
    read -r pu ps prss pwall prc <"$T/poll.use"
    poll_regs=$((r1 - r0))
    poll_readings=$(grep -c '"type":"reading"' "$T/poll.jsonl")
    poll_errors=$(grep -c '"type":"error"' "$T/poll.jsonl")
    poll_units=$(jq -r 'select(.type == "reading") | .device' "$T/poll.jsonl" | sort -u | wc -l)
    poll_cpu=$(python3 -c "print(round($pu + $ps, 3))")
    poll_per=$(python3 -c "print(round(($pu + $ps) / max($poll_regs, 1) * 1e6, 2))")
    ratio=$(python3 -c "print(round($mb_per / $poll_per, 1) if $poll_per else 'n/a')")
    if [ "$poll_regs" -eq 0 ] || [ "$poll_readings" -eq 0 ]; then
        poll_note="dce-poll read no registers (exit $prc): $(tail -3 "$T/poll.err" | tr '\n' ' ')"
    fi
    echo "dce-poll: $poll_readings readings, $poll_errors errors, $poll_units units, $poll_regs registers, CPU $poll_cpu s ($poll_per us/register), wall $pwall s, exit $prc" >&2
fi

# ---- report -------------------------------------------------------------------------------
mkdir -p "$(dirname "$out_md")"
{
    cat <<EOF
## dce-poll vs mbpoll (Modbus TCP)

$n_units simulated APC Smart-UPS units behind $GATEWAYS gateway addresses (127.0.1.1 ...
127.0.1.$GATEWAYS, one port, unit ids 1-$UNITS each), served by one libmodbus process
(bench/modbus_server.c) that counts the registers each client reads. CPU is the
client's own (user+sys from wait4), not the server's. Run: \`bench/modbus.sh $build\` on
$(date -u +%Y-%m-%d), nproc $(nproc). Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg).

| client | command | registers read | CPU s | CPU µs per register | wall, one pass |
|---|---|---|---|---|---|
| mbpoll 1.0 in a loop | \`mbpoll -m tcp -p PORT -a UNIT -0 -r REF -c N -t 4 -1 -o 2 127.0.1.G\`, one process per unit and block (0:2, 128:24, 588:2), $mb_cmds in turn ($mfailed failed) | $mb_regs | $mb_cpu | **$mb_per** | $mwall s |
EOF
    if [ -z "$poll_note" ]; then
        cat <<EOF
| dce-poll | \`dce-poll --no-forward --concurrency $CONCURRENCY --timeout 2s --retries 1 < devices.jsonl\` ($plan_requests planned requests) | $poll_regs | $poll_cpu | **$poll_per** | **$pwall s** |

Ratio (mbpoll's CPU per register / dce-poll's): **$ratio×** (target: at least 20×).
One dce-poll pass over $n_units units: **$pwall s** (target: under 2 s); it wrote
$poll_readings readings from $poll_units units and $poll_errors error records (exit $prc),
peak RSS $((prss / 1024)) MB.
EOF
    else
        echo
        echo "dce-poll not measured: $poll_note."
    fi
} >"$out_md"
cat "$out_md"
[ -z "$poll_note" ]
