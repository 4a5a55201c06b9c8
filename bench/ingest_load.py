"""Load generator for bench/bench_ingest.sh: POSTs a CSV file to
/v1/ingest/snuffelfiets in batches from several concurrent clients.

    ingest_load.py PORT TOKEN PROJECT CSV BATCH_ROWS CLIENTS [HOOK [ORDER]]

The CSV (header + rows, written device by device) is cut into batches of
BATCH_ROWS consecutive rows, each sent with the header as one request; the
batches are read into memory before the clock starts. ORDER "file" (the
default) sends them in file order (a bulk import); "live" cuts each device's
rows (the second column) into batches of its own and sends the first batch
of every device, then the second of every device, and so on, as a fleet of
bikes uploading their rides piece by piece does. Each client is a
thread with its own keep-alive connection that takes the next batch until
none is left. Every answer must be 200 with accepted == the batch's rows;
failures are counted and the first few printed on stderr. HOOK, a shell
command, is run with $1 = "before" right before the clock starts and with
$1 = "after" right after it stops (bench_ingest.sh reads CPU counters there).

Prints one line of key=value figures on stdout: rows, batches, failures,
seconds (wall time of the sending phase), rows_per_s, p50_ms, p99_ms (per
request), cpu_s (this process's user + system CPU during the sending phase).
Exits 1 when any request failed.
"""

import http.client
import json
import resource
import subprocess
import sys
import threading
import time


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    port, token, project, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    batch_rows, clients = int(sys.argv[5]), int(sys.argv[6])
    hook = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
    order = sys.argv[8] if len(sys.argv) > 8 else "file"

    with open(path, "rb") as f:
        header = f.readline()
        lines = f.read().splitlines(keepends=True)
    batches = []
    if order == "live":
        per_device = {}
        for line in lines:
            per_device.setdefault(line.split(b",", 2)[1], []).append(line)
        queues = []
        for rows in per_device.values():
            queues.append([rows[i:i + batch_rows] for i in range(0, len(rows), batch_rows)])
        for k in range(max(len(q) for q in queues)):
            for q in queues:
                if k < len(q):
                    batches.append((len(q[k]), header + b"".join(q[k])))
    else:
        for i in range(0, len(lines), batch_rows):
            chunk = lines[i:i + batch_rows]
            batches.append((len(chunk), header + b"".join(chunk)))
    del lines

    url = f"/v1/ingest/snuffelfiets?project={project}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    lock = threading.Lock()
    state = {"next": 0, "accepted": 0, "failures": 0}
    latencies = []
    errors = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            with lock:
                i = state["next"]
                if i >= len(batches):
                    break
                state["next"] = i + 1
            n, body = batches[i]
            t0 = time.perf_counter()
            try:
                conn.request("POST", url, body=body, headers=headers)
                resp = conn.getresponse()
                answer = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                status, answer = None, repr(e).encode()
            dt = time.perf_counter() - t0
            accepted = None
            if status == 200:
                try:
                    accepted = json.loads(answer).get("accepted")
                except ValueError:
                    pass
            with lock:
                latencies.append(dt)
                if status == 200 and accepted == n:
                    state["accepted"] += n
                else:
                    state["failures"] += 1
                    errors.append(f"batch {i} ({n} rows): status {status}: "
                                  f"{answer[:300].decode(errors='replace')}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    if hook:
        subprocess.run(["sh", "-c", hook, "hook", "before"], check=True)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if hook:
        subprocess.run(["sh", "-c", hook, "hook", "after"], check=True)

    for e in errors[:10]:
        print(e, file=sys.stderr)
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    rows = sum(n for n, _ in batches)
    print(f"rows={rows} accepted={state['accepted']} batches={len(batches)} "
          f"failures={state['failures']} seconds={seconds:.3f} "
          f"rows_per_s={state['accepted'] / seconds:.0f} p50_ms={pct(0.5):.0f} p99_ms={pct(0.99):.0f} "
          f"cpu_s={cpu:.2f}")
    return 1 if state["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
