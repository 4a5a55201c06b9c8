"""Percentiles from the rollups' histograms (sql/030_air_histograms.sql): p50, p90 and
p98 that the rollups answer differ from the exact ones (percentile_cont over the same
readings, which the server computes when a range cuts a quarter hour, and which SQL
computes here apart from the server) by less than the bound the answer states in
`percentile_error`, on random data of several distributions (heavy tails, zeros, values
beyond the bins) and on the real fixture; and the answer says which it is."""
import datetime as dt
import io
import random
import uuid

import pytest

from ingest_data import fixture_air_project, readings_params, wait_refreshed


@pytest.fixture(scope="module")
def server(uncached_server):
    """These tests tamper with counted cells behind the server's back to see which source
    answered: every answer must be computed."""
    return uncached_server


STATS = "count,min,max,p50,p90,p98"
PERCENTILES = ("p50", "p90", "p98")
# Both answers are rounded to 3 decimals.
ROUNDING = 0.0011


def bins(anon):
    """percentile_bins of every air quantity, from /v1/quantities."""
    items = anon.get("/v1/quantities").json()["items"]
    return {q["name"]: q["percentile_bins"] for q in items if q["family"] == "air"}


def get(anon, params):
    r = anon.get("/v1/aggregates", params={**params, "stat": STATS, "limit": 10000})
    assert r.status_code == 200, r.text
    return r.json()


def check_within_bound(anon, params, quantity_bins):
    """The rollups' percentiles of `params` against the readings' ones; returns the number
    of percentiles compared and the largest error as a share of its bound."""
    rolled = get(anon, params)
    exact = get(anon, readings_params(params))
    # The answer says where its percentiles came from, and how far off they may be.
    assert rolled["percentile_error"] == {"absolute": quantity_bins["width"],
                                          "relative": quantity_bins["relative"]}
    assert exact["percentile_error"] == {"absolute": 0, "relative": 0}
    assert [(i["start"], i["cell"]["id"], i["count"]) for i in rolled["items"]] == \
        [(i["start"], i["cell"]["id"], i["count"]) for i in exact["items"]]
    bound = rolled["percentile_error"]
    compared, worst = 0, 0.0
    for r, x in zip(rolled["items"], exact["items"]):
        for p in PERCENTILES:
            assert x["min"] <= r[p] <= x["max"], (p, r, x)
            # The bound holds where the readings around the percentile lie inside the
            # bins (the outer bins reach to the least and greatest reading); surely so
            # when all of them do.
            if x["min"] < quantity_bins["lower"] or x["max"] > quantity_bins["upper"]:
                continue
            allowed = bound["absolute"] + bound["relative"] * abs(x[p])
            error = abs(r[p] - x[p])
            assert error < allowed + ROUNDING, (p, params, r, x, allowed)
            compared += 1
            worst = max(worst, error / allowed)
        assert r["p50"] <= r["p90"] <= r["p98"]
    return compared, worst


# Values of each distribution, for every quantity at once (each quantity draws its own).
DISTRIBUTIONS = {
    "uniform": lambda rnd: rnd.uniform(0, 60),
    # PM-like: most values low, a long right tail.
    "lognormal": lambda rnd: rnd.lognormvariate(2.3, 0.9),
    # Heavy tail (Pareto, alpha 1.1): values of thousands, some past 10,000 (the top bin).
    "pareto": lambda rnd: 3 * rnd.paretovariate(1.1),
    # Two modes and many exact zeros, as sensors send whole numbers.
    "bimodal-integers": lambda rnd: 0 if rnd.random() < 0.2 else round(
        rnd.gauss(8, 2) if rnd.random() < 0.6 else rnd.gauss(45, 6)),
    # Tiny values, most in the first bins.
    "around-zero": lambda rnd: rnd.gauss(0, 0.5),
}


