"""Open data from a streaming hot standby (database_read_url): served from it while it
answers, from the primary while it is down, from it again when it is back, with its
lag in /metrics; and one refresher among several servers on one database."""
import datetime as dt
import re
import signal
import time
import uuid

import pytest
import requests

from cluster import Cluster, Server, remove, scratch_dir
from contract import Client
from ingest_data import device_csv, poll_until, ride

WAIT_S = 60


@pytest.fixture(scope="module")
def folder():
    f = scratch_dir("smu-standby-")
    yield f
    remove(f)


@pytest.fixture(scope="module")
def primary(folder):
    c = Cluster(folder).start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def standby(folder, primary):
    c = Cluster(folder, "standby", primary=primary).start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def server(folder, primary, standby, admin_token):
    """Writes go to the primary, open-data reads to the standby."""
    s = Server(folder, primary.url, admin_token, database_read_url=standby.url).start()
    caught_up(primary, standby)  # the migrations the server just applied
    yield s
    if s.proc.poll() is None:  # not the refresher the last test kills
        assert s.stop() == 0, s.log_text()[-4000:]


def metric(server, name):
    text = requests.get(server.base + "/metrics", timeout=10).text
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def wait_metric(server, name, ok, timeout_s=WAIT_S):
    value = poll_until(lambda: metric(server, name), lambda v: v is not None and ok(v),
                       timeout_s)
    assert value is not None and ok(value), (name, value)
    return value


def caught_up(primary, standby):
    """Waits until the standby has replayed everything the primary wrote so far."""
    lsn = primary.psql("SELECT pg_current_wal_lsn()")
    done = poll_until(
        lambda: standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"),
        lambda v: v == "t", WAIT_S)
    assert done == "t"


def new_air_project(admin):
    slug = f"sb-{uuid.uuid4().hex[:10]}"
    r = admin.post("/v1/projects", json={"slug": slug, "name": "Standby", "kind": "air",
                                         "licence": "CC0-1.0", "auto_register": True,
                                         "k_anonymity": 1,
                                         "privacy_weakened": "test: every participant counts"})
    assert r.status_code == 201, r.text
    return slug


def upload_ride(admin, slug, day):
    rows = ride(dt.datetime(2025, 5, day, 9, 0, 0), 60)
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=device_csv(rows),
                   headers={"Content-Type": "text/csv"})
    assert r.json()["accepted"] == len(rows), r.text


def coverage(anon, slug):
    r = anon.get(f"/v1/projects/{slug}")
    return r.json()["coverage"] if r.status_code == 200 else None


def served_by_standby(admin, anon, primary, standby):
    """With replay paused, a project created on the primary stays unknown to reads:
    they come from the standby. Resumed, it appears."""
    caught_up(primary, standby)
    standby.psql("SELECT pg_wal_replay_pause()")
    try:
        slug = new_air_project(admin)
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            assert anon.get(f"/v1/projects/{slug}").status_code == 404
            time.sleep(0.2)
    finally:
        standby.psql("SELECT pg_wal_replay_resume()")
    r = poll_until(lambda: anon.get(f"/v1/projects/{slug}"), lambda r: r.status_code == 200,
                   WAIT_S)
    assert r.status_code == 200


def test_refresher_output_reaches_reads_on_the_standby(admin, anon, server, primary, standby):
    wait_metric(server, "samenmeten_read_replica_up", lambda v: v == 1)
    slug = new_air_project(admin)
    upload_ride(admin, slug, 2)
    # The catalogue's figures and the counted cells are the refresher's work on the
    # primary; both are read from the standby.
    cov = poll_until(lambda: coverage(anon, slug), lambda c: c and c["to"] == "2025-05-02",
                     WAIT_S)
    assert cov == {"from": "2025-05-02", "to": "2025-05-02"}
    params = {"quantity": "pm25", "project": slug, "bucket": "hour",
              "from": "2025-05-02T00:00:00Z", "to": "2025-05-03T00:00:00Z"}
    r = poll_until(lambda: anon.get("/v1/aggregates", params=params),
                   lambda r: r.status_code == 200 and r.json()["items"], WAIT_S)
    assert r.status_code == 200 and r.json()["items"]
    served_by_standby(admin, anon, primary, standby)


