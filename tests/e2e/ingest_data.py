"""Uploads for the ingest tests: the real fixtures, and small synthetic batches in
each family's format."""
import csv
import datetime as dt
import io
import os
import time

from cluster import ROOT

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SNUFFEL_CSV = os.path.join(FIXTURES, "snuffelfiets", "platform-export-2024-11-11.csv")
SEGMENTS = os.path.join(FIXTURES, "telraam", "segments-utrecht-2023-12-09.geojson")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def fixture_imeis():
    with open(SNUFFEL_CSV, newline="") as f:
        return sorted({row["entity_id"] for row in csv.DictReader(f)})


def device_csv(rows, imei="861234567890123", header_extra=""):
    """A device v3 CSV: rows are (created_at, lat, lon, pm25) tuples."""
    out = io.StringIO()
    out.write("created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,pm_2_5,pm_10"
              + header_extra + "\n")
    for t, lat, lon, pm in rows:
        pms = (pm, pm, pm) if isinstance(pm, str) else (pm / 2, pm, pm * 1.5)
        out.write(f"{t},{imei},{lat},{lon},7,3.9,120,12.5,70,{pms[0]},{pms[1]},{pms[2]}\n")
    return out.getvalue().encode()


def trip_rows(start_minute, count, step_s=10, day="2025-03-04", hour=8, step_deg=0.00002):
    """Readings every step_s seconds from hour:start_minute, moving north by step_deg
    (0.00002 deg, about 2 m, by default; 0.0005 is a brisk 20 km/h ride)."""
    rows = []
    for i in range(count):
        s = start_minute * 60 + i * step_s
        t = f"{day}T{hour + s // 3600:02d}:{(s // 60) % 60:02d}:{s % 60:02d}Z"
        rows.append((t, round(52.05 + i * step_deg, 6), 5.12, 10 + (i % 7)))
    return rows


def telraam_report(segment_id, date, **extra):
    r = {"instance_id": -1, "segment_id": segment_id, "date": date, "interval": "hourly",
         "uptime": 0.8, "heavy": 1.5, "car": 100.25, "bike": 40.5, "pedestrian": 10.0,
         "heavy_lft": 0.5, "heavy_rgt": 1.0, "car_lft": 50.0, "car_rgt": 50.25, "bike_lft": 20.0,
         "bike_rgt": 20.5, "pedestrian_lft": 5.0, "pedestrian_rgt": 5.0, "v85": 38.5,
         "direction": 1, "timezone": "Europe/Amsterdam",
         "car_speed_hist_0to70plus": [1.0, 4.0, 10.0, 30.0, 35.0, 15.0, 4.0, 1.0],
         "car_speed_hist_0to120plus": [0.0] * 4 + [4.0] * 20 + [20.0]}
    r.update(extra)
    return r


def heat_obs(time, **extra):
    o = {"time": time, "temperature": 30.0, "humidity": 50.0}
    o.update(extra)
    return o


def ttn_uplink(device_id, received_at, payload):
    return {
        "end_device_ids": {"device_id": device_id,
                           "application_ids": {"application_id": "samenmeten-hitte"},
                           "dev_eui": "70B3D57ED0059F3A", "join_eui": "0000000000000000"},
        "correlation_ids": ["as:up:01H0"],
        "received_at": received_at,
        "uplink_message": {"f_port": 1, "frm_payload": "AQID", "decoded_payload": payload,
                           "rx_metadata": [{"gateway_ids": {"gateway_id": "gw-utrecht-dom"},
                                            "rssi": -97, "snr": 7.5}],
                           "received_at": received_at},
    }


def sheet(time, **scores):
    return {"time": time, "lat": 52.0907, "lon": 5.1214,
            "scores": scores or {"natural_space": 4, "feeling_safe": 6}}


def fixture_air_project(server, admin_token, prefix, **settings):
    """A new air project holding the whole Snuffelfiets fixture (10 bikes, each its own
    participant); `settings` go into the project (k_anonymity, trim_min_m, ...)."""
    import uuid
    from contract import Client
    admin = Client(server.base, admin_token)
    slug = f"{prefix}-{uuid.uuid4().hex[:10]}"
    r = admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                         "licence": "CC-BY-4.0", **settings})
    assert r.status_code == 201, r.text
    assert admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                      headers={"Content-Type": "text/csv"}).json()["accepted"] == 5704
    return slug


def published(cluster, slug, where="true", valid=True):
    """Published pm2.5 readings of an air project (unflagged ones when `valid`), counted
    in SQL apart from the server."""
    flags = (" AND p.quality & (SELECT sum(1 << bit)::int FROM quality_flag WHERE excluded) = 0"
             if valid else "")
    return int(cluster.psql(
        "SELECT count(*) FROM air_published p JOIN device d ON d.id = p.device_id JOIN project pr"
        f" ON pr.id = d.project_id WHERE pr.slug = '{slug}' AND p.pm25_ugm3 IS NOT NULL{flags}"
        f" AND {where}"))


def assert_same_aggregates(a, b, stats=("count", "participants_at_least", "min", "max")):
    """Two /v1/aggregates answers of the same query from different sources (rollups,
    cell days, readings) agree: cells, counts, and `stats`; means to the rounding."""
    import pytest
    assert a["suppressed"] == b["suppressed"]
    assert a["excluded"] == b["excluded"]
    assert len(a["items"]) == len(b["items"])
    for x, y in zip(a["items"], b["items"]):
        assert (x["start"], x["cell"]) == (y["start"], y["cell"])
        for stat in stats:
            assert x[stat] == y[stat], (stat, x, y)
        assert x["mean"] == pytest.approx(y["mean"], abs=0.0011)


def readings_params(params):
    """The same /v1/aggregates query answered from the readings: `to` a second later, past
    a whole quarter hour (rollups, sql/012, hold whole quarters; nothing of the tests' data
    lies in that second). Percentiles no longer do it: the rollups' histograms answer them
    (sql/030)."""
    to = dt.datetime.strptime(params["to"], "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(seconds=1)
    return {**params, "to": to.strftime("%Y-%m-%dT%H:%M:%SZ")}


def project_id(cluster, slug):
    return cluster.psql(f"SELECT id FROM project WHERE slug = '{slug}'")


def wait_refreshed(cluster, slug, timeout_s=60):
    """Waits until the refresher has taken every changed day of the project."""
    pid = project_id(cluster, slug)
    deadline = time.monotonic() + timeout_s
    while cluster.psql(f"SELECT count(*) FROM air_day_change WHERE project_id = {pid}") != "0":
        assert time.monotonic() < deadline, "the refresher did not catch up"
        time.sleep(0.2)
    assert cluster.psql(f"SELECT count(*) > 0 FROM air_cell_period WHERE project_id = {pid}") == "t"


def poll_until(get, done, timeout_s=60, every_s=0.3):
    """get() until done(value) holds; the last value when it never did (the caller's
    assertion then shows it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = get()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(every_s)


def ride(start, minutes, step_s=10):
    """A ride north from `start` (UTC) at 2 km/h, a reading every step_s seconds (5.5 m
    apart): the last 200 m, which an end zone always hides, are its last 6 minutes."""
    rows = []
    for i in range(minutes * 60 // step_s + 1):
        t = start + dt.timedelta(seconds=i * step_s)
        rows.append((t.strftime("%Y-%m-%dT%H:%M:%SZ"), round(52.05 + i * 0.00005, 6), 5.12,
                     10 + i % 7))
    return rows
