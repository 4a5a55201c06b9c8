"""Load generator of bench/bench_sustained.sh: a national fleet uploading at a fixed
rate while dashboards read, for a bounded time, with figures printed every minute.

    sustained_load.py PORT ADMIN_TOKEN DB_URL SERVER_PID PGDATA

Settings from the environment (defaults in brackets):
  SUSTAIN_SECONDS [600]   how long the load runs; it then stops by itself
  SUSTAIN_RATE [5000]     readings a second, all families together
  SUSTAIN_DEVICES [2000]  devices, each with its own token: 80 % Snuffelfiets bikes,
                          10 % Telraam cameras (a road segment each), 10 % heat stations
  SUSTAIN_BATCH [30]      readings per bike upload (5 minutes of riding)
  SUSTAIN_DASH_RATE [20]  dashboard requests a second (aggregates, latest, coverage,
                          segments, stations), open loop
  SUSTAIN_CLIENTS [16]    concurrent uploading connections
  SUSTAIN_REPORT_S [60]   seconds between two lines of figures

Readings are shared out as 96 % air (bikes riding trips of 15 to 65 minutes, a reading
every 10 s, gaps of 20 to 90 minutes between trips), 3 % heat observations (one every 10
minutes per station, 6 per upload) and 1 % Telraam reports (hourly per segment, 6 per
upload); every device's clock starts in the past and moves on by its readings, so no
time lies in the future. Uploads are scheduled at the rate; when the server cannot keep
up they queue (the line says how far behind the schedule the load is).

Every minute (SUSTAIN_REPORT_S), one line: ingest readings/s accepted (and the
target), how far behind the schedule, upload latency p50/p95, dashboard requests/s and latency p50/p95/p99, errors,
the refresher's lag (age of the oldest change waiting in air_day_change) and the days
waiting, the server's RSS, PostgreSQL's memory (PSS of all its processes, shared
buffers counted once), the WAL written in the minute, CPU use (server, PostgreSQL, this
generator, the rest of the machine, in % of one core) and the load average. Then a
summary of the whole run.
"""

import http.client
import json
import math
import os
import queue
import random
import resource
import sys
import threading
import time

import psycopg2

E = os.environ
SECONDS = int(E.get("SUSTAIN_SECONDS", "600"))
RATE = float(E.get("SUSTAIN_RATE", "5000"))
DEVICES = int(E.get("SUSTAIN_DEVICES", "2000"))
BATCH = int(E.get("SUSTAIN_BATCH", "30"))
DASH_RATE = float(E.get("SUSTAIN_DASH_RATE", "20"))
CLIENTS = int(E.get("SUSTAIN_CLIENTS", "16"))
REPORT_S = int(E.get("SUSTAIN_REPORT_S", "60"))
TCK = os.sysconf("SC_CLK_TCK")


class Api:
    def __init__(self, port):
        self.port = port
        self.local = threading.local()

    def call(self, method, path, body=None, token=None, ctype="application/json"):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                                timeout=120)
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None:
            headers["Content-Type"] = ctype
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self.local.conn = None
            return None, repr(e).encode()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Bike:
    def __init__(self, rng, imei, token, now):
        self.rng, self.imei, self.token = rng, imei, token
        self.t = now - 36 * 3600 + rng.uniform(0, 6 * 3600)
        self.lat, self.lon = rng.uniform(52.05, 52.12), rng.uniform(5.05, 5.18)
        self.left = 0

    def batch(self, n):
        r, out = self.rng, []
        for _ in range(n):
            if self.left == 0:
                self.t += r.uniform(20 * 60, 90 * 60)
                self.left = int(r.uniform(90, 390))
                self.heading = r.uniform(0, 6.283)
                self.pm = r.uniform(4, 25)
            self.left -= 1
            self.t += 10
            self.heading += r.gauss(0, 0.25)
            self.lat = min(52.12, max(52.05, self.lat + 0.0004 * math.cos(self.heading)))
            self.lon = min(5.18, max(5.05, self.lon + 0.0006 * math.sin(self.heading)))
            self.pm = min(80, max(1, self.pm + r.gauss(0, 0.4)))
            out.append(f"{iso(self.t)},{self.imei},{self.lat:.6f},{self.lon:.6f},8,80,100,"
                       f"12.5,70,{self.pm * 0.7:.1f},{self.pm:.1f},{self.pm * 1.3:.1f}\n")
        return ("/v1/ingest/snuffelfiets", self.token, "text/csv",
                ("created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,"
                 "pm_2_5,pm_10\n" + "".join(out)).encode(), n, "air")


