#!/usr/bin/env bash
# `make bench`: benchmarks that print figures (they never pass or fail on a
# time). Each starts its own durable PostGIS cluster in /tmp and the real
# server on loopback, and stops both.
#
#   bench/run.sh [BUILD] [threads ...]   default: every benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
tools/deps.sh bench
make -s
for b in bench/bench_*.sh; do
  # The sustained load runs for minutes: `make bench-sustained`.
  [ "$b" = bench/bench_sustained.sh ] && continue
  echo "== $(basename "$b" .sh)"
  "$b" "$build"
done
