"""Ingest: every family, from real data, private, idempotent, and strict about bad input."""
import uuid

import pytest

from cluster import Server
from contract import Client
from ingest_data import (SEGMENTS, SNUFFEL_CSV, device_csv, fixture_imeis, heat_obs, read,
                         sheet, telraam_report, trip_rows, ttn_uplink)

CSV = {"Content-Type": "text/csv"}


def new_project(admin, kind, **extra):
    slug = f"{kind}-{uuid.uuid4().hex[:10]}"
    r = admin.post("/v1/projects", json={"slug": slug, "name": kind, "kind": kind,
                                         "licence": "CC-BY-4.0", **extra})
    assert r.status_code == 201, r.text
    return slug


def new_device(admin, slug, external_id=None):
    r = admin.post(f"/v1/projects/{slug}/devices",
                   json={"external_id": external_id or uuid.uuid4().hex, "participant": "p"})
    assert r.status_code == 201
    return r.json()


def counts(r):
    body = r.json()
    return body["accepted"], body["duplicates"], body["rejected"]


# --- Snuffelfiets -------------------------------------------------------------------------

def test_platform_export_fixture_loads_as_is_and_only_once(admin, cluster):
    slug = new_project(admin, "air")
    body = read(SNUFFEL_CSV)
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=body, headers=CSV)
    assert r.status_code == 200, r.text
    assert counts(r) == (5704, 0, 0)
    # Devices were registered on the fly, one per IMEI, pseudonymised.
    devices = admin.get(f"/v1/projects/{slug}/devices").json()["items"]
    assert len(devices) == len(fixture_imeis()) == 10
    # Sending it again stores nothing twice; so does sending half of it.
    assert counts(admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=body,
                             headers=CSV)) == (0, 5704, 0)
    half = b"\n".join(body.split(b"\n")[:2853])
    assert counts(admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=half,
                             headers=CSV)) == (0, 2852, 0)
    q = f"FROM air_reading a JOIN device d ON d.id = a.device_id JOIN project p ON p.id = d.project_id WHERE p.slug = '{slug}'"
    assert cluster.psql(f"SELECT count(*) {q}") == "5704"
    # 218 rows have no GPS fix (lat = lon = 0): kept, without a position.
    assert cluster.psql(f"SELECT count(*) {q} AND a.position IS NULL") == "218"
    # Units: the first row (firmware 2.3) had temperature 185, pressure 1011, pm2_5 26.
    row = cluster.psql(f"SELECT a.temperature_c, a.pressure_pa, a.pm25_ugm3, a.raw->>'pm2_5', "
                       f"a.firmware {q} AND a.recorded_at = '2024-11-11T08:48:51Z' "
                       f"AND a.raw->>'temperature' = '185'")
    assert row == "18.5|101100|0.26|26|2.3"
    # Error code 2048 (PM warming up) is flagged, not dropped.
    assert int(cluster.psql(f"SELECT count(*) {q} AND a.error_code & 2048 > 0 AND "
                            f"a.quality & 512 > 0")) > 0


def test_device_csv_with_bom_crlf_quotes_and_unknown_columns(admin, cluster):
    slug = new_project(admin, "air")
    text = ("\ufeffcreated_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,"
            "pm_2_5,pm_10,firmware_note\r\n"
            "2025-03-04T08:00:00+01:00,\"861234567890123\",52.1,5.12,7,3.9,120,\"12.5\",70,5,10,15,"
            "\"note, with comma and \"\"quotes\"\"\"\r\n"
            "2025-03-04T08:00:10Z,861234567890123,0,0,0,3.9,130,12.5,70,5,10,15,\r\n")
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=text.encode(), headers=CSV)
    assert counts(r) == (2, 0, 0), r.text
    rows = cluster.psql("SELECT a.recorded_at AT TIME ZONE 'UTC', a.position IS NULL, a.quality & 2 "
                        "FROM air_reading a JOIN device d ON d.id = a.device_id JOIN project p "
                        f"ON p.id = d.project_id WHERE p.slug = '{slug}' ORDER BY 1").split("\n")
    assert rows == ["2025-03-04 07:00:00|f|0", "2025-03-04 08:00:10|t|2"]


def test_timestamp_without_offset_is_utc_only_where_the_layout_says_so(admin):
    slug = new_project(admin, "air")
    # The device CSV does not document UTC: a bare time is refused.
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                   data=device_csv([("2025-03-04T08:00:00", 52.1, 5.1, 10)]), headers=CSV)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "created_at"
    assert "offset" in r.json()["errors"][0]["reason"]
    # The platform export does: the same bare time is UTC.
    export = (",_id,entity_id,recording_timestamp,receive_timestamp,latitude,longitude,pm2_5,"
              "version_major\n0,1,352753098800001,2024-11-11T08:48:51,2024-11-11T08:53:42.931,"
              "52.1,5.1,26,2\n")
    assert counts(admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=export.encode(),
                             headers=CSV)) == (1, 0, 0)


