#!/usr/bin/env bash
# bench/poll.sh [BUILD_DIR]: dce-poll against Debian's prometheus-snmp-exporter (0.21)
# polling the same 1,000 simulated APC UPSs (the apc-ups profile's OIDs) in the same
# run. Measures the POLLER's CPU seconds per 100,000 varbinds and its peak RSS (not the
# agent's), and dce-poll's RSS for 10,000 devices. Writes bench/results/poll.md.
#
# The devices: one net-snmp snmpd on 0.0.0.0:PORT answers every 127.x.y.z address and
# replies from the address asked (IP_PKTINFO), so each 127.20.a.b is its own "UPS".
# Its APC values come from lab/recordings/apc-smartups.snmprec as `override` lines
# (snmpd has no TimeTicks override: those two OIDs are served as Gauge32). Loopback
# only; every process started here is stopped on exit.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
poll_bin=$build/tools/dce-poll
N=${N:-1000}
N_BIG=${N_BIG:-10000}
EXPORTER_PARALLEL=${EXPORTER_PARALLEL:-32}
out_md=${POLL_OUT:-$src/bench/results/poll.md}
T=
. "$src/bench/lib.sh"
[ "${1:-}" = "--time-fields" ] && { time_fields "$2"; exit 0; }  # for tests/cli/bench_parse.sh
for c in snmpd prometheus-snmp-exporter curl python3; do
    command -v "$c" >/dev/null || { echo "bench/poll.sh: $c is not installed" >&2; exit 1; }
done
[ -x "$poll_bin" ] || { echo "bench/poll.sh: build dce-poll first ($poll_bin)" >&2; exit 1; }

T=$(mktemp -d /tmp/dce-bench-poll.XXXXXX)

# ---- the agent ------------------------------------------------------------------------
port=$(free_port)
mkdir -p "$T/persist"
python3 - "$src/lab/recordings/apc-smartups.snmprec" "$T" "$port" >"$T/snmpd.conf" <<'PY'
import sys
rec, tmp, port = sys.argv[1:4]
types = {"2": "integer", "4": "octet_str", "6": "object_id", "65": "counter", "66": "unsigned", "67": "unsigned"}
print(f"[snmp] persistentDir {tmp}/persist")
print(f"agentAddress udp:0.0.0.0:{port}")
print("rocommunity public 127.0.0.0/8")
for line in open(rec):
    oid, tag, val = line.rstrip("\n").split("|", 2)
    if not oid.startswith("1.3.6.1.4.1.318.") or tag not in types:
        continue
    if types[tag] == "octet_str":
        val = '"' + val.replace('"', "") + '"'
    print(f"override {oid} {types[tag]} {val}")
PY
MIBS="" snmpd -f -C -I -smux -c "$T/snmpd.conf" -Lf "$T/snmpd.log" -p "$T/snmpd.pid" &
pids+=($!)
for _ in $(seq 50); do
    snmpget -v2c -c public -r0 -t0.2 127.20.0.1:"$port" 1.3.6.1.4.1.318.1.1.1.2.3.1.0 >/dev/null 2>&1 && break
    sleep 0.1
done
# Bigger socket buffer so a burst of requests is not dropped by the agent's queue.
# Raised for this run only: put back what the machine had when the run ends.
rmem_was=$(sysctl -n net.core.rmem_default 2>/dev/null || true)
restore_rmem() { [ -z "$rmem_was" ] || sysctl -qw net.core.rmem_default="$rmem_was" 2>/dev/null || true; }
trap 'restore_rmem; bench_cleanup' EXIT
sysctl -qw net.core.rmem_default=4194304 2>/dev/null || true

python3 - "$N" "$port" >"$T/targets.txt" <<'PY'
import sys
n, port = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(f"127.20.{i // 250}.{i % 250 + 1}:{port}")
PY
python3 - "$N_BIG" "$port" >"$T/targets-big.txt" <<'PY'
import sys
n, port = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(f"127.21.{i // 250}.{i % 250 + 1}:{port}")
PY
(umask 077; printf '[bench]\nkind = community\ncommunity = public\n' >"$T/cred")

