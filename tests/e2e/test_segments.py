"""/v1/traffic/segments: Telraam segments with totals, modal split, directions, v85."""
import subprocess
import uuid

import pytest

from ingest_data import telraam_report

RANGE = {"from": "2025-06-02T00:00:00Z", "to": "2025-06-03T00:00:00Z"}


@pytest.fixture
def traffic(admin):
    slug = f"telraam-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "traffic",
                                     "licence": "CC-BY-4.0"})
    seg = 78000000000 + uuid.uuid4().int % 999999999
    admin.post(f"/v1/segments?project={slug}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment_id": seg, "timezone": "Europe/Amsterdam"},
         "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}}]})
    reports = [telraam_report(seg, "2025-06-02T07:00:00Z", uptime=0.8, car=100.0, bike=50.0,
                              heavy=2.0, pedestrian=48.0, v85=40.0),
               telraam_report(seg, "2025-06-02T08:00:00Z", uptime=0.6, car=80.0, bike=60.0,
                              heavy=1.0, pedestrian=59.0, v85=50.0),
               telraam_report(seg, "2025-06-02T09:00:00Z", uptime=0.2, car=5.0)]
    assert admin.post(f"/v1/ingest/telraam?project={slug}",
                      json={"report": reports}).json()["accepted"] == 3
    return slug, seg


def test_segment_totals(anon, traffic, tmp_path):
    slug, seg = traffic
    r = anon.get("/v1/traffic/segments", params={**RANGE, "project": slug})
    fc = r.json()
    assert len(fc["features"]) == 1
    totals = fc["features"][0]["properties"]["totals"]
    assert totals["reports"] == 2  # uptime 0.2 is left out
    assert totals["counts"] == {"heavy": 3.0, "car": 180.0, "bike": 110.0, "pedestrian": 107.0}
    assert totals["v85"] == pytest.approx((40 * 0.8 + 50 * 0.6) / 1.4, abs=0.05)
    assert sum(totals["modal_split"].values()) == pytest.approx(1.0, abs=0.002)
    assert totals["modal_split"]["car"] == pytest.approx(180 / 400, abs=0.001)
    path = tmp_path / "segments.geojson"
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "Geometry: Multi Line String" in out.stdout, out.stdout


def test_segment_series(anon, traffic):
    slug, seg = traffic
    hourly = anon.get(f"/v1/traffic/segments/{seg}", params=RANGE).json()["properties"]
    assert [i["start"] for i in hourly["items"]] == ["2025-06-02T07:00:00Z",
                                                     "2025-06-02T08:00:00Z"]
    every = anon.get(f"/v1/traffic/segments/{seg}",
                     params={**RANGE, "bucket": "day", "quality": "all"}).json()["properties"]
    assert len(every["items"]) == 1 and every["items"][0]["reports"] == 3
    assert every["items"][0]["directions"]["lft"]["car"] is not None


def test_projects_list_their_own_segments(admin, anon, traffic):
    slug, seg = traffic
    other = f"telraam-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": other, "name": "x", "kind": "traffic",
                                     "licence": "CC-BY-4.0"})
    assert anon.get("/v1/traffic/segments", params={"project": other}).json()["features"] == []
    everything = anon.get("/v1/traffic/segments").json()["features"]
    assert seg in {f["properties"]["segment_id"] for f in everything}


@pytest.mark.parametrize("path,params,status,field", [
    ("/v1/traffic/segments/1", {}, 404, "id"),
    ("/v1/traffic/segments/abc", {}, 400, "id"),
    ("/v1/traffic/segments/0", {}, 400, "id"),
    ("/v1/traffic/segments/-3", {}, 400, "id"),
    ("/v1/traffic/segments/1", {"bucket": "minute"}, 400, "bucket"),
    ("/v1/traffic/segments", {"from": "2025-06-03T00:00:00Z", "to": "2025-06-02T00:00:00Z"}, 400, "from"),
    ("/v1/traffic/segments", {"quality": "some"}, 400, "quality"),
])
def test_bad_segment_requests(anon, path, params, status, field):
    r = anon.get(path, params=params)
    assert r.status_code == status and r.json()["field"] == field


# --- Ownership: a camera writes only the segments it counts ---------------------------------

