"""A throwaway PostgreSQL + PostGIS cluster and the real server binary, for tests.

Both go through the same tools the platform uses (tools/pg-cluster.sh), so the tests
exercise what `make run` does. Everything lives under a private folder in /tmp that
the "postgres" user can traverse (PostgreSQL refuses to run as root).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SAMENMETEN_BIN", os.path.join(ROOT, "build", "release", "samenmeten"))
PG_TOOL = os.path.join(ROOT, "tools", "pg-cluster.sh")
# Tests do not need durable commits; benchmarks do and start their own cluster.
FAST_PG = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def scratch_dir(prefix):
    """A new folder in /tmp the database user can traverse."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    return path


class Cluster:
    def __init__(self, folder, name="pgdata", primary=None, options=FAST_PG):
        """A cluster in folder/name; with `primary` (a running Cluster), a hot standby
        of it (pg_basebackup -R, streaming over the primary's socket)."""
        self.datadir = os.path.join(folder, name)
        self.primary = primary
        self.options = options  # server options; the fault tests need durable commits
        self.url = None

    def start(self):
        env = dict(os.environ, PG_EXTRA_OPTS=self.options)
        args = ["start", self.datadir]
        if self.primary:
            args = ["standby", self.datadir, self.primary.datadir]
        out = subprocess.run([PG_TOOL, *args], env=env, check=True,
                             capture_output=True, text=True, timeout=120)
        self.url = out.stdout.strip().splitlines()[-1]
        return self

    def stop(self):
        subprocess.run([PG_TOOL, "stop", self.datadir], check=False, timeout=120,
                       capture_output=True)

    def psql(self, sql):
        """Runs SQL with psql; returns its unaligned output."""
        out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.url,
                              "-c", sql], check=True, capture_output=True, text=True, timeout=60)
        return out.stdout.strip()

    def locked(self, table, seconds, release=None):
        """Holds an ACCESS EXCLUSIVE lock on `table` for `seconds` (or until the event
        `release` is set, at most `seconds`) from a connection of its own, in a thread;
        returns the thread once the lock is held."""
        import threading
        import psycopg2
        conn = psycopg2.connect(self.url)
        held = threading.Event()

        def hold():
            with conn.cursor() as cur:
                cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                held.set()
                if release:
                    release.wait(seconds)
                else:
                    time.sleep(seconds)
            conn.rollback()
            conn.close()

        t = threading.Thread(target=hold)
        t.start()
        assert held.wait(10), f"could not lock {table}"
        return t

    def dump(self):
        out = subprocess.run(["pg_dump", "--no-owner", "-d", self.url], check=True,
                             capture_output=True, timeout=120)
        return out.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The real binary on a free loopback port, with its log captured."""

    def __init__(self, folder, database_url, admin_token, **settings):
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin_token = admin_token
        self.log_path = os.path.join(folder, f"server-{self.port}.log")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PORT": str(self.port),
            "SAMENMETEN_DATABASE_URL": database_url,
            "SAMENMETEN_ADMIN_TOKEN": admin_token or "",
            "SAMENMETEN_KEY_FILE": os.path.join(folder, "pseudonym.key"),
            "SAMENMETEN_ADMIN_TOKEN_FILE": os.path.join(folder, "admin.token"),
            "SAMENMETEN_MIGRATIONS_DIR": os.path.join(ROOT, "sql"),
            "SAMENMETEN_OPENAPI_FILE": os.path.join(ROOT, "api", "openapi.yaml"),
            # The suites send bursts from one address with one admin token: rate limits
            # are off but where a test sets them (test_rate_limits.py).
            "SAMENMETEN_RATE_LIMIT_ADDRESS_PER_S": "0",
            "SAMENMETEN_RATE_LIMIT_TOKEN_PER_S": "0",
        }
        for key, value in settings.items():
            self.env[key if key == "PORT" else "SAMENMETEN_" + key.upper()] = str(value)
        self.proc = None

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN], env=self.env, cwd=self.folder, stdout=self.log,
                                     stderr=self.log)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not answer /healthz in time:\n" + self.log_text())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self):
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith("{")]


def run_binary(args, env, cwd, timeout=60):
    """Runs the binary to completion (for --migrate-only, bad configurations)."""
    return subprocess.run([BIN, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def remove(folder):
    shutil.rmtree(folder, ignore_errors=True)


def terminate_all(servers):
    for s in servers:
        if s.proc and s.proc.poll() is None:
            s.proc.send_signal(signal.SIGKILL)
