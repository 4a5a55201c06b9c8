"""/v1/aggregates on the real Snuffelfiets fixture: statistics, privacy (k and trip ends),
formats that pandas and GDAL read, caching and bad input."""
import io
import json
import subprocess

import pytest

from ingest_data import fixture_air_project, published

RANGE = {"quantity": "pm25", "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z"}


@pytest.fixture(scope="module")
def project(server, admin_token):
    """The fixture in a project of its own: 10 bikes, each its own participant, k = 3."""
    return fixture_air_project(server, admin_token, "agg", k_anonymity=3, trim_min_m=200)


def test_daily_statistics_for_the_whole_region(anon, project, cluster):
    r = anon.get("/v1/aggregates", params={**RANGE, "project": project, "bucket": "day",
                                           "stat": "count,mean,min,max,p50,p90,p98"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "ug/m3" and body["k_anonymity"] == 3 and body["next"] is None
    days = {i["start"]: i for i in body["items"]}
    assert set(days) == {"2024-11-11T00:00:00Z", "2024-11-12T00:00:00Z"}
    for item in days.values():
        assert item["cell"] == {"id": "all", "geometry": None}
        assert item["min"] <= item["p50"] <= item["p90"] <= item["p98"] <= item["max"]
        assert item["min"] <= item["mean"] <= item["max"]
        assert item["participants_at_least"] >= 3
    # Counts are exactly the published, unflagged readings: trip ends are not in them.
    assert sum(i["count"] for i in days.values()) == published(cluster, project)
    raw = int(cluster.psql("SELECT count(*) FROM air_reading a JOIN device d ON d.id = a.device_id"
                           f" JOIN project p ON p.id = d.project_id WHERE p.slug = '{project}'"))
    assert published(cluster, project) < raw
    assert body["excluded"] > 0  # flagged readings (PM sensor warming up, stuck) left out


def test_small_cells_are_suppressed_but_count_in_coarser_ones(anon, project, cluster):
    whole = anon.get("/v1/aggregates", params={**RANGE, "project": project, "bucket": "day"}).json()
    fine = anon.get("/v1/aggregates", params={**RANGE, "project": project, "bucket": "day",
                                              "space": "grid:100", "limit": 10000}).json()
    assert fine["suppressed"] > 0
    assert all(i["participants_at_least"] >= 3 for i in fine["items"])
    total_whole = sum(i["count"] for i in whole["items"])
    total_fine = sum(i["count"] for i in fine["items"])
    # Readings of suppressed 100 m cells are missing from the fine answer, not the coarse one.
    assert total_fine < total_whole
    for item in fine["items"]:
        x, y = (int(v) for v in item["cell"]["id"].split("-")[1:])
        assert x % 100 == 0 and y % 100 == 0
        # Each published cell's count is that of published readings inside it.
        inside = published(cluster, project,
                           f"p.position IS NOT NULL AND date_trunc('day', p.recorded_at, 'UTC') ="
                           f" '{item['start']}' AND floor(ST_X(ST_Transform(p.position, 28992)) /"
                           f" 100) * 100 = {x} AND floor(ST_Y(ST_Transform(p.position, 28992)) /"
                           f" 100) * 100 = {y}")
        assert item["count"] == inside


def test_a_stricter_k_suppresses_more(anon, project):
    # Over all air projects the largest k applies; with k = 3 for this project alone,
    # a 100 m cell with 1 or 2 riders never appears.
    r = anon.get("/v1/aggregates", params={**RANGE, "project": project, "space": "grid:100",
                                           "bucket": "15min", "limit": 10000}).json()
    assert all(i["participants_at_least"] >= 3 for i in r["items"])
    assert r["suppressed"] > 0


def test_paging_with_next_links(anon, project):
    params = {**RANGE, "project": project, "space": "grid:250", "bucket": "hour", "limit": 3}
    first = anon.get("/v1/aggregates", params=params)
    body = first.json()
    assert len(body["items"]) == 3 and body["next"]
    assert "rel=\"next\"" in first.headers["Link"]
    seen = [(i["start"], i["cell"]["id"]) for i in body["items"]]
    url = body["next"]
    while url:
        page = anon.get(url).json()
        seen += [(i["start"], i["cell"]["id"]) for i in page["items"]]
        url = page["next"]
    everything = anon.get("/v1/aggregates", params={**params, "limit": 10000}).json()["items"]
    assert seen == [(i["start"], i["cell"]["id"]) for i in everything]


def test_csv_reads_into_pandas(anon, project):
    import pandas
    r = anon.get("/v1/aggregates", params={**RANGE, "project": project, "space": "grid:500",
                                           "stat": "mean,p90", "format": "csv", "limit": 10000})
    assert r.headers["Content-Type"].startswith("text/csv")
    frame = pandas.read_csv(io.StringIO(r.text), parse_dates=["start"])
    assert list(frame.columns) == ["start", "cell", "count", "participants_at_least", "mean", "p90"]
    assert len(frame) > 0 and (frame["participants_at_least"] >= 3).all()
    assert str(frame["start"].dt.tz) == "UTC"
    # The Accept header chooses CSV too.
    r2 = anon.get("/v1/aggregates", params={**RANGE, "project": project, "space": "grid:500",
                                            "stat": "mean,p90", "limit": 10000},
                  headers={"Accept": "text/csv"})
    assert r2.text == r.text


def test_geojson_reads_into_gdal(anon, project, tmp_path):
    r = anon.get("/v1/aggregates", params={**RANGE, "project": project, "space": "grid:1000",
                                           "format": "geojson"})
    assert r.headers["Content-Type"] == "application/geo+json"
    path = tmp_path / "cells.geojson"
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ERROR" not in out.stderr and "Warning" not in out.stderr
    assert f"Feature Count: {len(r.json()['features'])}" in out.stdout
    assert "Geometry: Polygon" in out.stdout
    assert "participants_at_least: Integer" in out.stdout


def test_etag_and_cache_control(anon, project):
    params = {**RANGE, "project": project, "bucket": "day"}
    r = anon.get("/v1/aggregates", params=params)
    assert r.headers["Cache-Control"].startswith("public")
    again = anon.get("/v1/aggregates", params=params, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_amsterdam_days(anon, project, cluster):
    ams = anon.get("/v1/aggregates", params={**RANGE, "project": project, "bucket": "day",
                                             "tz": "Europe/Amsterdam"}).json()
    days = {i["start"]: i["count"] for i in ams["items"]}
    # Local midnight in November (CET) is 23:00 UTC the day before.
    assert "2024-11-11T23:00:00Z" in days
    assert days["2024-11-11T23:00:00Z"] == published(
        cluster, project, "p.recorded_at >= '2024-11-11T23:00:00Z' AND"
                          " p.recorded_at < '2024-11-12T23:00:00Z'")


def test_bbox_and_quality_all(anon, project):
    base = {**RANGE, "project": project, "bucket": "day"}
    boxed = {**base, "space": "grid:1000"}
    inside = anon.get("/v1/aggregates", params={**boxed, "bbox": "5.05,52.05,5.20,52.15"}).json()
    empty = anon.get("/v1/aggregates", params={**boxed, "bbox": "6.5,53.0,6.6,53.1"}).json()
    assert inside["items"] and empty["items"] == []
    valid = anon.get("/v1/aggregates", params=base).json()
    everything = anon.get("/v1/aggregates", params={**base, "quality": "all"}).json()
    assert everything["excluded"] == 0
    assert (sum(i["count"] for i in everything["items"]) ==
            sum(i["count"] for i in valid["items"]) + valid["excluded"])


@pytest.mark.parametrize("space", ["grid:250", "grid:1000", "hex:250"])
def test_bbox_selects_whole_cells(anon, project, space):
    """Two overlapping boxes give the same figures for every cell they share: a cell is in
    when it meets the box, with all its readings (cutting cells would publish differences
    of sub-cell regions that k never checked)."""
    base = {**RANGE, "project": project, "bucket": "day", "space": space,
            "stats": "count,mean,min,max", "limit": 10000}
    whole = {(i["start"], i["cell"]["id"]): i
             for i in anon.get("/v1/aggregates", params=base).json()["items"]}
    assert len(whole) > 4
    # Boxes whose edges cut through the fixture's cells, overlapping in the middle.
    west = anon.get("/v1/aggregates", params={**base, "bbox": "5.00,52.00,5.1234,52.2"}).json()
    east = anon.get("/v1/aggregates", params={**base, "bbox": "5.1011,52.00,5.30,52.2"}).json()
    w = {(i["start"], i["cell"]["id"]): i for i in west["items"]}
    e = {(i["start"], i["cell"]["id"]): i for i in east["items"]}
    shared = w.keys() & e.keys()
    assert shared, "the boxes share no cell: move their edges"
    for key in shared:
        assert w[key] == e[key] == whole[key], key
    for key in w.keys() | e.keys():
        assert (w.get(key) or e.get(key)) == whole[key], key


def test_bbox_needs_cells(anon, project):
    r = anon.get("/v1/aggregates", params={**RANGE, "project": project, "quantity": "pm25",
                                           "bbox": "5.05,52.05,5.20,52.15"})
    assert r.status_code == 400 and r.json()["field"] == "bbox"


@pytest.mark.parametrize("params,field", [
    ({"quantity": "radon"}, "quantity"),
    ({}, "quantity"),
    ({"quantity": "no-such-quantity"}, "quantity"),
    ({"quantity": "pm25", "space": "hex:300"}, "space"),
    ({"quantity": "pm25", "space": "segment"}, "space"),
    ({"quantity": "car", "space": "station"}, "space"),
    ({"quantity": "wbgt", "space": "segment"}, "space"),
    ({"quantity": "pm25", "from": "2024-11-13T00:00:00Z", "to": "2024-11-11T00:00:00Z"}, "from"),
    ({"quantity": "pm25", "from": "2020-01-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}, "to"),
    ({"quantity": "pm25", "from": "2024-11-11"}, "from"),
    ({"quantity": "pm25", "bucket": "year"}, "bucket"),
    ({"quantity": "pm25", "space": "grid:123"}, "space"),
    ({"quantity": "pm25", "space": "area:wijken;drop"}, "space"),
    ({"quantity": "pm25", "stat": "mean,median"}, "stat"),
    ({"quantity": "pm25", "bbox": "5.2,52.0,5.1,52.1"}, "bbox"),
    ({"quantity": "pm25", "bbox": "5.1,52.0,5.2"}, "bbox"),
    ({"quantity": "pm25", "bbox": "a,b,c,d"}, "bbox"),
    ({"quantity": "pm25", "quality": "best"}, "quality"),
    ({"quantity": "pm25", "format": "xlsx"}, "format"),
    ({"quantity": "pm25", "limit": "0"}, "limit"),
    ({"quantity": "pm25", "tz": "Mars/Olympus"}, "tz"),
    ({"quantity": "pm25", "project": "Bad Slug"}, "project"),
])
def test_bad_parameters_are_400_naming_them(anon, params, field):
    r = anon.get("/v1/aggregates", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


def test_unknown_project_is_404(anon):
    r = anon.get("/v1/aggregates", params={"quantity": "pm25", "project": "no-such-project"})
    assert r.status_code == 404


def test_quantities_with_who_references(anon):
    r = anon.get("/v1/quantities")
    items = {q["name"]: q for q in r.json()["items"]}
    refs = {(x["name"], x["value"]) for x in items["pm25"]["references"]}
    assert {("who2021-24h", 15), ("who2021-annual", 5)} <= refs
    assert {("who2021-24h", 45), ("who2021-annual", 15)} <= {
        (x["name"], x["value"]) for x in items["pm10"]["references"]}
    assert {("who2021-24h", 25), ("who2021-annual", 10)} <= {
        (x["name"], x["value"]) for x in items["no2"]["references"]}
    assert items["wbgt"]["family"] == "heat" and items["wbgt"]["references"]
    assert json.loads(r.text) == r.json()


# Every open endpoint with a time range, and the other parameters it needs.
TIMED = [("/v1/aggregates", {"quantity": "pm25"}),
         ("/v1/coverage", {}),
         ("/v1/exceedances", {"quantity": "pm25", "reference": "who2021-24h"}),
         ("/v1/traffic/segments", {}),
         ("/v1/traffic/segments/1", {}),
         ("/v1/heat/stations/station-0123456789abcdef", {}),
         ("/v1/datasets/{project}", {})]


@pytest.mark.parametrize("path,extra", TIMED)
@pytest.mark.parametrize("times,field", [
    ({"from": "0000-01-01T00:00:00Z", "to": "0000-01-02T00:00:00Z"}, "from"),
    ({"from": "1969-12-31T00:00:00Z", "to": "1970-01-02T00:00:00Z"}, "from"),
    ({"from": "1970-01-01T00:30:00+01:00", "to": "1970-01-02T00:00:00Z"}, "from"),
    ({"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T23:59:59-23:00"}, "to"),
])
def test_times_outside_1970_to_9999_are_400(anon, project, path, extra, times, field):
    """Seen: from=0000-01-01T00:00:00Z answered 500 (PostgreSQL has no year 0)."""
    r = anon.get(path.format(project=project), params={**extra, **times})
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field
    assert "1970" in r.json()["detail"]


def test_exceedance_range_is_capped_for_the_bucket_it_uses(anon, project):
    """The range cap was checked against the caller's bucket (day: 3660 days) before the
    reference forced hourly buckets (366 days at most)."""
    r = anon.get("/v1/exceedances", params={"quantity": "heat_index", "reference": "nws-caution",
                                            "bucket": "day", "from": "2020-01-01T00:00:00Z",
                                            "to": "2024-12-01T00:00:00Z"})
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "to" and "366" in r.json()["detail"]
    ok = anon.get("/v1/exceedances", params={"quantity": "pm25", "reference": "who2021-24h",
                                             "from": "2020-01-01T00:00:00Z",
                                             "to": "2024-12-01T00:00:00Z", "project": project})
    assert ok.status_code == 200, ok.text