class Station:
    def __init__(self, rng, token, now):
        self.rng, self.token = rng, token
        self.t = now - 6 * 86400 + rng.uniform(0, 3600)

    def batch(self, n):
        obs = []
        for _ in range(n):
            self.t += 600
            obs.append({"time": iso(self.t), "temperature": round(self.rng.uniform(15, 33), 1),
                        "humidity": round(self.rng.uniform(30, 90), 1)})
        return ("/v1/ingest/heat", self.token, "application/json", json.dumps(obs).encode(), n,
                "heat")


class Camera:
    def __init__(self, rng, token, instance, segment, now):
        self.rng, self.token, self.instance, self.segment = rng, token, instance, segment
        self.t = (int(now) // 3600 - 20 * 24) * 3600

    def batch(self, n):
        reports = []
        for _ in range(n):
            self.t += 3600
            car = round(self.rng.uniform(10, 400), 2)
            reports.append({"instance_id": self.instance, "segment_id": self.segment,
                            "date": iso(self.t), "interval": "hourly", "uptime": 0.8,
                            "car": car, "bike": round(car / 3, 2), "pedestrian": 5.0,
                            "heavy": 2.0, "v85": 40.0})
        return ("/v1/ingest/telraam", self.token, "application/json",
                json.dumps({"report": reports}).encode(), n, "traffic")


def setup(api, admin):
    """Projects, devices with their tokens, and the cameras' segments."""
    rng = random.Random(20261202)
    tag = "%06x" % rng.randrange(1 << 24)
    slugs = {}
    for kind in ("air", "traffic", "heat"):
        slug = f"sustain-{kind}-{tag}"
        status, body = api.call("POST", "/v1/projects", {
            "slug": slug, "name": slug, "kind": kind, "licence": "CC0-1.0"}, admin)
        assert status == 201, body
        slugs[kind] = slug
    n_cam = max(1, DEVICES // 10)
    n_st = max(1, DEVICES // 10)
    n_bike = max(1, DEVICES - n_cam - n_st)
    now = time.time()
    bikes, stations, cameras = [None] * n_bike, [None] * n_st, [None] * n_cam
    lock = threading.Lock()
    jobs = queue.Queue()
    for i in range(n_bike):
        jobs.put(("air", i))
    for i in range(n_st):
        jobs.put(("heat", i))
    for i in range(n_cam):
        jobs.put(("traffic", i))

    def register():
        own = random.Random()
        while True:
            try:
                kind, i = jobs.get_nowait()
            except queue.Empty:
                return
            ext = {"air": str(353000000000000 + i), "heat": f"station-{i}",
                   "traffic": str(9100000000 + i)}[kind]
            status, body = api.call("POST", f"/v1/projects/{slugs[kind]}/devices",
                                    {"external_id": ext, "participant": f"p-{kind}-{i}"}, admin)
            assert status == 201, body
            dev = json.loads(body)
            with lock:
                seed = own.randrange(1 << 30)
            if kind == "air":
                bikes[i] = Bike(random.Random(seed), ext, dev["token"], now)
            elif kind == "heat":
                stations[i] = Station(random.Random(seed), dev["token"], now)
            else:
                seg = 79000000000 + int(tag, 16) * 10000 + i
                lon, lat = 5.05 + (i % 40) * 0.003, 52.05 + (i // 40) * 0.003
                status, body = api.call(
                    "POST", f"/v1/segments?project={slugs[kind]}&device={dev['id']}",
                    {"type": "FeatureCollection", "features": [{
                        "type": "Feature", "properties": {"segment_id": seg},
                        "geometry": {"type": "LineString",
                                     "coordinates": [[lon, lat], [lon + 0.002, lat + 0.001]]}}]},
                    admin)
                assert status == 200, body
                cameras[i] = Camera(random.Random(seed), dev["token"], int(ext), seg, now)

    threads = [threading.Thread(target=register) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return slugs, bikes, stations, cameras


def dashboard_paths(slugs):
    now = time.time()
    frm, to = iso((now // 3600) * 3600 - 2 * 86400), iso((now // 3600) * 3600)
    day = iso((now // 86400 - 1) * 86400)
    nextday = iso((now // 86400) * 86400)
    air = slugs["air"]
    q = f"project={air}&quantity=pm25"
    return [
        f"/v1/aggregates?{q}&space=all&bucket=hour&from={frm}&to={to}",
        f"/v1/aggregates?{q}&space=grid:250&bucket=day&from={day}&to={nextday}",
        f"/v1/aggregates?{q}&space=grid:100&bucket=day&from={day}&to={nextday}",
        f"/v1/aggregates?{q}&space=grid:1000&bucket=hour&from={frm}&to={to}",
        f"/v1/aggregates?{q}&space=all&bucket=day&from={frm}&to={to}&stat=count,mean,max",
        f"/v1/latest?{q}&space=grid:250",
        f"/v1/latest?{q}&space=grid:1000",
        f"/v1/coverage?project={air}&space=grid:1000&from={day}&to={nextday}",
        f"/v1/traffic/segments?project={slugs['traffic']}",
        f"/v1/heat/stations?project={slugs['heat']}",
        "/v1/projects",
    ]


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return 0


def rss_kb(pid, key="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pg_pids(pgdata):
    with open(os.path.join(pgdata, "postmaster.pid")) as f:
        pm = int(f.readline())
    pids = [pm]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pm:
                        pids.append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    return pids


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def main():
    port, admin, db_url, server_pid, pgdata = sys.argv[1:6]
    server_pid = int(server_pid)
    api = Api(int(port))
    t0 = time.time()
    slugs, bikes, stations, cameras = setup(api, admin)
    print(f"set up {len(bikes)} bikes, {len(cameras)} Telraam cameras (a segment each) and "
          f"{len(stations)} heat stations, each with its own token, in {time.time() - t0:.1f} s; "
          f"target {RATE:.0f} readings/s in uploads of {BATCH} (air), {CLIENTS} connections; "
          f"dashboard {DASH_RATE:.0f} requests/s; {SECONDS} s", flush=True)
    db = psycopg2.connect(db_url)
    db.autocommit = True
    cur = db.cursor()
    paths = dashboard_paths(slugs)

    lock = threading.Lock()
    stats = {"air": 0, "heat": 0, "traffic": 0, "ingest_lat": [], "ingest_err": 0,
             "dash_lat": [], "dash_err": 0, "errors": []}
    totals = {"readings": 0, "ingest_lat": [], "dash_lat": [], "ingest_err": 0, "dash_err": 0}
    stop = threading.Event()
    uploads = queue.Queue(maxsize=CLIENTS * 2)
    reads = queue.Queue(maxsize=64)
    sched = {"sent": 0.0, "start": time.time()}

    def behind():
        """Seconds of the schedule not yet handed to a connection."""
        return max(0.0, (RATE * (time.time() - sched["start"]) - sched["sent"]) / RATE)

    def uploader():
        while True:
            job = uploads.get()
            if job is None:
                return
            path, token, ctype, body, n, family = job
            t = time.perf_counter()
            status, answer = api.call("POST", path, body, token, ctype)
            dt = time.perf_counter() - t
            ok = status == 200 and json.loads(answer).get("accepted") == n
            with lock:
                stats["ingest_lat"].append(dt)
                if ok:
                    stats[family] += n
                else:
                    stats["ingest_err"] += 1
                    if len(stats["errors"]) < 5:
                        stats["errors"].append(f"{path}: {status} {answer[:200]!r}")

    def reader():
        while True:
            path = reads.get()
            if path is None:
                return
            t = time.perf_counter()
            status, _ = api.call("GET", path)
            dt = time.perf_counter() - t
            with lock:
                stats["dash_lat"].append(dt)
                if status != 200:
                    stats["dash_err"] += 1
                    if len(stats["errors"]) < 5:
                        stats["errors"].append(f"GET {path}: {status}")

    def schedule_uploads():
        families = [(0.96, bikes, BATCH), (0.03, stations, 6), (0.01, cameras, 6)]
        owed = [0.0, 0.0, 0.0]
        start = sched["start"] = time.time()
        nxt = [0, 0, 0]
        while not stop.is_set():
            due = RATE * (time.time() - start)
            while sched["sent"] < due and not stop.is_set():
                # The family most owed its share goes next.
                for k, (share, _, _) in enumerate(families):
                    owed[k] = share * due - (sched.get(k, 0.0))
                k = max(range(3), key=lambda j: owed[j])
                _, devs, n = families[k]
                dev = devs[nxt[k] % len(devs)]
                nxt[k] += 1
                job = dev.batch(n)
                uploads.put(job)  # blocks while the connections are all busy
                sched[k] = sched.get(k, 0.0) + n
                sched["sent"] += n
            time.sleep(0.01)

    def schedule_reads():
        start, i = time.time(), 0
        while not stop.is_set():
            due = int(DASH_RATE * (time.time() - start))
            while i < due and not stop.is_set():
                try:
                    reads.put(paths[i % len(paths)], timeout=1)
                except queue.Full:
                    with lock:
                        stats["dash_err"] += 1  # the readers cannot keep up: counted as failed
                i += 1
            time.sleep(0.01)

    workers = [threading.Thread(target=uploader) for _ in range(CLIENTS)]
    readers = [threading.Thread(target=reader) for _ in range(8)]
    for t in workers + readers:
        t.start()
    planners = [threading.Thread(target=schedule_uploads), threading.Thread(target=schedule_reads)]
    for t in planners:
        t.start()

    print("#    ingest/s (air+heat+traffic)  target  behind_s  up_p50/p95ms  dash/s  "
          "dash_p50/p95/p99ms  err(up/dash)  refresher_lag_s(days)  server_MB  pg_MB  "
          "WAL_MB/min  cpu%(server/pg/gen/other)  load", flush=True)
    cur.execute("SELECT pg_current_wal_lsn()")
    lsn = cur.fetchone()[0]
    began = time.time()
    last = began
    cpu_last = (proc_ticks(server_pid), sum(proc_ticks(p) for p in pg_pids(pgdata)),
                resource.getrusage(resource.RUSAGE_SELF), machine_ticks())
    minute = 0
    while time.time() - began < SECONDS:
        time.sleep(min(REPORT_S, SECONDS - (time.time() - began)))
        now = time.time()
        span = now - last
        last = now
        minute += 1
        with lock:
            snap = {k: (list(v) if isinstance(v, list) else v) for k, v in stats.items()}
            for k in ("air", "heat", "traffic", "ingest_err", "dash_err"):
                stats[k] = 0
            stats["ingest_lat"], stats["dash_lat"], stats["errors"] = [], [], []
        cur.execute("SELECT pg_current_wal_lsn(), pg_wal_lsn_diff(pg_current_wal_lsn(), %s),"
                    " coalesce(extract(epoch FROM now() - min(noted_at)), 0),"
                    " (SELECT count(*) FROM (SELECT DISTINCT project_id, day"
                    "  FROM air_day_change) d) FROM air_day_change", (lsn,))
        lsn, wal, lag, days = cur.fetchone()
        pids = pg_pids(pgdata)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        cpu_now = (proc_ticks(server_pid), sum(proc_ticks(p) for p in pids), ru, machine_ticks())
        srv = (cpu_now[0] - cpu_last[0]) / TCK / span * 100
        pgc = max(0, cpu_now[1] - cpu_last[1]) / TCK / span * 100
        gen = ((ru.ru_utime + ru.ru_stime) - (cpu_last[2].ru_utime + cpu_last[2].ru_stime)) / span * 100
        other = (cpu_now[3] - cpu_last[3]) / TCK / span * 100 - srv - pgc - gen
        cpu_last = cpu_now
        readings = snap["air"] + snap["heat"] + snap["traffic"]
        totals["readings"] += readings
        totals["ingest_lat"] += snap["ingest_lat"]
        totals["dash_lat"] += snap["dash_lat"]
        totals["ingest_err"] += snap["ingest_err"]
        totals["dash_err"] += snap["dash_err"]
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        print(f"{minute:>3}  {readings / span:8.0f} ({snap['air'] / span:.0f}+{snap['heat'] / span:.0f}"
              f"+{snap['traffic'] / span:.0f})  {RATE:6.0f}  {behind():8.1f}  "
              f"{pct(snap['ingest_lat'], .5):5.0f}/{pct(snap['ingest_lat'], .95):<6.0f}  "
              f"{len(snap['dash_lat']) / span:6.1f}  {pct(snap['dash_lat'], .5):5.0f}/"
              f"{pct(snap['dash_lat'], .95):.0f}/{pct(snap['dash_lat'], .99):<6.0f}  "
              f"{snap['ingest_err']}/{snap['dash_err']}  {float(lag):10.1f} ({days})  "
              f"{rss_kb(server_pid) / 1024:9.0f}  {sum(pss_kb(p) for p in pids) / 1024:5.0f}  "
              f"{float(wal) / 1e6 / span * 60:10.0f}  {srv:.0f}/{pgc:.0f}/{gen:.0f}/{other:.0f}  {load}",
              flush=True)
        for e in snap["errors"]:
            print("     error: " + e, flush=True)
    stop.set()
    for t in planners:
        t.join()
    for _ in workers:
        uploads.put(None)
    for _ in readers:
        reads.put(None)
    for t in workers + readers:
        t.join()
    secs = time.time() - began
    print(f"whole run: {totals['readings'] / secs:.0f} readings/s accepted of {RATE:.0f} "
          f"scheduled ({totals['readings']} in {secs:.0f} s; behind the schedule by "
          f"{behind():.1f} s at the end), uploads p50 {pct(totals['ingest_lat'], .5):.0f} "
          f"p95 {pct(totals['ingest_lat'], .95):.0f} ms; dashboard {len(totals['dash_lat'])} "
          f"requests, p50 {pct(totals['dash_lat'], .5):.0f} p95 {pct(totals['dash_lat'], .95):.0f} "
          f"p99 {pct(totals['dash_lat'], .99):.0f} ms; failed: {totals['ingest_err']} uploads, "
          f"{totals['dash_err']} dashboard requests; server peak RSS "
          f"{rss_kb(server_pid, 'VmHWM') / 1024:.0f} MB", flush=True)
    return 1 if totals["ingest_err"] or totals["dash_err"] else 0


if __name__ == "__main__":
    sys.exit(main())
