"""Home-finding attacks. Each takes what an output showed and the number of homes N, and
returns N guesses (local metres). None needs a device id or knows which trip is whose.

Point attacks (data with trips):
- `cluster_centroid`, `cluster_sec`, `circle_fit`: the first and last published point of
  every trip (its "ends") are clustered by mean shift with a flat kernel of radius R; the
  N best-supported clusters give a guess each: their centroid, the centre of their
  smallest enclosing circle, or the centre of a least-squares circle (Kasa) fitted to
  them (the circle attack of Hassan et al. 2018: ends cut at a circle lie on it).
- `lines`: each end's first (last) published stretch, extended as a ray towards the
  hidden part; for each cluster, the point nearest to all rays that pass near it
  (iteratively reweighted least squares, so stray rays count little).
- `ray votes`: every ray votes for the 25 m squares it crosses within `reach` metres
  beyond its end; squares crossed by rays of both orientations (east-west-ish and
  north-south-ish; `crossing`) or by any (`all`) score; the N highest peaks, 300 m apart,
  each refined by the least-squares intersection of the rays that pass within 60 m.
  Trip ends are swamped by other riders' ends in a dense town, but only a home has rays
  from all its trips converging on it.
Cell attacks (any output with places and counts; also point data taken as cells):
- `hotspot`: readings per place over the whole range, smoothed with a Gaussian kernel of
  bandwidth h; the N highest peaks (every rider's trips start at home, so the streets
  around a home carry its trips again and again).
- `dominance`: as hotspot, weighted by readings per participant above the typical value:
  places crossed often by few riders (home streets) stand out even in busy streets.
- `component ends`: per time bucket, published cells that touch form chains (a ride);
  the cells at the ends of each chain are clustered as trip ends are.
- growth and delta (scenario.py): the cells whose counts rose between two downloads
  (new trips; while a ride is uploaded, that ride's new pieces), as a hotspot or as
  chain ends.
Cell attacks take every cell output at once: each output's places weigh 1 in total, so
coarse and fine outputs, and every time bucket, add up.
An attack is scored on the guesses it makes; one that makes none is not reported.
"""
import math

import numpy as np


# ---------------------------------------------------------------------------------------
# helpers

def random_guesses(n, bounds, rng):
    """N uniform random points in the town: what guessing gives."""
    x0, y0, x1, y1 = bounds
    return [(float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))) for _ in range(n)]


def trip_ends(trips, stretch_m=120.0):
    """For every trip of >= 2 points: its first and last point, each with the direction
    from the published stretch next to it towards the end (so beyond the end, towards
    the hidden part). Returns arrays x, y, ux, uy, has_direction."""
    rows = []
    for t, x, y in trips.values():
        if len(x) < 2:
            continue
        for idx in (np.arange(len(x)), np.arange(len(x))[::-1]):
            ex, ey = x[idx[0]], y[idx[0]]
            take = [idx[0]]
            for k in idx[1:]:
                take.append(k)
                if math.hypot(x[k] - ex, y[k] - ey) >= stretch_m:
                    break
            px, py = x[take], y[take]
            if len(take) >= 2 and math.hypot(px[-1] - ex, py[-1] - ey) > 20:
                cx, cy = px.mean(), py.mean()
                m = np.stack([px - cx, py - cy])
                w, v = np.linalg.eigh(m @ m.T)
                ux, uy = v[:, 1]
                if ux * (ex - px[-1]) + uy * (ey - py[-1]) < 0:
                    ux, uy = -ux, -uy
                rows.append((ex, ey, ux, uy, 1.0))
            else:
                rows.append((ex, ey, 0.0, 0.0, 0.0))
    if not rows:
        return np.zeros((0, 5))
    return np.array(rows, dtype=float)


def _density_argmax(x, y, w, radius):
    """Centre of the binned square window (side ~2 radius) holding the most weight."""
    b = radius / 3.0
    gx = np.floor((x - x.min()) / b).astype(int)
    gy = np.floor((y - y.min()) / b).astype(int)
    h = np.zeros((gx.max() + 7, gy.max() + 7))
    np.add.at(h, (gx + 3, gy + 3), w)
    c = h.cumsum(0).cumsum(1)
    c = np.pad(c, ((1, 0), (1, 0)))
    win = c[6:, 6:] - c[:-6, 6:] - c[6:, :-6] + c[:-6, :-6]  # 6x6 bins around each
    i, j = np.unravel_index(np.argmax(win), win.shape)
    return x.min() + (i + 0.5) * b, y.min() + (j + 0.5) * b


