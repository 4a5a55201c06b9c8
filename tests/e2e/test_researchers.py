"""Researcher tokens (admin): issued for a purpose until a date, shown once, revocable;
refused once expired or revoked. The audit log of point-level downloads."""
import datetime
import time
import uuid

import pytest


def later(days):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_researcher(admin, name="Dr. A. Onderzoeker (UU)", days=30):
    r = admin.post("/v1/researchers", json={
        "name": name, "purpose": "exposure of cyclists to PM2.5 on commuting routes",
        "expires_at": later(days)})
    assert r.status_code == 201, r.text
    return r.json()


def test_issue_list_revoke(admin, cluster):
    res = new_researcher(admin)
    assert res["token"].startswith("smr_") and res["active"] is True
    listed = admin.get("/v1/researchers").json()["items"]
    mine = [x for x in listed if x["id"] == res["id"]]
    assert len(mine) == 1 and "token" not in mine[0]
    # Only the token's keyed hash is stored.
    assert cluster.psql(f"SELECT count(*) FROM researcher WHERE token_hash::text LIKE "
                        f"'%{res['token'][4:12].encode().hex()}%'") == "0"
    assert res["token"] not in cluster.psql("SELECT string_agg(token_hash::text, ',') "
                                            "FROM researcher")
    revoked = admin.post(f"/v1/researchers/{res['id']}/revoke").json()
    assert revoked["active"] is False and revoked["revoked_at"] is not None
    assert admin.post("/v1/researchers/999999999/revoke").status_code == 404
    for bad in ("abc", "0", "-1", "1.5"):
        r = admin.post(f"/v1/researchers/{bad}/revoke")
        assert r.status_code == 400 and r.json()["field"] == "id", bad
        assert "expected a positive integer" in r.json()["detail"]


@pytest.mark.parametrize("change,field", [
    ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
    ({"expires_at": later(400)}, "expires_at"),
    ({"expires_at": "next week"}, "expires_at"),
    ({"name": ""}, "name"),
    ({"purpose": None}, "purpose"),
    ({"scope": "everything"}, "scope"),
])
def test_bad_researchers_are_refused(admin, cluster, change, field):
    before = cluster.psql("SELECT count(*) FROM researcher")
    body = {"name": "x", "purpose": "y", "expires_at": later(10), **change}
    body = {k: v for k, v in body.items() if v is not None}
    r = admin.post("/v1/researchers", json=body)
    assert r.status_code in (400, 422) and r.json()["field"] == field, r.text
    assert cluster.psql("SELECT count(*) FROM researcher") == before


def test_researcher_routes_need_the_admin(anon, admin):
    res = new_researcher(admin)
    assert anon.get("/v1/researchers").status_code == 401
    assert anon.get("/v1/researchers", token=res["token"]).status_code in (401, 403)
    assert anon.post("/v1/researchers", token=res["token"], json={}).status_code in (401, 403)
    assert anon.get("/v1/audit/downloads", token=res["token"]).status_code in (401, 403)
    assert admin.get("/v1/audit/downloads", params={"researcher": "x"}).status_code == 400


