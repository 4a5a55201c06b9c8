"""Operations endpoints, routing errors, request ids, CORS, the access log, limits."""
import json
import socket

import requests

from cluster import ROOT
from conftest import MAX_BODY


def test_healthz(anon):
    r = anon.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["X-Request-Id"]


def test_readyz(anon):
    r = anon.get("/readyz")
    assert r.status_code == 200 and r.json()["database"] == "ok"


def test_request_id_is_echoed_when_sane_and_replaced_otherwise(anon):
    assert anon.get("/healthz", headers={"X-Request-Id": "abc-123.x_Y"}).headers[
        "X-Request-Id"] == "abc-123.x_Y"
    bad = anon.get("/healthz", headers={"X-Request-Id": "has spaces;and=stuff"})
    assert bad.headers["X-Request-Id"] != "has spaces;and=stuff"
    assert len(bad.headers["X-Request-Id"]) == 24


def test_metrics_count_requests_by_route_and_status(anon):
    anon.get("/healthz")
    anon.get("/no/such/path")
    r = anon.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    assert 'samenmeten_http_requests_total{route="/healthz",method="GET",status="200"}' in text
    assert 'samenmeten_http_requests_total{route="unmatched",method="",status="404"}' in text
    assert 'samenmeten_http_request_duration_seconds_bucket{route="/healthz",method="GET",le="+Inf"}' in text
    assert "samenmeten_db_errors_total " in text
    # Every sample line is "name{labels} value" with a numeric value.
    for line in text.splitlines():
        if line and not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def test_openapi_is_served_as_is(anon):
    r = anon.get("/v1/openapi.yaml")
    assert r.status_code == 200
    with open(f"{ROOT}/api/openapi.yaml", "rb") as f:
        assert r.content == f.read()


def test_unknown_path_is_a_404_problem(anon):
    r = anon.get("/v1/nothing-here")
    assert r.status_code == 404
    body = r.json()
    assert body["type"] == "urn:samenmeten:problem:not-found"
    assert body["instance"] == "/v1/nothing-here"
    assert body["request_id"] == r.headers["X-Request-Id"]


def test_wrong_method_is_a_405_with_allow(anon):
    r = anon.request("PUT", "/v1/projects")
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD, POST"
    assert r.json()["type"] == "urn:samenmeten:problem:method-not-allowed"
    r = anon.request("DELETE", "/healthz")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"


def test_head_answers_without_a_body(anon):
    r = anon.request("HEAD", "/healthz")
    assert r.status_code == 200 and r.content == b""


def test_cors_on_public_reads_only(anon, admin, project):
    r = anon.get("/v1/projects")
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in r.headers["Access-Control-Expose-Headers"]
    r = admin.get(f"/v1/projects/{project['slug']}/devices")
    assert "Access-Control-Allow-Origin" not in r.headers


def test_cors_preflight_for_open_data_only(anon, admin, project):
    ask = {"Origin": "https://dashboard.example", "Access-Control-Request-Method": "GET",
           "Access-Control-Request-Headers": "if-none-match"}
    r = anon.request("OPTIONS", "/v1/aggregates", headers=ask)
    assert r.status_code == 204 and r.content == b""
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in r.headers["Access-Control-Allow-Headers"]
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    # Admin routes are not for browsers of other origins.
    r = anon.request("OPTIONS", f"/v1/projects/{project['slug']}/devices", headers=ask)
    assert r.status_code == 405 and "Access-Control-Allow-Origin" not in r.headers
    assert anon.request("OPTIONS", "/v1/no-such-thing", headers=ask).status_code == 404


def test_body_over_the_cap_is_413_by_content_length(admin):
    r = admin.post("/v1/projects", data=b"{" + b" " * MAX_BODY + b"}",
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["type"] == "urn:samenmeten:problem:body-too-large"


def test_body_over_the_cap_is_413_when_chunked(admin):
    def chunks():
        yield b"{"
        for _ in range(MAX_BODY // 1024 + 2):
            yield b" " * 1024
        yield b"}"
    r = admin.post("/v1/projects", data=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert str(MAX_BODY) in r.json()["detail"]


def test_access_log_is_json_lines_without_secrets(server, admin, admin_token, device):
    admin.get("/v1/projects", headers={"X-Request-Id": "log-check-1"})
    requests.get(server.base + "/healthz", headers={"Authorization": "Bearer " + device["token"]})
    lines = server.log_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is JSON
    assert any(e.get("request_id") == "log-check-1" and e["status"] == 200 and
               e["route"] == "/v1/projects" and "duration_ms" in e for e in entries)
    text = "\n".join(lines)
    assert admin_token not in text
    assert device["token"] not in text


def test_slow_request_line_does_not_block_others(server, anon):
    # A client that connects and sends nothing must not hold up other requests.
    with socket.create_connection(("127.0.0.1", server.port)) as idle:
        idle.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert anon.get("/healthz").status_code == 200


def test_a_500_and_its_error_log_line_share_the_request_id(server, cluster, admin_token):
    """A 500 says the server log has the details under its request id: the log line with
    the database error must carry that id. A trigger makes one insert fail."""
    import uuid
    name = "boom_" + uuid.uuid4().hex[:8]
    slug = name.replace("_", "-")
    cluster.psql(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                 f"$$BEGIN RAISE EXCEPTION 'planted failure'; END$$;"
                 f"CREATE TRIGGER {name} BEFORE INSERT ON project FOR EACH ROW"
                 f" WHEN (NEW.slug = '{slug}') EXECUTE FUNCTION {name}()")
    try:
        # A 500 is no answer the contract lists: plain requests, not the checking client.
        r = requests.post(server.base + "/v1/projects", timeout=30,
                          headers={"Authorization": f"Bearer {admin_token}"},
                          json={"slug": slug, "name": "x", "kind": "air", "licence": "CC0"})
        assert r.status_code == 500, r.text
        rid = r.json()["request_id"]
        assert rid in r.json()["detail"] and "planted" not in r.text
        errors = [line for line in server.log_lines()
                  if line["level"] == "error" and "planted failure" in line["msg"]]
        assert errors and all(line.get("request_id") == rid for line in errors), errors
    finally:
        cluster.psql(f"DROP TRIGGER {name} ON project; DROP FUNCTION {name}()")