def _segment(seg):
    return {"type": "Feature", "properties": {"segment_id": seg},
            "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}}


@pytest.fixture
def cameras(admin):
    """A traffic project with cameras A and B; B's segment registered with it, and a
    segment nobody counts yet."""
    slug = f"telraam-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "traffic",
                                            "licence": "CC-BY-4.0"}).status_code == 201
    a, b = (admin.post(f"/v1/projects/{slug}/devices",
                       json={"external_id": str(9000 + i), "participant": f"p{i}"}).json()
            for i in (1, 2))
    seg_b, free = (76000000000 + uuid.uuid4().int % 999999999 for _ in range(2))
    r = admin.post(f"/v1/segments?project={slug}&device={b['id']}",
                   json={"type": "FeatureCollection", "features": [_segment(seg_b)]})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    r = admin.post(f"/v1/segments?project={slug}",
                   json={"type": "FeatureCollection", "features": [_segment(free)]})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    return slug, a, b, seg_b, free


def test_a_camera_cannot_write_another_cameras_segment(server, cameras, cluster):
    """Seen: camera A's token posted B's segment for an hour before B did; B's real report
    was then a duplicate and dropped."""
    from contract import Client
    slug, a, b, seg_b, _ = cameras
    cam_a, cam_b = Client(server.base, a["token"]), Client(server.base, b["token"])
    hour = "2025-06-02T07:00:00Z"
    r = cam_a.post("/v1/ingest/telraam", json={"report": [telraam_report(seg_b, hour, car=999.0)]})
    assert r.status_code == 403, r.text
    assert r.json()["field"] == "segment_id" and str(seg_b) in r.json()["detail"]
    assert cluster.psql(f"SELECT count(*) FROM traffic_report WHERE segment_id = {seg_b}") == "0"
    r = cam_b.post("/v1/ingest/telraam", json={"report": [telraam_report(seg_b, hour, car=12.0)]})
    assert r.status_code == 200 and (r.json()["accepted"], r.json()["duplicates"]) == (1, 0)
    assert cluster.psql(f"SELECT car FROM traffic_report WHERE segment_id = {seg_b}") == "12"


def test_a_segment_without_camera_waits_for_the_admin(admin, server, cameras):
    from contract import Client
    slug, a, b, seg_b, free = cameras
    cam_a = Client(server.base, a["token"])
    report = {"report": [telraam_report(free, "2025-06-02T08:00:00Z")]}
    r = cam_a.post("/v1/ingest/telraam", json=report)
    assert r.status_code == 403 and r.json()["field"] == "segment_id"
    assert str(free) in r.json()["detail"] and "admin" in r.json()["detail"]
    # The admin step: the segment is A's from now on.
    r = admin.post(f"/v1/segments/{free}/device", json={"device": a["id"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"segment_id": free, "project": slug, "device": a["id"]}
    assert cam_a.post("/v1/ingest/telraam", json=report).json()["accepted"] == 1
    # Given to B, it is no longer A's.
    assert admin.post(f"/v1/segments/{free}/device", json={"device": b["id"]}).status_code == 200
    report = {"report": [telraam_report(free, "2025-06-02T09:00:00Z")]}
    assert cam_a.post("/v1/ingest/telraam", json=report).status_code == 403
    # Admin imports of the project write any of its segments, as before.
    r = admin.post(f"/v1/ingest/telraam?project={slug}", json={"report": [
        telraam_report(seg_b, "2025-06-02T10:00:00Z"), telraam_report(free, "2025-06-02T10:00:00Z")]})
    assert r.json()["accepted"] == 2


def test_segment_assignment_checks_segment_and_device(admin, cameras):
    slug, a, b, seg_b, free = cameras
    other = f"telraam-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/projects", json={"slug": other, "name": "x", "kind": "traffic",
                                     "licence": "CC-BY-4.0"})
    stranger = admin.post(f"/v1/projects/{other}/devices",
                          json={"external_id": "9003", "participant": "p3"}).json()
    r = admin.post(f"/v1/segments/{free}/device", json={"device": stranger["id"]})
    assert r.status_code == 422 and r.json()["field"] == "device"
    r = admin.post("/v1/segments/1/device", json={"device": a["id"]})
    assert r.status_code == 404
    for bad in ("0", "x1", "99999999999999999999"):
        r = admin.post(f"/v1/segments/{bad}/device", json={"device": a["id"]})
        assert r.status_code == 400 and r.json()["field"] == "id", bad
    r = admin.post(f"/v1/segments/{free}/device", json={"device": "not-a-uuid"})
    assert r.status_code == 422 and r.json()["field"] == "device"
    r = admin.post(f"/v1/segments/{free}/device", json={"device": None})
    assert r.status_code == 200 and r.json()["device"] is None
    # Registering with a device of another project is refused per feature.
    r = admin.post(f"/v1/segments?project={slug}&device={stranger['id']}",
                   json={"type": "FeatureCollection", "features": [_segment(free)]})
    assert r.status_code == 404 and r.json()["field"] == "device"
