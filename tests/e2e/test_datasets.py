"""/v1/datasets/{slug}/readings: an air project's published readings as points, streamed;
no stored id; readable by pandas and GDAL. (The open air dataset, cells, is in
test_dataset_cells.py.)"""
import hashlib
import hmac
import io
import json
import struct
import socket
import subprocess
import time
import uuid

import pytest

from ingest_data import SNUFFEL_CSV, fixture_imeis, project_id, read, trip_rows, wait_refreshed

HEADER = ("trip,recorded_at,latitude,longitude,pm1_ugm3,pm25_ugm3,pm10_ugm3,no2,temperature_c,"
          "humidity_pct,pressure_pa,quality,flags\n")


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


def trip_namer(server):
    """Names a trip key ("<device uuid>|<epoch of its start>") as the server should: the
    publication subkey derived from the key file as libsodium's crypto_kdf does (BLAKE2b
    keyed by the master key, the subkey number as salt, "smu-pseu" as personalisation),
    then HMAC-SHA-256. Written apart from the server's C and SQL."""
    with open(server.env["SAMENMETEN_KEY_FILE"]) as f:
        master = bytes.fromhex(f.read().strip())
    sub = hashlib.blake2b(b"", digest_size=32, key=master, salt=struct.pack("<Q", 5) + bytes(8),
                          person=b"smu-pseu" + bytes(8)).digest()
    return lambda key: "trip-" + hmac.new(sub, key.encode(), "sha256").hexdigest()[:20]


def expected_csv(cluster, server, slug, lo="-infinity", hi="infinity"):
    """The CSV download as the air_published view (the hiding rule every open output
    reads) gives it, in (recorded_at, trip) order."""
    text = cluster.psql(
        "COPY (SELECT t.device_id::text || '|' || extract(epoch FROM t.started_at)::text,"
        " to_char(p.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " round(ST_Y(p.position)::numeric, 6), round(ST_X(p.position)::numeric, 6), p.pm1_ugm3,"
        " p.pm25_ugm3, p.pm10_ugm3, p.no2, p.temperature_c, p.humidity_pct, p.pressure_pa,"
        " p.quality, (SELECT string_agg(f.name, ';' ORDER BY f.bit) FROM quality_flag f"
        "             WHERE p.quality & (1 << f.bit) <> 0)"
        " FROM air_published p JOIN trip t ON t.id = p.trip_id JOIN device d ON d.id ="
        f" p.device_id JOIN project pr ON pr.id = d.project_id WHERE pr.slug = '{slug}'"
        f" AND p.recorded_at >= '{lo}' AND p.recorded_at < '{hi}') TO STDOUT CSV")
    name = trip_namer(server)
    rows = sorted((rest.split(",", 1)[0], name(key), rest)
                  for key, rest in (line.split(",", 1) for line in text.splitlines()))
    return HEADER + "".join(f"{trip},{rest}\n" for _, trip, rest in rows)


def test_csv_download_reads_into_pandas(anon, project, cluster, researcher):
    import pandas
    r = researcher.get(f"/v1/datasets/{project}/readings")
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


def test_ndjson_and_geojson(anon, project, tmp_path, researcher):
    lines = researcher.get(f"/v1/datasets/{project}/readings", params={"format": "ndjson"}).text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) > 1000 and set(rows[0]) >= {"trip", "recorded_at", "pm25_ugm3", "flags"}
    r = researcher.get(f"/v1/datasets/{project}/readings", headers={"Accept": "application/geo+json"})
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


def test_time_range(anon, project, researcher):
    day = researcher.get(f"/v1/datasets/{project}/readings", params={
        "format": "ndjson", "from": "2024-11-12T00:00:00Z", "to": "2024-11-12T12:00:00Z"}).text
    times = [json.loads(line)["recorded_at"] for line in day.splitlines()]
    assert times and all("2024-11-12T00:00:00Z" <= t < "2024-11-12T12:00:00Z" for t in times)


def test_no_id_in_a_download_is_stored_or_links_trips(anon, project, cluster, researcher):
    wait_refreshed(cluster, project)  # the dump holds the rendered hours too
    assert cluster.psql("SELECT count(*) FROM air_dataset_hour h JOIN project p ON p.id ="
                        f" h.project_id WHERE p.slug = '{project}'") != "0"
    text = researcher.get(f"/v1/datasets/{project}/readings").text
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


def test_trip_ends_are_not_in_the_download(anon, project, cluster, researcher):
    text = researcher.get(f"/v1/datasets/{project}/readings", params={"format": "ndjson"}).text
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


@pytest.mark.parametrize("lo,hi", [(None, None),
                                   ("2024-11-11T08:30:00Z", "2024-11-12T15:20:00Z"),
                                   ("2024-11-12T00:00:00Z", "2024-11-13T00:00:00Z")])
