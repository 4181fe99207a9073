#!/usr/bin/env python3
"""Structural check of docs/openapi.json (OpenAPI 3.0/3.1), for tests/cli/api_openapi.sh.

Debian 12 has no OpenAPI validator package (python3-openapi-spec-validator is not in
bookworm; python3-swagger-spec-validator knows only Swagger 2.0), so this checks what
the API's description relies on: the document's shape, every $ref resolving, unique
operationIds, parameters, security requirements naming defined schemes and scopes, the
rate-limit (429 with Retry-After) and bearer (401, 403) answers, and every schema being
a valid JSON Schema (python3-jsonschema). Which routes it lists is checked against the
server's route table by lib/storetool/serve_test.cpp.

Usage: check-openapi.py [FILE]   (default: docs/openapi.json beside this script)
Prints one line per problem and exits 1 when there is any.
"""
import json
import os
import sys

import jsonschema

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "docs", "openapi.json")
    problems = []

    def bad(where, what):
        problems.append(f"{where}: {what}")

    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: {e}")
        return 1

    version = doc.get("openapi", "")
    if not isinstance(version, str) or not (version.startswith("3.0.") or version.startswith("3.1.")):
        bad("openapi", f"version {version!r} is not 3.0.x or 3.1.x")
    info = doc.get("info", {})
    for key in ("title", "version"):
        if not isinstance(info.get(key), str) or not info.get(key):
            bad("info", f"{key} is missing")
    comps = doc.get("components", {})

    def resolve(ref, where):
        if not isinstance(ref, str) or not ref.startswith("#/"):
            bad(where, f"$ref {ref!r} is not local")
            return None
        node = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                bad(where, f"$ref {ref} does not resolve")
                return None
            node = node[part]
        return node

    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node["$ref"], where)
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(doc, "#")

    def deref(node, where):
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 10:
            node = resolve(node["$ref"], where) or {}
            seen += 1
        return node

    schemes = comps.get("securitySchemes", {})
    oauth_scopes = {}
    for name, scheme in schemes.items():
        if scheme.get("type") not in ("apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"):
            bad(f"securitySchemes/{name}", f"unknown type {scheme.get('type')!r}")
        if scheme.get("type") == "oauth2":
            flows = scheme.get("flows", {})
            if not flows:
                bad(f"securitySchemes/{name}", "no flows")
            for fname, flow in flows.items():
                if fname == "clientCredentials" and not flow.get("tokenUrl"):
                    bad(f"securitySchemes/{name}", "clientCredentials without tokenUrl")
                if not isinstance(flow.get("scopes"), dict):
                    bad(f"securitySchemes/{name}/{fname}", "scopes must be a map")
                oauth_scopes.setdefault(name, set()).update(flow.get("scopes", {}))

    # Every schema is a JSON Schema (OpenAPI 3.0's dialect is a subset with extensions).
    def check_schema(schema, where):
        try:
            jsonschema.Draft7Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            bad(where, f"not a valid schema: {e.message}")

    for name, schema in comps.get("schemas", {}).items():
        check_schema(schema, f"components/schemas/{name}")

    op_ids = {}
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        bad("paths", "missing or empty")
        paths = {}
    for p, item in paths.items():
        if not p.startswith("/"):
            bad(p, "a path must start with /")
        for method, op in item.items():
            where = f"{method.upper()} {p}"
            if method not in METHODS:
                if method not in ("summary", "description", "parameters", "servers", "$ref"):
                    bad(where, "unknown key in a path item")
                continue
            if not op.get("summary"):
                bad(where, "no summary")
            oid = op.get("operationId")
            if not oid:
                bad(where, "no operationId")
            elif oid in op_ids:
                bad(where, f"operationId {oid} also used by {op_ids[oid]}")
            else:
                op_ids[oid] = where
            seen = set()
            for prm in op.get("parameters", []):
                prm = deref(prm, where)
                key = (prm.get("name"), prm.get("in"))
                if not prm.get("name") or prm.get("in") not in ("query", "header", "path", "cookie"):
                    bad(where, f"bad parameter {prm}")
                if prm.get("in") == "header" and str(prm.get("name")).lower() in (
                        "accept", "content-type", "authorization"):
                    bad(where, f"header parameter {prm.get('name')} is ignored by OpenAPI; "
                               "say it with content types or security")
                if key in seen:
                    bad(where, f"parameter {key[0]} ({key[1]}) twice")
                seen.add(key)
                if "schema" not in prm and "content" not in prm:
                    bad(where, f"parameter {prm.get('name')} has no schema")
                elif "schema" in prm:
                    check_schema(prm["schema"], f"{where} parameter {prm.get('name')}")
                if prm.get("in") == "path" and not prm.get("required"):
                    bad(where, f"path parameter {prm.get('name')} must be required")
            if "security" not in op:
                bad(where, "no security (use [] for none)")
            bearer = False
            for req in op.get("security", []):
                for sname, scopes in req.items():
                    if sname not in schemes:
                        bad(where, f"security names undefined scheme {sname}")
                        continue
                    if schemes[sname].get("type") == "oauth2":
                        bearer = True
                        for s in scopes:
                            if s not in oauth_scopes.get(sname, set()):
                                bad(where, f"scope {s} is not defined in {sname}")
            responses = op.get("responses", {})
            if not responses:
                bad(where, "no responses")
            if not any(code.startswith("2") for code in responses):
                bad(where, "no 2xx response")
            need = ["429"] + (["401", "403"] if bearer else [])
            for code in need:
                if code not in responses:
                    bad(where, f"no {code} response")
            if "429" in responses:
                r = deref(responses["429"], where)
                if "Retry-After" not in r.get("headers", {}):
                    bad(where, "429 without a Retry-After header")
            for code, r in responses.items():
                r = deref(r, where)
                if not r.get("description"):
                    bad(f"{where} {code}", "a response needs a description")
                if code.startswith("4") or code.startswith("5"):
                    if not r.get("content"):
                        bad(f"{where} {code}", "an error response needs a body")
                for ctype, media in r.get("content", {}).items():
                    if "schema" in media:
                        check_schema(media["schema"], f"{where} {code} {ctype}")
                if code in ("401", "403") and bearer:
                    if "WWW-Authenticate" not in r.get("headers", {}):
                        bad(f"{where} {code}", "no WWW-Authenticate header")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
