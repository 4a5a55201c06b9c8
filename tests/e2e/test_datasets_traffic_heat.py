"""/v1/datasets for traffic (Telraam) and heat projects: every published row, readable by
pandas and GDAL, no stored id, stations where /v1/heat/stations shows them."""
import io
import json
import subprocess
import uuid

import pytest

from ingest_data import heat_obs, telraam_report


def ogr_features(tmp_path, body):
    """The feature count and geometry type ogrinfo reports for a GeoJSON body."""
    path = tmp_path / "dataset.geojson"
    path.write_bytes(body)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "ERROR" not in out.stderr, out.stderr
    return out.stdout


@pytest.fixture
def traffic(admin):
    slug = f"telraam-ds-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "traffic",
                                            "licence": "CC-BY-4.0"}).status_code == 201
    seg = 78000000000 + uuid.uuid4().int % 999999999
    other = seg + 1
    admin.post(f"/v1/segments?project={slug}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment_id": s, "timezone": "Europe/Amsterdam"},
         "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}}
        for s in (seg, other)]})
    reports = [telraam_report(seg, "2025-06-02T07:00:00Z", instance_id=424242, car=100.5),
               telraam_report(other, "2025-06-02T07:00:00Z", instance_id=434343, car=7.0),
               telraam_report(seg, "2025-06-02T09:00:00Z", instance_id=424242, uptime=0.2,
                              car=5.0),
               telraam_report(seg, "2025-06-03T07:00:00Z", instance_id=424242, car=90.0)]
    assert admin.post(f"/v1/ingest/telraam?project={slug}",
                      json={"report": reports}).json()["accepted"] == 4
    return slug, seg, other


def test_traffic_dataset(anon, traffic, tmp_path):
    import pandas
    slug, seg, other = traffic
    r = anon.get(f"/v1/datasets/{slug}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "424242" not in r.text and "434343" not in r.text  # the cameras are not named
    frame = pandas.read_csv(io.StringIO(r.text), parse_dates=["period_start"])
    assert list(frame.columns)[:5] == ["segment_id", "period_start", "interval", "latitude",
                                       "longitude"]
    assert list(frame["segment_id"]) == [seg, other, seg, seg]  # time, then segment
    assert list(frame["car"]) == [100.5, 7.0, 5.0, 90.0]
    assert frame["period_start"].is_monotonic_increasing
    assert list(frame["flags"].fillna("")) == ["", "", "uptime_low", ""]
    # The segment's point lies on its line.
    assert frame["latitude"].between(52.1, 52.11).all()
    assert frame["longitude"].between(5.1, 5.11).all()
    rows = [json.loads(line) for line in
            anon.get(f"/v1/datasets/{slug}", params={"format": "ndjson"}).text.splitlines()]
    assert [row["car"] for row in rows] == [100.5, 7.0, 5.0, 90.0]
    assert rows[0]["interval"] == "hourly" and rows[0]["flags"] is None
    geo = anon.get(f"/v1/datasets/{slug}", params={"format": "geojson"})
    assert geo.headers["Content-Type"] == "application/geo+json"
    info = ogr_features(tmp_path, geo.content)
    assert "Feature Count: 4" in info and "Geometry: Point" in info
    day = anon.get(f"/v1/datasets/{slug}", params={"from": "2025-06-03T00:00:00Z"}).text
    assert day.count("\n") == 2  # the header and one report


@pytest.fixture
def heat(admin):
    slug = f"hitte-ds-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "Hitte", "kind": "heat",
                                            "licence": "CC-BY-4.0"}).status_code == 201
    home_id, school_id = f"tuin-{uuid.uuid4().hex[:6]}", f"school-{uuid.uuid4().hex[:6]}"
    devices = [admin.post(f"/v1/projects/{slug}/devices", json={
                   "external_id": home_id, "participant": "p-home", "lat": 52.0912345,
                   "lon": 5.1212345}).json(),
               admin.post(f"/v1/projects/{slug}/devices", json={
                   "external_id": school_id, "participant": "p-school", "lat": 52.0812345,
                   "lon": 5.1012345, "exact_position_consent": True}).json()]
    devices[0]["external_id"], devices[1]["external_id"] = home_id, school_id
    obs = [dict(heat_obs(f"2025-07-01T{h:02d}:00:00Z", temperature=20.0 + h, humidity=55.5),
                station=home_id) for h in range(10, 14)]
    obs += [dict(heat_obs("2025-07-01T12:00:00Z", temperature=28.25, globe_temperature=35.5,
                          globe_diameter=150, wind_speed=2.5), station=school_id)]
    assert admin.post(f"/v1/ingest/heat?project={slug}", json=obs).json()["accepted"] == 5
    return slug, devices


def test_heat_dataset(anon, heat, tmp_path):
    import pandas
    slug, devices = heat
    r = anon.get(f"/v1/datasets/{slug}")
    assert r.status_code == 200
    for d in devices:
        assert d["id"] not in r.text and d["external_id"] not in r.text
    frame = pandas.read_csv(io.StringIO(r.text), parse_dates=["observed_at"])
    assert len(frame) == 5 and frame["observed_at"].is_monotonic_increasing
    assert {"wbgt_c", "wbgt_category", "heat_index_c", "humidex", "flags"} <= set(frame.columns)
    # Stations carry the ids and positions /v1/heat/stations shows.
    fc = anon.get("/v1/heat/stations", params={"project": slug}).json()
    shown = {f["properties"]["id"]: f for f in fc["features"]}
    assert set(frame["station"]) == set(shown)
    for _, row in frame.iterrows():
        station = shown[row["station"]]
        # Both round to 6 decimals, one from binary, one from decimal: 1e-6 apart at most.
        assert [row["longitude"], row["latitude"]] == pytest.approx(
            station["geometry"]["coordinates"], abs=1.01e-6)
        assert row["position_blurred"] == station["properties"]["position_blurred"]
    home = frame[frame["position_blurred"]]
    assert len(home) == 4 and (home["latitude"] != 52.0912345).all()
    # At 12:00 both stations report: they come in station order.
    noon = frame[frame["observed_at"] == "2025-07-01T12:00:00Z"]
    assert list(noon["station"]) == sorted(noon["station"])
    rows = [json.loads(line) for line in
            anon.get(f"/v1/datasets/{slug}", params={"format": "ndjson"}).text.splitlines()]
    assert len(rows) == 5 and all(isinstance(row["position_blurred"], bool) for row in rows)
    assert [row["temperature_c"] for row in rows if not row["position_blurred"]] == [28.25]
    geo = anon.get(f"/v1/datasets/{slug}", params={"format": "geojson"})
    info = ogr_features(tmp_path, geo.content)
    assert "Feature Count: 5" in info and "Geometry: Point" in info


def test_experience_project_without_sheets_has_an_empty_dataset(admin, anon):
    slug = f"beleving-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "experience",
                                            "licence": "CC-BY-4.0"}).status_code == 201
    r = anon.get(f"/v1/datasets/{slug}")
    assert r.status_code == 200 and r.text.splitlines()[0].startswith("period_start,")
    assert len(r.text.splitlines()) == 1
