"""Open-data reads have a pool of their own with a statement timeout: a query that runs
away is stopped and answered 503 query-timeout; downloads and uploads are not limited.
A lock held from a second connection makes a statement wait as long as the test wants."""
import time
import uuid

import pytest

from cluster import Server
from contract import Client
from ingest_data import trip_rows


@pytest.fixture(scope="module")
def slow(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, query_timeout_ms=300).start()
    admin = Client(s.base, admin_token)
    slug = f"timeout-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC0-1.0"}).status_code == 201
    rows = trip_rows(0, 60, step_deg=0.0005)
    assert admin.post(f"/v1/ingest/snuffelfiets?project={slug}", json=[
        {"created_at": t, "imei": "861234567890999", "lat": la, "lon": lo, "pm_2_5": pm}
        for t, la, lo, pm in rows]).json()["accepted"] == 60
    yield s, admin, slug
    assert s.stop() == 0



def test_a_query_past_the_timeout_is_stopped(slow, cluster):
    s, admin, slug = slow
    anon = Client(s.base)
    t = cluster.locked("quantity", 3)
    try:
        start = time.monotonic()
        r = anon.get("/v1/aggregates", params={"quantity": "pm25", "project": slug})
        assert r.status_code == 503, r.text
        assert r.json()["type"] == "urn:samenmeten:problem:query-timeout"
        assert "300 ms" in r.json()["detail"]
        assert time.monotonic() - start < 2.5  # stopped, not waited out
    finally:
        t.join()
    assert anon.get("/v1/aggregates", params={"quantity": "pm25", "project": slug}
                    ).status_code == 200


def test_downloads_and_uploads_are_not_limited(slow, cluster, researcher_token):
    s, admin, slug = slow
    anon = Client(s.base)
    researcher = Client(s.base, researcher_token)
    t = cluster.locked("air_dataset_hour", 1.0)
    start = time.monotonic()
    r = researcher.get(f"/v1/datasets/{slug}/readings")
    assert r.status_code == 200 and r.text.count("\n") > 20
    assert time.monotonic() - start >= 0.9
    t.join()
    t = cluster.locked("air_day_change", 1.0)
    start = time.monotonic()
    rows = trip_rows(10, 5, hour=12, step_deg=0.0005)
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", json=[
        {"created_at": tm, "imei": "861234567890999", "lat": la, "lon": lo, "pm_2_5": pm}
        for tm, la, lo, pm in rows])
    assert r.status_code == 200 and r.json()["accepted"] == 5, r.text
    assert time.monotonic() - start >= 0.9
    t.join()
