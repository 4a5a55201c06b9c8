"""The privacy attacks of DESIGN.md section 5 against the real server: can anyone find a
rider's home, or link two trips, from what the server publishes without a token?

The suite lives in tests/privacy/ (town and rides, uploads, downloads, attacks,
metrics); these tests run it and hold the targets. Both write their figures to
build/privacy-report.md and print them. Scale with the SMU_ATTACK_* and SMU_LINKAGE_*
variables (tests/privacy/scenario.py, linkage.py).
"""
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "privacy"))

import linkage  # noqa: E402
import report  # noqa: E402
import scenario  # noqa: E402


def test_homes_cannot_be_found_from_open_data(admin, server):
    """With a project's default settings, at 100 trips per rider, the best attack on all
    open outputs combined is no better than guessing: median error >= 200 m, at most 1
    home in 10 within 100 m, no gain from 20 to 100 trips; and at least 60 % of the
    dense town's readings still reach open data."""
    config = scenario.Config.from_env()
    print(f"\nprivacy attack suite: seed {config.seed} (SMU_ATTACK_SEED), {config}")
    started = time.monotonic()
    run = scenario.run(admin, server.base, "atk-" + uuid.uuid4().hex[:10], config)
    runtime = time.monotonic() - started
    verdict = report.targets(run.results)
    text = report.homes_section(run, runtime, verdict)
    report.write("homes", text)
    print(text)
    failed = [line for ok, line in verdict if not ok]
    assert not failed, "privacy targets missed:\n" + "\n".join(failed) + "\n\n" + text


def test_participants_do_not_link_trips(admin, server):
    """Extending a window by one trip must not tell whether its rider was already in
    it: the attacker's accuracy stays within 2.5 standard errors of a coin flip."""
    seed = scenario.Config.from_env().seed
    started = time.monotonic()
    outcome = linkage.run(admin, server.base, "lnk-" + uuid.uuid4().hex[:10], seed)
    runtime = time.monotonic() - started
    limit = 0.5 + 2.5 * outcome.standard_error
    text = report.linkage_section(outcome, limit, seed, runtime)
    report.write("linkage", text)
    print("\n" + text)
    assert outcome.accuracy <= limit, (
        f"participants link trips: accuracy {outcome.accuracy:.2f} > {limit:.2f}\n\n" + text)


def test_outputs_are_read_by_what_they_hold():
    """The suite does not assume today's shapes: a row with a trip and a position is a
    point of that trip, a row with a cell (geometry or RD id) and a count is a cell, a
    row with a position only is a point."""
    from collect import interpret
    kind, (trip, (t, x, y)) = interpret({"trip": "trip-ab", "recorded_at": "2026-01-01T00:00:10Z",
                                         "latitude": "52.09", "longitude": "5.12"})
    assert (kind, trip, t) == ("trip", "trip-ab", 1767225610.0) and abs(x) < 1e-6 and abs(y) < 1e-6
    square = {"type": "Polygon", "coordinates": [[[5.12, 52.09], [5.1215, 52.09], [5.1215, 52.0909],
                                                  [5.12, 52.0909], [5.12, 52.09]]]}
    kind, cell = interpret({"start": "2026-01-01T00:00:00Z", "count": 7, "participants": 3,
                            "geometry": square})
    assert kind == "cell" and cell.count == 7 and 95 < cell.size < 110
    assert 45 < cell.x < 57 and 45 < cell.y < 55
    kind, cell = interpret({"period_start": "2026-01-01T00:00:00Z", "cell": "rd100-136000-456000",
                            "readings": "12"})
    assert kind == "cell" and cell.count == 12 and cell.size == 100
    assert interpret({"recorded_at": "2026-01-01T00:00:00Z", "lat": 52.1, "lon": 5.1})[0] == "point"
    assert interpret({"recorded_at": "2026-01-01T00:00:00Z", "pm25_ugm3": 3})[0] is None


def test_attacks_find_homes_behind_trimmed_trip_ends():
    """The attacks themselves, offline: riders' trips with every point within 300-500 m
    of each end dropped (as today's zones do) still give their homes away to the ray
    votes, and a trip-end cluster finds an untrimmed home."""
    import numpy as np
    import attacks
    import metrics
    import town
    t = town.build(7, targets=6, target_trips=40, background=30, size_m=3000)
    rng = np.random.default_rng(7)
    trips = {}
    for r in t.riders:
        for tr in r.trips:
            keep = np.ones(len(tr.x), dtype=bool)
            for k in (0, -1):
                keep &= np.hypot(tr.x - tr.x[k], tr.y - tr.y[k]) > rng.uniform(300, 500)
            if keep.sum() >= 2:
                trips[(r.index, tr.number)] = (tr.t[keep].astype(float), tr.x[keep], tr.y[keep])
    homes = [r.home for r in t.targets]
    got = attacks.point_attacks(trips, len(homes), rng)
    assert metrics.score(homes, got["ray votes crossing reach=1000"]).within100 >= 0.5
    whole = {(r.index, tr.number): (tr.t.astype(float), tr.x, tr.y)
             for r in t.targets for tr in r.trips}
    assert metrics.score(homes, attacks.point_attacks(whole, len(homes), rng)[
        "cluster centroid R=250"]).median < 50
