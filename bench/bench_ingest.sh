#!/usr/bin/env bash
# Ingest throughput: Snuffelfiets readings through the HTTP API against a
# plain psql COPY of the same rows into a table of the same shape, on the same
# durable cluster (fsync and synchronous_commit on).
#
# bench/ingest_gen.c writes BENCH_ROWS (1,000,000) readings of
# BENCH_INGEST_DEVICES (800) bikes riding trips in Utrecht, twice: as device
# v3 CSV, and converted to air_reading's columns in COPY format.
#  - COPY first: `\copy air_copy FROM file` with psql, one transaction, into
#    air_copy (LIKE air_reading INCLUDING ALL), partitioned by month with the
#    same partitions, primary key and index, in a database of its own with no
#    server on it; only the COPY is timed (a CHECKPOINT before each run).
#  - API: bench/ingest_load.py POSTs the CSV to /v1/ingest/snuffelfiets
#    (admin import, devices auto-registered) in batches of BENCH_INGEST_BATCH
#    (5,000) consecutive rows (4 devices each), from each number of concurrent
#    keep-alive clients in BENCH_INGEST_CLIENTS ("4 8"). BENCH_INGEST_ORDER=live
#    cuts each bike's rows into batches of its own and sends them piece by
#    piece, every bike's first batch, then every bike's second, ... (a live
#    fleet: each batch extends a trip stored before). Each run has a new
#    database (a copy of a migrated template) and a new server, and the
#    server of the run before is stopped first: its refresher may still be
#    recounting that run's days, and nothing of it may write into the next
#    run or hold a lock the next run's set-up needs (a TRUNCATE once died of
#    a deadlock with it). A CHECKPOINT before the clock starts. Every answer
#    must be 200 with accepted = rows sent.
# Every measurement runs BENCH_INGEST_RUNS (2) times. Each run's figures are
# printed as soon as it ends: readings/s, the ratio to the best COPY run so
# far, request latency, CPU seconds and % of one core of the load generator
# (or psql), the server and PostgreSQL, the rest of the machine ("other"),
# the WAL it wrote (pg_current_wal_lsn() difference) with its full-page
# images (pg_stat_wal), the server's peak RSS; then a line saying what else
# ran (load average, the busiest other processes). Prints figures only.
#
# BENCH_PROFILE=1 also loads pg_stat_statements (track = all: statements
# inside functions too) and keeps the WAL of each run, then prints after each
# API run the statements that took the most time and wrote the most WAL, and
# pg_waldump --stats of the run's WAL (by record type, full-page images apart).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
rows=${BENCH_ROWS:-${BENCH_INGEST_ROWS:-1000000}}
devices=${BENCH_INGEST_DEVICES:-800}
batch=${BENCH_INGEST_BATCH:-5000}
clients_list=${BENCH_INGEST_CLIENTS:-4 8}
order=${BENCH_INGEST_ORDER:-file}
runs=${BENCH_INGEST_RUNS:-2}
profile=${BENCH_PROFILE:-0}
[ "$devices" -le "$rows" ] || devices=$rows
if [ "$profile" = 1 ]; then
  BENCH_PG_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
  BENCH_PG_OPTS+=" -c wal_keep_size=8GB -c track_io_timing=on"
  export BENCH_PG_OPTS
fi
. bench/lib.sh

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -tA "$bench_db_url" "$@"; }
tck=$(getconf CLK_TCK)
pgdata=$bench_dir/pgdata

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
secs_of() { awk -v t="$1" -v k="$tck" 'BEGIN { printf "%.1f", t / k }'; }
# WAL counters of the cluster: bytes (from the LSN), records and full-page images.
wal_now() {
  psql_db -F ' ' -c "SELECT pg_current_wal_lsn(), wal_records, wal_fpi, wal_bytes FROM pg_stat_wal"
}

# 1. The readings.
cc -std=c17 -D_GNU_SOURCE -O2 -o "$bench_dir/ingest_gen" bench/ingest_gen.c -lm
t0=$(date +%s.%N)
"$bench_dir/ingest_gen" "$rows" "$devices" "$bench_dir/readings.csv" "$bench_dir/readings.copy"
t1=$(date +%s.%N)
echo "$rows readings of $devices devices ($(du -m "$bench_dir/readings.csv" | cut -f1) MB of CSV," \
  "$(du -m "$bench_dir/readings.copy" | cut -f1) MB of COPY text), generated in" \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
