"""The home-finding experiment: build the town, upload it in stages, download every
output as it grows, attack, score.

Knobs (environment variables, defaults sized for CI on a loaded 2-core machine):
  SMU_ATTACK_SEED         randomness (town, routes, uploads, attacks)       default 20251
  SMU_ATTACK_TARGETS      target riders (their homes are what is attacked)  default 12
  SMU_ATTACK_TRIPS        trips per target rider at which to measure        default 20,100
  SMU_ATTACK_BACKGROUND   background riders (dense town)                    default 250
  SMU_ATTACK_BG_OUTINGS   outings (2 trips each) per background rider       default 2
  SMU_ATTACK_TOWN_M       side of the town in metres                        default 3500
  SMU_ATTACK_WATCHED      target riders whose last outing of each stage is
                          uploaded piece by piece, downloaded after each    default 4
  SMU_ATTACK_PROJECT      JSON of project settings for experiments, e.g.
                          '{"trim_min_m": 500}' (the targets hold for {})   default {}
"""
import json
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np

import attacks
import collect
import metrics
import town as townmod
import upload


@dataclass
class Config:
    seed: int = 20251
    targets: int = 12
    trips: tuple = (20, 100)
    background: int = 250
    bg_outings: int = 2
    town_m: float = 3500.0
    watched: int = 4
    project: dict = field(default_factory=dict)  # privacy settings; {}: the server's defaults

    @classmethod
    def from_env(cls):
        e = os.environ.get
        return cls(seed=int(e("SMU_ATTACK_SEED", 20251)),
                   targets=int(e("SMU_ATTACK_TARGETS", 12)),
                   trips=tuple(int(v) for v in e("SMU_ATTACK_TRIPS", "20,100").split(",")),
                   background=int(e("SMU_ATTACK_BACKGROUND", 250)),
                   bg_outings=int(e("SMU_ATTACK_BG_OUTINGS", 2)),
                   town_m=float(e("SMU_ATTACK_TOWN_M", 3500)),
                   watched=int(e("SMU_ATTACK_WATCHED", 4)),
                   project=json.loads(e("SMU_ATTACK_PROJECT", "{}")))


@dataclass
class Run:
    config: Config
    town: object
    t0: int
    slug: str
    results: metrics.Results
    timings: dict = field(default_factory=dict)
    uploaded: int = 0


def run(admin, base, slug, config, log=print):
    """Everything, against the server at `base`; returns a Run with the scores."""
    clock = time.monotonic()
    timings = {}
    rng = np.random.default_rng(config.seed)
    town = townmod.build(config.seed, targets=config.targets, target_trips=max(config.trips),
                         background=config.background, background_outings=config.bg_outings,
                         size_m=config.town_m)
    # The timeline ends at the last full hour, so that /v1/latest shows its last hour.
    t_end = int(time.time()) // 3600 * 3600
    t0 = t_end - town.days * 86400
    layer = "atk-" + slug[-10:]
    upload.create_project(admin, slug, **config.project)
    upload.upload_area_layer(admin, layer, town, rng)
    collector = collect.Collector(base, slug, layer, t0, t_end, admin=admin)
    uploader = upload.Uploader(admin, slug)
    imeis = [r.imei for r in town.riders]
    homes = [r.home for r in town.targets]
    results = metrics.Results(config.trips)
    timings["town"] = time.monotonic() - clock

    snapshots = []  # (stage, Snapshot), in download order
    sequences = []  # lists of light snapshots of one watched outing, in order
    done = 0
    for stage, k in enumerate(config.trips):
        clock = time.monotonic()
        watched_riders = town.targets[:config.watched] if k >= 2 else []
        watched = {(r.index, n) for r in watched_riders for n in (k - 2, k - 1)}
        trips = [t for r in town.targets for t in r.trips if done <= t.number < k
                 and (t.rider, t.number) not in watched]
        if stage == 0:
            trips += [t for r in town.background for t in r.trips]
        pieces = upload.pieces_of(trips, imeis, t0, rng)

        def mid(fraction, stage=stage, k=k):
            snapshots.append((stage, collector.light(
                f"{k} trips, {fraction:.0%} uploaded", t0, t_end, spaces=("grid:100", "grid:250"),
                buckets=("15min", "hour"))))
        uploader.shuffled(pieces, rng, checkpoints=(0.5,), on_checkpoint=mid)
        timings[f"upload+mid {k}"] = time.monotonic() - clock
        clock = time.monotonic()
        for rider in watched_riders:
            outing = [t for t in rider.trips if (t.rider, t.number) in watched]
            day0 = t0 + outing[0].day * 86400
            seq = [collector.light(f"watch {rider.index} before", day0, day0 + 86400)]
            steps = upload.pieces_of(outing, imeis, t0, rng, max_pieces=3)
            for i in rng.permutation(len(steps)):
                uploader.post(steps[i][1])
                seq.append(collector.light(f"watch {rider.index} +{i}", day0, day0 + 86400))
            sequences.append((stage, seq))
        timings[f"watch {k}"] = time.monotonic() - clock
        clock = time.monotonic()
        final = collector.full(f"{k} trips, all uploaded")
        snapshots.append((stage, final))
        timings[f"final {k}"] = time.monotonic() - clock
        log(f"stage {k} trips: {uploader.sent} readings uploaded; downloads so far:"
            f" {sum(s.requests for _, s in snapshots)} requests")
        clock = time.monotonic()
        score_stage(results, k, homes, town, final, [s for st, s in snapshots if st <= stage],
                    [seq for st, seq in sequences if st <= stage], config, rng)
        timings[f"attacks {k}"] = time.monotonic() - clock
        for note in final.notes:
            if note not in results.notes:
                results.notes.append(note)
        done = k
    measure_utility(results, snapshots[-1][1], uploader.sent)
    r = Run(config, town, t0, slug, results, timings, uploader.sent)
    return r


