"""Privacy at publication: trip ends are hidden behind zones that are the same for every
trip of a home (DESIGN.md section 5).
Checked on the real Snuffelfiets fixture, against the view every open output reads."""
import uuid

import pytest

from cluster import Server
from ingest_data import SNUFFEL_CSV, read

ENDS = """
    SELECT t.id, t.device_id, t.started_at, t.start_zone, t.end_zone,
      (SELECT position FROM air_reading r WHERE r.device_id = t.device_id AND r.position IS NOT NULL
         AND r.recorded_at BETWEEN t.started_at AND t.ended_at ORDER BY recorded_at LIMIT 1) AS f,
      (SELECT position FROM air_reading r WHERE r.device_id = t.device_id AND r.position IS NOT NULL
         AND r.recorded_at BETWEEN t.started_at AND t.ended_at ORDER BY recorded_at DESC LIMIT 1) AS l
    FROM trip t JOIN device d ON d.id = t.device_id JOIN project p ON p.id = d.project_id
    WHERE p.slug = '{slug}'"""


def load_fixture(admin, trim):
    slug = f"air-{uuid.uuid4().hex[:10]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC-BY-4.0", "trim_min_m": trim,
                                            "k_anonymity": 1, "privacy_weakened": "test: every participant counts"}).status_code == 201
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                   headers={"Content-Type": "text/csv"})
    assert r.json()["accepted"] == 5704
    return slug


@pytest.fixture(scope="module")
def fixture_slug(admin_token, server):
    from contract import Client
    return load_fixture(Client(server.base, admin_token), 200)


def test_no_published_point_lies_within_the_minimum_of_a_trip_end(cluster, fixture_slug):
    q = ("SELECT count(*), min(least(ST_Distance(p.position::geography, e.f::geography),"
         " ST_Distance(p.position::geography, e.l::geography))) FROM air_published p"
         f" JOIN ({ENDS.format(slug=fixture_slug)}) e ON e.id = p.trip_id"
         " WHERE p.position IS NOT NULL")
    n, nearest = cluster.psql(q).split("|")
    assert int(n) > 1000          # most of the ride is still published
    assert float(nearest) >= 200  # never closer to an end than trim_min_m
    # Every trip end is itself hidden.
    shown_ends = cluster.psql(
        f"SELECT count(*) FROM ({ENDS.format(slug=fixture_slug)}) e JOIN air_published p"
        " ON p.trip_id = e.id AND (p.position = e.f OR p.position = e.l)")
    assert shown_ends == "0"


def test_zones_are_lattice_cells_and_never_below_the_minimum(cluster, fixture_slug):
    """Each zone is a 2 x trim_min_m square of the project's lattice, widened by trim_min_m;
    the end point lies at least trim_min_m inside its edge (sql/021, sql/029)."""
    rows = cluster.psql(
        "SELECT ST_XMin(z) + 200, ST_YMin(z) + 200, ST_XMax(z) - ST_XMin(z),"
        " ST_Distance(ST_Boundary(z), ST_Transform(e.l, 28992)),"
        " ST_Contains(z, ST_Transform(e.l, 28992))"
        f" FROM ({ENDS.format(slug=fixture_slug)}) e,"
        " LATERAL (SELECT ST_Transform(e.end_zone, 28992) AS z) t"
        " WHERE e.l IS NOT NULL").split("\n")
    assert len(rows) >= 20
    phases = set()
    for row in rows:
        x0, y0, width, inside, contains = row.split("|")
        assert contains == "t" and float(inside) >= 199.0
        assert float(width) == pytest.approx(400 + 2 * 200, abs=0.5)
        phases.add((round(float(x0) % 400, 1) % 400, round(float(y0) % 400, 1) % 400))
    # One lattice for the whole project: every zone's corner on the same phase.
    assert len(phases) == 1, phases


