"""The dashboard (GET /) and the API docs (GET /docs): how the server serves their
files, and what a real browser (headless Chromium through tests/browser/dashboard.mjs)
sees against a server holding the fixtures as `make demo` loads them, compared with
the API's own answers."""
import gzip
import json
import os
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from cluster import ROOT, Server, run_binary
from contract import SPEC, Client, spec_operations

WEB = os.path.join(ROOT, "web")
DRIVER = os.path.join(ROOT, "tests", "browser", "dashboard.mjs")
SCREENSHOTS = os.path.join(ROOT, "build", "screenshots")
CHROMIUM = "/usr/bin/chromium"


def vendor_file(prefix, ext):
    names = [n for n in os.listdir(os.path.join(WEB, "vendor"))
             if n.startswith(prefix) and n.endswith(ext)]
    assert len(names) == 1, f"web/vendor holds no single {prefix}*{ext}: run `make web`"
    return names[0]


@pytest.fixture(scope="module")
def site(workdir, cluster, admin_token):
    """A server of its own (a database of its own, so the dashboard shows only the
    demo's projects) with the fixtures loaded by tools/demo.sh."""
    db = "dash_" + uuid.uuid4().hex[:8]
    cluster.psql(f"CREATE DATABASE {db}")
    url = cluster.url.replace("/samenmeten?", f"/{db}?")
    s = Server(workdir, url, admin_token, web_dir=WEB).start()
    env = dict(os.environ, SAMENMETEN_URL=s.base, SAMENMETEN_ADMIN_TOKEN=admin_token)
    out = subprocess.run([os.path.join(ROOT, "tools", "demo.sh")], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr + out.stdout
    assert '"accepted":5704' in out.stdout, out.stdout
    assert '"accepted":96' in out.stdout, out.stdout  # the Leefplekmeter sheets
    yield s
    assert s.stop() == 0, s.log_text()[-4000:]


@pytest.fixture(scope="module")
def api(site):
    return Client(site.base)


@pytest.fixture(scope="module")
def seen(site):
    """What the browser saw along the scenario of dashboard.mjs."""
    assert shutil.which("node"), "node is missing: `make test` installs it (tools/web-vendor.sh)"
    assert os.access(CHROMIUM, os.X_OK), "chromium is missing: tools/deps.sh test installs it"
    out = subprocess.run(["node", DRIVER, "scenario", site.base, SCREENSHOTS], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout)


def items(api, path, **params):
    """Every item of a paged answer, as the page asks for them."""
    body = api.get(path, params={**params, "limit": 10000}).json()
    assert body["next"] is None
    return [i for i in body["items"] if i["cell"]["geometry"] is not None]


def day_range(date, days=1):
    start = datetime.fromisoformat(date).replace(tzinfo=timezone.utc)
    end = start + timedelta(days=days)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


def air_items(api, quantity, date):
    f, t = day_range(date)
    return items(api, "/v1/aggregates", quantity=quantity, space="grid:250", stat="count,mean,max",
                 bucket="day", **{"from": f, "to": t})


# --- Serving -----------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(api):
    for path in ("/", "/docs"):
        r = api.get(path)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        csp = dict(p.strip().split(" ", 1) for p in r.headers["Content-Security-Policy"].split(";"))
        assert csp["default-src"] == "'none'"
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
        assert csp["connect-src"] == "'self'"
        assert "unsafe" not in r.headers["Content-Security-Policy"]
        assert "http" not in r.headers["Content-Security-Policy"]  # no other origin
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    # No tile URL configured: the page's meta is empty.
    assert '<meta name="smu-tile-url" content="">' in api.get("/").text


def test_files_have_etags_gzip_and_cache_lifetimes(api):
    leaflet = vendor_file("leaflet-", ".js")
    with open(os.path.join(WEB, "vendor", leaflet), "rb") as f:
        raw = f.read()
    plain = api.get(f"/vendor/{leaflet}", headers={"Accept-Encoding": "identity"})
    assert plain.content == raw and "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    zipped = requests.get(f"{api.base}/vendor/{leaflet}", headers={"Accept-Encoding": "gzip"},
                          stream=True)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    body = zipped.raw.read()
    assert len(body) < len(raw) / 2 and gzip.decompress(body) == raw
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    # Revalidation answers 304 without a body, for either form.
    for r in (plain, zipped):
        again = api.get(f"/vendor/{leaflet}", headers={
            "If-None-Match": r.headers["ETag"],
            "Accept-Encoding": r.headers.get("Content-Encoding", "identity")})
        assert again.status_code == 304 and again.content == b""
    # The page's own files are revalidated each time (their names carry no version).
    app = api.get("/assets/app.js")
    assert app.headers["Cache-Control"] == "public, no-cache"
    assert app.headers["Content-Type"].startswith("text/javascript")
    assert api.get("/assets/app.js", headers={"If-None-Match": app.headers["ETag"]}).status_code == 304


