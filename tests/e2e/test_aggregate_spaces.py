"""/v1/aggregates beyond air on squares: hexagons on RD New, Telraam road segments and
heat-stress stations one by one, and traffic and heat quantities in the other spaces."""
import datetime as dt
import subprocess
import uuid

import pytest

from ingest_data import device_csv, fixture_air_project, published, ride, telraam_report

AIR_RANGE = {"quantity": "pm25", "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z"}


@pytest.fixture(scope="module")
def air(server, admin_token):
    return fixture_air_project(server, admin_token, "hex", k_anonymity=1,
                               privacy_weakened="test: every participant counts")


def test_every_point_falls_in_the_hexagon_it_is_counted_in(server, cluster):
    # rd_hexagon() against PostGIS's own hexagons, for points all over the Netherlands.
    inside = cluster.psql(
        "WITH pts AS (SELECT ST_SetSRID(ST_MakePoint(3.4 + random() * 3.7, 50.8 + random() * 2.6),"
        " 4326) AS p, (ARRAY[100, 250, 500, 1000])[1 + floor(random() * 4)::int] AS s"
        " FROM generate_series(1, 5000))"
        " SELECT count(*) FILTER (WHERE ST_Intersects(ST_Hexagon(s, h.i, h.j,"
        " ST_SetSRID(ST_MakePoint(0, 0), 28992)), ST_Transform(p, 28992))) FROM pts"
        " CROSS JOIN LATERAL rd_hexagon(p, s) h")
    assert inside == "5000"


@pytest.mark.parametrize("size", [100, 250, 1000])
def test_hexagons(anon, air, cluster, size, tmp_path):
    params = {**AIR_RANGE, "project": air, "space": f"hex:{size}", "bucket": "day",
              "limit": 10000}
    body = anon.get("/v1/aggregates", params=params).json()
    assert body["items"]
    positioned = published(cluster, air, "p.position IS NOT NULL")
    # k = 1: every positioned reading is in exactly one hexagon.
    assert sum(i["count"] for i in body["items"]) == positioned
    for item in body["items"][:25]:
        prefix, col, row = item["cell"]["id"].rsplit("-", 2)
        assert prefix == f"hex{size}"
        ring = item["cell"]["geometry"]["coordinates"][0]
        assert item["cell"]["geometry"]["type"] == "Polygon" and len(ring) == 7
        # The readings inside the drawn hexagon are the ones counted.
        inside = published(
            cluster, air, f"date_trunc('day', p.recorded_at, 'UTC') = '{item['start']}' AND"
            f" ST_Intersects(ST_Hexagon({size}, {col}, {row}, ST_SetSRID(ST_MakePoint(0, 0),"
            " 28992)), ST_Transform(p.position, 28992))")
        assert item["count"] == inside, item
    geojson = anon.get("/v1/aggregates", params={**params, "format": "geojson"})
    path = tmp_path / "hex.geojson"
    path.write_bytes(geojson.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "Geometry: Polygon" in out.stdout, out.stdout + out.stderr


TRAFFIC_RANGE = {"from": "2025-06-02T00:00:00Z", "to": "2025-06-03T00:00:00Z"}


@pytest.fixture
def traffic(admin):
    """Two segments of one project with k = 3, each with its own reports."""
    slug = f"telraam-agg-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "traffic",
                                     "licence": "CC-BY-4.0", "k_anonymity": 3})
    segs = [79000000000 + uuid.uuid4().int % 999999999 for _ in range(2)]
    admin.post(f"/v1/segments?project={slug}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment_id": seg, "timezone": "Europe/Amsterdam"},
         "geometry": {"type": "LineString",
                      "coordinates": [[5.1 + n / 100, 52.1], [5.11 + n / 100, 52.11]]}}
        for n, seg in enumerate(segs)]})
    reports = [telraam_report(segs[0], f"2025-06-02T{h:02d}:00:00Z", car=float(10 * h))
               for h in (7, 8, 9)]
    reports += [telraam_report(segs[0], "2025-06-02T10:00:00Z", car=999.0, uptime=0.2)]
    reports += [telraam_report(segs[1], "2025-06-02T07:00:00Z", car=5.0)]
    assert admin.post(f"/v1/ingest/telraam?project={slug}",
                      json={"report": reports}).json()["accepted"] == 5
    return slug, segs


