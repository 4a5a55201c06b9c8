#!/usr/bin/env bash
# A private PostgreSQL 15 + PostGIS cluster in a folder, reachable only over
# a Unix socket in a private folder (no TCP). Used by `make run`, the tests
# and the benchmarks.
#
#   tools/pg-cluster.sh start DATADIR   creates it when missing, starts it, makes the
#                                       database "samenmeten"; prints its libpq URL
#   tools/pg-cluster.sh stop DATADIR    stops it (fast shutdown)
#   tools/pg-cluster.sh url DATADIR     prints the URL
#   tools/pg-cluster.sh standby DATADIR PRIMARY_DATADIR
#                                       a hot standby of the (running) cluster in
#                                       PRIMARY_DATADIR: copied with pg_basebackup -R when
#                                       missing (streaming replication over the primary's
#                                       socket), then started as `start` does; prints its URL
#
# PostgreSQL refuses to run as root: as root, the cluster runs as the
# "postgres" system user, which must be able to reach DATADIR.
# PG_EXTRA_OPTS adds server options (the tests pass "-c fsync=off").
set -euo pipefail

bindir=/usr/lib/postgresql/15/bin
cmd=${1:?usage: $0 start|stop|url|standby DATADIR [PRIMARY_DATADIR]}
datadir=${2:?usage: $0 start|stop|url DATADIR}
mkdir -p "$(dirname "$datadir")"
datadir=$(cd "$(dirname "$datadir")" && pwd)/$(basename "$datadir")
# Socket paths are limited to ~100 bytes: keep the socket folder short.
sockdir=/tmp/smu-pg-$(printf '%s' "$datadir" | cksum | cut -d' ' -f1)
url="postgresql:///samenmeten?host=$sockdir&user=samenmeten"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "no postgres user: install postgresql-15" >&2; exit 1; }
    if ! runuser -u postgres -- test -x "$(dirname "$datadir")"; then
      echo "the postgres user cannot reach $(dirname "$datadir"); choose a data folder" \
           "whose parent folders are all traversable (chmod o+x)" >&2
      exit 1
    fi
  fi
  if [ ! -s "$datadir/PG_VERSION" ]; then
    mkdir -p "$datadir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$datadir"
    chmod 700 "$datadir"
    as_owner "$bindir/initdb" -D "$datadir" -U samenmeten --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$datadir.initdb.log" 2>&1 ||
      { cat "$datadir.initdb.log" >&2; exit 1; }
  fi
  mkdir -p "$sockdir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$sockdir"
  chmod 700 "$sockdir"
  if ! as_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    # setsid: a Ctrl-C meant for the server must not reach the database first.
    as_owner setsid "$bindir/pg_ctl" -D "$datadir" -l "$datadir/postgres.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$sockdir' ${PG_EXTRA_OPTS:-}" \
      start >/dev/null || { tail -n 20 "$datadir/postgres.log" >&2; exit 1; }
  fi
  if ! as_owner psql -X -q -h "$sockdir" -U samenmeten -d postgres -tAc \
       "SELECT 1 FROM pg_database WHERE datname = 'samenmeten'" | grep -q 1; then
    as_owner psql -X -q -h "$sockdir" -U samenmeten -d postgres -c "CREATE DATABASE samenmeten"
  fi
  echo "$url"
}

# The socket folder of a cluster's data folder (each cluster has its own).
sockdir_of() {
  local d
  d=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  echo "/tmp/smu-pg-$(printf '%s' "$d" | cksum | cut -d' ' -f1)"
}

standby() {
  local primary=${1:?usage: $0 standby DATADIR PRIMARY_DATADIR}
  if [ ! -s "$datadir/PG_VERSION" ]; then
    mkdir -p "$datadir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$datadir"
    chmod 700 "$datadir"
    # The primary's defaults allow it: wal_level replica, max_wal_senders 10,
    # and initdb --auth=trust's "local replication all trust" in pg_hba.conf.
    as_owner "$bindir/pg_basebackup" -h "$(sockdir_of "$primary")" -U samenmeten \
      -D "$datadir" -R -X stream -c fast >"$datadir.basebackup.log" 2>&1 ||
      { cat "$datadir.basebackup.log" >&2; exit 1; }
  fi
  start
}

stop() {
  if [ -s "$datadir/PG_VERSION" ]; then
    as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$sockdir"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  url) echo "$url" ;;
  standby) standby "${3:-}" ;;
  *) echo "usage: $0 start|stop|url DATADIR | standby DATADIR PRIMARY_DATADIR" >&2; exit 2 ;;
esac
