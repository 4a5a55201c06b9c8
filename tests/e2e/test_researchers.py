"""Researcher tokens (admin): issued for a purpose until a date, shown once, revocable;
refused once expired or revoked. The audit log of point-level downloads."""
import datetime

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
    assert admin.post("/v1/researchers/abc/revoke").status_code == 400


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
