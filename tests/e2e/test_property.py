"""Property test: random query strings to every open GET endpoint and random bodies to
every upload endpoint never get a 5xx, and every 4xx is an RFC 9457 problem.

Requests are built from a seeded generator (PROPERTY_SEED, printed; default random) as
raw bytes, so invalid percent-escapes and repeated parameters reach the server as they
are. PROPERTY_REQUESTS (default 3,000: two thirds GETs, one third uploads) sets how many;
the run also stops after PROPERTY_SECONDS (default 60) and says how many it sent. Every
answer is also checked against the OpenAPI contract (contract.check).
"""
import http.client
import json
import os
import random
import time
import urllib.parse
import uuid

import pytest
import requests

from contract import check
from ingest_data import SEGMENTS, device_csv, heat_obs, read, sheet, telraam_report, trip_rows

SEED = int(os.environ.get("PROPERTY_SEED", str(random.randrange(1 << 32))))
REQUESTS = int(os.environ.get("PROPERTY_REQUESTS", "3000"))
SECONDS = float(os.environ.get("PROPERTY_SECONDS", "60"))


# --- The world the requests talk about ----------------------------------------------------

@pytest.fixture(scope="module")
def world(server, admin_token):
    """Projects of every kind with a little data, devices with tokens, a segment, an area
    layer and a station: names for the generator to pick from."""
    from contract import Client
    admin = Client(server.base, admin_token)
    w = {"slugs": [], "tokens": {}}

    def project(kind, **extra):
        slug = f"prop-{kind[:4]}-{uuid.uuid4().hex[:8]}"
        r = admin.post("/v1/projects", json={"slug": slug, "name": kind, "kind": kind,
                                             "licence": "CC0-1.0", **extra})
        assert r.status_code == 201, r.text
        w["slugs"].append(slug)
        return slug

    def device(slug, external):
        r = admin.post(f"/v1/projects/{slug}/devices",
                       json={"external_id": external, "participant": "p"})
        assert r.status_code == 201, r.text
        return r.json()["token"]

    w["air"] = project("air")
    imei = "8612345" + str(random.Random(SEED).randrange(10 ** 8)).zfill(8)
    w["imei"] = imei
    w["tokens"]["air"] = device(w["air"], imei)
    now = time.time()
    day = time.strftime("%Y-%m-%d", time.gmtime(now - 2 * 86400))
    admin.post(f"/v1/ingest/snuffelfiets?project={w['air']}", headers={"Content-Type": "text/csv"},
               data=device_csv(trip_rows(0, 30, day=day), imei=imei))

    w["traffic"] = project("traffic")
    w["segment"] = 78000000000 + uuid.uuid4().int % 999999999
    r = admin.post(f"/v1/segments?project={w['traffic']}", json={
        "type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"segment_id": w["segment"]},
             "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}}]})
    assert r.status_code == 200, r.text
    admin.post(f"/v1/ingest/telraam?project={w['traffic']}", json={"report": [
        telraam_report(w["segment"], f"{day}T{h:02d}:00:00Z") for h in range(6)]})

    w["heat"] = project("heat", auto_register=True)
    w["tokens"]["heat"] = device(w["heat"], "prop-station")
    admin.post(f"/v1/ingest/heat?project={w['heat']}",
               json=[heat_obs(f"{day}T{h:02d}:00:00Z", station="prop-st") for h in range(6)])
    stations = requests.get(server.base + f"/v1/heat/stations?project={w['heat']}").json()
    w["stations"] = [f["properties"]["id"] for f in stations["features"]]
    w["secret"] = admin.post(f"/v1/projects/{w['heat']}/webhook-secret").json()["secret"]

    w["experience"] = project("experience")
    w["tokens"]["experience"] = device(w["experience"], "prop-app")

    w["layer"] = "prop-" + uuid.uuid4().hex[:6]
    with open(os.path.join(os.path.dirname(SEGMENTS), "..", "areas",
                           "utrecht-wijken-2014.geojson"), "rb") as f:
        w["areas"] = f.read()
    r = admin.post(f"/v1/areas/{w['layer']}", data=w["areas"],
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    w["day"] = day
    return w


# --- Random values ---------------------------------------------------------------------------

def pct(text):
    return urllib.parse.quote(text, safe="")


def rand_time(rng):
    """A time of many shapes: year 0 and offsets that cross 1970 or 9999 included
    (from=0000-01-01 answered 500 before #12: the server takes years 1970 to 9999)."""
    year = rng.choice([0, 1, 2, 1969, 1970, 1999, 2000, 2024, 2025, 2026, 2038, 2100, 9998, 9999])
    mo, d = rng.choice([(1, 1), (2, 29), (2, 28), (12, 31), (6, 15), (13, 1), (0, 0), (4, 31)])
    h, mi, s = rng.choice([(0, 0, 0), (23, 59, 59), (24, 0, 0), (12, 60, 0), (8, 48, 51)])
    sep = rng.choice(["T", "T", " ", "t", "_"])
    frac = rng.choice(["", "", ".5", ".123456", ".123456789", ".", ".1234567890"])
    zone = rng.choice(["Z", "z", "+01:00", "-23:59", "+0530", "+02", "+24:00", "", "+1", "Zulu"])
    return f"{year:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{zone}"


def rand_number(rng):
    return rng.choice(["0", "-0", "1", "-1", "1.5", "1e308", "-1e308", "1e309", "NaN", "nan",
                       "inf", "-Infinity", "9223372036854775807", "9223372036854775808",
                       "-9223372036854775809", "99999999999999999999999999", "0x10", "1_000",
                       "00012", "+5", "5.", ".5", "1e-400", str(rng.randint(-10 ** 6, 10 ** 6)),
                       str(rng.uniform(-200, 200))])


def rand_junk(rng):
    """Text with the bytes parsers trip over, percent-encoded as a client would send it, or
    raw escapes that are not valid."""
    return rng.choice([
        "", "%20", "%", "%z", "%zz", "%2", "%00", "%ff%fe", "%c3%28", "%e2%82", "%ed%a0%80",
        "%f4%90%80%80", "%c0%af", "a%00b", "%0a%0d", "%27%3b--", "%22", "%5c", "%25", "%2B",
        pct("ü€😀"), pct("x" * rng.choice([64, 65, 200, 3000])), "..%2F..%2F", "%7B%7D",
        pct("'; DROP TABLE project; --"), "+", "++", "&", "=",
    ])


def rand_bbox(rng):
    return rng.choice([
        "5.0,52.0,5.2,52.2", "-180,-90,180,90", "-180.0001,-90,180,90", "5,52,5,52",
        "5.2,52,5.0,52.2", "5,52,6", "5,52,6,53,7", ",,,", "5,52,6,north", "NaN,52,6,53",
        "1e308,1e308,1e308,1e308", "-1e400,0,1e400,1", "5%2C52%2C6%2C53", "0,0,0.000001,0.000001",
        ",".join(rand_number(rng) for _ in range(4)),
    ])


PARAMS = ["quantity", "bucket", "tz", "from", "to", "space", "stat", "project", "bbox",
          "quality", "format", "limit", "offset", "reference", "id", "external_id"]


def rand_value(rng, name, w):
    slugs = w["slugs"] + ["no-such-project", "x", "-x", "A", "a" * 63, "a" * 64]
    choices = {
        "quantity": ["pm25", "pm10", "pm1", "no2", "temperature", "humidity", "car", "bike",
                     "heavy", "pedestrian", "v85", "wbgt", "heat_index", "humidex",
                     "coverage", "PM25", "pm25;", "x" * 32, "x" * 33],
        "bucket": ["15min", "hour", "day", "week", "month", "range", "year", "Hour", "1h"],
        "tz": ["UTC", "Europe/Amsterdam", "utc", "Europe/Berlin", "+01:00"],
        "space": ["all", "grid:100", "grid:250", "grid:500", "grid:1000", "grid:300", "grid:",
                  "hex:100", "hex:1000", "hex:-1", f"area:{w['layer']}", "area:no-layer",
                  "area:", "area:" + "a" * 64, "segment", "station", "planet"],
        "stat": ["count", "mean", "count,mean,min,max,p50,p90,p98", "hours", "mean,,max", ",",
                 "p99", "mean,mean", "MIN"],
        "quality": ["valid", "all", "good", ""],
        "format": ["json", "geojson", "csv", "ndjson", "xml", "JSON"],
        "reference": ["who2021-24h", "who2021-annual", "eu-2030-24h", "nope", "a" * 70],
    }
    r = rng.random()
    if r < 0.12:
        return rand_junk(rng)
    if r < 0.2:
        return rand_number(rng)
    if name in ("from", "to"):
        return pct(rand_time(rng)) if rng.random() < 0.7 else rand_time(rng).replace("+", "%2B").replace(" ", "+")
    if name == "bbox":
        return rand_bbox(rng)
    if name == "project":
        return rng.choice(slugs)
    if name in ("limit", "offset", "id"):
        return rng.choice(["1", "10000", "10001", "0", "-1", "1099511627776", "1099511627777",
                           str(w["segment"])] + [rand_number(rng)])
    if name == "external_id":
        return w["imei"]
    return rng.choice(choices[name])


def rand_query(rng, w, base=()):
    """A query string: mostly known parameters with plausible or hostile values, some
    unknown names, repeats, empty pairs and values without '='."""
    pairs = list(base)
    for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 40])):
        r = rng.random()
        if r < 0.8:
            name = rng.choice(PARAMS)
            pairs.append(f"{name}={rand_value(rng, name, w)}")
        elif r < 0.85:
            pairs.append(rng.choice(PARAMS))  # no '='
        elif r < 0.9:
            pairs.append("")
        else:
            pairs.append(f"{rand_junk(rng) or 'k'}={rand_junk(rng)}")
    if pairs and rng.random() < 0.15:
        pairs.append(rng.choice(pairs))  # a repeated parameter
    rng.shuffle(pairs)
    return "&".join(pairs)


