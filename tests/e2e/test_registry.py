"""The registry: projects and devices, with every kind of bad input."""
import uuid

import pytest

NEW = {"name": "Snuffelfiets Utrecht", "kind": "air", "licence": "CC-BY-4.0"}


def count_projects(anon):
    return len(anon.get("/v1/projects").json()["items"])


def test_create_get_and_list_project(admin, anon, slug):
    r = admin.post("/v1/projects", json={"slug": slug, **NEW, "k_anonymity": 5, "trim_min_m": 350})
    assert r.status_code == 201
    p = r.json()
    assert p["slug"] == slug and p["k_anonymity"] == 5 and p["trim_min_m"] == 350
    assert p["auto_register"] is False
    assert r.headers["Location"] == f"/v1/projects/{slug}"
    public = anon.get(f"/v1/projects/{slug}").json()
    assert public == {**p, "coverage": {"from": None, "to": None}, "readings": 0,
                      "participants": 0}
    assert public in anon.get("/v1/projects").json()["items"]


def test_defaults_for_privacy_settings(admin, slug):
    p = admin.post("/v1/projects", json={"slug": slug, **NEW}).json()
    assert p["k_anonymity"] == 3 and p["trim_min_m"] == 200
    assert p["privacy_weakened"] is None


@pytest.mark.parametrize("weaker", [{"k_anonymity": 1}, {"k_anonymity": 2}, {"trim_min_m": 0},
                                    {"trim_min_m": 199}, {"k_anonymity": 1, "trim_min_m": 0}])
def test_weaker_privacy_needs_a_stated_reason(admin, anon, slug, weaker):
    """k_anonymity=1 and trim_min_m=0 switch protections off: they were accepted silently."""
    before = count_projects(anon)
    r = admin.post("/v1/projects", json={"slug": slug, **NEW, **weaker})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "privacy_weakened"
    assert all(name in r.json()["detail"] for name in weaker)
    assert count_projects(anon) == before
    reason = "calibration against the RIVM station with one test bike"
    r = admin.post("/v1/projects", json={"slug": slug, **NEW, **weaker, "privacy_weakened": reason})
    assert r.status_code == 201, r.text
    assert r.json()["privacy_weakened"] == reason
    # The catalogue says so, for everyone to see.
    assert anon.get(f"/v1/projects/{slug}").json()["privacy_weakened"] == reason
    listed = {p["slug"]: p for p in anon.get("/v1/projects").json()["items"]}
    assert listed[slug]["privacy_weakened"] == reason


@pytest.mark.parametrize("body", [
    {"privacy_weakened": "nothing is weaker"},
    {"k_anonymity": 5, "privacy_weakened": "stronger is not weaker"},
    {"k_anonymity": 1, "privacy_weakened": ""},
    {"k_anonymity": 1, "privacy_weakened": True},
])
def test_privacy_weakened_must_name_a_real_weakening(admin, slug, body):
    r = admin.post("/v1/projects", json={"slug": slug, **NEW, **body})
    assert r.status_code == 422 and r.json()["field"] == "privacy_weakened", r.text


def test_second_project_with_same_slug_is_409(admin, project):
    r = admin.post("/v1/projects", json={"slug": project["slug"], **NEW})
    assert r.status_code == 409
    assert r.json()["field"] == "slug"


def test_unknown_project_is_404(anon):
    r = anon.get("/v1/projects/does-not-exist")
    assert r.status_code == 404 and "does-not-exist" in r.json()["detail"]


@pytest.mark.parametrize("bad", ["Upper", "under_score", "x", "-dash", "a%20b", "semi;colon"])
def test_slug_with_bad_characters_in_path_is_400(anon, bad):
    r = anon.get(f"/v1/projects/{bad}")
    assert r.status_code == 400
    assert r.json()["type"] == "urn:samenmeten:problem:invalid-parameter"
    assert r.json()["field"] == "slug"


def test_sql_looking_strings_are_stored_and_returned_verbatim(admin, anon, slug, cluster):
    name = "Robert'); DROP TABLE project; -- \"quoted\" \\ back"
    licence = "1; DELETE FROM device WHERE '1'='1"
    r = admin.post("/v1/projects", json={"slug": slug, "name": name, "kind": "heat",
                                         "licence": licence})
    assert r.status_code == 201
    got = anon.get(f"/v1/projects/{slug}").json()
    assert got["name"] == name and got["licence"] == licence
    assert cluster.psql("SELECT count(*) FROM project WHERE slug = '%s'" % slug) == "1"


def test_unicode_names_round_trip(admin, anon, slug):
    name = "Hittestress Zuilen – Ondiep 🌡"
    assert admin.post("/v1/projects", json={"slug": slug, **NEW, "name": name}).status_code == 201
    assert anon.get(f"/v1/projects/{slug}").json()["name"] == name


