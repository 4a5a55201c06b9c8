#!/bin/sh
# Gives the service a database role of its own (least privilege): a login
# role that is not a superuser and cannot create databases or roles, and a
# database it owns. Owning the database (and so, in PostgreSQL 15, its public
# schema) is what the migrations need: the service creates and alters its own
# tables and functions, and nothing outside its database. The extensions the
# migrations name are installed here, by the superuser (PostGIS is not a
# trusted extension; the migrations' CREATE EXTENSION IF NOT EXISTS then
# finds them).
#
# The postgis image runs this once, as its superuser ($POSTGRES_USER), when
# it creates the cluster (docker-entrypoint-initdb.d). Environment:
#   SAMENMETEN_DB_ROLE      the service's role      (default samenmeten)
#   SAMENMETEN_DB_NAME      its database            (default samenmeten)
#   SAMENMETEN_DB_PASSWORD  the role's password     (required)
# tests/e2e/test_least_privilege.py runs this script against a test cluster.
set -eu
role=${SAMENMETEN_DB_ROLE:-samenmeten}
db=${SAMENMETEN_DB_NAME:-samenmeten}
: "${SAMENMETEN_DB_PASSWORD:?set SAMENMETEN_DB_PASSWORD}"

psql -X -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v role="$role" -v db="$db" -v password="$SAMENMETEN_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
\connect :"db"
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SQL
