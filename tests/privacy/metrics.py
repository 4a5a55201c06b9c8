"""How well an attack did, and the report.

The attacker is told the number of homes N and answers N guesses. The error of a home
is the distance from the home to the nearest guess (so one good guess can serve two
neighbours, and a guess spent on a workplace or a busy crossing is wasted). Per attack
and per number of trips per rider: the median error over the homes, and the share of
homes within 100 m and within 200 m.
"""
import math
from dataclasses import dataclass

import numpy as np


@dataclass
class Score:
    median: float
    within100: float
    within200: float
    n: int

    def cells(self):
        return f"{self.median:7.0f} m  {self.within100:5.0%}  {self.within200:5.0%}"


def errors(homes, guesses):
    g = np.asarray(guesses, dtype=float).reshape(-1, 2)
    out = []
    for hx, hy in homes:
        out.append(float(np.min(np.hypot(g[:, 0] - hx, g[:, 1] - hy))) if len(g) else math.inf)
    return np.array(out)


def score(homes, guesses):
    e = errors(homes, guesses)
    return Score(float(np.median(e)), float(np.mean(e <= 100)), float(np.mean(e <= 200)), len(e))


class Results:
    """Scores by attack row and trips per rider; a row is (group, attack, source)."""

    def __init__(self, stages):
        self.stages = list(stages)
        self.rows = {}  # (group, attack, source) -> {trips: Score}
        self.notes = []
        self.utility = []  # (label, share, readings)
        # trips -> (open rows, and of the best of that many rows of random guesses: the 5 %
        # quantile of its median, the 95 % quantile of its share within 100 m)
        self.chance = {}

    def add(self, group, attack, source, trips, s):
        self.rows.setdefault((group, attack, source), {})[trips] = s

    def best(self, trips, group=None, exclude_groups=("baseline",)):
        """The row with the lowest median error at `trips` (ties: more homes within 100 m)."""
        cands = [(k, v[trips]) for k, v in self.rows.items() if trips in v
                 and k[0] not in exclude_groups and (group is None or k[0] == group)]
        if not cands:
            return None, None
        return min(cands, key=lambda kv: (kv[1].median, -kv[1].within100))

    def best_per_family(self):
        """Per (group, attack family), the row with the lowest median at the last stage."""
        last = self.stages[-1]
        fam = {}
        for key, v in self.rows.items():
            family = (key[0], key[1].split(" R=")[0].split(" h=")[0].split(" reach=")[0])
            s = v.get(last) or next(iter(v.values()))
            if family not in fam or s.median < fam[family][1].median:
                fam[family] = (key, s)
        return [k for k, _ in sorted(fam.values(), key=lambda kv: (kv[0][0], kv[1].median))]

    def table(self, keys=None):
        keys = keys if keys is not None else sorted(self.rows)
        head = "| group | attack | source | " + " | ".join(
            f"{t} trips: median, <=100 m, <=200 m" for t in self.stages) + " |"
        lines = [head, "|" + "---|" * (3 + len(self.stages))]
        for key in keys:
            v = self.rows[key]
            cells = []
            for t in self.stages:
                s = v.get(t)
                cells.append(f"{s.median:.0f} m, {s.within100:.0%}, {s.within200:.0%}" if s else "-")
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def utility_table(self):
        lines = ["| what reaches open data | readings | share of uploaded |", "|---|---|---|"]
        for label, share, n in self.utility:
            lines.append(f"| {label} | {n:.0f} | {share:.1%} |")
        return "\n".join(lines)
