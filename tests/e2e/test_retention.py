"""Retention of raw readings (raw_retention_months; server/retention.c, sql/031): the
elected refresher detaches and drops the month partitions that lie wholly before the
kept months, without blocking uploads and never under a reader; aggregates of the
dropped months still answer from the rollups, and uploads refuse rows of those months.

The suite runs on a cluster of its own: retention would drop every other suite's
months."""
import datetime
import threading
import time
import uuid

import psycopg2
import pytest

from cluster import Cluster, Server, scratch_dir, remove
from contract import Client
from ingest_data import device_csv, heat_obs, trip_rows, wait_refreshed


def months_back(n, day=5):
    now = datetime.datetime.now(datetime.timezone.utc)
    m = now.year * 12 + now.month - 1 - n
    return datetime.date(m // 12, m % 12 + 1, day)


OLD = months_back(3)  # three months ago: dropped with raw_retention_months = 1
OLD_PART = f"air_reading_{OLD.year:04d}_{OLD.month:02d}"
RECENT = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).date()
OLD_RANGE = {"from": f"{OLD.isoformat()}T00:00:00Z",
             "to": f"{(OLD + datetime.timedelta(days=2)).isoformat()}T00:00:00Z"}
# The first day kept with raw_retention_months = 1, and a ride across its midnight.
KEPT = months_back(1, day=1)
EDGE_RANGE = {"from": f"{(KEPT - datetime.timedelta(days=1)).isoformat()}T00:00:00Z",
              "to": f"{KEPT.isoformat()}T00:00:00Z"}


