"""The project catalogue: figures from published data only, whole days, coarse counts;
served from the server's rendered copy with a strong ETag; updated by the refresher
after ingest (sql/023_catalogue.sql, server/catalogue.c)."""
import datetime as dt
import re
import uuid

import pytest

from contract import Client
from ingest_data import SNUFFEL_CSV, device_csv, poll_until, read, ride

POLL_S = 60
STRONG_ETAG = re.compile(r'^"[0-9a-f]{32}"$')


def new_project(admin, kind="air", **extra):
    slug = f"cat-{uuid.uuid4().hex[:10]}"
    r = admin.post("/v1/projects", json={"slug": slug, "name": "Catalogue", "kind": kind,
                                         "licence": "CC0-1.0", **extra})
    assert r.status_code == 201, r.text
    return slug


def entry(anon, slug):
    r = anon.get(f"/v1/projects/{slug}")
    assert r.status_code == 200, r.text
    return r.json()


def round_down(n):
    """catalogue_round(): two significant digits, whole thousands."""
    if n < 1000:
        return 0
    return n - n % max(1000, 10 ** (len(str(n)) - 2))


def test_coverage_is_whole_days_of_published_data(admin, anon, cluster):
    """A ride from 23:00 to 00:03 UTC: its last minutes lie in the hidden end zone, so
    the published data ends on the first day. The raw latest time (what the catalogue
    showed before sql/023: 2025-03-05T00:03:00Z) must not show, not even as its day."""
    slug = new_project(admin, auto_register=True)
    rows = ride(dt.datetime(2025, 3, 4, 23, 0, 0), 63)
    assert rows[-1][0] == "2025-03-05T00:03:00Z"
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=device_csv(rows),
                   headers={"Content-Type": "text/csv"})
    assert r.json()["accepted"] == len(rows), r.text
    # The readings after midnight are hidden (the end zone is hundreds of metres wide).
    assert cluster.psql(
        "SELECT count(*) FROM air_published p JOIN device d ON d.id = p.device_id"
        f" JOIN project j ON j.id = d.project_id WHERE j.slug = '{slug}'"
        " AND p.recorded_at >= '2025-03-05T00:00:00Z'") == "0"
    p = poll_until(lambda: entry(anon, slug), lambda p: p["coverage"]["from"] is not None,
                   POLL_S)
    assert p["coverage"] == {"from": "2025-03-04", "to": "2025-03-04"}
    assert p["readings"] == 0  # a few hundred published readings: below a thousand
    assert p["participants"] == 1


def test_fixture_figures_are_published_days_and_rounded_counts(admin, anon, cluster):
    slug = new_project(admin, k_anonymity=1, privacy_weakened="test: every participant counts")
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                   headers={"Content-Type": "text/csv"})
    assert r.json()["accepted"] == 5704
    published, first, last = cluster.psql(
        "SELECT count(*), min(p.recorded_at)::date, max(p.recorded_at)::date"
        " FROM air_published p JOIN device d ON d.id = p.device_id"
        f" JOIN project j ON j.id = d.project_id WHERE j.slug = '{slug}'").split("|")
    assert 1000 < int(published) < 5704  # trip ends hidden
    p = poll_until(lambda: entry(anon, slug), lambda p: p["readings"] > 0, POLL_S)
    assert p["coverage"] == {"from": first, "to": last}
    assert p["readings"] == round_down(int(published)) > 0
    assert p["participants"] == 10
    listed = {i["slug"]: i for i in anon.get("/v1/projects").json()["items"]}
    assert listed[slug] == p


def test_strong_etag_and_304(admin, anon):
    slug = new_project(admin)
    for path in ("/v1/projects", f"/v1/projects/{slug}"):
        r = anon.get(path)
        etag = r.headers["ETag"]
        assert STRONG_ETAG.match(etag), etag
        assert r.headers["Cache-Control"] == "public, max-age=60"
        again = anon.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag
        listed = anon.get(path, headers={"If-None-Match": f'"other", {etag}'})
        assert listed.status_code == 304
        assert anon.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    # A change is a new tag: the old one gets the whole answer.
    before = anon.get("/v1/projects").headers["ETag"]
    new_project(admin)
    r = anon.get("/v1/projects", headers={"If-None-Match": before})
    assert r.status_code == 200 and r.headers["ETag"] != before


