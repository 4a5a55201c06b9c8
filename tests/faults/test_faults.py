"""Fault injection: SIGKILL the server and PostgreSQL at random moments while every
ingest family uploads concurrently, then check that nothing acknowledged was lost and
nothing retried was stored twice.

Each trial:
- makes fresh projects and devices, and starts one uploader thread per family and
  authentication (device token or admin import): Snuffelfiets device CSV and JSON,
  Telraam reports, heat observations, experience sheets. An uploader sends batches of
  1 to 40 readings with unique natural keys and retries a batch that was not
  acknowledged (connection error, timeout, 503) until it is;
- meanwhile kills KILLS times, one after the other, at a random moment: the server
  (SIGKILL, then started again by the test), the PostgreSQL postmaster (SIGKILL, then
  started again by the test) or one PostgreSQL backend of the server (SIGKILL:
  PostgreSQL resets itself). After each kill it measures the time until /readyz is 200
  and an upload has been acknowledged again; after a PostgreSQL kill the server must
  get there without being restarted;
- then stops the uploaders (each finishes its batch until acknowledged) and compares
  the database with what was sent: every reading of every acknowledged batch present
  exactly once per natural key, with the value sent, nothing else stored, the answers'
  counts consistent with that, and the trips of the Snuffelfiets devices still merged
  intervals that cover their readings.

The cluster runs with synchronous_commit on (the e2e suites turn it off): a commit the
server acknowledged must survive a crash of the database processes. fsync stays off,
since no test here crashes the operating system.

TRIALS (default 3), KILLS (kills per trial, default 3), TRIAL_SECONDS (least upload
time per trial, default 6) and FAULT_SEED (default: random, printed) steer the run.
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))

from cluster import Cluster, Server, remove, scratch_dir  # noqa: E402

TRIALS = int(os.environ.get("TRIALS", "3"))
KILLS = int(os.environ.get("KILLS", "3"))
TRIAL_SECONDS = float(os.environ.get("TRIAL_SECONDS", "6"))
SEED = int(os.environ.get("FAULT_SEED", str(random.randrange(1 << 32))))
# Every wait in a trial is bounded by this.
RECOVERY_LIMIT_S = 60
# Durable commits: the point of the suite. No fsync: the kernel keeps what was
# written when only processes die.
DURABLE_PG = "-c fsync=off -c full_page_writes=off -c synchronous_commit=on"

ADMIN_TOKEN = "sma_" + "f" * 40


@pytest.fixture(scope="module")
def env():
    print(f"\nfault injection: seed {SEED}, {TRIALS} trials, {KILLS} kills each "
          f"(FAULT_SEED={SEED} repeats it)")
    folder = scratch_dir("smu-faults-")
    cluster = Cluster(folder, options=DURABLE_PG).start()
    server = Server(folder, cluster.url, ADMIN_TOKEN, database_retry_after_s=1).start()
    yield folder, cluster, server
    server.stop(sig=signal.SIGKILL)
    cluster.stop()
    remove(folder)


# --- The processes --------------------------------------------------------------------------

def postmaster_pid(cluster):
    try:
        with open(os.path.join(cluster.datadir, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def server_backends(cluster):
    """PIDs of the PostgreSQL backends serving the database's clients."""
    parent = postmaster_pid(cluster)
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and cmd.startswith(b"postgres: samenmeten samenmeten"):
            pids.append(int(name))
    return pids


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def restart_cluster(cluster, old_pid):
    """Starts PostgreSQL again after its postmaster was killed: once the orphaned
    processes have gone (until then the old shared memory is in use)."""
    deadline = time.monotonic() + RECOVERY_LIMIT_S
    while alive(old_pid):
        time.sleep(0.05)
    while True:
        try:
            cluster.start()
            return
        except subprocess.CalledProcessError as e:
            if time.monotonic() > deadline:
                raise AssertionError("PostgreSQL did not start again: " + e.stderr) from e
            time.sleep(0.2)