def test_traffic_per_segment(anon, traffic):
    slug, segs = traffic
    body = anon.get("/v1/aggregates", params={**TRAFFIC_RANGE, "quantity": "car",
                                              "project": slug, "space": "segment",
                                              "bucket": "day", "stat": "count,mean,max"}).json()
    items = {i["cell"]["id"]: i for i in body["items"]}
    # Segments appear one by one, whatever k: their owners chose to publish them.
    assert set(items) == {f"segment-{s}" for s in segs} and body["suppressed"] == 0
    first = items[f"segment-{segs[0]}"]
    assert (first["count"], first["mean"], first["max"]) == (3, 80.0, 90.0)
    assert body["excluded"] == 1  # the report with uptime 0.2
    assert first["cell"]["geometry"]["type"] == "MultiLineString"
    assert items[f"segment-{segs[1]}"]["count"] == 1


def test_traffic_elsewhere_keeps_k(anon, traffic):
    slug, segs = traffic
    # Both segments in one cell of the whole region: 2 cameras' owners, fewer than k = 3.
    body = anon.get("/v1/aggregates", params={**TRAFFIC_RANGE, "quantity": "car",
                                              "project": slug, "bucket": "day"}).json()
    assert body["items"] == [] and body["suppressed"] == 1


@pytest.fixture
def heat(admin):
    slug = f"hitte-agg-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "Hitte", "kind": "heat",
                                     "licence": "CC-BY-4.0"})
    admin.post(f"/v1/projects/{slug}/devices", json={
        "external_id": "tuin-7", "participant": "p-7", "lat": 52.0912345, "lon": 5.1212345})
    obs = [{"station": "tuin-7", "time": f"2025-07-01T{h:02d}:00:00Z", "temperature": 20.0 + h,
            "humidity": 50} for h in range(10, 16)]
    assert admin.post(f"/v1/ingest/heat?project={slug}", json=obs).json()["accepted"] == 6
    return slug


def test_heat_per_station(anon, heat):
    params = {"quantity": "air_temperature", "project": heat, "space": "station",
              "from": "2025-07-01T00:00:00Z", "to": "2025-07-02T00:00:00Z", "bucket": "day",
              "stat": "count,min,max"}
    body = anon.get("/v1/aggregates", params=params).json()
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert (item["count"], item["min"], item["max"]) == (6, 30.0, 35.0)
    # The station's public id and blurred position, as /v1/heat/stations shows them.
    station = anon.get("/v1/heat/stations", params={"project": heat}).json()["features"][0]
    assert item["cell"]["id"] == station["properties"]["id"]
    assert item["cell"]["geometry"]["coordinates"] == pytest.approx(
        station["geometry"]["coordinates"], abs=1e-6)
    # The answer is the same on every request.
    assert anon.get("/v1/aggregates", params=params).json() == body