OPEN_POINT_KINDS = ("dataset/",)
RESEARCHER = "readings/"


def _point_sources(snap, prefix):
    return sorted(s for s in snap.trips if s.startswith(prefix))


def combined_trips(snap, prefix):
    """The trips of every point source with `prefix`, joined by trip name."""
    pts = {}
    for source in _point_sources(snap, prefix):
        for trip, p in snap.trips[source].items():
            pts.setdefault(trip, set()).update(p)
    out = {}
    for trip, p in pts.items():
        a = np.array(sorted(p), dtype=float)
        out[trip] = (a[:, 0], a[:, 1], a[:, 2])
    return out


def _size(source):
    m = re.search(r":(\d+)(/|$)", source)
    return int(m.group(1)) if m else None


def _fine(source):
    size = _size(source)
    return size is not None and size <= 250


CELL_SELECTIONS = {
    "every open cell output": lambda s: True,
    "cells <= 250 m per day": lambda s: s.startswith("aggregates/") and _fine(s)
    and s.endswith("/day"),
    "cells <= 250 m per hour and 15 min": lambda s: (s.startswith("aggregates/") and _fine(s)
                                                     and s.endswith(("/hour", "/15min")))
    or (s.startswith("latest/") and _fine(s)),
    "cells <= 250 m over the whole range": lambda s: s.startswith(("coverage/", "exceedances/"))
    and _fine(s),
    "cells <= 250 m, every output": lambda s: _fine(s),
    "the open dataset's cells": lambda s: s.startswith("dataset/"),
}
# Selections that the union, growth and delta attacks also run on.
CELL_SEQUENCE_SELECTIONS = ("every open cell output", "cells <= 250 m, every output",
                            "the open dataset's cells")


def open_cell_sources(snap):
    """A snapshot's open cell outputs; of the dataset's formats (the same cells) only
    the one with the most cells, so that the dataset counts once."""
    sources = [s for s in sorted(snap.cells) if not s.startswith(RESEARCHER)]
    data = [s for s in sources if s.startswith("dataset/")]
    if len(data) > 1:
        keep = max(data, key=lambda s: len(snap.cells[s]))
        sources = [s for s in sources if not s.startswith("dataset/") or s == keep]
    return sources


