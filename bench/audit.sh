#!/usr/bin/env bash
# bench/audit.sh [BUILD_DIR]: a whole lab site audited by dce-audit — every device and
# server, every check the binary has (`dce-audit --list-checks`) — against nmap scanning
# the same TCP and UDP ports of the same hosts, in the same run. Target: the site in
# under 5 s of wall time. Writes bench/results/audit.md.
#
# The site, all on loopback: the simulated lab (scripts/lab.sh: snmpsim devices on
# 127.0.0.2-13, net-snmp agents on .14 and .15; port 161 when free, as root) with the
# built-in "device" role, and two servers with the "dce-server" role: nginx on
# 127.0.0.16 (80 redirecting to 443, TLS with a throw-away self-signed certificate)
# and 127.0.0.17 with nothing listening. Every process started here is stopped on exit.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
audit_bin=$build/tools/dce-audit
out_md=${AUDIT_OUT:-$src/bench/results/audit.md}
TIMEOUT=${TIMEOUT:-2s}
T=
. "$src/bench/lib.sh"
for c in nmap snmpsimd snmpd nginx openssl jq python3; do
    command -v "$c" >/dev/null || { echo "bench/audit.sh: $c is not installed" >&2; exit 1; }
done
[ -x "$audit_bin" ] || { echo "bench/audit.sh: build dce-audit first ($audit_bin)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/audit.sh: needs root (ports 80/443, nmap -sU)" >&2; exit 1; }

T=$(mktemp -d /tmp/dce-bench-audit.XXXXXX)
chmod 755 "$T"  # snmpsim drops root for nobody and writes its cache under the lab dir
lab_stop() { DCE_LAB_DIR="$T/lab" bash "$src/scripts/lab.sh" stop >/dev/null 2>&1; }
trap 'lab_stop; bench_cleanup' EXIT

# ---- the site ---------------------------------------------------------------------------
DCE_LAB_DIR="$T/lab" bash "$src/scripts/lab.sh" start >"$T/lab.out" 2>&1 ||
    { echo "bench/audit.sh: the lab did not start:" >&2; tail -5 "$T/lab.out" >&2; exit 1; }
. "$T/lab/lab.env"   # LAB_PORT, LAB_CREDENTIALS

(umask 077; mkdir "$T/tls")
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench-server" \
    -keyout "$T/tls/server.key" -out "$T/tls/server.crt" 2>/dev/null
mkdir -p "$T/nginx"
cat >"$T/nginx.conf" <<EOF
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    server { listen 127.0.0.16:80; return 301 https://\$host\$request_uri; }
    server {
        listen 127.0.0.16:443 ssl;
        ssl_certificate $T/tls/server.crt;
        ssl_certificate_key $T/tls/server.key;
        add_header Strict-Transport-Security "max-age=31536000" always;
        location / { return 200 "dce server\n"; }
    }
}
EOF
nginx -c "$T/nginx.conf" -p "$T/nginx" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.16/443) 2>/dev/null && break; sleep 0.1; done

# The devices as a site knows them: dce-discover's records (model, firmware, card), which
# dce-audit reads on stdin. Timed too, but apart: discovery is not the audit.
discover_bin=$build/tools/dce-discover
[ -x "$discover_bin" ] || { echo "bench/audit.sh: build dce-discover first ($discover_bin)" >&2; exit 1; }
/usr/bin/time -f 'DCE_TIME %e %U %S %M' -o "$T/discover.time" "$discover_bin" \
    --credentials "$LAB_CREDENTIALS" --port "$LAB_PORT" --timeout "$TIMEOUT" --no-progress \
    127.0.0.2-15 >"$T/devices.jsonl" 2>"$T/discover.err"
ndevices=$(grep -c '"type":"device"' "$T/devices.jsonl")

# The policy: the built-in roles (the device role moved to the lab's SNMP port when it is
# not 161), firmware minimums for the lab's models, and the two servers.
python3 - "$LAB_PORT" >"$T/policy.json" <<'PY'
import json, sys
port = int(sys.argv[1])
policy = {
    "name": "bench lab site",
    "firmware_minimum": {"AP9631": "6.9.6", "AP9641": "2.5.0.6", "Smart-UPS*": "UPS 09.3",
                         "NBRK*": "5.0", "AP7900": "3.9.2", "AP89*": "6.5.0",
                         "ex2300*": "21.4R3"},
    "targets": [{"address": "127.0.0.16", "name": "dce-server-1", "role": "dce-server"},
                {"address": "127.0.0.17", "name": "dce-server-2", "role": "dce-server"}],
}
if port != 161:
    policy["roles"] = {"device": {"snmp": {"port": port},
                                  "ports": {"open": ["tcp/443", f"udp/{port}"]}}}
print(json.dumps(policy, indent=1))
PY

# The ports nmap scans: every port a target's policy names (its port lists and each
# service's port), the union over the site.
"$audit_bin" policy --default >"$T/default.json"
python3 - "$T/default.json" "$T/policy.json" >"$T/ports" <<'PY'
import json, sys
roles = json.load(open(sys.argv[1]))["roles"]
site = json.load(open(sys.argv[2]))
tcp, udp = set(), set()
def merge(a, b):  # as the policy does: objects key by key, the rest replaced
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return b
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(a[k], v) if k in a else v
    return out