def ready(server):
    try:
        return requests.get(server.base + "/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


# --- What the uploaders send ------------------------------------------------------------------

def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Family:
    """One kind of upload: its path, how a batch of (time, owner, value) rows becomes a
    body, how the stored readings are read back, the time between keys, and the value
    the database holds for a value sent."""

    def __init__(self, name, path, body, stored, step_s, expect=lambda v: v):
        self.name, self.path, self.body, self.stored = name, path, body, stored
        self.step_s, self.expect = step_s, expect


def value_of(k):
    """The value reading k carries: distinct per key, exact in a float4."""
    return (k % 997) + 0.25


def air_csv_body(rows):
    lines = ["created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,"
             "pm_1,pm_2_5,pm_10"]
    for t, imei, v in rows:
        lines.append(f"{t},{imei},52.09,5.12,7,3.9,120,12.5,70,5,{v},15")
    return ("\n".join(lines) + "\n").encode(), "text/csv"


def air_json_body(rows):
    return json.dumps([{"imei": imei, "created_at": t, "lat": 52.09, "lon": 5.12,
                        "pm_2_5": v} for t, imei, v in rows]).encode(), "application/json"


def air_stored(cluster, slug):
    return _stored(cluster, "SELECT a.device_id, a.recorded_at, a.pm25_ugm3 FROM air_reading a "
                   "JOIN device d ON d.id = a.device_id JOIN project p ON p.id = d.project_id "
                   f"WHERE p.slug = '{slug}'")


def telraam_body(rows):
    return json.dumps({"report": [
        {"instance_id": -1, "segment_id": seg, "date": t, "interval": "hourly", "uptime": 0.9,
         "car": v, "bike": 1.0, "heavy": 0.0, "pedestrian": 2.0} for t, seg, v in rows]}
    ).encode(), "application/json"


def telraam_stored(cluster, slug):
    return _stored(cluster, "SELECT t.segment_id || '/' || t.interval, t.period_start, t.car "
                   "FROM traffic_report t JOIN road_segment s ON s.segment_id = t.segment_id "
                   f"JOIN project p ON p.id = s.project_id WHERE p.slug = '{slug}'")


def heat_body(rows):
    out = []
    for t, station, v in rows:
        o = {"time": t, "temperature": v / 40.0, "humidity": 50.0}
        if station:
            o["station"] = station
        out.append(o)
    return json.dumps(out).encode(), "application/json"


def heat_stored(cluster, slug):
    return _stored(cluster, "SELECT h.device_id, h.observed_at, h.temperature_c * 40 FROM "
                   "heat_observation h JOIN device d ON d.id = h.device_id JOIN project p "
                   f"ON p.id = d.project_id WHERE p.slug = '{slug}'")


def experience_body(rows):
    out = []
    for t, device, v in rows:
        o = {"time": t, "lat": 52.0907, "lon": 5.1214,
             "scores": {"natural_space": 1 + int(v) % 7, "housing": 1 + int(v) // 7 % 7}}
        if device:
            o["device"] = device
        out.append(o)
    return json.dumps(out).encode(), "application/json"


def experience_stored(cluster, slug):
    return _stored(cluster, "SELECT e.device_id, e.observed_at, e.scores[5] + 7 * e.scores[9] "
                   "FROM experience_score e JOIN device d ON d.id = e.device_id JOIN project p "
                   f"ON p.id = d.project_id WHERE p.slug = '{slug}'")


def _stored(cluster, sql):
    """Rows (owner, time, value) as {time: [(owner, value), ...]}: one entry per row, so a
    natural key stored twice shows as two."""
    out = {}
    text = cluster.psql(f"SELECT q.o, extract(epoch FROM q.t)::bigint, q.v FROM ({sql}) q(o, t, v)")
    for line in filter(None, text.split("\n")):
        owner, t, v = line.split("|")
        out.setdefault(int(t), []).append((owner, float(v)))
    return out


class Uploader(threading.Thread):
    """Sends batches of one family until told to stop; retries each batch until it is
    acknowledged. Keys are times: reading k is at base + k * step, owned by `owner`
    (an IMEI, a segment, a station, a device; "" for a token's own device)."""

    def __init__(self, server, family, rng, base, owners, token, query, acks):
        super().__init__(daemon=True)
        self.server, self.family, self.rng = server, family, rng
        self.base, self.owners, self.token, self.query = base, owners, token, query
        self.acks = acks  # shared: monotonic times of every acknowledgement
        self.sent = {}    # time -> (owner, value) of every reading in a sent batch
        self.acked = 0    # readings in acknowledged batches
        self.accepted = self.duplicates = 0
        self.attempts = self.unacked = 0
        self.unexpected = []  # answers that are neither an acknowledgement nor retryable
        self.stop = threading.Event()
        self.k = 0

    def batch(self):
        n = self.rng.randint(1, 40)
        rows = []
        for _ in range(n):
            t = self.base + self.k * self.family.step_s
            owner = self.owners[self.k % len(self.owners)]
            rows.append((t, owner, value_of(self.k)))
            self.k += 1
        return rows

    def send(self, rows):
        body, ctype = self.family.body([(iso(t), o, v) for t, o, v in rows])
        headers = {"Content-Type": ctype, "Authorization": "Bearer " + self.token}
        url = self.server.base + self.family.path + self.query
        deadline = time.monotonic() + 4 * RECOVERY_LIMIT_S
        session = requests.Session()
        while time.monotonic() < deadline:
            self.attempts += 1
            try:
                r = session.post(url, data=body, headers=headers, timeout=(2, 30))
            except requests.RequestException:
                self.unacked += 1
                session.close()
                session = requests.Session()
                time.sleep(self.rng.uniform(0.05, 0.2))
                continue
            if r.status_code == 200:
                got = r.json()
                if got["rejected"] != 0 or got["accepted"] + got["duplicates"] != len(rows):
                    self.unexpected.append(f"200 with {got} for {len(rows)} rows")
                self.accepted += got["accepted"]
                self.duplicates += got["duplicates"]
                self.acked += len(rows)
                self.acks.append(time.monotonic())
                return
            self.unacked += 1
            if r.status_code != 503:
                self.unexpected.append(f"{r.status_code} {r.text[:300]}")
            time.sleep(self.rng.uniform(0.05, 0.2))
        self.unexpected.append("a batch was not acknowledged within the time limit")

    def run(self):
        while not self.stop.is_set():
            rows = self.batch()
            for t, owner, v in rows:
                self.sent[t] = (owner, v)
            self.send(rows)


# --- One trial ----------------------------------------------------------------------------------

def admin_post(server, path, **kw):
    r = requests.post(server.base + path, headers={"Authorization": "Bearer " + ADMIN_TOKEN},
                      timeout=30, **kw)
    assert r.status_code in (200, 201), (path, r.status_code, r.text)
    return r.json()


def new_project(server, kind):
    slug = f"f-{kind[:4]}-{uuid.uuid4().hex[:10]}"
    admin_post(server, "/v1/projects", json={"slug": slug, "name": "faults", "kind": kind,
                                              "licence": "CC0-1.0"})
    return slug


def new_device(server, slug, external):
    return admin_post(server, f"/v1/projects/{slug}/devices",
                      json={"external_id": external, "participant": "p-" + external})


AIR_CSV = Family("air csv", "/v1/ingest/snuffelfiets", air_csv_body, air_stored, 10)
AIR_JSON = Family("air json", "/v1/ingest/snuffelfiets", air_json_body, air_stored, 10)
TELRAAM = Family("telraam", "/v1/ingest/telraam", telraam_body, telraam_stored, 3600)
HEAT = Family("heat", "/v1/ingest/heat", heat_body, heat_stored, 60)
EXPERIENCE = Family("experience", "/v1/ingest/experience", experience_body, experience_stored,
                    60, expect=lambda v: (1 + int(v) % 7) + 7 * (1 + int(v) // 7 % 7))

# 2025-01-01T00:00:00Z: every key lies between it and now.
BASE = 1735689600


def make_uploaders(server, rng, acks):
    ups = []

    def add(family, slug, owners, token=ADMIN_TOKEN, admin=True):
        query = f"?project={slug}" if admin else ""
        u = Uploader(server, family, random.Random(rng.random()), BASE, owners, token, query,
                     acks)
        u.slug = slug
        ups.append(u)

    air = new_project(server, "air")
    imei = str(861000000000000 + rng.randrange(10 ** 12))
    dev = new_device(server, air, imei)
    add(AIR_CSV, air, [imei], dev["token"], admin=False)
    air2 = new_project(server, "air")
    add(AIR_JSON, air2, [str(862000000000000 + rng.randrange(10 ** 12)) for _ in range(3)])

    traffic = new_project(server, "traffic")
    segs = [77000000000 + rng.randrange(10 ** 9) for _ in range(2)]
    admin_post(server, f"/v1/segments?project={traffic}", json={
        "type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"segment_id": s},
             "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}}
            for s in segs]})
    add(TELRAAM, traffic, segs)

    heat = new_project(server, "heat")
    station = new_device(server, heat, "station-" + uuid.uuid4().hex[:8])
    add(HEAT, heat, [""], station["token"], admin=False)
    heat2 = new_project(server, "heat")
    add(HEAT, heat2, ["tuin-" + uuid.uuid4().hex[:8] for _ in range(2)])

    exp = new_project(server, "experience")
    app = new_device(server, exp, "app-" + uuid.uuid4().hex[:8])
    add(EXPERIENCE, exp, [""], app["token"], admin=False)
    exp2 = new_project(server, "experience")
    add(EXPERIENCE, exp2, ["sheet-" + uuid.uuid4().hex[:8] for _ in range(2)])
    return ups


def wait_recovered(server, t0, acks):
    """Seconds from t0 until /readyz answers 200 and an upload after that was acknowledged."""
    deadline = t0 + RECOVERY_LIMIT_S
    while not ready(server):
        assert time.monotonic() < deadline, "/readyz did not come back:\n" + \
            server.log_text()[-3000:]
        time.sleep(0.05)
    t_ready = time.monotonic()
    while not acks or acks[-1] < t_ready:
        assert time.monotonic() < deadline, "no upload was acknowledged after recovery"
        time.sleep(0.02)
    return acks[-1] - t0


def kill_once(what, server, cluster, acks):
    """Kills `what`, brings back what the operator would, and returns the recovery time."""
    t0 = time.monotonic()
    if what == "server":
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        server.log.close()
        server.start(wait=False)
        return wait_recovered(server, t0, acks)
    pid_before = server.proc.pid
    if what == "postmaster":
        pm = postmaster_pid(cluster)
        os.kill(pm, signal.SIGKILL)
        restart_cluster(cluster, pm)
    else:  # one backend: PostgreSQL ends every session and recovers on its own
        backends = server_backends(cluster)
        if not backends:
            return None
        os.kill(random.choice(backends), signal.SIGKILL)
        # The reset ends every other session too: wait for it, so that the time measured
        # is the recovery from it and not a look before it began.
        deadline = t0 + RECOVERY_LIMIT_S
        while any(alive(pid) for pid in backends):
            assert time.monotonic() < deadline, "PostgreSQL did not reset after a backend died"
            time.sleep(0.01)
    took = wait_recovered(server, t0, acks)
    assert server.proc.poll() is None and server.proc.pid == pid_before, \
        "the server did not survive a database crash"
    return took


def compare(cluster, ups):
    """(acknowledged, present, duplicate rows, lost keys, extra keys, wrong values)."""
    by_slug = {}
    for u in ups:
        by_slug.setdefault(u.slug, []).append(u)
    acked = present = dups = 0
    lost, extra, wrong = [], [], []
    for slug, group in by_slug.items():
        stored = group[0].family.stored(cluster, slug)
        sent = {}
        for u in group:
            sent.update(u.sent)
            acked += u.acked
        for t, rows in stored.items():
            present += len(rows)
            if t not in sent:
                extra.append((slug, t))
                continue
            for owner, v in rows:
                want = group[0].family.expect(sent[t][1])
                if abs(v - want) > 1e-3:
                    wrong.append((slug, t, v, want))
            # The uploaders give every reading of a project its own time: a second row
            # at a time is a natural key stored twice.
            dups += len(rows) - 1
        lost += [(slug, t) for t in sent if t not in stored]
    return acked, present, dups, lost, extra, wrong


def check_trips(cluster, ups):
    """The Snuffelfiets trips stay merged intervals (none within 30 minutes of another)
    and every reading lies in a trip of its device."""
    for u in ups:
        if u.family not in (AIR_CSV, AIR_JSON):
            continue
        bad = cluster.psql(
            "SELECT count(*) FROM trip a JOIN trip b ON a.device_id = b.device_id AND a.id < b.id"
            " AND a.started_at < b.ended_at + interval '30 minutes'"
            " AND b.started_at < a.ended_at + interval '30 minutes'"
            " JOIN device d ON d.id = a.device_id JOIN project p ON p.id = d.project_id"
            f" WHERE p.slug = '{u.slug}'")
        assert bad == "0", f"{u.family.name}: {bad} pairs of trips should have been merged"
        outside = cluster.psql(
            "SELECT count(*) FROM air_reading a JOIN device d ON d.id = a.device_id"
            " JOIN project p ON p.id = d.project_id WHERE p.slug = "
            f"'{u.slug}' AND NOT EXISTS (SELECT 1 FROM trip t WHERE t.device_id = a.device_id"
            " AND a.recorded_at BETWEEN t.started_at AND t.ended_at)")
        assert outside == "0", f"{u.family.name}: {outside} readings lie in no trip"


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kills_lose_nothing_acknowledged_and_store_nothing_twice(env, trial):
    folder, cluster, server = env
    rng = random.Random(SEED * 1000 + trial)
    started = time.monotonic()
    acks = []
    ups = make_uploaders(server, rng, acks)
    for u in ups:
        u.start()
    # The kills: at least one of the server and one of PostgreSQL in every trial.
    kinds = ["server", rng.choice(["postmaster", "backend"])]
    kinds += [rng.choice(["server", "postmaster", "backend"]) for _ in range(KILLS - 2)]
    rng.shuffle(kinds)
    spacing = TRIAL_SECONDS / (len(kinds) + 1)
    recoveries = []
    try:
        for what in kinds:
            time.sleep(rng.uniform(0.2, 2 * spacing))
            took = kill_once(what, server, cluster, acks)
            recoveries.append((what, took))
        time.sleep(rng.uniform(0.2, spacing))
    finally:
        for u in ups:
            u.stop.set()
        for u in ups:
            u.join(timeout=4 * RECOVERY_LIMIT_S + 10)
    assert all(not u.is_alive() for u in ups), "an uploader did not finish"

    acked, present, dups, lost, extra, wrong = compare(cluster, ups)
    accepted = sum(u.accepted for u in ups)
    retries = sum(u.unacked for u in ups)
    rec = ", ".join(f"{w} {t:.2f} s" if t is not None else f"{w} (no backend)"
                    for w, t in recoveries)
    print(f"trial {trial}: kills {len(recoveries)} [{rec}]; acknowledged {acked}, "
          f"present {present}, duplicates {dups}, lost {len(lost)}, extra {len(extra)}, "
          f"unacknowledged attempts {retries}, accepted {accepted}; "
          f"{time.monotonic() - started:.1f} s")
    problems = [p for u in ups for p in u.unexpected]
    assert not problems, problems[:5]
    assert not lost, f"{len(lost)} acknowledged readings are missing, e.g. {lost[:5]}"
    assert not extra, f"{len(extra)} readings were stored that were never sent: {extra[:5]}"
    assert dups == 0, f"{dups} readings are stored twice"
    assert not wrong, f"stored values differ from those sent: {wrong[:5]}"
    assert present == acked
    # The answers never claimed more than what is there: a batch that committed but
    # whose answer was lost comes back as duplicates when it is retried.
    assert accepted <= present
    check_trips(cluster, ups)
    # And the service works after the last kill: ready, and it takes a new upload.
    assert ready(server)
    probe = new_project(server, "heat")
    got = admin_post(server, f"/v1/ingest/heat?project={probe}",
                     json={"time": iso(BASE), "temperature": 20, "humidity": 50,
                           "station": "probe"})
    assert got["accepted"] == 1
