"""Shared fixtures: one PostGIS cluster and one server for the session; tests that
need to break things (stop the database, send signals) start their own."""
import os
import secrets
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from cluster import Cluster, Server, remove, scratch_dir  # noqa: E402
from contract import Client  # noqa: E402

MAX_BODY = 2 * 1024 * 1024


@pytest.fixture(scope="session")
def workdir():
    folder = scratch_dir("smu-test-")
    yield folder
    remove(folder)


@pytest.fixture(scope="session")
def cluster(workdir):
    c = Cluster(workdir).start()
    yield c
    c.stop()


@pytest.fixture(scope="session")
def admin_token():
    return "sma_" + secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def server(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, max_body_bytes=MAX_BODY).start()
    yield s
    # A clean exit after everything: no crash, and (in sanitizer builds) no leak report.
    assert s.stop() == 0, s.log_text()[-4000:]


@pytest.fixture(scope="module")
def uncached_server(workdir, cluster, admin_token):
    """A server that keeps no open answers (answer_cache_s=0), for tests that change the
    database behind the server's back and look at the very next answer (a module makes it
    its `server`)."""
    s = Server(workdir, cluster.url, admin_token, max_body_bytes=MAX_BODY,
               answer_cache_s=0).start()
    yield s
    assert s.stop() == 0, s.log_text()[-4000:]


@pytest.fixture
def admin(server, admin_token):
    return Client(server.base, admin_token)


@pytest.fixture
def anon(server):
    return Client(server.base)


@pytest.fixture(scope="session")
def researcher_token(server, admin_token):
    """A researcher's token, for point-level readings (/v1/datasets/{slug}/readings)."""
    import datetime
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
    r = Client(server.base, admin_token).post("/v1/researchers", json={
        "name": "test suite", "purpose": "end-to-end tests of the point-level download",
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert r.status_code == 201, r.text
    return r.json()["token"]


@pytest.fixture
def researcher(server, researcher_token):
    return Client(server.base, researcher_token)


@pytest.fixture
def slug():
    """A project slug no other test uses."""
    return "t-" + uuid.uuid4().hex[:12]


@pytest.fixture
def project(admin, slug):
    r = admin.post("/v1/projects", json={"slug": slug, "name": "Test project", "kind": "air",
                                         "licence": "CC-BY-4.0"})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def device(admin, project):
    r = admin.post(f"/v1/projects/{project['slug']}/devices",
                   json={"external_id": "IMEI-" + uuid.uuid4().hex, "participant": "P-1"})
    assert r.status_code == 201, r.text
    return r.json()
