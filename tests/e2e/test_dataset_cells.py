"""/v1/datasets/{slug} of an air project: k-anonymous cells (sql/025_air_cell_dataset.sql),
never points. Checked against the readings in SQL written here, apart from the server's
rollup SQL: every row a cell of >= k participants (k read from the project), every
reading in at most one row, the values the readings and /v1/aggregates give; the same
values in CSV, NDJSON and GeoJSON; pandas and GDAL read them."""
import io
import json
import math
import subprocess
import uuid

import pytest

from ingest_data import device_csv, fixture_air_project, trip_rows

PERIOD = {250: 3600, 1000: 86400}
QUANTITIES = ("pm1_ugm3", "pm25_ugm3", "pm10_ugm3", "no2", "temperature_c", "humidity_pct")
COLUMNS = (["period_start", "period_end", "cell_m", "cell", "latitude", "longitude",
            "readings", "excluded"]
           + [f"{q}_{s}" for q in QUANTITIES for s in ("n", "mean", "min", "max")])


@pytest.fixture(scope="module")
def air(server, admin_token):
    return fixture_air_project(server, admin_token, "cells", k_anonymity=3)


def rows_of(text):
    """The CSV download as dicts of text values ('' for empty)."""
    lines = text.splitlines()
    assert lines[0].split(",") == COLUMNS
    return [dict(zip(COLUMNS, line.split(","), strict=True)) for line in lines[1:]]


def expected_cells(cluster, slug, quantity="pm25_ugm3"):
    """The cells as the rule defines them, computed from the published readings
    (air_published) with the participant of each reading's device, not from the rollups:
    hour x 250 m cells of >= k participants with a valid reading; the readings of the
    other hour cells in day x 1000 m cells. Per cell (start, cell id): its size,
    readings, excluded, participants, and `quantity`'s n, mean, min, max and
    participants. Cells of fewer than k participants are included (to check they are
    absent from the download); `k` is the project's."""
    out = cluster.psql(f"""
        WITH k AS (SELECT k_anonymity AS k FROM project WHERE slug = '{slug}'),
        mask AS (SELECT coalesce(sum(1 << bit), 0)::int AS m FROM quality_flag WHERE excluded),
        r AS (SELECT p.recorded_at, ST_Transform(p.position, 28992) AS rd,
                     d.participant_pseudonym AS who, (p.quality & (SELECT m FROM mask)) = 0 AS ok,
                     p.{quantity}::float8 AS v
              FROM air_published p JOIN device d ON d.id = p.device_id
              JOIN project pr ON pr.id = d.project_id
              WHERE pr.slug = '{slug}' AND p.position IS NOT NULL),
        c AS (SELECT r.*, date_bin('1 hour', r.recorded_at, '2000-01-01Z') AS hour,
                     floor(ST_X(r.rd) / 250)::int AS gx, floor(ST_Y(r.rd) / 250)::int AS gy
              FROM r),
        hc AS (SELECT hour, gx, gy, count(DISTINCT who) FILTER (WHERE ok) >= (SELECT k FROM k)
                      AS shown FROM c GROUP BY 1, 2, 3),
        x AS (SELECT CASE WHEN shown THEN c.hour
                          ELSE date_bin('1 day', c.recorded_at, '2000-01-01Z') END AS start,
                     CASE WHEN shown THEN 250 ELSE 1000 END AS m,
                     CASE WHEN shown THEN c.gx ELSE floor(c.gx / 4.0)::int END AS cx,
                     CASE WHEN shown THEN c.gy ELSE floor(c.gy / 4.0)::int END AS cy, c.*
              FROM c JOIN hc USING (hour, gx, gy))
        SELECT rfc3339(start), format('rd%s-%s-%s', m, cx * m, cy * m), m, count(*),
               count(*) FILTER (WHERE NOT ok), count(DISTINCT who) FILTER (WHERE ok),
               count(v) FILTER (WHERE ok), round(avg(v) FILTER (WHERE ok)::numeric, 3),
               round(min(v) FILTER (WHERE ok)::numeric, 3),
               round(max(v) FILTER (WHERE ok)::numeric, 3),
               count(DISTINCT who) FILTER (WHERE ok AND v IS NOT NULL), (SELECT k FROM k)
        FROM x GROUP BY start, m, cx, cy""")
    cells = {}
    for line in out.splitlines():
        start, cell, m, n, flagged, people, qn, mean, lo, hi, qpeople, k = line.split("|")
        cells[(start, cell)] = {
            "cell_m": int(m), "readings": int(n), "excluded": int(flagged),
            "participants": int(people), "n": int(qn), "mean": float(mean) if mean else None,
            "min": float(lo) if lo else None, "max": float(hi) if hi else None,
            "q_participants": int(qpeople), "k": int(k)}
    return cells


