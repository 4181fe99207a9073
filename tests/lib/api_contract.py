#!/usr/bin/python3
"""Contract tests for `dce-store serve` with a real HTTP client (python3-requests).

    api_contract.py --write-data FILE
        writes the fixture (two sites' devices, readings, events and findings) as JSON
        lines, for `dce-store ingest`.
    api_contract.py --url URL --ca CA.crt --clients DIR [--only-existing]
        runs the checks against a server holding that fixture. DIR holds CLIENT.json (the
        output of `dce-store client add`) for the clients `paris` and `lyon` (each bound to
        its site, every read scope), `ops` (unbound, every read scope) and `narrow`
        (unbound, read:inventory only).

Every route of the contract (docs/API.md, the lead's table) is one entry of ENDPOINTS:
its method(s), scope, answer shape, and the parameter sets tried for site isolation. For
each: no token 401, unknown parameter 400, a token without the scope 403, the answer's
shape (envelope, content type, records valid against schemas/, JSON lines, pagination
with `cursor`/`next`/`Link`), and SITE ISOLATION: whatever the parameters (site=lyon,
lyon's devices, labels and selectors naming lyon, a cursor taken from an unbound
client's listing of lyon), no answer to the client bound to paris holds lyon's data,
while the unbound client does see it (so the check is not vacuous).

An endpoint that answers 404 (not on this branch yet), or a listing without `next` where
a next page exists (pagination not merged yet), is a failure, unless --only-existing is
given: then it is reported as SKIPPED. The ctest entry never passes --only-existing.
Exit 0 when every check passed, 1 otherwise."""
import argparse
import json
import os
import sys
import time
import urllib.parse

# ---- the fixture ----------------------------------------------------------------------
A, B = "paris", "lyon"
DEV = {A: ["snmp://10.1.0.1:161", "snmp://10.1.0.2:161"], B: ["snmp://10.2.0.1:161", "snmp://10.2.0.2:161"]}
ADDR = {A: ["10.1.0.1", "10.1.0.2"], B: ["10.2.0.1", "10.2.0.2"]}
# Strings that only lyon's data holds. A marker may appear in an answer only when the
# request itself named it (a parameter echoed in a Link header or an error's detail);
# lyon's values never appear in any request, so they are checked always.
B_VALUES = ["4242.25", "4243.25", "9191.75"]
B_MARKERS = ["lyon", "10.2.0.", "LYON-SECRET"] + B_VALUES
T0 = 1795996800  # 2026-11-30T00:00:00Z
PROM_NAME = "dce_ups_load"  # lib/poll/format.cpp: "dce_" + sanitize_name("ups.load")


def iso(sec):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(sec))


def fixture():
    recs = []
    for site in (A, B):
        for i, dev in enumerate(DEV[site]):
            recs.append({"type": "device", "ts": iso(T0), "id": dev, "target": ADDR[site][i],
                         "transport": "snmp", "site": site})
    # ups.load every minute for 5 minutes; paris's values are small, lyon's distinctive.
    for m in range(5):
        for i in range(2):
            recs.append({"type": "reading", "ts": iso(T0 + 60 * m), "device": DEV[A][i], "metric": "ups.load",
                         "value": 10 + i + m, "unit": "percent", "site": A})
            recs.append({"type": "reading", "ts": iso(T0 + 60 * m), "device": DEV[B][i], "metric": "ups.load",
                         "value": float(B_VALUES[i]) if m == 4 else 4000 + i + m, "unit": "percent", "site": B})
    recs.append({"type": "reading", "ts": iso(T0 + 120), "device": DEV[A][0], "metric": "pdu.outlet.current",
                 "value": 1.5, "unit": "ampere", "labels": {"outlet": "1"}, "site": A})
    recs.append({"type": "reading", "ts": iso(T0 + 120), "device": DEV[B][0], "metric": "lyon.only",
                 "value": float(B_VALUES[2]), "labels": {"lyon_zone": "east"}, "site": B})
    for site in (A, B):
        tag = "LYON-SECRET" if site == B else "paris"
        for i in range(2):
            recs.append({"type": "event", "ts": iso(T0 + 30 + i), "source": ADDR[site][i], "transport": "snmp",
                         "device": DEV[site][i], "name": "upsOnBattery", "severity": "critical",
                         "description": "%s event %d" % (tag, i), "site": site})
            recs.append({"type": "finding", "ts": iso(T0 + 40 + i), "tool": "dce-audit", "check": "snmp.v1v2c",
                         "target": ADDR[site][i], "status": "fail", "severity": "high",
                         "message": "%s finding %d" % (tag, i), "site": site})
    return recs


