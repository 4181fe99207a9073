#!/usr/bin/env bash
# dce-cert lint's CI formats against real servers: JUnit XML (well-formed, one of
# failure/error/skipped at most per testcase, non-empty classname, counts that add up)
# and SARIF 2.1.0 (validated against OASIS's schema; rules, levels, fingerprints, and
# locations anchored to the inventory file's lines), plus the text table.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tls.sh"
need dce-cert jq

tls_init
tls_leaf good "/CN=localhost" "IP:127.0.0.1"
tls_self self "/CN=localhost" "IP:127.0.0.1"
tls_s_server good_port good -no_tls1_3 -cipher 'ECDHE-RSA-AES128-GCM-SHA256'
tls_s_server self_port self
dead=$(free_port)
cat >"$T/inventory.txt" <<INV
# site A
127.0.0.1:$good_port

127.0.0.1:$self_port   # default cert still on it
127.0.0.1:$dead
INV

# JSON first: the same run's facts the other formats are checked against.
dce-cert lint --ca-file "$PKI/ca.crt" --timeout 2s @"$T/inventory.txt" >"$T/lint.jsonl" 2>/dev/null
check_eq "json exit status" 3 $?
validate_records "$T/lint.jsonl"
nfind=$(jq -s '[.[] | select(.type=="finding")] | length' "$T/lint.jsonl")
nfail=$(jq -s '[.[] | select(.type=="finding" and (.status=="fail" or .status=="warn"))] | length' "$T/lint.jsonl")

# JUnit
dce-cert lint --ca-file "$PKI/ca.crt" --timeout 2s --format junit -o "$T/junit.xml" @"$T/inventory.txt" 2>/dev/null
check_eq "junit exit status is the same" 3 $?
/usr/bin/python3 - "$T/junit.xml" "$nfind" "$nfail" >"$T/junit.check" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()          # raises on malformed XML
nfind, nfail = int(sys.argv[2]), int(sys.argv[3])
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
assert len(cases) == nfind + 1, (len(cases), nfind)   # + the unreachable endpoint's error
for c in cases:
    assert c.get("classname"), "empty classname"
    assert c.get("name"), "empty name"
    kids = [k.tag for k in c if k.tag in ("failure", "error", "skipped")]
    assert len(kids) <= 1, kids
fails = sum(1 for c in cases if c.find("failure") is not None)
errors = sum(1 for c in cases if c.find("error") is not None)
assert fails == nfail, (fails, nfail)
assert errors == 1, errors
assert int(root.get("tests")) == len(cases) and int(root.get("failures")) == fails and int(root.get("errors")) == errors
for s in root.findall("testsuite"):
    assert int(s.get("tests")) == len(s.findall("testcase"))
print("ok")
PY
check_eq "junit structure" ok "$(tail -1 "$T/junit.check")"
[ "$(tail -1 "$T/junit.check")" = ok ] || cat "$T/junit.check" >&2
if command -v xmllint >/dev/null; then
    check_status "junit is well-formed (xmllint)" 0 xmllint --noout "$T/junit.xml"
fi

# SARIF
dce-cert lint --ca-file "$PKI/ca.crt" --timeout 2s --format sarif @"$T/inventory.txt" >"$T/out.sarif" 2>/dev/null
check_eq "sarif exit status is the same" 3 $?
schema=$(sarif_schema) || skip "SARIF schema not found at \$DCE_SOURCE_DIR/../shared/schemas (CI has it)"
/usr/bin/python3 - "$T/out.sarif" "$schema" "$T/inventory.txt" "$good_port" "$self_port" "$dead" >"$T/sarif.check" 2>&1 <<'PY'
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
inv, good, selfp, dead = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
run = doc["runs"][0]
assert doc["version"] == "2.1.0"
assert run["tool"]["driver"]["name"] == "dce-cert"
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)), "one rule per check"
results = run["results"]
assert results
lines = {"127.0.0.1:" + good: 2, "127.0.0.1:" + selfp: 4, "127.0.0.1:" + dead: 5}
fps = set()
for r in results:
    assert r["ruleId"] in ids and ids[r["ruleIndex"]] == r["ruleId"]
    assert r["level"] in ("none", "note", "warning", "error")
    assert r["message"]["text"]
    fp = r["partialFingerprints"]["dceTargetCheck/v1"]
    assert fp not in fps; fps.add(fp)
    loc = r["locations"][0]
    target = loc["logicalLocations"][0]["fullyQualifiedName"]
    phys = loc["physicalLocation"]
    assert phys["artifactLocation"]["uri"].endswith("inventory.txt"), phys
    assert phys["region"]["startLine"] == lines[target], (target, phys)
sel = [r for r in results if r["ruleId"] == "cert.self-signed"]
lv = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r["level"] for r in sel}
assert lv["127.0.0.1:" + selfp] == "error" and lv["127.0.0.1:" + good] == "none", lv
assert any(r["ruleId"].startswith("error.") and r["level"] == "error" for r in results)
print("ok")
PY
check_eq "sarif valid against 2.1.0 schema, anchored to inventory lines" ok "$(tail -1 "$T/sarif.check")"
[ "$(tail -1 "$T/sarif.check")" = ok ] || cat "$T/sarif.check" >&2

# Same run twice: same fingerprints (code scanning tracks alerts by them).
dce-cert lint --ca-file "$PKI/ca.crt" --format sarif "127.0.0.1:$self_port" >"$T/a.sarif" 2>/dev/null
dce-cert lint --ca-file "$PKI/ca.crt" --format sarif "127.0.0.1:$self_port" >"$T/b.sarif" 2>/dev/null
check_eq "stable fingerprints" "$(jq -c '[.runs[0].results[].partialFingerprints]' "$T/a.sarif")" \
    "$(jq -c '[.runs[0].results[].partialFingerprints]' "$T/b.sarif")"
check_eq "no inventory: logical location only" null "$(jq '.runs[0].results[0].locations[0].physicalLocation' "$T/a.sarif")"

# Text: worst first, a summary line.
out=$(dce-cert lint --ca-file "$PKI/ca.crt" --format text "127.0.0.1:$self_port" 2>/dev/null)
check_eq "text first row is a failure" FAIL "$(echo "$out" | sed -n 2p | awk '{print $1}')"
check_contains "text summary" "$out" "1 target(s)"
check_contains "text names the check" "$out" "cert.self-signed"
# inspect refuses CI formats (they report findings).
check_status "inspect --format sarif is a usage error" 2 dce-cert inspect --format sarif "127.0.0.1:$self_port"
finish
