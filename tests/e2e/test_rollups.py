"""Rollups (sql/012_air_rollup.sql) answer what the readings answer: every query the
rollups serve is compared with the same query served from the readings, on the real
fixture, and after trips grow (their hidden ends move), arrive out of order, and are
erased."""
import uuid

import pytest

from ingest_data import (assert_same_aggregates, device_csv, fixture_air_project, published,
                         readings_params, trip_rows)

RANGE = {"quantity": "pm25", "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z"}
STATS = "count,mean,min,max,hours"


def air_project(admin, k):
    slug = f"roll-{uuid.uuid4().hex[:10]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC0-1.0", "k_anonymity": k,
                                            "trim_min_m": 200,
                                            **({"privacy_weakened": "test"} if k < 3 else {})}).status_code == 201
    return slug


@pytest.fixture(scope="module")
def server(uncached_server):
    """These tests upload a trip piece by piece and look at the rollups' answer after each
    piece, at once: every answer must be computed (uploads show within answer_cache_s)."""
    return uncached_server


@pytest.fixture(scope="module")
def fixture_project(server, admin_token):
    return fixture_air_project(server, admin_token, "roll", k_anonymity=3, trim_min_m=200)


def both(anon, params):
    """The answer from the rollups and the one from the readings, items keyed."""
    answers = []
    for source in (params, readings_params(params)):
        r = anon.get("/v1/aggregates", params={**source, "stat": STATS, "limit": 10000})
        assert r.status_code == 200, r.text
        answers.append(r.json())
    return answers


def assert_same(rollup, readings):
    assert_same_aggregates(rollup, readings, ("count", "participants_at_least", "min", "max", "hours"))


@pytest.mark.parametrize("space", ["all", "grid:100", "grid:250", "grid:500", "grid:1000"])
@pytest.mark.parametrize("extra", [{"bucket": "15min"}, {"bucket": "hour"},
                                   {"bucket": "day", "tz": "Europe/Amsterdam"},
                                   {"bucket": "week", "quality": "all"},
                                   {"bucket": "month"}],
                         ids=["15min", "hour", "amsterdam-day", "week-all-quality", "month"])
def test_rollups_answer_as_readings_do(anon, fixture_project, space, extra):
    rollup, readings = both(anon, {**RANGE, **extra, "project": fixture_project, "space": space})
    assert rollup["items"], "the comparison needs items"
    assert_same(rollup, readings)


@pytest.mark.parametrize("quantity", ["pm1", "pm10", "temperature", "humidity", "no2"])
def test_every_quantity_has_rollups(anon, fixture_project, quantity):
    rollup, readings = both(anon, {**RANGE, "quantity": quantity, "project": fixture_project,
                                   "bucket": "day"})
    assert_same(rollup, readings)


def test_views_answer_as_readings_do(anon, fixture_project):
    # A range that ends a second past a quarter hour is served from the readings.
    later = {**RANGE, "to": "2024-11-13T00:00:01Z"}
    for path, params in (("/v1/coverage", {"space": "grid:1000"}),
                         ("/v1/exceedances", {"quantity": "pm25", "reference": "who2021-24h",
                                              "space": "grid:1000"})):
        a = anon.get(path, params={**RANGE, **params, "project": fixture_project}).json()
        b = anon.get(path, params={**later, **params, "project": fixture_project}).json()
        assert a["items"] and a["items"] == b["items"], path
        assert a["suppressed"] == b["suppressed"]


# A 30-minute ride north at about 20 km/h, uploaded in two halves that meet on a quarter
# hour: a rollup refresh of the second upload's quarters alone would miss the first
# half's end, published now that the trip goes on.
RIDE = trip_rows(0, 180, day="2025-03-04", hour=8, step_deg=0.0005)
RIDE_RANGE = {"quantity": "pm25", "from": "2025-03-04T07:00:00Z", "to": "2025-03-04T10:00:00Z"}