def test_point_level_readings_need_a_valid_researcher_token(admin, anon, cluster, server):
    """No token: 401. A researcher's token: the points, and an audit record written before
    them. Expired or revoked: 401. The open dataset needs no token."""
    from contract import Client
    from ingest_data import SNUFFEL_CSV, read
    slug = f"points-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                     "licence": "CC-BY-4.0"})
    admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
               headers={"Content-Type": "text/csv"})
    path = f"/v1/datasets/{slug}/readings"
    assert anon.get(f"/v1/datasets/{slug}").status_code == 200
    r = anon.get(path)
    assert r.status_code == 401 and "researcher token" in r.json()["detail"]
    device = admin.post(f"/v1/projects/{slug}/devices",
                        json={"external_id": f"imei-{slug}", "participant": f"p-{slug}"}).json()
    assert anon.get(path, token=device["token"]).status_code == 401

    res = new_researcher(admin, name=f"Onderzoeker {slug}")
    who = Client(server.base, res["token"])
    before = cluster.psql("SELECT count(*) FROM download_audit")
    r = who.get(path, params={"format": "ndjson", "from": "2024-11-11T00:00:00Z",
                              "to": "2024-11-12T00:00:00Z"})
    assert r.status_code == 200 and r.text.count("\n") > 100
    assert r.headers["Cache-Control"] == "private, no-store"
    assert int(cluster.psql("SELECT count(*) FROM download_audit")) == int(before) + 1
    log = admin.get("/v1/audit/downloads", params={"researcher": res["id"]}).json()["items"]
    assert len(log) == 1
    assert {k: log[0][k] for k in ("by", "researcher", "project", "from", "to", "format")} == {
        "by": "researcher", "researcher": res["id"], "project": slug,
        "from": "2024-11-11T00:00:00Z", "to": "2024-11-12T00:00:00Z", "format": "ndjson"}
    assert log[0]["request_id"] == r.headers["X-Request-Id"]
    # The admin's own downloads are recorded too.
    assert admin.get(path).status_code == 200
    assert admin.get("/v1/audit/downloads", params={"project": slug}).json()["items"][0]["by"] \
        == "admin"

    # Expired, then revoked: refused, and nothing recorded.
    cluster.psql(f"UPDATE researcher SET created_at = now() - interval '2 days', "
                 f"expires_at = now() - interval '1 second' WHERE id = {res['id']}")
    r = who.get(path)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    cluster.psql(f"UPDATE researcher SET expires_at = now() + interval '1 day' "
                 f"WHERE id = {res['id']}")
    assert who.get(path).status_code == 200
    admin.post(f"/v1/researchers/{res['id']}/revoke")
    r = who.get(path)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert len(admin.get("/v1/audit/downloads",
                         params={"researcher": res["id"]}).json()["items"]) == 2


def test_the_audit_row_is_committed_before_the_first_byte(admin, cluster, server):
    """A point-level download far larger than the sockets' buffers, read only as far as
    its headers and first bytes: while the server is still streaming it (its COPY's
    transaction open, the client reading nothing), the audit row with the response's
    request id is already committed, visible to another session."""
    import socket
    from ingest_data import trip_rows
    slug = f"audit-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC-BY-4.0"}).status_code == 201
    for part in range(5):  # about 7 MB of GeoJSON
        rows = trip_rows(0, 5000, step_s=1, day=f"2025-03-0{part + 1}", step_deg=0.00005)
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", json=[
            {"created_at": t, "imei": f"86123456789{part:04d}", "lat": la, "lon": lo,
             "pm_2_5": pm} for t, la, lo, pm in rows])
        assert r.status_code == 200, r.text
    res = new_researcher(admin, name=f"Onderzoeker {slug}")

    streaming = ("SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' AND "
                 "query LIKE 'COPY (SELECT lines FROM air_dataset_hours(%'")
    deadline = time.monotonic() + 10  # a download another suite cut short may still end
    while cluster.psql(streaming) != "0":
        assert time.monotonic() < deadline, "another download is still streaming"
        time.sleep(0.1)
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.settimeout(30)
    try:
        c.connect(("127.0.0.1", server.port))
        c.sendall(f"GET /v1/datasets/{slug}/readings?format=geojson&from=2025-03-01T00:00:00Z"
                  f"&to=2025-03-10T00:00:00Z HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {res['token']}\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + 16:
            chunk = c.recv(64)
            assert chunk, data
            data += chunk
        head = data[:data.index(b"\r\n\r\n")].decode("latin-1")
        assert head.startswith("HTTP/1.1 200"), head
        request_id = next(line.split(":", 1)[1].strip() for line in head.split("\r\n")
                          if line.lower().startswith("x-request-id:"))
        time.sleep(0.5)  # what the server could send, it has sent
        # Still streaming: the download's transaction is open and the client reads nothing.
        assert cluster.psql(streaming) == "1"
        assert cluster.psql(f"SELECT count(*) FROM download_audit WHERE request_id = "
                            f"'{request_id}'") == "1"
        # Then the rest, to its end.
        got, tail = len(data), data[-5:]
        while tail != b"0\r\n\r\n":  # the last chunk
            data = c.recv(1 << 16)
            assert data, "the download ended early"
            got += len(data)
            tail = (tail + data)[-5:]
        assert got > 5_000_000, got
    finally:
        c.close()
    log = admin.get("/v1/audit/downloads", params={"researcher": res["id"]}).json()["items"]
    assert [x["request_id"] for x in log] == [request_id]
