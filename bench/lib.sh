# Helpers for the benchmarks: a durable cluster and the server, torn down on exit.
bench_dir=$(mktemp -d /tmp/smu-bench.XXXXXX)
chmod 755 "$bench_dir"
bench_server_pid=""

bench_cleanup() {
  [ -n "$bench_server_pid" ] && kill -TERM "$bench_server_pid" 2>/dev/null && wait "$bench_server_pid" 2>/dev/null
  tools/pg-cluster.sh stop "$bench_dir/pgdata" >/dev/null 2>&1 || true
  rm -rf "$bench_dir"
}
trap bench_cleanup EXIT

bench_db_url=$(tools/pg-cluster.sh start "$bench_dir/pgdata")
bench_admin="sma_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
bench_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# bench_start_server BUILD [VAR=value ...]: (re)starts the server with extra settings.
bench_start_server() {
  local build=$1; shift
  [ -n "$bench_server_pid" ] && kill -TERM "$bench_server_pid" && wait "$bench_server_pid" 2>/dev/null || true
  env PORT="$bench_port" SAMENMETEN_DATABASE_URL="$bench_db_url" SAMENMETEN_ADMIN_TOKEN="$bench_admin" \
      SAMENMETEN_KEY_FILE="$bench_dir/pseudonym.key" SAMENMETEN_LOG_LEVEL=warn \
      SAMENMETEN_RATE_LIMIT_ADDRESS_PER_S=0 SAMENMETEN_RATE_LIMIT_TOKEN_PER_S=0 "$@" \
      "$build/samenmeten" 2>>"$bench_dir/server.log" &
  bench_server_pid=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$bench_port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$bench_dir/server.log" >&2; return 1
}