@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_rollups_follow_trips_as_they_grow(admin, anon, cluster, order):
    slug = air_project(admin, 1)
    parts = [RIDE[:90], RIDE[90:]]
    if order == "reversed":
        parts.reverse()
    for i, part in enumerate(parts):
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=device_csv(part),
                       headers={"Content-Type": "text/csv"})
        assert r.json()["accepted"] == 90, r.text
        for space in ("all", "grid:100"):
            rollup, readings = both(anon, {**RIDE_RANGE, "project": slug, "space": space,
                                           "bucket": "15min"})
            assert_same(rollup, readings)
        whole = both(anon, {**RIDE_RANGE, "project": slug, "bucket": "day"})[0]
        assert sum(i["count"] for i in whole["items"]) == published(cluster, slug)
    # One trip in the end: the readings at the first upload's far end are published now,
    # those at the whole ride's ends are not.
    assert 0 < published(cluster, slug) < len(RIDE)


def test_erasure_takes_the_rollups(admin, anon, cluster):
    slug = air_project(admin, 1)
    rider = admin.post(f"/v1/projects/{slug}/devices",
                       json={"external_id": "861234567890555", "participant": "p-55"}).json()
    assert anon.post("/v1/ingest/snuffelfiets", token=rider["token"],
                     data=device_csv(RIDE, imei="861234567890555"),
                     headers={"Content-Type": "text/csv"}).json()["accepted"] == len(RIDE)
    assert cluster.psql(f"SELECT count(*) > 0 FROM air_rollup WHERE device_id = '{rider['id']}'") \
        == "t"
    r = admin.post(f"/v1/projects/{slug}/erasures", json={"participant": "p-55"})
    assert r.status_code == 200, r.text
    for table in ("air_rollup", "air_rollup_hourly"):
        assert cluster.psql(f"SELECT count(*) FROM {table} WHERE device_id = '{rider['id']}'") \
            == "0"
    rollup, readings = both(anon, {**RIDE_RANGE, "project": slug, "bucket": "hour"})
    assert rollup["items"] == readings["items"] == []


def rollup_rows(cluster, slug):
    """Every rollup row of the project's devices, as sorted text lines."""
    rows = []
    for table in ("air_rollup", "air_rollup_hourly"):
        rows.append(cluster.psql(
            f"SELECT string_agg(x::text, E'\\n' ORDER BY x::text) FROM {table} x "
            f"WHERE project_id = (SELECT id FROM project WHERE slug = '{slug}')"))
    return rows


