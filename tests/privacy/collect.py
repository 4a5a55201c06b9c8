"""What an attacker without a token can download, and what a researcher can.

A snapshot holds everything one round of downloads showed, sorted by what it is:
- `trips`: point data grouped by trip (a dataset with a `trip` column), per source;
- `points`: point data without a trip (positions only), per source;
- `cells`: cells (space x time, with a reading count or another weight), per source.
Each output is interpreted by what its rows hold, not by what today's server is known
to publish: a dataset row with a trip and a position is a point of that trip; a row with
a cell (geometry or id) and a count is a cell; a row with a position only is a point.

Bulk downloads use a plain HTTP session (validating 10,000-item pages against the
OpenAPI schemas would dominate the run); the first answer of every endpoint and format
is checked against the contract once per run.
"""
import csv
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from geo import cell_id_centre_xy, geometry_centre_xy, to_xy

QUANTITY = "pm25"
BUCKETS = ("15min", "hour", "day")
TIME_KEYS = ("recorded_at", "start", "period_start", "bucket_start", "period", "time", "from",
             "observed_at")
COUNT_KEYS = ("count", "readings", "reading_count", "n_readings", "n")


def grid_spaces(layer):
    return (["all"] + [f"{kind}:{size}" for kind in ("grid", "hex") for size in (100, 250, 500, 1000)]
            + ([f"area:{layer}"] if layer else []))


