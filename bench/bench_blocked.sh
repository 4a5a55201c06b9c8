#!/usr/bin/env bash
# Database work off the event threads (issue #12): 32 aggregate requests wait
# for a lock that a second connection holds on `quantity` (as
# tests/e2e/test_query_timeout.py does); meanwhile 4 keep-alive clients time
# /healthz and one client uploads 100-row batches. Prints the /healthz p50,
# p99 and worst, and the uploads' count and latency. Target: /healthz p99 under
# 10 ms, uploads answered. BENCH_BLOCKED_SECONDS (default 8) sets the window.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
. bench/lib.sh

bench_start_server "$build" SAMENMETEN_QUERY_TIMEOUT_MS=120000
/usr/bin/python3 - "$bench_port" "$bench_admin" "$bench_db_url" "${BENCH_BLOCKED_SECONDS:-8}" <<'PY'
import http.client
import json
import sys
import threading
import time

import psycopg2

port, admin, url, window = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
auth = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}


def call(conn, method, path, body=None, headers=None):
    t0 = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    r.read()
    return r.status, time.perf_counter() - t0


c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
status, _ = call(c, "POST", "/v1/projects", json.dumps(
    {"slug": "blocked", "name": "x", "kind": "air", "licence": "CC0-1.0"}), auth)
assert status == 201, status


def batch(n):
    return json.dumps([{"created_at": f"2025-03-04T08:{n % 60:02d}:{i:02d}Z",
                        "imei": f"8612345678{n // 60:05d}", "lat": 52.05 + i * 1e-4,
                        "lon": 5.12, "pm_2_5": 10 + i % 7} for i in range(50)] +
                      [{"created_at": f"2025-03-04T09:{n % 60:02d}:{i:02d}Z",
                        "imei": f"8612345678{n // 60:05d}", "lat": 52.06 + i * 1e-4,
                        "lon": 5.12, "pm_2_5": 10 + i % 7} for i in range(50)])


status, _ = call(c, "POST", "/v1/ingest/snuffelfiets?project=blocked", batch(0), auth)
assert status == 200, status

lock = psycopg2.connect(url)
cur = lock.cursor()
cur.execute("LOCK TABLE quantity IN ACCESS EXCLUSIVE MODE")

aggregates = []


def aggregate():
    a = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        aggregates.append(call(a, "GET", "/v1/aggregates?quantity=pm25&project=blocked"))
    except OSError as e:
        aggregates.append((repr(e), 0))


readers = [threading.Thread(target=aggregate) for _ in range(32)]
for t in readers:
    t.start()
time.sleep(1.0)  # all 32 are in: running (waiting for the lock) or queued

stop = time.monotonic() + window
health, uploads = [], []


def healthz():
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=window + 5)
    while time.monotonic() < stop:
        try:
            health.append(call(h, "GET", "/healthz"))
        except OSError as e:
            health.append((repr(e), time.monotonic() - (stop - window)))
            return


def upload():
    u = http.client.HTTPConnection("127.0.0.1", port, timeout=window + 5)
    n = 1
    while time.monotonic() < stop:
        try:
            uploads.append(call(u, "POST", "/v1/ingest/snuffelfiets?project=blocked",
                                batch(n), auth))
        except OSError as e:
            uploads.append((repr(e), window))
            return
        n += 1


clients = [threading.Thread(target=healthz) for _ in range(4)] + [threading.Thread(target=upload)]
for t in clients:
    t.start()
for t in clients:
    t.join()
waited = len(aggregates)
lock.rollback()
lock.close()
for t in readers:
    t.join()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else float("nan")


ht = [t for s, t in health]
print(f"window {window:.0f} s with 32 aggregates waiting for a lock "
      f"({waited} of them answered before it was released)")
print(f"/healthz: {len(ht)} requests, {sum(1 for s, _ in health if s != 200)} not 200, "
      f"p50 {pct(ht, 0.5):.2f} ms, p99 {pct(ht, 0.99):.2f} ms, max {pct(ht, 1):.2f} ms")
ut = [t for s, t in uploads]
print(f"uploads (100 readings): {len(ut)} answered, "
      f"{sum(1 for s, _ in uploads if s == 200)} with 200, p50 {pct(ut, 0.5):.1f} ms, "
      f"p99 {pct(ut, 0.99):.1f} ms")
codes = {}
for s, _ in aggregates:
    codes[s] = codes.get(s, 0) + 1
print(f"aggregates after the lock: {codes}")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
