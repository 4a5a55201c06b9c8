#!/usr/bin/env bash
# Which libmicrohttpd threading mode to use: requests per second and latency
# for a route without the database (/healthz) and one with a database read
# (/v1/projects/{slug}), by http_threads (0 = a thread per connection;
# N = an epoll thread pool of N). wrk: 2 threads, 64 connections, 5 s each.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
. bench/lib.sh

bench_start_server "$build"
curl -fs -X POST "http://127.0.0.1:$bench_port/v1/projects" -H "Authorization: Bearer $bench_admin" \
  -H 'Content-Type: application/json' \
  -d '{"slug":"bench","name":"Bench","kind":"air","licence":"CC0-1.0"}' >/dev/null

printf '%-14s %-22s %10s %10s %10s\n' http_threads route req/s p50_ms p99_ms
for threads in ${BENCH_THREADS:-0 1 2 4 8}; do
  bench_start_server "$build" SAMENMETEN_HTTP_THREADS="$threads"
  for route in /healthz /v1/projects/bench; do
    out=$(wrk -t2 -c64 -d5s --latency "http://127.0.0.1:$bench_port$route")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0; else printf "%.2f", v * 1000 }'; }
    printf '%-14s %-22s %10s %10s %10s\n' "$threads" "$route" "$rps" "$(ms "$p50")" "$(ms "$p99")"
  done
done
