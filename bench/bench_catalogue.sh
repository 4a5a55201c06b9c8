#!/usr/bin/env bash
# The project catalogue (GET /v1/projects, /v1/projects/{slug}): requests per
# second from the server's rendered copy, whatever the readings stored. Loads
# the Snuffelfiets fixture into BENCH_CATALOGUE_PROJECTS projects (default 10:
# 57,040 readings), waits for the refresher to count them, then wrk (2 threads,
# 64 connections, 5 s) on the list, one project, and the list with
# If-None-Match (304).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
. bench/lib.sh

projects=${BENCH_CATALOGUE_PROJECTS:-10}
bench_start_server "$build"
base="http://127.0.0.1:$bench_port"
for i in $(seq "$projects"); do
  curl -fs -X POST "$base/v1/projects" -H "Authorization: Bearer $bench_admin" \
    -H 'Content-Type: application/json' \
    -d "{\"slug\":\"bench-$i\",\"name\":\"Bench $i\",\"kind\":\"air\",\"licence\":\"CC0-1.0\"}" >/dev/null
  curl -fs -X POST "$base/v1/ingest/snuffelfiets?project=bench-$i" \
    -H "Authorization: Bearer $bench_admin" -H 'Content-Type: text/csv' \
    --data-binary @tests/fixtures/snuffelfiets/platform-export-2024-11-11.csv >/dev/null
done
# The refresher has counted them when every project shows its readings.
for _ in $(seq 300); do
  counted=$(curl -fs "$base/v1/projects" | grep -o '"readings": [1-9]' | wc -l)
  [ "$counted" -ge "$projects" ] && break
  sleep 1
done
readings=$(psql -X -At -d "$bench_db_url" -c "SELECT count(*) FROM air_reading")
echo "projects: $projects, readings stored: $readings, counted in the catalogue: $counted"
etag=$(curl -fsI "$base/v1/projects" | awk -F': ' 'tolower($1) == "etag" {print $2}' | tr -d '\r')

printf '%-34s %10s %10s %10s\n' request req/s p50_ms p99_ms
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0; else printf "%.2f", v * 1000 }'; }
run() {
  local label=$1; shift
  local out rps p50 p99
  out=$(wrk -t2 -c64 -d5s --latency "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '%-34s %10s %10s %10s\n' "$label" "$rps" "$(ms "$p50")" "$(ms "$p99")"
}
run "GET /v1/projects" "$base/v1/projects"
run "GET /v1/projects/bench-1" "$base/v1/projects/bench-1"
run "GET /v1/projects (If-None-Match)" -H "If-None-Match: $etag" "$base/v1/projects"
run "GET /healthz (no database)" "$base/healthz"
