#!/usr/bin/python3
"""Validate a JSON-lines file against schemas/<type>.schema.json.

    validate_records.py FILE [--allow-types device,reading]

Exit 0 when every non-blank line is a record whose schema accepts it; 1 otherwise,
naming each bad line. Exit 1 too for an empty file (a test that validates nothing
proves nothing) unless --allow-empty."""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    if os.environ.get("CI") == "true":
        sys.exit("validate_records: python3-jsonschema is not installed")
    print("validate_records: python3-jsonschema missing; skipping schema validation", file=sys.stderr)
    sys.exit(77)

src = os.environ.get("DCE_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
schemas = {}
for f in os.listdir(os.path.join(src, "schemas")):
    if f.endswith(".schema.json"):
        with open(os.path.join(src, "schemas", f)) as fh:
            schemas[f[: -len(".schema.json")]] = json.load(fh)

args = sys.argv[1:]
allow_empty = "--allow-empty" in args
args = [a for a in args if a != "--allow-empty"]
bad = 0
count = 0
with open(args[0], encoding="utf-8") as fh:
    for n, line in enumerate(fh, 1):
        if not line.strip():
            continue
        count += 1
        try:
            rec = json.loads(line)
        except ValueError as e:
            print("line %d: not JSON: %s" % (n, e)); bad += 1; continue
        schema = schemas.get(rec.get("type") if isinstance(rec, dict) else None)
        if schema is None:
            print("line %d: unknown record type %r" % (n, rec.get("type") if isinstance(rec, dict) else rec)); bad += 1; continue
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(rec), key=str)
        for e in errors[:3]:
            print("line %d (%s): %s at %s" % (n, rec["type"], e.message, "/".join(map(str, e.path))))
        bad += bool(errors)
if count == 0 and not allow_empty:
    print("validate_records: %s holds no records" % args[0]); sys.exit(1)
sys.exit(1 if bad else 0)
