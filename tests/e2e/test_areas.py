"""Area layers: upload, use in aggregates at once, replace, delete."""
import uuid

import pytest

from ingest_data import FIXTURES, SNUFFEL_CSV, read

RANGE = {"quantity": "pm25", "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z",
         "bucket": "day"}


def square(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def layer(*areas):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": {"type": "Polygon", "coordinates": square(*box)}} for props, box in areas]}


@pytest.fixture(scope="module")
def air(server, admin_token):
    from contract import Client
    admin = Client(server.base, admin_token)
    slug = f"areas-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                     "licence": "CC-BY-4.0", "k_anonymity": 1,
                                     "privacy_weakened": "test: every participant counts"})
    admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
               headers={"Content-Type": "text/csv"})
    return slug


def test_upload_then_aggregate_per_area(admin, anon, air, cluster):
    name = f"wijken-{uuid.uuid4().hex[:6]}"
    west, east = (5.08, 52.08, 5.11, 52.11), (5.11, 52.08, 5.14, 52.11)
    r = admin.post(f"/v1/areas/{name}", json=layer(
        ({"statcode": "WK034401", "statnaam": "West"}, west),
        ({"statcode": "WK034402", "statnaam": "Oost"}, east),
        ({"statcode": "WK034402", "statnaam": "Oost again"}, east),
        ({"statnaam": "no code"}, west)))
    assert r.status_code == 200 and (r.json()["accepted"], r.json()["duplicates"],
                                     r.json()["rejected"]) == (2, 1, 1)
    agg = anon.get("/v1/aggregates", params={**RANGE, "project": air,
                                             "space": f"area:{name}"}).json()
    cells = {(i["start"], i["cell"]["id"]): i for i in agg["items"]}
    assert {c for _, c in cells} <= {"WK034401", "WK034402"}
    for (start, code), item in cells.items():
        box = west if code == "WK034401" else east
        inside = cluster.psql(
            "SELECT count(*) FROM air_published p JOIN device d ON d.id = p.device_id JOIN project"
            f" pr ON pr.id = d.project_id WHERE pr.slug = '{air}' AND p.pm25_ugm3 IS NOT NULL AND"
            " p.quality & (SELECT sum(1 << bit)::int FROM quality_flag WHERE excluded) = 0 AND"
            f" date_trunc('day', p.recorded_at, 'UTC') = '{start}' AND"
            f" ST_Intersects(p.position, ST_MakeEnvelope({box[0]}, {box[1]}, {box[2]}, {box[3]}, 4326))")
        assert item["count"] == int(inside)
        assert item["cell"]["geometry"]["type"] == "MultiPolygon"
    # A new upload replaces the layer: one big area now.
    admin.post(f"/v1/areas/{name}", json=layer(({"code": "ALL", "name": "Alles"},
                                                 (5.0, 52.0, 5.2, 52.2))))
    agg = anon.get("/v1/aggregates", params={**RANGE, "project": air, "space": f"area:{name}"}).json()
    assert {i["cell"]["id"] for i in agg["items"]} == {"ALL"}
    # Deleted, it is unknown.
    assert admin.request("DELETE", f"/v1/areas/{name}").status_code == 204
    r = anon.get("/v1/aggregates", params={**RANGE, "space": f"area:{name}"})
    assert r.status_code == 400 and r.json()["field"] == "space"
    assert admin.request("DELETE", f"/v1/areas/{name}").status_code == 404


@pytest.mark.parametrize("body,status", [
    ({"type": "Feature"}, 400),
    (layer(({"code": "A"}, (2.35, 48.85, 2.36, 48.86))), 422),
    ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A"},
         "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.2, 52.2]]}}]}, 422),
])
def test_bad_layers(admin, body, status):
    r = admin.post(f"/v1/areas/bad-{uuid.uuid4().hex[:6]}", json=body)
    assert r.status_code == status, r.text


def test_layer_names_and_tokens(admin, anon, device):
    assert admin.post("/v1/areas/Bad%20Name", json=layer()).status_code == 400
    assert anon.post("/v1/areas/wijken", json=layer()).status_code == 401
    assert anon.post("/v1/areas/wijken", json=layer(), token=device["token"]).status_code == 403


def test_real_wijken_as_geo_json(admin, cluster):
    """The CBS wijken fixture, sent with GeoJSON's registered type (RFC 7946)."""
    name = f"wijken-{uuid.uuid4().hex[:6]}"
    body = read(f"{FIXTURES}/areas/utrecht-wijken-2014.geojson")
    r = admin.post(f"/v1/areas/{name}", data=body,
                   headers={"Content-Type": "application/geo+json"})
    assert r.status_code == 200 and r.json()["accepted"] == 10, r.text
    assert cluster.psql(f"SELECT count(*) FROM area WHERE layer = '{name}'") == "10"


def test_longest_codes_and_names_in_multibyte_characters_are_stored_whole(admin, cluster):
    """64 and 200 characters are the limits, whatever their bytes: such an area was cut
    mid-character and left out of the upload without an error."""
    name = f"mb-{uuid.uuid4().hex[:6]}"
    code, title = "\u20ac" * 64, "\u00e9\u20ac" * 100
    r = admin.post(f"/v1/areas/{name}", json=layer(({"code": code, "name": title},
                                                     (5.0, 52.0, 5.2, 52.2))))
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (1, 0)
    assert cluster.psql(f"SELECT length(code), length(name) FROM area WHERE layer = '{name}'") \
        == "64|200"


def test_positions_with_an_altitude_are_stored_in_2d(admin, cluster):
    """GeoJSON positions may carry an altitude; the table is 2D (PostGIS refused the
    row, a 500)."""
    name = f"z-{uuid.uuid4().hex[:6]}"
    ring = [[5.0, 52.0, 3.5], [5.2, 52.0, 3.5], [5.2, 52.2], [5.0, 52.2, 1, 2], [5.0, 52.0, 3.5]]
    r = admin.post(f"/v1/areas/{name}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "Z"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    assert cluster.psql(f"SELECT ST_NDims(geom), ST_NPoints(geom) FROM area WHERE layer = "
                        f"'{name}'") == "2|5"