def test_pieces_leave_the_rollups_a_full_recount_gives(admin, cluster):
    """trips_extend (sql/031) recounts only the hours a batch can change: after rides
    uploaded in pieces of every size, out of order, sent twice, and merged across gaps
    (zones that move, appear and vanish), the rollups are those a recount of every trip
    from its readings gives."""
    import random
    rng = random.Random(31)
    slug = air_project(admin, 1)
    # Three bikes; rides that cross hours, the last two of each 20 minutes apart (one
    # trip once both are in), some parts without a GPS fix.
    rides = []
    for b in range(3):
        imei = f"86123456789{b:04d}"
        for k, (hour, minute, n) in enumerate(((7, 40, 200), (9, 10, 150), (10, 5, 60))):
            rows = trip_rows(minute, n, day="2025-03-05", hour=hour, step_deg=0.0004 + b * 1e-4)
            rows = [(t, 0 if i % 37 < 3 else lat, 0 if i % 37 < 3 else lon + b * 0.01, pm)
                    for i, (t, lat, lon, pm) in enumerate(rows)]
            rides.append((imei, rows))
    pieces = []
    # Two rides whose zones move hours away from the readings that arrive:
    # - a ride home and back (7:00 to 9:30), sent end first: when its start comes in,
    #   the start zone appears at home, and the readings of 9:2x, back home, hide;
    # - a ride sent in two pieces that meet on the hour (8:00 to 8:59:50, 9:00 on): the
    #   second moves the end zone, and the readings of 8:5x are published now.
    home_and_back = []
    for i in range(900):
        leg = i if i < 450 else 899 - i
        s = i * 10
        home_and_back.append((f"2025-03-06T{7 + s // 3600:02d}:{(s // 60) % 60:02d}:{s % 60:02d}Z",
                              round(52.05 + leg * 0.0003, 6), 5.2, 10 + i % 5))
    pieces += [("861234567890010", home_and_back[300:]), ("861234567890010", home_and_back[:300])]
    on_the_hour = trip_rows(0, 420, day="2025-03-07", hour=8, step_deg=0.0004)
    pieces += [("861234567890011", on_the_hour[:360]), ("861234567890011", on_the_hour[360:])]
    for imei, rows in rides:
        i = 0
        while i < len(rows):
            n = rng.choice((1, 5, 12, 30, 77))
            pieces.append((imei, rows[i:i + n]))
            i += n
    ordered, pieces = pieces[:4], pieces[4:]
    rng.shuffle(pieces)
    pieces = ordered + pieces + rng.sample(pieces, 8)  # some sent again
    for imei, part in pieces:
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=device_csv(part, imei=imei),
                       headers={"Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
    before = rollup_rows(cluster, slug)
    assert before[0] and before[1]
    cluster.psql(
        "SELECT air_rollup_refresh(t.device_id, min(t.started_at), max(t.ended_at)) FROM trip t "
        f"JOIN device d ON d.id = t.device_id WHERE d.project_id = "
        f"(SELECT id FROM project WHERE slug = '{slug}') GROUP BY t.device_id")
    after = rollup_rows(cluster, slug)
    for table, a, b in zip(("air_rollup", "air_rollup_hourly"), before, after):
        a, b = set(a.split("\n")), set(b.split("\n"))
        assert (sorted(a - b)[:3], sorted(b - a)[:3]) == ([], []), table


def test_a_batch_sent_again_recounts_nothing(admin, cluster):
    """A retry (sql/031's ingest_air_apply) merges trips from the readings it inserted:
    a batch sent again, whole or in part with new readings, rewrites no rollup row of
    the part stored before, and the trips and rollups are those of one upload."""
    slug = air_project(admin, 1)
    ride = trip_rows(50, 120, day="2025-03-08", hour=6, step_deg=0.0004)  # 6:50 to 7:09:50
    post = lambda rows: admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                                   data=device_csv(rows, imei="861234567890020"),
                                   headers={"Content-Type": "text/csv"}).json()
    assert post(ride[:100])["accepted"] == 100
    where = f"project_id = (SELECT id FROM project WHERE slug = '{slug}')"
    written = (f"SELECT count(*), max(xmin::text::bigint) FROM air_rollup WHERE {where}")
    before = cluster.psql(written)
    assert post(ride[:100]) == {"accepted": 0, "duplicates": 100, "rejected": 0, "errors": []}
    assert cluster.psql(written) == before
    # Part again (7:00 on), part new (7:06:40 on): the new readings' hour is recounted,
    # not 6:00, whose readings lie far from the end zone that moved.
    assert post(ride[60:])["accepted"] == 20
    assert cluster.psql(f"SELECT count(*) FROM air_rollup WHERE {where} AND bucket < "
                        "'2025-03-08T07:00:00Z' AND xmin::text::bigint > "
                        f"{before.split('|')[1]}") == "0"
    assert cluster.psql(f"SELECT count(*), min(started_at), max(ended_at) FROM trip t JOIN "
                        f"device d ON d.id = t.device_id WHERE d.{where}") == \
        "1|2025-03-08 06:50:00+00|2025-03-08 07:09:50+00"
    after = rollup_rows(cluster, slug)
    cluster.psql(
        "SELECT air_rollup_refresh(t.device_id, min(t.started_at), max(t.ended_at)) FROM trip t "
        f"JOIN device d ON d.id = t.device_id WHERE d.{where} GROUP BY t.device_id")
    assert rollup_rows(cluster, slug) == after
