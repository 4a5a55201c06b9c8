#!/usr/bin/env bash
# Ingest throughput: Snuffelfiets readings through the HTTP API against a
# plain psql COPY of the same rows into a table of the same shape, on the same
# durable cluster (fsync and synchronous_commit on).
#
# bench/ingest_gen.c writes BENCH_INGEST_ROWS (1,000,000) readings of
# BENCH_INGEST_DEVICES (800) bikes riding trips in Utrecht, twice: as device
# v3 CSV, and converted to air_reading's columns in COPY format.
#  - API: bench/ingest_load.py POSTs the CSV to /v1/ingest/snuffelfiets
#    (admin import, devices auto-registered) in batches of BENCH_INGEST_BATCH
#    (5,000) consecutive rows (4 devices each), from each number of concurrent
#    keep-alive clients in BENCH_INGEST_CLIENTS ("4 8"). Before each run
#    air_reading, trip and the project's devices are emptied, the server is
#    restarted (default settings: http_threads 4, database_pool_size 8) and a
#    CHECKPOINT is taken, so every run starts alike. Every answer must be 200
#    with accepted = rows sent.
#  - COPY: `\copy air_copy FROM file` with psql, one transaction, into
#    air_copy (LIKE air_reading INCLUDING ALL), partitioned by month with the
#    same partitions, primary key and index; only the COPY is timed (the
#    table is emptied and a CHECKPOINT taken before each run).
# Every measurement runs BENCH_INGEST_RUNS (2) times. Prints, per run,
# readings/s, the ratio to the best COPY run, request latency, the CPU used by
# the load generator (or psql), the server, PostgreSQL and the rest of the
# machine (100% = one core), the WAL written and the server's peak RSS
# (VmHWM); then the ratio of the best runs. Prints figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
rows=${BENCH_INGEST_ROWS:-1000000}
devices=${BENCH_INGEST_DEVICES:-800}
batch=${BENCH_INGEST_BATCH:-5000}
clients_list=${BENCH_INGEST_CLIENTS:-4 8}
runs=${BENCH_INGEST_RUNS:-2}
. bench/lib.sh

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -tA "$bench_db_url" "$@"; }
tck=$(getconf CLK_TCK)

# cpu_diff BEFORE AFTER KEY: what changed between two bench/ingest_cpu.sh
# outputs: seconds for "clock", CPU ticks for a label, or for "pg" the ticks
# of every PostgreSQL process alive at the end (those started in between count
# from zero).
cpu_diff() {
  awk -v k="$3" 'NR == FNR { b[$1] = $2; next }
    k == "pg" && $1 ~ /^pg:/ { s += $2 - b[$1] } $1 == k { s = $2 - b[$1] }
    END { printf(k == "clock" ? "%.3f\n" : "%d\n", s) }' "$1" "$2"
}
pct() { awk -v t="$1" -v s="$2" -v k="$tck" 'BEGIN { printf "%.0f", 100 * t / k / s }'; }

# 1. The readings.
cc -std=c17 -D_GNU_SOURCE -O2 -o "$bench_dir/ingest_gen" bench/ingest_gen.c -lm
t0=$(date +%s.%N)
"$bench_dir/ingest_gen" "$rows" "$devices" "$bench_dir/readings.csv" "$bench_dir/readings.copy"
t1=$(date +%s.%N)
echo "$rows readings of $devices devices ($(du -m "$bench_dir/readings.csv" | cut -f1) MB of CSV," \
  "$(du -m "$bench_dir/readings.copy" | cut -f1) MB of COPY text), generated in" \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

bench_start_server "$build"
curl -fs -X POST "http://127.0.0.1:$bench_port/v1/projects" -H "Authorization: Bearer $bench_admin" \
  -H 'Content-Type: application/json' \
  -d '{"slug":"ingest","name":"Ingest bench","kind":"air","licence":"CC0-1.0"}' >/dev/null

fmt='%-5s %7s %6s %8s %8s %6s %7s %7s %11s %11s %13s %10s %7s %10s\n'
results=()

