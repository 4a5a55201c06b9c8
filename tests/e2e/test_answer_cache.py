"""Open answers kept a few seconds (server/answer_cache.c): a dashboard's many visitors
ask the same aggregates at once, and each is computed once. A kept answer says its
`Age`; an administrator's change forgets every kept answer at once; uploads, and changes
made behind the server's back, show within answer_cache_s; requests for an answer that
is being computed wait for it and are not computed again."""
import re
import threading
import time

import requests

from cluster import Server
from contract import Client
from ingest_data import fixture_air_project, trip_rows, device_csv

RANGE = {"quantity": "pm25", "from": "2024-11-11T00:00:00Z", "to": "2024-11-13T00:00:00Z",
         "bucket": "day"}


def lookups(base):
    """samenmeten_answer_cache_lookups_total by result."""
    text = requests.get(f"{base}/metrics", timeout=10).text
    return {m[0]: int(m[1]) for m in
            re.findall(r'samenmeten_answer_cache_lookups_total\{result="(\w+)"\} (\d+)', text)}


def delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in ("hit", "waited", "miss")}


def test_a_kept_answer_is_the_same_answer_with_its_age(server, admin_token, cluster):
    slug = fixture_air_project(server, admin_token, "cache", k_anonymity=3, trim_min_m=200)
    anon = Client(server.base)
    params = {**RANGE, "project": slug}
    before = lookups(server.base)
    first = anon.get("/v1/aggregates", params=params)
    assert first.status_code == 200, first.text
    assert "Age" not in first.headers
    second = anon.get("/v1/aggregates", params=params)
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Cache-Control"] == "public, max-age=60"
    assert int(second.headers["Age"]) <= 10
    assert delta(before, lookups(server.base)) == {"hit": 1, "waited": 0, "miss": 1}
    # A kept answer still honours If-None-Match.
    r = anon.get("/v1/aggregates", params=params,
                 headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 304 and r.content == b""
    # Another question is another answer: the parameters in another order, another
    # statistic, another Accept.
    reordered = anon.get("/v1/aggregates", params=dict(reversed(list(params.items()))))
    assert reordered.status_code == 200 and "Age" not in reordered.headers
    assert reordered.json() == first.json()
    other = anon.get("/v1/aggregates", params={**params, "stat": "max"})
    assert "Age" not in other.headers and other.json() != first.json()
    csv = anon.get("/v1/aggregates", params=params, headers={"Accept": "text/csv"})
    assert "Age" not in csv.headers and csv.headers["Content-Type"].startswith("text/csv")
    # Problems are never kept.
    for _ in range(2):
        bad = anon.get("/v1/aggregates", params={**params, "quantity": "nope"})
        assert bad.status_code == 400 and "Age" not in bad.headers


def test_uploads_show_within_answer_cache_s_and_admin_changes_at_once(workdir, cluster,
                                                                      admin_token):
    """Dashboards keep their answers under a stream of uploads (new readings show within
    answer_cache_s); a change an administrator makes, here an erasure, shows at once."""
    s = Server(workdir, cluster.url, admin_token, answer_cache_s=2).start()
    try:
        admin = Client(s.base, admin_token)
        slug = "cache-write"
        assert admin.post("/v1/projects", json={
            "slug": slug, "name": "Cache write", "kind": "air", "licence": "CC0-1.0",
            "k_anonymity": 1, "trim_min_m": 200,
            "privacy_weakened": "test: every participant counts"}).status_code == 201
        rider = admin.post(f"/v1/projects/{slug}/devices",
                           json={"external_id": "861234567890001", "participant": "p-1"}).json()
        params = {"quantity": "pm25", "project": slug, "from": "2025-03-04T00:00:00Z",
                  "to": "2025-03-05T00:00:00Z", "bucket": "day"}

        def count():
            r = Client(s.base).get("/v1/aggregates", params=params)
            assert r.status_code == 200, r.text
            return sum(i["count"] for i in r.json()["items"]), "Age" in r.headers

        def upload(hour):
            ride = trip_rows(0, 180, day="2025-03-04", hour=hour, step_deg=0.0005)
            r = Client(s.base).post("/v1/ingest/snuffelfiets", token=rider["token"],
                                    data=device_csv(ride, imei="861234567890001"),
                                    headers={"Content-Type": "text/csv"})
            assert r.status_code == 200 and r.json()["accepted"] == len(ride), r.text

        upload(8)
        n1, _ = count()
        assert n1 > 0
        upload(10)
        assert count() == (n1, True)  # kept: the upload shows within answer_cache_s
        time.sleep(2.2)
        n2, kept = count()
        assert not kept and n2 > n1
        assert count() == (n2, True)
        r = admin.post(f"/v1/projects/{slug}/erasures", json={"participant": "p-1"})
        assert r.status_code == 200, r.text
        assert count() == (0, False)  # an administrator's change: at once
    finally:
        assert s.stop() == 0


def test_a_change_behind_the_servers_back_shows_within_answer_cache_s(workdir, cluster,
                                                                       admin_token):
    s = Server(workdir, cluster.url, admin_token, answer_cache_s=2).start()
    try:
        slug = fixture_air_project(s, admin_token, "cache-ttl", k_anonymity=3, trim_min_m=200)
        anon = Client(s.base)
        params = {**RANGE, "project": slug}
        first = anon.get("/v1/aggregates", params=params).json()
        assert first["k_anonymity"] == 3
        # Another server (or an operator in psql) changes what the answer says.
        cluster.psql(f"UPDATE project SET k_anonymity = 4 WHERE slug = '{slug}'")
        kept = anon.get("/v1/aggregates", params=params)
        assert "Age" in kept.headers and kept.json()["k_anonymity"] == 3
        time.sleep(2.2)
        fresh = anon.get("/v1/aggregates", params=params)
        assert "Age" not in fresh.headers and fresh.json()["k_anonymity"] == 4
    finally:
        assert s.stop() == 0


def test_requests_for_an_answer_being_computed_wait_for_it(workdir, cluster, admin_token):
    """Eight visitors open the same map while the database is slow: one query runs."""
    s = Server(workdir, cluster.url, admin_token, open_workers=8, database_pool_size=8,
               query_timeout_ms=20000).start()
    try:
        slug = fixture_air_project(s, admin_token, "cache-wait", k_anonymity=3,
                                   trim_min_m=200)
        params = {**RANGE, "project": slug, "space": "grid:250"}
        before = lookups(s.base)
        hold = cluster.locked("quantity", 3)
        answers = []

        def ask():
            answers.append(requests.get(f"{s.base}/v1/aggregates", params=params, timeout=30))

        askers = [threading.Thread(target=ask) for _ in range(8)]
        for t in askers:
            t.start()
        hold.join()
        for t in askers:
            t.join()
        assert [a.status_code for a in answers] == [200] * 8
        assert len({a.content for a in answers}) == 1
        d = delta(before, lookups(s.base))
        assert d["miss"] == 1, d
        assert d["waited"] + d["hit"] == 7 and d["waited"] >= 1, d
    finally:
        assert s.stop() == 0


def test_nothing_is_kept_with_answer_cache_s_0(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, answer_cache_s=0).start()
    try:
        anon = Client(s.base)
        for _ in range(3):
            r = anon.get("/v1/aggregates", params=RANGE)
            assert r.status_code == 200 and "Age" not in r.headers
        assert lookups(s.base)["hit"] == 0
    finally:
        assert s.stop() == 0