def get_request(rng, w):
    """(path, query) of an open GET endpoint."""
    slug = rng.choice(w["slugs"] + ["no-such-project", "A", pct("ü"), "a" * 70, "%2e%2e"])
    station = rng.choice(w["stations"] + ["station-0000000000000000", "station-xyz", "station-"
                                          + "A" * 16, "x"])
    segment = rng.choice([str(w["segment"]), "0", "-1", "9223372036854775807",
                          "9223372036854775808", "1e3", "abc", "%00"])
    path = rng.choice([
        "/v1/aggregates", "/v1/aggregates", "/v1/aggregates", "/v1/latest", "/v1/coverage",
        "/v1/exceedances", "/v1/exceedances", f"/v1/datasets/{slug}", "/v1/traffic/segments",
        f"/v1/traffic/segments/{segment}", "/v1/heat/stations", f"/v1/heat/stations/{station}",
        "/v1/projects", f"/v1/projects/{slug}", "/v1/quantities", "/healthz", "/readyz",
        "/metrics", "/v1/openapi.yaml",
    ])
    base = []
    if path in ("/v1/aggregates", "/v1/latest", "/v1/exceedances") and rng.random() < 0.7:
        base.append("quantity=" + rand_value(rng, "quantity", w))
    if path == "/v1/exceedances" and rng.random() < 0.7:
        base.append("reference=" + rand_value(rng, "reference", w))
    return path, rand_query(rng, w, base)