def test_json_readings_with_numbers_as_strings(admin, cluster):
    slug = new_project(admin, "air")
    readings = [{"imei": "861234567890999", "created_at": "2025-03-04T08:00:00Z",
                 "lat": "52.1", "lon": "5.12", "pm_2_5": "11.5", "temperature": 12},
                {"entity_id": 352753098853250, "recording_timestamp": "2025-03-04T08:00:00",
                 "latitude": 52.1, "longitude": 5.12, "pm2_5": "1150", "version_major": "2"}]
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", json=readings)
    assert counts(r) == (2, 0, 0), r.text
    values = cluster.psql("SELECT a.pm25_ugm3 FROM air_reading a JOIN device d ON d.id = "
                          "a.device_id JOIN project p ON p.id = d.project_id WHERE p.slug = "
                          f"'{slug}' ORDER BY 1").split("\n")
    assert values == ["11.5", "11.5"]  # plain units; and 1150 x 0.01 for firmware 2


def test_device_token_writes_its_own_readings_only(admin, anon, cluster):
    slug = new_project(admin, "air")
    mine = new_device(admin, slug, "861234567890001")
    other = new_device(admin, slug, "861234567890002")
    rows = trip_rows(0, 3)
    # Rows that name no device belong to the token's device; rows naming it are fine.
    r = anon.post("/v1/ingest/snuffelfiets", token=mine["token"],
                  json=[{"created_at": t, "lat": la, "lon": lo, "pm_2_5": pm}
                        for t, la, lo, pm in rows])
    assert counts(r) == (3, 0, 0)
    r = anon.post("/v1/ingest/snuffelfiets", token=mine["token"],
                  data=device_csv(trip_rows(1, 3), imei="861234567890001"), headers=CSV)
    assert counts(r) == (3, 0, 0)
    # A row of another device: 403, and nothing of the batch is stored.
    before = cluster.psql(f"SELECT count(*) FROM air_reading WHERE device_id = '{other['id']}'")
    r = anon.post("/v1/ingest/snuffelfiets", token=mine["token"],
                  data=device_csv(trip_rows(2, 3), imei="861234567890002"), headers=CSV)
    assert r.status_code == 403
    assert r.json()["type"] == "urn:samenmeten:problem:forbidden"
    assert cluster.psql(f"SELECT count(*) FROM air_reading WHERE device_id = "
                        f"'{other['id']}'") == before == "0"
    # A device token cannot write into another kind of project.
    assert anon.post("/v1/ingest/heat", token=mine["token"],
                     json=heat_obs("2025-07-01T12:00:00Z")).status_code == 403


def test_admin_import_can_name_the_device(admin, cluster):
    slug = new_project(admin, "air")
    dev = new_device(admin, slug)
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}&device={dev['id']}",
                   json=[{"created_at": "2025-03-04T08:00:00Z", "lat": 52.1, "lon": 5.1}])
    assert counts(r) == (1, 0, 0)
    assert cluster.psql(f"SELECT count(*) FROM air_reading WHERE device_id = '{dev['id']}'") == "1"
    # Without ?device= and without a device column, rows cannot be attributed.
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                   json=[{"created_at": "2025-03-04T08:00:10Z"}])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "entity_id"
    # An admin import must name its project.
    r = admin.post("/v1/ingest/snuffelfiets", json=[])
    assert r.status_code == 400 and r.json()["field"] == "project"
    r = admin.post("/v1/ingest/snuffelfiets?project=no-such-project", json=[])
    assert r.status_code == 404


def trips_of(cluster, device_id):
    return cluster.psql(f"SELECT to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || '-' || "
                        f"to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') FROM trip WHERE "
                        f"device_id = '{device_id}' ORDER BY started_at").split("\n")


def test_trips_from_small_uploads_out_of_order(admin, anon, cluster):
    slug = new_project(admin, "air")
    dev = new_device(admin, slug, "861234567890777")
    # One ride of 30 readings, 08:00:00-08:04:50, sent as three uploads, last part first.
    ride = trip_rows(0, 30)
    for part in (ride[20:], ride[:10], ride[10:20]):
        assert anon.post("/v1/ingest/snuffelfiets", token=dev["token"],
                         data=device_csv(part, imei="861234567890777"),
                         headers=CSV).status_code == 200
    assert trips_of(cluster, dev["id"]) == ["08:00:00-08:04:50"]
    # 40 minutes later: a new trip.
    assert anon.post("/v1/ingest/snuffelfiets", token=dev["token"],
                     data=device_csv(trip_rows(45, 3), imei="861234567890777"),
                     headers=CSV).status_code == 200
    assert trips_of(cluster, dev["id"]) == ["08:00:00-08:04:50", "08:45:00-08:45:20"]
    # Readings filling the gap (each within 30 minutes of the next) join both into one.
    assert anon.post("/v1/ingest/snuffelfiets", token=dev["token"],
                     data=device_csv(trip_rows(25, 1), imei="861234567890777"),
                     headers=CSV).status_code == 200
    assert trips_of(cluster, dev["id"]) == ["08:00:00-08:45:20"]