@pytest.fixture(scope="module")
def same_place(server, admin_token, cluster):
    """An air reading mid-ride and an experience sheet at its very position and second, each
    in a project of its own with k = 1; an area layer around them. The query parameters that
    select that second, the two slugs and the layer."""
    from contract import Client
    admin = Client(server.base, admin_token)
    tag = uuid.uuid4().hex[:8]
    air, sheets, layer = f"same-air-{tag}", f"same-exp-{tag}", f"same-{tag}"
    for slug, kind in ((air, "air"), (sheets, "experience")):
        assert admin.post("/v1/projects", json={
            "slug": slug, "name": "x", "kind": kind, "licence": "CC-BY-4.0", "k_anonymity": 1,
            "privacy_weakened": "test: one reading, one sheet"}).status_code == 201
    rows = ride(dt.datetime(2025, 5, 6, 8, 0, tzinfo=dt.timezone.utc), 60)
    assert admin.post(f"/v1/ingest/snuffelfiets?project={air}",
                      data=device_csv(rows, imei=f"86{uuid.uuid4().int % 10**13:013d}"),
                      headers={"Content-Type": "text/csv"}).json()["accepted"] == len(rows)
    # The valid published reading nearest the middle of the ride (its ends are hidden).
    t, lon, lat = cluster.psql(
        "SELECT to_char(p.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        " || '|' || ST_X(p.position) || '|' || ST_Y(p.position) FROM air_published p"
        " JOIN device d ON d.id = p.device_id JOIN project pr ON pr.id = d.project_id"
        f" WHERE pr.slug = '{air}' AND p.position IS NOT NULL AND p.pm25_ugm3 IS NOT NULL"
        " AND p.quality & (SELECT sum(1 << bit)::int FROM quality_flag WHERE excluded) = 0"
        " ORDER BY abs(extract(epoch FROM p.recorded_at - timestamptz '2025-05-06T08:30:00Z'))"
        " LIMIT 1"
    ).split("|")
    assert admin.post(f"/v1/ingest/experience?project={sheets}", json=[{
        "device": f"{sheets}-r1", "time": t, "lat": float(lat), "lon": float(lon),
        "scores": {"feeling_safe": 5}}]).json()["accepted"] == 1
    # The same point, to the bit.
    assert cluster.psql(
        "SELECT ST_Equals(s.position, p.position) FROM experience_score s"
        " JOIN device ds ON ds.id = s.device_id JOIN project ps ON ps.id = ds.project_id,"
        " air_published p JOIN device d ON d.id = p.device_id JOIN project pr ON pr.id ="
        f" d.project_id WHERE ps.slug = '{sheets}' AND pr.slug = '{air}'"
        f" AND p.recorded_at = '{t}'") == "t"
    x, y = float(lon), float(lat)
    assert admin.post(f"/v1/areas/{layer}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "PLEK"}, "geometry": {
            "type": "Polygon", "coordinates": [[[x - 0.002, y - 0.002], [x + 0.002, y - 0.002],
                                                [x + 0.002, y + 0.002], [x - 0.002, y + 0.002],
                                                [x - 0.002, y - 0.002]]]}}]}).status_code == 200
    second = dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(seconds=1)
    return ({"from": t, "to": second.strftime("%Y-%m-%dT%H:%M:%SZ"), "bucket": "hour"},
            air, sheets, layer)


@pytest.mark.parametrize("space", ["grid:250", "hex:250", "hex:1000", "area"])
def test_every_family_names_and_draws_a_place_alike(anon, same_place, space):
    """A cell is the same cell in every family: an air reading and an experience sheet at one
    point are counted in cells of the same id and geometry (aggregate.c and
    experience_aggregate.c take both from agg_space.c)."""
    when, air, sheets, layer = same_place
    space = f"area:{layer}" if space == "area" else space
    cells = {}
    for quantity, project in (("pm25", air), ("feeling_safe", sheets)):
        params = {**when, "quantity": quantity, "project": project, "space": space}
        items = anon.get("/v1/aggregates", params=params).json()["items"]
        assert [i["count"] for i in items] == [1], (quantity, items)
        features = anon.get("/v1/aggregates",
                            params={**params, "format": "geojson"}).json()["features"]
        assert [f["properties"]["cell"] for f in features] == [items[0]["cell"]["id"]]
        assert features[0]["geometry"] == items[0]["cell"]["geometry"]
        csv = anon.get("/v1/aggregates", params={**params, "format": "csv"}).text
        assert csv.splitlines()[1].split(",")[1] == items[0]["cell"]["id"]
        cells[quantity] = items[0]["cell"]
    assert cells["pm25"] == cells["feeling_safe"]
    assert cells["pm25"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    if space.startswith("area:"):
        assert cells["pm25"]["id"] == "PLEK"
    else:
        assert cells["pm25"]["id"].startswith(space.replace(":", "").replace("grid", "rd"))
