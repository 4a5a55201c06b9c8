"""Linking trips through `participants` (DESIGN.md section 5, issue #11 item 4).

"Extend a query's window until it includes one more trip: if count rises and
participants does not, that trip's rider was already counted."

Each trial has a UTC day of its own. In its base hour (08:00-09:00) 3 to 8 riders (a
different number each trial, so that any fixed rounding of participants is crossed in
some trials), drawn from a pool, make one trip each; in a later hour (14:00-15:00) one more trip is made,
by one of the base riders or by a pool rider not among them (50/50, at random). Nothing
else happens that day. The windows nest by whole buckets (the base hour inside its
day), so the attack works whether or not the server aligns windows to buckets: the
attacker reads count and participants of the base hour (bucket=hour) and of the whole
day (bucket=day), both in space `all`, and guesses "already counted" when the count
rose and participants did not, "new rider" when both rose; when the count did not rise
(the extra trip is not visible) or participants are not published, it flips a coin.
Its accuracy is compared with chance (0.5).

Knobs: SMU_LINKAGE_TRIALS (default 80), SMU_LINKAGE_POOL (default 30),
SMU_LINKAGE_BASE (riders in the base hour, lowest and highest, default 3,8).
"""
import math
import os
from dataclasses import dataclass, field

import numpy as np
import requests

import town as townmod
from upload import HEADER, iso


@dataclass
class Outcome:
    trials: int
    correct: int
    decided: int  # trials where the published figures decided the guess (no coin)
    details: list = field(repr=False)

    @property
    def accuracy(self):
        return self.correct / self.trials

    @property
    def standard_error(self):
        return math.sqrt(0.25 / self.trials)


def _ride_lines(streets, rng, imei, start_s):
    """A ride of 5-7 km along the streets from start_s (epoch seconds)."""
    for _ in range(500):
        a = streets.random_address(rng)
        b = streets.random_address(rng)
        if 5000 <= math.dist(a[0], b[0]) <= 7000:
            break
    t, x, y = townmod.sample(streets.route(rng, a, b), float(rng.uniform(4.0, 5.0)), rng, 5.0)
    from geo import to_latlon
    lat, lon = to_latlon(x, y)
    pm = np.round(8 + rng.gamma(2.0, 1.5, len(t)), 1)
    return [f"{iso(start_s + t[k])},{imei},{lat[k]:.6f},{lon[k]:.6f},8,3.9,600,14.5,70,"
            f"{pm[k] * 0.7:.1f},{pm[k]:.1f},{pm[k] * 1.4:.1f}\n" for k in range(len(t))]


def run(admin, base_url, slug, seed, log=print):
    trials = int(os.environ.get("SMU_LINKAGE_TRIALS", 80))
    pool = int(os.environ.get("SMU_LINKAGE_POOL", 30))
    base_lo, base_hi = (int(v) for v in os.environ.get("SMU_LINKAGE_BASE", "3,8").split(","))
    rng = np.random.default_rng(seed + 1)
    streets = townmod.Streets(8000.0, 100.0)
    r = admin.post("/v1/projects", json={"slug": slug, "name": "Linkage trials", "kind": "air",
                                         "licence": "CC-BY-4.0", "auto_register": True})
    assert r.status_code == 201, r.text
    first_day = (int(__import__("time").time()) // 86400 - 220) * 86400
    truth, lines = [], []
    for i in range(trials):
        day = first_day + i * 86400
        base = int(rng.integers(base_lo, base_hi + 1))
        riders = rng.choice(pool, size=base + 1, replace=False)
        for k, rider in enumerate(riders[:base]):
            lines += _ride_lines(streets, rng, f"35{seed % 1000:03d}{int(rider):010d}",
                                 day + 8 * 3600 + int(rng.integers(0, 300)) + k)
        already = bool(rng.random() < 0.5)
        extra = int(rng.choice(riders[:base])) if already else int(riders[base])
        lines += _ride_lines(streets, rng, f"35{seed % 1000:03d}{extra:010d}",
                             day + 14 * 3600 + int(rng.integers(0, 300)))
        truth.append(already)
    for start in range(0, len(lines), 20000):
        r = admin.post(f"/v1/ingest/snuffelfiets?project={slug}",
                       data=(HEADER + "".join(lines[start:start + 20000])).encode(),
                       headers={"Content-Type": "text/csv"})
        assert r.status_code == 200 and r.json()["rejected"] == 0, r.text[:1000]
    log(f"linkage: {trials} trials, {len(lines)} readings uploaded")

    t_from, t_to = iso(first_day), iso(first_day + trials * 86400)
    hours = _fetch(base_url, slug, "hour", t_from, t_to)
    days = _fetch(base_url, slug, "day", t_from, t_to)
    correct = decided = 0
    details = []
    for i, already in enumerate(truth):
        day = first_day + i * 86400
        h = hours.get(iso(day + 8 * 3600))
        d = days.get(iso(day))
        guess = None
        if h and d and d["count"] > h["count"] and h.get("participants") is not None \
                and d.get("participants") is not None:
            guess = d["participants"] <= h["participants"]
            decided += 1
        if guess is None:
            guess = bool(rng.random() < 0.5)
        correct += guess == already
        details.append((already, guess, h, d))
    return Outcome(trials, correct, decided, details)


def _fetch(base_url, slug, bucket, t_from, t_to):
    """{bucket start: item} of pm2.5 in space `all`, every page."""
    out = {}
    url, params = "/v1/aggregates", {"quantity": "pm25", "project": slug, "space": "all",
                                     "bucket": bucket, "from": t_from, "to": t_to,
                                     "stat": "count", "limit": 10000}
    while url:
        r = requests.get(base_url + url, params=params, timeout=120)
        assert r.status_code == 200, r.text
        body = r.json()
        for it in body["items"]:
            out[it["start"]] = it
        url, params = body.get("next"), None
    return out