# Encoded slashes are decoded before routing: such paths have more segments than
# any route and are not found.
@pytest.mark.parametrize("path,status", [
    ("/assets/..%2Findex.html", 404),
    ("/assets/..%2F..%2Fserver%2Fmain.c", 404),
    ("/vendor/%2Fetc%2Fpasswd", 404),
    ("/assets/.hidden", 400),
    ("/assets/nothing.js", 404),
    ("/vendor/package.json", 404),     # not a served type
    ("/assets/index.html", 404),       # top-level files only at / and /docs
    ("/node_modules/leaflet/package.json", 404),
])
def test_nothing_outside_the_served_files(api, path, status):
    r = api.get(path)
    assert r.status_code == status, (path, r.status_code)
    assert r.headers["Content-Type"] == "application/problem+json"
    if status == 400:
        assert r.json()["field"] == "file"


def test_area_layers_for_the_backdrop(api):
    layers = api.get("/v1/areas").json()["items"]
    assert [(x["layer"], x["areas"]) for x in layers] == [("wijken", 10)]
    fc = api.get("/v1/areas/wijken").json()
    with open(os.path.join(ROOT, "tests", "fixtures", "areas", "utrecht-wijken-2014.geojson")) as f:
        fixture = json.load(f)
    assert sorted(x["id"] for x in fc["features"]) == \
        sorted(x["properties"]["statcode"] for x in fixture["features"])
    names = {x["properties"]["code"]: x["properties"]["name"] for x in fc["features"]}
    assert names["WK034410"] == "Wijk 10 Vleuten-De Meern"
    assert api.get("/v1/areas/none").status_code == 404
    assert api.get("/v1/areas/Not_Valid").json()["field"] == "layer"


def test_a_tile_url_opens_the_policy_to_its_origin_only(workdir, cluster, admin_token):
    tiles = "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
    s = Server(workdir, cluster.url, admin_token, web_dir=WEB, tile_url=tiles,
               tile_attribution="Kaartgegevens © Kadaster").start()
    try:
        r = requests.get(s.base + "/")
        csp = r.headers["Content-Security-Policy"]
        assert "img-src 'self' https://service.pdok.nl;" in csp + ";"
        assert csp.count("https://") == 1
        assert f'<meta name="smu-tile-url" content="{tiles}">' in r.text
        assert "Kaartgegevens © Kadaster" in r.text
        # The docs page does not load tiles.
        assert "pdok" not in requests.get(s.base + "/docs").headers["Content-Security-Policy"]
    finally:
        assert s.stop() == 0
    bad = run_binary([], env={**s.env, "SAMENMETEN_TILE_URL": "javascript:alert(1)"}, cwd=workdir)
    assert bad.returncode != 0 and "tile_url" in bad.stderr


def test_without_a_web_folder_the_service_runs(workdir, cluster, admin_token):
    s = Server(workdir, cluster.url, admin_token, web_dir=os.path.join(workdir, "no-such")).start()
    try:
        c = Client(s.base)
        r = c.get("/")
        assert r.status_code == 404 and "make web" in r.json()["detail"]
        assert c.get("/v1/quantities").status_code == 200
    finally:
        assert s.stop() == 0