# ---- the endpoints --------------------------------------------------------------------
SCOPES = ["read:inventory", "read:readings", "read:events", "read:findings"]
FROM, TO = iso(T0 - 60), iso(T0 + 3600)


def rec_sets(extra):
    """Isolation parameter sets every record listing gets, plus its own."""
    return [{}, {"site": A}, {"site": B}, {"site": [A, B]}, {"device": DEV[B][0]},
            {"device": [DEV[A][0], DEV[B][0]]}, {"device": ADDR[B][0]}, {"limit": "10000"}] + extra


def prom_sets(key, extra=()):
    sels = [PROM_NAME, PROM_NAME + '{site="%s"}' % B, PROM_NAME + '{device="%s"}' % DEV[B][0],
            PROM_NAME + '{site=~".+"}', PROM_NAME + '{site!="%s"}' % A, "dce_lyon_only",
            '{__name__=~"dce_.+"}', '{lyon_zone="east"}']
    return [dict({key: s}, **dict(extra)) for s in sels]


class Endpoint:
    def __init__(self, path, scope, shape, methods=("GET",), rtype=None, iso=(), paged=False,
                 base=None, no_scope_client="narrow"):
        self.path, self.scope, self.shape, self.methods = path, scope, shape, methods
        self.rtype = rtype        # the record type its data holds (records shape)
        self.iso = list(iso)      # parameter sets tried for site isolation
        self.paged = paged        # takes limit/cursor and answers next/Link
        self.base = base or {}    # parameters every request needs (Prometheus: query, ...)
        self.no_scope_client = no_scope_client


RANGE = {"start": str(T0 - 60), "end": str(T0 + 600), "step": "60"}
ENDPOINTS = [
    Endpoint("/api/v1/openapi.json", None, "openapi"),
    Endpoint("/api/v1/devices", "read:inventory", "records", rtype="device", paged=True, iso=rec_sets([]),
             no_scope_client="readings_only"),
    Endpoint("/api/v1/readings/latest", "read:readings", "records", rtype="reading", paged=True,
             iso=rec_sets([{"metric": "lyon.only"}, {"metric": "*"}, {"metric": "lyon.*"}])),
    # since/until named: the API's default range is the last hour, and T0 lies in the past.
    Endpoint("/api/v1/readings", "read:readings", "records", rtype="reading", paged=True,
             base={"since": FROM, "until": TO},
             iso=rec_sets([{"metric": "lyon.only"}, {"label": "lyon_zone=east"}, {"label": "site=" + B},
                           {"since": FROM, "until": TO}, {"since": str(T0 - 60), "until": str(T0 + 3600)},
                           {"every": "1m"}, {"every": "60", "agg": "avg"}, {"every": "1h", "agg": "max"},
                           {"device": DEV[B][0], "every": "5m", "agg": "last"}])),
    Endpoint("/api/v1/events", "read:events", "records", rtype="event", paged=True,
             iso=rec_sets([{"severity": "critical"}, {"since": FROM, "until": TO},
                           {"device": DEV[B][1], "severity": ["critical", "info"]}])),
    Endpoint("/api/v1/findings", "read:findings", "records", rtype="finding", paged=True,
             iso=rec_sets([{"check": "snmp.*"}, {"status": "fail"}, {"severity": "high"},
                           {"check": "snmp.v1v2c", "status": ["fail", "pass"], "since": FROM, "until": TO}])),
    Endpoint("/api/v1/changes", "*", "changes",
             iso=[{}, {"after": "0"}, {"site": A}, {"site": B}, {"after": "0", "limit": "1"},
                  {"after": "0", "limit": "10000"}]),
    Endpoint("/api/v1/query", "read:readings", "prom_vector", methods=("GET", "POST"),
             base={"query": PROM_NAME, "time": str(T0 + 300)},
             iso=prom_sets("query", {"time": str(T0 + 300)})),
    Endpoint("/api/v1/query_range", "read:readings", "prom_matrix", methods=("GET", "POST"),
             base=dict(RANGE, query=PROM_NAME), iso=prom_sets("query", RANGE)),
    Endpoint("/api/v1/series", "read:readings", "prom_series", methods=("GET", "POST"),
             base={"match[]": PROM_NAME},
             iso=[{"match[]": s} for s in (PROM_NAME, PROM_NAME + '{site="%s"}' % B, "dce_lyon_only",
                                            '{__name__=~"dce_.+"}', '{lyon_zone="east"}')]
             + [{"match[]": [PROM_NAME, "dce_lyon_only"], "start": RANGE["start"], "end": RANGE["end"]}]),
    Endpoint("/api/v1/labels", "read:readings", "prom_strings", iso=[{}]),
    Endpoint("/api/v1/label/__name__/values", "read:readings", "prom_strings", iso=[{}]),
    Endpoint("/api/v1/status/buildinfo", "read:readings", "prom_buildinfo", iso=[{}]),
]
OAUTH = [("POST", "/oauth2/token", None), ("POST", "/oauth2/revoke", None)]


