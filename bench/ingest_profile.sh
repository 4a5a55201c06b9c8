#!/usr/bin/env bash
# Where one ingest run's PostgreSQL time and WAL went (bench_ingest.sh with
# BENCH_PROFILE=1):
#   - pg_stat_statements (track = all, so the statements inside the ingest
#     functions too): the statements with the most execution time, with the
#     WAL and full-page images each wrote; nested statements are counted in
#     their callers as well;
#   - pg_waldump --stats over the run's WAL (by resource manager);
#   - the run's WAL records added up per relation (table or index), full-page
#     images included, from pg_waldump's record list.
#
#   bench/ingest_profile.sh DB_URL PGDATA LSN0 LSN1 READINGS
set -euo pipefail
url=$1 pgdata=$2 lsn0=$3 lsn1=$4 readings=$5
bindir=/usr/lib/postgresql/15/bin
psql_db() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

echo "   -- statements by execution time (pg_stat_statements, nested ones included in callers)"
psql_db -P pager=off -P footer=off -c "
  SELECT calls, round(total_exec_time / 1000) AS exec_s,
         round(wal_bytes / 1e6) AS wal_mb, wal_fpi AS fpi,
         round(100 * total_exec_time / sum(total_exec_time) FILTER (WHERE toplevel) OVER ()) AS pct,
         left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS statement
  FROM pg_stat_statements
  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  ORDER BY total_exec_time DESC LIMIT 18" | sed 's/^/   /'

sleep 11  # the server's backends report their table counts within 10 s of going idle
echo "   -- rows written per row kept (inserted, deleted, live; partitions added up)"
psql_db -P pager=off -P footer=off -c "
  SELECT coalesce(p.relname, s.relname) AS table_, sum(n_tup_ins) AS inserted,
         sum(n_tup_del) AS deleted, sum(n_tup_upd) AS updated, sum(n_live_tup) AS live,
         round(sum(n_tup_ins)::numeric / nullif(sum(n_live_tup), 0), 1) AS written_per_kept
  FROM pg_stat_user_tables s
  LEFT JOIN pg_inherits i ON i.inhrelid = s.relid
  LEFT JOIN pg_class p ON p.oid = i.inhparent
  WHERE coalesce(p.relname, s.relname) IN ('air_reading', 'air_rollup', 'air_rollup_hourly',
        'trip', 'air_cell_period', 'air_day_change', 'air_dataset_hour')
  GROUP BY 1 ORDER BY 2 DESC" | sed 's/^/   /'

dump=$(mktemp)
as_pg "$bindir/pg_waldump" -p "$pgdata/pg_wal" -s "$lsn0" -e "$lsn1" --stats 2>&1 |
  sed 's/^/   /' || true
as_pg "$bindir/pg_waldump" -p "$pgdata/pg_wal" -s "$lsn0" -e "$lsn1" 2>/dev/null |
  awk -v n="$readings" '
    { tot = $0; sub(/.*rec\/tot\): *[0-9]+\/ */, "", tot); tot += 0
      rel = "(no relation)"
      if (match($0, /blkref #0: rel [0-9]+\/[0-9]+\/[0-9]+/)) {
        rel = substr($0, RSTART + 16, RLENGTH - 16); sub(/.*\//, "", rel)
        if ($0 ~ /blkref #0: rel [^ ]+ fork (fsm|vm)/) rel = rel "." "map" }
      fpw = ($0 ~ /FPW/) ? tot : 0
      bytes[rel] += tot; fpi[rel] += fpw; all += tot }
    END { for (r in bytes) printf "%s %d %d\n", r, bytes[r], fpi[r]; printf "ALL %d 0\n", all }' \
  >"$dump"
echo "   -- WAL by relation (records naming it first; MB, of which full-page images; per million readings)"
# relfilenode -> name, partitions folded into their parent (air_reading_2025_08 -> air_reading).
psql_db -tA -F ' ' -c "
  SELECT c.relfilenode, coalesce(p.relname, c.relname)
  FROM pg_class c
  LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
  LEFT JOIN pg_class p ON p.oid = i.inhparent
  WHERE c.relfilenode <> 0" >"$dump.names"
awk 'NR == FNR { name[$1] = $2; next }
  $1 == "ALL" { all = $2; next }
  { split($1, k, "."); r = (k[1] in name) ? name[k[1]] : ($1 == "(no" ? "(no relation)" : "other:" k[1])
    if (k[2] != "") r = r " (map)"
    b[r] += $2; f[r] += $3 }
  END { for (r in b) printf "%12.1f %10.1f %5.1f%%  %s\n", b[r] / 1e6, f[r] / 1e6, 100 * b[r] / all, r }' \
  "$dump.names" "$dump" | sort -rn | head -25 | sed 's/^/   /'
rm -f "$dump" "$dump.names"