# Each row: a body, the field the problem must name.
INVALID_BODIES = [
    ({"name": "x", "kind": "air", "licence": "CC0"}, "slug"),
    ({"slug": "ok-slug", "kind": "air", "licence": "CC0"}, "name"),
    ({"slug": "ok-slug", "name": "x", "licence": "CC0"}, "kind"),
    ({"slug": "ok-slug", "name": "x", "kind": "air"}, "licence"),
    ({"slug": "ok-slug", "name": "x", "kind": "water", "licence": "CC0"}, "kind"),
    ({"slug": "Bad Slug", "name": "x", "kind": "air", "licence": "CC0"}, "slug"),
    ({"slug": 12, "name": "x", "kind": "air", "licence": "CC0"}, "slug"),
    ({"slug": "ok-slug", "name": "", "kind": "air", "licence": "CC0"}, "name"),
    ({"slug": "ok-slug", "name": "x" * 201, "kind": "air", "licence": "CC0"}, "name"),
    ({"slug": "ok-slug", "name": "line\nbreak", "kind": "air", "licence": "CC0"}, "name"),
    ({"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "k_anonymity": "3"},
     "k_anonymity"),
    ({"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "k_anonymity": 0},
     "k_anonymity"),
    ({"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "k_anonymity": 2.5},
     "k_anonymity"),
    ({"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "trim_min_m": -1},
     "trim_min_m"),
    ({"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "auto_register": "yes"},
     "auto_register"),
    ({"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "owner": "me"}, "owner"),
]


@pytest.mark.parametrize("body,field", INVALID_BODIES)
def test_invalid_fields_are_422_naming_the_field_and_store_nothing(admin, anon, body, field):
    before = count_projects(anon)
    r = admin.post("/v1/projects", json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == "urn:samenmeten:problem:invalid-field"
    assert problem["field"] == field and field in problem["detail"]
    assert count_projects(anon) == before


MALFORMED = [
    b"",
    b"{",
    b"not json",
    b'["an", "array"]',
    b'{"slug": "a", "slug": "b", "name": "x", "kind": "air", "licence": "CC0"}',
    b'{"slug": "ok-slug", "name": NaN, "kind": "air", "licence": "CC0"}',
    b'{"slug": "ok-slug", "name": Infinity, "kind": "air", "licence": "CC0"}',
    b'{"slug": "ok-slug", "name": "\xff\xfe", "kind": "air", "licence": "CC0"}',
    b'{"slug": "ok-slug", "name": "x\\u0000y", "kind": "air", "licence": "CC0"}',
    b'{"a":' * 200 + b"1" + b"}" * 200,
    b"[" * 60000,
    # Integers beyond 64 bits cannot be read at all.
    b'{"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "trim_min_m": 1e400}',
    b'{"slug": "ok-slug", "name": "x", "kind": "air", "licence": "CC0", "trim_min_m": '
    b'100000000000000000000}',
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_bodies_are_rejected_and_store_nothing(admin, anon, body):
    before = count_projects(anon)
    r = admin.post("/v1/projects", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.json()["type"] in ("urn:samenmeten:problem:malformed-body",
                                "urn:samenmeten:problem:invalid-field")
    assert count_projects(anon) == before


def test_deep_nesting_names_the_limit(admin):
    r = admin.post("/v1/projects", data=b"[" * 50 + b"]" * 50,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nesting" in r.json()["detail"]


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None,
                                   "application/jsonp"])
def test_wrong_content_type_is_415(admin, slug, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = admin.post("/v1/projects", data=b'{"slug": "%s"}' % slug.encode(), headers=headers)
    assert r.status_code == 415
    assert r.json()["type"] == "urn:samenmeten:problem:unsupported-media-type"


def test_json_with_charset_is_accepted(admin, slug):
    import json
    r = admin.post("/v1/projects", data=json.dumps({"slug": slug, **NEW}),
                   headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201


def test_missing_token_is_401_with_challenge(anon, slug):
    r = anon.post("/v1/projects", json={"slug": slug, **NEW})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["type"] == "urn:samenmeten:problem:unauthorized"


@pytest.mark.parametrize("header", ["Bearer wrong-token-of-some-length", "Basic YWRtaW46YWRtaW4=",
                                    "Bearer", "bearer  ", "Token abc"])
def test_wrong_token_is_401(anon, slug, header):
    r = anon.post("/v1/projects", json={"slug": slug, **NEW}, headers={"Authorization": header})
    assert r.status_code == 401


def test_device_token_on_admin_endpoint_is_403(anon, device, slug):
    r = anon.post("/v1/projects", json={"slug": slug, **NEW}, token=device["token"])
    assert r.status_code == 403
    assert r.json()["type"] == "urn:samenmeten:problem:forbidden"


def test_register_device(admin, project):
    r = admin.post(f"/v1/projects/{project['slug']}/devices",
                   json={"external_id": "352753098853250", "participant": "deelnemer-42"})
    assert r.status_code == 201
    d = r.json()
    assert d["project"] == project["slug"] and d["active"] is True
    assert d["token"].startswith("smd_")
    assert r.headers["Location"] == f"/v1/devices/{d['id']}"
    assert r.headers["Cache-Control"] == "no-store"
    # The token is shown once: never again.
    again = admin.get(f"/v1/devices/{d['id']}").json()
    assert "token" not in again and again["id"] == d["id"]


def test_same_external_id_twice_in_a_project_is_409(admin, project):
    body = {"external_id": "AA:BB:CC:DD:EE:FF", "participant": "p"}
    assert admin.post(f"/v1/projects/{project['slug']}/devices", json=body).status_code == 201
    r = admin.post(f"/v1/projects/{project['slug']}/devices", json=body)
    assert r.status_code == 409 and r.json()["field"] == "external_id"


def test_same_external_id_in_another_project_is_fine(admin, project, slug):
    other = admin.post("/v1/projects", json={"slug": slug + "-b", **NEW}).json()
    body = {"external_id": "station-0042", "participant": "p"}
    assert admin.post(f"/v1/projects/{project['slug']}/devices", json=body).status_code == 201
    assert admin.post(f"/v1/projects/{other['slug']}/devices", json=body).status_code == 201


def test_device_under_unknown_project_is_404(admin):
    r = admin.post("/v1/projects/no-such-project/devices",
                   json={"external_id": "x", "participant": "p"})
    assert r.status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"participant": "p"}, "external_id"),
    ({"external_id": "x"}, "participant"),
    ({"external_id": 352753098853250, "participant": "p"}, "external_id"),
    ({"external_id": "x" * 129, "participant": "p"}, "external_id"),
    ({"external_id": "x", "participant": "p", "imei": "y"}, "imei"),
])
def test_invalid_device_bodies_are_422(admin, project, body, field):
    r = admin.post(f"/v1/projects/{project['slug']}/devices", json=body)
    assert r.status_code == 422 and r.json()["field"] == field
    assert admin.get(f"/v1/projects/{project['slug']}/devices").json()["items"] == []


def test_list_devices_and_find_by_external_id(admin, project):
    ids = []
    for n in range(3):
        ids.append(admin.post(f"/v1/projects/{project['slug']}/devices",
                              json={"external_id": f"ext-{n}", "participant": "p"}).json()["id"])
    items = admin.get(f"/v1/projects/{project['slug']}/devices").json()["items"]
    assert [d["id"] for d in items] == ids
    found = admin.get(f"/v1/projects/{project['slug']}/devices",
                      params={"external_id": "ext-1"}).json()["items"]
    assert [d["id"] for d in found] == [ids[1]]
    assert admin.get(f"/v1/projects/{project['slug']}/devices",
                     params={"external_id": "nope"}).json()["items"] == []


def test_rotate_token_invalidates_the_old_one(admin, anon, device):
    r = admin.post(f"/v1/devices/{device['id']}/token")
    assert r.status_code == 200
    new = r.json()["token"]
    assert new != device["token"] and r.json()["token_rotated_at"]
    # A valid device token on an admin endpoint is 403; an unknown one is 401.
    assert anon.get("/v1/projects/x-y/devices", token=device["token"]).status_code == 401
    assert anon.get("/v1/projects/x-y/devices", token=new).status_code == 403


def test_deactivate_device(admin, anon, device):
    r = admin.post(f"/v1/devices/{device['id']}/deactivate")
    assert r.status_code == 200
    assert r.json()["active"] is False and r.json()["deactivated_at"]
    assert anon.get("/v1/projects/x-y/devices", token=device["token"]).status_code == 401
    # A deactivated device gets no new token.
    assert admin.post(f"/v1/devices/{device['id']}/token").status_code == 404


@pytest.mark.parametrize("path", ["/v1/devices/not-a-uuid", "/v1/devices/1%27%20OR%201=1",
                                  "/v1/devices/0E984725-C51C-4BF4-9960-E1C80E27ABA0"])
def test_bad_device_id_is_400(admin, path):
    r = admin.get(path)
    assert r.status_code == 400 and r.json()["field"] == "id"


def test_unknown_device_is_404(admin):
    missing = str(uuid.uuid4())
    for r in (admin.get(f"/v1/devices/{missing}"),
              admin.post(f"/v1/devices/{missing}/token"),
              admin.post(f"/v1/devices/{missing}/deactivate")):
        assert r.status_code == 404
