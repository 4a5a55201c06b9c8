"""The right to erasure: one admin call, and every output changes accordingly."""
import uuid

from ingest_data import SNUFFEL_CSV, device_csv, heat_obs, read, trip_rows, wait_refreshed

RANGE = {"quantity": "pm25", "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z",
         "bucket": "day"}


def test_erasing_a_participant_removes_them_from_every_output(admin, anon, cluster, researcher):
    slug = f"erase-{uuid.uuid4().hex[:10]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                     "licence": "CC-BY-4.0", "k_anonymity": 1,
                                     "privacy_weakened": "test: every participant counts"})
    assert admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                      headers={"Content-Type": "text/csv"}).json()["accepted"] == 5704
    # A rider registered by the coordinator, with a participant reference.
    rider = admin.post(f"/v1/projects/{slug}/devices",
                       json={"external_id": "861234567890321", "participant": "bewoner-77"}).json()
    rows = trip_rows(0, 120, day="2024-11-12", hour=9, step_deg=0.0005)  # 6.6 km north
    assert anon.post("/v1/ingest/snuffelfiets", token=rider["token"],
                     data=device_csv(rows, imei="861234567890321"),
                     headers={"Content-Type": "text/csv"}).json()["accepted"] == 120

    def totals():
        agg = anon.get("/v1/aggregates", params={**RANGE, "project": slug}).json()
        ds = researcher.get(f"/v1/datasets/{slug}/readings").text.splitlines()
        return sum(i["count"] for i in agg["items"]), len(ds) - 1

    def in_cells():  # k = 1: every positioned published reading is in a cell
        return sum(int(line.split(",")[6]) for line in
                   anon.get(f"/v1/datasets/{slug}").text.splitlines()[1:])

    # Once the refresher has run, the rider's readings are also in the rendered dataset
    # hours (sql/017), which the erasure must take at once, not when the refresher next
    # runs: the dump below must not hold the rider's device id.
    wait_refreshed(cluster, slug)
    assert cluster.psql("SELECT count(*) FROM air_dataset_hour WHERE position("
                        f"'{rider['id']}' IN lines) > 0") != "0"
    agg_before, ds_before = totals()
    cells_before = in_cells()
    trips_before = {line.split(",")[0] for line in researcher.get(f"/v1/datasets/{slug}/readings").text.splitlines()}

    r = admin.post(f"/v1/projects/{slug}/erasures", json={"participant": "bewoner-77"})
    assert r.status_code == 200, r.text
    assert r.json() == {"devices": 1, "readings": {"air": 120, "traffic": 0, "heat": 0,
                                                   "experience": 0}}
    agg_after, ds_after = totals()
    assert 0 < agg_after < agg_before and 0 < ds_after < ds_before
    assert agg_before - agg_after == ds_before - ds_after  # the rider's published readings
    assert cells_before - in_cells() == ds_before - ds_after
    trips_after = {line.split(",")[0] for line in researcher.get(f"/v1/datasets/{slug}/readings").text.splitlines()}
    assert trips_after < trips_before
    # Nothing of the rider is left: not the device, not its trips, not its token.
    assert cluster.psql(f"SELECT count(*) FROM device WHERE id = '{rider['id']}'") == "0"
    assert cluster.psql(f"SELECT count(*) FROM trip WHERE device_id = '{rider['id']}'") == "0"
    assert cluster.psql("SELECT count(*) FROM air_dataset_hour WHERE position("
                        f"'{rider['id']}' IN lines) > 0") == "0"
    assert rider["id"].encode() not in cluster.dump()
    assert anon.get("/v1/projects/x-y/devices", token=rider["token"]).status_code == 401
    # Erasing again finds nothing.
    again = admin.post(f"/v1/projects/{slug}/erasures", json={"participant": "bewoner-77"})
    assert again.json()["devices"] == 0


def test_erasing_by_device_covers_every_family(admin, cluster):
    slug = f"erase-heat-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "heat",
                                     "licence": "CC-BY-4.0"})
    admin.post(f"/v1/ingest/heat?project={slug}",
               json=[heat_obs(f"2025-07-01T12:{m:02d}:00Z", station="tuin-9") for m in range(5)])
    r = admin.post(f"/v1/projects/{slug}/erasures", json={"external_id": "tuin-9"})
    assert r.json()["devices"] == 1 and r.json()["readings"]["heat"] == 5
    assert cluster.psql("SELECT count(*) FROM heat_observation h JOIN device d ON d.id ="
                        f" h.device_id JOIN project p ON p.id = d.project_id WHERE p.slug ="
                        f" '{slug}'") == "0"


def test_erasure_needs_exactly_one_identifier_and_the_admin(admin, anon, device, project):
    slug = project["slug"]
    for body, field in (({}, "participant"),
                        ({"participant": "a", "external_id": "b"}, "external_id"),
                        ({"participant": "a", "name": "b"}, "name")):
        r = admin.post(f"/v1/projects/{slug}/erasures", json=body)
        assert r.status_code == 422 and r.json()["field"] == field
    assert anon.post(f"/v1/projects/{slug}/erasures", json={"participant": "a"}).status_code == 401
    assert anon.post(f"/v1/projects/{slug}/erasures", json={"participant": "a"},
                     token=device["token"]).status_code == 403
    assert admin.post("/v1/projects/no-such/erasures", json={"participant": "a"}).status_code == 404
