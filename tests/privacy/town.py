"""A synthetic town on a street grid, its residents, and their rides.

Streets run every `block_m` metres east-west and north-south over a square of side
`size_m` centred near Utrecht Centraal (52.09 N, 5.12 E). Every resident lives at a
known point on a street, between two crossings. A ride follows the streets: from home
to one of the two nearest crossings, then one to three turns towards the destination
(sometimes with a one-block detour), then along the destination's street. The
rider keeps a steady speed of 4 to 5 m/s; a reading every 10 s; GPS noise of
`gps_sigma_m` metres per axis.

Each outing is two trips (home to a destination, and back after a stay of 40 minutes or
more, so the server sees two trips). Target riders make two outings a day: a morning
one (out 07:00-09:00, back 15:30-17:30 of the day's clock) and an evening one (out
20:30-21:40, back 40 to 60 minutes later). Background riders make a few outings on
random days. Everything is drawn from one seeded generator.
"""
from dataclasses import dataclass, field
import math

import numpy as np

STEP_S = 10


@dataclass
class Trip:
    rider: int  # index into Town.riders
    number: int  # the rider's trip number, 0-based, in time order
    day: int
    t: np.ndarray  # seconds from the timeline's start
    x: np.ndarray  # local metres (noisy, as the GPS reports them)
    y: np.ndarray


@dataclass
class Rider:
    index: int
    imei: str
    home: tuple  # (x, y) local metres, on a street
    target: bool
    trips: list = field(default_factory=list)


@dataclass
class Town:
    size_m: float
    block_m: float
    days: int
    riders: list
    seed: int

    @property
    def targets(self):
        return [r for r in self.riders if r.target]

    @property
    def background(self):
        return [r for r in self.riders if not r.target]

    def all_trips(self):
        return [t for r in self.riders for t in r.trips]

    def bounds(self):
        h = self.size_m / 2
        return (-h, -h, h, h)


