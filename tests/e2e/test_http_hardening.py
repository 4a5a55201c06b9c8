"""The HTTP layer under hostile or unlucky clients (issue #12): request ids, nosniff,
database work off the threads that serve sockets, refusals before the body, slow
clients closed at a deadline, downloads that cannot starve reads, and JSON bodies that
cannot blow up memory."""
import http.client
import os
import re
import resource
import socket
import statistics
import threading
import time
import uuid

import pytest
import requests

from cluster import BIN, Server
from contract import Client
from ingest_data import trip_rows


# AddressSanitizer's redzones and quarantine make a process's RSS say little.
SANITIZED = os.sep + "asan" + os.sep in BIN


def vm(pid, key):
    """VmRSS or VmHWM of a process, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)



def raw(port, data, source="127.0.0.1", timeout=5):
    """Opens a connection from `source`, sends `data`; returns the socket."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    if data:
        s.sendall(data)
    return s


def read_head(s):
    """The status line and headers the server sent, as text (or '' when it closed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1")


# --- 1, 2: request ids and nosniff ------------------------------------------------------

def test_a_request_id_of_the_longest_length_comes_back_exactly(server, anon):
    longest = "A" * 64
    r = anon.get("/v1/projects/x", headers={"X-Request-Id": longest})
    assert r.status_code == 400  # not a slug
    assert r.headers["X-Request-Id"] == longest
    assert r.json()["request_id"] == longest
    too_long = "B" * 65
    r = anon.get("/v1/projects/x", headers={"X-Request-Id": too_long})
    assert r.headers["X-Request-Id"] != too_long
    assert len(r.headers["X-Request-Id"]) == 24
    assert r.json()["request_id"] == r.headers["X-Request-Id"]


def test_every_answer_says_nosniff(server, admin, anon, project):
    answers = [
        anon.get("/healthz"),
        anon.get("/metrics"),
        anon.get("/v1/projects"),
        anon.get("/v1/nothing-here"),
        anon.post("/v1/projects", json={}),
        admin.post("/v1/projects", data=b"x" * 100, headers={"Content-Type": "text/plain"}),
        anon.get(f"/v1/datasets/{project['slug']}"),
    ]
    for r in answers:
        assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.request.url,
                                                                      r.status_code)
    s = raw(server.port, b"POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999"
                         b"\r\n\r\n")
    head = read_head(s)
    s.close()
    assert head.startswith("HTTP/1.1 413") and "X-Content-Type-Options: nosniff" in head


# --- 3: database work off the event threads ---------------------------------------------

@pytest.fixture(scope="module")
def patient(workdir, cluster, admin_token):
    """A server whose open-data queries wait 20 s before they are stopped."""
    s = Server(workdir, cluster.url, admin_token, query_timeout_ms=20000).start()
    admin = Client(s.base, admin_token)
    slug = f"patient-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC0-1.0"}).status_code == 201
    yield s, admin, slug
    assert s.stop() == 0, s.log_text()[-3000:]


def test_health_and_metrics_answer_while_every_read_waits_for_a_lock(patient, cluster):
    s, admin, slug = patient
    hold = cluster.locked("quantity", 6)
    results = []

    def aggregate():
        try:
            results.append(requests.get(f"{s.base}/v1/aggregates",
                                        params={"quantity": "pm25", "project": slug},
                                        timeout=30).status_code)
        except requests.RequestException as e:
            results.append(repr(e))

    readers = [threading.Thread(target=aggregate) for _ in range(16)]
    for t in readers:
        t.start()
    time.sleep(0.5)  # every open-data worker (and, before, every event thread) is waiting
    try:
        for path in ("/healthz", "/metrics", "/healthz"):
            start = time.monotonic()
            r = requests.get(s.base + path, timeout=5)
            took = time.monotonic() - start
            assert r.status_code == 200
            assert took < 1.0, f"{path} took {took:.2f} s while reads waited for a lock"
        # Administration has workers of its own.
        start = time.monotonic()
        r = admin.post("/v1/projects", json={"slug": f"p-{uuid.uuid4().hex[:8]}", "name": "y",
                                             "kind": "air", "licence": "CC0-1.0"})
        assert r.status_code == 201
        assert time.monotonic() - start < 2.0
    finally:
        hold.join()
        for t in readers:
            t.join()
    # The reads waited for the lock and then answered: none was lost or refused.
    assert results.count(200) == 16, results


def test_a_full_queue_answers_busy_with_retry_after(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, query_timeout_ms=20000, open_workers=1,
               open_queue=1).start()
    try:
        hold = cluster.locked("quantity", 4)
        codes = []

        def read():
            codes.append(requests.get(f"{s.base}/v1/quantities", timeout=30))

        first = [threading.Thread(target=read) for _ in range(2)]
        for t in first:
            t.start()
            time.sleep(0.5)
        time.sleep(0.5)  # one runs (waiting for the lock), one waits for the worker
        r = Client(s.base).get("/v1/quantities")
        assert r.status_code == 503
        assert r.json()["type"] == "urn:samenmeten:problem:busy"
        assert r.headers["Retry-After"] == "2"
        assert "open-data reads" in r.json()["detail"]
        hold.join()
        for t in first:
            t.join()
        assert [c.status_code for c in codes] == [200, 200]
    finally:
        assert s.stop() == 0


def pool_figures(base):
    """{(metric, pool): value} of the samenmeten_workpool_* lines of /metrics."""
    r = requests.get(base + "/metrics", timeout=5)
    assert r.status_code == 200
    found = {}
    for m in re.finditer(r'^(samenmeten_workpool_\w+)\{pool="(\w+)"\} (\d+)$', r.text, re.M):
        found[(m.group(1), m.group(2))] = int(m.group(3))
    return found


@pytest.mark.parametrize("queue", [0, 1])
def test_worker_pools_in_metrics_count_running_waiting_and_refused(workdir, cluster,
                                                                   admin_token, queue):
    """/metrics shows each pool's threads, the jobs it runs and queues, and counts
    exactly the requests it refused as busy (503); with open_queue 0 a job still runs
    while a worker is free."""
    s = Server(workdir, cluster.url, admin_token, query_timeout_ms=20000, open_workers=1,
               open_queue=queue, upload_workers=3, admin_workers=2, download_max=2).start()
    release = hold = None
    try:
        before = pool_figures(s.base)
        for pool, threads in (("open", 1), ("upload", 3), ("admin", 2), ("download", 2)):
            assert before[("samenmeten_workpool_threads", pool)] == threads
            for name in ("running", "waiting", "refused_total"):
                assert before[(f"samenmeten_workpool_{name}", pool)] == 0, (name, pool)

        release = threading.Event()
        hold = cluster.locked("quantity", 30, release)
        codes = []

        def read():
            codes.append(requests.get(f"{s.base}/v1/quantities", timeout=30).status_code)

        # One read runs (waiting for the lock) and `queue` wait for the worker.
        blocked = []
        for i in range(1 + queue):
            blocked.append(threading.Thread(target=read))
            blocked[-1].start()
            deadline = time.monotonic() + 10
            while True:
                now = pool_figures(s.base)
                if (now[("samenmeten_workpool_running", "open")],
                        now[("samenmeten_workpool_waiting", "open")]) == (1, i):
                    break
                assert time.monotonic() < deadline, now
                time.sleep(0.05)

        # Every further read is refused at once, and counted once.
        refused = []

        def refused_read():
            refused.append(requests.get(f"{s.base}/v1/quantities", timeout=10))

        extra = [threading.Thread(target=refused_read) for _ in range(5)]
        for t in extra:
            t.start()
        for t in extra:
            t.join()
        busy = [r for r in refused if r.status_code == 503]
        assert len(busy) == 5, [r.status_code for r in refused]
        assert all(r.json()["type"] == "urn:samenmeten:problem:busy" for r in busy)
        during = pool_figures(s.base)
        assert during[("samenmeten_workpool_refused_total", "open")] == len(busy)
        assert during[("samenmeten_workpool_running", "open")] == 1
        assert during[("samenmeten_workpool_waiting", "open")] == queue
        for pool in ("upload", "admin", "download"):
            assert during[("samenmeten_workpool_refused_total", pool)] == 0

        release.set()
        hold.join()
        for t in blocked:
            t.join()
        assert codes == [200] * (1 + queue)
        after = pool_figures(s.base)
        assert after[("samenmeten_workpool_running", "open")] == 0
        assert after[("samenmeten_workpool_waiting", "open")] == 0
        assert after[("samenmeten_workpool_refused_total", "open")] == len(busy)
    finally:
        if release:
            release.set()
            hold.join()
        assert s.stop() == 0


# --- 4: refusals before the body, the request deadline, slow clients --------------------

def test_refusals_are_answered_before_the_body(server, admin, device):
    """Headers announce a 1 MB body that never comes: the answer must not wait for it."""
    cases = [
        (b"POST /v1/ingest/snuffelfiets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
         b"Content-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n", "401"),
        (b"POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         b"Content-Length: 1000000\r\n\r\n", "401"),
        # A device token (looked up in the database) on an admin route.
        (b"POST /v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
         + device["token"].encode() + b"\r\nContent-Type: application/json\r\n"
         b"Content-Length: 1000000\r\n\r\n", "403"),
        # A device token that is not valid.
        (b"POST /v1/ingest/snuffelfiets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer smd_nope"
         b"\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n", "401"),
        (b"POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", "404"),
        (b"PUT /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", "405"),
        (b"POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 99000000\r\n\r\n", "413"),
        (b"POST /v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
         + admin.token.encode() + b"\r\nContent-Type: text/plain\r\n"
         b"Content-Length: 1000000\r\n\r\n", "415"),
    ]
    for request, status in cases:
        s = raw(server.port, request, timeout=3)
        try:
            head = read_head(s)
        except socket.timeout:
            head = "(no answer within 3 s)"
        s.close()
        assert head.startswith(f"HTTP/1.1 {status}"), (request[:60], head[:80])


def test_a_valid_device_upload_is_still_read_whole(server, admin, project):
    imei = "8612345" + uuid.uuid4().hex[:8]
    device = admin.post(f"/v1/projects/{project['slug']}/devices",
                        json={"external_id": imei, "participant": "P-9"}).json()
    body = ("created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,pm_2_5,"
            "pm_10\n2025-03-04T08:00:00Z,%s,52.05,5.12,7,3.9,120,12.5,70,5,10,15\n"
            % imei).encode()
    s = raw(server.port, b"POST /v1/ingest/snuffelfiets HTTP/1.1\r\nHost: x\r\nAuthorization: "
            b"Bearer " + device["token"].encode() + b"\r\nContent-Type: text/csv\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    time.sleep(0.3)  # the token is checked while the body is on its way
    s.sendall(body)
    head = read_head(s)
    s.close()
    assert head.startswith("HTTP/1.1 200"), head


@pytest.fixture
def many_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    yield min(hard, 65536)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_slowloris_cannot_hold_the_server(workdir, cluster, admin_token, many_files):
    """About 1,000 connections from one address trickle headers or bodies; another client
    (another loopback address) keeps being served, and every trickling connection is
    closed at the request deadline."""
    deadline_s = 3
    s = Server(workdir, cluster.url, admin_token, request_deadline_s=deadline_s,
               http_max_connections_per_address=64).start()
    count = min(1000, many_files // 2 - 100)
    assert count >= 300, "raise the open-file limit for this test"
    socks, lock = [], threading.Lock()
    stop = threading.Event()

    def open_trickles(n):
        for i in range(n):
            try:
                if i % 2:
                    c = raw(s.port, b"GET /v1/projects HTTP/1.1\r\nHost: x\r\n", timeout=2)
                else:
                    c = raw(s.port, b"POST /v1/ingest/ttn HTTP/1.1\r\nHost: x\r\n"
                                    b"Content-Type: application/json\r\nContent-Length: 100000"
                                    b"\r\n\r\n{", timeout=2)
                with lock:
                    socks.append(c)
            except OSError:
                pass

    def trickle():
        while not stop.wait(0.5):
            with lock:
                for c in socks:
                    try:
                        c.send(b"X" if c.fileno() >= 0 else b"")
                    except OSError:
                        pass

    opener = [threading.Thread(target=open_trickles, args=(count // 4,)) for _ in range(4)]
    for t in opener:
        t.start()
    trickler = threading.Thread(target=trickle)
    trickler.start()

    # The other client, from 127.0.0.2, during the attack.
    times, failures = [], []
    other = requests.Session()
    other.mount("http://", requests.adapters.HTTPAdapter())
    started = time.monotonic()
    while time.monotonic() - started < deadline_s + 3:
        t0 = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5,
                                           source_address=("127.0.0.2", 0))
            c.request("GET", "/v1/projects")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status != 200:
                failures.append(r.status)
        except OSError as e:
            failures.append(repr(e))
        times.append(time.monotonic() - t0)
        time.sleep(0.05)
    for t in opener:
        t.join()
    rss = vm(s.proc.pid, "VmRSS")

    # Past the deadline every trickling connection has been closed by the server.
    time.sleep(deadline_s + 1.5)
    stop.set()
    trickler.join()
    still_open = 0
    for c in socks:
        try:
            c.setblocking(False)
            data = c.recv(65536)
            if data and not data.startswith(b"HTTP/1.1 4"):
                still_open += 1
        except BlockingIOError:
            still_open += 1  # nothing from the server: the connection is still held
        except OSError:
            pass  # reset: closed
        c.close()
    s.stop()
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1] if times else None
    print(f"{len(socks)} trickling connections; other client {len(times)} requests, "
          f"p50 {statistics.median(times) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; "
          f"server RSS {rss:.1f} MiB")
    assert not failures, failures[:5]
    assert still_open == 0, f"{still_open} of {len(socks)} trickling connections still open"
    assert p99 < 1.0
    assert rss < 256


# --- 6: downloads cannot starve reads ---------------------------------------------------

@pytest.fixture(scope="module")
def downloads(workdir, cluster, admin_token):
    """A server with two downloads at once, a 2 s window for slow readers, and an air
    project whose GeoJSON dataset is far larger than the sockets' buffers."""
    s = Server(workdir, cluster.url, admin_token, download_max=2, download_min_window_s=2,
               download_min_bytes="64k").start()
    admin = Client(s.base, admin_token)
    slug = f"dl-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC0-1.0"}).status_code == 201
    for part in range(8):  # about 12 MB of GeoJSON
        rows = trip_rows(0, 5000, step_s=1, day=f"2025-03-0{part + 1}", step_deg=0.00005)
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", json=[
            {"created_at": t, "imei": f"86123456789{part:04d}", "lat": la, "lon": lo,
             "pm_2_5": pm} for t, la, lo, pm in rows])
        assert r.status_code == 200, r.text
    yield s, admin, slug
    assert s.stop() == 0, s.log_text()[-3000:]