def published_positioned(cluster, slug):
    return int(cluster.psql(
        "SELECT count(*) FROM air_published p JOIN device d ON d.id = p.device_id JOIN project"
        f" pr ON pr.id = d.project_id WHERE pr.slug = '{slug}' AND p.position IS NOT NULL"))


def published_all(cluster, slug):
    return int(cluster.psql(
        "SELECT count(*) FROM air_published p JOIN device d ON d.id = p.device_id JOIN project"
        f" pr ON pr.id = d.project_id WHERE pr.slug = '{slug}'"))


def check_cells(cluster, slug, rows, quantity="pm25_ugm3"):
    """Every downloaded row is a cell of the rule with >= k participants, with the
    readings' values; every such cell is downloaded."""
    want = expected_cells(cluster, slug, quantity)
    got = {(r["period_start"], r["cell"]): r for r in rows}
    assert len(got) == len(rows)  # no cell twice
    shown = {key for key, c in want.items() if c["participants"] >= c["k"]}
    assert set(got) == shown
    for key, r in got.items():
        c = want[key]
        assert c["participants"] >= c["k"] >= 2
        assert int(r["cell_m"]) == c["cell_m"]
        assert int(r["readings"]) == c["readings"] and int(r["excluded"]) == c["excluded"]
        if c["q_participants"] < c["k"]:
            assert r[f"{quantity}_n"] == r[f"{quantity}_mean"] == ""
            continue
        assert int(r[f"{quantity}_n"]) == c["n"]
        assert float(r[f"{quantity}_mean"]) == pytest.approx(c["mean"], abs=0.0011)
        assert float(r[f"{quantity}_min"]) == c["min"]
        assert float(r[f"{quantity}_max"]) == c["max"]
    return want


def test_cells_read_into_pandas_and_keep_most_readings(anon, air, cluster, capsys):
    import pandas
    r = anon.get(f"/v1/datasets/{air}")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Transfer-Encoding"] == "chunked"
    assert r.headers["X-Licence"] == "CC-BY-4.0"
    frame = pandas.read_csv(io.StringIO(r.text), parse_dates=["period_start", "period_end"])
    assert list(frame.columns) == COLUMNS and "trip" not in frame.columns
    assert str(frame["period_start"].dt.tz) == "UTC"
    assert frame["period_start"].is_monotonic_increasing
    assert set(frame["cell_m"]) <= {250, 1000}
    span = (frame["period_end"] - frame["period_start"]).dt.total_seconds()
    assert (span == frame["cell_m"].map(PERIOD)).all()
    assert frame["cell"].str.match(r"^rd(250|1000)-\d+-\d+$").all()
    assert frame["latitude"].between(50.7, 53.6).all() and frame["longitude"].between(3.2, 7.3).all()
    assert (frame["readings"] > 0).all() and (frame["pm25_ugm3_n"] <= frame["readings"]).all()
    # Each reading in at most one row: the rows hold no more than was published.
    kept, positioned, published = (int(frame["readings"].sum()),
                                   published_positioned(cluster, air), published_all(cluster, air))
    assert 0 < kept <= positioned <= published
    with capsys.disabled():
        print(f"\n  open air cells on the fixture (k=3): {len(frame)} cells"
              f" ({(frame['cell_m'] == 250).sum()} hour x 250 m,"
              f" {(frame['cell_m'] == 1000).sum()} day x 1000 m) hold {kept} of {published}"
              f" published readings = {100 * kept / published:.1f} %"
              f" ({100 * kept / positioned:.1f} % of the {positioned} with a position;"
              " 5704 uploaded, trip ends hidden)")
    assert kept / published >= 0.6  # a dense town keeps most of its readings


def test_cells_are_k_anonymous_and_the_readings_values(anon, air, cluster):
    rows = rows_of(anon.get(f"/v1/datasets/{air}").text)
    want = check_cells(cluster, air, rows)
    assert any(c["participants"] < c["k"] for c in want.values())  # some were suppressed
    for quantity in ("temperature_c", "humidity_pct"):
        check_cells(cluster, air, rows, quantity)


def test_hour_cells_are_the_aggregates_cells(anon, air):
    """An hour x 250 m row says what /v1/aggregates says of that cell and hour."""
    rows = [r for r in rows_of(anon.get(f"/v1/datasets/{air}").text) if r["cell_m"] == "250"]
    assert len(rows) > 20
    agg = anon.get("/v1/aggregates", params={
        "quantity": "pm25", "project": air, "bucket": "hour", "space": "grid:250",
        "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z", "stat": "count,mean,min,max",
        "limit": 10000}).json()
    items = {(i["start"], i["cell"]["id"]): i for i in agg["items"]}
    for r in rows:
        i = items[(r["period_start"], r["cell"])]
        assert i["count"] == int(r["pm25_ugm3_n"])
        assert (i["mean"], i["min"], i["max"]) == (float(r["pm25_ugm3_mean"]),
                                                   float(r["pm25_ugm3_min"]),
                                                   float(r["pm25_ugm3_max"]))