def iso(epoch_s):
    return datetime.fromtimestamp(float(epoch_s), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass
class Cell:
    start: str
    cell_id: str
    x: float
    y: float
    size: float  # metres (square root of the area); 0 for a point
    count: float  # readings (or the output's own weight: periods, hours)
    participants: object  # int, or None when not published


@dataclass
class Snapshot:
    label: str
    trips: dict = field(default_factory=dict)  # source -> {trip id: [(t, x, y)]}
    points: dict = field(default_factory=dict)  # source -> [(t, x, y)]
    cells: dict = field(default_factory=dict)  # source -> {(start, cell id): Cell}
    notes: list = field(default_factory=list)
    requests: int = 0

    def trip_arrays(self, source):
        """{trip: (t, x, y) arrays in time order} of one point source."""
        out = {}
        for trip, pts in self.trips.get(source, {}).items():
            a = np.array(sorted(set(pts)), dtype=float)
            out[trip] = (a[:, 0], a[:, 1], a[:, 2])
        return out


class Collector:
    def __init__(self, base, slug, layer, t_from, t_to, admin=None, workers=3):
        self.base = base
        self.slug = slug
        self.layer = layer
        self.t_from = t_from
        self.t_to = t_to
        self.admin = admin
        self.workers = workers
        self.local = threading.local()
        self.researcher_token = None
        self.researcher_note = None
        self.checked = set()

    # -- HTTP ---------------------------------------------------------------------------
    @property
    def session(self):
        """One session per thread; a GET the server dropped (an idle keep-alive connection
        it closed) is sent again."""
        s = getattr(self.local, "session", None)
        if s is None:
            s = self.local.session = requests.Session()
            retry = Retry(total=3, connect=3, read=3, backoff_factor=0.2, allowed_methods={"GET"},
                          status_forcelist=())
            s.mount("http://", HTTPAdapter(max_retries=retry))
        return s

    def _get(self, path, params=None, token=None, check_kind=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.session.get(self.base + path, params=params, headers=headers, timeout=300)
        if check_kind and check_kind not in self.checked and r.status_code == 200:
            # One answer per endpoint and format goes through the contract check; a
            # small page keeps the schema validation quick.
            from contract import check
            small = dict(params or {})
            if "limit" in small:
                small["limit"] = 5
            check(self.session.get(self.base + path, params=small, headers=headers, timeout=300))
            self.checked.add(check_kind)
        return r

    def _windows(self, bucket, t_from, t_to):
        """The range cut into pieces the server accepts (31 days for 15 min buckets)."""
        span = {"15min": 30, "hour": 360}.get(bucket, 3600) * 86400
        out, a = [], t_from
        while a < t_to:
            b = min(t_to, a + span)
            out.append((a, b))
            a = b
        return out

    def _paged(self, path, params, check_kind):
        items, url, n = [], path, 0
        while url:
            r = self._get(url, params if url == path else None, check_kind=check_kind)
            n += 1
            if r.status_code != 200:
                return None, n, f"{path} {params.get('space')}: {r.status_code} {r.text[:200]}"
            body = r.json()
            items += body.get("items", [])
            url = body.get("next")
        return items, n, None

    # -- researchers --------------------------------------------------------------------
    def researcher(self):
        """A researcher token, when the server issues them; else None (with a note)."""
        if self.researcher_token or self.researcher_note or not self.admin:
            return self.researcher_token
        r = self.admin.post("/v1/researchers", json={
            "name": "Privacy attack suite", "purpose": "measure what point-level readings reveal",
            "expires_at": iso(self.t_to + 30 * 86400)})
        if r.status_code not in (200, 201) or "token" not in r.json():
            self.researcher_note = (f"POST /v1/researchers answers {r.status_code}: no researcher"
                                    f" access, the researcher download is not attacked"
                                    f" ({r.text[:200]})")
            return None
        self.researcher_token = r.json()["token"]
        return self.researcher_token

    # -- snapshots ----------------------------------------------------------------------
    def full(self, label, formats=("csv", "ndjson", "geojson"), cells=True, researcher=True):
        """Every open output over the whole range (and the researcher download)."""
        snap = Snapshot(label)
        jobs = [("dataset", fmt) for fmt in formats]
        if cells:
            for space in grid_spaces(self.layer):
                jobs += [("aggregates", space, b) for b in BUCKETS]
                jobs += [("coverage", space), ("latest", space), ("exceedances", space)]
        if researcher and self.researcher():
            jobs.append(("readings", "ndjson"))
        self._run(snap, jobs, self.t_from, self.t_to)
        if researcher and self.researcher_note:
            snap.notes.append(self.researcher_note)
        return snap

    def light(self, label, t_from, t_to, spaces=("grid:100", "hex:100"), buckets=("15min",),
              researcher=True):
        """A quick look at one window, as a watcher polls while rides are being uploaded:
        the dataset (CSV) and the finest aggregates."""
        snap = Snapshot(label)
        jobs = [("dataset", "csv")] + [("aggregates", s, b) for s in spaces for b in buckets]
        if researcher and self.researcher():
            jobs.append(("readings", "ndjson"))
        self._run(snap, jobs, t_from, t_to)
        return snap

    def _run(self, snap, jobs, t_from, t_to):
        with ThreadPoolExecutor(self.workers) as pool:
            results = list(pool.map(lambda job: self._job(job, t_from, t_to), jobs))
        for job, (kind, payload, n, note) in zip(jobs, results):
            snap.requests += n
            if note:
                snap.notes.append(note)
            if payload is None:
                continue
            if kind == "rows":
                self._add_rows(snap, "/".join(job), payload)
            else:
                self._add_items(snap, "/".join(job), payload)

    def _job(self, job, t_from, t_to):
        kind = job[0]
        window = {"from": iso(t_from), "to": iso(t_to)}
        if kind in ("dataset", "readings"):
            fmt = job[1]
            path = f"/v1/datasets/{self.slug}" + ("/readings" if kind == "readings" else "")
            token = self.researcher_token if kind == "readings" else None
            r = self._get(path, {**window, "format": fmt}, token=token)
            if r.status_code != 200:
                return "rows", None, 1, f"{path} {fmt}: {r.status_code} {r.text[:200]}"
            return "rows", parse_rows(r.text, fmt), 1, None
        space = job[1]
        params = {"space": space, "project": self.slug, "limit": 10000}
        if kind == "aggregates":
            items, n = [], 0
            for a, b in self._windows(job[2], t_from, t_to):
                got, k, note = self._paged("/v1/aggregates", {
                    **params, "quantity": QUANTITY, "bucket": job[2], "stat": "count,mean",
                    "from": iso(a), "to": iso(b)}, "aggregates")
                n += k
                if got is None:
                    return "items", None, n, note
                items += got
            return "items", items, n, None
        if kind == "coverage":
            items, n, note = self._paged("/v1/coverage", {**params, **window}, "coverage")
        elif kind == "latest":
            items, n, note = self._paged("/v1/latest", {**params, "quantity": QUANTITY}, "latest")
        else:  # exceedances
            items, n, note = self._paged("/v1/exceedances", {
                **params, **window, "quantity": QUANTITY, "reference": "who2021-24h"},
                "exceedances")
        return "items", items, n, note

    # -- interpretation -------------------------------------------------------------------
    @staticmethod
    def _add_items(snap, source, items):
        cells = snap.cells.setdefault(source, {})
        for it in items:
            cell = it.get("cell") or {}
            where = geometry_centre_xy(cell.get("geometry")) or cell_id_centre_xy(cell.get("id"))
            if where is None:  # the whole region: no place to attack
                where = (float("nan"), float("nan"), float("inf"))
            count = it.get("count")
            if count is None:  # exceedances: days with a published mean
                count = it.get("periods", 1)
            key = (it.get("start", ""), cell.get("id", ""))
            cells[key] = Cell(key[0], key[1], where[0], where[1], where[2], float(count),
                              it.get("participants"))

    @staticmethod
    def _add_rows(snap, source, rows):
        for row in rows:
            kind, value = interpret(row)
            if kind == "trip":
                snap.trips.setdefault(source, {}).setdefault(value[0], []).append(value[1])
            elif kind == "point":
                snap.points.setdefault(source, []).append(value)
            elif kind == "cell":
                snap.cells.setdefault(source, {})[(value.start, value.cell_id)] = value


def parse_rows(text, fmt):
    """Rows of a dataset download as dicts (GeoJSON: properties plus `geometry`)."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if fmt == "ndjson":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    doc = json.loads(text)
    rows = []
    for f in doc.get("features", []):
        row = dict(f.get("properties") or {})
        row["geometry"] = f.get("geometry")
        rows.append(row)
    return rows


def _num(v):
    if v is None or v == "":
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def interpret(row):
    """("trip", (trip, (t, x, y))), ("point", (t, x, y)), ("cell", Cell) or (None, None)."""
    start = next((row[k] for k in TIME_KEYS if row.get(k)), "")
    lat, lon = _num(row.get("latitude", row.get("lat"))), _num(row.get("longitude", row.get("lon")))
    geometry = row.get("geometry")
    if isinstance(geometry, str) and geometry.startswith("{"):
        geometry = json.loads(geometry)
    count = next((_num(row[k]) for k in COUNT_KEYS if _num(row.get(k)) is not None), None)
    cell = row.get("cell") or row.get("cell_id")
    if isinstance(cell, dict):
        geometry = geometry or cell.get("geometry")
        cell = cell.get("id")
    where = None
    if isinstance(geometry, dict) and geometry.get("type") != "Point":
        where = geometry_centre_xy(geometry)
    elif cell:
        where = cell_id_centre_xy(cell)
    if where is None and isinstance(geometry, dict):
        where = geometry_centre_xy(geometry)
    if where is None and lat is not None and lon is not None:
        x, y = to_xy(lat, lon)
        where = (float(x), float(y), 0.0)
    if where is None:
        return None, None
    trip = row.get("trip")
    if trip and where[2] == 0.0 and count is None:
        return "trip", (trip, (epoch(start), where[0], where[1]))
    if count is not None or where[2] > 0:
        return "cell", Cell(start, str(cell or f"{where[0]:.0f},{where[1]:.0f}"), where[0],
                            where[1], where[2], count if count is not None else 1.0,
                            row.get("participants"))
    return "point", (epoch(start) if start else 0.0, where[0], where[1])