def random_csv(rnd, draw, riders=6, trips=3, readings=120):
    """Device v3 CSV of `riders` bikes riding `trips` trips each over two days through
    Utrecht (20 minutes north-east from random places, a reading every 10 s), every
    quantity drawn from `draw`."""
    out = io.StringIO()
    out.write("created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,pm_2_5,"
              "pm_10\n")
    for rider in range(riders):
        imei = f"86123456{rider:07d}"
        for trip in range(trips):
            t = dt.datetime(2025, 5, 6 + trip % 2, 6 + 4 * trip + rnd.randrange(3),
                            rnd.randrange(60), tzinfo=dt.timezone.utc)
            lat, lon = 52.05 + rnd.uniform(0, 0.04), 5.07 + rnd.uniform(0, 0.06)
            for _ in range(readings):
                t += dt.timedelta(seconds=10)
                # About 16 km/h north-east: out of the hidden zones of the trip's ends.
                lat += 0.0003 + rnd.uniform(-0.0001, 0.0001)
                lon += 0.0002 + rnd.uniform(-0.0002, 0.0002)
                values = [draw(rnd) for _ in range(5)]
                # Below zero for temperature; PM cannot be negative (refused).
                temperature = values[0] - 10
                humidity = min(100.0, abs(values[1]))
                values = [abs(v) for v in values]
                out.write(f"{t:%Y-%m-%dT%H:%M:%SZ},{imei},{lat:.6f},{lon:.6f},7,3.9,120,"
                          f"{temperature:.2f},{humidity:.1f},{values[2]:.2f},{values[3]:.2f},"
                          f"{values[4]:.2f}\n")
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def random_projects(server, admin_token):
    from contract import Client
    admin = Client(server.base, admin_token)
    projects = {}
    for seed, (name, draw) in enumerate(DISTRIBUTIONS.items()):
        slug = f"pct-{name}-{uuid.uuid4().hex[:6]}"
        assert admin.post("/v1/projects", json={
            "slug": slug, "name": "x", "kind": "air", "licence": "CC0-1.0", "k_anonymity": 1,
            "trim_min_m": 200, "privacy_weakened": "test: percentiles of every cell"}
        ).status_code == 201
        body = random_csv(random.Random(2024 + seed), draw)
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=body,
                       headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json()["accepted"] > 2000, r.text
        projects[name] = slug
    return projects


RANDOM_RANGE = {"from": "2025-05-06T00:00:00Z", "to": "2025-05-08T00:00:00Z"}
# (space, bucket, quality): each rollup table and level, unions of cells, long buckets.
RANDOM_QUERIES = [("all", "15min", "all"), ("all", "hour", "valid"), ("all", "day", "all"),
                  ("grid:100", "hour", "all"), ("grid:250", "day", "valid"),
                  ("grid:1000", "day", "all"), ("all", "month", "all")]


@pytest.mark.parametrize("distribution", list(DISTRIBUTIONS))
@pytest.mark.parametrize("quantity", ["pm25", "pm10", "temperature", "humidity"])
def test_random_data_within_the_stated_bound(anon, random_projects, distribution, quantity):
    quantity_bins = bins(anon)[quantity]
    compared = 0
    for space, bucket, quality in RANDOM_QUERIES:
        n, _ = check_within_bound(anon, {**RANDOM_RANGE, "quantity": quantity,
                                         "project": random_projects[distribution],
                                         "space": space, "bucket": bucket,
                                         "quality": quality}, quantity_bins)
        compared += n
    assert compared > 50, "the comparison needs percentiles inside the bins"


@pytest.mark.parametrize("space", ["all", "grid:100", "grid:250", "grid:500"])
@pytest.mark.parametrize("bucket", ["15min", "hour", "day"])
@pytest.mark.parametrize("quantity", ["pm1", "pm25", "pm10", "temperature", "humidity", "no2"])
def test_fixture_within_the_stated_bound(anon, fixture_project, space, bucket, quantity):
    n, _ = check_within_bound(anon, {"quantity": quantity, "project": fixture_project,
                                     "space": space, "bucket": bucket,
                                     "from": "2024-11-11T00:00:00Z",
                                     "to": "2024-11-13T00:00:00Z"}, bins(anon)[quantity])
    assert n > 0, "the comparison needs items"


@pytest.fixture(scope="module")
def fixture_project(server, admin_token):
    return fixture_air_project(server, admin_token, "pct", k_anonymity=3, trim_min_m=200)


