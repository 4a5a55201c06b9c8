"""/v1/latest, /v1/coverage and /v1/exceedances: views on the same published readings."""
import datetime
import uuid

import pytest

from ingest_data import SNUFFEL_CSV, device_csv, read, trip_rows

RANGE = {"from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z"}


@pytest.fixture(scope="module")
def air(server, admin_token):
    from contract import Client
    admin = Client(server.base, admin_token)
    slug = f"views-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                     "licence": "CC-BY-4.0", "k_anonymity": 3})
    admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
               headers={"Content-Type": "text/csv"})
    return slug


def test_coverage_per_cell(anon, air):
    cov = anon.get("/v1/coverage", params={**RANGE, "project": air, "space": "grid:1000",
                                           "limit": 10000}).json()
    agg = anon.get("/v1/aggregates", params={**RANGE, "project": air, "space": "grid:1000",
                                             "quantity": "temperature", "bucket": "day",
                                             "limit": 10000}).json()
    assert cov["items"] and all(i["start"] == RANGE["from"] for i in cov["items"])
    assert all(i["participants_at_least"] >= 3 and 1 <= i["hours"] <= 48 for i in cov["items"])
    # Every cell the daily aggregates show is covered, with at least their readings.
    covered = {i["cell"]["id"]: i["count"] for i in cov["items"]}
    for item in agg["items"]:
        assert covered[item["cell"]["id"]] >= item["count"]


def test_exceedances_of_the_who_24h_guideline(anon, air):
    r = anon.get("/v1/exceedances", params={**RANGE, "project": air, "quantity": "pm25",
                                            "reference": "who2021-24h"})
    body = r.json()
    assert body["value"] == 15 and body["reference"] == "who2021-24h"
    daily = anon.get("/v1/aggregates", params={**RANGE, "project": air, "quantity": "pm25",
                                               "bucket": "day", "stat": "mean"}).json()["items"]
    item = body["items"][0]
    assert item["cell"]["id"] == "all"
    assert item["periods"] == len(daily)
    assert item["above"] == sum(d["mean"] > 15 for d in daily)
    assert item["worst_mean"] == max(d["mean"] for d in daily)
    per_cell = anon.get("/v1/exceedances", params={**RANGE, "project": air, "quantity": "pm10",
                                                   "reference": "who2021-24h",
                                                   "space": "grid:1000"}).json()
    assert per_cell["items"] and all(i["periods"] >= i["above"] for i in per_cell["items"])


@pytest.mark.parametrize("params,field", [
    ({"quantity": "pm25"}, "reference"),
    ({"quantity": "pm25", "reference": "who2005"}, "reference"),
    ({"quantity": "pm25", "reference": "who2021-annual"}, "reference"),
    ({"quantity": "temperature", "reference": "who2021-24h"}, "reference"),
])
def test_bad_exceedance_requests(anon, params, field):
    r = anon.get("/v1/exceedances", params=params)
    assert r.status_code == 400 and r.json()["field"] == field


def test_latest_is_the_last_complete_hour(admin, anon):
    slug = f"live-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                     "licence": "CC-BY-4.0", "k_anonymity": 1,
                                     "privacy_weakened": "test: every participant counts"})
    now = datetime.datetime.now(datetime.timezone.utc)
    last = (now - datetime.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    # A 6 km ride during the last complete hour, and one still going on in this hour.
    done = trip_rows(5, 120, day=last.strftime("%Y-%m-%d"), hour=last.hour, step_deg=0.0005)
    admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
               data=device_csv(done, imei="861234567899001"), headers={"Content-Type": "text/csv"})
    r = anon.get("/v1/latest", params={"quantity": "pm25", "project": slug})
    body = r.json()
    assert body["from"] == last.strftime("%Y-%m-%dT%H:00:00Z")
    assert body["to"] == (last + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")
    assert len(body["items"]) == 1 and 0 < body["items"][0]["count"] < 120  # ends hidden
    r = anon.get("/v1/latest", params={"quantity": "pm25", "from": "2024-11-11T00:00:00Z"})
    assert r.status_code == 400 and r.json()["field"] == "from"