def mean_shift_clusters(x, y, n, radius, w=None, iterations=15):
    """Greedy flat-kernel mean shift: the n best-supported modes, each with the indices of
    the points within `radius` of it (a point belongs to one cluster at most)."""
    w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
    alive = np.ones(len(x), dtype=bool)
    clusters = []
    for _ in range(n):
        idx = np.flatnonzero(alive & (w > 0))
        if len(idx) == 0:
            break
        cx, cy = _density_argmax(x[idx], y[idx], w[idx], radius)
        members = idx
        for _ in range(iterations):
            d = np.hypot(x[idx] - cx, y[idx] - cy)
            members = idx[d <= radius]
            if len(members) == 0:
                break
            nx = np.average(x[members], weights=w[members])
            ny = np.average(y[members], weights=w[members])
            if math.hypot(nx - cx, ny - cy) < 1:
                cx, cy = nx, ny
                break
            cx, cy = nx, ny
        if len(members) == 0:
            alive[idx[np.argmin(np.hypot(x[idx] - cx, y[idx] - cy))]] = False
            continue
        clusters.append(((cx, cy), members))
        alive[members] = False
    return clusters


def smallest_enclosing_circle(x, y, rng):
    """Welzl's randomised incremental algorithm; returns (cx, cy, r)."""
    pts = list(zip(x.tolist(), y.tolist()))
    order = rng.permutation(len(pts))
    pts = [pts[i] for i in order]

    def circle2(a, b):
        cx, cy = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        return cx, cy, math.hypot(a[0] - cx, a[1] - cy)

    def circle3(a, b, c):
        d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
        if abs(d) < 1e-12:
            far = max((circle2(a, b), circle2(a, c), circle2(b, c)), key=lambda k: k[2])
            return far
        ux = ((a[0] ** 2 + a[1] ** 2) * (b[1] - c[1]) + (b[0] ** 2 + b[1] ** 2) * (c[1] - a[1])
              + (c[0] ** 2 + c[1] ** 2) * (a[1] - b[1])) / d
        uy = ((a[0] ** 2 + a[1] ** 2) * (c[0] - b[0]) + (b[0] ** 2 + b[1] ** 2) * (a[0] - c[0])
              + (c[0] ** 2 + c[1] ** 2) * (b[0] - a[0])) / d
        return ux, uy, math.hypot(a[0] - ux, a[1] - uy)

    def inside(c, p):
        return math.hypot(p[0] - c[0], p[1] - c[1]) <= c[2] + 1e-7

    c = (pts[0][0], pts[0][1], 0.0)
    for i, p in enumerate(pts):
        if inside(c, p):
            continue
        c = (p[0], p[1], 0.0)
        for j in range(i):
            q = pts[j]
            if inside(c, q):
                continue
            c = circle2(p, q)
            for k in range(j):
                if not inside(c, pts[k]):
                    c = circle3(p, q, pts[k])
    return c


def kasa_circle(x, y):
    """Least-squares circle (Kasa): centre and radius, or None when degenerate."""
    if len(x) < 3:
        return None
    a = np.column_stack([x, y, np.ones(len(x))])
    b = x ** 2 + y ** 2
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    cx, cy = sol[0] / 2, sol[1] / 2
    r2 = sol[2] + cx ** 2 + cy ** 2
    if r2 <= 0 or not np.isfinite(r2):
        return None
    return cx, cy, math.sqrt(r2)


def ray_intersection(ends, start, reach, iterations=30):
    """The point nearest to the rays (IRLS, L1-like), starting at `start`; rays count
    only where the point lies ahead of their end."""
    ex, ey, ux, uy = ends[:, 0], ends[:, 1], ends[:, 2], ends[:, 3]
    nx, ny = -uy, ux
    p = np.array(start, dtype=float)
    for _ in range(iterations):
        d = nx * (p[0] - ex) + ny * (p[1] - ey)
        ahead = ux * (p[0] - ex) + uy * (p[1] - ey)
        w = np.where((ahead > -50) & (ahead < reach), 1.0 / np.maximum(np.abs(d), 5.0), 0.0)
        if w.sum() == 0:
            break
        a = np.array([[np.sum(w * nx * nx), np.sum(w * nx * ny)],
                      [np.sum(w * nx * ny), np.sum(w * ny * ny)]])
        rhs = np.array([np.sum(w * nx * (nx * ex + ny * ey)), np.sum(w * ny * (nx * ex + ny * ey))])
        if abs(np.linalg.det(a)) < 1e-9 * max(1.0, np.trace(a) ** 2):
            break  # all rays parallel: no intersection
        q = np.linalg.solve(a, rhs)
        if np.hypot(*(q - p)) < 0.5:
            p = q
            break
        p = q
    return float(p[0]), float(p[1])


