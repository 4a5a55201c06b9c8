# Helpers for the benchmarks: a durable cluster and the server, torn down on exit.
# BENCH_PG_OPTS adds PostgreSQL server options (e.g. pg_stat_statements).
bench_dir=$(mktemp -d /tmp/smu-bench.XXXXXX)
chmod 755 "$bench_dir"
bench_server_pid=""

bench_cleanup() {
  bench_stop_server
  tools/pg-cluster.sh stop "$bench_dir/pgdata" >/dev/null 2>&1 || true
  rm -rf "$bench_dir"
}
trap bench_cleanup EXIT

export PGOPTIONS="-c client_min_messages=warning"
bench_db_url=$(PG_EXTRA_OPTS="${BENCH_PG_OPTS:-}" tools/pg-cluster.sh start "$bench_dir/pgdata")
bench_admin="sma_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
bench_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# bench_stop_server: stops the server (if running) and waits until it has
# exited: its refresher thread stops with it, so nothing of it writes after.
bench_stop_server() {
  if [ -n "$bench_server_pid" ]; then
    kill -TERM "$bench_server_pid" 2>/dev/null || true
    wait "$bench_server_pid" 2>/dev/null || true
    bench_server_pid=""
  fi
}

# bench_use_db NAME [TEMPLATE]: a new database NAME in the cluster, empty or
# a copy of TEMPLATE (dropped first when it exists, so stop the server on it
# before); bench_db_url names it. Each measurement on its own database:
# nothing left from the one before (rollups, the refresher's change log) can
# change its figures or block it.
bench_use_db() {
  local base=${bench_db_url%%\?*} query=${bench_db_url#*\?}
  local admin="${base%/*}/postgres?$query"
  psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
    -c "CREATE DATABASE $1${2:+ TEMPLATE $2}" >/dev/null
  bench_db_url="${base%/*}/$1?$query"
}

# bench_drop_db NAME: drops database NAME of the cluster, when it exists.
bench_drop_db() {
  local base=${bench_db_url%%\?*} query=${bench_db_url#*\?}
  psql -X -q -v ON_ERROR_STOP=1 "${base%/*}/postgres?$query" \
    -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}

# bench_migrate BUILD: applies the migrations to the current database.
bench_migrate() {
  SAMENMETEN_DATABASE_URL="$bench_db_url" SAMENMETEN_ADMIN_TOKEN="$bench_admin" \
    SAMENMETEN_KEY_FILE="$bench_dir/pseudonym.key" SAMENMETEN_LOG_LEVEL=warn \
    "$1/samenmeten" --migrate-only 2>>"$bench_dir/server.log" ||
    { cat "$bench_dir/server.log" >&2; return 1; }
}

# bench_start_server BUILD [VAR=value ...]: (re)starts the server with extra settings.
bench_start_server() {
  local build=$1; shift
  bench_stop_server
  env PORT="$bench_port" SAMENMETEN_DATABASE_URL="$bench_db_url" SAMENMETEN_ADMIN_TOKEN="$bench_admin" \
      SAMENMETEN_KEY_FILE="$bench_dir/pseudonym.key" SAMENMETEN_LOG_LEVEL=warn \
      SAMENMETEN_RATE_LIMIT_ADDRESS_PER_S=0 SAMENMETEN_RATE_LIMIT_TOKEN_PER_S=0 "$@" \
      "$build/samenmeten" 2>>"$bench_dir/server.log" &
  bench_server_pid=$!
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$bench_port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$bench_dir/server.log" >&2; return 1
}
