"""sql/schema/current.sql, the current schema in one file, is what the migrations make
(tools/schema-dump.sh, `make schema`), and the server never applies it."""
import difflib
import os
import subprocess
import uuid

from cluster import ROOT, run_binary

SCHEMA = os.path.join(ROOT, "sql", "schema", "current.sql")
TOOL = os.path.join(ROOT, "tools", "schema-dump.sh")
HEADER_LINES = 3  # the generated file's own comment


def fresh_database(cluster):
    name = "schema_" + uuid.uuid4().hex[:10]
    cluster.psql(f"CREATE DATABASE {name}")
    return name, cluster.url.replace("/samenmeten?", f"/{name}?", 1)


def test_schema_sql_is_up_to_date(cluster, workdir):
    name, url = fresh_database(cluster)
    try:
        env = {"PATH": os.environ["PATH"], "SAMENMETEN_DATABASE_URL": url,
               "SAMENMETEN_MIGRATIONS_DIR": os.path.join(ROOT, "sql")}
        out = run_binary(["--migrate-only"], env, workdir, timeout=300)
        assert out.returncode == 0, out.stderr
        dumped = subprocess.run([TOOL, "--dump", url], check=True, capture_output=True,
                                text=True, timeout=120).stdout
    finally:
        cluster.psql(f"DROP DATABASE {name}")
    with open(SCHEMA) as f:
        stored = f.read().split("\n", HEADER_LINES)[HEADER_LINES]
    if stored != dumped:
        diff = "".join(list(difflib.unified_diff(
            stored.splitlines(True), dumped.splitlines(True), "sql/schema/current.sql",
            "the migrations"))[:60])
        raise AssertionError("sql/schema/current.sql is out of date: run make schema\n" + diff)


def test_schema_sql_is_never_applied_as_a_migration(cluster, server):
    """The loader takes sql/NNN_name.sql only; the generated file is in a folder of its
    own, so that sql/*.sql stays the set of migrations."""
    applied = cluster.psql("SELECT string_agg(version, ',') FROM schema_migrations")
    assert "current" not in applied and "023_catalogue.sql" in applied
