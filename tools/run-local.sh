#!/usr/bin/env bash
# `make run`: packages, build, a private PostGIS in var/pgdata (unless
# SAMENMETEN_DATABASE_URL names a database), then the server on
# 127.0.0.1:${PORT:-8080}. Ctrl-C stops the server, then the database.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh run
tools/web-vendor.sh # the dashboard's libraries, from npm
make -s
mkdir -p var
chmod 711 var # the key files in it are 0600; the database user may pass through

conf=()
[ -f config/samenmeten.conf ] && conf=(--config config/samenmeten.conf)

pgdata=""
if [ -z "${SAMENMETEN_DATABASE_URL:-}" ]; then
  pgdata=${SAMENMETEN_PGDATA:-$PWD/var/pgdata}
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$PWD/var" 2>/dev/null; then
    # As root, PostgreSQL runs as "postgres", which cannot enter this checkout.
    pgdata=/var/lib/samenmeten/$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)/pgdata
    mkdir -p "$(dirname "$pgdata")"
    chmod 755 /var/lib/samenmeten "$(dirname "$pgdata")"
  fi
  echo "starting the local database in $pgdata" >&2
  SAMENMETEN_DATABASE_URL=$(tools/pg-cluster.sh start "$pgdata")
  export SAMENMETEN_DATABASE_URL
fi

server_pid=""
stop_all() {
  trap - INT TERM EXIT
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pgdata" ]; then
    echo "stopping the local database" >&2
    tools/pg-cluster.sh stop "$pgdata"
  fi
}
trap stop_all INT TERM EXIT

[ -n "${SAMENMETEN_ADMIN_TOKEN:-}" ] || echo "admin token: $PWD/var/admin.token" \
  "(created on first start; use it as 'Authorization: Bearer <token>')" >&2
echo "serving on http://127.0.0.1:${PORT:-8080}  (Ctrl-C stops server and database)" >&2
build/release/samenmeten "${conf[@]}" &
server_pid=$!
status=0
wait "$server_pid" || status=$?
exit "$status"