# ---- dce-poll -------------------------------------------------------------------------
poll_cmd=("$poll_bin" --credentials "$T/cred" --credential bench --snmp-version v2c --profile apc-ups
    --rate 0 --concurrency 256 --timeout 2s --retries 2 "@$T/targets.txt")
/usr/bin/time -f 'DCE_TIME %U %S %M' -o "$T/poll.time" "${poll_cmd[@]}" >"$T/poll.jsonl" 2>"$T/poll.err"
poll_rc=$?
read -r pu ps prss < <(time_fields "$T/poll.time")
poll_vb=$(grep -oE '[0-9]+ varbind\(s\)' "$T/poll.err" | grep -oE '^[0-9]+' | tail -1)
[ -n "$poll_vb" ] && [ "$poll_vb" -gt 0 ] || { echo "dce-poll read no varbinds (exit $poll_rc):" >&2; tail -5 "$T/poll.err" >&2; poll_vb=1; }
poll_readings=$(grep -c '"type":"reading"' "$T/poll.jsonl")
poll_errors=$(grep -c '"type":"error"' "$T/poll.jsonl")
poll_cpu=$(python3 -c "print(round($pu + $ps, 3))")
poll_per=$(python3 -c "print(round(($pu + $ps) / $poll_vb * 100000, 3))")

/usr/bin/time -f 'DCE_TIME %U %S %M' -o "$T/big.time" "$poll_bin" --credentials "$T/cred" --credential bench \
    --snmp-version v2c --profile apc-ups --rate 0 --concurrency 256 --timeout 2s --retries 2 \
    "@$T/targets-big.txt" >/dev/null 2>"$T/big.err"
read -r bu bs brss < <(time_fields "$T/big.time")
big_summary=$(grep -E 'device\(s\)' "$T/big.err" | tail -1)

# ---- prometheus-snmp-exporter, same OIDs ------------------------------------------------
python3 - "$src/profiles/apc-ups.json" "$src/profiles/apc-env.json" >"$T/snmp.yml" <<'PY'
# A module in snmp_exporter 0.21's syntax (auth inside the module) for the OIDs the
# apc-ups profile (with its `also: apc-env`) reads: GET of the scalars, walks of the
# sensor tables with their name columns as lookups.
import json, sys
ups, env = (json.load(open(p)) for p in sys.argv[1:3])
metrics = ups["metrics"] + env["metrics"]
get, walk, out = [], [], []
for m in metrics:
    name = "dce_" + m["metric"].replace(".", "_")
    if "oid" in m:
        get.append(m["oid"])
        out.append({"name": name, "oid": m["oid"].rsplit(".", 1)[0], "type": "gauge", "help": m["metric"]})
    else:
        walk.append(m["table"])
        idx = [{"labelname": i, "type": "gauge"} for i in m.get("index", [])]
        lookups = []
        for lname, col in m.get("label_columns", {}).items():
            if col not in walk:
                walk.append(col)
            lookups.append({"labels": [i["labelname"] for i in idx], "labelname": lname, "oid": col, "type": "DisplayString"})
        out.append({"name": name, "oid": m["table"], "type": "gauge", "help": m["metric"], "indexes": idx, "lookups": lookups})
mod = {"version": 2, "auth": {"community": "public"}, "timeout": "2s", "retries": 2, "max_repetitions": 25,
       "get": get, "walk": walk, "metrics": out}
print(json.dumps({"dce_apc_ups": mod}, indent=1))  # JSON is YAML
PY
eport=$(free_port)
prometheus-snmp-exporter --config.file="$T/snmp.yml" --web.listen-address=127.0.0.1:"$eport" \
    --log.level=warn >"$T/exporter.log" 2>&1 &