def slow_download(port, slug, token, outcome):
    """Reads a project's point-level readings (the big download) at about 1 kB a second
    through a small receive window (the server's minimum here is 64 KiB in 2 s)."""
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.settimeout(30)
    start = time.monotonic()
    try:
        c.connect(("127.0.0.1", port))
        c.sendall(f"GET /v1/datasets/{slug}/readings?format=geojson HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n".encode())
        head = c.recv(100)
        outcome["status"] = head[9:12].decode()
        if outcome["status"] != "200":
            return
        got = 0
        while True:
            data = c.recv(100)
            if not data:
                break
            got += len(data)
            if data.endswith(b"0\r\n\r\n"):
                outcome["finished"] = True
                break
            time.sleep(0.1)
        outcome["closed_after"] = time.monotonic() - start
        outcome["bytes"] = got
    except OSError as e:
        outcome["error"] = repr(e)
        outcome["closed_after"] = time.monotonic() - start
    finally:
        c.close()


def test_slow_downloads_do_not_starve_reads(downloads, admin_token):
    s, admin, slug = downloads
    outcomes = [{} for _ in range(8)]
    clients = [threading.Thread(target=slow_download, args=(s.port, slug, admin_token, o))
               for o in outcomes]
    for t in clients:
        t.start()
    time.sleep(1)
    anon = Client(s.base)
    codes = []
    start = time.monotonic()
    while time.monotonic() - start < 4:
        codes.append(anon.get("/v1/aggregates", params={"quantity": "pm25", "project": slug,
                                                        "bucket": "day"}).status_code)
        time.sleep(0.2)
    for t in clients:
        t.join(60)
    assert set(codes) == {200}, codes
    statuses = sorted(o.get("status") for o in outcomes)
    assert statuses.count("200") == 2 and statuses.count("503") == 6, outcomes
    for o in outcomes:
        if o.get("status") == "200":
            # Dropped by the server for reading too slowly, well before the end.
            assert not o.get("finished"), o
            assert o.get("closed_after", 99) < 40, o  # after its receive buffer
    dropped = [e for e in s.log_lines() if e.get("route") == "/v1/datasets/{slug}/readings"
               and e.get("status") == 200 and not e.get("completed")]
    assert len(dropped) == 2 and all(e["duration_ms"] < 10000 for e in dropped), dropped
    # A download at full speed still works once they are gone.
    r = admin.get(f"/v1/datasets/{slug}/readings")
    assert r.status_code == 200 and len(r.content) > 2_000_000


