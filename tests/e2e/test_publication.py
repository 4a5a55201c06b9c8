"""Privacy at publication: trip ends are hidden behind keyed zones (DESIGN.md section 5).
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


def test_zones_vary_per_trip_are_offset_and_never_below_the_minimum(cluster, fixture_slug):
    rows = cluster.psql(
        "SELECT sqrt(ST_Area(ST_Transform(e.end_zone, 28992)) / pi()),"
        " ST_Distance(ST_Transform(ST_Centroid(e.end_zone), 28992), ST_Transform(e.l, 28992)),"
        " sqrt(ST_Area(ST_Transform(e.start_zone, 28992)) / pi())"
        f" FROM ({ENDS.format(slug=fixture_slug)}) e WHERE e.l IS NOT NULL").split("\n")
    radii, offsets = [], []
    for row in rows:
        r_end, offset, r_start = map(float, row.split("|"))
        radii += [round(r_end), round(r_start)]
        offsets.append(offset)
        # The end point sits at least trim_min_m inside the zone's edge.
        assert r_end - offset >= 199.0
        assert 295 <= r_end <= 505
    assert len(rows) >= 20
    assert len(set(radii)) > len(rows)      # radii differ between trips and ends
    assert sum(o > 5 for o in offsets) > len(offsets) // 2  # centres are not the end points


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


def test_zones_are_keyed(cluster, fixture_slug, admin_token):
    """Two deployments with different keys hide different zones for the same rides."""
    import os
    from contract import Client
    from cluster import scratch_dir, remove
    other = scratch_dir("smu-key-")
    try:
        s = Server(other, cluster.url, admin_token).start()  # a fresh key file
        try:
            slug = load_fixture(Client(s.base, admin_token), 200)
        finally:
            s.stop()
        assert os.path.exists(os.path.join(other, "pseudonym.key"))
    finally:
        remove(other)
    theirs = load_fixture_zone_radii(cluster, slug)
    ours = load_fixture_zone_radii(cluster, fixture_slug)
    assert len(theirs) == len(ours) > 20
    assert theirs != ours


def load_fixture_zone_radii(cluster, slug):
    return cluster.psql("SELECT round(sqrt(ST_Area(ST_Transform(end_zone, 28992)) / pi()))"
                        f" FROM ({ENDS.format(slug=slug)}) e WHERE end_zone IS NOT NULL"
                        " ORDER BY e.started_at, e.l").split("\n")


def test_trim_zero_hides_nothing(cluster, admin):
    slug = load_fixture(admin, 0)
    assert cluster.psql(f"SELECT count(*) FROM ({ENDS.format(slug=slug)}) e WHERE end_zone IS NOT NULL") == "0"
