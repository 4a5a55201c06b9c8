"""Experience (beleving) in open data: the 14 Leefplekmeter themes in /v1/quantities, their
statistics in /v1/aggregates per cell with k distinct residents, and the open dataset of an
experience project as k-anonymous cells (sql/026_experience_open.sql). Remarks never reach
open data. Checked against sums written here in SQL over the stored sheets."""
import io
import json
import subprocess
import uuid

import pytest

THEMES = ["moving_around", "public_transport", "traffic_and_parking", "streets_and_spaces",
          "natural_space", "play_and_recreation", "facilities_and_services", "work_and_economy",
          "housing", "social_contact", "identity_and_belonging", "feeling_safe",
          "care_and_maintenance", "influence_and_control"]
JULY = {"from": "2025-07-01T00:00:00Z", "to": "2025-08-01T00:00:00Z", "bucket": "month"}
SCORES = [f"score_{i}" for i in range(1, 8)]
DATASET_COLUMNS = ["period_start", "period_end", "cell_m", "cell", "latitude", "longitude",
                   "sheets", "theme", "n", "mean"] + SCORES

# RD New centres of 250 m cells (x, y) and who hands in what there, in July 2025:
# four residents in X (a1 twice), enough for X's month cell; p1 and p2 in P and q1 in Q,
# too few for either month cell, but three in the 1000 m square holding both; z alone
# (three sheets) and b1, b2 elsewhere: too few at every level.
X, P, Q, Z, B = (136875, 455875), (138125, 457125), (138625, 457625), (142125, 460125), \
    (145125, 463125)
SHEETS = [  # resident, place, day, scores
    ("a1", X, 1, {"feeling_safe": 3, "natural_space": 5, "housing": 2}),
    ("a1", X, 15, {"feeling_safe": 4, "natural_space": 5}),
    ("a2", X, 2, {"feeling_safe": 4, "natural_space": 5, "housing": 6}),
    ("a3", X, 3, {"feeling_safe": 5, "natural_space": 5}),
    ("a4", X, 4, {"feeling_safe": 7, "natural_space": 5}),
    ("p1", P, 5, {"feeling_safe": 1, "moving_around": 2}),
    ("p2", P, 6, {"feeling_safe": 2}),
    ("q1", Q, 7, {"feeling_safe": 2, "moving_around": 3}),
    ("z", Z, 8, {"feeling_safe": 6}),
    ("z", Z, 9, {"feeling_safe": 6}),
    ("z", Z, 10, {"feeling_safe": 6}),
    ("b1", B, 11, {"feeling_safe": 4}),
    ("b2", B, 12, {"feeling_safe": 4}),
]


def wgs84(cluster, x, y):
    lon, lat = cluster.psql(
        f"SELECT round(ST_X(g)::numeric, 7) || '|' || round(ST_Y(g)::numeric, 7) FROM"
        f" ST_Transform(ST_SetSRID(ST_MakePoint({x}, {y}), 28992), 4326) g").split("|")
    return float(lat), float(lon)


@pytest.fixture(scope="module")
def beleving(server, admin_token, cluster):
    """An experience project (k = 3) holding SHEETS, each with a remark; the remark's
    marker text and the slug."""
    from contract import Client
    admin = Client(server.base, admin_token)
    slug = f"beleving-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "experience",
                                            "licence": "CC-BY-4.0", "k_anonymity": 3}
                      ).status_code == 201
    marker = f"remark-{uuid.uuid4().hex}"
    body = []
    for i, (who, (x, y), day, scores) in enumerate(SHEETS):
        lat, lon = wgs84(cluster, x + i, y - i)  # a few metres apart, same cell
        body.append({"device": f"{slug}-{who}", "time": f"2025-07-{day:02d}T10:00:00Z",
                     "lat": lat, "lon": lon, "scores": scores,
                     "remark": f"{marker} {who}: onze straat, nummer {i}"})
    r = admin.post(f"/v1/ingest/experience?project={slug}", json=body)
    assert r.json()["accepted"] == len(SHEETS), r.text
    # The remarks are stored (so that their absence below means something).
    assert cluster.psql(f"SELECT count(*) FROM experience_score WHERE remark LIKE '{marker}%'") \
        == str(len(SHEETS))
    return slug, marker