epid=$!
pids+=($epid)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$eport/" >/dev/null && break; sleep 0.1; done
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
e0=$(cpu_of "$epid")
start=$(date +%s.%N)
sed "s|:$port\$||" "$T/targets.txt" |
    xargs -P "$EXPORTER_PARALLEL" -I{} curl -s "http://127.0.0.1:$eport/snmp?module=dce_apc_ups&target={}:$port" \
    >"$T/exporter.out"
end=$(date +%s.%N)
e1=$(cpu_of "$epid")
erss=$(awk '/VmHWM/ {print $2}' "/proc/$epid/status")
exp_vb=$(awk '/^snmp_scrape_pdus_returned / {s += $2} END {print s + 0}' "$T/exporter.out")
exp_samples=$(grep -c '^dce_' "$T/exporter.out")
exp_cpu=$(python3 -c "print(round(($e1 - $e0) / $hz, 3))")
exp_per=$(python3 -c "print(round(($e1 - $e0) / $hz / max($exp_vb, 1) * 100000, 3))")
ratio=$(python3 -c "print(round($exp_per / $poll_per, 1) if $poll_per else 'n/a')")
exp_secs=$(python3 -c "print(round($end - $start, 2))")

mkdir -p "$(dirname "$out_md")"
cat >"$out_md" <<EOF
## dce-poll vs prometheus-snmp-exporter

$N simulated APC Smart-UPSs (one net-snmp snmpd answering 127.20.x.y, values from
lab/recordings/apc-smartups.snmprec), the apc-ups profile's OIDs (14 scalars by GET and
the apc-env sensor tables by GETBULK walks), SNMPv2c. CPU is the poller's own
(user+sys), not the agent's. Run: \`bench/poll.sh $build\` on $(date -u +%Y-%m-%d), nproc $(nproc).
Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg).

| poller | command | varbinds | CPU s | CPU s per 100k varbinds | peak RSS |
|---|---|---|---|---|---|
| dce-poll | \`dce-poll --snmp-version v2c --profile apc-ups --rate 0 --concurrency 256 @targets\` | $poll_vb | $poll_cpu | **$poll_per** | $((prss / 1024)) MB |
| prometheus-snmp-exporter 0.21 | \`/snmp?module=dce_apc_ups\` scraped for each target, $EXPORTER_PARALLEL in parallel (${exp_secs} s) | $exp_vb | $exp_cpu | **$exp_per** | $((erss / 1024)) MB |

Ratio (exporter CPU per varbind / dce-poll's): **$ratio×** (target: at least 5×).
dce-poll wrote $poll_readings readings and $poll_errors error records (exit $poll_rc);
the exporter returned $exp_samples samples.

dce-poll for $N_BIG devices: peak RSS **$((brss / 1024)) MB** (target: under 100 MB),
CPU $(python3 -c "print(round($bu + $bs, 2))") s; its summary: \`${big_summary#*info: }\`.
EOF

# PROFILE=1: where dce-poll's instructions go, from callgrind over the same run (slow).
if [ "${PROFILE:-0}" = 1 ] && command -v valgrind >/dev/null; then
    valgrind --tool=callgrind --callgrind-out-file="$T/poll.cg" "${poll_cmd[@]}" >/dev/null 2>"$T/cg.err"
    {
        echo
        echo "Where dce-poll's time goes (\`PROFILE=1 bench/poll.sh\`: callgrind over the same $N-device"
        echo "run; instructions, not seconds; self cost of the top functions):"
        echo
        echo '```'
        callgrind_annotate "$T/poll.cg" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,22p' |
            sed -E 's#\[/usr/lib/x86_64-linux-gnu/#[#; s#/work/[^ ]*/lib/#lib/#' | cut -c1-140
        echo '```'
        total=$(callgrind_annotate "$T/poll.cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
        echo
        echo "Total: $total instructions for $poll_vb varbinds ($(python3 -c "print(round($total / max($poll_vb, 1)))") per varbind)."
    } >>"$out_md"
fi
cat "$out_md"
