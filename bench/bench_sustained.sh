#!/usr/bin/env bash
# Sustained national load (`make bench-sustained`): for SUSTAIN_SECONDS (600)
# a fleet of SUSTAIN_DEVICES (2,000) devices with their own tokens uploads
# SUSTAIN_RATE (5,000) readings a second in small batches (Snuffelfiets
# bikes, Telraam cameras and heat stations together) while dashboards make
# SUSTAIN_DASH_RATE (20) requests a second over the standard aggregates,
# latest, coverage, segments and stations; every minute a line of figures
# (bench/sustained_load.py says which), then a summary. A durable cluster
# (fsync and synchronous_commit on) and the server with its defaults (rate
# limits off), both on this machine; the load stops by itself. Prints
# figures only: a run with other work on the machine (the "other" CPU and
# the load average say so) is not a benchmark.
#
#   bench/bench_sustained.sh [BUILD]
#   SUSTAIN_SECONDS=120 SUSTAIN_RATE=1000 bench/bench_sustained.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
. bench/lib.sh

bench_use_db sustained
bench_migrate "$build"
bench_start_server "$build"
echo "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
status=0
/usr/bin/python3 bench/sustained_load.py "$bench_port" "$bench_admin" "$bench_db_url" \
  "$bench_server_pid" "$bench_dir/pgdata" || status=$?
bench_stop_server
if grep -q '"level":"error"' "$bench_dir/server.log"; then
  echo "server errors:"; grep '"level":"error"' "$bench_dir/server.log" | head -5
fi
exit $status