# --- Random bodies ------------------------------------------------------------------------------

HUGE = ["1e400", "-1e400", "123456789012345678901234567890", "1e308", "-0", "0.0000000001",
        "9223372036854775808"]


def json_text(value):
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def mutate_value(rng, v):
    r = rng.random()
    if r < 0.15:
        return None
    if r < 0.3:
        return rng.choice([True, False, "", " ", "x" * rng.choice([10, 501, 5000]), [], {},
                           [v], {"v": v}])
    if r < 0.45:
        return rng.choice([0, -1, 1.5, 2 ** 63, -(2 ** 63) - 1, 1e308, -1e308, 1e-320,
                           float("nan"), float("inf")])
    if r < 0.6:
        return rng.choice([rand_time(rng), "2025-02-30T00:00:00Z", "yesterday", "0",
                           str(rng.uniform(-1e6, 1e6)), "1e400", "\u0000", "é",
                           "NaN", "Infinity", "-inf"])
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v * rng.choice([-1, 10, 1000, 1e9, 0.5])
    if isinstance(v, str):
        return v[::-1] if rng.random() < 0.5 else v + rng.choice(["Z", "+01:00", " ", "\n"])
    return v


def mutate_json(rng, value):
    """A random change deep inside a JSON value (a copy)."""
    value = json.loads(json.dumps(value))
    for _ in range(rng.randint(1, 4)):
        node, parent, key = value, None, None
        for _ in range(rng.randint(0, 7)):  # deep enough for a GeoJSON position
            if isinstance(node, dict) and node:
                parent, key = node, rng.choice(list(node))
                node = node[key]
            elif isinstance(node, list) and node:
                parent, key = node, rng.randrange(len(node))
                node = node[key]
            else:
                break
        if parent is None:
            value = mutate_value(rng, value) if rng.random() < 0.2 else value
            continue
        r = rng.random()
        if r < 0.15 and isinstance(parent, dict):
            del parent[key]
        elif r < 0.25 and isinstance(parent, dict):
            parent[rng.choice(["extra", "", "x" * 100, "ü", key + "_"])] = mutate_value(rng, node)
        elif r < 0.3 and isinstance(parent, list):
            parent.append(node)
        else:
            parent[key] = mutate_value(rng, node)
    return value