def expected(cluster, slug, theme, cell_sql, join=""):
    """Per cell of the July month bucket, from the stored sheets: residents, count, mean,
    distribution of `theme`'s scores, and the project's k. `cell_sql` is the cell id over
    the sheet `s` (and `join`'s tables)."""
    out = cluster.psql(f"""
        SELECT {cell_sql} AS cell, count(DISTINCT d.participant_pseudonym), count(*),
               round(avg(s.scores[t.position]), 3),
               concat_ws(',', {", ".join(f"count(*) FILTER (WHERE s.scores[t.position] = {i})"
                                         for i in range(1, 8))}),
               min(pr.k_anonymity)
        FROM experience_score s JOIN device d ON d.id = s.device_id
        JOIN project pr ON pr.id = d.project_id JOIN experience_theme t ON t.name = '{theme}'
        {join}
        WHERE pr.slug = '{slug}' AND s.scores[t.position] IS NOT NULL
          AND s.observed_at >= '2025-07-01Z' AND s.observed_at < '2025-08-01Z'
        GROUP BY 1""")
    cells = {}
    for line in out.splitlines():
        cell, residents, n, mean, dist, k = line.split("|")
        cells[cell] = {"residents": int(residents), "count": int(n), "mean": float(mean),
                       "distribution": [int(v) for v in dist.split(",")], "k": int(k)}
    return cells


GRID = ("format('rd%s-%s-%s', {m}, floor(ST_X(ST_Transform(s.position, 28992)) / {m})::int * {m},"
        " floor(ST_Y(ST_Transform(s.position, 28992)) / {m})::int * {m})")


def test_the_themes_are_quantities(anon):
    items = anon.get("/v1/quantities").json()["items"]
    mine = [q for q in items if q["family"] == "experience"]
    assert sorted(q["name"] for q in mine) == sorted(THEMES)
    assert all(q["unit"] == "score 1..7" and q["references"] == [] for q in mine)
    assert "veiligheid" in next(q for q in mine if q["name"] == "feeling_safe")["description"]