def test_quality_flags_are_set_beside_the_values(admin, cluster):
    slug = new_project(admin, "air")
    export = (",entity_id,recording_timestamp,receive_timestamp,latitude,longitude,humidity,pm2_5,"
              "error_code,version_major\n"
              "0,352753098800009,2025-03-04T08:00:00,2025-03-04T08:01:00,52.1,5.1,90,1000,0,2\n"
              "1,352753098800009,2025-03-04T08:00:10,2025-03-04T08:01:00,52.1,5.1,60,1000,1,2\n"
              "2,352753098800009,2025-03-04T08:30:00,2025-03-04T08:01:00,52.1,5.1,60,1000,0,2\n"
              "3,352753098800009,2025-03-04T08:00:20,2025-03-04T08:01:00,52.3,5.1,60,1000,0,2\n")
    assert counts(admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=export.encode(),
                             headers=CSV)) == (4, 0, 0)
    flags = cluster.psql("SELECT a.quality FROM air_reading a JOIN device d ON d.id = a.device_id "
                         f"JOIN project p ON p.id = d.project_id WHERE p.slug = '{slug}' "
                         "ORDER BY a.recorded_at").split("\n")
    assert int(flags[0]) & 16      # humidity above 85%
    assert int(flags[1]) & 8       # critical device error bit 1
    assert int(flags[2]) & 4       # 22 km north in 10 s: a GPS jump
    assert int(flags[3]) & 64      # recorded 29 minutes after it was received
    names = cluster.psql("SELECT string_agg(name, ',' ORDER BY bit) FROM quality_flag")
    assert names.startswith("out_of_range,gps_missing,gps_jump,device_error,humidity_high")


@pytest.mark.parametrize("body,field,reason", [
    (device_csv([("2025-03-04T08:00:00Z", 48.85, 2.35, 10)]), "lat", "outside the Netherlands"),
    (device_csv([("2025-03-04T08:00:00Z", 52.1, 13.4, 10)]), "lon", "outside the Netherlands"),
    (device_csv([("2099-03-04T08:00:00Z", 52.1, 5.1, 10)]), "created_at", "future"),
    (device_csv([("1999-03-04T08:00:00Z", 52.1, 5.1, 10)]), "created_at", "before 2000"),
    (device_csv([("2025-02-30T08:00:00Z", 52.1, 5.1, 10)]), "created_at", "calendar"),
    (device_csv([("2025-03-04T08:00:00Z", 52.1, 5.1, -10)]), "pm_1", "negative"),
    (device_csv([("2025-03-04T08:00:00Z", "fifty-two", 5.1, 10)]), "lat", "number"),
    (device_csv([("2025-03-04T08:00:00Z", 52.1, 5.1, "NaN")]), "pm_1", "number"),
    (device_csv([("2025-03-04T08:00:00Z", 52.1, 5.1, "1e400")]), "pm_1", "number"),
    (device_csv([("2025-03-04T08:00:00Z", 52.1, 5.1, 10)], imei="x" * 65), "imei", "64"),
    (b"created_at,imei,lat\n2025-03-04T08:00:00Z,1,52.1,extra\n", "", "fields"),
])
def test_bad_rows_are_listed_and_not_stored(admin, body, field, reason):
    slug = new_project(admin, "air")
    good = device_csv([("2025-03-04T09:00:00Z", 52.1, 5.1, 10)])
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=body, headers=CSV)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == "urn:samenmeten:problem:rejected-rows"
    assert problem["accepted"] == 0 and problem["rejected"] == 1
    assert problem["errors"][0]["index"] == 0
    assert problem["errors"][0]["field"] == field
    assert reason in problem["errors"][0]["reason"]
    # Good rows beside bad ones are stored; the bad ones are listed.
    mixed = good + body.split(b"\n", 1)[1]
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=mixed, headers=CSV)
    assert r.status_code == 200 and counts(r) == (1, 0, 1)
    assert r.json()["errors"][0]["index"] == 1


@pytest.mark.parametrize("body,ctype,needle", [
    (b"", "text/csv", "empty"),
    (b"a,b,c\n1,2,3\n", "text/csv", "time column"),
    (b'created_at,imei\n"2025-03-04T08:00:00Z,1\n', "text/csv", "quote"),
    (b"created_at,imei\n2025-03-04T08:00:00Z,1\x00\n", "text/csv", "NUL"),
    (b'{"not": "an array"}', "application/json", "array"),
    (b'[{"created_at": NaN}]', "application/json", "JSON"),
    (b"[" * 40 + b"]" * 40, "application/json", "nesting"),
])
def test_unparsable_bodies_store_nothing(admin, cluster, body, ctype, needle):
    slug = new_project(admin, "air")
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=body,
                   headers={"Content-Type": ctype})
    assert r.status_code == 400, r.text
    assert needle.lower() in r.json()["detail"].lower()
    assert admin.get(f"/v1/projects/{slug}/devices").json()["items"] == []