class Streets:
    def __init__(self, size_m, block_m):
        self.block = block_m
        self.n = int(size_m // block_m)  # crossings 0..n in each direction
        self.origin = -self.n * block_m / 2

    def node_xy(self, i, j):
        return (self.origin + i * self.block, self.origin + j * self.block)

    def random_address(self, rng, margin=2):
        """A point on a street between two crossings: (xy, (node_a, node_b))."""
        i = int(rng.integers(margin, self.n - margin))
        j = int(rng.integers(margin, self.n - margin))
        f = float(rng.uniform(0.15, 0.85))
        if rng.random() < 0.5:  # on an east-west street
            a, b = (i, j), (i + 1, j)
            xy = (self.origin + (i + f) * self.block, self.origin + j * self.block)
        else:
            a, b = (i, j), (i, j + 1)
            xy = (self.origin + i * self.block, self.origin + (j + f) * self.block)
        return xy, (a, b)

    def route(self, rng, src, dst, detour_p=0.15):
        """Polyline (list of xy) from address src to address dst along the streets: to a
        crossing at one end of the home street, then one to three turns (legs along
        alternating axes, as cyclists keep to a few long streets), sometimes a one-block
        detour, then along the destination's street."""
        (sxy, (sa, sb)), (dxy, (da, db)) = src, dst
        # Leave home towards the crossing nearer the destination, mostly.
        ends = sorted([sa, sb], key=lambda n: abs(n[0] - da[0]) + abs(n[1] - da[1]))
        start = ends[0] if rng.random() < 0.8 else ends[1]
        goal_ends = sorted([da, db], key=lambda n: abs(n[0] - start[0]) + abs(n[1] - start[1]))
        goal = goal_ends[0] if rng.random() < 0.8 else goal_ends[1]
        home_axis = 0 if sa[1] == sb[1] else 1  # 0: the home street runs east-west
        first = home_axis if rng.random() < 0.6 else 1 - home_axis
        turns = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        delta = [goal[0] - start[0], goal[1] - start[1]]
        legs_per_axis = {first: (turns + 2) // 2, 1 - first: (turns + 1) // 2}
        parts = {}
        for axis, n in legs_per_axis.items():
            total = delta[axis]
            if n <= 1 or abs(total) < n:
                parts[axis] = [total] + [0] * (n - 1)
            else:
                cuts = sorted(rng.choice(np.arange(1, abs(total)), size=n - 1, replace=False))
                bounds = [0, *cuts, abs(total)]
                parts[axis] = [int(np.sign(total)) * (b - a) for a, b in zip(bounds, bounds[1:])]
        legs = []
        for k in range(turns + 1):
            axis = first if k % 2 == 0 else 1 - first
            legs.append([axis, parts[axis][k // 2]])
        if rng.random() < detour_p and len(legs) >= 2:
            # One block aside on a leg of the other axis, made up on its next leg.
            k = int(rng.integers(0, len(legs) - 1))
            side = 1 if rng.random() < 0.5 else -1
            legs.insert(k + 1, [1 - legs[k][0], side])
            later = [m for m in range(k + 2, len(legs)) if legs[m][0] == 1 - legs[k][0]]
            if later:
                legs[later[0]][1] -= side
            else:
                legs.append([1 - legs[k][0], -side])
        nodes = [start]
        i, j = start
        for axis, steps in legs:
            for _ in range(abs(steps)):
                if axis == 0:
                    i += int(np.sign(steps))
                else:
                    j += int(np.sign(steps))
                i, j = min(max(i, 0), self.n), min(max(j, 0), self.n)
                nodes.append((i, j))
        return [sxy] + [self.node_xy(*n) for n in nodes] + [dxy]


def sample(polyline, speed, rng, sigma):
    """Positions every STEP_S seconds along the polyline at `speed`, with GPS noise."""
    pts = np.asarray(polyline, dtype=float)
    seg = np.hypot(*np.diff(pts, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    s = np.arange(0.0, total, speed * STEP_S)
    s = np.append(s, total)
    x = np.interp(s, cum, pts[:, 0]) + rng.normal(0, sigma, len(s))
    y = np.interp(s, cum, pts[:, 1]) + rng.normal(0, sigma, len(s))
    t = np.arange(len(s)) * STEP_S
    return t, x, y


def build(seed, targets=12, target_trips=100, background=250, background_outings=2,
          size_m=4000.0, block_m=100.0, gps_sigma_m=5.0, min_trip_m=1500.0):
    """The town: `targets` riders with `target_trips` trips each (two outings a day) and
    `background` riders with `background_outings` outings (two trips each)."""
    rng = np.random.default_rng(seed)
    streets = Streets(size_m, block_m)
    days = max(1, math.ceil(target_trips / 4))
    riders = []
    for k in range(targets + background):
        addr = streets.random_address(rng)
        riders.append((Rider(index=k, imei=f"86{seed % 1000:03d}{k:010d}", home=addr[0],
                             target=k < targets), addr))

    def destination(home_addr):
        for _ in range(200):
            d = streets.random_address(rng, margin=1)
            if math.dist(d[0], home_addr[0]) >= min_trip_m:
                return d
        return d

    def outing(rider, addr, day, leave_h, stay_s):
        dst = destination(addr)
        speed = float(rng.uniform(4.0, 5.0))
        out_t, out_x, out_y = sample(streets.route(rng, addr, dst), speed, rng, gps_sigma_m)
        back_t, back_x, back_y = sample(streets.route(rng, dst, addr), speed, rng, gps_sigma_m)
        t0 = day * 86400 + leave_h * 3600
        t1 = t0 + out_t[-1] + stay_s
        n = len(rider.trips)
        rider.trips.append(Trip(rider.index, n, day, t0 + out_t, out_x, out_y))
        rider.trips.append(Trip(rider.index, n + 1, day, t1 + back_t, back_x, back_y))

    for rider, addr in riders:
        if rider.target:
            for n in range(target_trips // 2):
                day = n // 2
                if n % 2 == 0:  # morning: out 07:00-09:00, back 15:30-17:30
                    leave = float(rng.uniform(7.0, 9.0))
                    stay = float(rng.uniform(15.5, 17.5) - leave) * 3600
                else:  # evening: out 20:30-21:40, back after 40-60 minutes
                    leave = float(rng.uniform(20.5, 21.67))
                    stay = float(rng.uniform(40, 60)) * 60
                outing(rider, addr, day, leave, stay)
        else:
            chosen = rng.choice(days * 2, size=min(background_outings, days * 2), replace=False)
            for slot in sorted(int(c) for c in chosen):
                day, evening = divmod(slot, 2)
                if evening:
                    leave = float(rng.uniform(20.5, 21.67))
                    stay = float(rng.uniform(40, 60)) * 60
                else:
                    leave = float(rng.uniform(7.0, 9.0))
                    stay = float(rng.uniform(15.5, 17.5) - leave) * 3600
                outing(rider, addr, day, leave, stay)
    for rider, _ in riders:
        for n, trip in enumerate(rider.trips):
            trip.number = n
    return Town(size_m=size_m, block_m=block_m, days=days, riders=[r for r, _ in riders],
                seed=seed)