def score_stage(results, k, homes, town, final, snaps, sequences, config, rng):
    n = len(homes)

    def add(group, attack, source, guesses):
        if len(guesses):  # an attack that makes no guess is not reported
            results.add(group, attack, source, k, metrics.score(homes, guesses[:n]))

    # What guessing gives: the median over 200 draws of N random points in the town.
    draws = [metrics.score(homes, attacks.random_guesses(n, town.bounds(), rng))
             for _ in range(200)]
    results.add("baseline", "random guesses (median of 200 draws)", "-", k, metrics.Score(
        float(np.median([d.median for d in draws])), float(np.median([d.within100 for d in draws])),
        float(np.median([d.within200 for d in draws])), n))

    # Point data with trips: the open dataset (every format), and the researcher download.
    for group, prefix in (("open points", "dataset/"), ("researcher (defence in depth)", RESEARCHER)):
        trips = combined_trips(final, prefix)
        if not trips:
            continue
        src = ", ".join(_point_sources(final, prefix))
        for name, guesses in attacks.point_attacks(trips, n, rng).items():
            add(group, name, src, guesses)
        union = attacks.merge_trips_across([combined_trips(s, prefix) for s in snaps] +
                                           [combined_trips(s, prefix) for seq in sequences
                                            for s in seq])
        for name, guesses in attacks.point_attacks(union, n, rng).items():
            add(group, name + ", union of downloads", "every download so far", guesses)
        pts = [p for tr in trips.values() for p in zip(*tr)]
        for h in (250.0, 500.0):
            add(group, f"hotspot h={h:.0f}", src + " as 50 m cells",
                attacks.hotspot(attacks.points_as_cells(pts), n, h))
    # Point data without trips, if any output has it.
    for source, pts in sorted(final.points.items()):
        group = "researcher (defence in depth)" if source.startswith(RESEARCHER) else "open points"
        for h in (250.0, 500.0):
            add(group, f"hotspot h={h:.0f}", source + " (no trips)",
                attacks.hotspot(attacks.points_as_cells(pts), n, h))

    # Cells: every open cell output combined, and natural choices of an attacker.
    cell_sources = open_cell_sources(final)
    for label, chosen in CELL_SELECTIONS.items():
        outputs = [list(final.cells[s].values()) for s in cell_sources if chosen(s)]
        if not outputs:
            continue
        # Wide kernels too on everything: a zone that hides a kilometre around a home
        # leaves a ring of cells whose centre is the home.
        radii = (250.0, 500.0, 1000.0) if label == "every open cell output" else (250.0, 500.0)
        for name, guesses in attacks.cell_attacks(outputs, n, radii).items():
            add("open cells", name, label, guesses)
        if label not in CELL_SEQUENCE_SELECTIONS:
            continue
        # Union of downloads: chain ends of every download so far.
        ex, ey = [], []
        for snap in snaps:
            for source in open_cell_sources(snap):
                if chosen(source):
                    e = attacks.chain_ends(list(snap.cells[source].values()))
                    ex.append(e[0])
                    ey.append(e[1])
        if ex:
            ex, ey = np.concatenate(ex), np.concatenate(ey)
            for r in (250.0, 500.0):
                add("open cells", f"component ends R={r:.0f}, union of downloads", label,
                    attacks.ends_clustered(ex, ey, n, r))
        # Growth: what rose since the previous download of the same output (at the
        # second stage the targets' added trips).
        rises = []
        for source in cell_sources:
            earlier = [s for s in snaps if s is not final and source in s.cells]
            if chosen(source) and earlier:
                rises.append(attacks.place_weights(
                    attacks.delta_cells(earlier[-1].cells[source], final.cells[source])))
        for h in radii:
            add("open cells", f"growth hotspot h={h:.0f}", label + ", rise since the previous"
                " download", attacks.combined_peaks(rises, n, h))
        # Deltas while watched rides were uploaded piece by piece.
        ex, ey = [], []
        for seq in sequences:
            for before, after in zip(seq, seq[1:]):
                for source in open_cell_sources(after):
                    if chosen(source):
                        e = attacks.chain_ends(attacks.delta_cells(
                            before.cells.get(source, {}), after.cells[source]))
                        ex.append(e[0])
                        ey.append(e[1])
        if ex:
            ex, ey = np.concatenate(ex), np.concatenate(ey)
            for r in (250.0, 500.0):
                add("open cells", f"delta ends R={r:.0f}", label + ", watched uploads",
                    attacks.ends_clustered(ex, ey, n, r))
    # How well the best of this many open rows does by chance alone: each row replaced by
    # N random guesses, 300 times; the best row picked as the targets pick it (the lowest
    # median, ties: more homes within 100 m). The 5 % quantile of its median and the 95 %
    # quantile of its share within 100 m: what guessing reaches one time in 20.
    rows = sum(1 for key, v in results.rows.items() if k in v and key[0] in ("open points",
                                                                            "open cells"))
    if rows:
        best = [min((metrics.score(homes, attacks.random_guesses(n, town.bounds(), rng))
                     for _ in range(rows)), key=lambda s: (s.median, -s.within100))
                for _ in range(300)]
        results.chance[k] = (rows, float(np.quantile([s.median for s in best], 0.05)),
                             float(np.quantile([s.within100 for s in best], 0.95)))
    # Researcher cells, if the researcher download has any.
    outputs = [list(c.values()) for s, c in sorted(final.cells.items()) if s.startswith(RESEARCHER)]
    if outputs:
        for name, guesses in attacks.cell_attacks(outputs, n).items():
            add("researcher (defence in depth)", name, "researcher cells", guesses)


def measure_utility(results, final, uploaded):
    """Readings of the dense town that reach open data: points of the open dataset, the
    counts of its cells, and (for reference) each aggregate's total."""
    for source in sorted(final.trips):
        if source.startswith("dataset/"):
            n = sum(len(set(p)) for p in final.trips[source].values())
            results.utility.append((f"points in the open dataset ({source})", n / uploaded, n))
    for source in sorted(final.points):
        if source.startswith("dataset/"):
            n = len(set(final.points[source]))
            results.utility.append((f"points without trip in the open dataset ({source})",
                                    n / uploaded, n))
    for source, cells in sorted(final.cells.items()):
        n = sum(c.count for c in cells.values())
        if source.startswith("dataset/"):
            results.utility.append((f"readings in the open dataset's cells ({source})",
                                    n / uploaded, n))
        elif source.startswith("aggregates/") and "/all/" not in source:
            results.utility.append((f"readings in published cells of {source}", n / uploaded, n))


def headline_utility(results):
    """The figure the target is about: the open dataset's share (points, or readings in its
    cells); without an open dataset, the finest aggregate (100 m, 15 min or hour)."""
    dataset = [u for u in results.utility if "open dataset" in u[0]]
    if dataset:
        return max(dataset, key=lambda u: u[1])
    fine = [u for u in results.utility if any(f"/{s}/" in u[0] for s in ("grid:100", "hex:100"))
            and (u[0].endswith("15min") or u[0].endswith("hour"))]
    return max(fine, key=lambda u: u[1]) if fine else ("nothing", 0.0, 0)
