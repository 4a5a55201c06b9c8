"""Keys never leave the server: PostgreSQL logging every statement with its parameters
(log_statement=all, log_min_duration_statement=0) through uploads of every family and every
open output holds no key material (DESIGN.md section 5: the key file never in logs)."""
import base64
import hashlib
import os
import struct
import uuid

import pytest

from ingest_data import SNUFFEL_CSV, heat_obs, read, sheet, telraam_report

KINDS = range(1, 7)  # server/pseudonym.h: every subkey kind, used or not


def subkey(master, kind):
    """libsodium's crypto_kdf_derive_from_key (BLAKE2b) with the server's context."""
    return hashlib.blake2b(b"", digest_size=32, key=master,
                           salt=struct.pack("<Q", kind) + bytes(8),
                           person=b"smu-pseu" + bytes(8)).digest()


def forms(secret):
    """Every way a key could show in a log line."""
    yield secret.hex()
    yield secret.hex().upper()
    yield base64.b64encode(secret).decode().rstrip("=")
    yield base64.urlsafe_b64encode(secret).decode().rstrip("=")


@pytest.fixture
def statement_log(cluster):
    log = os.path.join(cluster.datadir, "postgres.log")
    start = os.path.getsize(log)
    cluster.psql("ALTER SYSTEM SET log_statement = 'all'")
    cluster.psql("ALTER SYSTEM SET log_min_duration_statement = 0")
    cluster.psql("ALTER SYSTEM SET log_parameter_max_length = -1")
    cluster.psql("SELECT pg_reload_conf()")
    try:
        yield lambda: open(log, "rb").read()[start:].decode("utf-8", "replace")
    finally:
        for setting in ("log_statement", "log_min_duration_statement",
                        "log_parameter_max_length"):
            cluster.psql(f"ALTER SYSTEM RESET {setting}")
        cluster.psql("SELECT pg_reload_conf()")


def test_no_key_in_the_statement_log(admin, anon, cluster, workdir, statement_log):
    with open(os.path.join(workdir, "pseudonym.key")) as f:
        master = bytes.fromhex(f.read().strip())
    # The derivation is the server's: a device's stored pseudonym is reproduced with it.
    tag = uuid.uuid4().hex[:8]
    air = f"air-{tag}"
    admin.post("/v1/projects", json={"slug": air, "name": "x", "kind": "air",
                                     "licence": "CC-BY-4.0"})
    dev = admin.post(f"/v1/projects/{air}/devices",
                     json={"external_id": f"imei-{tag}", "participant": f"p-{tag}"}).json()
    want = hashlib.blake2b(f"imei-{tag}".encode(), digest_size=32, key=subkey(master, 1)).hexdigest()
    assert cluster.psql(f"SELECT encode(external_pseudonym, 'hex') FROM device "
                        f"WHERE id = '{dev['id']}'") == want

    # Uploads of every family, through both air paths (a new batch, then a retry).
    for _ in range(2):
        r = admin.post(f"/v1/ingest/snuffelfiets?project={air}", data=read(SNUFFEL_CSV),
                       headers={"Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
    traffic = f"telraam-{tag}"
    admin.post("/v1/projects", json={"slug": traffic, "name": "x", "kind": "traffic",
                                     "licence": "CC-BY-4.0"})
    seg = 76000000000 + uuid.uuid4().int % 999999999
    admin.post(f"/v1/segments?project={traffic}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment_id": seg},
         "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}}]})
    r = admin.post(f"/v1/ingest/telraam?project={traffic}",
                   json={"report": [telraam_report(seg, "2025-06-02T07:00:00Z", uptime=0.9,
                                                   car=10.0)]})
    assert r.status_code == 200, r.text
    heat = f"hitte-{tag}"
    admin.post("/v1/projects", json={"slug": heat, "name": "x", "kind": "heat",
                                     "licence": "CC-BY-4.0"})
    admin.post(f"/v1/projects/{heat}/devices", json={
        "external_id": f"tuin-{tag}", "participant": f"h-{tag}", "lat": 52.09, "lon": 5.12})
    assert admin.post(f"/v1/ingest/heat?project={heat}", json=[
        dict(heat_obs("2025-07-01T12:00:00Z"), station=f"tuin-{tag}")]).status_code == 200
    beleving = f"beleving-{tag}"
    admin.post("/v1/projects", json={"slug": beleving, "name": "x", "kind": "experience",
                                     "licence": "CC-BY-4.0"})
    sheet_dev = admin.post(f"/v1/projects/{beleving}/devices", json={
        "external_id": f"app-{tag}", "participant": f"b-{tag}"}).json()
    anon.post("/v1/ingest/experience", token=sheet_dev["token"],
              json=[sheet("2025-05-01T10:00:00Z", moving_around=5)])

    # Every open output, stations and their aggregates included.
    day = {"from": "2024-11-11T00:00:00Z", "to": "2024-11-12T00:00:00Z"}
    for space in ("all", "grid:100", "hex:250"):
        anon.get("/v1/aggregates", params={**day, "quantity": "pm25", "space": space,
                                           "project": air})
    july = {"from": "2025-07-01T00:00:00Z", "to": "2025-07-02T00:00:00Z"}
    stations = anon.get("/v1/heat/stations", params={"project": heat}).json()["features"]
    assert len(stations) == 1
    station = stations[0]["properties"]["id"]
    assert anon.get(f"/v1/heat/stations/{station}", params=july).status_code == 200
    agg = anon.get("/v1/aggregates", params={**july, "quantity": "wbgt", "space": "station",
                                             "project": heat}).json()
    assert [i["cell"]["id"] for i in agg["items"]] == [station]
    for path in ("/v1/latest", "/v1/coverage"):
        anon.get(path, params={"quantity": "pm25", "project": air})
    for slug in (air, traffic, heat):
        anon.get(f"/v1/datasets/{slug}", params={"format": "csv"})

    log = statement_log()
    # The log holds the statements and their parameters: the search below can find things.
    assert "parameters:" in log and "COPY" in log and dev["id"] in log
    leaks = [(kind, form) for kind in KINDS for form in forms(subkey(master, kind))
             if form in log]
    leaks += [("master", form) for form in forms(master) if form in log]
    assert not leaks, f"key material in the PostgreSQL log: {leaks}"