# ---------------------------------------------------------------------------------------
# point attacks

def point_attacks(trips, n, rng, radii=(250.0, 500.0, 1000.0)):
    """{attack name: guesses} for every point attack and cluster radius."""
    ends = trip_ends(trips)
    out = {}
    if len(ends) == 0:
        return out
    x, y = ends[:, 0], ends[:, 1]
    for radius in radii:
        clusters = mean_shift_clusters(x, y, n, radius)
        tag = f"R={radius:.0f}"
        out[f"cluster centroid {tag}"] = [c for c, _ in clusters]
        sec, circ, lines = [], [], []
        for (cx, cy), members in clusters:
            s = smallest_enclosing_circle(x[members], y[members], rng)
            sec.append((s[0], s[1]))
            k = kasa_circle(x[members], y[members])
            circ.append((k[0], k[1]) if k and math.hypot(k[0] - cx, k[1] - cy) < 2 * radius
                        else (cx, cy))
            near = np.flatnonzero((np.hypot(x - cx, y - cy) <= 1.5 * radius) & (ends[:, 4] > 0))
            e = ends[near]
            if len(e):
                # Rays that pass near the cluster centre, ahead of their end.
                a = e[:, 2] * (cx - e[:, 0]) + e[:, 3] * (cy - e[:, 1])
                perp = np.abs(-e[:, 3] * (cx - e[:, 0]) + e[:, 2] * (cy - e[:, 1]))
                e = e[(a > -radius / 2) & (perp < radius)]
            lines.append(ray_intersection(e, (cx, cy), 3 * radius) if len(e) >= 2 else (cx, cy))
        out[f"cluster SEC centre {tag}"] = sec
        out[f"circle fit {tag}"] = circ
        out[f"lines {tag}"] = lines
    for reach in (500.0, 1000.0):
        out[f"ray votes crossing reach={reach:.0f}"] = ray_votes(ends, n, reach)
        out[f"ray votes all reach={reach:.0f}"] = ray_votes(ends, n, reach, crossing=False)
    return out


def ray_votes(ends, n, reach, crossing=True, cell=25.0, separation=300.0):
    e = ends[ends[:, 4] > 0]
    if len(e) < 2:
        return []
    x0, y0 = e[:, 0].min() - reach, e[:, 1].min() - reach
    nx = int((e[:, 0].max() + reach - x0) / cell) + 1
    ny = int((e[:, 1].max() + reach - y0) / cell) + 1
    grids = np.zeros((2, nx, ny))
    s = np.arange(0.0, reach, cell / 2)
    for ex, ey, ux, uy, _ in e:
        gx = ((ex + s * ux - x0) / cell).astype(int)
        gy = ((ey + s * uy - y0) / cell).astype(int)
        inside = (gx >= 0) & (gx < nx) & (gy >= 0) & (gy < ny)
        grids[0 if abs(ux) > abs(uy) else 1].flat[np.unique(gx[inside] * ny + gy[inside])] += 1
    smooth = []
    for grid in grids:  # 3 x 3 box: a ray a few metres off still counts
        g = np.pad(grid, 1)
        smooth.append(sum(g[1 + dx:1 + dx + nx, 1 + dy:1 + dy + ny]
                          for dx in (-1, 0, 1) for dy in (-1, 0, 1)))
    score = np.minimum(smooth[0], smooth[1]) if crossing else smooth[0] + smooth[1]
    guesses = []
    r = int(separation / cell)
    for _ in range(n):
        i, j = np.unravel_index(np.argmax(score), score.shape)
        if score[i, j] <= 0:
            break
        cx, cy = x0 + (i + 0.5) * cell, y0 + (j + 0.5) * cell
        a = e[:, 2] * (cx - e[:, 0]) + e[:, 3] * (cy - e[:, 1])
        perp = np.abs(-e[:, 3] * (cx - e[:, 0]) + e[:, 2] * (cy - e[:, 1]))
        near = e[(a > 0) & (a < reach) & (perp < 60)]
        gx, gy = ray_intersection(near, (cx, cy), reach) if len(near) >= 2 else (cx, cy)
        guesses.append((gx, gy) if math.hypot(gx - cx, gy - cy) < 100 else (cx, cy))
        score[max(0, i - r):i + r + 1, max(0, j - r):j + r + 1] = -1
    return guesses