# 2. Through the API.
get() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$out"; }
for clients in $clients_list; do for _ in $(seq "$runs"); do
  psql_db -c "TRUNCATE air_reading, trip" \
    -c "DELETE FROM device WHERE project_id = (SELECT id FROM project WHERE slug = 'ingest')"
  bench_start_server "$build"
  psql_db -c "CHECKPOINT"
  lsn0=$(psql_db -c "SELECT pg_current_wal_lsn()")
  if ! out=$(/usr/bin/python3 bench/ingest_load.py "$bench_port" "$bench_admin" ingest \
               "$bench_dir/readings.csv" "$batch" "$clients" \
               "bench/ingest_cpu.sh $bench_dir/pgdata server=$bench_server_pid >$bench_dir/api.cpu.\$1" \
               2>"$bench_dir/load.err"); then
    echo "API run with $clients clients: failures:" >&2
    cat "$bench_dir/load.err" >&2
  fi
  pg=$(cpu_diff "$bench_dir/api.cpu.before" "$bench_dir/api.cpu.after" pg)
  srv=$(cpu_diff "$bench_dir/api.cpu.before" "$bench_dir/api.cpu.after" server)
  all=$(cpu_diff "$bench_dir/api.cpu.before" "$bench_dir/api.cpu.after" machine)
  wal=$(psql_db -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0') / 1e6)")
  secs=$(get seconds)
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$bench_server_pid/status")
  stored=$(psql_db -c "SELECT count(*) FROM air_reading")
  [ "$stored" -eq "$rows" ] || echo "API run with $clients clients: $stored rows stored, not $rows" >&2
  [ "$(get failures)" = 0 ] || echo "API run with $clients clients: $(get failures) failed batches" >&2
  client=$(awk -v c="$(get cpu_s)" -v k="$tck" 'BEGIN { printf "%.0f", c * k }')
  results+=("API $clients $batch $secs $(get rows_per_s) $(get p50_ms) $(get p99_ms)
    $(pct "$client" "$secs") $(pct "$srv" "$secs") $(pct "$pg" "$secs")
    $(pct $((all - client - srv - pg)) "$secs") $wal $hwm")
done; done

# 3. psql COPY of the converted rows into a table of the same shape.
psql_db -c "CREATE TABLE air_copy (LIKE air_reading INCLUDING ALL) PARTITION BY RANGE (recorded_at)" \
  -c "SELECT ensure_month_partitions('air_copy', min(recorded_at), max(recorded_at)) FROM air_reading" \
  >/dev/null
for _ in $(seq "$runs"); do
  psql_db -c "TRUNCATE air_copy" -c "CHECKPOINT"
  # psql runs bench/ingest_cpu.sh just before and after the COPY (\! runs a
  # shell command; its $PPID is psql), so its backend is counted too.
  psql -X -q -tA -v ON_ERROR_STOP=1 "$bench_db_url" >"$bench_dir/copy.wal" 2>"$bench_dir/copy.err" <<EOF ||
SELECT pg_current_wal_lsn() AS lsn0 \\gset
\\! bench/ingest_cpu.sh $bench_dir/pgdata psql=\$PPID >$bench_dir/copy.cpu.before
\\copy air_copy FROM '$bench_dir/readings.copy'
\\! bench/ingest_cpu.sh $bench_dir/pgdata psql=\$PPID >$bench_dir/copy.cpu.after
SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), :'lsn0') / 1e6);
EOF
    { cat "$bench_dir/copy.err" >&2; exit 1; }
  secs=$(cpu_diff "$bench_dir/copy.cpu.before" "$bench_dir/copy.cpu.after" clock)
  pg=$(cpu_diff "$bench_dir/copy.cpu.before" "$bench_dir/copy.cpu.after" pg)
  psql_cpu=$(cpu_diff "$bench_dir/copy.cpu.before" "$bench_dir/copy.cpu.after" psql)
  all=$(cpu_diff "$bench_dir/copy.cpu.before" "$bench_dir/copy.cpu.after" machine)
  results+=("COPY 1 all $secs $(awk -v n="$rows" -v s="$secs" 'BEGIN { printf "%.0f", n / s }') - -
    $(pct "$psql_cpu" "$secs") - $(pct "$pg" "$secs") $(pct $((all - psql_cpu - pg)) "$secs")
    $(tail -1 "$bench_dir/copy.wal") -")
done

# The API's rows and the COPY's rows must be the same readings.
check="count(*), count(position), sum(quality), sum(pm25_ugm3::numeric), min(recorded_at), max(recorded_at)"
a=$(psql_db -c "SELECT $check FROM air_reading"); b=$(psql_db -c "SELECT $check FROM air_copy")
[ "$a" = "$b" ] || echo "air_reading and air_copy differ: $a / $b" >&2

# The best run of each kind.
best=$(for r in "${results[@]}"; do echo $r; done |
  awk '{ k = $1 " " $2; if ($5 > best[k]) best[k] = $5 } END { for (k in best) print k, best[k] }')
copy_rate=$(awk '$1 == "COPY" { print $3 }' <<<"$best")

printf "$fmt" path clients batch seconds rows/s ratio p50_ms p99_ms client_cpu% server_cpu% \
  postgres_cpu% other_cpu% WAL_MB server_MB
for r in "${results[@]}"; do
  read -r path clients bsize secs rate p50 p99 ccpu scpu pgcpu ocpu wal hwm <<<"$(tr '\n' ' ' <<<"$r")"
  ratio=$(awk -v a="$rate" -v c="$copy_rate" 'BEGIN { printf "%.2f", a / c }')
  printf "$fmt" "$path" "$clients" "$bsize" "$secs" "$rate" "$ratio" "$p50" "$p99" "$ccpu" "$scpu" \
    "$pgcpu" "$ocpu" "$wal" "$hwm"
done
echo "ratio = rows/s / the best COPY run's rows/s. CPU during each run, 100% = one core of" \
  "$(nproc): client = the load generator (API) or psql (COPY); other = the rest of the machine" \
  "(kernel writeback, anything else running: a high figure spoils the run)."
for clients in $clients_list; do
  awk -v c="$clients" -v copy="$copy_rate" -v b="$batch" -v n="$runs" '$1 == "API" && $2 == c {
    printf "best of %d: API, %d clients, batches of %d: %d readings/s = %.2f x psql COPY (%d/s)" \
      " (target: >= 0.5)\n", n, c, b, $3, $3 / copy, copy }' <<<"$best"
done
