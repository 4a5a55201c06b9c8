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
