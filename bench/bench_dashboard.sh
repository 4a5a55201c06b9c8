#!/usr/bin/env bash
# Time to a drawn map: the dashboard in headless Chromium (Debian's, through
# playwright-core) on loopback, from navigation to 10,000 grid:100 cells drawn
# (one synthetic reading per cell, a project with k_anonymity 1), five runs
# after a warm-up. Also the API answer alone (curl) and the page's files. The
# target is under 1 s; figures need a quiet machine.
#   bench/bench_dashboard.sh [BUILD] [N]   N x N cells (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
n=${2:-100}
tools/web-vendor.sh
[ -d tests/browser/node_modules ] ||
  (cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
. bench/lib.sh
bench_start_server "$build" SAMENMETEN_WEB_DIR="$PWD/web"
base="http://127.0.0.1:$bench_port"
slug=bench-cells
curl -fsS -H "Authorization: Bearer $bench_admin" -H 'Content-Type: application/json' \
  -d "{\"slug\":\"$slug\",\"name\":\"cells\",\"kind\":\"air\",\"licence\":\"CC0-1.0\",\"k_anonymity\":1,\"trim_min_m\":0}" \
  "$base/v1/projects" >/dev/null
node bench/dashboard_cells.mjs "$n" 2025-03-04 >"$bench_dir/cells.csv"
echo "ingest: $(curl -fsS -H "Authorization: Bearer $bench_admin" -H 'Content-Type: text/csv' \
  --data-binary @"$bench_dir/cells.csv" "$base/v1/ingest/snuffelfiets?project=$slug")" | cut -c1-120

view="q=pm25&space=grid:100&show=mean&period=day&date=2025-03-04&project=$slug"
api="$base/v1/aggregates?space=grid:100&project=$slug&limit=10000&quantity=pm25&stat=count,mean,max&bucket=day&from=2025-03-04T00:00:00Z&to=2025-03-05T00:00:00Z"
cells=$(curl -fsS "$api" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).items.length))')
echo "cells in the API's answer: $cells"
for i in 1 2 3; do
  curl -fsS -o /dev/null -w "api alone: %{time_total} s, %{size_download} bytes\n" "$api"
done
curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' \
  -w "page files: leaflet %{size_download} bytes gzip\n" "$base/vendor/leaflet-1.9.4.js"

node tests/browser/dashboard.mjs bench "$base/#/air?$view" >/dev/null # warm-up
for i in 1 2 3 4 5; do
  node tests/browser/dashboard.mjs bench "$base/#/air?$view" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);
      console.log(`run: ${r.cells} cells drawn ${r.sinceNavigation} ms after navigation` +
        ` (cells requested at ${r.dataRequested} ms, received at ${r.dataReceived} ms; driver wall ${r.wallMs} ms)`)})'
done