[ "$profile" = 1 ] && echo "BENCH_PROFILE=1: pg_stat_statements loaded, WAL kept for pg_waldump"

# A migrated template: each run's database is a copy of it.
bench_use_db bench_template
bench_migrate "$build"
[ "$profile" = 1 ] && psql_db -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

fmt='%-5s %3s %5s %8s %8s %5s %6s %6s %10s %10s %10s %6s %7s %6s %9s %6s\n'
printf "$fmt" path cl batch seconds rows/s ratio p50ms p99ms client_cpu server_cpu pg_cpu other \
  WAL_MB per_MB FPI server_MB
echo "(cpu: seconds/% of one core; other = the rest of the machine in % of one core;" \
  "WAL_MB = WAL written during the run, per_MB = per million readings; FPI = full-page images)"
copy_rate=0
# report PATH CLIENTS SECS RATE P50 P99 CLIENT SRV PG OTHER WAL_BYTES FPI HWM
report() {
  local ratio=-
  [ "$copy_rate" != 0 ] && ratio=$(awk -v a="$4" -v c="$copy_rate" 'BEGIN { printf "%.2f", a / c }')
  printf "$fmt" "$1" "$2" "$batch" "$3" "$4" "$ratio" "$5" "$6" \
    "$(secs_of "$7")/$(pct "$7" "$3")%" "$(secs_of "$8")/$(pct "$8" "$3")%" \
    "$(secs_of "$9")/$(pct "$9" "$3")%" "$(pct "${10}" "$3")%" \
    "$(awk -v b="${11}" 'BEGIN { printf "%.0f", b / 1e6 }')" \
    "$(awk -v b="${11}" -v n="$rows" 'BEGIN { printf "%.0f", b / 1e6 * 1e6 / n }')" "${12}" "${13}"
}