def db_calls(anon):
    text = anon.get("/metrics").text
    return int(re.search(r"^samenmeten_db_calls_total (\d+)$", text, re.M).group(1))


def test_catalogue_is_served_without_a_query_per_request(admin, anon):
    new_project(admin)
    anon.get("/v1/projects")
    before = db_calls(anon)
    for _ in range(200):
        assert anon.get("/v1/projects").status_code == 200
    # At most a version check a second (and a rendering when it moved).
    assert db_calls(anon) - before <= 10


def test_catalogue_follows_ingest_of_every_family(admin, anon):
    air = new_project(admin, auto_register=True)
    heat = new_project(admin, kind="heat")
    assert entry(anon, air)["coverage"] == {"from": None, "to": None}
    etag = anon.get("/v1/projects").headers["ETag"]
    rows = ride(dt.datetime(2025, 6, 1, 9, 0, 0), 60) + ride(dt.datetime(2025, 6, 3, 9, 0, 0), 60)
    assert admin.post(f"/v1/ingest/snuffelfiets?project={air}", data=device_csv(rows),
                      headers={"Content-Type": "text/csv"}).json()["accepted"] == len(rows)
    admin.post(f"/v1/projects/{heat}/devices", json={"external_id": "st-1", "participant": "p",
                                                     "lat": 52.09, "lon": 5.12})
    obs = [{"station": "st-1", "time": f"2025-07-0{d}T12:00:00Z", "temperature": 25,
            "humidity": 50} for d in (1, 2, 5)]
    assert admin.post(f"/v1/ingest/heat?project={heat}", json=obs).json()["accepted"] == 3
    p = poll_until(lambda: entry(anon, air), lambda p: p["coverage"]["to"] == "2025-06-03",
                   POLL_S)
    assert p["coverage"] == {"from": "2025-06-01", "to": "2025-06-03"}
    h = poll_until(lambda: entry(anon, heat), lambda p: p["coverage"]["to"] is not None, POLL_S)
    assert h["coverage"] == {"from": "2025-07-01", "to": "2025-07-05"}
    assert h["participants"] == 1
    assert anon.get("/v1/projects", headers={"If-None-Match": etag}).status_code == 200


def test_erasure_shrinks_the_coverage(admin, anon):
    slug = new_project(admin)
    for day, who in ((1, "a"), (9, "b")):
        dev = admin.post(f"/v1/projects/{slug}/devices",
                         json={"external_id": f"imei-{who}", "participant": who}).json()
        rows = ride(dt.datetime(2025, 8, day, 9, 0, 0), 60)
        r = Client(admin.base, dev["token"]).post("/v1/ingest/snuffelfiets",
                                                  data=device_csv(rows, imei=f"imei-{who}"),
                                                  headers={"Content-Type": "text/csv"})
        assert r.json()["accepted"] == len(rows), r.text
    p = poll_until(lambda: entry(anon, slug), lambda p: p["coverage"]["to"] == "2025-08-09",
                   POLL_S)
    assert p["coverage"]["from"] == "2025-08-01" and p["participants"] == 2
    assert admin.post(f"/v1/projects/{slug}/erasures",
                      json={"participant": "b"}).status_code == 200
    p = poll_until(lambda: entry(anon, slug), lambda p: p["coverage"]["to"] == "2025-08-01",
                   POLL_S)
    assert p["coverage"] == {"from": "2025-08-01", "to": "2025-08-01"}
    assert p["participants"] == 1


@pytest.mark.parametrize("n,shown", [(0, 0), (999, 0), (1000, 1000), (5704, 5000),
                                     (99999, 99000), (123456, 120000), (10234567, 10000000)])
def test_counts_are_rounded_down(cluster, n, shown):
    assert cluster.psql(f"SELECT catalogue_round({n})") == str(shown) == str(round_down(n))