def test_every_trip_from_one_home_hides_the_same_zone(admin, cluster):
    """40 trips from one home, each starting a few metres apart (GPS), by two riders of one
    household: one zone for all of them, so their number teaches an attacker nothing."""
    import datetime
    import random
    slug = f"air-{uuid.uuid4().hex[:10]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC-BY-4.0"}).status_code == 201
    rnd = random.Random(7)
    home = (52.0907, 5.1214)
    # The home in the middle of a lattice cell: a home within metres of a lattice line
    # (one project in about ten, with a random origin) hides two zones, a limit the
    # README states; this test is about trips, not about where the origin fell.
    cluster.psql(f"UPDATE project p SET zone_ox = (x / s - 0.5) - floor(x / s - 0.5),"
                 f" zone_oy = (y / s - 0.5) - floor(y / s - 0.5)"
                 f" FROM (SELECT ST_X(h) AS x, ST_Y(h) AS y, zone_cell_m(trim_min_m) AS s"
                 f"       FROM project, LATERAL ST_Transform(ST_SetSRID(ST_MakePoint("
                 f"{home[1]}, {home[0]}), 4326), 28992) h WHERE slug = '{slug}') c"
                 f" WHERE p.slug = '{slug}'")
    rows = ["created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,pm_2_5,pm_10"]
    t0 = datetime.datetime(2025, 3, 3, 7, 0, tzinfo=datetime.timezone.utc)
    for trip in range(40):
        imei = "35000000000001" + str(trip % 2)  # two riders, one home
        bearing = rnd.uniform(0, 6.283)
        start = t0 + datetime.timedelta(hours=2 * trip)
        jitter = (rnd.gauss(0, 4e-5), rnd.gauss(0, 6e-5))  # a few metres
        for i in range(60):  # 10 minutes away from home at ~5 m/s
            d = 0.00005 * i * 0.9
            import math
            lat = home[0] + jitter[0] + d * math.cos(bearing)
            lon = home[1] + jitter[1] + d * math.sin(bearing) * 1.6
            t = (start + datetime.timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.append(f"{t},{imei},{lat:.6f},{lon:.6f},9,80,100,15,60,5,8,12")
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data="\n".join(rows) + "\n",
                   headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["accepted"] == 2400, r.text
    zones = cluster.psql(f"SELECT count(*), count(DISTINCT ST_AsText(e.start_zone))"
                         f" FROM ({ENDS.format(slug=slug)}) e")
    assert zones == "40|1", zones


def test_zones_are_the_same_on_every_request(
        cluster, fixture_slug, workdir, admin_token):
    # Trips get new ids when they merge: compare them by device and start.
    zones = (f"SELECT md5(string_agg(ST_AsText(e.end_zone), ',' ORDER BY e.device_id, e.started_at))"
             f" FROM ({ENDS.format(slug=fixture_slug)}) e")
    before = cluster.psql(zones)
    # Re-sending the same data recomputes nothing different.
    from contract import Client
    s = Server(workdir, cluster.url, admin_token).start()  # same key file as the session
    try:
        Client(s.base, admin_token).post(f"/v1/ingest/snuffelfiets?project={fixture_slug}",
                                         data=read(SNUFFEL_CSV), headers={"Content-Type": "text/csv"})
    finally:
        s.stop()
    assert cluster.psql(zones) == before


def test_projects_have_their_own_lattice(cluster, fixture_slug, admin):
    """Another project's zones for the same rides lie on another lattice (a random origin)."""
    slug = load_fixture(admin, 200)
    phase = ("SELECT DISTINCT round((ST_XMin(ST_Transform(end_zone, 28992)) + 200)::numeric % 400, 1)"
             " FROM trip t JOIN device d ON d.id = t.device_id JOIN project p ON p.id = d.project_id"
             " WHERE p.slug = '{slug}' AND end_zone IS NOT NULL")
    theirs, ours = cluster.psql(phase.format(slug=slug)), cluster.psql(phase.format(slug=fixture_slug))
    assert len(theirs.split("\n")) == len(ours.split("\n")) == 1
    assert theirs != ours


def test_trim_zero_hides_nothing(cluster, admin):
    slug = load_fixture(admin, 0)
    assert cluster.psql(f"SELECT count(*) FROM ({ENDS.format(slug=slug)}) e WHERE end_zone IS NOT NULL") == "0"
