#!/usr/bin/env bash
# Open data at scale: /v1/aggregates latency and /v1/datasets/{slug}
# download throughput and server memory, over one air project of
# BENCH_OPEN_ROWS (10,000,000) readings, on the durable cluster of bench/lib.sh
# (PostgreSQL's default settings), the server with its defaults.
#
# 1. Load: bench/ingest_gen.c writes BENCH_OPEN_ROWS readings of
#    BENCH_OPEN_DEVICES (800) bikes riding trips in Utrecht over about three
#    months (device v3 CSV). The devices are registered first (one participant
#    each) through POST /v1/projects/open/devices: left to the admin import,
#    two concurrent batches that both start a new device race, and one of them
#    has its rows refused as "not registered". bench/ingest_load.py then posts
#    the CSV to POST /v1/ingest/snuffelfiets?project=open (admin token) in
#    batches of BENCH_OPEN_BATCH (5,000) from BENCH_OPEN_CLIENTS (8) keep-alive
#    clients; the load time is printed. The wait for the server's refresher
#    (cells with participants counted, sql/016_air_cell_period.sql; dataset hours
#    rendered, sql/017_dataset_hours.sql) to catch up is timed,
#    then VACUUM ANALYZE and a CHECKPOINT
#    (timed apart), as autovacuum would do sooner or later.
# 2. Aggregates, each with wrk (BENCH_OPEN_WRK_THREADS 2 threads,
#    each of BENCH_OPEN_WRK_CONNECTIONS ("1 8") connections, --latency; bench/open_wrk.lua
#    prints p50/p95/p99) and, beside it, the same SQL in psql (the median of
#    \timing over BENCH_OPEN_PSQL_RUNS (5) runs, 3 when one takes over 2 s):
#     a  30-day hourly, whole region: the 30 UTC days with the most readings;
#     a+ the same with stat=count,mean,min,max,p50,p90,p98 (percentiles from the
#        histograms of the rollups or counted cells, sql/030; it prints which);
#     b  one day on grid:100: the busiest UTC day;
#     c  one week on hex:250, bucket week: the ISO week of the busiest day;
#     d  one month on area:bench, bucket month: 100 areas (a 10 x 10 lattice
#        of rectangles over the readings, uploaded as an area layer), the
#        month of the busiest day.
#    These runs are of a server with answer_cache_s=0: every request runs the
#    query. Then the server as deployed (answers kept answer_cache_s seconds,
#    requests that come while an answer is computed wait for it) at
#    BENCH_OPEN_CACHED_CONNECTIONS (8) connections ("kept" in the summary),
#    and GET /v1/projects and /healthz with wrk -t2 -c64 -d10s at this size.
#    wrk runs BENCH_OPEN_WRK_SECONDS (15) s, or longer when one request alone
#    takes seconds (about two requests per connection, at most
#    BENCH_OPEN_WRK_MAX_SECONDS, 60): wrk counts only requests that end within
#    its run. wrk sends no If-None-Match, so every request runs the query.
#    Before each aggregate and the downloads the script waits until no query
#    runs (requests wrk gave up on still run to their end in the database).
#    The psql text is the server's own: bench/open_sql.c, linked with the
#    objects of the build under test, runs the query string through
#    agg_parse() and agg_sql() and fills the parameters as
#    server/handlers_open.c does; PREPARE/EXECUTE with
#    plan_cache_mode=force_custom_plan plans each run for its values, as the
#    server's unnamed PQexecParams does. The script checks that psql's answer
#    is the HTTP body, byte for byte.
# 3. Download: the server is restarted (so VmHWM counts the download only),
#    then GET /v1/datasets/open/readings (the points) in each of BENCH_OPEN_FORMATS
#    ("csv ndjson geojson")
#    with curl to /dev/null: MB/s overall, the time to the first byte, and the
#    rate after it; the server's VmRSS is sampled every 0.1 s, VmHWM read
#    after. BENCH_OPEN_DB_COPY=1 also times the database alone: COPY of the
#    same air_dataset_hours() call to /dev/null on the database server.
# 4. A summary against the targets: each aggregate p95 < 50 ms; download
#    >= 100 MB/s (MB = 10^6 bytes) with server RSS < 64 MiB.
#
# BENCH_OPEN_PARTS ("aggregates downloads") chooses the parts after the load:
# BENCH_OPEN_PARTS=downloads skips the aggregates, for quicker runs on the
# downloads alone.
# BENCH_OPEN_EXPLAIN=1 also prints EXPLAIN (ANALYZE, BUFFERS) of each
# aggregate. BENCH_OPEN_HOLD=1 keeps the cluster and the server up at the end
# (until the file it names is removed), for profiling by hand.
# Prints figures; never fails on them. About 10 minutes at the defaults on
# 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
rows=${BENCH_OPEN_ROWS:-10000000}
devices=${BENCH_OPEN_DEVICES:-800}
batch=${BENCH_OPEN_BATCH:-5000}
clients=${BENCH_OPEN_CLIENTS:-8}
wrk_threads=${BENCH_OPEN_WRK_THREADS:-2}
wrk_conns=${BENCH_OPEN_WRK_CONNECTIONS:-1 8}
cached_conns=${BENCH_OPEN_CACHED_CONNECTIONS:-8}
wrk_secs=${BENCH_OPEN_WRK_SECONDS:-15}
wrk_max=${BENCH_OPEN_WRK_MAX_SECONDS:-60}
psql_runs=${BENCH_OPEN_PSQL_RUNS:-5}
formats=${BENCH_OPEN_FORMATS:-csv ndjson geojson}
db_copy=${BENCH_OPEN_DB_COPY:-0}
explain=${BENCH_OPEN_EXPLAIN:-0}
hold=${BENCH_OPEN_HOLD:-0}
parts=" ${BENCH_OPEN_PARTS:-aggregates downloads} "
slug=open
# wrk is installed by `make bench` (tools/deps.sh bench); say so before the
# load rather than after it.
if [[ $parts == *" aggregates "* ]] && ! command -v wrk >/dev/null; then
  echo "bench_open: wrk is missing: run tools/deps.sh bench (or make bench)" >&2
  exit 1
