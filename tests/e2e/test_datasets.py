"""/v1/datasets: the open dataset, streamed; private; readable by pandas and GDAL."""
import io
import json
import socket
import subprocess
import time
import uuid

import pytest

from ingest_data import SNUFFEL_CSV, fixture_imeis, read


@pytest.fixture(scope="module")
def project(server, admin_token):
    from contract import Client
    admin = Client(server.base, admin_token)
    slug = f"ds-{uuid.uuid4().hex[:10]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC-BY-4.0", "trim_min_m": 200}
                      ).status_code == 201
    assert admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                      headers={"Content-Type": "text/csv"}).json()["accepted"] == 5704
    return slug


def published_count(cluster, slug):
    return int(cluster.psql("SELECT count(*) FROM air_published p JOIN device d ON d.id ="
                            " p.device_id JOIN project pr ON pr.id = d.project_id WHERE"
                            f" pr.slug = '{slug}'"))


def test_csv_download_reads_into_pandas(anon, project, cluster):
    import pandas
    r = anon.get(f"/v1/datasets/{project}")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Transfer-Encoding"] == "chunked"
    assert r.headers["X-Licence"] == "CC-BY-4.0"
    assert f"</v1/projects/{project}>" in r.headers["Link"]
    frame = pandas.read_csv(io.StringIO(r.text), parse_dates=["recorded_at"])
    assert list(frame.columns)[:4] == ["trip", "recorded_at", "latitude", "longitude"]
    assert len(frame) == published_count(cluster, project)
    assert len(frame) < 5704  # trip ends are hidden
    assert frame["recorded_at"].is_monotonic_increasing
    assert str(frame["recorded_at"].dt.tz) == "UTC"
    assert frame["trip"].str.match(r"^trip-[0-9a-f]{20}$").all()
    assert (frame.loc[frame["quality"] == 0, "flags"].isna()).all()


def test_ndjson_and_geojson(anon, project, tmp_path):
    lines = anon.get(f"/v1/datasets/{project}", params={"format": "ndjson"}).text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) > 1000 and set(rows[0]) >= {"trip", "recorded_at", "pm25_ugm3", "flags"}
    r = anon.get(f"/v1/datasets/{project}", headers={"Accept": "application/geo+json"})
    assert r.headers["Content-Type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["licence"] == "CC-BY-4.0"
    assert len(fc["features"]) == len(rows)
    path = tmp_path / "dataset.geojson"
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "ERROR" not in out.stderr, out.stderr
    assert f"Feature Count: {len(rows)}" in out.stdout and "Geometry: Point" in out.stdout


def test_time_range(anon, project):
    day = anon.get(f"/v1/datasets/{project}", params={
        "format": "ndjson", "from": "2024-11-12T00:00:00Z", "to": "2024-11-12T12:00:00Z"}).text
    times = [json.loads(line)["recorded_at"] for line in day.splitlines()]
    assert times and all("2024-11-12T00:00:00Z" <= t < "2024-11-12T12:00:00Z" for t in times)


def test_no_id_in_a_download_is_stored_or_links_trips(anon, project, cluster):
    text = anon.get(f"/v1/datasets/{project}").text
    trips = {line.split(",")[0] for line in text.splitlines()[1:]}
    assert len(trips) > 10
    dump = cluster.dump()
    for trip in trips:
        assert trip.encode() not in dump
        assert trip[5:].encode() not in dump
    for device in cluster.psql(f"SELECT d.id FROM device d JOIN project p ON p.id = d.project_id"
                               f" WHERE p.slug = '{project}'").split("\n"):
        assert device not in text
    for imei in fixture_imeis():
        assert imei not in text
    # One bike's trips carry different pseudonyms: 10 bikes, many more trip ids.
    assert len(trips) > 2 * len(fixture_imeis())


def test_trip_ends_are_not_in_the_download(anon, project, cluster):
    text = anon.get(f"/v1/datasets/{project}", params={"format": "ndjson"}).text
    points = {(r["latitude"], r["longitude"]) for r in map(json.loads, text.splitlines())
              if r["latitude"] is not None}
    ends = cluster.psql(
        "SELECT DISTINCT round(ST_Y(x.position)::numeric, 6) || ',' || round(ST_X(x.position)::numeric, 6)"
        " FROM trip t JOIN device d ON d.id = t.device_id JOIN project p ON p.id = d.project_id"
        " CROSS JOIN LATERAL (SELECT position FROM air_reading r WHERE r.device_id = t.device_id"
        " AND r.position IS NOT NULL AND r.recorded_at BETWEEN t.started_at AND t.ended_at"
        " ORDER BY r.recorded_at LIMIT 1) x"
        f" WHERE p.slug = '{project}'").split("\n")
    assert len(ends) > 10
    for end in ends:
        lat, lon = (float(v) for v in end.split(","))
        assert (lat, lon) not in points


def test_a_client_that_goes_away_frees_the_connection(server, anon, project):
    for _ in range(12):  # more than the pool holds: each must be given back
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(f"GET /v1/datasets/{project} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert s.recv(64).startswith(b"HTTP/1.1 200")
    time.sleep(0.5)
    assert anon.get("/readyz").status_code == 200
    assert anon.get(f"/v1/datasets/{project}", params={"format": "ndjson"}).status_code == 200


@pytest.mark.parametrize("path,params,status,field", [
    ("/v1/datasets/no-such-project", {}, 404, None),
    ("/v1/datasets/Bad_Slug", {}, 400, "slug"),
    ("/v1/datasets/{p}", {"format": "xlsx"}, 400, "format"),
    ("/v1/datasets/{p}", {"from": "2024-11-12T00:00:00Z", "to": "2024-11-11T00:00:00Z"}, 400, "from"),
    ("/v1/datasets/{p}", {"from": "yesterday"}, 400, "from"),
])
def test_bad_dataset_requests(anon, project, path, params, status, field):
    r = anon.get(path.format(p=project), params=params)
    assert r.status_code == status, r.text
    if field:
        assert r.json()["field"] == field