def raw_mutation(rng, data):
    """A change to the bytes: hostile numbers, invalid UTF-8, deep nesting, duplicate keys,
    truncation, random bytes."""
    r = rng.random()
    if r < 0.15 and b":" in data:
        i = rng.choice([i for i in range(len(data)) if data[i:i + 1] == b":"][:200])
        j = i + 1
        while j < len(data) and data[j:j + 1] not in (b",", b"}", b"]"):
            j += 1
        return data[:i + 1] + rng.choice(HUGE + ["NaN", "Infinity", "-", "1.", "01", "tru",
                                                  '"\\ud800"', '"\\u0000"']).encode() + data[j:]
    if r < 0.3:
        bad = rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf",
                          b"\x00", b"\xe2\x82"])
        i = rng.randrange(len(data) + 1)
        return data[:i] + bad + data[i:]
    if r < 0.4:
        depth = rng.choice([20, 33, 100, 1000, 10000])
        return b"[" * depth + data + b"]" * depth if rng.random() < 0.5 else \
            b'{"a":' * depth + data + b"}" * depth
    if r < 0.5 and data.startswith(b"{"):
        return data[:-1] + b', "' + (data[2:data.index(b'"', 2)] if b'"' in data[2:] else b"x") \
            + b'": []}'  # a duplicate key
    if r < 0.65:
        return data[:rng.randrange(len(data) + 1)]
    if r < 0.8 and data:
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    return data + rng.choice([b"\n", b" ", b",", b"}", b"]", b"\x00", b"garbage"])


