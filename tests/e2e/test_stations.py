"""Heat stations in open data: blurred unless consented, pseudonymous, with heat-stress hours."""
import uuid

import pytest


@pytest.fixture
def heat(admin):
    slug = f"hitte-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "Hitte", "kind": "heat",
                                     "licence": "CC-BY-4.0"})
    home = admin.post(f"/v1/projects/{slug}/devices", json={
        "external_id": "tuin-thuis", "participant": "p-home", "lat": 52.0912345,
        "lon": 5.1212345}).json()
    school = admin.post(f"/v1/projects/{slug}/devices", json={
        "external_id": "school-dak", "participant": "p-school", "lat": 52.0812345,
        "lon": 5.1012345, "exact_position_consent": True}).json()
    obs = [{"station": "tuin-thuis", "time": f"2025-07-01T{h:02d}:{m:02d}:00Z",
            "temperature": 24 + h - 10, "humidity": 50} for h in range(10, 16) for m in (0, 30)]
    obs += [{"station": "school-dak", "time": "2025-07-01T12:00:00Z", "temperature": 28,
             "humidity": 60}]
    assert admin.post(f"/v1/ingest/heat?project={slug}", json=obs).json()["accepted"] == 13
    return slug, home, school


def stations(anon, slug):
    fc = anon.get("/v1/heat/stations", params={"project": slug}).json()
    return {f["properties"]["observations"]: f for f in fc["features"]}


def test_home_station_is_blurred_to_its_100m_cell(anon, heat, cluster):
    slug, home, school = heat
    by_obs = stations(anon, slug)
    blurred, exact = by_obs[12], by_obs[1]
    assert blurred["properties"]["position_blurred"] is True
    lon, lat = blurred["geometry"]["coordinates"]
    assert (lon, lat) != (5.1212345, 52.0912345)
    # The published point is the centre of the station's RD New 100 m cell.
    centre = cluster.psql(
        "SELECT round(ST_X(c)::numeric, 6) || ',' || round(ST_Y(c)::numeric, 6) FROM (SELECT"
        " ST_Transform(ST_SetSRID(ST_MakePoint(floor(ST_X(q) / 100) * 100 + 50, floor(ST_Y(q) /"
        " 100) * 100 + 50), 28992), 4326) AS c FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint("
        "5.1212345, 52.0912345), 4326), 28992) AS q) x) y")
    assert f"{lon},{lat}" == centre
    distance = float(cluster.psql(
        f"SELECT ST_Distance(ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326)::geography,"
        " ST_SetSRID(ST_MakePoint(5.1212345, 52.0912345), 4326)::geography)"))
    assert 0 < distance <= 71  # at most half a cell's diagonal
    # With consent, the exact position.
    assert exact["properties"]["position_blurred"] is False
    assert exact["geometry"]["coordinates"] == [5.101234, 52.081234] or \
        exact["geometry"]["coordinates"] == [5.1012345, 52.0812345]


def test_stations_carry_no_stored_id(anon, heat, cluster):
    slug, home, school = heat
    text = anon.get("/v1/heat/stations", params={"project": slug}).text
    for device in (home, school):
        assert device["id"] not in text
    ids = [f["properties"]["id"] for f in stations(anon, slug).values()]
    dump = cluster.dump()
    for station in ids:
        assert station.encode() not in dump
    # Stable across requests.
    assert ids == [f["properties"]["id"] for f in stations(anon, slug).values()]


def test_station_series_and_hours_per_category(anon, heat):
    slug, home, school = heat
    sid = stations(anon, slug)[12]["properties"]["id"]
    r = anon.get(f"/v1/heat/stations/{sid}", params={"from": "2025-07-01T00:00:00Z",
                                                     "to": "2025-07-02T00:00:00Z"})
    assert r.status_code == 200
    props = r.json()["properties"]
    assert [i["start"][11:13] for i in props["items"]] == ["10", "11", "12", "13", "14", "15"]
    assert all(i["count"] == 2 for i in props["items"])
    hours = props["hours_per_category"]
    assert sum(hours["heat_index"].values()) == 6 and sum(hours["wbgt"].values()) == 6
    # 24..29.5 degC at 50 %: WBGT (BoM) from about 22 to about 29.
    assert set(hours["wbgt"]) <= {"moderate", "high", "very-high"}
    assert r.json()["geometry"] == stations(anon, slug)[12]["geometry"]
    daily = anon.get(f"/v1/heat/stations/{sid}", params={
        "from": "2025-07-01T00:00:00Z", "to": "2025-07-02T00:00:00Z", "bucket": "day",
        "tz": "Europe/Amsterdam"}).json()["properties"]["items"]
    assert len(daily) == 1 and daily[0]["count"] == 12
    assert daily[0]["start"] == "2025-06-30T22:00:00Z"  # local midnight in summer (CEST)


@pytest.mark.parametrize("path,params,status,field", [
    ("/v1/heat/stations/station-0000000000000000", {}, 404, "id"),
    ("/v1/heat/stations/not-a-station", {}, 400, "id"),
    ("/v1/heat/stations/station-0000000000000000", {"bucket": "minute"}, 400, "bucket"),
    ("/v1/heat/stations/station-0000000000000000",
     {"from": "2025-07-02T00:00:00Z", "to": "2025-07-01T00:00:00Z"}, 400, "from"),
    ("/v1/heat/stations", {"project": "Not A Slug"}, 400, "project"),
])
def test_bad_station_requests(anon, path, params, status, field):
    r = anon.get(path, params=params)
    assert r.status_code == status and r.json()["field"] == field


@pytest.mark.parametrize("body,field", [
    ({"lat": 52.1}, "lon"),
    ({"lat": 48.85, "lon": 2.35}, "lat"),
    ({"lat": "52.1", "lon": 5.1}, "lat"),
    ({"exact_position_consent": "yes"}, "exact_position_consent"),
    ({"in_service_since": "2025-07-01"}, "in_service_since"),
])
def test_bad_station_registrations(admin, project, body, field):
    r = admin.post(f"/v1/projects/{project['slug']}/devices",
                   json={"external_id": "x", "participant": "p", **body})
    assert r.status_code == 422 and r.json()["field"] == field


def test_readings_before_service_are_flagged(admin, cluster):
    slug = f"hitte-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "heat", "licence": "x"})
    admin.post(f"/v1/projects/{slug}/devices", json={
        "external_id": "st", "participant": "p", "in_service_since": "2025-07-01T12:00:00Z"})
    admin.post(f"/v1/ingest/heat?project={slug}", json=[
        {"station": "st", "time": "2025-07-01T11:00:00Z", "temperature": 20, "humidity": 50},
        {"station": "st", "time": "2025-07-01T13:00:00Z", "temperature": 20, "humidity": 50}])
    flags = cluster.psql("SELECT h.quality & 128 FROM heat_observation h JOIN device d ON d.id ="
                         " h.device_id JOIN project p ON p.id = d.project_id WHERE p.slug ="
                         f" '{slug}' ORDER BY h.observed_at").split("\n")
    assert flags == ["128", "0"]
