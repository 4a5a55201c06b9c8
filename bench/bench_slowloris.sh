#!/usr/bin/env bash
# Slow clients (issue #12): BENCH_SLOW_CONNECTIONS (default 1,000) connections
# from 127.0.0.1 trickle headers or bodies a byte at a time while another
# client, from 127.0.0.2, reads /v1/projects/{slug} for BENCH_SLOW_SECONDS
# (default 10). Prints that client's p50 and p99 (target < 50 ms), how many
# trickling connections the server still holds at the end, and the server's
# RSS and peak RSS (target < 256 MiB). The server runs with its defaults but a
# request deadline of 5 s, so the window sees trickling connections closed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
. bench/lib.sh
ulimit -n "$(ulimit -Hn)"

bench_start_server "$build" SAMENMETEN_REQUEST_DEADLINE_S=5
/usr/bin/python3 - "$bench_port" "$bench_admin" "$bench_server_pid" \
  "${BENCH_SLOW_CONNECTIONS:-1000}" "${BENCH_SLOW_SECONDS:-10}" <<'PY'
import http.client
import json
import socket
import sys
import threading
import time

port, admin, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
count, window = int(sys.argv[4]), float(sys.argv[5])

c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("POST", "/v1/projects", json.dumps({"slug": "slow", "name": "x", "kind": "air",
                                              "licence": "CC0-1.0"}),
          {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"})
assert c.getresponse().status == 201


def vm(key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024


socks, lock, stop = [], threading.Lock(), threading.Event()
refused = 0


def open_some(n):
    global refused
    for i in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            if i % 2:
                s.sendall(b"GET /v1/projects HTTP/1.1\r\nHost: x\r\n")
            else:
                s.sendall(b"POST /v1/ingest/ttn HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          b"application/json\r\nContent-Length: 100000\r\n\r\n{")
            with lock:
                socks.append(s)
        except OSError:
            refused += 1
            s.close()


def trickle():
    while not stop.wait(1.0):
        with lock:
            for s in socks:
                try:
                    s.send(b"X")
                except OSError:
                    pass


openers = [threading.Thread(target=open_some, args=(count // 4,)) for _ in range(4)]
for t in openers:
    t.start()
trickler = threading.Thread(target=trickle)
trickler.start()

times, bad = [], 0
end = time.monotonic() + window
other = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                   source_address=("127.0.0.2", 0))
while time.monotonic() < end:
    t0 = time.perf_counter()
    try:
        other.request("GET", "/v1/projects/slow")
        r = other.getresponse()
        r.read()
        bad += r.status != 200
    except OSError:
        bad += 1
        other.close()
        other = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                           source_address=("127.0.0.2", 0))
    times.append(time.perf_counter() - t0)
    time.sleep(0.01)
for t in openers:
    t.join()
rss, hwm = vm("VmRSS"), vm("VmHWM")
stop.set()
trickler.join()
held = 0
for s in socks:
    try:
        s.setblocking(False)
        if not s.recv(1 << 16):
            continue  # closed by the server
        held += 1  # an answer: the server still serves it
    except BlockingIOError:
        held += 1
    except OSError:
        pass
    s.close()
times.sort()
p = lambda q: times[min(len(times) - 1, int(len(times) * q))] * 1000
print(f"{len(socks)} trickling connections opened ({refused} refused at connect); "
      f"{held} still held after {window:.0f} s")
print(f"other client: {len(times)} requests, {bad} failed, p50 {p(0.5):.2f} ms, "
      f"p99 {p(0.99):.2f} ms, max {times[-1] * 1000:.2f} ms")
print(f"server: RSS {rss:.1f} MiB, peak RSS {hwm:.1f} MiB")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