def test_download_is_the_published_readings_stored_or_live(anon, project, cluster, server,
                                                           lo, hi, researcher):
    """Rendered hours (after the refresher) and live rendering (a day waiting) give
    exactly what air_published holds, named by the publication key, in order."""
    params = {k: v for k, v in (("from", lo), ("to", hi)) if v}
    want = expected_csv(cluster, server, project, lo or "-infinity", hi or "infinity")
    assert want.count("\n") > 100
    wait_refreshed(cluster, project)
    assert researcher.get(f"/v1/datasets/{project}/readings", params=params).text == want
    pid = project_id(cluster, project)
    cluster.psql("INSERT INTO air_day_change (project_id, day, noted_at) SELECT project_id, day,"
                 f" now() + interval '1 day' FROM air_dataset_day WHERE project_id = {pid}")
    try:
        assert researcher.get(f"/v1/datasets/{project}/readings", params=params).text == want
    finally:
        cluster.psql(f"DELETE FROM air_day_change WHERE project_id = {pid}")


def test_rendered_hours_are_what_a_download_serves(anon, project, cluster, researcher):
    """A tampered rendered hour shows in the download (so the stored path is the one
    taken), and is not served once its day waits for the refresher."""
    wait_refreshed(cluster, project)
    pid = project_id(cluster, project)
    hour = cluster.psql(f"SELECT min(hour) FROM air_dataset_hour WHERE project_id = {pid}")
    day = cluster.psql(f"SELECT date_bin('1 day', '{hour}'::timestamptz, '2000-01-01Z')")
    cluster.psql("UPDATE air_dataset_hour SET lines = replace(lines, ',2,gps_missing', ',2,tampered')"
                 f" WHERE project_id = {pid} AND hour = '{hour}'")
    try:
        assert "tampered" in researcher.get(f"/v1/datasets/{project}/readings").text
        cluster.psql(f"INSERT INTO air_day_change (project_id, day) VALUES ({pid}, '{day}')")
        assert "tampered" not in researcher.get(f"/v1/datasets/{project}/readings").text
        wait_refreshed(cluster, project)  # renders the day again
        assert "tampered" not in researcher.get(f"/v1/datasets/{project}/readings").text
    finally:
        cluster.psql(f"SELECT air_dataset_render({pid}, '{day}')")


def test_json_numbers_are_the_csv_numbers(admin, anon, cluster, researcher):
    """NDJSON and GeoJSON carry every value as CSV shows it: seven significant digits stay
    seven (to_jsonb once cut real values to six)."""
    slug = f"ds-{uuid.uuid4().hex[:10]}"
    assert admin.post("/v1/projects", json={"slug": slug, "name": "x", "kind": "air",
                                            "licence": "CC-BY-4.0", "trim_min_m": 50,
                                            "privacy_weakened": "test: short trip ends"}
                      ).status_code == 201
    rows = trip_rows(0, 60, step_deg=0.0005)
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                   json=[{"created_at": t, "imei": "861234567890123", "lat": la, "lon": lo,
                          "temperature": 12.34567, "humidity": 55.5, "pm_2_5": pm + 0.123456}
                         for t, la, lo, pm in rows])
    assert r.json()["accepted"] == 60, r.text
    csv_rows = [line.split(",") for line in
                researcher.get(f"/v1/datasets/{slug}/readings").text.splitlines()[1:]]
    assert len(csv_rows) > 20 and all(row[8] == "12.34567" for row in csv_rows)
    columns = HEADER.strip().split(",")
    as_text = {"parse_float": str, "parse_int": str}
    nd = [json.loads(line, **as_text) for line in
          researcher.get(f"/v1/datasets/{slug}/readings", params={"format": "ndjson"}).text.splitlines()]
    features = json.loads(researcher.get(f"/v1/datasets/{slug}/readings", params={"format": "geojson"}).text,
                          **as_text)["features"]
    for row, obj, feature in zip(csv_rows, nd, features, strict=True):
        want = {c: (v if v != "" else None) for c, v in zip(columns, row, strict=True)}
        assert obj == want
        props = dict(feature["properties"])
        assert feature["geometry"]["coordinates"] == [want["longitude"], want["latitude"]]
        assert props == {c: v for c, v in want.items() if c not in ("latitude", "longitude")}


def test_a_client_that_goes_away_frees_the_connection(server, anon, project, researcher,
                                                    researcher_token):
    for _ in range(12):  # more than the pool holds: each must be given back
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(f"GET /v1/datasets/{project}/readings HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {researcher_token}\r\n\r\n".encode())
            assert s.recv(64).startswith(b"HTTP/1.1 200")
    time.sleep(0.5)
    assert anon.get("/readyz").status_code == 200
    assert researcher.get(f"/v1/datasets/{project}/readings", params={"format": "ndjson"}).status_code == 200


@pytest.mark.parametrize("route", ["/v1/datasets/{p}", "/v1/datasets/{p}/readings"])
@pytest.mark.parametrize("project_path,params,status,field", [
    ("no-such-project", {}, 404, None),
    ("Bad_Slug", {}, 400, "slug"),
    (None, {"format": "xlsx"}, 400, "format"),
    (None, {"from": "2024-11-12T00:00:00Z", "to": "2024-11-11T00:00:00Z"}, 400, "from"),
    (None, {"from": "yesterday"}, 400, "from"),
])
def test_bad_dataset_requests(researcher, project, route, project_path, params, status, field):
    r = researcher.get(route.format(p=project_path or project), params=params)
    assert r.status_code == status, r.text
    if field:
        assert r.json()["field"] == field