def merge_trips_across(snapshot_trips):
    """Trips of several downloads joined into one set: trips that share a published point
    (same time and place) are one trip, whatever their names (names may change as a
    trip grows); each merged trip holds every point any download showed."""
    parent = {}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    owner = {}
    pts_of = {}
    for k, trips in enumerate(snapshot_trips):
        for trip, (t, x, y) in trips.items():
            key = (k, trip)
            parent[key] = key
            pts_of[key] = (t, x, y)
            for p in zip(np.round(t).astype(int).tolist(), np.round(x, 1).tolist(),
                         np.round(y, 1).tolist()):
                other = owner.setdefault(p, key)
                if other != key:
                    ra, rb = find(other), find(key)
                    if ra != rb:
                        parent[rb] = ra
    groups = {}
    for key in parent:
        groups.setdefault(find(key), []).append(key)
    merged = {}
    for root, keys in groups.items():
        seen = {}
        for key in keys:
            t, x, y = pts_of[key]
            for a, b, c in zip(t.tolist(), x.tolist(), y.tolist()):
                seen[int(round(a))] = (a, b, c)
        arr = np.array([seen[k] for k in sorted(seen)])
        merged[f"{root[0]}:{root[1]}"] = (arr[:, 0], arr[:, 1], arr[:, 2])
    return merged


# ---------------------------------------------------------------------------------------
# cell attacks

def _per_place(cells):
    """Cells summed over time per place: arrays x, y, size, count, participants (nan when
    not published)."""
    acc = {}
    for c in cells:
        if not np.isfinite(c.x):
            continue
        a = acc.setdefault(c.cell_id, [c.x, c.y, c.size, 0.0, 0.0, True])
        a[3] += c.count
        if c.participants is None:
            a[5] = False
        else:
            a[4] += float(c.participants)
    if not acc:
        return None
    arr = np.array([(v[0], v[1], v[2], v[3], v[4] if v[5] else np.nan) for v in acc.values()])
    return arr


def _peaks(x, y, w, n, h):
    """The n highest peaks of the Gaussian-smoothed weight field, at least max(h, 500 m)
    apart; each guess is the weighted centroid of the places within h of its peak."""
    if len(x) == 0 or np.sum(w) <= 0:
        return []
    if len(x) > 6000:  # bin first: the field is smooth at scale h anyway
        b = max(h / 4, 25.0)
        keys = np.stack([np.floor(x / b), np.floor(y / b)], 1)
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.ravel()
        wb = np.bincount(inv, weights=w)
        x = np.bincount(inv, weights=w * x) / np.maximum(wb, 1e-12)
        y = np.bincount(inv, weights=w * y) / np.maximum(wb, 1e-12)
        w = wb
    dens = np.zeros(len(x))
    for start in range(0, len(x), 2000):
        sl = slice(start, start + 2000)
        d2 = (x[sl, None] - x[None, :]) ** 2 + (y[sl, None] - y[None, :]) ** 2
        dens[sl] = np.exp(-d2 / (2 * h * h)) @ w
    guesses = []
    alive = np.ones(len(x), dtype=bool)
    while len(guesses) < n and alive.any():
        i = np.flatnonzero(alive)[np.argmax(dens[alive])]
        near = np.hypot(x - x[i], y - y[i]) <= h
        ww = w[near]
        if ww.sum() > 0:
            guesses.append((float(np.average(x[near], weights=ww)),
                            float(np.average(y[near], weights=ww))))
        else:
            guesses.append((float(x[i]), float(y[i])))
        alive &= np.hypot(x - x[i], y - y[i]) > max(h, 500.0)
    return guesses


def place_weights(cells, kind="count"):
    """One output's cells as weighted places (x, y, w), the weights summing to 1 so that
    outputs combine on an equal footing. kind "count": readings per place over the whole
    range; "dominance": readings per participant above the output's median (places
    crossed often by few riders). None when the output has no places (or, for
    dominance, no participant counts)."""
    arr = _per_place(cells)
    if arr is None:
        return None
    if kind == "count":
        w = arr[:, 3].copy()
    else:
        ok = ~np.isnan(arr[:, 4]) & (arr[:, 4] > 0)
        if not ok.any():
            return None
        ratio = np.zeros(len(arr))
        ratio[ok] = arr[ok, 3] / arr[ok, 4]
        w = np.maximum(ratio - np.median(ratio[ok]), 0)
    if w.sum() <= 0:
        return None
    return arr[:, 0], arr[:, 1], w / w.sum()