# --- In the browser ----------------------------------------------------------------


def test_no_console_error_and_no_other_origin(seen):
    log = seen["log"]
    assert log["console"] == []
    assert log["foreign"] == []
    assert log["failed"] == []
    assert log["requests"] > 20


def test_default_view_draws_the_last_day_of_air_data(seen, api):
    last = max(p["coverage"]["to"] for p in api.get("/v1/projects").json()["items"]
               if p["kind"] == "air")
    want = air_items(api, "pm25", last[:10])
    home = seen["home"]
    assert home["data"]["view"] == "air" and home["data"]["quantity"] == "pm25"
    assert len(want) > 0
    assert home["cells"] == len(want) == int(home["data"]["cells"])
    assert home["areas"] == 10  # the wijken backdrop
    assert home["legendRef"] == 1  # the WHO 2021 guideline on the colour scale


def test_cells_drawn_equal_the_items_of_the_api(seen, api):
    assert seen["air"]["cells"] == len(air_items(api, "pm25", "2024-11-11")) > 0
    # Switching quantity redraws, with the new quantity's cells.
    assert seen["pm10"]["data"]["quantity"] == "pm10"
    assert seen["pm10"]["cells"] == len(air_items(api, "pm10", "2024-11-11")) > 0
    assert "q=pm10" in seen["pm10"]["hash"]
    # Days above the WHO 24 h guideline per wijk over the month.
    f, t = "2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z"
    exc = items(api, "/v1/exceedances", quantity="pm25", reference="who2021-24h",
                space="area:wijken", **{"from": f, "to": t})
    assert seen["exceedances"]["cells"] == len(exc) > 0


def test_a_click_on_a_cell_draws_its_series(seen, api):
    series = seen["series"]
    cell = dict(x.split("=", 1) for x in series["hash"].split("?", 1)[1].split("&"))["cell"]
    item = next(i for i in air_items(api, "pm25", "2024-11-11") if i["cell"]["id"] == cell)
    coords = [c for ring in item["cell"]["geometry"]["coordinates"] for c in ring]
    bbox = ",".join(f"{v:.6f}" for v in (min(c[0] for c in coords), min(c[1] for c in coords),
                                         max(c[0] for c in coords), max(c[1] for c in coords)))
    # The day's period ends 2024-11-12; an hourly series shows the two days before.
    want = [i for i in items(api, "/v1/aggregates", quantity="pm25", space="grid:250",
                             bucket="hour", stat="count,mean", bbox=bbox,
                             **{"from": "2024-11-10T00:00:00Z", "to": "2024-11-12T00:00:00Z"})
            if i["cell"]["id"] == cell]
    assert series["charts"] == 1
    assert series["items"] == len(want) > 0
    assert series["points"] == [[i["start"], i["mean"]] for i in want]
    assert any("WHO" in label for label in series["labels"])  # the reference line
    # The map stayed as it was.
    assert series["mapAfterClick"]["cells"] == seen["air"]["cells"]


def test_keyboard_picks_a_cell(seen):
    kb = seen["keyboard"]
    assert f"cell={kb['wanted']}" in kb["series"]["hash"].replace("%3A", ":")
    assert kb["series"]["charts"] == 1


def test_a_permalink_reproduces_the_view(seen):
    p = seen["permalink"]
    assert p["after"]["hash"] == p["before"]["hash"]
    assert p["after"]["data"] == p["before"]["data"]
    assert p["after"]["cells"] == p["before"]["cells"] > 0