def test_wrong_content_type_is_415(admin):
    slug = new_project(admin, "air")
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                   headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_batch_over_the_row_cap_is_413_with_the_cap(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, ingest_max_rows=100).start()
    try:
        client = Client(s.base, admin_token)
        slug = new_project(client, "air")
        r = client.post(f"/v1/ingest/snuffelfiets?project={slug}", data=read(SNUFFEL_CSV),
                        headers=CSV)
        assert r.status_code == 413
        assert r.json()["type"] == "urn:samenmeten:problem:too-many-rows"
        assert r.json()["max_rows"] == 100
        assert client.get(f"/v1/projects/{slug}/devices").json()["items"] == []
        r = client.post(f"/v1/ingest/snuffelfiets?project={slug}",
                        json=[{"created_at": "2025-03-04T08:00:00Z"}] * 101)
        assert r.status_code == 413
    finally:
        assert s.stop() == 0


def test_one_round_trip_per_batch_whatever_its_size(admin, anon):
    """Batches are COPYed, never inserted a statement per reading: a batch of 2,000 rows
    costs as many database calls as a batch of 10 (the server counts them)."""
    slug = new_project(admin, "air")
    dev = new_device(admin, slug)

    def calls():
        text = anon.get("/metrics").text
        return int(next(line.split()[-1] for line in text.splitlines()
                        if line.startswith("samenmeten_db_calls_total ")))

    spent = []
    for n, minute in ((10, 0), (2000, 60)):
        rows = trip_rows(minute, n, step_s=1, day="2025-04-01")
        before = calls()
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}&device={dev['id']}",
                       json=[{"created_at": t, "lat": la, "lon": lo, "pm_2_5": pm}
                             for t, la, lo, pm in rows])
        assert counts(r) == (n, 0, 0)
        spent.append(calls() - before)
    assert spent[0] == spent[1], spent
    assert spent[1] <= 8  # lookups, BEGIN, partitions, COPY, trips, COMMIT


# --- Telraam --------------------------------------------------------------------------------

def test_segments_fixture_registers_as_is(admin, cluster):
    slug = new_project(admin, "traffic")
    body = read(SEGMENTS)
    # A type that is not JSON is refused; GeoJSON's registered type (RFC 7946), which QGIS,
    # GDAL and most JavaScript clients send, is read as JSON.
    r = admin.post(f"/v1/segments?project={slug}", data=body,
                   headers={"Content-Type": "text/geo+json"})
    assert r.status_code == 415, r.text
    r = admin.post(f"/v1/segments?project={slug}", data=body,
                   headers={"Content-Type": "application/geo+json; charset=utf-8"})
    assert counts(r) == (114, 0, 0), r.text
    assert counts(admin.post(f"/v1/segments?project={slug}", data=body,
                             headers={"Content-Type": "application/json"})) == (0, 114, 0)
    assert cluster.psql("SELECT count(*), bool_and(ST_IsValid(geom)), min(ST_SRID(geom)) FROM "
                        "road_segment s JOIN project p ON p.id = s.project_id WHERE p.slug = "
                        f"'{slug}'") == "114|t|4326"
    # Another project cannot take these segments over.
    other = new_project(admin, "traffic")
    r = admin.post(f"/v1/segments?project={other}", data=body,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["rejected"] == 114


def test_bad_segments_are_listed(admin):
    slug = new_project(admin, "traffic")
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment_id": 77000001},
         "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}},
        {"type": "Feature", "properties": {"segment_id": "x"},
         "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}},
        {"type": "Feature", "properties": {"segment_id": 77000002},
         "geometry": {"type": "Point", "coordinates": [5.1, 52.1]}},
        {"type": "Feature", "properties": {"segment_id": 77000003},
         "geometry": {"type": "LineString", "coordinates": [[2.35, 48.85], [2.36, 48.86]]}},
    ]}
    r = admin.post(f"/v1/segments?project={slug}", json=fc)
    assert counts(r) == (1, 0, 3)
    assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [
        (1, "segment_id"), (2, "geometry"), (3, "geometry")]
    r = admin.post(f"/v1/segments?project={slug}", json={"type": "Feature"})
    assert r.status_code == 400


def test_segments_with_altitudes_are_stored_in_2d(admin, cluster):
    """GeoJSON positions may carry an altitude; the table is 2D (PostGIS refused the
    row, a 500)."""
    slug = new_project(admin, "traffic")
    seg = 77000000000 + uuid.uuid4().int % 999999999
    r = admin.post(f"/v1/segments?project={slug}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment_id": seg},
         "geometry": {"type": "MultiLineString",
                      "coordinates": [[[5.1, 52.1, 2.0], [5.11, 52.11]], [[5.2, 52.2, 1], [5.21, 52.2, 1]]]}}]})
    assert counts(r) == (1, 0, 0), r.text
    assert cluster.psql(f"SELECT ST_NDims(geom), ST_NPoints(geom) FROM road_segment WHERE "
                        f"segment_id = {seg}") == "2|4"


def registered_traffic_project(admin):
    """A traffic project with one segment of its own (segment ids are global)."""
    slug = new_project(admin, "traffic")
    seg = 77000000000 + uuid.uuid4().int % 999999999
    r = admin.post(f"/v1/segments?project={slug}", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment_id": seg},
         "geometry": {"type": "LineString", "coordinates": [[5.1, 52.1], [5.11, 52.11]]}}]})
    assert r.status_code == 200 and r.json()["accepted"] == 1
    return slug, seg


