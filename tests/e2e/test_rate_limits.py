"""Rate limits (429 with Retry-After) per client address and per bearer token; health
checks and metrics are never limited."""
import time

from cluster import Server
from contract import Client


def test_an_address_over_its_rate_waits(workdir, cluster, admin_token):
    # Two a second, bursts of two: the third request at once is refused.
    s = Server(workdir, cluster.url, admin_token, rate_limit_address_per_s=2,
               rate_limit_burst_s=1).start()
    try:
        anon = Client(s.base)
        # Every request counts, whatever its answer: a 400 as much as a 200.
        assert anon.get("/v1/quantities").status_code == 200
        assert anon.get("/v1/aggregates", params={"quantity": "nope"}).status_code == 400
        r = anon.get("/v1/quantities")
        assert r.status_code == 429, r.text
        problem = r.json()
        assert problem["type"] == "urn:samenmeten:problem:rate-limited"
        assert "this address" in problem["detail"]
        wait = int(r.headers["Retry-After"])
        assert 1 <= wait <= 2
        # Monitoring is never limited.
        assert anon.get("/healthz").status_code == 200
        assert anon.get("/metrics").status_code == 200
        time.sleep(wait)
        assert anon.get("/v1/quantities").status_code == 200
        assert 'status="429"' in anon.get("/metrics").text
    finally:
        assert s.stop() == 0


def test_a_token_over_its_rate_waits(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, rate_limit_token_per_s=1,
               rate_limit_burst_s=1).start()
    try:
        admin, anon = Client(s.base, admin_token), Client(s.base)
        assert admin.get("/v1/projects").status_code == 200
        r = admin.get("/v1/projects")
        assert r.status_code == 429 and "this token" in r.json()["detail"]
        assert int(r.headers["Retry-After"]) == 1
        # Others go on: requests without a token, and another token (refused as such).
        assert anon.get("/v1/projects").status_code == 200
        assert Client(s.base, "sma_" + "y" * 43).get("/v1/projects/x/devices").status_code == 401
    finally:
        assert s.stop() == 0