def edge_ride(start_s, n):
    """A ride north that starts start_s seconds after KEPT's midnight (negative: before)."""
    t0 = datetime.datetime.combine(KEPT, datetime.time(), datetime.timezone.utc)
    return [((t0 + datetime.timedelta(seconds=start_s + 10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             round(52.06 + (start_s // 10 + i) * 0.0005, 6), 5.15, 10 + i % 9) for i in range(n)]


@pytest.fixture(scope="module")
def world(admin_token):
    folder = scratch_dir("smu-retention-")
    cluster = Cluster(folder).start()
    yield folder, cluster
    cluster.stop()
    remove(folder)


def part_exists(cluster, name):
    return cluster.psql(f"SELECT to_regclass('{name}') IS NOT NULL") == "t"


def aggregates(anon, slug, **extra):
    r = anon.get("/v1/aggregates", params={**OLD_RANGE, "quantity": "pm25", "project": slug,
                                          "bucket": "day", "stat": "count,mean,min,max",
                                          **extra})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_old_months_go_and_their_aggregates_stay(world, admin_token):
    folder, cluster = world
    keep = Server(folder, cluster.url, admin_token).start()
    try:
        admin, anon = Client(keep.base, admin_token), Client(keep.base)
        slug = f"ret-{uuid.uuid4().hex[:8]}"
        assert admin.post("/v1/projects", json={
            "slug": slug, "name": "x", "kind": "air", "licence": "CC0-1.0", "k_anonymity": 1,
            "privacy_weakened": "test"}).status_code == 201
        heat = f"heat-{uuid.uuid4().hex[:8]}"
        assert admin.post("/v1/projects", json={
            "slug": heat, "name": "h", "kind": "heat", "licence": "CC0-1.0"}).status_code == 201
        # Two bikes ride three months ago, and yesterday; a heat station reports then too.
        for imei in ("861234567890001", "861234567890002"):
            for day in (OLD, RECENT):
                rows = trip_rows(0, 120, day=day.isoformat(), hour=8, step_deg=0.0005)
                r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                               data=device_csv(rows, imei=imei),
                               headers={"Content-Type": "text/csv"})
                assert r.json()["accepted"] == 120, r.text
        # A ride from 20 minutes before the first kept midnight to 20 minutes after.
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                       data=device_csv(edge_ride(-1200, 240), imei="861234567890004"),
                       headers={"Content-Type": "text/csv"})
        assert r.json()["accepted"] == 240, r.text
        r = admin.post(f"/v1/ingest/heat?project={heat}", json=dict(
            heat_obs(f"{OLD.isoformat()}T12:00:00Z"), station="st-1"))
        assert r.json()["accepted"] == 1, r.text
        wait_refreshed(cluster, slug)
        before = {space: aggregates(anon, slug, space=space) for space in ("all", "grid:250")}
        edge_before = aggregates(anon, slug, space="all", **EDGE_RANGE)
        assert edge_before and edge_before[0]["count"] > 0
        edge_zone = cluster.psql("SELECT ST_AsEWKT(start_zone) FROM trip WHERE started_at < "
                                 f"'{KEPT}' AND ended_at > '{KEPT}'")
        assert edge_zone.startswith("SRID=4326;POLYGON")
        assert before["all"] and before["all"][0]["count"] > 0
        cells_before = anon.get(f"/v1/datasets/{slug}", params=OLD_RANGE).text
        assert cells_before.count("\n") > 1
    finally:
        assert keep.stop() == 0
    assert part_exists(cluster, OLD_PART)

    # A reader holds the old month: retention must wait for it, not it for retention.
    reader = psycopg2.connect(cluster.url)
    reader.autocommit = False
    with reader.cursor() as c:
        c.execute(f"SELECT count(*) FROM air_reading WHERE recorded_at >= '{OLD}' "
                  f"AND recorded_at < '{OLD + datetime.timedelta(days=1)}'")
        assert c.fetchone()[0] == 240

    s = Server(folder, cluster.url, admin_token, raw_retention_months=1).start()
    admin, anon = Client(s.base, admin_token), Client(s.base)
    stop = threading.Event()
    latencies, failures = [], []

    def upload():  # a bike keeps uploading yesterday's ride, piece by piece
        rows = trip_rows(0, 600, day=RECENT.isoformat(), hour=14, step_deg=0.0001, step_s=5)
        i = 0
        while not stop.is_set() and i < len(rows):
            t0 = time.monotonic()
            r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                           data=device_csv(rows[i:i + 10], imei="861234567890003"),
                           headers={"Content-Type": "text/csv"})
            latencies.append(time.monotonic() - t0)
            if r.status_code != 200 or r.json()["accepted"] != 10:
                failures.append(r.text)
            i += 10
            time.sleep(0.05)

    uploader = threading.Thread(target=upload)
    uploader.start()
    try:
        time.sleep(6)
        # Not dropped under the reader; uploads go on meanwhile.
        assert part_exists(cluster, OLD_PART)
        reader.commit()
        deadline = time.monotonic() + 30
        while part_exists(cluster, OLD_PART):
            assert time.monotonic() < deadline, s.log_text()[-3000:]
            time.sleep(0.2)
    finally:
        stop.set()
        uploader.join(60)
        reader.close()
    assert failures == []
    assert len(latencies) >= 10 and max(latencies) < 5, max(latencies)

    try:
        # The readings of the old month are gone, with their trips and rendered hours;
        # the recent ones stay, and the heat station's (raw_retention_other_months = 0).
        assert cluster.psql(f"SELECT count(*) FROM air_reading WHERE recorded_at < '{KEPT}'") \
            == "0"
        assert cluster.psql(f"SELECT count(*) FROM trip WHERE ended_at < '{KEPT}'") == "0"
        assert cluster.psql(f"SELECT count(*) FROM air_dataset_hour WHERE hour < '{KEPT}'") \
            == "0"
        assert int(cluster.psql(f"SELECT count(*) FROM air_reading WHERE recorded_at >= "
                                f"'{RECENT}'")) >= 240
        assert part_exists(cluster, f"heat_observation_{OLD.year:04d}_{OLD.month:02d}")
        # Aggregates of the dropped month answer from the rollups, as before; the open
        # dataset's cells too.
        for space, items in before.items():
            assert aggregates(anon, slug, space=space) == items, space
        assert anon.get(f"/v1/datasets/{slug}", params=OLD_RANGE).text == cells_before
        # Percentiles of whole days come from the rollups' histograms (sql/030), so they
        # outlive the readings too; a range that cuts a quarter hour needs the readings,
        # which are gone.
        r = anon.get("/v1/aggregates", params={**OLD_RANGE, "quantity": "pm25",
                                               "project": slug, "bucket": "day",
                                               "stat": "count,p50"})
        assert r.status_code == 200 and r.json()["items"]
        assert all(i["p50"] is not None for i in r.json()["items"])
        cut = {**OLD_RANGE, "from": OLD_RANGE["from"].replace("T00:00:00", "T00:00:01")}
        r = anon.get("/v1/aggregates", params={**cut, "quantity": "pm25", "project": slug,
                                               "bucket": "day", "stat": "count,p50"})
        assert r.status_code == 200 and r.json()["items"] == []
        # Rows of a dropped month are refused, one by one, naming the key.
        rows = trip_rows(0, 3, day=OLD.isoformat(), hour=20)
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                       data=device_csv(rows, imei="861234567890001"),
                       headers={"Content-Type": "text/csv"})
        assert r.status_code == 422, r.text
        assert "raw_retention_months" in r.json()["errors"][0]["reason"]
        assert not part_exists(cluster, OLD_PART)
        # The ride across the first kept midnight goes on: its trip began in a dropped
        # month. Its start zone stays where it was (its first readings are gone), and the
        # rollups of the dropped day are not recounted from the readings left (none).
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                       data=device_csv(edge_ride(1200, 60), imei="861234567890004"),
                       headers={"Content-Type": "text/csv"})
        assert r.json()["accepted"] == 60, r.text
        assert cluster.psql("SELECT ST_AsEWKT(start_zone) FROM trip WHERE started_at < "
                            f"'{KEPT}' AND ended_at > '{KEPT}'") == edge_zone
        assert aggregates(anon, slug, space="all", **EDGE_RANGE) == edge_before
        # A ride of the kept months still goes in, and its aggregates follow.
        rows = trip_rows(0, 30, day=RECENT.isoformat(), hour=18, step_deg=0.0005)
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                       data=device_csv(rows, imei="861234567890001"),
                       headers={"Content-Type": "text/csv"})
        assert r.json()["accepted"] == 30, r.text
        assert any("dropped " + OLD_PART in line.get("msg", "") for line in s.log_lines())
    finally:
        assert s.stop() == 0