def test_telraam_reports_hourly_and_quarterly(admin, cluster):
    slug, seg = registered_traffic_project(admin)
    reports = {"report": [
        telraam_report(seg, "2025-06-02T07:00:00.000Z"),
        telraam_report(seg, "2025-06-02T07:15:00Z", interval="quarterly", uptime=0.3),
        telraam_report(seg, "2025-06-02T08:00:00Z", uptime=0, car=12.0),
        telraam_report(seg, "2025-06-02T09:00:00Z", car="", bike="7.5", uptime="0.9"),
    ]}
    r = admin.post(f"/v1/ingest/telraam?project={slug}", json=reports)
    assert counts(r) == (4, 0, 0), r.text
    assert counts(admin.post(f"/v1/ingest/telraam?project={slug}", json=reports)) == (0, 4, 0)
    rows = cluster.psql(f"SELECT interval, car, bike, quality, cardinality(car_speed_hist_0to120plus)"
                        f" FROM traffic_report WHERE segment_id = {seg} ORDER BY period_start"
                        ).split("\n")
    assert rows == ["hourly|100.25|40.5|0|25",
                    "quarterly|100.25|40.5|256|25",   # uptime below 0.5 is flagged
                    "hourly|||256|25",                # uptime 0 carries no counts (and is low)
                    "hourly||7.5|0|25"]               # "" is absent; "7.5" is 7.5


@pytest.mark.parametrize("change,field", [
    ({"segment_id": 1}, "segment_id"),
    ({"date": "2025-06-02T07:30:00Z"}, "date"),
    ({"date": "yesterday"}, "date"),
    ({"interval": "daily"}, "interval"),
    ({"uptime": 1.5}, "uptime"),
    ({"car": -3}, "car"),
    ({"bike_lft": "many"}, "bike_lft"),
    ({"car_speed_hist_0to70plus": [1, 2, 3]}, "car_speed_hist_0to70plus"),
    ({"car_speed_hist_0to120plus": [1] * 24}, "car_speed_hist_0to120plus"),
    ({"v85": 1e9}, "v85"),
])
def test_bad_telraam_reports_are_listed(admin, change, field):
    slug, seg = registered_traffic_project(admin)
    r = admin.post(f"/v1/ingest/telraam?project={slug}",
                   json={"report": [dict(telraam_report(seg, "2025-06-03T07:00:00Z"), **change)]})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def test_telraam_envelope_is_required(admin):
    slug, seg = registered_traffic_project(admin)
    r = admin.post(f"/v1/ingest/telraam?project={slug}", json=[telraam_report(seg, "2025-06-03T07:00:00Z")])
    assert r.status_code == 400 and "report" in r.json()["detail"]


# --- Heat stations and LoRaWAN --------------------------------------------------------------

def test_heat_observations_with_derived_indices(admin, cluster):
    slug = new_project(admin, "heat")
    obs = [heat_obs("2025-07-01T12:00:00Z", station="tuin-42"),
           heat_obs("2025-07-01T12:10:00Z", station="tuin-42", globe_temperature=45.0,
                    natural_wet_bulb=24.0, globe_diameter=150, wind_speed=1.5, wind_height=2,
                    pressure=1013.2, solar_radiation=800, rain=0)]
    r = admin.post(f"/v1/ingest/heat?project={slug}", json=obs)
    assert counts(r) == (2, 0, 0), r.text
    assert counts(admin.post(f"/v1/ingest/heat?project={slug}", json=obs)) == (0, 2, 0)
    rows = cluster.psql(
        "SELECT round(h.wbgt_c::numeric, 2), h.wbgt_method, h.wbgt_approximate, h.wbgt_category,"
        " round(h.wet_bulb_c::numeric, 1), h.heat_index_method, h.heat_index_category,"
        " round(h.humidex::numeric, 1), h.humidex_category FROM heat_observation h JOIN device d"
        f" ON d.id = h.device_id JOIN project p ON p.id = d.project_id WHERE p.slug = '{slug}'"
        " ORDER BY h.observed_at").split("\n")
    # 30 degC / 50 %: BoM WBGT 29.26 (approximate), Stull wet bulb 22.3.
    assert rows[0].startswith("29.26|bom|t|very-high|22.3|nws-rothfusz|caution|")
    # With globe and natural wet bulb: ISO 7243, 0.7*24 + 0.2*45 + 0.1*30 = 28.8.
    assert rows[1].startswith("28.80|iso7243|f|very-high|")