roles = merge(roles, site.get("roles", {}))
for t in site["targets"] + [{"role": "device"}]:  # the devices from stdin: role device
    p = merge(roles[t.get("role", "device")], t)
    for spec in p.get("ports", {}).get("open", []) + p.get("ports", {}).get("denied", []):
        proto, _, num = str(spec).rpartition("/")
        (udp if proto == "udp" else tcp).add(int(num))
    for key in ("https_port", "http_port"):
        if key in p.get("web", {}): tcp.add(p["web"][key])
    for svc in ("cert", "ssh", "telnet", "ftp", "modbus"):
        if "port" in p.get(svc, {}): tcp.add(p[svc]["port"])
    if "port" in p.get("snmp", {}): udp.add(p["snmp"]["port"])
print("T:" + ",".join(map(str, sorted(tcp))) + ",U:" + ",".join(map(str, sorted(udp))))
PY
ports=$(cat "$T/ports")

"$audit_bin" --list-checks >"$T/checks.jsonl"
families=$(jq -rs '[.[].family] | unique | join(", ")' "$T/checks.jsonl")
nchecks=$(jq -s length "$T/checks.jsonl")

# ---- the runs (same site, one after the other) -----------------------------------------
wall_fields() { awk '$1 == "DCE_TIME" {print $2, $3, $4, $5; f = 1} END {if (!f) print "0 0 0 0"}' "$1"; }
audit_cmd=("$audit_bin" --policy "$T/policy.json" --credentials "$LAB_CREDENTIALS" --timeout "$TIMEOUT" -)
/usr/bin/time -f 'DCE_TIME %e %U %S %M' -o "$T/audit.time" "${audit_cmd[@]}" \
    <"$T/devices.jsonl" >"$T/audit.jsonl" 2>"$T/audit.err"
audit_rc=$?
read -r aw au as arss < <(wall_fields "$T/audit.time")
read -r dw du ds _ < <(wall_fields "$T/discover.time")
nfind=$(jq -s length "$T/audit.jsonl")
ntargets=$(jq -rs '[.[].target | split(" ")[0]] | unique | length' "$T/audit.jsonl")
statuses=$(jq -rs 'group_by(.status) | map("\(length) \(.[0].status)") | join(", ")' "$T/audit.jsonl")
per_family=$(jq -rs 'group_by(.check | split(".")[0]) | map("\(.[0].check | split(".")[0]) \(length)") | join(", ")' "$T/audit.jsonl")
nports=$(jq -rs '[.[] | select(.check | startswith("ports.")) ] | length' "$T/audit.jsonl")

nmap_cmd=(nmap -n -Pn -sT -sU -p "$ports" --max-retries 1 127.0.0.2-17)
/usr/bin/time -f 'DCE_TIME %e %U %S %M' -o "$T/nmap.time" "${nmap_cmd[@]}" -oG "$T/nmap.gnmap" >/dev/null 2>"$T/nmap.err"
nmap_rc=$?
read -r nw nu ns nrss < <(wall_fields "$T/nmap.time")
nmap_probes=$(grep -oE '[0-9]+/(open|closed|filtered|open\|filtered)/' "$T/nmap.gnmap" | wc -l)
nmap_states=$(grep -oE '[0-9]+/[a-z|]+/(tcp|udp)' "$T/nmap.gnmap" | cut -d/ -f2,3 | sort | uniq -c |
    awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')

met=$(python3 -c "print('yes' if $aw < 5 else 'no')")
ntcp=$(tr ',' '\n' <<<"${ports#T:}" | sed -n '/U:/q;p' | wc -l)
nudp=$(tr ',' '\n' <<<"${ports#*U:}" | wc -l)

cpu() { python3 -c "print(round($1 + $2, 2))"; }
mkdir -p "$(dirname "$out_md")"
cat >"$out_md" <<EOF
## dce-audit vs nmap (a lab site)

A lab site on loopback: the simulated lab (12 snmpsim devices on 127.0.0.2-13, net-snmp
agents on .14/.15, SNMP on udp/$LAB_PORT) found by \`dce-discover\` ($ndevices device records)
and audited with the built-in \`device\` role, and two servers in the policy with the
\`dce-server\` role (nginx on 127.0.0.16: 80 redirecting, 443 TLS with HSTS; 127.0.0.17 with
nothing listening): $ntargets targets. dce-audit ran every check it has ($nchecks checks; families
$families). nmap scanned the ports those policies name ($ntcp TCP, $nudp UDP) on
127.0.0.2-17:

    $ports

Run: \`bench/audit.sh $build\` on $(date -u +%Y-%m-%d), nproc $(nproc). Load average when
the report was written: $(cut -d' ' -f1-3 /proc/loadavg).

| tool | command | wall s | CPU s | peak RSS | result |
|---|---|---|---|---|---|
| dce-audit | \`dce-audit --policy site.json --credentials lab --timeout $TIMEOUT - <devices.jsonl\` | **$aw** | $(cpu "$au" "$as") | $((arss / 1024)) MB | $nfind findings: $statuses (exit $audit_rc) |
| nmap $(nmap --version | awk 'NR == 1 {print $3}') | \`nmap -n -Pn -sT -sU -p PORTS --max-retries 1 127.0.0.2-17\` | **$nw** | $(cpu "$nu" "$ns") | $((nrss / 1024)) MB | $nmap_probes port states: $nmap_states (exit $nmap_rc) |
| (dce-discover, before) | \`dce-discover --credentials lab --timeout $TIMEOUT 127.0.0.2-15\` | $dw | $(cpu "$du" "$ds") | | $ndevices devices |

The whole site audited in under 5 s: **$met** ($aw s; with discovery $(python3 -c "print(round($aw + $dw, 2))") s).
Findings per family: $per_family. dce-audit checks only what a policy names (here
$nports port findings) and says what each state means for the policy; nmap reports every
scanned port of every host. CPU is user+sys of the process (and its children).
EOF
cat "$out_md"
