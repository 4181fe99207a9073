#!/usr/bin/env python3
"""gen-trap-catalogue.py: writes dce-trapd's trap catalogue (traps/*.json) from MIB files.

    python3 scripts/gen-trap-catalogue.py --mib-dir /work/mibs --out traps/

One JSON file per MIB module (format: docs/TRAPS.md). Everything comes from the MIB
files themselves: the TRAP-TYPE / NOTIFICATION-TYPE macros are read by the small
tokenizer below, object and enterprise names are resolved to numeric OIDs by net-snmp's
`snmptranslate -Tz` (Debian package snmp) over the same --mib-dir.

Where the MIBs come from: the public collection netdisco/netdisco-mibs (apc/powernet.mib,
eaton/XUPS-MIB, rfc/UPS-MIB.txt, rfc/SNMPv2-MIB.txt, rfc/IF-MIB.txt, ...) or the mibs/
folder of the librenms repository (which also has NETBOTZV2-MIB). --mib-dir is searched
recursively; a module is found by its "NAME DEFINITIONS ::= BEGIN" line, not its file
name. snmptranslate is given the directory and its subdirectories as its -M path.

Severity (the catalogue's vocabulary is info | warn | critical), in this order:
  1. "annotation": the HP OpenView style comment `--#SEVERITY X` inside the macro
     (PowerNet-MIB, XUPS-MIB), mapped by ANNOTATION_SEVERITY below;
  2. "table": SEVERITY_TABLE below, for the standard MIBs that carry no annotation;
  3. "rule": everything else (NETBOTZV2-MIB, the few unannotated PowerNet traps): a
     notification whose name or description says a condition ended (RTN, Replugged,
     Resolved, Restored, Cleared, "no longer", "returned to normal", ...) is info;
     else a DESCRIPTION starting "SEVERE:", "WARNING:", ... is mapped as the
     annotation would be; any other is warn. See severity_by_rule().
`--#SUMMARY "text"` and `--#ARGUMENTS { 0, 1 }` give the summary and the 0-based varbind
indexes that fill its %s/%d placeholders; without them the summary (and arguments) come
from SEVERITY_TABLE, else the summary is the first sentence of the DESCRIPTION.

SNMPv1 TRAP-TYPE macros are given their SNMPv2 notification OID per RFC 3584 section
3.1: ENTERPRISE e, number n -> e.0.n (what a v1 trap with enterprise e, generic 6,
specific n is translated to).

The output is sorted and carries no dates or absolute paths, so re-running the script
on the same MIBs gives no diff.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys

# The modules written by default, and where each is found upstream (for "source").
DEFAULT_MODULES = ["PowerNet-MIB", "NETBOTZV2-MIB", "UPS-MIB", "XUPS-MIB", "SNMPv2-MIB", "IF-MIB"]
UPSTREAM = {
    "PowerNet-MIB": "netdisco/netdisco-mibs apc/powernet.mib",
    "XUPS-MIB": "netdisco/netdisco-mibs eaton/XUPS-MIB",
    "UPS-MIB": "netdisco/netdisco-mibs rfc/UPS-MIB.txt (RFC 1628)",
    "SNMPv2-MIB": "netdisco/netdisco-mibs rfc/SNMPv2-MIB.txt (RFC 3418)",
    "IF-MIB": "netdisco/netdisco-mibs rfc/IF-MIB.txt (RFC 2863)",
    "NETBOTZV2-MIB": "librenms mibs/ NETBOTZV2-MIB",
}

# --#SEVERITY values -> catalogue severity. APC uses INFORMATIONAL/WARNING/SEVERE; Eaton
# (XUPS-MIB) uses the X.733-like CRITICAL/MAJOR/MINOR/INFORMATIONAL, whose "major"
# (service affecting, urgent action) counts as critical and "minor" as warn.
ANNOTATION_SEVERITY = {
    "INFORMATIONAL": "info",
    "INFORMATION": "info",
    "NORMAL": "info",
    "WARNING": "warn",
    "MINOR": "warn",
    "SEVERE": "critical",
    "MAJOR": "critical",
    "CRITICAL": "critical",
}

# Severity, summary and arguments for the standard MIBs, which carry no annotations.
# Arguments index the notification's own varbinds (its OBJECTS, in order), as
# --#ARGUMENTS does; the DESCRIPTION is still taken from the MIB.
SEVERITY_TABLE = {
    ("SNMPv2-MIB", "coldStart"): ("info", "The agent restarted (cold start).", []),
    ("SNMPv2-MIB", "warmStart"): ("info", "The agent reinitialized itself (warm start).", []),
    ("SNMPv2-MIB", "authenticationFailure"): (
        "warn", "An SNMP message failed authentication.", []),
    ("IF-MIB", "linkDown"): ("warn", "Link down on interface %s.", [0]),
    ("IF-MIB", "linkUp"): ("info", "Link up on interface %s.", [0]),
    ("UPS-MIB", "upsTrapOnBattery"): (
        "warn", "UPS on battery: %s minutes of charge remaining, %s s on battery.", [0, 1]),
    ("UPS-MIB", "upsTrapTestCompleted"): ("info", "UPS self-test completed: %s.", [3]),
    ("UPS-MIB", "upsTrapAlarmEntryAdded"): ("warn", "UPS alarm raised: %s.", [1]),
    ("UPS-MIB", "upsTrapAlarmEntryRemoved"): ("info", "UPS alarm cleared: %s.", [1]),
}

# Objects named in no notification's OBJECTS clause that a trap receiver still wants
# to name (the SNMPv2 trap header, the usual companions of the standard traps).
EXTRA_OBJECTS = {
    "SNMPv2-MIB": [("SNMPv2-MIB", n) for n in (
        "sysDescr", "sysObjectID", "sysUpTime", "sysContact", "sysName", "sysLocation",
        "snmpTrapOID", "snmpTrapEnterprise")] + [
        ("SNMP-COMMUNITY-MIB", "snmpTrapAddress"), ("SNMP-COMMUNITY-MIB", "snmpTrapCommunity")],
    "IF-MIB": [("IF-MIB", n) for n in (
        "ifIndex", "ifDescr", "ifType", "ifAdminStatus", "ifOperStatus", "ifName", "ifAlias")],
}

# Rule for notifications without an annotated or tabled severity.
_CLEARED_NAME = re.compile(
    r"(RTN|Replugged|Resolved|Restored|Cleared|Clear|Normal|Ok|OK|Recovered|Returned|"
    r"NotIncreasingTooQuickly|NotDecreasingTooQuickly)$")
_CLEARED_TEXT = re.compile(
    r"\b(no longer|not longer|resolved|has been found|has bee found|returned to normal|"
    r"return(ed)? from|cleared|restored|recovered|stopped)\b", re.I)


_PREFIX = re.compile(r"^\s*([A-Z]+)\s*:")


def severity_by_rule(name, description):
    """A condition that ended is info; else the vendor's "SEVERE:"-style DESCRIPTION
    prefix (APC writes one even where the --#SEVERITY annotation is missing) mapped as
    the annotation would be; else warn."""
    if _CLEARED_NAME.search(name) or _CLEARED_TEXT.search(description):
        return "info"
    m = _PREFIX.match(description)
    if m and m.group(1) in ANNOTATION_SEVERITY:
        return ANNOTATION_SEVERITY[m.group(1)]
    return "warn"


# --------------------------------------------------------------------------------------
# Tokenizer: words, strings, punctuation, `--#` annotations; plain comments are dropped.

class Tok:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def __repr__(self):
        return f"{self.kind}:{self.text!r}@{self.line}"


def tokenize(text):
    toks = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            if end < 0:
                end = n
            body = text[i + 2:end]
            if body.startswith("#"):
                toks.append(Tok("annot", body[1:].strip(), line))
            i = end
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise ValueError(f"line {line}: unterminated string")
            s = text[i + 1:end]
            toks.append(Tok("str", s, line))
            line += s.count("\n")
            i = end + 1
        elif text.startswith("::=", i):
            toks.append(Tok("p", "::=", line))
            i += 3
        elif c.isalnum() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_" or
                             (text[j] == "-" and not text.startswith("--", j))):
                j += 1
            toks.append(Tok("w", text[i:j], line))
            i = j
        else:
            toks.append(Tok("p", c, line))
            i += 1
    return toks


CLAUSES = {"ENTERPRISE", "VARIABLES", "OBJECTS", "STATUS", "DESCRIPTION", "REFERENCE", "::="}


def parse_annotation(text):
    m = re.match(r"([A-Z]+)\s*(.*)$", text)
    if not m:
        return None, None
    key, rest = m.group(1), m.group(2).strip()
    if key == "SUMMARY":
        sm = re.match(r'"(.*)"', rest)
        return key, sm.group(1) if sm else rest
    if key == "ARGUMENTS":
        return key, [int(x) for x in re.findall(r"\d+", rest)]
    return key, rest


def parse_notifications(toks, module):
    """Every TRAP-TYPE / NOTIFICATION-TYPE invocation in the module's tokens."""
    out = []
    i = 0
    while i + 2 < len(toks):
        a, b, c = toks[i], toks[i + 1], toks[i + 2]
        if not (a.kind == "w" and b.kind == "w" and b.text in ("TRAP-TYPE", "NOTIFICATION-TYPE")
                and c.text in CLAUSES and a.text[:1].islower()):
            i += 1
            continue
        t = {"name": a.text, "macro": b.text, "line": a.line, "objects": [], "description": "",
             "annotations": {}}
        j = i + 2
        while j < len(toks):
            k = toks[j]
            if k.kind == "annot":
                key, val = parse_annotation(k.text)
                if key and key not in t["annotations"]:
                    t["annotations"][key] = val
                j += 1
            elif k.text == "ENTERPRISE":
                t["enterprise"] = toks[j + 1].text
                j += 2
            elif k.text in ("VARIABLES", "OBJECTS"):
                j += 1
                if toks[j].text != "{":
                    raise ValueError(f"{module} line {k.line}: {a.text}: '{{' expected after {k.text}")
                j += 1
                while toks[j].text != "}":
                    if toks[j].kind == "w":
                        t["objects"].append(toks[j].text)
                    j += 1
                j += 1
            elif k.text == "STATUS":
                t["status"] = toks[j + 1].text
                j += 2
            elif k.text in ("DESCRIPTION", "REFERENCE"):
                if toks[j + 1].kind != "str":
                    raise ValueError(f"{module} line {k.line}: {a.text}: string expected after {k.text}")
                if k.text == "DESCRIPTION":
                    t["description"] = " ".join(toks[j + 1].text.split())
                j += 2
            elif k.text == "::=":
                j += 1
                if toks[j].text == "{":
                    vals = []
                    j += 1
                    while toks[j].text != "}":
                        vals.append(toks[j].text)
                        j += 1
                    j += 1
                    t["value"] = vals
                else:
                    t["value"] = [toks[j].text]
                    j += 1
                break
            else:
                raise ValueError(f"{module} line {k.line}: {a.text}: unexpected {k.text!r}")
        out.append(t)
        i = j
    return out


# --------------------------------------------------------------------------------------
# Finding modules and resolving names.

_DEFINITIONS = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s+DEFINITIONS\s*::=\s*BEGIN", re.M)


def index_modules(mib_dir):
    mods, dirs = {}, []
    for root, subdirs, files in os.walk(mib_dir):
        subdirs.sort()
        dirs.append(root)
        for f in sorted(files):
            path = os.path.join(root, f)
            try:
                with open(path, encoding="latin-1") as fh:
                    head = fh.read(200000)
            except OSError:
                continue
            for m in _DEFINITIONS.finditer(head):
                mods.setdefault(m.group(1), path)
    return mods, dirs


class Resolver:
    def __init__(self, dirs):
        self.mpath = ":".join(dirs)
        self.cache = {}

    def table(self, module):
        if module not in self.cache:
            r = subprocess.run(["snmptranslate", "-M", self.mpath, "-m", module, "-Tz"],
                               capture_output=True, text=True, check=True)
            if r.stderr.strip():
                print(f"{module}: snmptranslate says: {r.stderr.strip()}", file=sys.stderr)
            tab = {}
            for line in r.stdout.splitlines():
                m = re.match(r'"([^"]+)"\s+"([0-9.]+)"', line)
                if m:
                    tab.setdefault(m.group(1), set()).add(m.group(2))
            self.cache[module] = tab
        return self.cache[module]

    def oid(self, module, name):
        if re.fullmatch(r"[0-9.]+", name):
            return name
        found = self.table(module).get(name)
        if not found:
            raise KeyError(f"{module}: cannot resolve {name}")
        if len(found) == 1:
            return next(iter(found))
        r = subprocess.run(["snmptranslate", "-M", self.mpath, "-m", module, "-On",
                            f"{module}::{name}"], capture_output=True, text=True, check=True)
        return r.stdout.strip().lstrip(".")


def oid_key(o):
    return [int(x) for x in o.split(".")]


def first_sentence(text):
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return m.group(1) if m else text


def build_module(module, path, mib_dir, resolver):
    with open(path, encoding="latin-1") as fh:
        text = fh.read()
    # Only this module's part of the file.
    start = re.search(rf"^\s*{re.escape(module)}\s+DEFINITIONS\s*::=\s*BEGIN", text, re.M)
    end = re.search(r"^\s*END\s*$", text[start.end():], re.M)
    body = text[start.end(): start.end() + end.start() if end else len(text)]
    notes = parse_notifications(tokenize(body), module)
    traps, objects, problems = [], {}, []
    for t in notes:
        name = t["name"]
        if t["macro"] == "TRAP-TYPE":
            if "enterprise" not in t or len(t["value"]) != 1 or not t["value"][0].isdigit():
                problems.append(f"{name} (line {t['line']}): TRAP-TYPE without ENTERPRISE or number")
                continue
            oid = resolver.oid(module, t["enterprise"]) + ".0." + t["value"][0]
        else:
            vals = t.get("value", [])
            if not vals:
                problems.append(f"{name} (line {t['line']}): no ::= value")
                continue
            parts = [resolver.oid(module, vals[0])]
            for v in vals[1:]:
                m = re.fullmatch(r"(?:[A-Za-z][\w-]*\()?(\d+)\)?", v)
                if not m:
                    continue
                parts.append(m.group(1))
            oid = ".".join(parts)
        # Cross-check against net-snmp's own reading of the module.
        known = resolver.table(module).get(name)
        if known and oid not in known:
            problems.append(f"{name}: we derived {oid}, snmptranslate has {sorted(known)}")
        ann = t["annotations"]
        sev_word = str(ann.get("SEVERITY", "")).split()[0].upper() if ann.get("SEVERITY") else ""
        if sev_word in ANNOTATION_SEVERITY:
            severity, sev_from = ANNOTATION_SEVERITY[sev_word], "annotation"
        elif (module, name) in SEVERITY_TABLE:
            severity, sev_from = SEVERITY_TABLE[(module, name)][0], "table"
        else:
            if sev_word:
                problems.append(f"{name}: unknown --#SEVERITY {sev_word}, rule used")
            severity, sev_from = severity_by_rule(name, t["description"]), "rule"
        summary = ann.get("SUMMARY")
        args = ann.get("ARGUMENTS", [])
        if not summary and (module, name) in SEVERITY_TABLE:
            _, summary, args = SEVERITY_TABLE[(module, name)]
        if not summary:
            summary = first_sentence(t["description"]) or name
        if any(a < 0 or a >= len(t["objects"]) for a in args):
            problems.append(f"{name}: arguments {args} beyond its {len(t['objects'])} objects")
        entry = {
            "oid": oid,
            "name": name,
            "severity": severity,
            "severity_from": sev_from,
            "summary": " ".join(summary.split()),
            "arguments": args,
            "objects": t["objects"],
            "description": t["description"],
        }
        if t.get("status") and t["status"] != "current":
            entry["status"] = t["status"]
        traps.append(entry)
        for o in t["objects"]:
            objects[resolver.oid(module, o)] = o
    for mod, o in EXTRA_OBJECTS.get(module, []):
        objects[resolver.oid(mod, o)] = o
    seen = {}
    for e in traps:
        if e["oid"] in seen:
            problems.append(f"{e['name']}: OID {e['oid']} also used by {seen[e['oid']]}")
        seen[e["oid"]] = e["name"]
    traps.sort(key=lambda e: (oid_key(e["oid"]), e["name"]))
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    rel = os.path.relpath(path, mib_dir)
    source = f"{rel} (sha256 {digest[:16]})"
    if module in UPSTREAM:
        source += f"; upstream: {UPSTREAM[module]}"
    doc = {
        "mib": module,
        "source": source,
        "generated_by": "scripts/gen-trap-catalogue.py",
        "traps": traps,
        "objects": {k: objects[k] for k in sorted(objects, key=oid_key)},
    }
    return doc, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mib-dir", required=True, help="folder of MIB files (searched recursively)")
    ap.add_argument("--out", required=True, help="folder the JSON files are written to")
    ap.add_argument("--module", action="append", help="module to write (repeatable); "
                    "default: " + " ".join(DEFAULT_MODULES))
    opts = ap.parse_args()
    mods, dirs = index_modules(opts.mib_dir)
    resolver = Resolver(dirs)
    os.makedirs(opts.out, exist_ok=True)
    status = 0
    for module in opts.module or DEFAULT_MODULES:
        if module not in mods:
            print(f"{module}: not found under {opts.mib_dir}", file=sys.stderr)
            status = 1
            continue
        try:
            doc, problems = build_module(module, mods[module], opts.mib_dir, resolver)
        except (ValueError, KeyError, subprocess.CalledProcessError) as e:
            print(f"{module}: {e}", file=sys.stderr)
            status = 1
            continue
        for p in problems:
            print(f"{module}: {p}", file=sys.stderr)
        out = os.path.join(opts.out, module + ".json")
        text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        by = {}
        for e in doc["traps"]:
            by[e["severity_from"]] = by.get(e["severity_from"], 0) + 1
        print(f"{out}: {len(doc['traps'])} traps ({', '.join(f'{k} {v}' for k, v in sorted(by.items()))}), "
              f"{len(doc['objects'])} objects, {len(text)} bytes")
    return status


if __name__ == "__main__":
    sys.exit(main())