def test_replication_lag_is_in_the_metrics(admin, server, primary, standby):
    caught_up(primary, standby)
    wait_metric(server, "samenmeten_read_replica_lag_seconds", lambda v: v == 0)
    standby.psql("SELECT pg_wal_replay_pause()")
    try:
        new_air_project(admin)  # WAL the standby receives and does not replay
        lag = wait_metric(server, "samenmeten_read_replica_lag_seconds", lambda v: v >= 1.5)
        assert lag < 600
    finally:
        standby.psql("SELECT pg_wal_replay_resume()")
    wait_metric(server, "samenmeten_read_replica_lag_seconds", lambda v: v == 0)


def test_reads_fall_back_to_the_primary_and_return(admin, anon, server, primary, standby):
    slug = new_air_project(admin)
    caught_up(primary, standby)
    standby.stop()
    try:
        # Every read keeps being answered, from the primary.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert anon.get("/v1/projects").status_code == 200
            assert anon.get(f"/v1/projects/{slug}").status_code == 200
            assert anon.get("/v1/aggregates", params={
                "quantity": "pm25", "project": slug, "from": "2025-05-01T00:00:00Z",
                "to": "2025-05-02T00:00:00Z"}).status_code == 200
            time.sleep(0.1)
        assert anon.get("/readyz").status_code == 200
        wait_metric(server, "samenmeten_read_replica_up", lambda v: v == 0)
        # What the primary gets now is read from it.
        later = new_air_project(admin)
        assert anon.get(f"/v1/projects/{later}").status_code == 200
        upload_ride(admin, later, 7)
        cov = poll_until(lambda: coverage(anon, later), lambda c: c and c["to"] is not None,
                         WAIT_S)
        assert cov == {"from": "2025-05-07", "to": "2025-05-07"}
    finally:
        standby.start()
    wait_metric(server, "samenmeten_read_replica_up", lambda v: v == 1)
    served_by_standby(admin, anon, primary, standby)


def test_a_standby_too_far_behind_is_not_read(folder, primary, standby, admin_token):
    s = Server(folder, primary.url, admin_token, database_read_url=standby.url,
               database_read_max_lag_s=1).start()
    try:
        admin, anon = Client(s.base, admin_token), Client(s.base)
        wait_metric(s, "samenmeten_read_replica_up", lambda v: v == 1)
        caught_up(primary, standby)
        standby.psql("SELECT pg_wal_replay_pause()")
        try:
            slug = new_air_project(admin)
            # Read from the standby (404) until the lag passes a second; then from the
            # primary, which has it.
            r = poll_until(lambda: anon.get(f"/v1/projects/{slug}"),
                           lambda r: r.status_code == 200, WAIT_S)
            assert r.status_code == 200
            assert metric(s, "samenmeten_read_replica_up") == 0
            assert metric(s, "samenmeten_read_replica_lag_seconds") > 1
        finally:
            standby.psql("SELECT pg_wal_replay_resume()")
        wait_metric(s, "samenmeten_read_replica_up", lambda v: v == 1)
    finally:
        assert s.stop() == 0, s.log_text()[-4000:]


def leaders(servers):
    return [metric(s, "samenmeten_refresher_leader") for s in servers]


def test_one_refresher_among_servers_and_another_takes_over(folder, primary, server,
                                                            admin_token):
    others = [Server(folder, primary.url, admin_token).start() for _ in range(2)]
    try:
        everyone = [server, *others]
        time.sleep(2.5)  # several rounds of the followers' tries
        assert sorted(leaders(everyone)) == [0, 0, 1]
        leader = everyone[leaders(everyone).index(1)]
        followers = [s for s in everyone if s is not leader]
        admin = Client(followers[0].base, admin_token)
        anon = Client(followers[1].base)
        slug = new_air_project(admin)
        upload_ride(admin, slug, 12)
        cov = poll_until(lambda: coverage(anon, slug), lambda c: c and c["to"] is not None,
                         WAIT_S)
        assert cov["to"] == "2025-05-12"
        assert metric(leader, "samenmeten_refresher_days_total") >= 1
        assert [metric(s, "samenmeten_refresher_days_total") for s in followers] == [0, 0]

        leader.stop(sig=signal.SIGKILL)
        new = poll_until(lambda: leaders(followers), lambda v: sorted(v) == [0, 1], WAIT_S)
        assert sorted(new) == [0, 1]
        slug = new_air_project(admin)
        upload_ride(admin, slug, 14)
        cov = poll_until(lambda: coverage(anon, slug), lambda c: c and c["to"] is not None,
                         WAIT_S)
        assert cov["to"] == "2025-05-14"
        taken_over = followers[new.index(1)]
        assert metric(taken_over, "samenmeten_refresher_days_total") >= 1
    finally:
        for s in others:
            if s.proc.poll() is None:
                assert s.stop() == 0, s.log_text()[-4000:]