# ---- the runner -----------------------------------------------------------------------
class Run:
    def __init__(self, args):
        import requests
        self.requests = requests
        self.url = args.url.rstrip("/")
        self.ca = args.ca
        self.only_existing = args.only_existing
        self.failures, self.checks, self.skipped = [], 0, []
        self.secrets = {}
        for name in ("paris", "lyon", "ops", "narrow", "readings_only"):
            with open(os.path.join(args.clients, name + ".json")) as fh:
                self.secrets[name] = json.load(fh)["client_secret"]
        self.sessions = {}
        self.tokens = {}
        self.missing = set()
        src = os.environ.get("DCE_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        import jsonschema
        self.schemas = {}
        for f in os.listdir(os.path.join(src, "schemas")):
            if f.endswith(".schema.json"):
                with open(os.path.join(src, "schemas", f)) as fh:
                    self.schemas[f[:-len(".schema.json")]] = jsonschema.Draft202012Validator(json.load(fh))

    # -- bookkeeping
    def check(self, what, cond, detail=""):
        self.checks += 1
        if not cond:
            self.failures.append("%s%s" % (what, (": " + detail) if detail else ""))
        return cond

    def skip(self, what):
        self.skipped.append(what)

    def session(self, client):
        if client not in self.sessions:
            s = self.requests.Session()
            s.verify = self.ca
            # Not the environment's REQUESTS_CA_BUNDLE (it would override verify=) nor
            # its proxies: the server is on loopback with the test CA.
            s.trust_env = False
            self.sessions[client] = s
        return self.sessions[client]

    def token(self, client):
        if client not in self.tokens:
            r = self.session(client).post(self.url + "/oauth2/token", data={"grant_type": "client_credentials"},
                                          auth=(client, self.secrets[client]), timeout=30)
            self.check("token for %s: 200" % client, r.status_code == 200, r.text[:200])
            self.tokens[client] = r.json()["access_token"]
        return self.tokens[client]

    def call(self, client, method, path, params=None, ndjson=False, token=True):
        headers = {}
        if token and client:
            headers["Authorization"] = "Bearer " + self.token(client)
        if ndjson:
            headers["Accept"] = "application/x-ndjson"
        s = self.session(client or "anonymous")
        if method == "POST":
            return s.post(self.url + path, data=params or {}, headers=headers, timeout=60)
        return s.get(self.url + path, params=params or {}, headers=headers, timeout=60)

    # -- shapes
    def valid_record(self, what, rec, rtype=None):
        if not self.check(what + ": a JSON object with a type", isinstance(rec, dict) and "type" in rec, repr(rec)[:200]):
            return
        if rtype:
            self.check(what + ": type " + rtype, rec["type"] == rtype, rec["type"])
        v = self.schemas.get(rec["type"])
        if self.check(what + ": known record type", v is not None, rec["type"]):
            errs = sorted(v.iter_errors(rec), key=str)
            self.check(what + ": valid against schemas/%s.schema.json" % rec["type"], not errs,
                       "; ".join(e.message for e in errs[:3]) + " in " + json.dumps(rec)[:300])

    def records_of(self, what, r, ep, ndjson=False):
        """The records of a 200 answer, after checking the envelope and content type."""
        ctype = r.headers.get("Content-Type", "")
        if ndjson:
            self.check(what + ": Content-Type application/x-ndjson", ctype.startswith("application/x-ndjson"), ctype)
            recs = []
            for n, line in enumerate(r.text.splitlines(), 1):
                if line.strip():
                    try:
                        recs.append(json.loads(line))
                    except ValueError:
                        self.check(what + ": line %d is JSON" % n, False, line[:200])
            self.check(what + ": JSON lines end with a newline", r.text == "" or r.text.endswith("\n"))
            return recs, None
        self.check(what + ": Content-Type application/json", ctype.startswith("application/json"), ctype)
        try:
            body = r.json()
        except ValueError:
            self.check(what + ": JSON body", False, r.text[:200])
            return [], None
        if ep.shape == "changes":
            self.check(what + ": {data, next_after}", isinstance(body, dict) and isinstance(body.get("data"), list)
                       and isinstance(body.get("next_after"), int), r.text[:200])
            return (body.get("data") or []) if isinstance(body, dict) else [], None
        ok = self.check(what + ": {data: [...]} envelope", isinstance(body, dict) and isinstance(body.get("data"), list)
                        and set(body) <= {"data", "next"}, r.text[:200])
        if not ok:
            return [], None
        nxt = body.get("next")
        if nxt is not None:
            self.check(what + ": next is a base64url string", isinstance(nxt, str) and nxt != ""
                       and all(c.isalnum() or c in "-_=" for c in nxt), repr(nxt))
        return body["data"], nxt

    def prom_body(self, what, r):
        ctype = r.headers.get("Content-Type", "")
        self.check(what + ": Content-Type application/json", ctype.startswith("application/json"), ctype)
        try:
            body = r.json()
        except ValueError:
            self.check(what + ": JSON body", False, r.text[:200])
            return None
        self.check(what + ": status success", isinstance(body, dict) and body.get("status") == "success", r.text[:200])
        return body.get("data") if isinstance(body, dict) else None

    def prom_series_of(self, what, ep, data):
        """Label sets (and their sample values) of a Prometheus answer, shape-checked."""
        out = []
        if ep.shape in ("prom_vector", "prom_matrix"):
            want = "vector" if ep.shape == "prom_vector" else "matrix"
            if not self.check(what + ": resultType " + want, isinstance(data, dict) and data.get("resultType") == want
                              and isinstance(data.get("result"), list), json.dumps(data)[:200]):
                return out
            for s in data["result"]:
                ok = isinstance(s, dict) and isinstance(s.get("metric"), dict)
                samples = [s.get("value")] if want == "vector" else (s.get("values") or [])
                ok = ok and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], (int, float))
                                and isinstance(p[1], str) for p in samples) and len(samples) > 0
                if self.check(what + ": a series is {metric, %s}" % ("value" if want == "vector" else "values"), ok,
                              json.dumps(s)[:200]):
                    out.append((s["metric"], [p[1] for p in samples]))
        elif ep.shape == "prom_series":
            if self.check(what + ": a list of label sets", isinstance(data, list) and all(isinstance(x, dict) for x in data),
                          json.dumps(data)[:200]):
                out = [(x, []) for x in data]
        elif ep.shape == "prom_strings":
            self.check(what + ": a list of strings", isinstance(data, list) and all(isinstance(x, str) for x in data),
                       json.dumps(data)[:200])
        elif ep.shape == "prom_buildinfo":
            self.check(what + ": buildinfo has a version", isinstance(data, dict) and isinstance(data.get("version"), str),
                       json.dumps(data)[:200])
        return out

    # -- one endpoint
    def present(self, ep):
        """False (and a failure or a skip) when the endpoint is not there: 404."""
        token = ep.scope is not None
        r = self.call("ops" if token else None, ep.methods[0], ep.path, ep.base, token=token)
        if r.status_code != 404:
            return True
        self.missing.add(ep.path)
        if self.only_existing:
            self.skip("%s answers 404 (not on this branch)" % ep.path)
        else:
            self.check("%s exists" % ep.path, False, "404: not implemented (merge its branch)")
        return False

    def test_auth(self, ep):
        for m in ep.methods:
            r = self.call(None, m, ep.path, ep.base, token=False)
            self.check("%s %s without a token: 401" % (m, ep.path), r.status_code == 401, str(r.status_code))
            self.check("%s %s without a token: WWW-Authenticate Bearer" % (m, ep.path),
                       r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers.get("WWW-Authenticate", ""))
        r = self.call("ops", "GET", ep.path, dict(ep.base, bogus_parameter="1"))
        self.check("%s: an unknown parameter is 400" % ep.path, r.status_code == 400, str(r.status_code))
        if ep.shape in ("records", "changes"):
            ctype = r.headers.get("Content-Type", "")
            self.check("%s: the 400 is application/problem+json" % ep.path,
                       ctype.startswith("application/problem+json"), ctype)
            body = r.json() if ctype.startswith("application/problem+json") else {}
            self.check("%s: the problem has type, title, status 400, detail" % ep.path,
                       {"type", "title", "status", "detail"} <= set(body) and body.get("status") == 400, r.text[:200])
        if ep.scope != "*":
            r = self.call(ep.no_scope_client, ep.methods[0], ep.path, ep.base)
            self.check("%s with a token lacking %s: 403" % (ep.path, ep.scope), r.status_code == 403, str(r.status_code))
            self.check("%s with a token lacking %s: insufficient_scope" % (ep.path, ep.scope),
                       'error="insufficient_scope"' in r.headers.get("WWW-Authenticate", ""),
                       r.headers.get("WWW-Authenticate", ""))
            ctype = r.headers.get("Content-Type", "")
            self.check("%s 403 is a problem (RFC 9457) or Prometheus error" % ep.path,
                       ctype.startswith("application/problem+json") or ctype.startswith("application/json"), ctype)

    def test_shape_records(self, ep):
        r = self.call("ops", "GET", ep.path, ep.base)
        what = "GET %s (unbound)" % ep.path
        if not self.check(what + ": 200", r.status_code == 200, "%d %s" % (r.status_code, r.text[:200])):
            return
        recs, nxt = self.records_of(what, r, ep)
        self.check(what + ": some records", len(recs) > 0)
        for i, rec in enumerate(recs):
            if ep.shape == "changes":
                self.check(what + ": record %d has an integer offset" % i, isinstance(rec.get("offset"), int))
                rec = {k: v for k, v in rec.items() if k != "offset"}
            self.valid_record("%s record %d" % (what, i), rec, ep.rtype)
        sites = {rec.get("site") for rec in recs}
        self.check(what + ": both sites", {A, B} <= sites, repr(sites))
        if ep.shape == "changes":
            offs = [rec.get("offset") for rec in recs]
            self.check(what + ": offsets strictly increase", all(a < b for a, b in zip(offs, offs[1:])), repr(offs))
            body = r.json()
            self.check(what + ": next_after is the last offset", not offs or body.get("next_after") == offs[-1],
                       "%r vs %r" % (body.get("next_after"), offs[-1:]))
            r2 = self.call("ops", "GET", ep.path, {"after": str(body.get("next_after"))})
            self.check(what + ": nothing after next_after", r2.status_code == 200 and r2.json().get("data") == [],
                       r2.text[:200])
            r3 = self.call("narrow", "GET", ep.path)
            types = {x.get("type") for x in (r3.json().get("data", []) if r3.status_code == 200 else [None])}
            self.check(what + ": a read:inventory token gets device records only", types == {"device"}, repr(types))
        # JSON lines: the same records, one a line.
        r = self.call("ops", "GET", ep.path, ep.base, ndjson=True)
        if self.check(what + " ndjson: 200", r.status_code == 200, str(r.status_code)):
            lines, _ = self.records_of(what + " ndjson", r, ep, ndjson=True)
            self.check(what + " ndjson: as many records as JSON", len(lines) == len(recs), "%d vs %d" % (len(lines), len(recs)))
            for i, rec in enumerate(lines[:50]):
                self.valid_record("%s ndjson line %d" % (what, i + 1),
                                  {k: v for k, v in rec.items() if k != "offset"}, ep.rtype)
        if ep.paged:
            self.test_pages(ep, recs)

    def test_pages(self, ep, everything):
        """limit=1 pages, cursor to cursor, give back exactly the unpaged listing."""
        what = "GET %s?limit=1" % ep.path
        seen, params, pages = [], dict(ep.base, limit="1"), 0
        while pages <= len(everything) + 1:
            r = self.call("ops", "GET", ep.path, params)
            if not self.check(what + " page %d: 200" % pages, r.status_code == 200, r.text[:200]):
                return
            recs, nxt = self.records_of(what, r, ep)
            seen += recs
            pages += 1
            link = r.headers.get("Link", "")
            if nxt is None:
                if len(seen) < len(everything):
                    msg = "%s: no next after %d of %d records (pagination)" % (ep.path, len(seen), len(everything))
                    if self.only_existing:
                        self.skip(msg + " not on this branch")
                    else:
                        self.check(msg, False)
                    return
                self.check(what + ": no Link rel=next on the last page", 'rel="next"' not in link, link)
                break
            self.check(what + ": Link rel=next with the cursor", 'rel="next"' in link and ep.path in link and
                       ("cursor=" + nxt in link or "cursor=" + urllib.parse.quote(nxt, safe="") in link), link)
            rn = self.call("ops", "GET", ep.path, params, ndjson=True)
            self.check(what + " ndjson: Link rel=next too", 'rel="next"' in rn.headers.get("Link", ""),
                       rn.headers.get("Link", ""))
            params = dict(ep.base, limit="1", cursor=nxt)
        key = lambda x: json.dumps(x, sort_keys=True)
        self.check(what + ": the pages hold exactly the unpaged listing",
                   sorted(map(key, seen)) == sorted(map(key, everything)), "%d vs %d" % (len(seen), len(everything)))
        r = self.call("ops", "GET", ep.path, dict(ep.base, cursor="not*a*cursor"))
        self.check("%s: a malformed cursor is 400" % ep.path, r.status_code == 400, str(r.status_code))

    def test_shape_prom(self, ep):
        for m in ep.methods:
            what = "%s %s (unbound)" % (m, ep.path)
            r = self.call("ops", m, ep.path, ep.base)
            if not self.check(what + ": 200", r.status_code == 200, "%d %s" % (r.status_code, r.text[:200])):
                continue
            data = self.prom_body(what, r)
            series = self.prom_series_of(what, ep, data)
            if ep.shape in ("prom_vector", "prom_matrix", "prom_series"):
                names = {s[0].get("__name__") for s in series}
                self.check(what + ": " + PROM_NAME + " series of both sites",
                           names == {PROM_NAME} and {A, B} <= {s[0].get("site") for s in series}, json.dumps(data)[:300])
            if ep.shape == "prom_strings" and ep.path.endswith("/values"):
                self.check(what + ": lists " + PROM_NAME, PROM_NAME in (data or []), repr(data))
            if ep.shape == "prom_strings" and ep.path.endswith("/labels"):
                self.check(what + ": lists __name__, device, site", {"__name__", "device", "site"} <= set(data or []),
                           repr(data))
        if ep.shape in ("prom_vector", "prom_matrix", "prom_series"):
            key = "match[]" if ep.shape == "prom_series" else "query"
            r = self.call("ops", "GET", ep.path, dict(ep.base, **{key: PROM_NAME + "{"}))
            self.check("%s: a bad selector is 400" % ep.path, r.status_code == 400, str(r.status_code))
            try:
                body = r.json()
            except ValueError:
                body = {}
            self.check("%s: a bad selector is a Prometheus bad_data error" % ep.path,
                       body.get("status") == "error" and body.get("errorType") == "bad_data", r.text[:200])

    def test_openapi(self, ep):
        r = self.call(None, "GET", ep.path, token=False)
        if not self.check("openapi.json without a token: 200", r.status_code == 200, str(r.status_code)):
            return
        doc = r.json()
        self.check("openapi.json: OpenAPI 3", str(doc.get("openapi", "")).startswith("3."), str(doc.get("openapi")))
        have = {(m.upper(), p) for p, ops in (doc.get("paths") or {}).items() for m in ops
                if m.lower() in ("get", "post", "put", "delete", "patch")}
        want = {(m, e.path) for e in ENDPOINTS for m in e.methods} | {(m, p) for m, p, _ in OAUTH}
        self.check("openapi.json lists exactly the contract's routes", have == want,
                   "extra %s, missing %s" % (sorted(have - want), sorted(want - have)))
        for e in ENDPOINTS:
            if e.scope in (None, "*"):
                continue
            for m in e.methods:
                op = (doc.get("paths") or {}).get(e.path, {}).get(m.lower())
                self.check("openapi.json: %s %s names scope %s" % (m, e.path, e.scope), e.scope in json.dumps(op),
                           json.dumps(op)[:200])

    # -- site isolation
    def leaks(self, ep, params, r):
        """What of lyon's data the answer to paris holds (empty: nothing)."""
        asked = json.dumps(params)
        text = r.text + "\n" + "\n".join("%s: %s" % kv for kv in r.headers.items())
        found = [m for m in B_MARKERS if m in text and m not in asked]
        if r.status_code != 200:
            return found
        try:
            if ep.shape in ("records", "changes"):
                if r.headers.get("Content-Type", "").startswith("application/x-ndjson"):
                    recs = [json.loads(x) for x in r.text.splitlines() if x.strip()]
                else:
                    recs = r.json().get("data", [])
                for rec in recs:
                    if rec.get("site") != A:
                        found.append("a record of site %r" % rec.get("site"))
                    if rec.get("device") in DEV[B] or rec.get("id") in DEV[B] or rec.get("target") in ADDR[B]:
                        found.append("lyon's device in " + json.dumps(rec)[:100])
            elif ep.shape.startswith("prom"):
                data = r.json().get("data")
                for labels, values in self.prom_series_of("isolation " + ep.path, ep, data):
                    if labels.get("site") not in (A, None) or labels.get("device") in DEV[B]:
                        found.append("a series of %r" % labels)
                    if labels.get("site") is None:
                        found.append("a series without site %r" % labels)
                    found += ["value " + v for v in values if v in B_VALUES]
                if ep.shape == "prom_strings":
                    found += [x for x in data or [] if "lyon" in x]
        except (ValueError, AttributeError) as e:
            found.append("unparseable answer: %s" % e)
        return found

    def b_cursor(self, ep):
        """A cursor from the unbound client's listing of lyon's records, or None."""
        if not ep.paged:
            return None
        r = self.call("ops", "GET", ep.path, dict(ep.base, site=B, limit="1"))
        if r.status_code != 200:
            return None
        return r.json().get("next")

    def test_isolation(self, ep):
        sets = list(ep.iso)
        cur = self.b_cursor(ep)
        if cur:
            sets += [{"cursor": cur}, {"cursor": cur, "limit": "1"}, {"cursor": cur, "site": A}]
        elif ep.paged and ep.path not in self.missing:
            msg = "%s: no cursor from lyon's listing (pagination)" % ep.path
            if self.only_existing:
                self.skip(msg + " not on this branch")
            else:
                self.check(msg, False)
        for m in ep.methods:
            # The unbound client sees lyon's data for the plain request: the markers are real.
            r = self.call("ops", m, ep.path, dict(ep.base, **({"site": B} if ep.shape in ("records", "changes") else {})))
            if ep.shape not in ("prom_buildinfo",):
                self.check("%s %s: the unbound client sees lyon's data" % (m, ep.path),
                           r.status_code == 200 and any(x in r.text for x in B_MARKERS), r.text[:200])
            r = self.call("paris", m, ep.path, ep.base)
            self.check("%s %s: paris gets 200" % (m, ep.path), r.status_code == 200, r.text[:200])
            if ep.shape in ("records", "changes", "prom_vector", "prom_matrix", "prom_series"):
                self.check("%s %s: paris sees its own data" % (m, ep.path), "10.1.0." in r.text, r.text[:200])
            for params in sets:
                p = dict(ep.base, **params)
                for nd in ((False, True) if ep.shape in ("records", "changes") and m == "GET" else (False,)):
                    r = self.call("paris", m, ep.path, p, ndjson=nd)
                    what = "%s %s %s%s as paris" % (m, ep.path, json.dumps(params), " ndjson" if nd else "")
                    self.check(what + ": 200, 400 or 403", r.status_code in (200, 400, 403), str(r.status_code))
                    bad = self.leaks(ep, params, r)
                    self.check(what + ": nothing of lyon's", not bad, "; ".join(bad[:5]))
                    if params.get("site") == B:
                        self.check(what + ": another site is 403", r.status_code == 403, str(r.status_code))

    def test_revoke(self):
        tok = self.token("narrow")
        r = self.session("narrow").post(self.url + "/oauth2/revoke", data={"token": tok},
                                        auth=("narrow", self.secrets["narrow"]), timeout=30)
        self.check("revoke: 200", r.status_code == 200, str(r.status_code))
        r = self.call("narrow", "GET", "/api/v1/devices")
        self.check("a revoked token: 401", r.status_code == 401, str(r.status_code))
        del self.tokens["narrow"]
        r = self.session("x").post(self.url + "/oauth2/token", data={"grant_type": "client_credentials"},
                                   auth=("narrow", "wrong"), timeout=30)
        self.check("a wrong secret: 401 invalid_client", r.status_code == 401 and r.json().get("error") == "invalid_client",
                   r.text[:200])
        r = self.session("x").post(self.url + "/oauth2/token", data={"grant_type": "client_credentials"},
                                   auth=("paris", self.secrets["paris"]), timeout=30)
        body = r.json()
        self.check("token answer: Bearer, expires_in, scope, no-store",
                   body.get("token_type") == "Bearer" and isinstance(body.get("expires_in"), int)
                   and set(body.get("scope", "").split()) == set(SCOPES)
                   and "no-store" in r.headers.get("Cache-Control", ""), r.text[:200])

    def test_endpoint(self, ep):
        if not self.present(ep):
            return
        if ep.shape == "openapi":
            self.test_openapi(ep)
            return
        self.test_auth(ep)
        if ep.shape in ("records", "changes"):
            self.test_shape_records(ep)
        else:
            self.test_shape_prom(ep)
        self.test_isolation(ep)

    def run(self):
        import traceback
        for ep in ENDPOINTS:
            try:
                self.test_endpoint(ep)
            except Exception:  # an answer of the wrong shape: one failure, then the next route
                self.check("%s: checked without an exception" % ep.path, False, traceback.format_exc(limit=3))
        try:
            self.test_revoke()
        except Exception:
            self.check("the token flow: checked without an exception", False, traceback.format_exc(limit=3))
        for s in self.skipped:
            print("SKIPPED: " + s)
        for f in self.failures:
            print("FAIL: " + f)
        print("api_contract: %d checks, %d failed, %d skipped" % (self.checks, len(self.failures), len(self.skipped)))
        return 1 if self.failures or self.checks == 0 else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write-data", metavar="FILE")
    ap.add_argument("--url")
    ap.add_argument("--ca")
    ap.add_argument("--clients", metavar="DIR")
    ap.add_argument("--only-existing", action="store_true",
                    help="report endpoints that answer 404, and missing pagination, as skipped instead of failed")
    args = ap.parse_args()
    if args.write_data:
        with open(args.write_data, "w") as fh:
            for rec in fixture():
                fh.write(json.dumps(rec) + "\n")
        return 0
    if not (args.url and args.ca and args.clients):
        ap.error("--url, --ca and --clients are needed")
    return Run(args).run()


if __name__ == "__main__":
    sys.exit(main())