def combined_peaks(parts, n, h):
    """_peaks over the union of several outputs' weighted places."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return []
    x, y, w = (np.concatenate([p[k] for p in parts]) for k in range(3))
    return _peaks(x, y, w, n, h)


def hotspot(cells, n, h):
    return combined_peaks([place_weights(cells)], n, h)


def _neighbour_degrees(x, y, s):
    """For each cell, how many others touch it (centres within 1.6 cell sizes)."""
    reach = 1.6 * np.maximum(s, 1.0)
    b = float(reach.max())
    bins = {}
    for i, key in enumerate(zip(np.floor(x / b).astype(int).tolist(),
                                np.floor(y / b).astype(int).tolist())):
        bins.setdefault(key, []).append(i)
    degree = np.zeros(len(x), dtype=int)
    for (bx, by), members in bins.items():
        near = [j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in bins.get((bx + dx, by + dy), ())]
        near = np.array(near)
        for i in members:
            d = np.hypot(x[near] - x[i], y[near] - y[i])
            degree[i] = int(np.sum((d > 0) & (d <= np.maximum(reach[i], reach[near]))))
    return degree


def chain_ends(cells):
    """Per time bucket, cells that touch (centres within 1.6 cell sizes) form chains; the
    cells with at most one neighbour are chain ends. Returns arrays x, y."""
    by_start = {}
    for c in cells:
        if np.isfinite(c.x) and c.size < 5000:
            by_start.setdefault(c.start, []).append(c)
    ex, ey = [], []
    for group in by_start.values():
        x = np.array([c.x for c in group])
        y = np.array([c.y for c in group])
        s = np.array([max(c.size, 50.0) for c in group])
        ends = _neighbour_degrees(x, y, s) <= 1
        ex += x[ends].tolist()
        ey += y[ends].tolist()
    return np.array(ex), np.array(ey)


def ends_clustered(ex, ey, n, radius):
    if len(ex) == 0:
        return []
    return [c for c, _ in mean_shift_clusters(ex, ey, n, radius)]


def delta_cells(before, after):
    """Cells of `after` whose count rose since `before` (new cells count whole)."""
    out = []
    for key, c in after.items():
        old = before.get(key)
        rise = c.count - (old.count if old else 0.0)
        if rise > 0:
            out.append(type(c)(c.start, c.cell_id, c.x, c.y, c.size, rise, c.participants))
    return out


def cell_attacks(outputs, n, radii=(250.0, 500.0)):
    """{attack: guesses} of every cell attack over several outputs combined (a list of
    lists of cells, one per output); attacks an output does not allow are left out."""
    out = {}
    counts = [place_weights(cells) for cells in outputs]
    doms = [place_weights(cells, "dominance") for cells in outputs]
    ends = [chain_ends(cells) for cells in outputs]
    ex = np.concatenate([e[0] for e in ends]) if ends else np.zeros(0)
    ey = np.concatenate([e[1] for e in ends]) if ends else np.zeros(0)
    for h in radii:
        if any(p is not None for p in counts):
            out[f"hotspot h={h:.0f}"] = combined_peaks(counts, n, h)
        if any(p is not None for p in doms):
            out[f"dominance h={h:.0f}"] = combined_peaks(doms, n, h)
        if len(ex):
            out[f"component ends R={h:.0f}"] = ends_clustered(ex, ey, n, h)
    return out


def points_as_cells(points, cell_m=50.0):
    """Point data (with or without trips) binned into small cells, for the cell attacks
    that need no trip: readings per place."""
    from collect import Cell
    if len(points) == 0:
        return []
    a = np.asarray(points, dtype=float)
    keys = np.stack([np.floor(a[:, 1] / cell_m), np.floor(a[:, 2] / cell_m)], 1)
    uniq, counts = np.unique(keys, axis=0, return_counts=True)
    return [Cell("", f"{int(i)},{int(j)}", (i + 0.5) * cell_m, (j + 0.5) * cell_m, cell_m,
                 float(k), None) for (i, j), k in zip(uniq, counts)]