def test_exact_percentiles_in_sql(anon, cluster, random_projects):
    """The bound against percentile_cont computed in SQL over the published readings,
    apart from the server: the heavy-tailed data, per UTC day, valid readings."""
    slug = random_projects["lognormal"]
    params = {**RANDOM_RANGE, "quantity": "pm25", "project": slug, "bucket": "day"}
    rolled = get(anon, params)["items"]
    rows = cluster.psql(
        "SELECT to_char(date_trunc('day', p.recorded_at, 'UTC'), 'YYYY-MM-DD'),"
        " count(*), percentile_cont(ARRAY[0.5, 0.9, 0.98]) WITHIN GROUP (ORDER BY p.pm25_ugm3)"
        " FROM air_published p JOIN device d ON d.id = p.device_id"
        " JOIN project pr ON pr.id = d.project_id"
        f" WHERE pr.slug = '{slug}' AND p.pm25_ugm3 IS NOT NULL"
        " AND p.quality & (SELECT sum(1 << bit)::int FROM quality_flag WHERE excluded) = 0"
        " GROUP BY 1 ORDER BY 1").splitlines()
    assert len(rows) == len(rolled) == 2
    for line, item in zip(rows, rolled):
        day, n, exact = line.split("|")
        assert item["start"].startswith(day) and item["count"] == int(n)
        for p, x in zip(PERCENTILES, (float(v) for v in exact.strip("{}").split(","))):
            assert abs(item[p] - x) < 0.1 + 0.01 * abs(x) + ROUNDING, (p, item, x)


def test_the_bins_are_stated(anon):
    stated = bins(anon)
    assert stated["pm25"] == {"lower": 0, "upper": 10000, "width": 0.1, "relative": 0.01}
    assert stated["temperature"] == {"lower": -50, "upper": 70, "width": 0.1, "relative": 0}
    assert stated["humidity"] == {"lower": 0, "upper": 100, "width": 0.5, "relative": 0}
    # Other families' percentiles come from their readings, exactly.
    items = anon.get("/v1/quantities").json()["items"]
    assert all(q["percentile_bins"] is None for q in items if q["family"] != "air")


@pytest.mark.parametrize("space,bucket,cell_m", [("grid:100", "day", 100),
                                                 ("grid:250", "day", 250), ("all", "hour", 0)])
def test_counted_cells_hold_histograms(anon, cluster, server, admin_token, space, bucket,
                                       cell_m):
    """Once the refresher has counted a project's cells (sql/016), day maps and hours of
    the region take their percentiles from the cells' merged histograms, within the same
    bound; a tampered histogram shows in the answer, so it was read; while a day waits for
    the refresher, the rollups answer, with the very same percentiles."""
    slug = fixture_air_project(server, admin_token, f"pct-cells-{cell_m}", k_anonymity=3,
                               trim_min_m=200)
    wait_refreshed(cluster, slug)
    params = {"quantity": "pm25", "project": slug, "space": space, "bucket": bucket,
              "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z"}
    n, _ = check_within_bound(anon, params, bins(anon)["pm25"])
    assert n > 0
    truth = get(anon, params)["items"]
    # Every bin five bins up: the percentiles move, the rest stays.
    cluster.psql("UPDATE air_cell_period t SET hist = (SELECT array_agg(x + 5 * 1048576)"
                 f" FROM unnest(t.hist) x) FROM project p WHERE p.slug = '{slug}'"
                 f" AND t.project_id = p.id AND t.quantity = 'pm25_ugm3' AND t.cell_m = {cell_m}")
    tampered = get(anon, params)["items"]
    assert [i["count"] for i in tampered] == [i["count"] for i in truth]
    assert [i["p50"] for i in tampered] != [i["p50"] for i in truth]
    # Days waiting: the rollups answer, as the cells did before the tampering.
    cluster.psql("INSERT INTO air_day_change (project_id, day) SELECT id, d FROM project,"
                 " unnest(ARRAY[timestamptz '2024-11-11Z', '2024-11-12Z']) AS d"
                 f" WHERE slug = '{slug}'")
    assert get(anon, params)["items"] == truth