def test_heat_view_shows_the_stations_of_the_api(seen, api):
    fc = api.get("/v1/heat/stations").json()
    assert seen["heat"]["stations"] == len(fc["features"]) == 6
    sid = seen["heatStation"]["hash"].split("station=")[1]
    station = next(f for f in fc["features"] if f["properties"]["id"] == sid)
    end = datetime.fromisoformat(station["properties"]["latest"]["observed_at"].replace("Z", "+00:00"))
    end += timedelta(hours=1)
    detail = api.get(f"/v1/heat/stations/{sid}", params={
        "from": (end - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "bucket": "hour"}).json()["properties"]
    hours = detail["hours_per_category"]["wbgt"]
    assert {k: v for k, v in seen["heatStation"]["hours"].items() if v} == hours
    assert seen["heatStation"]["series"] == len(detail["items"]) > 0


def test_traffic_view_shows_the_segments_of_the_api(seen, api):
    last = max(p["coverage"]["to"] for p in api.get("/v1/projects").json()["items"]
               if p["kind"] == "traffic")
    f, t = day_range(last[:10], 1)
    f = (datetime.fromisoformat(t.replace("Z", "+00:00")) - timedelta(days=7)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    fc = api.get("/v1/traffic/segments", params={"from": f, "to": t}).json()
    assert seen["traffic"]["segments"] == len(fc["features"]) == 114
    seg = seen["segment"]["hash"].split("segment=")[1]
    totals = next(x for x in fc["features"] if str(x["properties"]["segment_id"]) == seg)[
        "properties"]["totals"]
    split = {k.split(" ")[0]: v for k, v in seen["segment"]["split"].items()}
    names = {"auto": "car", "fiets": "bike", "voetganger": "pedestrian", "vrachtverkeer": "heavy"}
    for label, mode in names.items():
        assert split[label] == pytest.approx(totals["modal_split"][mode] * 100, abs=0.051)
    assert seen["segment"]["series"] == totals["reports"] > 0  # hourly, one report an hour


def test_beleving_shows_what_the_api_holds(seen, api):
    """The first theme's latest month per wijk, as /v1/aggregates gives it (k residents)."""
    themes = [q["name"] for q in api.get("/v1/quantities").json()["items"]
              if q["family"] == "experience"]
    assert themes and seen["beleving"]["none"] == 0
    agg = api.get("/v1/aggregates", params={
        "quantity": themes[0], "space": "area:wijken", "bucket": "month",
        "from": "2024-07-01T00:00:00Z", "to": "2025-07-01T00:00:00Z", "limit": 10000}).json()
    latest = {}
    for i in agg["items"]:
        if i["cell"]["geometry"] and i["start"] >= latest.get(i["cell"]["id"], {"start": ""})["start"]:
            latest[i["cell"]["id"]] = i
    assert seen["beleving"]["cells"] == len(latest) > 0


def test_downloads_list_every_dataset_with_its_licence(seen, api):
    projects = api.get("/v1/projects").json()["items"]
    rows = {r["slug"]: r for r in seen["downloads"]["rows"]}
    assert set(rows) == {p["slug"] for p in projects} == {"snuffelfiets", "telraam", "hitte",
                                                          "beleving"}
    for p in projects:
        row = rows[p["slug"]]
        assert p["licence"] in row["cells"]
        assert row["links"] == [f"/v1/datasets/{p['slug']}?format={f}"
                                for f in ("csv", "ndjson", "geojson")]
    # The links work.
    r = api.get(rows["telraam"]["links"][0])
    assert r.status_code == 200 and r.headers["X-Licence"] == "CC-BY-4.0"


def test_dutch_by_default_english_on_the_switch(seen):
    assert seen["home"]["lang"] == "nl" and seen["home"]["tab"] == "Lucht"
    assert seen["downloads"]["lang"] == "en" and seen["downloads"]["tab"] == "Downloads"
    assert seen["lang"] == {"lang": "en", "tab": "Air", "hash": "#/air?lang=en"}


def test_readable_on_a_phone(seen):
    assert seen["phone"]["scrollWidth"] <= seen["phone"]["innerWidth"]
    assert seen["phone"]["cells"] == seen["air"]["cells"]


def test_docs_render_every_operation_of_the_spec(seen):
    rendered = {(d["method"].upper(), d["path"]) for d in seen["docs"]}
    assert rendered == spec_operations()
    assert len(SPEC["paths"]) > 30


def test_screenshots_of_every_view(seen):
    for name in ("air", "air-exceedances", "heat", "traffic", "beleving", "downloads", "phone",
                 "docs"):
        path = os.path.join(SCREENSHOTS, f"{name}.png")
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
