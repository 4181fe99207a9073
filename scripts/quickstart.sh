#!/usr/bin/env bash
# The README's first command. On a fresh Debian 12 machine: installs what is missing,
# builds, starts the simulated device lab on loopback (snmpsim serving APC, NetBotz,
# Eaton and switch recordings, snmpd with SNMPv3 users, a Modbus TCP Smart-UPS) and runs
# the main job on the embedded default, a SQLite file:
#
#     dce-discover 127.0.0.0/28 | dce-poll | dce-store ingest
#     dce-discover --modbus --unit-ids 1 127.0.0.16 | dce-poll | dce-store ingest
#     dce-store query readings --last
#
# then has net-snmp's snmptrap send one SNMPv3 trap to dce-trapd and shows its event,
# audits the lab against the security handbook with dce-audit (JUnit for CI),
# then shows an upgrade file checked against its checksum. The lab keeps running so you
# can try more (the commands are printed at the end); `scripts/lab.sh stop` stops it.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "installing dependencies (apt-get, only what is missing)"
bash scripts/install-deps.sh

step "building (build/)"
bash scripts/build.sh "$src/build"
export PATH="$src/build/tools:$PATH"

step "starting the device lab on loopback (scripts/lab.sh start)"
bash scripts/lab.sh start
eval "$(bash scripts/lab.sh env)"   # DCE_CREDENTIALS (the lab's v3 users), DCE_LAB_PORT, DCE_LAB_MODBUS_*
port_opt=()
[ "${DCE_LAB_PORT:-161}" = 161 ] || port_opt=(--port "$DCE_LAB_PORT")
db="$src/lab-run/dce.db"

# One Python process (snmpsim) serves all twelve simulated devices: give it 5 s an answer.
step "dce-discover 127.0.0.0/28 ${port_opt[*]} | dce-poll --timeout 5s | dce-store ingest --db $db"
dce-discover 127.0.0.0/28 "${port_opt[@]}" | dce-poll --timeout 5s | dce-store ingest --db "$db"

# The lab's Modbus TCP Smart-UPS (the APC register map) beside the SNMP devices: same
# records, same metric names. Guarded, so that a build without Modbus still runs the rest.
mb_target=$DCE_LAB_MODBUS_ADDR mb_port=$DCE_LAB_MODBUS_PORT
modbus_ok=0
step "dce-discover --modbus --modbus-port $mb_port --unit-ids 1 $mb_target | dce-poll | dce-store ingest --db $db"
if dce-discover --help 2>&1 | grep -- '--modbus' >/dev/null; then  # not -q: no SIGPIPE under pipefail
    if dce-discover --modbus --modbus-port "$mb_port" --unit-ids 1 "$mb_target" 2>/dev/null |
        dce-poll --timeout 5s | dce-store ingest --db "$db"; then
        modbus_ok=1
    else
        echo "Modbus discovery or polling failed (exit ${PIPESTATUS[*]}); going on without it" >&2
    fi
else
    echo "this dce-discover has no --modbus option: the Modbus UPS is skipped" >&2
fi

step "dce-store query devices --db $db"
dce-store query devices --db "$db" --format table

port=${DCE_LAB_PORT:-161}
step "dce-store query readings --last --metric ups.output.source   (every UPS, one vocabulary: the lab's SRT is on battery)"
dce-store query readings --last --db "$db" --metric ups.output.source --format table

if [ "$modbus_ok" = 1 ]; then
    step "dce-store query readings --last --metric ups.battery.charge   (SNMP and Modbus UPSs side by side)"
    dce-store query readings --last --db "$db" --metric ups.battery.charge --format table
    step "dce-store query readings --last --device modbus://$mb_target:$mb_port/1 --metric 'ups.*'   (the Modbus UPS)"
    dce-store query readings --last --db "$db" --device "modbus://$mb_target:$mb_port/1" --metric 'ups.*' --format table
fi

step "dce-store query readings --last --device snmp://127.0.0.9:$port --metric 'ups.battery.*'   (the UPS on battery)"
dce-store query readings --last --db "$db" --device "snmp://127.0.0.9:$port" --metric 'ups.battery.*' --format table

step "dce-store query readings --last --device snmp://127.0.0.3:$port --metric pdu.outlet.state   (rack PDU outlets)"
dce-store query readings --last --db "$db" --device "snmp://127.0.0.3:$port" --metric pdu.outlet.state \
    --format table | head -9

step "dce-store query readings --last --device snmp://127.0.0.10:$port --metric 'pdu.phase.*'   (3-phase PDU without ident rows)"
dce-store query readings --last --db "$db" --device "snmp://127.0.0.10:$port" --metric 'pdu.phase.*' --format table

