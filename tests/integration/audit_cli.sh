#!/usr/bin/env bash
# dce-audit's frame: the built-in policy, --list-checks, a site policy's targets with
# their lines, --only/--skip, exit status 0/1/2/3, device records on stdin, JUnit and
# SARIF 2.1.0 (validated, anchored to the policy line of the target), and the run id:
# `dce-store query findings --changed` shows a new failure and then its fix.
. "$(dirname "$0")/../lib/common.sh"
. "$DCE_SOURCE_DIR/tests/lib/tls.sh"
need jq python3 dce-audit dce-store
export HOME="$T/home" DCE_CREDENTIALS=""
mkdir -p "$HOME"

# The built-in policy is the handbook's port table, as JSON to start from.
dce-audit policy --default >"$T/default.json"
check_eq "policy --default exits 0" 0 $?
jq_eq "default policy: DCE server denies PostgreSQL from the network" "$T/default.json" \
    '.[0].roles["dce-server"].ports.denied | index("tcp/5432") != null' "true"
jq_eq "default policy: devices keep SNMP and HTTPS" "$T/default.json" \
    '.[0].roles.device.ports.open | join(",")' "tcp/443,udp/161"
dce-audit --list-checks >"$T/checks.jsonl"
jq_eq "--list-checks names ports.denied with its reference" "$T/checks.jsonl" \
    '[.[] | select(.id=="ports.denied")] | .[0].reference | test("handbook")' "true"

# One listening port (a real TCP server), one closed.
open_port=$(free_port)
closed_port=$(free_port)
bg_start python3 -m http.server "$open_port" --bind 127.0.0.1 --directory "$T" >/dev/null 2>&1
srv=${_dce_pids[-1]}
wait_tcp "$open_port" || fail "http.server did not start"
cat >"$T/site.json" <<JSON
{
  "name": "test site",
  "targets": [
    {"address": "127.0.0.1", "name": "lab-host",
     "ports": {"open": ["tcp/$open_port"], "denied": ["tcp/$closed_port"]}},
    {
      "address": "127.0.0.2",
      "name": "second",
      "ports": {"open": [], "denied": ["tcp/$open_port"]}
    }
  ]
}
JSON
dce-audit --policy "$T/site.json" --only 'ports.*' --timeout 3s >"$T/run1.jsonl" 2>"$T/run1.err"
check_eq "all pass: exit 0" 0 $?
validate_records "$T/run1.jsonl"
jq_eq "open port passes ports.open" "$T/run1.jsonl" \
    "[.[] | select(.target==\"lab-host tcp/$open_port\")] | .[0] | [.check, .status, .evidence.state] | join(\" \")" \
    "ports.open pass open"
jq_eq "closed port passes ports.denied, RST seen" "$T/run1.jsonl" \
    "[.[] | select(.target==\"lab-host tcp/$closed_port\")] | .[0] | [.status, .evidence.state] | join(\" \")" \
    "pass closed"
jq_eq "every finding has the run id" "$T/run1.jsonl" '[.[] | .run] | unique | length' "1"
check_contains "summary on stderr" "$(cat "$T/run1.err")" "findings:"

# --rate paces the probes (never timed here): the same findings come out.
dce-audit --policy "$T/site.json" --only 'ports.*' --timeout 3s --rate 50 >"$T/rate.jsonl" 2>/dev/null
check_eq "--rate: same verdicts" "$(jq -r '[.target, .status] | join(" ")' "$T/run1.jsonl" | sort)" \
    "$(jq -r '[.target, .status] | join(" ")' "$T/rate.jsonl" | sort)"

# --skip and --only keep what they say, and send nothing for the rest.
dce-audit --policy "$T/site.json" --only 'ports.*' --skip 'ports.open' --timeout 3s >"$T/skip.jsonl" 2>/dev/null
jq_eq "--skip ports.open" "$T/skip.jsonl" '[.[] | .check] | unique | join(",")' "ports.denied"
check_status "--only with an unknown check id is a usage error" 2 \
    dce-audit --policy "$T/site.json" --only no.such.check

# A failure: exit 1. A check that cannot run: exit 3 when nothing failed.
dce-audit --only ports.denied --timeout 3s "127.0.0.1" >/dev/null 2>&1
check_eq "nothing on 21/23 here: exit 0" 0 $?
cat >"$T/fail.json" <<JSON
{"targets": [{"address": "127.0.0.1", "ports": {"open": [], "denied": ["tcp/$open_port"]}}]}
JSON
dce-audit --policy "$T/fail.json" --timeout 3s --only 'ports.*' >"$T/fail.jsonl" 2>/dev/null
check_eq "a denied port that is open: exit 1" 1 $?
jq_eq "the failure says so, severity high" "$T/fail.jsonl" \
    '.[0] | [.status, .severity] | join(" ")' "fail high"
cat >"$T/bad-spec.json" <<JSON
{"targets": [{"address": "127.0.0.1", "ports": {"open": [], "denied": ["tcp/notaport"]}}]}
JSON
dce-audit --policy "$T/bad-spec.json" --timeout 3s --only 'ports.*' >"$T/err.jsonl" 2>/dev/null
check_eq "a check that could not run: exit 3" 3 $?
jq_eq "an error finding names the bad entry" "$T/err.jsonl" '.[0] | [.check, .status] | join(" ")' "ports.spec error"

