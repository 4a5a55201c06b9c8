"""Start, configuration, first run, migrations, database outages and shutdown."""
import os
import re
import signal
import socket
import stat
import time

import pytest
import requests

from cluster import Cluster, Server, remove, run_binary, scratch_dir


@pytest.fixture
def folder():
    f = scratch_dir("smu-life-")
    yield f
    remove(f)


def base_env(server):
    return dict(server.env)


def test_first_start_creates_private_key_and_admin_token_files(folder, cluster):
    s = Server(folder, cluster.url, admin_token=None).start()
    try:
        for name in ("pseudonym.key", "admin.token"):
            path = os.path.join(folder, name)
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        log = s.log_text()
        assert os.path.join(folder, "pseudonym.key").split("/")[-1] in log
        token = open(os.path.join(folder, "admin.token")).read().strip()
        assert token not in log
        r = requests.get(s.base + "/v1/projects/x-y/devices",
                         headers={"Authorization": "Bearer " + token})
        assert r.status_code == 404  # authorised, and the project does not exist
    finally:
        s.stop()
    # A second start reuses both files.
    key = open(os.path.join(folder, "pseudonym.key")).read()
    s2 = Server(folder, cluster.url, admin_token=None).start()
    s2.stop()
    assert open(os.path.join(folder, "pseudonym.key")).read() == key


def test_key_file_readable_by_others_stops_the_start(folder, cluster):
    path = os.path.join(folder, "pseudonym.key")
    with open(path, "w") as f:
        f.write("00" * 32 + "\n")
    os.chmod(path, 0o644)
    s = Server(folder, cluster.url, "sma_" + "x" * 40)
    r = run_binary([], s.env, folder)
    assert r.returncode != 0 and "chmod 600" in r.stderr


@pytest.mark.parametrize("setting,value,needle", [
    ("PORT", "70000", "PORT"),
    ("SAMENMETEN_PORT", "eighty", "SAMENMETEN_PORT"),
    ("SAMENMETEN_MAX_BODY_BYTES", "12X", "max_body_bytes"),
    ("SAMENMETEN_MIGRATE_ON_START", "maybe", "migrate_on_start"),
    ("SAMENMETEN_LOG_LEVEL", "loud", "log_level"),
    ("SAMENMETEN_DATABASE_URL", "", "no database configured"),
])
def test_bad_environment_values_stop_the_start_naming_them(folder, cluster, setting, value, needle):
    s = Server(folder, cluster.url, "sma_" + "x" * 40)
    env = dict(s.env, **{setting: value})
    r = run_binary([], env, folder)
    assert r.returncode == 2
    assert needle in r.stderr and (value in r.stderr or not value)


def test_unknown_key_in_config_file_names_key_and_line(folder, cluster):
    conf = os.path.join(folder, "bad.conf")
    with open(conf, "w") as f:
        f.write("# comment\nport = 8081\n\nlisten_adress = 127.0.0.1\n")
    s = Server(folder, cluster.url, "sma_" + "x" * 40)
    r = run_binary(["--config", conf], s.env, folder)
    assert r.returncode == 2
    assert '"listen_adress"' in r.stderr and "line 4" in r.stderr


def test_config_file_is_read_and_environment_overrides_it(folder, cluster):
    conf = os.path.join(folder, "good.conf")
    s = Server(folder, cluster.url, "sma_" + "x" * 40)
    with open(conf, "w") as f:
        f.write('port = 1\nmax_body_bytes = "2k"\n')
    s.env["SAMENMETEN_CONFIG"] = conf  # file says port 1; PORT in the environment wins
    s.start()
    try:
        r = requests.post(s.base + "/v1/projects", data=b"{" + b" " * 4096 + b"}",
                          headers={"Content-Type": "application/json",
                                   "Authorization": "Bearer " + s.admin_token})
        assert r.status_code == 413  # the file's 2k cap applies
    finally:
        s.stop()


def test_example_configuration_documents_every_key_and_loads(folder, cluster):
    from cluster import ROOT
    example = os.path.join(ROOT, "config", "samenmeten.conf.example")
    text = open(example).read()
    with open(os.path.join(ROOT, "server", "config.c")) as f:
        keys = [line.split('"')[1] for line in f if line.strip().startswith('{"') and "F(" in line]
    assert keys
    for key in keys:
        assert re.search(rf"^(# )?{key} =", text, re.M), f"{key} is not documented"
    # Uncommented, every example value is a valid value.
    conf = os.path.join(folder, "example.conf")
    with open(conf, "w") as f:
        for line in text.splitlines():
            if line.startswith("# ") and line[2:].split(" =")[0] in keys:
                line = line[2:]
            f.write(line + "\n")
    s = Server(folder, cluster.url, "sma_" + "x" * 40)
    env = {k: v for k, v in s.env.items() if k in ("PATH", "SAMENMETEN_DATABASE_URL",
                                                     "SAMENMETEN_MIGRATIONS_DIR")}
    env["SAMENMETEN_MIGRATE_ON_START"] = "true"
    r = run_binary(["--config", conf, "--migrate-only"], env, folder)
    assert r.returncode == 0, r.stderr


