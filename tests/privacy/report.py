"""The privacy report (build/privacy-report.md) and the targets it is held to."""
import json
import os

from scenario import headline_utility

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATH = os.path.join(ROOT, "build", "privacy-report.md")
OPEN_GROUPS = ("open points", "open cells")
_sections = {}


def write(name, text):
    """Keeps one section per test and rewrites the report with every section so far."""
    _sections[name] = text
    os.makedirs(os.path.dirname(PATH), exist_ok=True)
    with open(PATH, "w") as f:
        f.write("# Privacy attacks on the open data\n\nWritten by"
                " tests/e2e/test_privacy_attacks.py (tests/privacy/).\n\n")
        for key in ("homes", "linkage"):
            if key in _sections:
                f.write(_sections[key] + "\n\n")


def best_open(results, trips):
    """The open-data attack row with the lowest median error at `trips`."""
    cands = [(k, v) for k, v in results.rows.items() if k[0] in OPEN_GROUPS and trips in v]
    if not cands:
        return None, None
    return min(cands, key=lambda kv: (kv[1][trips].median, -kv[1][trips].within100))


def targets(results):
    """[(met, sentence)] for each target of DESIGN.md section 5 (issue #11)."""
    last, first = results.stages[-1], results.stages[0]
    key, scores = best_open(results, last)
    out = []
    if key is None:
        out.append((True, "no open output allowed any attack: the attacker only guesses"))
    else:
        s = scores[last]
        name = f"{key[1]} [{key[2]}]"
        out.append((s.median >= 200, f"best attack at {last} trips ({name}): median error"
                    f" {s.median:.0f} m (target >= 200 m)"))
        # At most 1 home in 10 within 100 m, or no more than the best of as many rows of
        # random guesses reaches one time in 20: with N guesses in a small town, a home
        # falls within 100 m of one by luck (about 3 % each), and the best of many rows
        # is picked, so a design that leaks nothing would miss a bare 10 % now and then.
        lucky = results.chance.get(last, (0, 0.0, 0.0))[2]
        out.append((s.within100 <= max(0.1, lucky), f"best attack at {last} trips:"
                    f" {s.within100:.0%} of homes within 100 m (target <= 10 %, or <="
                    f" {lucky:.0%}, what the best of as many random rows reaches one time in 20)"))
        _, first_scores = best_open(results, first)
        if first_scores is not None and first != last:
            # The best attack at each stage (the lowest median over every open row): its
            # error must not shrink as riders add trips, unless both are far off, or the
            # best at the last stage is no better than the best of as many rows of random
            # guesses is one time in 20 (so no information shows).
            m0 = first_scores[first].median
            chance = results.chance.get(last, (0, 0.0, 0.0))[1]
            ok = s.median >= 0.8 * m0 or (s.median >= 400 and m0 >= 400) or s.median >= chance
            out.append((ok, f"best attack: median {m0:.0f} m at {first} trips, {s.median:.0f} m at"
                        f" {last} (target: >= 0.8 x, or both >= 400 m, or >= {chance:.0f} m, what"
                        " the best of as many random rows reaches one time in 20)"))
    label, share, n = headline_utility(results)
    out.append((share >= 0.6, f"utility: {share:.1%} of the uploaded readings reach open data"
                f" ({label}; target >= 60 %)"))
    return out


def homes_section(run, runtime, verdict):
    res = run.results
    c = run.config
    lines = [
        "## Finding homes",
        "",
        f"Seed {c.seed}; {c.targets} target riders measured at {', '.join(map(str, c.trips))}"
        f" trips each; {c.background} background riders with {c.bg_outings} outings (two trips"
        f" each); town {c.town_m:.0f} m square, 100 m street grid; {run.uploaded} readings"
        f" uploaded; {c.watched} riders' last outing per stage uploaded piece by piece with a"
        f" download after each piece. Project settings:"
        f" {json.dumps(c.project) if c.project else 'the server defaults'}. Runtime {runtime:.0f} s"
        f" ({', '.join(f'{k} {v:.0f} s' for k, v in run.timings.items())}).",
        "",
        "Error of a home: the distance to the nearest of the attacker's N guesses (N = the"
        " number of target homes, told to the attacker). Per row: median error, share of"
        " homes within 100 m, within 200 m. Guesses an attack cannot make are random points"
        " in the town (what guessing gives: the baseline row).",
        "",
        "### Targets",
        "",
        *[f"- [{'x' if ok else ' '}] {line}" for ok, line in verdict],
        "",
        *[f"By chance alone, the best of {rows} open rows at {t} trips has a median below"
          f" {q:.0f} m, or {w:.0%} of homes within 100 m, one time in 20 (each row replaced"
          " by random guesses)."
          for t, (rows, q, w) in sorted(res.chance.items())],
        "",
        "### The strongest variant of each attack",
        "",
        res.table(res.best_per_family()),
        "",
        "### Utility (the whole dense town, after the last stage)",
        "",
        res.utility_table(),
        "",
        "The utility target reads the open dataset (its points, or the readings counted in"
        " its cells); with no open dataset, the finest aggregate (100 m cells, 15 min or hour"
        " buckets). Each aggregate row counts every reading once (one space and bucket).",
    ]
    if res.notes:
        lines += ["", "### Notes", ""] + [f"- {n}" for n in res.notes]
    lines += ["", "<details><summary>Every attack, source and parameter</summary>", "",
              res.table(), "", "</details>"]
    return "\n".join(lines)


def linkage_section(outcome, limit, seed, runtime):
    same = sum(1 for a, *_ in outcome.details if a)
    return "\n".join([
        "## Linking trips through participants",
        "",
        f"Seed {seed}; {outcome.trials} trials ({same} where the extra trip's rider was already"
        f" in the window); runtime {runtime:.0f} s. The attacker compares count and participants"
        " of the base hour (bucket=hour) with those of its whole day (bucket=day), space all.",
        "",
        f"- accuracy {outcome.accuracy:.2f} (chance 0.5, standard error"
        f" {outcome.standard_error:.3f}; target <= {limit:.2f})",
        f"- trials the published figures decided: {outcome.decided} of {outcome.trials}"
        " (the rest: a coin flip)",
    ])
