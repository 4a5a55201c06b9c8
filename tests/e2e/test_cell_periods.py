"""Grid cells per day (sql/016_air_cell_period.sql), kept by the server's refresher: once
a project's days are refreshed, day maps of 100 and 250 m cells come from them, with
the same answer as the readings give; a changed day (an erasure) is read from the
rollups until the refresher has recomputed it."""
import time

import pytest

from ingest_data import (assert_same_aggregates, device_csv, fixture_air_project, project_id,
                         readings_params, trip_rows, wait_refreshed)


@pytest.fixture(scope="module")
def server(uncached_server):
    """These tests tamper with counted cells behind the server's back to see which source
    answered: every answer must be computed."""
    return uncached_server

RANGE = {"quantity": "pm25", "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z",
         "bucket": "day"}
STATS = "count,mean,min,max"


@pytest.fixture(scope="module")
def refreshed_project(server, admin_token, cluster):
    slug = fixture_air_project(server, admin_token, "cells", k_anonymity=3, trim_min_m=200)
    wait_refreshed(cluster, slug)
    return slug


def answer(anon, params, readings=False):
    """The answer to `params`, or with `readings` the same query from the readings."""
    if readings:
        params = readings_params(params)
    r = anon.get("/v1/aggregates", params={**params, "stat": STATS, "limit": 10000})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("space", ["grid:100", "grid:250", "all"])
@pytest.mark.parametrize("quantity", ["pm25", "no2", "temperature", "humidity"])
def test_counted_cells_answer_as_readings_do(anon, refreshed_project, space, quantity):
    bucket = "hour" if space == "all" else "day"
    params = {**RANGE, "quantity": quantity, "project": refreshed_project, "space": space,
              "bucket": bucket}
    cells = answer(anon, params)
    assert cells["items"], "the comparison needs items"
    assert_same_aggregates(cells, answer(anon, params, readings=True))


@pytest.mark.parametrize("space,bucket,cell_m", [("grid:250", "day", 250), ("all", "hour", 0)])
def test_counted_cells_are_read_only_while_current(admin, anon, cluster, refreshed_project,
                                                   space, bucket, cell_m):
    """A tampered cell shows (so the answer came from the counted cells) until a change
    of its day is noted; then the rollups answer, until the refresher has recomputed it."""
    assert admin.post("/v1/projects", json={"slug": f"{refreshed_project}-{cell_m}",
                                            "name": "x", "kind": "air", "licence": "CC0-1.0"}
                      ).status_code == 201
    params = {**RANGE, "project": refreshed_project, "space": space, "bucket": bucket}
    truth = answer(anon, params)
    pid = project_id(cluster, refreshed_project)
    cluster.psql(f"UPDATE air_cell_period SET n = n + 1000 WHERE project_id = {pid}"
                 f" AND quantity = 'pm25_ugm3' AND cell_m = {cell_m}"
                 " AND period_start >= '2024-11-12Z' AND period_start < '2024-11-13Z'")
    tampered = answer(anon, params)
    assert [i["count"] for i in tampered["items"]] != [i["count"] for i in truth["items"]]
    # Without a project, of two air projects (which may share participants), the counted
    # cells of one are not the answer.
    everyone = {k: v for k, v in params.items() if k != "project"}
    assert_same_aggregates(answer(anon, everyone), answer(anon, everyone, readings=True))
    cluster.psql(f"INSERT INTO air_day_change VALUES ({pid}, '2024-11-12Z')")
    assert answer(anon, params)["items"] == truth["items"]
    wait_refreshed(cluster, refreshed_project)
    assert answer(anon, params)["items"] == truth["items"]


def test_erasure_is_seen_at_once_and_refreshed(admin, anon, cluster):
    slug = f"cells-erase-{int(time.time() * 1000) % 10**9}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC0-1.0", "k_anonymity": 1,
                                            "trim_min_m": 200, "privacy_weakened": "test: every participant counts"}).status_code == 201
    ride = trip_rows(0, 180, day="2025-03-04", hour=8, step_deg=0.0005)
    rider = admin.post(f"/v1/projects/{slug}/devices",
                       json={"external_id": "861234567890777", "participant": "p-77"}).json()
    assert anon.post("/v1/ingest/snuffelfiets", token=rider["token"],
                     data=device_csv(ride, imei="861234567890777"),
                     headers={"Content-Type": "text/csv"}).json()["accepted"] == len(ride)
    wait_refreshed(cluster, slug)
    params = {"quantity": "pm25", "from": "2025-03-04T00:00:00Z",
              "to": "2025-03-05T00:00:00Z", "bucket": "day", "space": "grid:100",
              "project": slug}
    assert answer(anon, params)["items"]
    r = admin.post(f"/v1/projects/{slug}/erasures", json={"participant": "p-77"})
    assert r.status_code == 200, r.text
    assert answer(anon, params)["items"] == []
    pid = project_id(cluster, slug)
    deadline = time.monotonic() + 60
    while cluster.psql(f"SELECT count(*) FROM air_cell_period WHERE project_id = {pid}") != "0":
        assert time.monotonic() < deadline, "the refresher did not recompute the day"
        time.sleep(0.2)
    assert answer(anon, params)["items"] == []