def test_migrations_apply_once_and_rerun_safely(folder, cluster):
    s = Server(folder, cluster.url, "sma_" + "x" * 40)
    for _ in range(2):
        r = run_binary(["--migrate-only"], s.env, folder)
        assert r.returncode == 0, r.stderr
        assert "0 migrations applied now" in r.stderr
    files = sorted(f for f in os.listdir(os.path.join(os.path.dirname(s.env[
        "SAMENMETEN_MIGRATIONS_DIR"]), "sql")) if f.endswith(".sql"))
    rows = cluster.psql("SELECT version FROM schema_migrations ORDER BY version").split("\n")
    assert rows == files
    assert cluster.psql("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'") == "1"


def test_a_changed_migration_stops_the_start(folder, cluster):
    import shutil
    s = Server(folder, cluster.url, "sma_" + "x" * 40)
    sql = os.path.join(folder, "sql")
    shutil.copytree(s.env["SAMENMETEN_MIGRATIONS_DIR"], sql)
    first = sorted(os.listdir(sql))[0]
    with open(os.path.join(sql, first), "a") as f:
        f.write("\n-- edited after the fact\n")
    r = run_binary(["--migrate-only"], dict(s.env, SAMENMETEN_MIGRATIONS_DIR=sql), folder)
    assert r.returncode != 0 and first in r.stderr and "changed" in r.stderr


def test_database_outage_gives_503_then_recovers(folder):
    own = Cluster(folder).start()
    s = Server(folder, own.url, "sma_" + "y" * 40, database_retry_after_s=7).start()
    try:
        headers = {"Authorization": "Bearer " + s.admin_token}
        assert requests.get(s.base + "/readyz").status_code == 200
        own.stop()
        r = requests.get(s.base + "/readyz")
        assert r.status_code == 503 and r.headers["Retry-After"] == "7"
        r = requests.post(s.base + "/v1/projects", headers=headers,
                          json={"slug": "during-outage", "name": "x", "kind": "air", "licence": "x"})
        assert r.status_code == 503 and r.headers["Retry-After"] == "7"
        assert r.json()["type"] == "urn:samenmeten:problem:database-unavailable"
        assert requests.get(s.base + "/v1/projects").status_code == 503
        assert s.proc.poll() is None  # still running
        own.start()
        deadline = time.time() + 20
        while requests.get(s.base + "/readyz").status_code != 200:
            assert time.time() < deadline
            time.sleep(0.2)
        r = requests.post(s.base + "/v1/projects", headers=headers,
                          json={"slug": "after-outage", "name": "x", "kind": "air", "licence": "x"})
        assert r.status_code == 201
        assert "after-outage" in own.psql("SELECT slug FROM project")
        assert "during-outage" not in own.psql("SELECT slug FROM project")
    finally:
        s.stop()
        own.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_lets_the_request_in_flight_finish(folder, cluster, sig):
    s = Server(folder, cluster.url, "sma_" + "z" * 40).start()
    slug = f"in-flight-{sig.value}-{os.getpid()}"
    body = ('{"slug": "%s", "name": "x", "kind": "air", "licence": "CC0"}' % slug).encode()
    conn = socket.create_connection(("127.0.0.1", s.port))
    conn.sendall(b"POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + s.admin_token.encode() + b"\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
    time.sleep(0.3)
    s.proc.send_signal(sig)
    time.sleep(0.3)
    # New connections are refused while the old request is still served.
    with pytest.raises(requests.ConnectionError):
        requests.get(s.base + "/healthz", timeout=2)
    conn.sendall(body[10:])
    reply = b""
    conn.settimeout(10)
    while b"\r\n\r\n" not in reply:
        chunk = conn.recv(4096)
        if not chunk:
            break
        reply += chunk
    conn.close()
    assert reply.startswith(b"HTTP/1.1 201"), reply
    assert s.proc.wait(timeout=10) == 0
    assert cluster.psql(f"SELECT count(*) FROM project WHERE slug = '{slug}'") == "1"
    assert "stopped" in s.log_text()