def csv_mutation(rng, text):
    lines = text.split(b"\n")
    r = rng.random()
    if r < 0.15:
        header = lines[0].split(b",")
        rng.shuffle(header)
        lines[0] = b",".join(header)
    elif r < 0.3:
        i = rng.randrange(len(lines))
        cells = lines[i].split(b",")
        cells[rng.randrange(len(cells))] = rng.choice(
            [x.encode() for x in HUGE + ["NaN", "", '"', '"a""b"', '"unterminated', "\xff",
                                         "x" * 300, rand_time(rng), "1,2"]] + [b"\xc3\x28"])
        lines[i] = b",".join(cells)
    elif r < 0.4:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice([b"", b",,,,", b'"', b"\r",
                                                                 lines[0], b"\xef\xbb\xbf"]))
    elif r < 0.5:
        lines = [line + b",extra" for line in lines]
    elif r < 0.6:
        lines[0] = lines[0].replace(b"created_at", rng.choice([b"time", b"", b"created_at,created_at"]))
    else:
        return raw_mutation(rng, text)
    return b"\n".join(lines)


def upload_request(rng, w, admin_token):
    """(path, headers, body) of an upload with valid authentication and a mutated body."""
    day = w["day"]
    ts = [f"{day}T{h:02d}:{rng.randrange(60):02d}:00Z" for h in range(rng.randint(1, 4))]
    admin = {"Authorization": "Bearer " + admin_token}
    kind = rng.choice(["air-csv", "air-json", "telraam", "heat", "ttn", "experience", "segments",
                       "areas"])
    as_admin = rng.random() < 0.5
    if kind == "air-csv":
        body = device_csv([(t, 52.09, 5.12, 10) for t in ts], imei=w["imei"])
        body = csv_mutation(rng, body) if rng.random() < 0.9 else raw_mutation(rng, body)
        path = f"/v1/ingest/snuffelfiets?project={w['air']}" if as_admin else \
            "/v1/ingest/snuffelfiets"
        auth = admin if as_admin else {"Authorization": "Bearer " + w["tokens"]["air"]}
        return path, dict(auth, **{"Content-Type": "text/csv"}), body
    if kind == "air-json":
        value = [{"imei": w["imei"], "created_at": t, "lat": 52.09, "lon": 5.12, "pm_2_5": 11.5,
                  "temperature": 12} for t in ts]
        path, auth = (f"/v1/ingest/snuffelfiets?project={w['air']}", admin) if as_admin else \
            ("/v1/ingest/snuffelfiets", {"Authorization": "Bearer " + w["tokens"]["air"]})
    elif kind == "telraam":
        value = {"report": [telraam_report(w["segment"], t[:14] + "00:00Z") for t in ts]}
        path, auth = f"/v1/ingest/telraam?project={w['traffic']}", admin
    elif kind == "heat":
        value = [heat_obs(t, station="prop-st") if as_admin else heat_obs(t) for t in ts]
        path, auth = (f"/v1/ingest/heat?project={w['heat']}", admin) if as_admin else \
            ("/v1/ingest/heat", {"Authorization": "Bearer " + w["tokens"]["heat"]})
    elif kind == "ttn":
        from ingest_data import ttn_uplink
        value = ttn_uplink("prop-ttn-station", ts[0], {"temperature": 25.5, "humidity": 60})
        path, auth = f"/v1/ingest/ttn?project={w['heat']}", {"X-Samenmeten-Secret": w["secret"]}
    elif kind == "experience":
        value = [dict(sheet(t), device="prop-sheet") if as_admin else sheet(t) for t in ts]
        path, auth = (f"/v1/ingest/experience?project={w['experience']}", admin) if as_admin \
            else ("/v1/ingest/experience", {"Authorization": "Bearer " + w["tokens"]["experience"]})
    elif kind == "segments":
        value = json.loads(read(SEGMENTS))
        value["features"] = value["features"][:rng.randint(0, 5)]
        for f in value["features"]:
            f["properties"]["segment_id"] = w["segment"] + 1 + rng.randrange(1000)
        path, auth = f"/v1/segments?project={w['traffic']}", admin
    else:
        value = json.loads(w["areas"])
        value["features"] = value["features"][:rng.randint(0, 4)]
        path, auth = f"/v1/areas/{w['layer']}-r{rng.randrange(4)}", admin
    value = mutate_json(rng, value) if rng.random() < 0.85 else value
    body = json_text(value).encode("utf-8", "surrogatepass")
    if rng.random() < 0.35:
        body = raw_mutation(rng, body)
    ctype = "application/json" if rng.random() < 0.95 else rng.choice(
        ["text/csv", "application/json; charset=latin1", "text/plain", ""])
    return path, dict(auth, **{"Content-Type": ctype}), body