step "dce-store query readings --last --device snmp://127.0.0.11:$port --metric 'ats.*'   (rack ATS)"
dce-store query readings --last --db "$db" --device "snmp://127.0.0.11:$port" --metric 'ats.*' --format table | head -12

step "dce-store query readings --last --device snmp://127.0.0.12:$port --metric 'cooling.*'   (InRow cooler)"
dce-store query readings --last --db "$db" --device "snmp://127.0.0.12:$port" --metric 'cooling.*' --format table | head -12

step "dce-store query readings --last --device snmp://127.0.0.13:$port --metric 'env.*'   (EMU: probes and door contact)"
dce-store query readings --last --db "$db" --device "snmp://127.0.0.13:$port" --metric 'env.*' --format table | head -12

# The lab's SNMPv3 user (SHA-256/AES-256) sends what a Smart-UPS sends when it goes on
# battery; dce-trapd, on a free loopback port, accepts it with the same credentials file.
step "dce-trapd: one SNMPv3 trap (APC upsOnBattery) from snmptrap, as an event, into the store"
cred_value() { awk -v e="[$1]" -v k="$2" '$0 == e {on=1; next} /^\[/ {on=0} on && $1 == k {sub(/^[^=]*= */, ""); print; exit}' "$DCE_CREDENTIALS"; }
tport=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
events="$src/lab-run/trap-events.jsonl"
dce-trapd --listen "127.0.0.1:$tport" --count 1 --stats-interval 0 --state-dir "$src/lab-run/trapd" \
    >"$events" 2>"$src/lab-run/trapd.log" &
trapd_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$src/lab-run/trapd.log" && break; sleep 0.1; done
SNMP_PERSISTENT_DIR="$src/lab-run/net-snmp" snmptrap -v3 -e 0x80001f8880aabbccdd01 \
    -u "$(cred_value lab-v3-sha256 user)" -l authPriv -a SHA-256 -A "$(cred_value lab-v3-sha256 auth_pass)" \
    -x AES-256 -X "$(cred_value lab-v3-sha256 priv_pass)" "127.0.0.1:$tport" '' \
    1.3.6.1.4.1.318.0.5 1.3.6.1.4.1.318.2.3.3.0 s "UPS: On battery power in response to an input power problem." \
    2>/dev/null
wait "$trapd_pid"
jq -c 'select(.type=="event") | {source, name, severity, description, snmp: {version: .snmp.version, user: .snmp.user}, varbinds}' "$events"
dce-store ingest --db "$db" <"$events"
dce-store query events --db "$db" --format table

# The handbook's device advice against the lab, as a CI job would run it. The simulated
# devices answer the v2c community "public": dce-audit reports that as a failure (exit 1).
step "dce-discover | dce-audit --policy lab-run/audit-policy.json - --format junit   (the lab against the handbook)"
policy="$src/lab-run/audit-policy.json"
jq -n --argjson port "$port" '{name: "lab",
  roles: {device: {ports: {open: ["udp/\($port)"], denied: ["tcp/21", "tcp/23", "tcp/502"]},
                   snmp: {port: $port, credential: "lab-v3-sha256"}}}}' >"$policy"
dce-discover 127.0.0.0/28 "${port_opt[@]}" 2>/dev/null |
    dce-audit --policy "$policy" --skip 'web.*' --skip 'cert.*' --skip 'login.*' --format junit - \
    >"$src/lab-run/audit.xml" && audit_status=0 || audit_status=$?
grep -o '<testsuites [^>]*>' "$src/lab-run/audit.xml" || true
grep -B1 '<failure' "$src/lab-run/audit.xml" | grep -o 'classname="[^"]*" name="[^"]*"' | head -4 || true
echo "dce-audit exit status: $audit_status (1: a check failed; the JUnit report is lab-run/audit.xml)"

step "dce-upgrade-verify: an upgrade file against its published SHA-256"
demo=$(mktemp -d)
head -c 5000000 /dev/urandom > "$demo/dce-upgrade-demo.iso"
(cd "$demo" && sha256sum dce-upgrade-demo.iso > SHA256SUMS)
dce-upgrade-verify --check "$demo/SHA256SUMS" | jq -c '{check, target, status, message}'
rm -rf "$demo"

cat >&2 <<EOS

Done. The lab is still running; try:
  export PATH=$src/build/tools:\$PATH DCE_CREDENTIALS=$DCE_CREDENTIALS
  dce-discover 127.0.0.0/28 ${port_opt[*]} | dce-poll | jq
  dce-discover --modbus --modbus-port $mb_port --unit-ids 1 $mb_target | dce-poll | jq
  dce-poll --interval 10 < <(dce-discover 127.0.0.0/28 ${port_opt[*]}) | dce-store ingest --db $db
  dce-store query readings --db $db --metric ups.battery.charge --every 5m
  scripts/lab.sh stop
EOS