# Bad policies are refused with the file and line.
printf '{"targets": [\n  {"address": "127.0.0.1",}\n]}\n' >"$T/broken.json"
dce-audit --policy "$T/broken.json" 2>"$T/broken.err" >/dev/null
check_eq "invalid JSON policy: exit 2" 2 $?
check_contains "invalid JSON policy: names the file and line" "$(cat "$T/broken.err")" "broken.json: not valid JSON"
check_contains "invalid JSON policy: line" "$(cat "$T/broken.err")" "line 2"
printf '{"targets": [\n  {"address": "127.0.0.1", "role": "toaster"}\n]}\n' >"$T/role.json"
dce-audit --policy "$T/role.json" 2>"$T/role.err" >/dev/null
check_eq "unknown role: exit 2" 2 $?
check_contains "unknown role: says which, and where" "$(cat "$T/role.err")" "role.json:2"

# Device records on stdin (dce-discover | dce-audit -); other records pass through.
printf '%s\n' '{"type":"device","ts":"2026-11-30T00:00:00.000Z","id":"snmp://127.0.0.1:161","target":"127.0.0.1","transport":"snmp"}' \
    '{"type":"reading","ts":"2026-11-30T00:00:00.000Z","device":"snmp://127.0.0.1:161","metric":"x","value":1}' |
    dce-audit --only ports.denied --timeout 3s - >"$T/stdin.jsonl" 2>/dev/null
check_eq "device records on stdin: exit 0" 0 $?
jq_eq "a device record became a target" "$T/stdin.jsonl" \
    '[.[] | select(.type=="finding") | .target] | map(split(" ")[0]) | unique | join(",")' "127.0.0.1"
jq_eq "other records passed through" "$T/stdin.jsonl" '[.[] | select(.type=="reading")] | length' "1"

# JUnit: one testcase per finding, a failure element per fail.
dce-audit --policy "$T/fail.json" --timeout 3s --only 'ports.*' --format junit >"$T/out.xml" 2>/dev/null
check_eq "junit: exit status still 1" 1 $?
python3 - "$T/out.xml" >"$T/junit.check" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
assert cases and all(c.get("classname") and c.get("name") for c in cases)
assert len([c for c in cases if c.find("failure") is not None]) == 1
print("ok")
PY
check_eq "junit structure" ok "$(tail -1 "$T/junit.check")"
if command -v xmllint >/dev/null; then
    check_status "junit is well-formed (xmllint)" 0 xmllint --noout "$T/out.xml"
fi

# SARIF 2.1.0, each result anchored to its target's line in the policy.
dce-audit --policy "$T/site.json" --timeout 3s --only 'ports.*' --format sarif >"$T/out.sarif" 2>/dev/null
schema=$(sarif_schema) || skip "SARIF schema not found at \$DCE_SOURCE_DIR/../shared/schemas (CI has it)"
python3 - "$T/out.sarif" "$schema" >"$T/sarif.check" 2>&1 <<'PY'
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
run = doc["runs"][0]
assert run["tool"]["driver"]["name"] == "dce-audit"
lines = {"lab-host": 4, "second": 7}
for r in run["results"]:
    loc = r["locations"][0]
    target = loc["logicalLocations"][0]["fullyQualifiedName"].split(" ")[0]
    phys = loc["physicalLocation"]
    assert phys["artifactLocation"]["uri"].endswith("site.json"), phys
    assert phys["region"]["startLine"] == lines[target], (target, phys)
print("ok")
PY
check_eq "sarif valid against 2.1.0, anchored to policy lines" ok "$(tail -1 "$T/sarif.check")"
[ "$(tail -1 "$T/sarif.check")" = ok ] || cat "$T/sarif.check" >&2

# History: three runs into the store; --changed shows the new failure, then its fix.
db="$T/store.db"
cat >"$T/hist.json" <<JSON
{"targets": [{"address": "127.0.0.1", "name": "h", "ports": {"open": [], "denied": ["tcp/$closed_port"]}}]}
JSON
dce-audit --policy "$T/hist.json" --only ports.denied --timeout 3s 2>/dev/null | dce-store ingest --db "$db" 2>/dev/null
bg_start python3 -m http.server "$closed_port" --bind 127.0.0.1 --directory "$T" >/dev/null 2>&1
late=${_dce_pids[-1]}
wait_tcp "$closed_port" || fail "second server did not start"
dce-audit --policy "$T/hist.json" --only ports.denied --timeout 3s 2>/dev/null | dce-store ingest --db "$db" 2>/dev/null
dce-store query findings --changed --db "$db" >"$T/changed1.jsonl" 2>/dev/null
jq_eq "--changed: the port opened is a new failure" "$T/changed1.jsonl" \
    '[.[] | [.target, .change, .previous_status] | join(" ")] | join(",")' "h tcp/$closed_port new_fail pass"
kill "$late"; wait "$late" 2>/dev/null
dce-audit --policy "$T/hist.json" --only ports.denied --timeout 3s 2>/dev/null | dce-store ingest --db "$db" 2>/dev/null
dce-store query findings --changed --db "$db" >"$T/changed2.jsonl" 2>/dev/null
jq_eq "--changed: closed again is fixed" "$T/changed2.jsonl" \
    '[.[] | [.change, .previous_status] | join(" ")] | join(",")' "fixed fail"
check_status "--changed on readings is a usage error" 2 dce-store query readings --changed --db "$db"
finish
