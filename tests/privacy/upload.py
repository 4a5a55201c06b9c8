"""Getting the town into the server: an air project, an area layer, and the rides as
device-v3 CSV through the admin import, in shuffled pieces.

Every trip is cut into one to four contiguous pieces; the pieces of the trips of two
days at a time are shuffled and packed into batches, so pieces of one trip arrive out of
order and in different requests, as phones with flaky connections send them. (Shuffled
over all 25 days instead, batches of 5,000 rows took 1.5 s at first and 10 s later: the
server re-zones and re-rolls-up every trip of a device between the earliest and latest
reading a batch holds for it; 134 s against 16 s for the same 184,000 readings.)
"""
import math
from datetime import datetime, timezone

import numpy as np

from geo import to_latlon


def iso(epoch_s):
    return datetime.fromtimestamp(float(epoch_s), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_project(admin, slug, **settings):
    """An air project with the server's defaults for every privacy setting not given."""
    body = {"slug": slug, "name": "Attack town", "kind": "air", "licence": "CC-BY-4.0",
            "auto_register": True, **settings}
    r = admin.post("/v1/projects", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def upload_area_layer(admin, layer, town, rng, cell_m=700.0):
    """Neighbourhood-like polygons over the town (jittered quadrilaterals), so that the
    `area:<layer>` space has something to aggregate on."""
    x0, y0, x1, y1 = town.bounds()
    n = int(math.ceil((x1 - x0) / cell_m))
    jitter = rng.uniform(-0.2, 0.2, size=(n + 1, n + 1, 2)) * cell_m
    jitter[0, :, 0] = jitter[n, :, 0] = 0
    jitter[:, 0, 1] = jitter[:, n, 1] = 0
    corners = np.zeros((n + 1, n + 1, 2))
    for i in range(n + 1):
        for j in range(n + 1):
            corners[i, j] = (x0 + i * cell_m, y0 + j * cell_m) + jitter[i, j]
    features = []
    for i in range(n):
        for j in range(n):
            ring = [corners[i, j], corners[i + 1, j], corners[i + 1, j + 1], corners[i, j + 1],
                    corners[i, j]]
            coords = []
            for x, y in ring:
                lat, lon = to_latlon(x, y)
                coords.append([round(float(lon), 6), round(float(lat), 6)])
            features.append({"type": "Feature", "geometry": {"type": "Polygon",
                                                             "coordinates": [coords]},
                             "properties": {"code": f"BU{i:02d}{j:02d}", "name": f"buurt {i}-{j}"}})
    r = admin.post(f"/v1/areas/{layer}", json={"type": "FeatureCollection", "features": features})
    assert r.status_code == 200, r.text


HEADER = "created_at,imei,lat,lon,sat_no,battery,uptime,temperature,humidity,pm_1,pm_2_5,pm_10\n"


def trip_rows(trip, imei, t0, rng):
    """The CSV lines of a trip (device-v3 layout), one per reading."""
    lat, lon = to_latlon(trip.x, trip.y)
    pm25 = np.round(9 + 3 * np.sin(trip.t / 900.0 + trip.rider) + rng.gamma(2.0, 1.5, len(trip.t)), 1)
    lines = []
    for k in range(len(trip.t)):
        p = float(pm25[k])
        lines.append(f"{iso(t0 + trip.t[k])},{imei},{lat[k]:.6f},{lon[k]:.6f},8,3.9,600,14.5,70,"
                     f"{p * 0.7:.1f},{p:.1f},{p * 1.4:.1f}\n")
    return lines


def pieces_of(trips, imeis, t0, rng, max_pieces=4):
    """Each trip cut into 1..max_pieces contiguous pieces: a list of (trip, lines)."""
    out = []
    for trip in trips:
        lines = trip_rows(trip, imeis[trip.rider], t0, rng)
        k = int(rng.integers(1, max_pieces + 1))
        k = min(k, len(lines))
        cuts = sorted(rng.choice(np.arange(1, len(lines)), size=k - 1, replace=False)) if k > 1 else []
        bounds = [0, *[int(c) for c in cuts], len(lines)]
        out += [(trip, lines[a:b]) for a, b in zip(bounds, bounds[1:])]
    return out


class Uploader:
    """Posts CSV batches through the admin import and counts what the server accepted."""

    def __init__(self, admin, slug, batch_rows=5000):
        self.admin = admin
        self.slug = slug
        self.batch_rows = batch_rows
        self.accepted = 0
        self.sent = 0

    def post(self, lines):
        if not lines:
            return
        r = self.admin.post(f"/v1/ingest/snuffelfiets?project={self.slug}",
                            data=(HEADER + "".join(lines)).encode(),
                            headers={"Content-Type": "text/csv"})
        assert r.status_code == 200, r.text[:2000]
        body = r.json()
        assert body["rejected"] == 0, body["errors"][:5]
        self.accepted += body["accepted"]
        self.sent += len(lines)

    def shuffled(self, pieces, rng, checkpoints=(), on_checkpoint=None, days_per_window=2):
        """Posts `pieces` day window by day window (as phones send their recent rides),
        each window's pieces in a random order, packed into batches; after the batch
        that passes each fraction in `checkpoints`, calls on_checkpoint(fraction)."""
        by_window = {}
        for piece in pieces:
            by_window.setdefault(piece[0].day // days_per_window, []).append(piece)
        order = []
        for w in sorted(by_window):
            group = by_window[w]
            order += [group[i] for i in rng.permutation(len(group))]
        total = sum(len(lines) for _, lines in pieces)
        marks = sorted(checkpoints)
        batch, done = [], 0
        for _, lines in order:
            batch += lines
            done += len(lines)
            if len(batch) >= self.batch_rows or (marks and done >= marks[0] * total):
                self.post(batch)
                batch = []
                while marks and done >= marks[0] * total:
                    fraction = marks.pop(0)
                    if on_checkpoint:
                        on_checkpoint(fraction)
        self.post(batch)
