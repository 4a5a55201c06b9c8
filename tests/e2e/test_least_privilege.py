"""The service as a plain database role (docker/compose.yaml): no superuser, no CREATEDB or
CREATEROLE; it owns its database, so it can apply the migrations, and nothing else.
The role and database are made by docker/initdb/10-samenmeten-role.sh, the script the
compose file's database runs once: the test runs that same script against its cluster."""
import os
import subprocess
import urllib.parse
import uuid

from cluster import ROOT, Server
from contract import Client
from ingest_data import SNUFFEL_CSV, read

SCRIPT = os.path.join(ROOT, "docker", "initdb", "10-samenmeten-role.sh")


def test_the_service_runs_as_its_own_unprivileged_role(workdir, cluster, admin_token):
    query = urllib.parse.parse_qs(urllib.parse.urlparse(cluster.url).query)
    host, superuser = query["host"][0], query["user"][0]
    role, db = f"smu_app_{uuid.uuid4().hex[:8]}", f"smu_db_{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, PGHOST=host, POSTGRES_USER=superuser, SAMENMETEN_DB_ROLE=role,
               SAMENMETEN_DB_NAME=db, SAMENMETEN_DB_PASSWORD="not-used-over-a-socket")
    out = subprocess.run(["sh", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert cluster.psql(f"SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM "
                        f"pg_roles WHERE rolname = '{role}'") == "f|f|f|f"
    url = f"postgresql:///{db}?host={host}&user={role}"
    s = Server(workdir, url, admin_token).start()  # applies every migration as the role
    try:
        client = Client(s.base, admin_token)
        slug = "least-" + uuid.uuid4().hex[:8]
        assert client.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                                 "licence": "CC0-1.0"}).status_code == 201
        r = client.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                        headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json()["accepted"] == 5704, r.text
        r = client.get("/v1/aggregates", params={"quantity": "pm25", "project": slug,
                                                 "from": "2024-11-11T00:00:00Z",
                                                 "to": "2024-11-12T00:00:00Z"})
        assert r.status_code == 200 and r.json()["items"], r.text
        assert client.get(f"/v1/datasets/{slug}").status_code == 200
        # Every table of the service belongs to the role, which is not the superuser.
        owners = subprocess.run(
            ["psql", "-X", "-At", "-d", f"postgresql:///{db}?host={host}&user={superuser}", "-c",
             "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
             " AND tablename <> 'spatial_ref_sys'"],
            capture_output=True, text=True, check=True, timeout=60).stdout.split()
        assert owners == [role], owners
    finally:
        assert s.stop() == 0, s.log_text()[-3000:]
        cluster.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        cluster.psql(f"DROP ROLE IF EXISTS {role}")