@pytest.mark.parametrize("space,cell_sql,join", [
    ("all", "'all'", ""),
    ("grid:250", GRID.format(m=250), ""),
    ("grid:1000", GRID.format(m=1000), ""),
    ("hex:250", "format('hex250-%s-%s', hx.i, hx.j)",
     "CROSS JOIN LATERAL rd_hexagon(s.position, 250) hx"),
])
@pytest.mark.parametrize("theme", ["feeling_safe", "housing", "moving_around"])
def test_aggregates_per_cell_with_k_residents(anon, beleving, cluster, space, cell_sql, join,
                                              theme):
    slug, _ = beleving
    want = expected(cluster, slug, theme, cell_sql, join)
    r = anon.get("/v1/aggregates", params={**JULY, "quantity": theme, "project": slug,
                                           "space": space, "stat": "count,mean,min,max,p50"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "score 1..7" and body["k_anonymity"] == 3 and body["excluded"] == 0
    shown = {c for c, w in want.items() if w["residents"] >= w["k"]}
    assert {i["cell"]["id"] for i in body["items"]} == shown
    assert body["suppressed"] == len(want) - len(shown)
    for item in body["items"]:
        w = want[item["cell"]["id"]]
        assert item["start"] == JULY["from"] and "participants" not in item
        assert item["count"] == w["count"] and item["mean"] == w["mean"]
        assert item["distribution"] == w["distribution"]
        assert item["min"] == w["distribution"].index(next(v for v in w["distribution"] if v)) + 1
        assert (item["cell"]["geometry"] is None) == (space == "all")


def test_the_designed_cells(anon, beleving):
    """X's four residents make a 250 m cell; P, Q, Z and B's do not (2, 1, 1 and 2
    residents); in 1000 m squares P and Q's three residents do."""
    slug, _ = beleving
    q = {**JULY, "quantity": "feeling_safe", "project": slug}
    fine = anon.get("/v1/aggregates", params={**q, "space": "grid:250"}).json()
    assert [i["cell"]["id"] for i in fine["items"]] == ["rd250-136750-455750"]
    assert fine["suppressed"] == 4 and fine["items"][0]["count"] == 5
    assert fine["items"][0]["distribution"] == [0, 0, 1, 2, 1, 0, 1]
    coarse = anon.get("/v1/aggregates", params={**q, "space": "grid:1000"}).json()
    assert [i["cell"]["id"] for i in coarse["items"]] == ["rd1000-136000-455000",
                                                          "rd1000-138000-457000"]
    assert coarse["suppressed"] == 2
    housing = anon.get("/v1/aggregates", params={**q, "quantity": "housing",
                                                 "space": "grid:250"}).json()
    assert housing["items"] == [] and housing["suppressed"] == 1  # two residents scored it


def test_aggregates_per_area_and_formats(admin, anon, beleving, cluster, tmp_path):
    import pandas
    slug, _ = beleving
    name = f"wijken-{uuid.uuid4().hex[:6]}"
    (y0, x0), (y1, x1) = wgs84(cluster, 136000, 455000), wgs84(cluster, 139000, 458000)
    (y2, x2), (y3, x3) = wgs84(cluster, 141000, 459000), wgs84(cluster, 143000, 461000)
    ring = lambda a, b, c, d: [[[a, b], [c, b], [c, d], [a, d], [a, b]]]  # noqa: E731
    assert admin.post(f"/v1/areas/{name}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"statcode": code},
         "geometry": {"type": "Polygon", "coordinates": ring(*box)}}
        for code, box in (("WK01", (x0, y0, x1, y1)), ("WK02", (x2, y2, x3, y3)))]}
    ).status_code in (200, 201)
    q = {**JULY, "quantity": "feeling_safe", "project": slug, "space": f"area:{name}"}
    body = anon.get("/v1/aggregates", params=q).json()
    assert [i["cell"]["id"] for i in body["items"]] == ["WK01"] and body["suppressed"] == 1
    assert body["items"][0]["count"] == 8  # X's five sheets and P and Q's three
    csv = anon.get("/v1/aggregates", params={**q, "format": "csv"}).text
    frame = pandas.read_csv(io.StringIO(csv))
    assert list(frame.columns) == ["start", "cell", "count", "mean"] + SCORES
    assert list(frame["cell"]) == ["WK01"] and list(frame["count"]) == [8]
    assert [int(frame[s][0]) for s in SCORES] == body["items"][0]["distribution"]
    geo = anon.get("/v1/aggregates", params={**q, "format": "geojson"})
    path = tmp_path / "areas.geojson"
    path.write_bytes(geo.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "ERROR" not in out.stderr, out.stderr
    assert "Feature Count: 1" in out.stdout and "Polygon" in out.stdout


@pytest.mark.parametrize("space", ["segment", "station"])
def test_no_one_by_one_spaces(anon, beleving, space):
    slug, _ = beleving
    r = anon.get("/v1/aggregates", params={**JULY, "quantity": "feeling_safe", "project": slug,
                                           "space": space})
    assert r.status_code == 400 and r.json()["field"] == "space"


def dataset_rows(anon, slug, **params):
    text = anon.get(f"/v1/datasets/{slug}", params=params).text
    lines = text.splitlines()
    assert lines[0].split(",") == DATASET_COLUMNS
    return [dict(zip(DATASET_COLUMNS, line.split(","), strict=True)) for line in lines[1:]]


def test_dataset_cells(anon, beleving, cluster, tmp_path, researcher):
    import pandas
    slug, _ = beleving
    r = anon.get(f"/v1/datasets/{slug}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    frame = pandas.read_csv(io.StringIO(r.text), parse_dates=["period_start", "period_end"])
    assert list(frame.columns) == DATASET_COLUMNS
    rows = dataset_rows(anon, slug)
    got = {(r["cell"], r["theme"]): r for r in rows}
    assert sorted(got) == [("rd1000-138000-457000", "feeling_safe"),
                           ("rd250-136750-455750", "feeling_safe"),
                           ("rd250-136750-455750", "natural_space")]
    x = got[("rd250-136750-455750", "feeling_safe")]
    assert (x["sheets"], x["n"], x["mean"]) == ("5", "5", "4.600")
    assert [x[s] for s in SCORES] == ["0", "0", "1", "2", "1", "0", "1"]
    pq = got[("rd1000-138000-457000", "feeling_safe")]
    assert (pq["sheets"], pq["n"], pq["mean"]) == ("3", "3", "1.667")
    assert all(r["period_start"] == "2025-07-01T00:00:00Z" and
               r["period_end"] == "2025-08-01T00:00:00Z" for r in rows)
    # Each sheet in at most one cell: the cells hold 8 of the 13 sheets.
    sheets = {r["cell"]: int(r["sheets"]) for r in rows}
    assert sum(sheets.values()) == 8 <= len(SHEETS)
    # k checked in SQL: every published cell has >= k residents among its sheets.
    for cell, m in (("rd250-136750-455750", 250), ("rd1000-138000-457000", 1000)):
        gx, gy = (int(v) // m for v in cell.split("-")[1:])
        residents, k = cluster.psql(
            "SELECT count(DISTINCT d.participant_pseudonym) || '|' || min(pr.k_anonymity)"
            " FROM experience_score s JOIN device d ON d.id = s.device_id JOIN project pr ON"
            f" pr.id = d.project_id WHERE pr.slug = '{slug}'"
            f" AND floor(ST_X(ST_Transform(s.position, 28992)) / {m}) = {gx}"
            f" AND floor(ST_Y(ST_Transform(s.position, 28992)) / {m}) = {gy}").split("|")
        assert int(residents) >= int(k) == 3
    # The same values in NDJSON and GeoJSON; GDAL reads the polygons.
    as_text = {"parse_float": str, "parse_int": str}
    nd = [json.loads(line, **as_text) for line in
          anon.get(f"/v1/datasets/{slug}", params={"format": "ndjson"}).text.splitlines()]
    geo = anon.get(f"/v1/datasets/{slug}", params={"format": "geojson"})
    features = json.loads(geo.text, **as_text)["features"]
    for row, obj, feature in zip(rows, nd, features, strict=True):
        assert obj == row and feature["properties"] == row
        assert feature["geometry"]["type"] == "Polygon"
    path = tmp_path / "beleving.geojson"
    path.write_bytes(geo.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "ERROR" not in out.stderr, out.stderr
    assert "Feature Count: 3" in out.stdout and "Geometry: Polygon" in out.stdout
    # A range picks whole months; none outside.
    assert dataset_rows(anon, slug, **{"from": "2025-07-20T00:00:00Z",
                                       "to": "2025-07-21T00:00:00Z"}) == rows
    assert dataset_rows(anon, slug, **{"from": "2025-08-01T00:00:00Z"}) == []
    # No point-level route for experience.
    r = researcher.get(f"/v1/datasets/{slug}/readings")
    assert r.status_code == 400 and r.json()["field"] == "slug"


def test_remarks_never_reach_open_data(anon, beleving, researcher):
    slug, marker = beleving
    bodies = [anon.get(path).content for path in
              ("/v1/quantities", "/v1/projects", f"/v1/projects/{slug}")]
    for fmt in ("csv", "ndjson", "geojson"):
        bodies.append(anon.get(f"/v1/datasets/{slug}", params={"format": fmt}).content)
        bodies.append(researcher.get(f"/v1/datasets/{slug}/readings",
                                     params={"format": fmt}).content)
    for theme in THEMES:
        for space in ("all", "grid:250", "hex:100"):
            for fmt in ("json", "csv", "geojson"):
                bodies.append(anon.get("/v1/aggregates", params={
                    **JULY, "quantity": theme, "space": space, "format": fmt,
                    "stat": "count,mean,min,max,p50,p90,p98,hours"}).content)
        bodies.append(anon.get("/v1/latest", params={"quantity": theme}).content)
    assert len(bodies) > 100
    for body in bodies:
        assert marker.encode() not in body and b"onze straat" not in body


def test_bbox_selects_whole_cells(anon, beleving, cluster):
    """A box that only touches the west edge of X's 250 m cell (none of its sheets inside)
    selects the whole cell, with all its sheets, as for every family."""
    slug, _ = beleving
    x0, y0 = X[0] - 125, X[1] - 125
    (lat0, lon0), (lat1, lon1) = wgs84(cluster, x0 - 40, y0 + 10), wgs84(cluster, x0 + 20, y0 + 240)
    params = {**JULY, "quantity": "feeling_safe", "project": slug, "space": "grid:250"}
    whole = {i["cell"]["id"]: i for i in anon.get("/v1/aggregates", params=params).json()["items"]}
    boxed = anon.get("/v1/aggregates", params={**params, "bbox": f"{lon0},{lat0},{lon1},{lat1}"})
    items = boxed.json()["items"]
    assert [i["cell"]["id"] for i in items] == [f"rd250-{x0}-{y0}"], boxed.text
    assert items[0] == whole[f"rd250-{x0}-{y0}"] and items[0]["count"] == 5