# 2. psql COPY of the converted rows into a table of the same shape, in a
# database of its own with no server on it.
range=$(awk -F'\t' 'NR == 1 || $2 < lo { lo = $2 } NR == 1 || $2 > hi { hi = $2 }
  END { print lo "|" hi }' "$bench_dir/readings.copy")
bench_use_db bench_copy bench_template
psql_db -c "CREATE TABLE air_copy (LIKE air_reading INCLUDING ALL) PARTITION BY RANGE (recorded_at)" \
  -c "SELECT ensure_month_partitions('air_copy', '${range%|*}', '${range#*|}')" >/dev/null
for run in $(seq "$runs"); do
  psql_db -c "TRUNCATE air_copy" -c "CHECKPOINT"
  read -r lsn0 rec0 fpi0 _ <<<"$(wal_now)"
  # psql runs bench/ingest_cpu.sh just before and after the COPY (\! runs a
  # shell command; its $PPID is psql), so its backend is counted too.
  psql -X -q -tA -v ON_ERROR_STOP=1 "$bench_db_url" >/dev/null 2>"$bench_dir/copy.err" <<EOF ||
\\! bench/ingest_cpu.sh $pgdata psql=\$PPID >$bench_dir/copy.cpu.before
\\copy air_copy FROM '$bench_dir/readings.copy'
\\! bench/ingest_cpu.sh $pgdata psql=\$PPID >$bench_dir/copy.cpu.after
EOF
    { cat "$bench_dir/copy.err" >&2; exit 1; }
  read -r lsn1 rec1 fpi1 _ <<<"$(wal_now)"
  wal=$(psql_db -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
  b=$bench_dir/copy.cpu.before a=$bench_dir/copy.cpu.after
  secs=$(cpu_diff "$b" "$a" clock)
  pg=$(cpu_diff "$b" "$a" pg)
  psql_cpu=$(cpu_diff "$b" "$a" psql)
  all=$(cpu_diff "$b" "$a" machine)
  rate=$(awk -v n="$rows" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
  [ "$rate" -gt "$copy_rate" ] && copy_rate=$rate
  report COPY 1 "$secs" "$rate" - - "$psql_cpu" 0 "$pg" $((all - psql_cpu - pg)) "$wal" \
    $((fpi1 - fpi0)) -
  echo "      $(bench/cpu_report.sh "$b" "$a" "$$")"
done
check="count(*), count(position), sum(quality), sum(pm25_ugm3::numeric), min(recorded_at), max(recorded_at)"
copy_check=$(psql_db -c "SELECT $check FROM air_copy")

# 3. Through the API, each run on a new database and a new server.
get() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$out"; }
declare -A best_api=()
n=0
for clients in $clients_list; do for run in $(seq "$runs"); do
  n=$((n + 1))
  bench_stop_server
  bench_drop_db "bench_api_$((n - 1))"
  bench_use_db "bench_api_$n" bench_template
  bench_start_server "$build"
  curl -fs -X POST "http://127.0.0.1:$bench_port/v1/projects" -H "Authorization: Bearer $bench_admin" \
    -H 'Content-Type: application/json' \
    -d '{"slug":"ingest","name":"Ingest bench","kind":"air","licence":"CC0-1.0"}' >/dev/null
  psql_db -c "CHECKPOINT"
  [ "$profile" = 1 ] && psql_db -c "SELECT pg_stat_statements_reset()" >/dev/null
  read -r lsn0 rec0 fpi0 _ <<<"$(wal_now)"
  b=$bench_dir/api.cpu.before a=$bench_dir/api.cpu.after
  if ! out=$(/usr/bin/python3 bench/ingest_load.py "$bench_port" "$bench_admin" ingest \
               "$bench_dir/readings.csv" "$batch" "$clients" \
               "bench/ingest_cpu.sh $pgdata server=$bench_server_pid >$bench_dir/api.cpu.\$1" \
               "$order" 2>"$bench_dir/load.err"); then
    echo "API run with $clients clients: failures:" >&2
    cat "$bench_dir/load.err" >&2
  fi
  read -r lsn1 rec1 fpi1 _ <<<"$(wal_now)"
  wal=$(psql_db -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
  pg=$(cpu_diff "$b" "$a" pg)
  srv=$(cpu_diff "$b" "$a" server)
  all=$(cpu_diff "$b" "$a" machine)
  secs=$(get seconds)
  if [ -z "$secs" ]; then
    echo "API   $clients clients: the load generator gave no figures (see above)"
    continue
  fi
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$bench_server_pid/status")
  client=$(awk -v c="$(get cpu_s)" -v k="$tck" 'BEGIN { printf "%.0f", c * k }')
  rate=$(get rows_per_s)
  report API "$clients" "$secs" "$rate" "$(get p50_ms)" "$(get p99_ms)" "$client" "$srv" "$pg" \
    $((all - client - srv - pg)) "$wal" $((fpi1 - fpi0)) "$hwm"
  echo "      $(bench/cpu_report.sh "$b" "$a" "$bench_server_pid" "$$")"
  stored=$(psql_db -c "SELECT count(*) FROM air_reading")
  [ "$stored" -eq "$rows" ] || echo "      API run with $clients clients: $stored rows stored, not $rows" >&2
  [ "$(get failures)" = 0 ] || echo "      API run with $clients clients: $(get failures) failed batches" >&2
  # The API's rows and the COPY's rows must be the same readings.
  api_check=$(psql_db -c "SELECT $check FROM air_reading")
  [ "$api_check" = "$copy_check" ] || echo "      air_reading and air_copy differ: $api_check / $copy_check" >&2
  [ "${best_api[$clients]:-0}" -lt "$rate" ] && best_api[$clients]=$rate
  if [ "$profile" = 1 ]; then
    bench/ingest_profile.sh "$bench_db_url" "$pgdata" "$lsn0" "$lsn1" "$rows"
  fi
done; done
bench_stop_server

echo "ratio = rows/s / the best COPY run's rows/s. A run with high 'other' CPU is not comparable."
for clients in $clients_list; do
  awk -v c="$clients" -v a="${best_api[$clients]}" -v copy="$copy_rate" -v b="$batch" -v n="$runs" \
    'BEGIN { printf "best of %d: API, %d clients, batches of %d: %d readings/s = %.2f x psql COPY" \
      " (%d/s) (target: >= 0.5)\n", n, c, b, a, a / copy, copy }'
done