# --- Sending and checking -------------------------------------------------------------------

class Raw:
    """One keep-alive connection that sends the request bytes as they are (requests would
    re-quote a URL); the answer comes back as a requests.Response for the contract check."""

    def __init__(self, server):
        self.host, self.port = "127.0.0.1", server.port
        self.conn = None

    def send(self, method, target, headers, body=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, target, body=body, headers=headers)
                resp = self.conn.getresponse()
                content = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        out = requests.Response()
        out.status_code = resp.status
        out._content = content
        out.headers = requests.structures.CaseInsensitiveDict(resp.getheaders())
        out.url = f"http://{self.host}:{self.port}{target}"
        out.request = requests.Request(method, out.url, headers=headers).prepare()
        out.request.url = out.url  # as sent, not re-quoted
        return out


def describe(method, target, headers, body):
    shown = {k: (v[:12] + "..." if k == "Authorization" else v) for k, v in headers.items()}
    text = f"{method} {target} {shown}"
    if body is not None:
        text += f" body ({len(body)} bytes): {body[:600]!r}"
    return text


def test_random_requests_never_get_a_5xx_and_4xx_are_problems(server, world, admin_token):
    rng = random.Random(SEED)
    print(f"\nproperty test: seed {SEED} (PROPERTY_SEED={SEED} repeats it)")
    raw = Raw(server)
    deadline = time.monotonic() + SECONDS
    sent = {"GET": 0, "POST": 0}
    statuses = {}
    contract = []  # answers the OpenAPI contract does not allow
    for i in range(REQUESTS):
        if time.monotonic() > deadline:
            break
        if i % 3 == 2:
            path, headers, body = upload_request(rng, world, admin_token)
            method = "POST"
        else:
            path, query = get_request(rng, world)
            method, headers, body = "GET", {}, None
            path = path + ("?" + query if query or rng.random() < 0.1 else "")
            if rng.random() < 0.1:
                headers["Accept"] = rng.choice(["text/csv", "application/geo+json",
                                                "application/x-ndjson", "*/*", ""])
        what = describe(method, path, headers, body)
        r = raw.send(method, path, headers, body)
        sent[method] += 1
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, f"seed {SEED}, request {i}: {what}\n-> {r.status_code} " \
            f"{r.content[:800]!r}"
        if r.status_code >= 400:
            assert r.headers.get("Content-Type", "").startswith("application/problem+json"), \
                f"seed {SEED}, request {i}: {what}\n-> {r.status_code} not a problem: " \
                f"{r.headers.get('Content-Type')} {r.content[:300]!r}"
            problem = json.loads(r.content)
            assert problem["status"] == r.status_code and problem["type"].startswith(
                "urn:samenmeten:problem:"), (what, problem)
        try:
            check(r)
        except AssertionError as e:
            contract.append(f"request {i}: {what[:300]}\n-> {r.status_code} "
                            f"{r.content[:300]!r}\ncontract: {str(e)[:300]}")
    print(f"property test: {sent['GET']} GETs and {sent['POST']} uploads; statuses "
          f"{dict(sorted(statuses.items()))}")
    kinds = {}
    for c in contract:
        reason = c.rsplit("contract: ", 1)[1]
        kinds[reason] = kinds.get(reason, 0) + 1
    assert not contract, f"seed {SEED}: {len(contract)} answers break the contract:\n" + \
        "\n".join(f"{n} x {k}" for k, n in sorted(kinds.items())) + "\nfor example:\n" + \
        "\n".join(contract[:5])
    assert sent["GET"] + sent["POST"] >= min(REQUESTS, 300), "too few requests in the time"