# --- 5: JSON bodies cannot blow up memory -----------------------------------------------

@pytest.fixture(scope="module")
def big_bodies(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, max_body_bytes="16M").start()
    admin = Client(s.base, admin_token)
    slug = f"xp-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "experience",
                                            "licence": "CC0-1.0"}).status_code == 201
    yield s, admin, slug
    assert s.stop() == 0, s.log_text()[-3000:]


def test_a_16_mib_array_of_empty_objects_is_refused_unparsed(big_bodies):
    s, admin, slug = big_bodies
    n = (16 * 1024 * 1024 - 2) // 3
    body = b"[" + b",".join([b"{}"] * n) + b"]"
    assert len(body) <= 16 * 1024 * 1024
    r = admin.post(f"/v1/ingest/experience?project={slug}", data=body,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["type"] == "urn:samenmeten:problem:too-many-rows"
    hwm, rss = vm(s.proc.pid, "VmHWM"), vm(s.proc.pid, "VmRSS")
    print(f"16 MiB of [{{}},...]: peak RSS {hwm:.1f} MiB, after {rss:.1f} MiB")
    assert hwm < 200, f"peak RSS {hwm:.0f} MiB"


def test_a_body_whose_tree_would_be_huge_is_refused_within_a_budget(big_bodies):
    """Fewer rows than the cap, but each an array of 48 numbers: 18 times its text."""
    s, admin, slug = big_bodies
    row = b"[" + b",".join([b"1"] * 48) + b"]"
    body = b"[" + b",".join([row] * 80000) + b"]"
    r = admin.post(f"/v1/ingest/experience?project={slug}", data=body,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["type"] == "urn:samenmeten:problem:body-too-large"
    time.sleep(0.5)  # the request completes (and memory goes back) after the answer
    hwm, rss = vm(s.proc.pid, "VmHWM"), vm(s.proc.pid, "VmRSS")
    print(f"{len(body) >> 20} MiB of arrays: peak RSS {hwm:.1f} MiB, after {rss:.1f} MiB")
    if not SANITIZED:
        assert hwm < 200, f"peak RSS {hwm:.0f} MiB"
        assert rss < 100, f"RSS {rss:.0f} MiB after the request"