fi
. bench/lib.sh

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -tA "$bench_db_url" "$@"; }
secs_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# Waits (up to 5 minutes) until no other query runs: a request that wrk (or curl)
# gave up on still runs to its end in the database, and would slow the next.
wait_idle() {
  for _ in $(seq 3000); do
    [ "$(psql_db -c "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
         AND backend_type = 'client backend' AND pid <> pg_backend_pid()")" = 0 ] && return 0
    sleep 0.1
  done
  echo "   (queries still running after 5 minutes)" >&2
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2)
  printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench_open: $rows readings, $devices devices, $(nproc) cores; PostgreSQL" \
  "$(psql_db -c 'SHOW server_version'), shared_buffers $(psql_db -c 'SHOW shared_buffers')," \
  "work_mem $(psql_db -c 'SHOW work_mem'), jit $(psql_db -c 'SHOW jit'); load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine spoils the figures)"

# 1. Load.
cc -std=c17 -D_GNU_SOURCE -O2 -o "$bench_dir/ingest_gen" bench/ingest_gen.c -lm
# The SQL printer links the objects of the server under test, so its text is that server's.
cc -std=c17 -D_GNU_SOURCE -O2 -Iserver -o "$bench_dir/open_sql" bench/open_sql.c \
  $(ls "$build"/server/*.o | grep -v '/main\.o$') \
  $(pkg-config --libs libmicrohttpd jansson libsodium libpq zlib) -lm -pthread
t0=$(date +%s.%N)
"$bench_dir/ingest_gen" "$rows" "$devices" "$bench_dir/readings.csv" /dev/null
echo "generated $(du -m "$bench_dir/readings.csv" | cut -f1) MB of device v3 CSV in $(secs_since "$t0") s"

bench_start_server "$build"
curl -fs -X POST "http://127.0.0.1:$bench_port/v1/projects" -H "Authorization: Bearer $bench_admin" \
  -H 'Content-Type: application/json' \
  -d "{\"slug\":\"$slug\",\"name\":\"Open data bench\",\"kind\":\"air\",\"licence\":\"CC0-1.0\"}" \
  >/dev/null
# The devices first, one participant each, through POST /v1/projects/{slug}/devices:
# left to the admin import, two concurrent batches that start the same new device
# race (one registers it, the other's rows are refused as not registered).
t0=$(date +%s.%N)
cut -d, -f2 "$bench_dir/readings.csv" | uniq | tail -n +2 |
  /usr/bin/python3 -c 'import http.client, json, sys
port, token, slug = sys.argv[1:4]
conn = http.client.HTTPConnection("127.0.0.1", int(port))
n = 0
for imei in sys.stdin.read().split():
    conn.request("POST", f"/v1/projects/{slug}/devices", headers={"Authorization": f"Bearer {token}",
                 "Content-Type": "application/json"},
                 body=json.dumps({"external_id": imei, "participant": "participant-" + imei}))
    r = conn.getresponse(); r.read()
    if r.status != 201:
        sys.exit(f"registering {imei}: HTTP {r.status}")
    n += 1
print(n)' "$bench_port" "$bench_admin" "$slug" >"$bench_dir/registered"
echo "registered $(cat "$bench_dir/registered") devices in $(secs_since "$t0") s"
if ! out=$(/usr/bin/python3 bench/ingest_load.py "$bench_port" "$bench_admin" "$slug" \
             "$bench_dir/readings.csv" "$batch" "$clients" 2>"$bench_dir/load.err"); then
  echo "load: failures:" >&2
  cat "$bench_dir/load.err" >&2
fi
rm -f "$bench_dir/readings.csv"
if ! kill -0 "$bench_server_pid" 2>/dev/null; then
  wait "$bench_server_pid" && rc=0 || rc=$?
  echo "the server died during the load (exit status $rc); its log:" >&2
  tail -n 30 "$bench_dir/server.log" >&2
  bench_server_pid=""
  exit 1
fi
get() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$out"; }
load_secs=$(get seconds)
load_rate=$(get rows_per_s)
echo "load: $(get accepted) readings in $load_secs s = $load_rate readings/s" \
  "($clients clients, batches of $batch, request p50 $(get p50_ms) ms, p99 $(get p99_ms) ms," \
  "$(get failures) failed batches)"
# The server's refresher recounts the cells (sql/016_air_cell_period.sql) of
# every changed day once the load leaves it alone; until it has, day maps and
# hours of the region read the rollups. This is the wait after the load.
t0=$(date +%s.%N)
waiting=$(psql_db -c "SELECT count(DISTINCT day) FROM air_day_change")
for _ in $(seq 6000); do
  [ "$(psql_db -c "SELECT count(*) FROM air_day_change")" = 0 ] && break
  sleep 0.1
done
echo "refresher: $waiting changed days left after the load, refreshed in $(secs_since "$t0") s;" \
  "$(psql_db -c "SELECT count(*) || ' cell periods, ' || pg_size_pretty(pg_total_relation_size(
  'air_cell_period')) FROM air_cell_period"); $(psql_db -c "SELECT count(*) ||
  ' dataset hours, ' || pg_size_pretty(sum(length(lines))) || ' of lines in ' ||
  pg_size_pretty(pg_total_relation_size('air_dataset_hour')) FROM air_dataset_hour")"
t0=$(date +%s.%N)
psql_db -c "VACUUM ANALYZE" -c "CHECKPOINT"
stats=$(psql_db -F ' ' -c "SELECT count(*), (SELECT count(*) FROM trip),
  to_char(min(recorded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
  to_char(max(recorded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
  (SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits
   WHERE inhparent = 'air_reading'::regclass) FROM air_reading")
read -r stored trips first last size <<<"$stats"
echo "VACUUM ANALYZE + CHECKPOINT: $(secs_since "$t0") s; stored $stored readings in $trips trips," \
  "$first .. $last, $size with indexes (partitions: $(psql_db -c \
  "SELECT count(*) FROM pg_inherits WHERE inhparent = 'air_reading'::regclass"))"
[ "$stored" -eq "$rows" ] || echo "load: $stored readings stored, not $rows" >&2

# The windows: the busiest UTC day, and the 30 UTC days with the most readings.
read -r busy_day busy_n <<<"$(psql_db -F ' ' -c "SELECT to_char(day, 'YYYY-MM-DD'), n FROM
  (SELECT date_trunc('day', recorded_at, 'UTC') AS day, count(*) AS n FROM air_reading GROUP BY 1) d
  ORDER BY n DESC, day LIMIT 1")"
read -r win_from win_to win_n <<<"$(psql_db -F ' ' -c "WITH d AS (SELECT date_trunc('day',
  recorded_at, 'UTC') AS day, count(*) AS n FROM air_reading GROUP BY 1)
  SELECT to_char(day - interval '29 days', 'YYYY-MM-DD'), to_char(day + interval '1 day',
  'YYYY-MM-DD'), s FROM (SELECT day, sum(n) OVER (ORDER BY day RANGE BETWEEN interval '29 days'
  PRECEDING AND CURRENT ROW) AS s FROM d) x ORDER BY s DESC, day LIMIT 1")"
busy_next=$(date -u -d "$busy_day + 1 day" +%F)
# The ISO week (Monday on) and the calendar month of the busiest day.
week_from=$(date -u -d "$busy_day - $(( $(date -u -d "$busy_day" +%u) - 1 )) days" +%F)
week_to=$(date -u -d "$week_from + 7 days" +%F)
month_from=$(date -u -d "$busy_day" +%Y-%m-01)
month_to=$(date -u -d "$month_from + 1 month" +%F)
echo "windows: 30 days $win_from .. $win_to ($win_n readings); busiest day $busy_day ($busy_n" \
  "readings); its week $week_from .. $week_to, its month $month_from .. $month_to"

# 100 areas: a 10 x 10 lattice of rectangles over the readings' extent, as an
# area layer (POST /v1/areas/bench), for space=area:bench.
read -r ax0 ay0 ax1 ay1 <<<"$(psql_db -F ' ' -c "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e),
  ST_YMax(e) FROM (SELECT ST_Extent(position) AS e FROM air_reading) x")"
/usr/bin/python3 - "$bench_port" "$bench_admin" "$ax0" "$ay0" "$ax1" "$ay1" <<'PY'
import http.client, json, sys
port, token = sys.argv[1:3]
x0, y0, x1, y1 = (float(v) for v in sys.argv[3:7])
dx, dy = (x1 - x0) / 10, (y1 - y0) / 10
features = []
for i in range(10):
    for j in range(10):
        a, b = x0 + i * dx, y0 + j * dy
        ring = [[a, b], [a + dx, b], [a + dx, b + dy], [a, b + dy], [a, b]]
        features.append({"type": "Feature", "properties": {"code": f"A{i}{j}", "name": f"Area {i}-{j}"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
conn = http.client.HTTPConnection("127.0.0.1", int(port))
conn.request("POST", "/v1/areas/bench", body=json.dumps({"type": "FeatureCollection",
             "features": features}), headers={"Authorization": f"Bearer {token}",
             "Content-Type": "application/geo+json"})
r = conn.getresponse()
body = r.read()
if r.status not in (200, 201):
    sys.exit(f"area upload: HTTP {r.status} {body[:300]!r}")
PY
echo "areas: 100 rectangles of $(awk -v a="$ax0" -v b="$ax1" 'BEGIN { printf "%.3f", (b - a) / 10 }')" \
  "x $(awk -v a="$ay0" -v b="$ay1" 'BEGIN { printf "%.3f", (b - a) / 10 }') degrees over the readings"

# 2. Aggregates.
# What server/db.c sets on each of its connections, for the psql runs too.
server_settings="SET jit = off; SET work_mem = '32MB'; SET random_page_cost = 1.1;"
k=$(psql_db -c "SELECT k_anonymity FROM project WHERE slug = '$slug'")
unit=$(psql_db -c "SELECT unit FROM quantity WHERE name = 'pm25'")
names=(a a+ b c d)
[[ $parts == *" aggregates "* ]] || names=()
labels=("a: 30 d hourly, all" "a+: same, 7 stats" "b: 1 d grid:100" "c: 1 week hex:250"
        "d: 1 month area: (100)")
queries=(
  "quantity=pm25&from=${win_from}T00:00:00Z&to=${win_to}T00:00:00Z&bucket=hour"
  "quantity=pm25&from=${win_from}T00:00:00Z&to=${win_to}T00:00:00Z&bucket=hour&stat=count,mean,min,max,p50,p90,p98"
  "quantity=pm25&from=${busy_day}T00:00:00Z&to=${busy_next}T00:00:00Z&bucket=day&space=grid:100"
  "quantity=pm25&from=${week_from}T00:00:00Z&to=${week_to}T00:00:00Z&bucket=week&space=hex:250"
  "quantity=pm25&from=${month_from}T00:00:00Z&to=${month_to}T00:00:00Z&bucket=month&space=area:bench"
)
# Every request computed (answer_cache_s=0) for the runs at $wrk_conns; then
# the server as deployed, which keeps answers answer_cache_s (10) seconds and
# computes an answer once for the requests that come while it is computed,
# at $cached_conns connections.
bench_start_server "$build" SAMENMETEN_ANSWER_CACHE_S=0
declare -A r_p50 r_p95 r_p99 r_rps r_psql r_items r_req r_dur r_single r_cat
# wrk_run NAME CONNS KEY SINGLE_S: wrk on aggregate NAME's URL ($url) with CONNS
# connections, for about two requests per connection when one takes SINGLE_S;
# figures under KEY.
wrk_run() {
  local name=$1 conns=$2 key=$3 single=$4 dur out res
  dur=$(awk -v s="$single" -v c="$conns" -v n="$(nproc)" -v min="$wrk_secs" -v max="$wrk_max" \
    'BEGIN { d = int(2 * s * c / n + 1); d = d < min ? min : d; print (d > max ? max : d) }')
  r_dur[$key]=$dur
  wait_idle
  out=$(wrk -t"$((conns < wrk_threads ? conns : wrk_threads))" -c"$conns" -d"${dur}s" \
          --timeout "$((dur > 60 ? dur : 60))s" --latency -s bench/open_wrk.lua "$url")
  res=$(grep '^wrk_result' <<<"$out")
  val() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$res"; }
  r_p50[$key]=$(val p50_ms) r_p95[$key]=$(val p95_ms) r_p99[$key]=$(val p99_ms)
  r_rps[$key]=$(val rps) r_req[$key]=$(val requests)
  if [ "${r_req[$key]}" = 0 ]; then
    r_p50[$key]=">${dur}000" r_p95[$key]=">${dur}000" r_p99[$key]=">${dur}000"
  fi
  echo "   wrk -c$conns -d${dur}s: ${r_req[$key]} requests," \
    "${r_rps[$key]} req/s; latency p50 ${r_p50[$key]} ms, p95 ${r_p95[$key]} ms," \
    "p99 ${r_p99[$key]} ms, max $(val max_ms) ms; non-2xx $(val non2xx)," \
    "timeouts $(val timeouts), socket errors $(val socket_errors)"
}
for i in "${!names[@]}"; do
  name=${names[$i]} query=${queries[$i]}
  url="http://127.0.0.1:$bench_port/v1/aggregates?$query"
  wait_idle
  echo "-- aggregate ${labels[$i]}: GET /v1/aggregates?$query"
  read -r code single <<<"$(curl -s -o "$bench_dir/agg.body" -w '%{http_code} %{time_total}' "$url" || true)"
  if [ "$code" != 200 ]; then
    echo "   HTTP $code: $(head -c 300 "$bench_dir/agg.body")" >&2
    continue
  fi
  r_items[$name]=$(/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(len(d["items"]), d["suppressed"], d["excluded"], sum(i["count"] for i in d["items"]))' \
    "$bench_dir/agg.body")
  read -r n_items n_supp n_excl n_count <<<"${r_items[$name]}"
  echo "   answer: $(stat -c %s "$bench_dir/agg.body") bytes, $n_items items ($n_count readings)," \
    "$n_supp cells suppressed (< k=$k participants), $n_excl flagged readings excluded;" \
    "alone in $(awk -v s="$single" 'BEGIN { printf "%.0f", s * 1000 }') ms"
  # Where percentiles came from (sql/030): the rollups' histograms, or the readings.
  /usr/bin/python3 -c 'import json, sys; e = json.load(open(sys.argv[1])).get("percentile_error")
if e: print("   percentiles from " + ("the readings (exact)" if e["absolute"] == 0 else
            "the histograms of the rollups (error < %s + %s x value)" % (e["absolute"], e["relative"])))' \
    "$bench_dir/agg.body"

  # The same SQL in psql: same answer, then timed runs.
  q=q${i}
  "$bench_dir/open_sql" "$q" "$query" "$k" "$unit" >"$bench_dir/prepare.sql"
  exec_sql=$("$bench_dir/open_sql" -e "$q" "$query" "$k" "$unit")
  { echo "SET plan_cache_mode = force_custom_plan; $server_settings"; cat "$bench_dir/prepare.sql"
    echo "$exec_sql;"; } | psql_db -F $'\x01' | cut -d $'\x01' -f1 >"$bench_dir/agg.psql"
  if [ "$(cat "$bench_dir/agg.psql")" != "$(cat "$bench_dir/agg.body")" ]; then
    echo "   psql's answer differs from the HTTP body: the psql timing is not of the same query" >&2
  fi
  { echo "SET plan_cache_mode = force_custom_plan; $server_settings"; cat "$bench_dir/prepare.sql"
    echo '\o /dev/null'; echo '\timing on'
    # A slow query gets 3 runs, not more: the median is as telling, the run shorter.
    runs=$psql_runs
    awk -v s="$single" 'BEGIN { exit !(s > 2) }' && [ "$runs" -gt 3 ] && runs=3
    for _ in $(seq "$runs"); do echo "$exec_sql;"; done; } |
    psql_db >"$bench_dir/timing.out"
  r_psql[$name]=$(awk '/^Time:/ { print $2 }' "$bench_dir/timing.out" | median)
  echo "   psql: median ${r_psql[$name]} ms of $(grep -c '^Time:' "$bench_dir/timing.out") runs" \
    "($(awk '/^Time:/ { printf "%s%.0f", s, $2; s = " " }' "$bench_dir/timing.out") ms)"
  if [ "$explain" = 1 ]; then
    { echo "SET plan_cache_mode = force_custom_plan; $server_settings"; cat "$bench_dir/prepare.sql"
      echo "EXPLAIN (ANALYZE, BUFFERS) $exec_sql;"; } | psql_db | sed 's/^/   | /'
  fi

  # wrk only counts requests that end within its run: a query that takes seconds gets
  # a longer run, about two requests per connection (cores share the work), up to
  # BENCH_OPEN_WRK_MAX_SECONDS. One connection gives the latency of a request alone;
  # more, the latency when requests queue for the cores.
  r_single[$name]=$single
  for conns in $wrk_conns; do
    wrk_run "$name" "$conns" "$name/$conns" "$single"
  done
done

# The same aggregates from the server as deployed (answers kept answer_cache_s):
# the first request of each computes it, those that come meanwhile wait for it,
# the rest are answered from memory until it is answer_cache_s old.
if [ "${#names[@]}" -gt 0 ] && [ -n "$cached_conns" ]; then
  wait_idle
  bench_start_server "$build"
  echo "-- the same, answers kept (answer_cache_s default, server restarted)"
  for i in "${!names[@]}"; do
    name=${names[$i]} url="http://127.0.0.1:$bench_port/v1/aggregates?${queries[$i]}"
    echo "   ${labels[$i]}:"
    for conns in $cached_conns; do
      wrk_run "$name" "$conns" "$name/kept$conns" "${r_single[$name]:-0}"
    done
  done
  echo "   answer cache: $(curl -fs "http://127.0.0.1:$bench_port/metrics" |
    awk '/^samenmeten_answer_cache_lookups_total/ { sub(/.*result="/, ""); sub(/"}/, ""); printf "%s ", $0 }')"
fi

# The catalogue and /healthz at this size (the first call of every dashboard), once
# no aggregate runs: requests that wait for an answer hold open-data workers.
if [ "${#names[@]}" -gt 0 ]; then
  wait_idle
  for path in /v1/projects /healthz; do
    out=$(wrk -t2 -c64 -d10s --latency -s bench/open_wrk.lua "http://127.0.0.1:$bench_port$path")
    res=$(grep '^wrk_result' <<<"$out")
    val() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$res"; }
    r_cat[$path]="$(val rps) $(val p50_ms) $(val p99_ms) $(val non2xx)"
    echo "-- GET $path (wrk -t2 -c64 -d10s): $(val rps) req/s, p50 $(val p50_ms) ms," \
      "p99 $(val p99_ms) ms, non-2xx $(val non2xx)"
  done
fi

# 3. Downloads.
wait_idle
bench_start_server "$build"
rss_now() { awk '/^VmRSS:/ { print $2 }' "/proc/$bench_server_pid/status"; }
echo "-- downloads: GET /v1/datasets/$slug/readings (server restarted: RSS $(rss_now) KiB)"
declare -A d_mbs d_peak d_hwm d_secs d_bytes
[[ $parts == *" downloads "* ]] || formats=""
for fmt in $formats; do
  rss0=$(rss_now)
  touch "$bench_dir/sampling"
  ( peak=0
    while [ -e "$bench_dir/sampling" ]; do
      while read -r key v _; do
        [ "$key" = VmRSS: ] && { [ "$v" -gt "$peak" ] && peak=$v; break; }
      done <"/proc/$bench_server_pid/status"
      sleep 0.1
    done
    echo "$peak" >"$bench_dir/rss.peak" ) &
  sampler=$!
  set +e
  res=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total} %{time_starttransfer}' \
          -H "Authorization: Bearer $bench_admin" \
          "http://127.0.0.1:$bench_port/v1/datasets/$slug/readings?format=$fmt")
  rc=$?
  set -e
  rm -f "$bench_dir/sampling"
  wait "$sampler" || true
  read -r code bytes secs ttfb <<<"$res"
  [ "$rc" = 0 ] && [ "$code" = 200 ] || echo "   $fmt: curl exit $rc, HTTP $code" >&2
  d_bytes[$fmt]=$bytes d_secs[$fmt]=$secs
  d_mbs[$fmt]=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
  d_peak[$fmt]=$(awk -v k="$(cat "$bench_dir/rss.peak")" 'BEGIN { printf "%.1f", k / 1024 }')
  d_hwm[$fmt]=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$bench_server_pid/status")
  echo "   $fmt: $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB in $secs s" \
    "= ${d_mbs[$fmt]} MB/s; first byte after $ttfb s, then $(awk -v b="$bytes" -v s="$secs" \
    -v f="$ttfb" 'BEGIN { printf "%.1f", (s > f ? b / (s - f) / 1e6 : 0) }') MB/s;" \
    "server RSS before $(awk -v k="$rss0" \
    'BEGIN { printf "%.1f", k / 1024 }') MiB, peak sampled ${d_peak[$fmt]} MiB, VmHWM" \
    "${d_hwm[$fmt]} MiB"
done
if [ -n "$formats" ]; then
  # The open dataset: k-anonymous cells computed from the rollups a day at a
  # time (sql/025_air_cell_dataset.sql); small, so time and size only.
  res=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' \
          "http://127.0.0.1:$bench_port/v1/datasets/$slug?format=csv")
  read -r code bytes secs <<<"$res"
  echo "   cells (GET /v1/datasets/$slug, csv): HTTP $code, $(awk -v b="$bytes" \
    'BEGIN { printf "%.1f", b / 1e6 }') MB in $secs s"
fi
if [ "$db_copy" = 1 ] && [ -n "$formats" ]; then
  # What server/download.c asks the database for, with the settings of its
  # transaction: the rendered hours (sql/017_dataset_hours.sql), binary COPY
  # to a file on the database server.
  t=$(psql_db <<EOF | awk '/^Time:/ { print $2 }'
SET jit = off;
SET work_mem = '64MB';
\\timing on
COPY (SELECT lines FROM air_dataset_hours((SELECT id FROM project WHERE slug = '$slug'),
      '2000-01-01', now() + interval '1 day')) TO '/dev/null' WITH (FORMAT binary);
EOF
  )
  db_mbs=$(awk -v b="${d_bytes[csv]:-0}" -v t="$t" 'BEGIN { printf "%.1f", b / (t / 1000) / 1e6 }')
  echo "   database alone: COPY (SELECT lines FROM air_dataset_hours(...)) TO '/dev/null' in" \
    "$(awk -v t="$t" 'BEGIN { printf "%.1f", t / 1000 }') s (= $db_mbs MB/s of the CSV above)"
fi

# 4. Summary.
echo
echo "== bench_open summary ($stored readings, $devices devices; load $load_rate readings/s)"
sfmt='%-40s %12s %12s %12s %12s  %-14s %s\n'
met() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "" || v == "-") print "-";
  else if (v ~ /^>/) print "MISSED";
  else if ((op == "<" && v + 0 < t) || (op == ">=" && v + 0 >= t)) print "met";
  else print "MISSED" }'; }
printf "$sfmt" "aggregate (wrk connections)" "p50 ms" "p95 ms" "p99 ms" "req/s" \
  "target" "psql median ms"
for i in "${!names[@]}"; do
  name=${names[$i]}
  for run in $wrk_conns $(for c in $cached_conns; do echo "kept$c"; done); do
    key=$name/$run label="${labels[$i]}, -c${run#kept}"
    [ "$run" = "${run#kept}" ] || label="$label kept"
    printf "$sfmt" "$label (${r_req[$key]:-0} in ${r_dur[$key]:-0}s)" \
      "${r_p50[$key]:--}" "${r_p95[$key]:--}" "${r_p99[$key]:--}" "${r_rps[$key]:--}" \
      "p95<50 $(met "${r_p95[$key]:-}" 50 '<')" "${r_psql[$name]:--}"
  done
done
for path in /v1/projects /healthz; do
  [ -n "${r_cat[$path]:-}" ] || continue
  read -r rps p50 p99 _ <<<"${r_cat[$path]}"
  printf "$sfmt" "GET $path, -c64" "$p50" "-" "$p99" "$rps" \
    "$([ "$path" = /v1/projects ] && echo ">=10000/s $(met "$rps" 10000 '>=')")" "-"
done
printf "$sfmt" "download" "MB" "seconds" "MB/s" "peak RSS MiB" "target" "VmHWM MiB"
for fmt in $formats; do
  printf "$sfmt" "$fmt" "$(awk -v b="${d_bytes[$fmt]}" 'BEGIN { printf "%.0f", b / 1e6 }')" \
    "${d_secs[$fmt]}" "${d_mbs[$fmt]}" "${d_peak[$fmt]}" \
    ">=100 $(met "${d_mbs[$fmt]}" 100 '>='), <64 $(met "${d_hwm[$fmt]}" 64 '<')" \
    "${d_hwm[$fmt]}"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "targets: each aggregate p95 < 50 ms; download >= 100 MB/s (10^6 bytes) with server RSS" \
  "< 64 MiB (judged on VmHWM, the peak since the restart before the downloads)."

if [ "$hold" = 1 ]; then
  touch "$bench_dir/hold"
  echo "holding: psql '$bench_db_url'; server on 127.0.0.1:$bench_port (pid $bench_server_pid);" \
    "rm $bench_dir/hold to end"
  while [ -e "$bench_dir/hold" ]; do sleep 1; done
fi
