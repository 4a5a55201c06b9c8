#!/usr/bin/env bash
# Memory of the worst upload bodies at the body cap (issue #12): for each
# format, a fresh server takes one body of about max_body_bytes (16 MiB) and
# the script prints the answer, the server's peak RSS (VmHWM from
# /proc/PID/status) and its RSS afterwards. Before the fix, 16 MiB of
# `[{},{},...]` took the server from 9 MiB to 1.29 GB and left it at 1.23 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
. bench/lib.sh

bodies="$bench_dir/bodies"
mkdir -p "$bodies"
/usr/bin/python3 - "$bodies" <<'PY'
import os
import sys

out = sys.argv[1]
cap = 16 * 1024 * 1024


def fill(head, item, tail, sep=b","):
    n = (cap - len(head) - len(tail) + len(sep)) // (len(item) + len(sep))
    return head + sep.join([item] * n) + tail


# 90,000 rows (under the 100,000 cap) of 92 numbers each: past the row count,
# only the parse's memory budget stops them.
nested = b"[" + b",".join([b"1"] * 92) + b"]"
keys = b",".join(b'"%x":1' % i for i in range(2_000_000))
bodies = {
    "snuffelfiets-json-empty-objects": fill(b"[", b"{}", b"]"),
    "snuffelfiets-json-nested-arrays": fill(b"[", nested, b"]"),
    "snuffelfiets-csv-short-lines": fill(b"created_at,imei,lat,lon,pm_2_5\n", b"1,2,3,4,5",
                                         b"\n", b"\n"),
    "telraam-empty-objects": fill(b'{"report":[', b"{}", b"]}"),
    "telraam-numbers": fill(b'{"report":[', b"1", b"]}"),
    "heat-empty-arrays": fill(b"[", b"[]", b"]"),
    "experience-empty-objects": fill(b"[", b"{}", b"]"),
    "experience-nested-arrays": fill(b"[", nested, b"]"),
    "areas-empty-features": fill(b'{"type":"FeatureCollection","features":[', b"{}", b"]}"),
    "areas-one-huge-object": b'{"type":"FeatureCollection","x":{' + keys + b"}}",
}
for name, body in bodies.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(body[:cap])
PY

route() {
  case $1 in
    snuffelfiets-csv*) echo "/v1/ingest/snuffelfiets?project=mem-air text/csv" ;;
    snuffelfiets*) echo "/v1/ingest/snuffelfiets?project=mem-air application/json" ;;
    telraam*) echo "/v1/ingest/telraam?project=mem-traffic application/json" ;;
    heat*) echo "/v1/ingest/heat?project=mem-heat application/json" ;;
    experience*) echo "/v1/ingest/experience?project=mem-experience application/json" ;;
    areas*) echo "/v1/areas/mem application/json" ;;
  esac
}

printf '%-34s %8s %6s %-22s %12s %12s\n' body MiB status type peak_MiB after_MiB
for body in "$bodies"/*; do
  name=$(basename "$body")
  bench_start_server "$build" SAMENMETEN_MAX_BODY_BYTES=16M
  for kind in air traffic heat experience; do
    curl -fs -X POST "http://127.0.0.1:$bench_port/v1/projects" \
      -H "Authorization: Bearer $bench_admin" -H 'Content-Type: application/json' \
      -d "{\"slug\":\"mem-$kind\",\"name\":\"m\",\"kind\":\"$kind\",\"licence\":\"CC0-1.0\"}" \
      >/dev/null || true
  done
  read -r path type <<<"$(route "$name")"
  answer=$(curl -s -X POST "http://127.0.0.1:$bench_port$path" \
    -H "Authorization: Bearer $bench_admin" -H "Content-Type: $type" --data-binary "@$body" \
    -w '\n%{http_code}')
  code=$(tail -n1 <<<"$answer")
  problem=$(head -n1 <<<"$answer" | sed -n 's/.*"type":"urn:samenmeten:problem:\([a-z-]*\)".*/\1/p')
  sleep 0.5 # the request completes (and memory goes back) after the answer
  hwm=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$bench_server_pid/status")
  rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$bench_server_pid/status")
  printf '%-34s %8.1f %6s %-22s %12s %12s\n' "$name" \
    "$(awk -v b="$(stat -c %s "$body")" 'BEGIN { print b / 1048576 }')" "$code" \
    "${problem:-ok}" "$hwm" "$rss"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