def test_formats_carry_the_same_values(anon, air, tmp_path):
    csv_rows = rows_of(anon.get(f"/v1/datasets/{air}").text)
    as_text = {"parse_float": str, "parse_int": str}
    nd = [json.loads(line, **as_text) for line in
          anon.get(f"/v1/datasets/{air}", params={"format": "ndjson"}).text.splitlines()]
    r = anon.get(f"/v1/datasets/{air}", headers={"Accept": "application/geo+json"})
    assert r.headers["Content-Type"] == "application/geo+json"
    fc = json.loads(r.text, **as_text)
    assert fc["licence"] == "CC-BY-4.0" and "k-anonymous" in fc["provenance"]
    for row, obj, feature in zip(csv_rows, nd, fc["features"], strict=True):
        want = {c: (v if v != "" else None) for c, v in row.items()}
        assert obj == want and feature["properties"] == want
        ring = [[float(x), float(y)] for x, y in feature["geometry"]["coordinates"][0]]
        assert feature["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[4]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        assert min(lons) < float(want["longitude"]) < max(lons)
        assert min(lats) < float(want["latitude"]) < max(lats)
        # A square of cell_m metres: its edges about that long (1 deg lat = 111 km).
        south = (ring[1][0] - ring[0][0]) * 111320 * math.cos(math.radians(ring[0][1]))
        assert south == pytest.approx(int(want["cell_m"]), rel=0.01)
    path = tmp_path / "cells.geojson"
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "ERROR" not in out.stderr, out.stderr
    assert f"Feature Count: {len(csv_rows)}" in out.stdout and "Geometry: Polygon" in out.stdout


@pytest.mark.parametrize("lo,hi", [("2024-11-12T14:30:00Z", "2024-11-12T16:00:00Z"),
                                   ("2024-11-11T00:00:00Z", "2024-11-12T00:00:00Z")])
def test_a_range_picks_whole_cells(anon, air, lo, hi):
    """A range never cuts a cell: it picks the rows whose period overlaps it, each as the
    whole download has it (two ranges give no two versions of a cell to subtract)."""
    whole = rows_of(anon.get(f"/v1/datasets/{air}").text)
    part = rows_of(anon.get(f"/v1/datasets/{air}", params={"from": lo, "to": hi}).text)
    assert part and part == [r for r in whole if r["period_end"] > lo and r["period_start"] < hi]


def test_suppressed_hour_cells_go_to_day_cells_once(admin, anon, cluster):
    """Riders A, B, C on one road at 8:00 fill hour cells; D and E on it at 10:00 do not
    (2 < k), nor F alone at 12:00, but D, E and F make its day cells; G, alone far away,
    is nowhere."""
    slug = f"cells-{uuid.uuid4().hex[:10]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC-BY-4.0", "trim_min_m": 50,
                                            "k_anonymity": 3,
                                            "privacy_weakened": "test: short rides"}
                      ).status_code == 201
    riders = {"A": 8, "B": 8, "C": 8, "D": 10, "E": 10, "F": 12, "G": 8}
    for i, (name, hour) in enumerate(riders.items()):
        imei = f"86123456789{i:04d}"
        rows = trip_rows(i % 3, 90, day="2024-11-12", hour=hour, step_deg=0.0004)
        if name == "G":
            rows = [(t, la + 0.3, lo + 0.2, pm) for t, la, lo, pm in rows]
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=device_csv(rows, imei),
                       headers={"Content-Type": "text/csv"})
        assert r.json()["accepted"] == 90, r.text
    rows = rows_of(anon.get(f"/v1/datasets/{slug}").text)
    check_cells(cluster, slug, rows)
    hours = {r["period_start"][11:13] for r in rows if r["cell_m"] == "250"}
    assert hours == {"08"}
    days = [r for r in rows if r["cell_m"] == "1000"]
    assert days and all(r["period_start"] == "2024-11-12T00:00:00Z" for r in days)
    assert all(float(r["latitude"]) < 52.2 for r in rows)  # G is in no cell
    # D, E and F's published readings are all in the day cells, with some of A, B and C's
    # where their hidden trip ends left fewer than three in an hour cell.
    def_published = int(cluster.psql(
        "SELECT count(*) FROM air_published p JOIN device d ON d.id = p.device_id JOIN project"
        f" pr ON pr.id = d.project_id WHERE pr.slug = '{slug}'"
        " AND date_part('hour', p.recorded_at AT TIME ZONE 'UTC') IN (10, 12)"))
    assert def_published > 100
    assert sum(int(r["readings"]) for r in days) >= def_published
    total = sum(int(r["readings"]) for r in rows)
    assert total <= published_positioned(cluster, slug)
