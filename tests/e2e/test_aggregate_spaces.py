"""/v1/aggregates beyond air on squares: hexagons on RD New, Telraam road segments and
heat-stress stations one by one, and traffic and heat quantities in the other spaces."""
import subprocess
import uuid

import pytest

from ingest_data import fixture_air_project, published, telraam_report

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