@pytest.mark.parametrize("obs,field", [
    (heat_obs("2025-07-01T12:00:00"), "time"),
    (heat_obs("2025-07-01T12:00:00Z", humidity=101), "humidity"),
    (heat_obs("2025-07-01T12:00:00Z", temperature="hot"), "temperature"),
    ({"time": "2025-07-01T12:00:00Z", "temperature": 30}, "humidity"),
    (heat_obs("2025-07-01T12:00:00Z", wind="strong"), "wind"),
    (heat_obs("2025-07-01T12:00:00Z", solar_radiation=-5), "solar_radiation"),
    (heat_obs("2025-07-01T12:00:00Z", globe_diameter=0), "globe_diameter"),
])
def test_bad_heat_observations_are_listed(admin, obs, field):
    slug = new_project(admin, "heat")
    r = admin.post(f"/v1/ingest/heat?project={slug}", json=dict(obs, station="s1"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


def test_ttn_webhook_with_project_secret(admin, anon, cluster):
    slug = new_project(admin, "heat", auto_register=True)
    secret = admin.post(f"/v1/projects/{slug}/webhook-secret").json()["secret"]
    up = ttn_uplink("hittestation-zuilen-3", "2025-07-01T12:00:03.123456789Z",
                    {"temperature": 29.5, "humidity": 55, "battery_v": 3.1})
    hdr = {"X-Samenmeten-Secret": secret}
    r = anon.post(f"/v1/ingest/ttn?project={slug}", json=up, headers=hdr)
    assert counts(r) == (1, 0, 0), r.text
    assert counts(anon.post(f"/v1/ingest/ttn?project={slug}", json=up, headers=hdr)) == (0, 1, 0)
    assert cluster.psql("SELECT to_char(h.observed_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US') FROM "
                        "heat_observation h JOIN device d ON d.id = h.device_id JOIN project p ON "
                        f"p.id = d.project_id WHERE p.slug = '{slug}'") == "12:00:03.123456"
    for bad in ({}, {"X-Samenmeten-Secret": "smw_wrong"}):
        assert anon.post(f"/v1/ingest/ttn?project={slug}", json=up, headers=bad).status_code == 401
    # A new secret replaces the old one at once.
    admin.post(f"/v1/projects/{slug}/webhook-secret")
    assert anon.post(f"/v1/ingest/ttn?project={slug}", json=up, headers=hdr).status_code == 401


def test_ttn_unknown_device_without_auto_register_is_rejected(admin, anon):
    slug = new_project(admin, "heat")
    secret = admin.post(f"/v1/projects/{slug}/webhook-secret").json()["secret"]
    up = ttn_uplink("unknown-station", "2025-07-01T12:00:00Z", {"temperature": 20, "humidity": 60})
    r = anon.post(f"/v1/ingest/ttn?project={slug}", json=up,
                  headers={"X-Samenmeten-Secret": secret})
    assert r.status_code == 422
    assert "not registered" in r.json()["errors"][0]["reason"]
    new_device(admin, slug, "unknown-station")
    r = anon.post(f"/v1/ingest/ttn?project={slug}", json=up,
                  headers={"X-Samenmeten-Secret": secret})
    assert counts(r) == (1, 0, 0)
    r = anon.post(f"/v1/ingest/ttn?project={slug}", json={"received_at": "2025-07-01T12:00:00Z"},
                  headers={"X-Samenmeten-Secret": secret})
    assert r.status_code == 422 and r.json()["field"] == "end_device_ids.device_id"


# --- Experience -------------------------------------------------------------------------------

def test_experience_sheets(admin, anon, cluster):
    slug = new_project(admin, "experience")
    dev = new_device(admin, slug, "app-installation-5")
    sheets = [sheet("2025-05-01T10:00:00+02:00", moving_around=5, natural_space=2),
              dict(sheet("2025-05-02T10:00:00Z"), remark="Meer bankjes; '; DROP TABLE trip; --")]
    r = anon.post("/v1/ingest/experience", token=dev["token"], json=sheets)
    assert counts(r) == (2, 0, 0), r.text
    assert counts(anon.post("/v1/ingest/experience", token=dev["token"], json=sheets)) == (0, 2, 0)
    rows = cluster.psql(f"SELECT scores, coalesce(remark, '-') FROM experience_score WHERE "
                        f"device_id = '{dev['id']}' ORDER BY observed_at").split("\n")
    assert rows[0] == "{5,NULL,NULL,NULL,2,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL}|-"
    assert rows[1].endswith("|Meer bankjes; '; DROP TABLE trip; --")


def test_blank_optional_text_means_none(admin, anon, cluster):
    """Forms send "" for a field left blank: no remark, no device named; nothing refused."""
    slug = new_project(admin, "experience")
    dev = new_device(admin, slug, "app-installation-6")
    r = anon.post("/v1/ingest/experience", token=dev["token"],
                  json=[dict(sheet("2025-05-03T10:00:00Z"), remark="", device="")])
    assert counts(r) == (1, 0, 0), r.text
    assert cluster.psql("SELECT remark IS NULL FROM experience_score WHERE "
                        f"device_id = '{dev['id']}'") == "t"


@pytest.mark.parametrize("change,field", [
    ({"scores": {"moving_around": 8}}, "moving_around"),
    ({"scores": {"moving_around": 0}}, "moving_around"),
    ({"scores": {"moving_around": 4.5}}, "moving_around"),
    ({"scores": {"weather": 4}}, "weather"),
    ({"scores": {}}, "scores"),
    ({"remark": "x" * 501}, "remark"),
    ({"lat": 40.0}, "lat"),
    ({"time": "2025-05-01"}, "time"),
    ({"mood": "happy"}, "mood"),
])
def test_bad_experience_sheets_are_listed(admin, change, field):
    slug = new_project(admin, "experience")
    r = admin.post(f"/v1/ingest/experience?project={slug}",
                   json=dict(sheet("2025-05-01T10:00:00Z"), device="d-1", **change))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


# --- Privacy --------------------------------------------------------------------------------

def test_dump_after_every_fixture_holds_no_identifier(admin, anon, cluster, admin_token):
    """Loads every fixture and every family, then checks pg_dump for each identifier sent."""
    sent = []
    air = new_project(admin, "air")
    assert admin.post(f"/v1/ingest/snuffelfiets?project={air}", data=read(SNUFFEL_CSV),
                      headers=CSV).status_code == 200
    sent += fixture_imeis()
    v3 = "861234567899876"
    admin.post(f"/v1/ingest/snuffelfiets?project={air}", headers=CSV,
               data=device_csv(trip_rows(0, 5), imei=v3))
    sent.append(v3)

    traffic, seg = registered_traffic_project(admin)
    camera = "9000123456"
    admin.post(f"/v1/ingest/telraam?project={traffic}", json={"report": [
        telraam_report(seg, "2025-06-04T07:00:00Z", instance_id=int(camera))]})
    sent.append(camera)

    heat = new_project(admin, "heat", auto_register=True)
    station = "tuin-station-SN-00A7F3"
    admin.post(f"/v1/ingest/heat?project={heat}", json=heat_obs("2025-07-01T12:00:00Z",
                                                                  station=station))
    secret = admin.post(f"/v1/projects/{heat}/webhook-secret").json()["secret"]
    ttn_id = "eui-70b3d57ed0059f3a-zolder"
    anon.post(f"/v1/ingest/ttn?project={heat}", headers={"X-Samenmeten-Secret": secret},
              json=ttn_uplink(ttn_id, "2025-07-01T12:00:00Z", {"temperature": 25, "humidity": 60}))
    sent += [station, ttn_id, "70B3D57ED0059F3A", "gw-utrecht-dom", secret]

    exp = new_project(admin, "experience")
    app_id = "leefplekmeter-app-install-8812"
    admin.post(f"/v1/ingest/experience?project={exp}",
               json=dict(sheet("2025-05-01T10:00:00Z"), device=app_id))
    participant = "bewoner-k.jansen@example.nl"
    d = admin.post(f"/v1/projects/{exp}/devices",
                   json={"external_id": "wijkpanel-17", "participant": participant}).json()
    sent += [app_id, participant, "wijkpanel-17", d["token"], admin_token]

    dump = cluster.dump()
    assert b"COPY public.air_reading" in dump or b"air_reading_2024_11" in dump
    for value in sent:
        for form in {value, value.lower(), value.upper()}:
            assert form.encode() not in dump, f"{form!r} is in pg_dump"


@pytest.mark.parametrize("path,body", [
    ("/v1/ingest/heat", b'{"time": "2025-07-01T12:00:00Z", "temperature": 30, "humidity": 50,'
                        b' "station": "st\xff\xfe"}'),
    ("/v1/ingest/heat", b'{"time": "2025-07-01T12:00:00Z", "temperature": Infinity, "humidity": 5}'),
    ("/v1/ingest/experience", b'{"time": "2025-07-01T12:00:00Z", "remark": "\xc3\x28"}'),
    ("/v1/ingest/telraam", b'{"report": [{"segment_id": 1e999}]}'),
    ("/v1/ingest/telraam", b'{"report": [], "report": []}'),
])
def test_invalid_utf8_infinity_and_duplicate_keys_store_nothing(admin, path, body):
    kind = {"heat": "heat", "experience": "experience", "telraam": "traffic"}[path.rsplit("/", 1)[1]]
    slug = new_project(admin, kind)
    r = admin.post(f"{path}?project={slug}", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "urn:samenmeten:problem:malformed-body"
    assert admin.get(f"/v1/projects/{slug}/devices").json()["items"] == []


def test_sql_looking_identifiers_are_only_ever_hashed(admin, cluster):
    slug = new_project(admin, "air")
    imei = "1';DROP-TABLE-device;--"
    r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                   data=device_csv([("2025-03-04T08:00:00Z", 52.1, 5.1, 10)], imei=imei),
                   headers=CSV)
    assert counts(r) == (1, 0, 0)
    found = admin.get(f"/v1/projects/{slug}/devices", params={"external_id": imei}).json()
    assert len(found["items"]) == 1
    assert int(cluster.psql("SELECT count(*) FROM device")) > 0


def test_overlapping_retry_stores_only_the_new_readings(admin, anon, cluster):
    """A batch that is partly stored already (a gateway retrying with more data) takes the
    careful path: the stored readings count as duplicates, the new ones are stored, and the
    trip covers both."""
    slug = new_project(admin, "air")
    dev = new_device(admin, slug, "861234567890555")
    ride = trip_rows(0, 15)
    first = anon.post("/v1/ingest/snuffelfiets", token=dev["token"],
                      data=device_csv(ride[:10], imei="861234567890555"), headers=CSV)
    assert counts(first) == (10, 0, 0)
    retry = anon.post("/v1/ingest/snuffelfiets", token=dev["token"],
                      data=device_csv(ride[5:], imei="861234567890555"), headers=CSV)
    assert counts(retry) == (5, 5, 0)
    assert cluster.psql(f"SELECT count(*) FROM air_reading WHERE device_id = '{dev['id']}'") == "15"
    assert trips_of(cluster, dev["id"]) == ["08:00:00-08:02:20"]


def test_concurrent_imports_registering_the_same_new_devices(admin):
    """Eight admin imports at once, each naming the same five new bikes: every row is
    stored, none refused as 'not registered' (found by the open-data benchmark)."""
    from concurrent.futures import ThreadPoolExecutor
    slug = new_project(admin, "air")
    imeis = [f"86123456700{n:04d}" for n in range(5)]

    def upload(k):
        rows = [(f"2025-05-0{1 + k % 8}T{h:02d}:00:00Z", 52.1, 5.1, 10) for h in range(4)]
        body = b"".join(device_csv(rows, imei=imei).split(b"\n", 1)[1] if i else
                        device_csv(rows, imei=imei) for i, imei in enumerate(imeis))
        from contract import Client
        client = Client(admin.base, admin.token)
        return client.post(f"/v1/ingest/snuffelfiets?project={slug}", data=body,
                           headers={"Content-Type": "text/csv"}).json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(upload, range(8)))
    assert all(a["rejected"] == 0 for a in answers), answers
    assert sum(a["accepted"] for a in answers) == 8 * 5 * 4
    assert len(admin.get(f"/v1/projects/{slug}/devices").json()["items"]) == 5


# --- Time window: the horizon, and months per batch -----------------------------------------

def _hours_ago(hours):
    import datetime
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:00:00Z")


def _partitions(cluster, table):
    return int(cluster.psql(f"SELECT count(*) FROM pg_inherits WHERE inhparent = '{table}'::regclass"))


def _window_upload(admin, family, times):
    """An admin import of one row per time in `family`: (response, table, time field)."""
    if family == "air":
        slug = new_project(admin, "air")
        body = device_csv([(t, 52.1, 5.1, 10) for t in times], imei="861234567890777")
        return (admin.post(f"/v1/ingest/snuffelfiets?project={slug}", data=body, headers=CSV),
                "air_reading", "created_at")
    if family == "traffic":
        slug, seg = registered_traffic_project(admin)
        return (admin.post(f"/v1/ingest/telraam?project={slug}",
                           json={"report": [telraam_report(seg, t) for t in times]}),
                "traffic_report", "date")
    if family == "heat":
        slug = new_project(admin, "heat")
        return (admin.post(f"/v1/ingest/heat?project={slug}",
                           json=[heat_obs(t, station="tuin-1") for t in times]),
                "heat_observation", "time")
    slug = new_project(admin, "experience")
    return (admin.post(f"/v1/ingest/experience?project={slug}",
                       json=[dict(sheet(t), device="d-1") for t in times]),
            "experience_score", "time")


@pytest.mark.parametrize("family", ["air", "traffic", "heat", "experience"])
@pytest.mark.parametrize("old,why", [("2000-01-01T00:00:00Z", "ingest_horizon_days"),
                                     ("2019-06-01T00:00:00Z", "ingest_max_months")])
def test_an_old_reading_is_refused_and_makes_no_partitions(admin, cluster, family, old, why):
    """Seen: a CSV with one reading of 2000-01-01 and one of today was accepted whole, and
    every month in between got a partition (323 of them, each an exclusive lock)."""
    table = {"air": "air_reading", "traffic": "traffic_report", "heat": "heat_observation",
             "experience": "experience_score"}[family]
    before = _partitions(cluster, table)
    r, table, field = _window_upload(admin, family, [old, _hours_ago(2), _hours_ago(-72)])
    assert r.status_code == 200, r.text
    assert counts(r) == (1, 0, 2)
    error, future = r.json()["errors"]
    assert (error["index"], error["field"]) == (0, field)
    assert why in error["reason"], error
    # Beyond the tolerance for clocks ahead (a day), as before.
    assert (future["index"], future["field"]) == (2, field) and "future" in future["reason"]
    assert _partitions(cluster, table) - before <= 1


def test_the_horizon_is_configurable(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, ingest_horizon_days=30,
               ingest_max_months=2).start()
    try:
        client = Client(s.base, admin_token)
        r, _, field = _window_upload(client, "heat", [_hours_ago(40 * 24), _hours_ago(20 * 24)])
        assert counts(r) == (1, 0, 1)
        assert r.json()["errors"][0]["index"] == 0
        assert "30 days" in r.json()["errors"][0]["reason"]
        # Every row before the horizon: nothing stored, 422.
        r, _, field = _window_upload(client, "air", [_hours_ago(60 * 24)])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "created_at"
    finally:
        assert s.stop() == 0
